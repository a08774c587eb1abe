// Package roundtrip is an outside user of the RAMDAX appliance's test
// harness: a module of its own that boots a layout with an fsdax and a
// devdax namespace, writes through mmap on both, reboots with RAM kept and
// reads everything back. The in-guest half is ./pmemtests.
package roundtrip

import (
	"path/filepath"
	"testing"

	"github.com/ramdax/appliance/vmtest"
)

// layout is one 528 MiB carveout at 1 GiB holding a DAX-mounted ext4 and a
// devdax device, written as on a node's command line.
const layout = "memmap=540800K!1G " +
	"ramdax.ns=db:fsdax:256M:fs=ext4:mount=/mnt/db " +
	"ramdax.ns=fast:devdax:128M"

func TestRoundTrip(t *testing.T) {
	// The guest's RAM lives in this file, so that it outlives each boot,
	// as across a warm reset.
	ram := vmtest.WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))

	// The appliance itself creates the layout, then powers off.
	vm := vmtest.StartAppliance(t, vmtest.WithLayout(layout+" ramdax.then=poweroff"), ram)
	if err := vm.Wait(); err != nil {
		t.Fatalf("first boot: %v", err)
	}

	for _, phase := range []string{"write", "read"} {
		t.Run(phase, func(t *testing.T) {
			vmtest.RunGuestTests(t, []string{"./pmemtests"}, vmtest.WithLayout(layout), ram,
				vmtest.WithCmdline("roundtrip.phase="+phase))
		})
		if t.Failed() {
			return
		}
	}
}
