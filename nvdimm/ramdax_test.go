package nvdimm

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
	"golang.org/x/sys/unix"
)

const e820Rel = "bus/platform/devices/e820_pmem"

// builtinE820 returns a tree where nd_e820 owns e820_pmem, and a writer
// whose binds move the driver link.
func builtinE820(t *testing.T) (*Sysfs, *nvdimmtest.Tree, *nvdimmtest.Writer) {
	tr := nvdimmtest.Ramdax(t)
	tr.ND("ndbus0", "provider", "e820")
	tr.Bind(e820Rel, "e820_pmem")
	w := &nvdimmtest.Writer{Root: tr.Root}
	w.OnWrite = func(rel, value string) {
		switch rel {
		case "bus/platform/drivers/ramdax/bind":
			tr.Bind(e820Rel, "ramdax")
			tr.ND("ndbus0", "provider", "ramdax")
		case "bus/platform/drivers/e820_pmem/unbind":
			tr.Unbind(e820Rel)
		}
	}
	s := New(tr.Root)
	s.Writer = w
	return s, tr, w
}

func TestBindRamdaxTakesOverBuiltinE820(t *testing.T) {
	s, _, w := builtinE820(t)
	bus, err := s.BindRamdax()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bus/platform/devices/e820_pmem/driver_override=ramdax",
		"bus/platform/drivers/e820_pmem/unbind=e820_pmem",
		"bus/platform/drivers/ramdax/bind=e820_pmem",
	}
	if !slices.Equal(w.Writes, want) {
		t.Errorf("writes %v, want %v", w.Writes, want)
	}
	if bus.Dev != "ndbus0" || bus.Provider != "ramdax" {
		t.Errorf("bus = %+v", bus)
	}
}

func TestBindRamdaxIsIdempotent(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	w := &nvdimmtest.Writer{Root: tr.Root}
	s := New(tr.Root)
	s.Writer = w
	for range 2 {
		if _, err := s.BindRamdax(); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.Writes) > 0 {
		t.Errorf("wrote %v although ramdax owned e820_pmem", w.Writes)
	}
}

func TestBindRamdaxFailureGivesDeviceBack(t *testing.T) {
	s, _, w := builtinE820(t)
	w.Fail = map[string]error{"drivers/ramdax/bind": unix.ENXIO}
	_, err := s.BindRamdax()
	if !errors.Is(err, unix.ENXIO) || !strings.Contains(err.Error(), "bind e820_pmem to ramdax") {
		t.Errorf("err = %v, want ENXIO from the ramdax bind", err)
	}
	if !slices.Contains(w.Writes, "bus/platform/drivers/e820_pmem/bind=e820_pmem") {
		t.Errorf("e820_pmem was not given back: %v", w.Writes)
	}
}

func TestModularRamdaxOnlySetsOverride(t *testing.T) {
	s, tr, w := builtinE820(t)
	tr.Unbind(e820Rel)
	if err := os.RemoveAll(s.Path("bus/platform/drivers/ramdax")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRamdaxOverride(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BindRamdax(); err == nil || !strings.Contains(err.Error(), "load ramdax.ko") {
		t.Errorf("BindRamdax before ramdax.ko loaded: err = %v", err)
	}
	want := []string{"bus/platform/devices/e820_pmem/driver_override=ramdax"}
	if !slices.Equal(w.Writes, want) {
		t.Errorf("writes %v, want %v", w.Writes, want)
	}
}

func TestNoCarveoutSaysMemmap(t *testing.T) {
	s := New(t.TempDir())
	if err := s.SetRamdaxOverride(); err == nil || !strings.Contains(err.Error(), "memmap=") {
		t.Errorf("err = %v, want a hint about memmap=", err)
	}
}
