package vmtest

import "testing"

// TestBuiltinKernel boots the kernel from kernel-config/ with a tiny u-root
// initramfs and one carveout, and checks from inside the guest that RAMDAX
// is built in and sees the carveout.
func TestBuiltinKernel(t *testing.T) {
	RunGuestTests(t, []string{"github.com/ramdax/appliance/guest/kernel"},
		WithCarveout("512M", "1G"))
}
