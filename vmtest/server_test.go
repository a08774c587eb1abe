package vmtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hugelgupf/vmtest/qemu"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/release"
)

// serverLayout has a carveout on each NUMA node of ServerMachine (node 0
// holds the first GiB of RAM, node 1 the second) and places a namespace
// on each by node.
const serverLayout = "memmap=262272K!512M memmap=262272K!1536M " +
	"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db:node=1 ramdax.ns=cache:devdax:128M:node=0"

const serverReady = "ramdax: ready 2 namespaces (2 created, 0 kept, 0 conflicts, 0 unmanaged)"

// TestServer boots the ISO on UEFI on a server machine (ServerMachine)
// and checks what an operator of one sees: NUMA placement, the disks and
// the NIC, the screen and its USB keyboard, and the second serial port.
func TestServer(t *testing.T) {
	kernel, initramfs := releaseFiles(t)
	iso := filepath.Join(t.TempDir(), release.ISOFile)
	if err := image.WriteISO(iso, kernel, initramfs, serverLayout); err != nil {
		t.Fatal(err)
	}
	t.Run("uefi-iso", func(t *testing.T) {
		mon := NewMonitor(t)
		vm := Start(t, "server", append(ServerMachine(), WithCDROM(iso), WithMonitor(mon), WithTimeout(6*time.Minute))...)
		defer vm.Wait()
		defer vm.Kill()
		expectLines(t, vm, "RAMDAX appliance")
		pressEnter(t, vm)
		expectLines(t, vm, invariantsHeld, serverReady)
		expectShell(t, vm)
		t.Run("numa", func(t *testing.T) { checkNUMA(t, vm) })
		t.Run("hardware", func(t *testing.T) { checkServerHardware(t, vm) })
		t.Run("screen", func(t *testing.T) { checkScreen(t, mon) })
	})
	t.Run("ttyS1", func(t *testing.T) { checkSecondUART(t, kernel, initramfs) })
}

// checkNUMA reads status.json: the regions are on nodes 0 and 1, and each
// namespace is on the region of the node it asked for.
func checkNUMA(t *testing.T, vm *qemu.VM) {
	st := readStatus(t, vm)
	nodeOf := map[string]int{}
	for _, r := range st.Regions {
		if r.NumaNode != nil {
			nodeOf[r.Dev] = *r.NumaNode
		}
	}
	if len(nodeOf) != 2 || nodeOf["region0"] != 0 || nodeOf["region1"] != 1 {
		t.Errorf("regions on nodes %v, want region0 on node 0 and region1 on node 1", nodeOf)
	}
	// namespaceN.M is on regionN.
	for name, want := range map[string]string{"db": "namespace1.", "cache": "namespace0."} {
		if e := st.Find(name); e == nil || !strings.HasPrefix(e.Dev, want) {
			t.Errorf("namespace %s: %+v, want it on %s*", name, e, want)
		}
	}
}

// checkServerHardware checks that the NVMe and SATA disks are block
// devices and the NIC is bound to e1000e.
func checkServerHardware(t *testing.T, vm *qemu.VM) {
	blocks := shellOutput(t, vm, "ls -l /sys/block")
	for _, want := range []string{"nvme0n1 -> ", "/nvme/nvme0/nvme0n1", "sda -> ", "/ata"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("/sys/block has no %q:\n%s", want, blocks)
		}
	}
	driver := shellOutput(t, vm, "ls -l /sys/class/net/eth0/device/driver")
	if !strings.Contains(driver, "/drivers/e1000e") {
		t.Errorf("eth0's driver: %s, want e1000e", driver)
	}
}

// checkScreen reads the screen as an operator at a BMC's remote console
// would: the ready line is on it, and a command typed on the USB keyboard
// runs there.
func checkScreen(t *testing.T, mon *Monitor) {
	const typed, output = "uname -m", "x86_64"
	shot := mon.Screenshot(t, "screen-ready.png")
	before := ReadScreen(t, shot)
	// Without the prefix: OCR was seen to read ramdax as randax.
	if !ScreenShows(before, strings.TrimPrefix(serverReady, "ramdax: ")) {
		t.Errorf("the screen (%s) does not show the ready line; OCR read:\n%s", shot, before)
	}
	if ScreenShows(before, output) {
		t.Fatalf("the screen shows %q before the command ran; OCR read:\n%s", output, before)
	}
	mon.Type(t, typed+"\n")
	deadline := time.Now().Add(Timeout(30 * time.Second))
	for {
		shot := mon.Screenshot(t, "screen-typed.png")
		after := ReadScreen(t, shot)
		if ScreenShows(after, typed) && ScreenShows(after, output) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q typed on the USB keyboard: the screen (%s) never showed %q; OCR read:\n%s", typed, shot, output, after)
		}
		time.Sleep(time.Second)
	}
}

// checkSecondUART boots the server machine with console=ttyS1 alone, as
// serial-over-LAN on a BMC's second UART is set up: the ready line must
// come out of that port.
func checkSecondUART(t *testing.T, kernel, initramfs string) {
	uart := filepath.Join(t.TempDir(), "ttyS1.log")
	vm := Start(t, "server-ttyS1", WithQ35(), WithNUMANode(1024, 1), WithNUMANode(1024, 1),
		WithKernel(kernel), WithInitramfs(initramfs), WithSecondUART(uart), WithConsoles("ttyS1"),
		WithCmdline(serverLayout, "ramdax.then=poweroff"))
	if err := vm.Wait(); err != nil {
		t.Fatalf("VM: %v", err)
	}
	out, err := os.ReadFile(uart)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), serverReady) {
		t.Errorf("ttyS1 never showed %q; it showed:\n%s", serverReady, out)
	}
}
