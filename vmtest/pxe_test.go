package vmtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/release"
)

// nodeLayout is one node's layout, unlike image.DefaultLayout: a smaller
// carveout, other names, modes and mount points.
const nodeLayout = "memmap=278656K!1G ramdax.ns=node7db:fsdax:128M:fs=ext4:mount=/srv/db ramdax.ns=node7cache:devdax:rest"

// TestPXE boots the PXE bundle through QEMU's built-in TFTP server and the
// e1000's iPXE ROM, on BIOS and UEFI, after changing the one per-node line
// of boot.ipxe, as an operator gives a node its own layout.
func TestPXE(t *testing.T) {
	kernel, initramfs := releaseFiles(t)
	dir := t.TempDir()
	if err := image.WritePXE(dir, kernel, initramfs, image.DefaultLayout); err != nil {
		t.Fatal(err)
	}
	setNodeLayout(t, filepath.Join(dir, release.IPXEFile), nodeLayout)
	for _, fw := range []struct {
		name string
		opts []Option
	}{{"bios", nil}, {"uefi", []Option{WithUEFI()}}} {
		t.Run(fw.name, func(t *testing.T) {
			bootPXE(t, "pxe-"+fw.name, append(fw.opts, WithNetBoot(dir, release.IPXEFile)))
		})
	}
}

// bootPXE boots from the network and waits for nodeLayout's namespaces.
func bootPXE(t *testing.T, name string, opts []Option) {
	start := time.Now()
	vm := Start(t, name, opts...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm,
		"iPXE",
		"initrd=initramfs.cpio.lz4 BOOTIF=01-52-54-00-12-34-56 memmap=",
		"ramdax: node7db: made ext4 on /dev/pmem0",
		invariantsHeld,
		"ramdax: ready 2 namespaces (2 created, 0 kept, 0 conflicts, 0 unmanaged)")
	expectRows(t, vm, tableRow("node7db", "fsdax", "", "/dev/pmem0", "", "created"), tableRow("node7cache", "devdax"))
	t.Logf("%s: ready line %.1f s after QEMU started", name, time.Since(start).Seconds())
}

// setNodeLayout replaces the layout line of the boot.ipxe at path, and
// fails unless there is exactly one.
func setNodeLayout(t *testing.T, path, layout string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := "set layout " + image.DefaultLayout + "\n"
	if n := strings.Count(string(b), line); n != 1 {
		t.Fatalf("%s has %d lines %q, want one", path, n, line)
	}
	script := strings.Replace(string(b), line, "set layout "+layout+"\n", 1)
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
}
