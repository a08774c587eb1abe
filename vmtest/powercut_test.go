package vmtest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestPowerCutDuringCreate kills QEMU (SIGKILL, as a power cut) right after
// each step of creating an fsdax namespace with a file system, then boots
// again over the same RAM: ramdaxinit must converge to the asked layout
// within that boot, with no conflict and nothing left unset.
//
// The cut points are the sysfs writes ramdax.debug logs, so each run cuts
// at the same place; the random cuts of the full fault suite complement
// them.
func TestPowerCutDuringCreate(t *testing.T) {
	initramfs := applianceImage(t, "")
	layout := []string{"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.debug", "ramdax.then=poweroff"}
	for _, cut := range []string{
		"/alt_name = ",     // label not yet committed
		"/holder_class = ", // claim class set, no size: no label yet
		"/size = ",         // label committed, claimed, no info block
		"/align = ",        // pfn seed half configured
		"ramdax: db: made ext4",
	} {
		t.Run(strings.Trim(cut, "/= "), func(t *testing.T) {
			ram := WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))
			opts := append(twoRegions, ram, WithInitramfs(initramfs), WithCmdline(layout...))
			cutAt(t, cut, opts)
			vm := Start(t, "after-cut", opts...)
			defer vm.Wait()
			expectLines(t, vm, "ramdax: ready 1 namespaces (")
			out, err := vm.Console.ExpectString("\n")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out, "conflict") && !strings.Contains(out, "0 conflicts") || strings.Contains(out, "not set up") {
				t.Errorf("after a cut at %q the next boot did not converge: ready 1 namespaces (%s", cut, out)
			}
		})
	}
}

// cutAt boots and kills QEMU as soon as the console shows marker.
func cutAt(t *testing.T, marker string, opts []Option) {
	t.Helper()
	vm := Start(t, "cut", opts...)
	if _, err := vm.Console.ExpectString(marker); err != nil {
		t.Fatalf("console never showed the cut point %q: %v", marker, err)
	}
	if err := vm.Kill(); err != nil {
		t.Fatal(fmt.Errorf("cut: %w", err))
	}
	vm.Wait()
}
