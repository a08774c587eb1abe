package invariant

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
	"github.com/ramdax/appliance/status"
)

// fakeRamdax is nvdimmtest's region0 with four namespaces: fs (fsdax), dd
// (devdax as system-ram), an unnamed raw one and sec (sector).
func fakeRamdax(t *testing.T) (*nvdimmtest.Tree, *nvdimm.Sysfs) {
	tr := nvdimmtest.Ramdax(t)
	return tr, nvdimm.New(tr.Root)
}

// statusOf is the status.json ramdaxinit would write for what sys shows.
func statusOf(t *testing.T, sys *nvdimm.Sysfs) *status.Status {
	nss, err := sys.Namespaces()
	if err != nil {
		t.Fatal(err)
	}
	st := &status.Status{Ready: true}
	for _, ns := range nss {
		if ns.Name == "" {
			continue
		}
		st.Add(status.Entry{Name: ns.Name, Mode: ns.Personality(), Size: ns.Size, Dev: ns.Dev,
			UUID: ns.UUID, Device: sys.DevicePath(&ns)}, status.Kept, "")
	}
	return st
}

func check(t *testing.T, sys *nvdimm.Sysfs, st *status.Status) []string {
	t.Helper()
	nss, err := sys.Namespaces()
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, err := range Check(sys, nss, st) {
		msgs = append(msgs, err.Error())
	}
	return msgs
}

func TestConsistentLayoutPasses(t *testing.T) {
	_, sys := fakeRamdax(t)
	if errs := check(t, sys, statusOf(t, sys)); len(errs) > 0 {
		t.Errorf("a consistent layout broke invariants: %v", errs)
	}
}

func TestBrokenInvariants(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(tr *nvdimmtest.Tree, st *status.Status)
		want    string
	}{
		{"duplicate name", func(tr *nvdimmtest.Tree, st *status.Status) {
			tr.ND("namespace0.3", "alt_name", "fs")
			st.Find("sec").Name = "fs"
		}, `name "fs" is on two namespaces, namespace0.0 and namespace0.3`},
		{"overlap", func(tr *nvdimmtest.Tree, _ *status.Status) {
			tr.ND("namespace0.1", "resource", fmt.Sprintf("%#x", 1<<30+64<<20))
		}, "namespace0.1 [0x44000000, 0x54000000) overlaps namespace0.0 [0x40000000, 0x48000000)"},
		{"size differs", func(_ *nvdimmtest.Tree, st *status.Status) {
			st.Find("fs").Size = 1 << 30
		}, "fs (namespace0.0): status.json says size 1073741824, sysfs says 130023424"},
		{"uuid differs", func(_ *nvdimmtest.Tree, st *status.Status) {
			st.Find("dd").UUID = "00000000-0000-4000-8000-000000000bad"
		}, "dd (namespace0.1): status.json says uuid 00000000-0000-4000-8000-000000000bad"},
		{"mode differs", func(_ *nvdimmtest.Tree, st *status.Status) {
			st.Find("dd").Mode = "devdax"
		}, "dd (namespace0.1): status.json says mode devdax, sysfs says system-ram"},
		{"not listed", func(_ *nvdimmtest.Tree, st *status.Status) {
			st.Namespaces = st.Namespaces[1:]
		}, `sysfs has namespace0.0 ("fs"), status.json does not list it`},
		{"listed, gone", func(_ *nvdimmtest.Tree, st *status.Status) {
			st.Add(status.Entry{Name: "ghost", Dev: "namespace0.9"}, status.Kept, "")
		}, "status.json lists ghost as namespace0.9, sysfs has no such namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, sys := fakeRamdax(t)
			st := statusOf(t, sys)
			tc.corrupt(tr, st)
			errs := check(t, sys, st)
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("got %q, want one error containing %q", errs, tc.want)
			}
		})
	}
}

func TestFailedEntriesDescribeTheAsk(t *testing.T) {
	_, sys := fakeRamdax(t)
	st := statusOf(t, sys)
	e := st.Find("fs")
	e.State, e.Mode, e.Size = status.Failed, "devdax", 1<<30
	if errs := check(t, sys, st); len(errs) > 0 {
		t.Errorf("a failed entry, which says what was asked, was compared with sysfs: %v", errs)
	}
}

func TestUntouched(t *testing.T) {
	before := map[string]Print{
		"db":    {Name: "db", Dev: "namespace0.0", UUID: "u1", Mode: "fsdax", Size: 1, Head: "h", Tail: "t"},
		"cache": {Name: "cache", Dev: "namespace0.1", UUID: "u2", Mode: "devdax", Size: 2, Head: "h", Tail: "t"},
	}
	after := map[string]Print{
		"db":    {Name: "db", Dev: "namespace0.3", UUID: "u1", Mode: "fsdax", Size: 1, Head: "h", Tail: "t"},
		"cache": {Name: "cache", Dev: "namespace0.1", UUID: "u2", Mode: "devdax", Size: 2, Head: "h", Tail: "changed"},
	}
	errs := Untouched(before, after, []string{"db", "cache", "gone"})
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "cache changed") || !strings.Contains(errs[1].Error(), "gone: no print") {
		t.Errorf("got %v, want cache changed and gone without a print (db only moved device name)", errs)
	}
}

func TestPrintsRoundTripThroughConsole(t *testing.T) {
	p := Print{Name: "db", Dev: "namespace0.0", UUID: "u", Mode: "fsdax", Size: 128 << 20, Head: "h", Tail: "t"}
	console := "[    1.0] EXT4-fs mounted\r\n" + FormatPrint(p) + "\r\nramdax: ready\r\n"
	got, err := ParsePrints(console)
	if err != nil || got["db"] != p {
		t.Errorf("ParsePrints(%q) = %v, %v; want db: %+v", console, got, err, p)
	}
}

func TestUntouchedLeavesTheEndsOfMountedNamespaces(t *testing.T) {
	before := map[string]Print{"db": {Name: "db", UUID: "u", Size: 1, Head: "h", Tail: "t", InUse: true}}
	after := map[string]Print{"db": {Name: "db", UUID: "u", Size: 1, Head: "superblock rewritten", Tail: "t", InUse: true}}
	if errs := Untouched(before, after, []string{"db"}); len(errs) > 0 {
		t.Errorf("a mounted namespace's superblock counted as a change: %v", errs)
	}
	after["db"] = Print{Name: "db", UUID: "other", Size: 1, Head: "h", Tail: "t", InUse: true}
	if errs := Untouched(before, after, []string{"db"}); len(errs) != 1 {
		t.Errorf("a mounted namespace's new uuid went unnoticed")
	}
}
