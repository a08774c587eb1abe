package nvdimm

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
	"golang.org/x/sys/unix"
)

// fakeKernel returns a Sysfs over a ramdax tree whose writer scripts the
// few kernel reactions that create and destroy depend on.
func fakeKernel(t *testing.T) (*Sysfs, *nvdimmtest.Tree, *nvdimmtest.Writer) {
	tr := nvdimmtest.Ramdax(t)
	w := &nvdimmtest.Writer{Root: tr.Root}
	w.OnWrite = func(rel, value string) {
		nd := "bus/nd/devices/" + value
		switch {
		case strings.HasSuffix(rel, "/namespace") && value != "":
			// The claim is recorded when the seed names the namespace.
			tr.ND(value, "holder", filepath.Base(filepath.Dir(rel)))
		case rel == "bus/nd/drivers/nd_pmem/bind", rel == "bus/nd/drivers/dax_pmem/bind":
			tr.Bind(nd, filepath.Base(filepath.Dir(rel)))
			tr.Dir(nd + "/block/pmem0.4")
		case strings.HasSuffix(rel, "/unbind"):
			tr.Unbind(nd)
		}
	}
	s := New(tr.Root)
	s.Writer = w
	s.Dev = t.TempDir()
	s.Proc = t.TempDir()
	return s, tr, w
}

// uuidPattern finds the random (version 4) uuids in recorded writes.
var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

// writesWithoutUUIDs hides random uuids in recorded writes as UUID, and
// the claim uuid derived from a namespace uuid as CLAIM(UUID).
func writesWithoutUUIDs(w *nvdimmtest.Writer) []string {
	var out []string
	claims := map[string]bool{}
	for _, wr := range w.Writes {
		for _, u := range uuidPattern.FindAllString(wr, -1) {
			claims[ClaimUUID(u)] = true
		}
		for c := range claims {
			wr = strings.ReplaceAll(wr, c, "CLAIM(UUID)")
		}
		out = append(out, uuidPattern.ReplaceAllString(wr, "UUID"))
	}
	return out
}

func TestCreateFsdaxWriteOrder(t *testing.T) {
	s, _, w := fakeKernel(t)
	ns, err := s.CreateNamespace(NamespaceSpec{Region: "0", Mode: ModeFsdax, Name: "data", Size: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bus/nd/devices/namespace0.4/uuid=UUID",
		"bus/nd/devices/namespace0.4/alt_name=data",
		"bus/nd/devices/namespace0.4/holder_class=pfn",
		"bus/nd/devices/namespace0.4/size=33554432",
		"bus/nd/devices/pfn0.1/uuid=CLAIM(UUID)",
		"bus/nd/devices/pfn0.1/mode=pmem",
		"bus/nd/devices/pfn0.1/align=2097152",
		"bus/nd/devices/pfn0.1/namespace=namespace0.4",
		"bus/nd/drivers/nd_pmem/bind=pfn0.1",
	}
	if got := writesWithoutUUIDs(w); !slices.Equal(got, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := s.DevicePath(ns), filepath.Join(s.Dev, "pmem0.4"); got != want {
		t.Errorf("device path %q, want %q", got, want)
	}
	if ns.Mode != ModeFsdax || ns.Name != "data" || ns.Map != MapDev || ns.Align != DefaultAlign {
		t.Errorf("read back %+v", ns)
	}
}

func TestCreateSectorConfiguresBTT(t *testing.T) {
	s, _, w := fakeKernel(t)
	if _, err := s.CreateNamespace(NamespaceSpec{Region: "region0", Mode: ModeSector, Size: 16 << 20}); err != nil {
		t.Fatal(err)
	}
	got := writesWithoutUUIDs(w)
	want := []string{
		"bus/nd/devices/namespace0.4/uuid=UUID",
		"bus/nd/devices/namespace0.4/holder_class=btt",
		"bus/nd/devices/namespace0.4/size=16777216",
		"bus/nd/devices/btt0.1/uuid=CLAIM(UUID)",
		"bus/nd/devices/btt0.1/sector_size=4096",
		"bus/nd/devices/btt0.1/namespace=namespace0.4",
		"bus/nd/drivers/nd_pmem/bind=btt0.1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCreateENOSPCExplainsRegionSpace(t *testing.T) {
	s, _, w := fakeKernel(t)
	w.Fail = map[string]error{"namespace0.4/size": unix.ENOSPC}
	_, err := s.CreateNamespace(NamespaceSpec{Region: "region0", Mode: ModeFsdax, Size: 256 << 20})
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("err = %v, want one that wraps ENOSPC", err)
	}
	for _, part := range []string{`namespace0.4/size "268435456"`, "ENOSPC", "region0 has 112 MiB available", "256 MiB asked"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not say %q", err, part)
		}
	}
	var ae *AttrError
	if !errors.As(err, &ae) || ae.Errno() != unix.ENOSPC || ae.Value != "268435456" {
		t.Errorf("error %#v is not an AttrError for size=268435456", err)
	}
	// The uuid was written, so rollback must free the allocation again.
	if !slices.Contains(w.Writes, "bus/nd/devices/namespace0.4/size=0") {
		t.Errorf("no rollback size=0 in %v", w.Writes)
	}
}

func TestCreateMisalignedSizeNamesRegionAlign(t *testing.T) {
	s, _, w := fakeKernel(t)
	w.Fail = map[string]error{"namespace0.4/size": unix.EINVAL}
	_, err := s.CreateNamespace(NamespaceSpec{Region: "region0", Mode: ModeRaw, Size: 20 << 20})
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "align 16 MiB") {
		t.Errorf("err = %v, want EINVAL naming the 16 MiB align", err)
	}
}

func TestCreateBindFailureReportsProbeErrno(t *testing.T) {
	s, _, w := fakeKernel(t)
	w.Fail = map[string]error{"dax_pmem/bind": unix.ENXIO}
	_, err := s.CreateNamespace(NamespaceSpec{Region: "region0", Mode: ModeDevdax, Size: 16 << 20})
	if !errors.Is(err, unix.ENXIO) || !strings.Contains(err.Error(), "bind dax0.1 to dax_pmem") {
		t.Errorf("err = %v, want ENXIO from binding dax0.1", err)
	}
	if !slices.Contains(w.Writes, "bus/nd/devices/dax0.1/namespace=") {
		t.Errorf("rollback did not release the dax claim: %v", w.Writes)
	}
}

func TestCreateRejectsBadSpecsBeforeWriting(t *testing.T) {
	for _, spec := range []NamespaceSpec{
		{Mode: "memory"},
		{Mode: ModeFsdax, Map: "disk"},
		{Mode: ModeFsdax, Size: 8 << 20},
		{Mode: ModeRaw, Align: 4096},
		{Name: strings.Repeat("n", 64)},
	} {
		s, _, w := fakeKernel(t)
		if _, err := s.CreateNamespace(spec); err == nil || len(w.Writes) > 0 {
			t.Errorf("CreateNamespace(%+v) = %v after %d writes; want an error and no writes", spec, err, len(w.Writes))
		}
	}
}

func TestCreateLogsEveryWrite(t *testing.T) {
	s, _, w := fakeKernel(t)
	var logged []string
	s.Logf = func(format string, args ...any) { logged = append(logged, format) }
	if _, err := s.CreateNamespace(NamespaceSpec{Region: "region0", Mode: ModeRaw, Size: 16 << 20}); err != nil {
		t.Fatal(err)
	}
	if len(logged) != len(w.Writes) {
		t.Errorf("logged %d lines for %d writes", len(logged), len(w.Writes))
	}
}

func TestAttrErrorMessage(t *testing.T) {
	err := newAttrError("namespace0.1/alt_name", "x", &os.PathError{Op: "write", Path: "p", Err: unix.EBUSY})
	want := `write namespace0.1/alt_name "x": EBUSY (device or resource busy): attributes are locked while the device is enabled or claimed; disable it first`
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
	if !errors.Is(err, unix.EBUSY) {
		t.Error("errors.Is(err, EBUSY) is false")
	}
}

// TestCreateRefusesSeedInUse: with the label area full the kernel can
// leave namespace_seed naming a namespace in use. Nothing may be written
// to it, not even a rollback.
func TestCreateRefusesSeedInUse(t *testing.T) {
	s, tr, w := fakeKernel(t)
	tr.ND("region0", "namespace_seed", "namespace0.0")
	tr.ND("nmem0", "available_slots", "0")
	_, err := s.CreateNamespace(NamespaceSpec{Region: "region0", Mode: ModeRaw, Size: 16 << 20})
	if err == nil || !strings.Contains(err.Error(), "namespace0.0, which is in use") || !strings.Contains(err.Error(), "label area is full") {
		t.Fatalf("err = %v, want the seed in use and the full label area named", err)
	}
	for _, wr := range w.Writes {
		if strings.Contains(wr, "namespace0.0/") {
			t.Errorf("wrote %s to the namespace in use", wr)
		}
	}
}
