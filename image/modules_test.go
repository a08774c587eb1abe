package image

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestModulesGeneric checks what an image for Debian's generic kernel,
// unpacked by kernel-config/distro.sh into build/distro-generic, packs.
func TestModulesGeneric(t *testing.T) {
	dir := "../build/distro-generic/modules"
	if _, err := os.Stat(filepath.Join(dir, "modules.dep")); err != nil {
		t.Skipf("no generic distro modules: %v", err)
	}
	names, err := Modules(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ramdax", "nvme", "ahci", "e1000e", "mlx5_core", "xhci_pci", "usbhid", "8250_exar"} {
		if !slices.Contains(names, want) {
			t.Errorf("Modules lacks %s: %v", want, names)
		}
	}
	// Built in: efifb, simplefb, fbcon, 8250_pci.
	for _, builtin := range []string{"efifb", "fbcon", "8250_pci"} {
		if slices.Contains(names, builtin) {
			t.Errorf("Modules has built-in %s", builtin)
		}
	}
	files, err := ModuleFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var guest []string
	for _, f := range files {
		_, g, _ := strings.Cut(f, ":")
		guest = append(guest, g)
	}
	for _, want := range []string{"modules.alias", "modules.dep", "kernel/drivers/nvme/host/nvme-core.ko.xz", "kernel/drivers/ata/libata.ko.xz", "kernel/drivers/usb/core/usbcore.ko.xz"} {
		if !slices.ContainsFunc(guest, func(g string) bool { return strings.HasSuffix(g, "/"+want) }) {
			t.Errorf("ModuleFiles lacks %s", want)
		}
	}
	extra := slices.DeleteFunc(slices.Clone(guest), func(g string) bool { return matchesAny(g, Declared(true)) })
	if len(extra) > 0 {
		t.Errorf("files beyond Declared(true): %v", extra)
	}
	t.Logf("%d modules named, %d files", len(names), len(files))
}
