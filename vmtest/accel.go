package vmtest

import (
	"sync"
	"testing"

	"github.com/ramdax/appliance/accel"
)

var (
	accelOnce sync.Once
	detected  string
)

// Accel returns the QEMU accelerator the harness uses, as package accel
// chooses it: "kvm" when a trial boot of kernel works under KVM, "tcg"
// otherwise; RAMDAX_ACCEL=kvm or tcg skips the trial. The answer is
// computed once per test binary.
func Accel(t testing.TB, kernel string) string {
	accelOnce.Do(func() { detected = accel.Detect(kernel) })
	t.Logf("QEMU accelerator: %s", detected)
	return detected
}
