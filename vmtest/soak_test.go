//go:build soak

package vmtest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Netflix/go-expect"
	"github.com/u-root/mkuimage/uimage"

	"github.com/ramdax/appliance/invariant"
)

// TestSoak kexecs RAMDAX_SOAK_CYCLES times (default 100) into the same
// kernel and image. The guest drives itself: ramdaxcheck, the console
// shell, verifies every soak namespace's data, writes the data of the one
// ramdaxinit just added, then removes a namespace or declares a new one
// and kexecs with that command line (guest/ramdaxcheck/soak.go).
// The host reads every cycle's verdict and holds each namespace that
// lived through a cycle to the fingerprint it had at the cycle before.
// `make soak` runs it; it is not part of `make test`.
func TestSoak(t *testing.T) {
	cycles := envInt(t, "RAMDAX_SOAK_CYCLES", 100)
	seed := time.Now().UnixNano() % 1e9
	t.Logf("%d cycles, seed %d", cycles, seed)
	kernel := BuiltinKernel(t)
	inner := checkImage(t)
	outer := checkImage(t, uimage.WithFiles(kernel+":boot/kernel", inner+":boot/initramfs.cpio"))
	vm := Start(t, "soak", WithKernel(kernel), WithInitramfs(outer), WithCarveout("540800K", "1G"),
		WithTimeout(time.Duration(cycles)*20*time.Second),
		WithCmdline("ramdax.ns=s0:raw:16M", "ramdaxtest.write=s0", fmt.Sprintf("ramdaxtest.soak=0/%d", cycles),
			fmt.Sprintf("ramdaxtest.seed=%d", seed)))
	defer vm.Wait()
	defer vm.Kill()

	var before map[string]invariant.Print
	verified, bytes := 0, 0
	for k := 0; k <= cycles; k++ {
		c := awaitCheck(t, vm)
		if !c.ok {
			t.Fatalf("cycle %d: %q", k, c.problems)
		}
		if !strings.Contains(c.ready, "0 conflicts, 0 unmanaged)") || strings.Contains(c.ready, "not set up") {
			t.Fatalf("cycle %d did not converge: %s", k, c.ready)
		}
		for _, err := range invariant.Untouched(before, c.prints, lived(before, c.prints)) {
			t.Errorf("cycle %d: %v", k, err)
		}
		before = c.prints
		verified += len(c.verified)
		bytes += c.bytes
		if k < cycles {
			logCycle(t, vm.Console, k)
		}
	}
	expectLines(t, vm, fmt.Sprintf("ramdaxcheck: soak done: %d cycles", cycles))
	t.Logf("soak: %d kexec cycles, %d namespace verifications, %d bytes verified, %d namespaces at the end, seed %d",
		cycles, verified, bytes, len(before), seed)
}

// lived are the namespaces in both prints: no one asked to change them.
func lived(before, after map[string]invariant.Print) []string {
	var names []string
	for name := range after {
		if _, ok := before[name]; ok {
			names = append(names, name)
		}
	}
	return names
}

var soakCycleLine = regexp.MustCompile(`ramdaxcheck: soak cycle \d+/\d+: [^;\r\n]*; kexec`)

// logCycle logs what cycle k changed before it kexecs.
func logCycle(t *testing.T, console *expect.Console, k int) {
	out, err := console.Expect(expect.Regexp(soakCycleLine))
	if err != nil {
		t.Fatalf("cycle %d: no kexec: %v", k, err)
	}
	t.Log(soakCycleLine.FindString(out))
}
