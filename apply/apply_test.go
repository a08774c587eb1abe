package apply

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// fakeMedia records what apply does to namespace data, and answers
// Detect and FormatPending from its maps.
type fakeMedia struct {
	calls   []string
	fs      map[string]string // device: file system Detect finds
	pending map[string]bool   // device: carries the mark
	panicOn string            // a call that panics, like "Mkfs"
}

func (m *fakeMedia) call(format string, args ...any) {
	c := fmt.Sprintf(format, args...)
	m.calls = append(m.calls, c)
	if m.panicOn != "" && strings.HasPrefix(c, m.panicOn) {
		panic("fake media: " + c)
	}
}

func (m *fakeMedia) Wipe(device string, align uint64) error {
	m.call("Wipe %s", filepath.Base(device))
	return nil
}

func (m *fakeMedia) Detect(device string) (string, error) {
	m.call("Detect %s", filepath.Base(device))
	return m.fs[filepath.Base(device)], nil
}

func (m *fakeMedia) MarkPending(raw *os.File, uuid string) error {
	m.call("MarkPending %s", filepath.Base(raw.Name()))
	return nil
}

func (m *fakeMedia) FormatPending(device, uuid string) (bool, error) {
	m.call("FormatPending %s", filepath.Base(device))
	return m.pending[filepath.Base(device)], nil
}

func (m *fakeMedia) Mkfs(fs, device string) error {
	m.call("Mkfs %s %s", fs, filepath.Base(device))
	if m.fs == nil {
		m.fs = map[string]string{}
	}
	m.fs[filepath.Base(device)] = fs
	return nil
}

func (m *fakeMedia) Mount(device, dir, fs string) error {
	m.call("Mount %s %s", filepath.Base(device), dir)
	return nil
}

// logLines collects what apply logs.
type logLines []string

func (l *logLines) Printf(format string, args ...any)  { *l = append(*l, fmt.Sprintf(format, args...)) }
func (l *logLines) Detailf(format string, args ...any) { l.Printf(format, args...) }
func (l *logLines) Debugf(format string, args ...any)  {}

// rig is a fake ramdax system (see nvdimmtest.Ramdax: fsdax "fs" on
// pmem0, devdax "dd", an unnamed raw namespace, sector "sec", 112 MiB
// free) with apply pointed at it.
type rig struct {
	t     *testing.T
	tree  *nvdimmtest.Tree
	sys   *nvdimm.Sysfs
	w     *nvdimmtest.Writer
	media *fakeMedia
	log   logLines
}

func newRig(t *testing.T) *rig {
	tr := nvdimmtest.Ramdax(t)
	sys := nvdimm.New(tr.Root)
	sys.Dev, sys.Proc = t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(sys.Proc, "mounts"), nil, 0o644)
	w := tr.Kernel(sys.Dev)
	sys.Writer = w
	return &rig{t: t, tree: tr, sys: sys, w: w, media: &fakeMedia{}}
}

// run plans cmdline (after the fake's carveout) against the tree and
// applies it.
func (r *rig) run(cmdline string) *status.Status {
	r.t.Helper()
	lay, err := layout.Parse("memmap=540800K!1G " + cmdline)
	nss, bad, serr := r.sys.ScanNamespaces()
	regions, rerr := r.sys.Regions()
	if serr != nil || rerr != nil {
		r.t.Fatal(serr, rerr)
	}
	steps := reconcile.Plan(reconcile.Input{Layout: lay, Have: nss, Unreadable: bad, Regions: regions, CmdlineErrors: err != nil})
	st := &status.Status{}
	a := &Applier{Sys: r.sys, Media: r.media, Log: &r.log}
	a.Apply(steps, st)
	return st
}

func (r *rig) expect(st *status.Status, name, state, detail string) {
	r.t.Helper()
	e := st.Find(name)
	if e == nil {
		r.t.Fatalf("%s: not in the status %+v", name, st.Namespaces)
	}
	if e.State != state || !strings.Contains(e.Detail, detail) {
		r.t.Errorf("%s: %s (%q), want %s with a detail saying %q", name, e.State, e.Detail, state, detail)
	}
}

func (r *rig) expectMedia(want ...string) {
	r.t.Helper()
	if !slices.Equal(r.media.calls, want) {
		r.t.Errorf("media calls:\n%s\nwant:\n%s", strings.Join(r.media.calls, "\n"), strings.Join(want, "\n"))
	}
}

// expectNoWrites fails for any sysfs write but those of reading a
// namespace raw (force_raw, bind, unbind).
func (r *rig) expectNoWrites() {
	r.t.Helper()
	for _, w := range r.w.Writes {
		if !strings.Contains(w, "force_raw=") && !strings.Contains(w, "/bind=") && !strings.Contains(w, "/unbind=") {
			r.t.Errorf("unexpected sysfs write %s", w)
		}
	}
}

// expectNoWritesAtAll fails for any sysfs write.
func (r *rig) expectNoWritesAtAll() {
	r.t.Helper()
	if len(r.w.Writes) != 0 {
		r.t.Errorf("writes %q, want none", r.w.Writes)
	}
}

func (r *rig) logged(substr string) {
	r.t.Helper()
	for _, l := range r.log {
		if strings.Contains(l, substr) {
			return
		}
	}
	r.t.Errorf("log lacks %q:\n%s", substr, strings.Join(r.log, "\n"))
}

func TestCreateMarksWipesFormatsMounts(t *testing.T) {
	r := newRig(t)
	st := r.run("ramdax.ns=new:fsdax:64M:fs=ext4:mount=/mnt/new")
	r.expect(st, "new", status.Created, "")
	r.expectMedia("MarkPending pmem-namespace0.4", "Wipe pmem-pfn0.1", "Mkfs ext4 pmem-pfn0.1",
		"Detect pmem-pfn0.1", "Mount pmem-pfn0.1 /mnt/new")
	claim := slices.Index(r.w.Writes, "bus/nd/drivers/nd_pmem/bind=pfn0.1")
	raw := slices.Index(r.w.Writes, "bus/nd/devices/namespace0.4/force_raw=1")
	if raw < 0 || claim < raw {
		t.Errorf("the mark must be written through the raw namespace before the claim: writes %q", r.w.Writes)
	}
}

func TestKeptWithoutFileSystemIsNeverFormatted(t *testing.T) {
	r := newRig(t)
	st := r.run("ramdax.ns=fs:fsdax:128M:fs=ext4:mount=/mnt/fs")
	r.expect(st, "fs", status.Failed, "holds no ext4 file system (ramdaxinit formats only a namespace it creates): left as it is, not formatted and not mounted; to start it empty, add ramdax.reset=fs")
	r.expectMedia("FormatPending pmem0", "Detect pmem0")
	r.expectNoWrites()
	r.logged("error: fs: ")
	if got := st.ReadyLine(); !strings.Contains(got, "1 not set up") {
		t.Errorf("ready line %q does not count it", got)
	}
}

func TestKeptWithOtherFileSystemIsNotMounted(t *testing.T) {
	r := newRig(t)
	r.media.fs = map[string]string{"pmem0": "xfs"}
	st := r.run("ramdax.ns=fs:fsdax:128M:fs=ext4:mount=/mnt/fs")
	r.expect(st, "fs", status.Failed, "holds xfs, not the ext4 that fs= asks")
	r.expectMedia("FormatPending pmem0", "Detect pmem0")
}

func TestKeptWithItsFileSystemIsMounted(t *testing.T) {
	r := newRig(t)
	r.media.fs = map[string]string{"pmem0": "ext4"}
	st := r.run("ramdax.ns=fs:fsdax:128M:fs=ext4:mount=/mnt/fs")
	r.expect(st, "fs", status.Kept, "")
	r.expectMedia("FormatPending pmem0", "Detect pmem0", "Mount pmem0 /mnt/fs")
	r.expectNoWrites()
}

func TestKeptWithFormatPendingIsFormatted(t *testing.T) {
	r := newRig(t)
	r.media.pending = map[string]bool{"pmem0": true}
	st := r.run("ramdax.ns=fs:fsdax:128M:fs=ext4:mount=/mnt/fs")
	r.expect(st, "fs", status.Kept, "")
	r.expectMedia("FormatPending pmem0", "Mkfs ext4 pmem0", "Detect pmem0", "Mount pmem0 /mnt/fs")
	r.logged("fs: its file system was still to be made")
}

// cutShort adds an fsdax namespace "cut" whose label claims it (pfn) but
// which has no pfn device: a creation a power cut interrupted. raw is the
// content of its raw block device.
func (r *rig) cutShort(raw []byte) {
	r.tree.ND("namespace0.5", "size", "33554432", "uuid", "00000000-0000-4000-8000-000000000005", "alt_name", "cut",
		"holder", "", "holder_class", "pfn", "sector_size", "512 4096 ", "force_raw", "0", "resource", "0x5a000000")
	if err := os.WriteFile(filepath.Join(r.sys.Dev, "pmem-namespace0.5"), raw, 0o600); err != nil {
		r.t.Fatal(err)
	}
}

func TestCompleteWithForeignInfoBlockIsLeftAlone(t *testing.T) {
	r := newRig(t)
	raw := make([]byte, 64<<10)
	copy(raw[4096:], "NVDIMM_PFN_INFO\x00")
	r.cutShort(raw)
	st := r.run("ramdax.ns=cut:fsdax:32M:fs=ext4")
	r.expect(st, "cut", status.Conflict, "holds an info block the kernel did not accept (a pfn info block)")
	r.expectMedia()
	r.expectNoWrites()
	if got, _ := os.ReadFile(filepath.Join(r.sys.Dev, "pmem-namespace0.5")); string(got) != string(raw) {
		t.Errorf("the raw namespace changed")
	}
}

// A power cut while the kernel wrote the info block leaves the start of
// it: the signature and the claim uuid nvdimm derives from the label's.
func TestCompleteOverTornInfoBlock(t *testing.T) {
	r := newRig(t)
	raw := make([]byte, 64<<10)
	copy(raw[4096:], "NVDIMM_PFN_INFO\x00")
	claim, _ := hex.DecodeString(strings.ReplaceAll(nvdimm.ClaimUUID("00000000-0000-4000-8000-000000000005"), "-", ""))
	copy(raw[4096+16:], claim[:8])
	r.cutShort(raw)
	st := r.run("ramdax.ns=cut:fsdax:32M:fs=ext4")
	r.expect(st, "cut", status.Created, "")
	r.expectMedia("MarkPending pmem-namespace0.5", "Mkfs ext4 pmem-pfn0.1", "Detect pmem-pfn0.1")
}

func TestCompleteInPlaceWithoutWipe(t *testing.T) {
	r := newRig(t)
	r.cutShort(make([]byte, 64<<10))
	st := r.run("ramdax.ns=cut:fsdax:32M:fs=ext4")
	r.expect(st, "cut", status.Created, "")
	r.expectMedia("MarkPending pmem-namespace0.5", "Mkfs ext4 pmem-pfn0.1", "Detect pmem-pfn0.1")
	for _, w := range r.w.Writes {
		if strings.Contains(w, "namespace0.5/size=") {
			t.Errorf("completing in place must not reallocate: %s", w)
		}
	}
}

func TestResetThatDoesNotFitDestroysNothing(t *testing.T) {
	r := newRig(t)
	// fs is 128M; 112M are free elsewhere, and fs's own 128M lie apart.
	st := r.run("ramdax.ns=fs:fsdax:256M ramdax.reset=fs")
	r.expect(st, "fs", status.Failed, "ramdax.reset cannot make it again: needs 256M in region0, whose largest free extent is 128M")
	r.expect(st, "fs", status.Failed, "nothing was destroyed")
	r.expectNoWritesAtAll()
}

func TestResetThatFitsDestroysThenCreates(t *testing.T) {
	r := newRig(t)
	st := r.run("ramdax.ns=fs:raw:64M ramdax.reset=fs")
	r.expect(st, "fs", status.Created, "")
	size0 := slices.Index(r.w.Writes, "bus/nd/devices/namespace0.0/size=0")
	create := slices.Index(r.w.Writes, "bus/nd/devices/namespace0.4/size=67108864")
	if size0 < 0 || create < size0 {
		t.Errorf("want the old namespace freed, then the new one made: %q", r.w.Writes)
	}
	r.expectMedia("Wipe pmem-namespace0.4")
}

func TestUnreadableNamespaceHoldsCreates(t *testing.T) {
	r := newRig(t)
	os.Remove(filepath.Join(r.tree.Root, "bus/nd/devices/namespace0.2/alt_name"))
	st := r.run("ramdax.ns=new:raw:16M")
	r.expect(st, "new", status.Skipped, "namespace0.2 in region0 cannot be read")
	r.expect(st, "namespace0.2", status.Failed, "alt_name")
	r.expectNoWritesAtAll()
}

func TestRejectedDeclarationIsAConflict(t *testing.T) {
	r := newRig(t)
	st := r.run("ramdax.ns=fs:fsdax:1G")
	r.expect(st, "fs", status.Conflict, "its ramdax.ns was rejected (needs 1G")
	if n := st.Count(status.Unmanaged); n != 3 {
		t.Errorf("%d unmanaged, want the 3 undeclared ones", n)
	}
}

func TestPanicFailsOneStep(t *testing.T) {
	r := newRig(t)
	r.media.panicOn = "Wipe"
	r.media.fs = map[string]string{"pmem0": "ext4"}
	st := r.run("ramdax.ns=new:raw:16M ramdax.ns=fs:fsdax:128M:fs=ext4:mount=/mnt/fs")
	r.expect(st, "new", status.Failed, "internal error: fake media: Wipe")
	r.expect(st, "fs", status.Kept, "")
}

func TestConflictIsLeftAlone(t *testing.T) {
	r := newRig(t)
	st := r.run("ramdax.ns=fs:fsdax:64M:fs=ext4:mount=/mnt/fs")
	r.expect(st, "fs", status.Conflict, "size is 128M, asked 64M; data left alone: add ramdax.reset=fs")
	if e := st.Find("fs"); e.Device == "" || e.Size != 130023424 {
		t.Errorf("status %+v, want what exists: the device and its usable size", e)
	}
	r.expectMedia()
	r.expectNoWrites()
}
