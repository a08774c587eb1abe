package nvdimm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOnRamdax tells a ramdax namespace from a real NVDIMM's on another
// bus, by where the kernel puts their devices: bus/nd/devices holds links
// into each bus's tree.
func TestOnRamdax(t *testing.T) {
	root := t.TempDir()
	devices := map[string]string{
		"ndbus0":       "devices/platform/e820_pmem/ndbus0",
		"namespace0.0": "devices/platform/e820_pmem/ndbus0/region0/namespace0.0",
		"ndbus1":       "devices/LNXSYSTM:00/ACPI0012:00/ndbus1",
		"namespace1.0": "devices/LNXSYSTM:00/ACPI0012:00/ndbus1/region1/namespace1.0",
	}
	for name, dir := range devices {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(root, "bus/nd/devices", name)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("../../..", dir), link); err != nil {
			t.Fatal(err)
		}
	}
	for bus, provider := range map[string]string{"ndbus0": "ramdax", "ndbus1": "ACPI.NFIT"} {
		if err := os.WriteFile(filepath.Join(root, devices[bus], "provider"), []byte(provider+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := New(root)
	for dev, want := range map[string]bool{"namespace0.0": true, "namespace1.0": false} {
		if got, err := s.OnRamdax(dev); err != nil || got != want {
			t.Errorf("OnRamdax(%s) = %v, %v; want %v", dev, got, err, want)
		}
	}
	if _, err := s.OnRamdax("namespace9.0"); err == nil {
		t.Error("OnRamdax(namespace9.0), which does not exist: no error")
	}
}
