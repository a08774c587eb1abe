package vmtest

import (
	"path/filepath"
	"testing"
)

// TestDistroGenericServer boots Debian's generic kernel (build/distro-generic,
// or $RAMDAX_DISTRO_GENERIC_DIR) with the distro image on a q35 machine
// with an NVMe drive, an e1000e NIC and a USB keyboard: kmod.Coldplug, run
// by ramdaxinit after the nvdimm modules, must bring them all up.
func TestDistroGenericServer(t *testing.T) {
	const makeCmd = "make distro-kernel"
	dir := artifact(t, "RAMDAX_DISTRO_GENERIC_DIR", "build/distro-generic", makeCmd)
	vmlinuz := artifact(t, "", filepath.Join(dir, "vmlinuz"), makeCmd)
	initramfs := applianceImage(t, filepath.Join(dir, "modules"))
	vm := Start(t, "distro-generic-server", WithQ35(), WithNVMe(64), WithNIC("e1000e"), WithUSBKeyboard(),
		WithKernel(vmlinuz), WithInitramfs(initramfs), WithCarveout("540800K", "1G"),
		WithCmdline("ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db"))
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "ramdax: kmod: coldplug loaded ", " passes, 0 failed): ", "ramdax: ready 1 namespaces (1 created, 0 kept, 0 conflicts, 0 unmanaged)")
	expectShell(t, vm)
	for _, check := range []struct{ cmd, want string }{
		{"ls /sys/block", "nvme0n1"},
		{"ls -l /sys/class/net/eth0/device/driver", "/drivers/e1000e"},
		{"ls /sys/bus/hid/drivers/hid-generic", "0003:0627:0001"},
	} {
		sendLine(t, vm, check.cmd)
		expectLines(t, vm, check.want)
	}
}
