package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kexecLayout is the layout both stages declare: the disk's entries carry
// it on their own command lines, as an installed OS's would.
const kexecLayout = "ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db ramdax.ns=cache:devdax:64M"

// TestKexecDisk kexecs from the appliance into the OS on the node's disks.
// Here the "OS" is the appliance again, its kernel and image on an ext4
// disk with a Boot Loader Spec entry, and a second disk with a grub.cfg,
// so that what the second kernel sees is checked with the same lines.
// A first boot creates the layout and writes a file; the second, with
// ramdax.then=kexec, keeps it and boots the default entry (BLS, ranked
// first), whose kernel gets the memmap= carveouts appended and keeps the
// namespaces and the file; ramdax.boot= picks the grub entry. A disk with
// no entries, and one whose entry names a missing kernel, give an error
// that lists what was looked at, and a live shell.
func TestKexecDisk(t *testing.T) {
	initramfs := applianceImage(t, "")
	kernel := BuiltinKernel(t)
	bls := bootDisk(t, kernel, initramfs, map[string]string{
		"loader/entries/appliance.conf": "title appliance from BLS\nlinux /vmlinuz\ninitrd /initramfs.cpio\noptions console=ttyS0 panic=-1 " + kexecLayout + "\n",
	})
	grub := bootDisk(t, kernel, initramfs, map[string]string{
		"boot/grub/grub.cfg": "set default=0\nmenuentry \"appliance from grub\" {\n  linux /vmlinuz console=ttyS0 panic=-1 " + kexecLayout + "\n  initrd /initramfs.cpio\n}\n",
	})
	base := createKexecLayout(t, "kexec-disk-create", initramfs, "kept-across-kexec")

	for _, c := range []struct{ name, boot, entry string }{
		{"default-bls", "", "appliance from BLS"},
		{"named-grub", `ramdax.boot="appliance from grub"`, "appliance from grub"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := append(base, WithDiskImage("nvme", bls), WithDiskImage("nvme", grub), WithCmdline("ramdax.then=kexec"))
			if c.boot != "" {
				opts = append(opts, WithCmdline(c.boot))
			}
			vm := Start(t, "kexec-disk-"+c.name, opts...)
			defer vm.Wait()
			defer vm.Kill()
			expectLines(t, vm, "ramdax: ready 2 namespaces (0 created, 2 kept",
				`ramdax: ramdaxboot: entry "`+c.entry+`" of 2: `, "module_blacklist=nd_e820 memmap=540800K!1G memmap=278656K!1664M",
				`ramdax: ramdaxboot: "`+c.entry+`" loaded for kexec`, "ramdax: kexec into the OS",
				// The second kernel's own command line, then its setup.
				"Command line: console=ttyS0 panic=-1 "+kexecLayout+" module_blacklist=nd_e820 memmap=540800K!1G",
				"ramdax: ready 2 namespaces (0 created, 2 kept")
			expectShell(t, vm)
			if out := shellOutput(t, vm, "cat /mnt/db/proof"); !strings.Contains(out, "kept-across-kexec") {
				t.Errorf("/mnt/db/proof after kexec: %q", out)
			}
		})
	}

	empty := bootDisk(t, "", "", nil)
	broken := bootDisk(t, "", "", map[string]string{
		"loader/entries/broken.conf": "title broken\nlinux /vmlinuz-missing\noptions console=ttyS0\n",
	})
	vm := Start(t, "kexec-disk-nothing", append(base, WithDiskImage("nvme", empty), WithDiskImage("nvme", broken), WithCmdline("ramdax.then=kexec"))...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "ramdax: ready 2 namespaces (0 created, 2 kept",
		"ramdax: ramdaxboot: no boot entry (Boot Loader Spec or grub.cfg) on any disk; looked at /dev/nvme0n1, /dev/nvme1n1",
		"BootLoaderSpec skipping entry", "broken.conf",
		"error: ramdax.then=kexec: /bbin/ramdaxboot: exit status 1; starting the console shell instead")
	expectShell(t, vm)
	runCommand(t, vm, "cat /mnt/db/proof")
}

// createKexecLayout boots the appliance on persistent RAM to create
// kexecLayout and write proof to /mnt/db/proof, and returns the options
// that boot it again on the same RAM.
func createKexecLayout(t *testing.T, name, initramfs, proof string) []Option {
	t.Helper()
	ram := WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))
	base := append(twoRegions, WithInitramfs(initramfs), ram, WithCmdline(strings.Fields(kexecLayout)...))
	vm := Start(t, name, base...)
	expectLines(t, vm, "ramdax: ready 2 namespaces (2 created")
	expectShell(t, vm)
	runCommand(t, vm, "echo "+proof+" > /mnt/db/proof && sync")
	powerOffShell(t, vm)
	return base
}

// bootDisk is an ext4 image holding kernel and initramfs (when given) as
// /vmlinuz and /initramfs.cpio, and files, by path, with their contents.
func bootDisk(t *testing.T, kernel, initramfs string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	copies := map[string]string{"vmlinuz": kernel, "initramfs.cpio": initramfs}
	for name, src := range copies {
		if src == "" {
			continue
		}
		data, err := os.ReadFile(src)
		if err == nil {
			err = writeFile(filepath.Join(root, name), string(data))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := writeFile(filepath.Join(root, name), content); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "boot.img")
	if out, err := exec.Command("/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-d", root, img, "64M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	return img
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
