package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// diskRootUUID and diskRootLabel name the disk root's ext4.
const (
	diskRootUUID  = "3f0c9a52-7d1e-4c55-9b2a-5e8d2f6a1c04"
	diskRootLabel = "noderoot"
)

// switchRootLayout is two namespaces, one of them mounted, for the disk
// root to find.
var switchRootLayout = []string{"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M", "ramdax.then=switch_root"}

// TestSwitchRootDisk switches to an ext4 root on an NVMe disk, named by
// UUID= (read-only, the default) and by LABEL= (rw): the disk's init,
// guest/diskinit behind an absolute /sbin/init link, finds the
// namespace's DAX mount moved to the same path, status.json in /run, and
// the /dev/ramdax names. The appliance on Debian's kernel switches to
// the root of a real Debian by LABEL=, whose systemd runs ramdax.service
// over the carried mount. A UUID that names nothing gives the error, with
// the disks there are, and a live shell.
func TestSwitchRootDisk(t *testing.T) {
	img := diskRootImage(t)
	initramfs := applianceImage(t, "")
	for _, c := range []struct{ root, want string }{
		{"root=UUID=" + diskRootUUID, "diskinit: root /dev/nvme0n1 ext4 ro,"},
		{"root=LABEL=" + diskRootLabel + " rw", "diskinit: root /dev/nvme0n1 ext4 rw,"},
	} {
		t.Run(strings.Fields(c.root)[0], func(t *testing.T) {
			vm := Start(t, "switchroot-disk", append(twoRegions, WithInitramfs(initramfs), WithDiskImage("nvme", img),
				WithCmdline(append(switchRootLayout, c.root)...))...)
			defer vm.Wait()
			defer vm.Kill()
			expectLines(t, vm, "ramdax: ready 2 namespaces", "ramdax: db: mount /mnt/db carried into the new root",
				"ramdax: switch_root to /dev/nvme0n1 (ext4, ", "exec /sbin/init", "diskinit: pid 1", c.want)
			report, err := vm.Console.ExpectString("\n")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"/mnt/db: /dev/pmem", " ext4 rw,", "dax", "status ready=true with 2 namespaces",
				"/dev/ramdax/db -> ../pmem", "/dev/ramdax/cache -> ../dax"} {
				if !strings.Contains(report, want) {
					t.Errorf("diskinit's report %q has no %q", report, want)
				}
			}
			if err := vm.Wait(); err != nil {
				t.Errorf("diskinit powers off: %v", err)
			}
		})
	}
	t.Run("debian", func(t *testing.T) {
		vmlinuz, modulesDep := DistroKernel(t)
		distroImage := applianceImage(t, filepath.Dir(modulesDep))
		vm := Start(t, "switchroot-debian", append(twoRegions, WithKernel(vmlinuz), WithInitramfs(distroImage),
			WithDiskImage("nvme", osDisk(t, osLayout)), WithTimeout(8*time.Minute),
			WithCmdline(append(switchRootLayout, "root=LABEL="+osLabel, "rw")...))...)
		defer vm.Wait()
		defer vm.Kill()
		expectLines(t, vm, "ramdax: ready 2 namespaces (2 created", "ramdax: db: mount /mnt/db carried into the new root",
			"ramdax: switch_root to /dev/nvme0n1p1 (ext4, ", "running in system mode",
			"ramdax: apply: layout from /proc/cmdline and /etc/ramdax/bootconfig",
			"ramdax: ready 3 namespaces (1 created, 2 kept, 0 conflicts, 0 unmanaged)", "login:")
		expectOSPrompt(t, vm)
		checkOS(t, vm)
		sendOSLine(t, vm, "poweroff")
		if err := vm.Wait(); err != nil {
			t.Errorf("Debian powers off: %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		vm := Start(t, "switchroot-missing", append(twoRegions, WithInitramfs(initramfs), WithDiskImage("nvme", img),
			WithCmdline(append(switchRootLayout, "root=UUID=00000000-0000-4000-8000-000000000000", "rootwait=3")...))...)
		defer vm.Wait()
		defer vm.Kill()
		expectLines(t, vm, "ramdax: ready 2 namespaces",
			"error: ramdax.then=switch_root: root=UUID=00000000-0000-4000-8000-000000000000: no such device after 3s",
			`/dev/nvme0n1: ext4 UUID=`+diskRootUUID+` LABEL="noderoot"`, "starting the console shell instead")
		expectShell(t, vm)
		runCommand(t, vm, "ls /mnt/db")
	})
}

// diskRootImage is an ext4 image with guest/diskinit as its init, made
// with Debian's mke2fs -d.
func diskRootImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"sbin", "lib", "mnt/db", "dev", "proc", "sys", "run", "tmp"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(rootfs, "lib", "diskinit"), "./guest/diskinit")
	build.Dir, build.Env = ModuleDir(t), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build diskinit: %v\n%s", err, out)
	}
	if err := os.Symlink("/lib/diskinit", filepath.Join(rootfs, "sbin", "init")); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "root.img")
	mkfs := exec.Command("/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-L", diskRootLabel, "-U", diskRootUUID, "-d", rootfs, img, "64M")
	if out, err := mkfs.CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	return img
}
