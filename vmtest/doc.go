// Package vmtest boots RAMDAX machines in QEMU for tests: this project's
// own suites, and those of any other module that needs a real kernel with
// persistent-memory namespaces set up, such as a database on fsdax or a VM
// manager on devdax.
//
// It is a thin, typed layer over github.com/hugelgupf/vmtest: a Machine
// describes the guest (kernel, initramfs, memory, memmap= carveouts or a
// whole layout, file-backed RAM that outlives QEMU, server hardware, or a
// firmware boot from an ISO or the network, on BIOS or UEFI), Options
// change it, and three entry points boot it:
//
//	StartAppliance  boots the appliance, ramdaxinit as PID 1, and returns the VM at the ready line
//	RunGuestTests   runs the caller's Go tests inside the guest, verdicts over the console
//	Start           boots any initramfs and returns the VM, for tests that drive the console
//
// A test from another module:
//
//	func TestOnPmem(t *testing.T) {
//		vmtest.RunGuestTests(t, []string{"./pmemtests"}, vmtest.WithLayout(
//			"memmap=540800K!1G ramdax.ns=db:fsdax:256M:fs=ext4:mount=/mnt/db"))
//	}
//
// where ./pmemtests holds tests with the vmguest build tag that find the
// namespace db with github.com/ramdax/appliance/guest.
//
// The kernel is $VMTEST_KERNEL, else $RAMDAX_KERNEL, else build/kernel in
// this module's source when `make kernel` made it, else one BuildKernel
// builds on demand into the cache. The appliance initramfs is built with
// mkuimage from this module's source, wherever the caller's build finds it,
// and cached by content (ApplianceInitramfs). Debian's kernels for
// WithDistroKernel come from `make distro-kernel` or $RAMDAX_DISTRO_DIR.
//
// Every boot uses KVM when a trial boot shows it works and TCG otherwise
// (package accel), writes the serial console to the test log and to a
// file that is kept when the test fails, and takes its timeout from one
// place (Timeout). A missing QEMU or kernel fails the test with what to
// run; nothing skips silently.
package vmtest
