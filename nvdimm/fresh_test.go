package nvdimm

import (
	"path/filepath"
	"testing"

	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
)

// TestSoleWriterReadsAgainOnlyWhatItChanged changes the fake tree behind
// the back of a Sysfs that is the sole writer: a namespace it read is
// not read again until a write through it reaches the namespace, its
// claim or its driver, or a write elsewhere makes every read stale.
func TestSoleWriterReadsAgainOnlyWhatItChanged(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	s := New(tr.Root)
	s.Writer = tr.Kernel(t.TempDir())
	s.SoleWriter = true
	if err := s.WaitProbe(); err != nil {
		t.Fatal(err)
	}
	read := func(dev string) *Namespace {
		t.Helper()
		ns, err := s.Namespace(dev)
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	name := func(dev string) string { return read(dev).Name }
	align := func(dev string) uint64 { return read(dev).Align }

	name("namespace0.2")
	tr.ND("namespace0.2", "alt_name", "behind")
	if got := name("namespace0.2"); got != "" {
		t.Errorf("read again with no write through s: name %q, want the first read's", got)
	}
	if err := s.writeAttr("namespace0.2", "alt_name", "mine"); err != nil {
		t.Fatal(err)
	}
	if got := name("namespace0.2"); got != "mine" {
		t.Errorf("after a write to it: name %q, want %q", got, "mine")
	}

	// namespace0.0 is claimed by pfn0.0: a write to the claim reaches it.
	align("namespace0.0")
	tr.ND("pfn0.0", "align", "4096")
	if got := align("namespace0.0"); got != 2<<20 {
		t.Errorf("read again with no write through s: align %d, want the first read's", got)
	}
	if err := s.writeAttr("pfn0.0", "align", "65536"); err != nil {
		t.Fatal(err)
	}
	if got := align("namespace0.0"); got != 65536 {
		t.Errorf("after a write to its claim: align %d, want 65536", got)
	}

	// An unbind through the driver reaches the namespace the claim holds.
	if err := s.write(filepath.Join(tr.Root, "bus/nd/drivers/nd_pmem/unbind"), "pfn0.0"); err != nil {
		t.Fatal(err)
	}
	if ns, err := s.Namespace("namespace0.0"); err != nil || ns.State != StateDisabled {
		t.Errorf("after its claim's unbind: %+v, %v; want it disabled", ns, err)
	}

	// A write outside the nd bus may change anything.
	name("namespace0.3")
	tr.ND("namespace0.3", "alt_name", "renamed")
	if err := s.write(filepath.Join(tr.Root, "bus/platform/devices/e820_pmem/driver_override"), "ramdax"); err != nil {
		t.Fatal(err)
	}
	if got := name("namespace0.3"); got != "renamed" {
		t.Errorf("after a write outside the nd bus: name %q, want %q", got, "renamed")
	}

	// Without SoleWriter every read is a read.
	s.SoleWriter = false
	tr.ND("namespace0.3", "alt_name", "again")
	if got := name("namespace0.3"); got != "again" {
		t.Errorf("without SoleWriter: name %q, want %q", got, "again")
	}
}
