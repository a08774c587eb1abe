package vmtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Netflix/go-expect"
	"github.com/hugelgupf/vmtest/qemu"
)

// osLayout is the node's OS's /etc/ramdax/bootconfig: the appliance's
// layout, and a namespace only the OS declares.
const osLayout = "ramdax.ns = db:fsdax:128M:fs=ext4:mount=/mnt/db, cache:devdax:64M, scratch:raw:32M\n"

// TestHandoverKexec boots the node's real OS from the appliance: a first
// boot of the appliance creates the layout and writes a file; the second,
// with ramdax.then=kexec, keeps it and kexecs into Debian (systemd,
// Debian's 7.x cloud kernel, a modular ramdax) on an NVMe disk, found
// from its grub.cfg. There ramdax.service runs `ramdaxinit apply`, which
// takes the carveouts over, keeps both namespaces with their data,
// creates the one only the OS declares, and mounts the fsdax one with
// DAX; udev's rule gives the names again after they are removed.
func TestHandoverKexec(t *testing.T) {
	disk := osDisk(t, osLayout)
	initramfs := applianceImage(t, "")
	base := createKexecLayout(t, "handover-create", initramfs, "kept-into-debian")

	start := time.Now()
	vm := Start(t, "handover-kexec", append(base, WithDiskImage("nvme", disk), WithCmdline("ramdax.then=kexec"),
		WithTimeout(8*time.Minute))...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "ramdax: ready 2 namespaces (0 created, 2 kept",
		`ramdax: ramdaxboot: entry "Debian GNU/Linux" of `, "ramdax: kexec into the OS",
		"Command line: root=UUID=", "module_blacklist=nd_e820 memmap=540800K!1G memmap=278656K!1664M",
		"running in system mode",
		"ramdax: apply: layout from /proc/cmdline and /etc/ramdax/bootconfig",
		"ramdax: ready 3 namespaces (1 created, 2 kept, 0 conflicts, 0 unmanaged)",
		"login:")
	t.Logf("QEMU start to Debian's login prompt: %.1f s (TCG, the appliance's setup and kexec included)", time.Since(start).Seconds())
	expectOSPrompt(t, vm)
	checkOS(t, vm, osCheck{"cat /mnt/db/proof", []string{"kept-into-debian"}},
		osCheck{"cat /proc/cmdline", []string{"root=UUID=", "module_blacklist=nd_e820"}},
		osCheck{"echo modules=$(grep -c -w -e ^ramdax -e ^nd_e820 /proc/modules).", []string{"modules=1."}})
	sendOSLine(t, vm, "poweroff")
	if err := vm.Wait(); err != nil {
		t.Errorf("Debian powers off: %v", err)
	}
}

// osCheck is a command at Debian's shell and what its output must hold.
type osCheck struct {
	cmd   string
	wants []string
}

// checkOS checks, at Debian's shell, what ramdax.service left with
// osLayout: its state, the fsdax namespace mounted once with DAX, the kept
// namespaces in status.json, and udev's stable names, which come back
// after they are removed; then the checks given.
func checkOS(t *testing.T, vm *qemu.VM, checks ...osCheck) {
	t.Helper()
	// Kernel messages on the console would mix with the output.
	osCommand(t, vm, "dmesg -n 1")
	checks = append([]osCheck{
		{"systemctl is-active ramdax.service", []string{"active"}},
		{"findmnt -n -o SOURCE,FSTYPE,OPTIONS /mnt/db", []string{"/dev/pmem", " ext4 ", "dax"}},
		{"echo mounts=$(grep -c ' /mnt/db ' /proc/mounts).", []string{"mounts=1."}},
		{`echo kept=$(grep -c '"state": "kept"' /run/ramdax/status.json).`, []string{"kept=2."}},
		{"udevadm verify /etc/udev/rules.d/60-ramdax.rules", []string{"Success"}},
		{"rm -r /dev/ramdax && udevadm trigger --settle -s block -s dax && ls -l /dev/ramdax/",
			[]string{"db -> ../pmem", "cache -> ../dax", "scratch -> ../pmem"}},
	}, checks...)
	for _, c := range checks {
		out := osCommand(t, vm, c.cmd)
		for _, w := range c.wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s: %q has no %q", c.cmd, out, w)
			}
		}
	}
}

// osDisk is a copy of the Debian disk (make os-image) with this module's
// OS side installed by `make install-os` and bootconfig as
// /etc/ramdax/bootconfig. debugfs writes into the ext4 root partition, so
// that neither root nor a loop device is needed.
func osDisk(t *testing.T, bootconfig string) string {
	t.Helper()
	src, manifest := OSDisk(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "os.img")
	if out, err := exec.Command("cp", "--sparse=always", src, img).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v\n%s", src, err, out)
	}
	files := filepath.Join(dir, "files")
	install := exec.Command("make", "-s", "install-os", "DESTDIR="+files)
	install.Dir = ModuleDir(t)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("make install-os: %v\n%s", err, out)
	}
	if err := writeFile(filepath.Join(files, "etc/ramdax/bootconfig"), bootconfig); err != nil {
		t.Fatal(err)
	}
	fs := img + "?offset=" + manifestField(t, manifest, "partition-offset")
	debugfs := exec.Command("/sbin/debugfs", "-w", "-f", "-", fs)
	debugfs.Stdin = strings.NewReader(debugfsCopy(t, files))
	out, err := debugfs.CombinedOutput()
	if err != nil {
		t.Fatalf("debugfs: %v\n%s", err, out)
	}
	listed, err := exec.Command("/sbin/debugfs", "-R", "ls -l /etc/ramdax", fs).CombinedOutput()
	if err != nil || !strings.Contains(string(listed), "bootconfig") {
		t.Fatalf("debugfs wrote no /etc/ramdax/bootconfig: %v\n%s\n%s", err, out, listed)
	}
	return img
}

// debugfsCopy is a debugfs script that copies the tree at dir into the
// file system's root: directories (an existing one is an error debugfs
// reports and goes past), files with their modes, and links.
func debugfsCopy(t *testing.T, dir string) string {
	t.Helper()
	var script strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel := "/" + strings.TrimPrefix(path, dir+"/")
		switch {
		case d.IsDir():
			fmt.Fprintf(&script, "mkdir %s\n", rel)
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(&script, "symlink %s %s\n", rel, target)
		default:
			fmt.Fprintf(&script, "cd %s\nwrite %s %s\n", filepath.Dir(rel), path, filepath.Base(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return script.String()
}

// manifestField is the value of "key: value" in a manifest.
func manifestField(t *testing.T, manifest, key string) string {
	t.Helper()
	f, err := os.Open(manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		if v, ok := strings.CutPrefix(s.Text(), key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s has no %q", manifest, key)
	return ""
}

// osLabel is the label of the Debian disk's root (scripts/os-image.sh).
const osLabel = "ramdax-os"

// osPrompt is bash's prompt for root on the Debian system.
const osPrompt = "root@ramdax-os:~# "

func expectOSPrompt(t *testing.T, vm *qemu.VM) {
	t.Helper()
	if _, err := vm.Console.ExpectString(osPrompt); err != nil {
		t.Fatalf("console never showed Debian's prompt %q: %v", osPrompt, err)
	}
}

// sendOSLine types a line at Debian's shell.
func sendOSLine(t *testing.T, vm *qemu.VM, line string) {
	t.Helper()
	if _, err := vm.Console.Send(line + "\r"); err != nil {
		t.Fatal(err)
	}
}

// osCommand runs cmd at Debian's shell and returns what it printed,
// whatever its exit status.
func osCommand(t *testing.T, vm *qemu.VM, cmd string) string {
	t.Helper()
	sendOSLine(t, vm, cmd+`; echo command-"end"`)
	seen, err := vm.Console.Expect(expect.String("command-end"), expect.WithTimeout(2*time.Minute))
	if err != nil {
		t.Fatalf("%s: the shell never finished: %v", cmd, err)
	}
	expectOSPrompt(t, vm)
	_, out, _ := strings.Cut(seen, "\n")
	return strings.TrimSpace(strings.TrimSuffix(out, "command-end"))
}
