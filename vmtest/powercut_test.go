package vmtest

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestPowerCutRandom cuts power (SIGKILL) at a random moment of a first
// boot that sets a five-namespace layout up, over fresh file-backed RAM,
// then boots again: the second boot must converge to the whole layout.
// RAMDAX_FAULT_CUTS sets the number of cuts (default 5; `make test-faults`
// runs 50) and RAMDAX_FAULT_SEED replays a run; the seed is logged.
func TestPowerCutRandom(t *testing.T) {
	cuts := envInt(t, "RAMDAX_FAULT_CUTS", 5)
	seed := int64(envInt(t, "RAMDAX_FAULT_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("%d cuts, seed %d (RAMDAX_FAULT_SEED=%d replays them)", cuts, seed, seed)
	rng := rand.New(rand.NewSource(seed))
	initramfs := applianceImage(t, "")
	layout := WithCmdline(
		"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M",
		"ramdax.ns=journal:sector:32M", "ramdax.ns=scratch:raw:64M:region=1",
		"ramdax.ns=logs:fsdax:rest:region=1:fs=ext4:mount=/mnt/logs", "ramdax.then=poweroff")
	converged := 0
	for i := range cuts {
		delay := time.Duration(rng.Int63n(int64(1500 * time.Millisecond)))
		ok := t.Run(fmt.Sprintf("cut%d-after-%v", i, delay.Round(time.Millisecond)), func(t *testing.T) {
			opts := append(twoRegions, WithInitramfs(initramfs), layout,
				WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram")))
			cutAfter(t, delay, opts)
			vm := Start(t, "after-cut", opts...)
			defer vm.Wait()
			expectLines(t, vm, "ramdax: ready 5 namespaces (")
			rest, err := vm.Console.ExpectString("\n")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rest, "0 conflicts, 0 unmanaged)") {
				t.Errorf("did not converge after a cut %v into /init: ready 5 namespaces (%s", delay, rest)
			}
		})
		if ok {
			converged++
		}
	}
	t.Logf("power cuts: %d run, %d converged, seed %d", cuts, converged, seed)
}

// cutAfter boots and kills QEMU delay after the kernel starts /init.
func cutAfter(t *testing.T, delay time.Duration, opts []Option) {
	t.Helper()
	vm := Start(t, "cut", opts...)
	if _, err := vm.Console.ExpectString("Run /init as init process"); err != nil {
		t.Fatalf("no /init: %v", err)
	}
	time.Sleep(delay)
	vm.Kill()
	vm.Wait()
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}
