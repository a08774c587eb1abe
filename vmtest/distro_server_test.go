package vmtest

import (
	"strings"
	"testing"
)

// TestDistroGenericServer boots Debian's generic kernel (build/distro-generic,
// or $RAMDAX_DISTRO_GENERIC_DIR) with the distro image on the server
// machine's hardware: kmod.Coldplug, run by ramdaxinit after the nvdimm
// modules, must bring up the NVMe and SATA disks, the e1000e NIC and the
// USB keyboard, and node= must place namespaces on NUMA nodes as with the
// built-in kernel.
func TestDistroGenericServer(t *testing.T) {
	vmlinuz, modules := GenericDistroKernel(t)
	initramfs := applianceImage(t, modules)
	vm := Start(t, "distro-generic-server", append(ServerHardware(), WithKernel(vmlinuz), WithInitramfs(initramfs),
		WithCmdline(serverLayout))...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "ramdax: kmod: coldplug loaded ", " passes, 0 failed): ", serverReady)
	expectShell(t, vm)
	t.Run("numa", func(t *testing.T) { checkNUMA(t, vm) })
	t.Run("hardware", func(t *testing.T) { checkServerHardware(t, vm) })
	t.Run("keyboard", func(t *testing.T) {
		if out := shellOutput(t, vm, "ls /sys/bus/hid/drivers/hid-generic"); !strings.Contains(out, "0003:0627:0001") {
			t.Errorf("no USB keyboard bound to hid-generic:\n%s", out)
		}
	})
}

// TestDistroGenericNoCarveout boots Debian's generic kernel with no
// memmap=: there is nothing to set up, but the NIC still gets its driver.
func TestDistroGenericNoCarveout(t *testing.T) {
	vmlinuz, modules := GenericDistroKernel(t)
	vm := Start(t, "distro-generic-bare", WithQ35(), WithNIC("e1000e"), WithKernel(vmlinuz),
		WithInitramfs(applianceImage(t, modules)))
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "nothing to set up", "ramdax: kmod: coldplug loaded ")
	expectShell(t, vm)
	if out := shellOutput(t, vm, "ls -l /sys/class/net/eth0/device/driver"); !strings.Contains(out, "/drivers/e1000e") {
		t.Errorf("eth0's driver: %s, want e1000e", out)
	}
}
