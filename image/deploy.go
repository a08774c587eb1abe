package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ramdax/appliance/release"
)

// DefaultLayout is the per-node part of the command line the artifacts
// boot with unless edited: a 528 MiB carveout at 1 GiB (no space lost to
// the 16 MiB align) holding an ext4 volume, a devdax device and a raw one.
// It needs at least 2 GiB of RAM.
const DefaultLayout = "memmap=540800K!1G ramdax.ns=data:fsdax:256M:fs=ext4:mount=/mnt/data " +
	"ramdax.ns=fast:devdax:128M ramdax.ns=scratch:raw:rest"

// Cmdline is the whole kernel command line for layout.
func Cmdline(layout string) string { return release.Console + " " + layout }

// WriteCmdline writes the command line for layout to path, one line.
func WriteCmdline(path, layout string) error {
	if err := os.WriteFile(path, []byte(Cmdline(layout)+"\n"), 0o644); err != nil {
		return fmt.Errorf("write command line: %w", err)
	}
	return nil
}

// IPXEScript is the PXE bundle's boot script. The per-node part of the
// command line is the one `set layout` line, so that a node's script
// differs from the default in that line only.
func IPXEScript(layout string) string {
	return fmt.Sprintf(`#!ipxe
# RAMDAX appliance. Per node: change the layout line below (memmap= carveouts
# and ramdax.* parameters, see the README), or copy this script per node.
set layout %s

# initrd= lets the kernel's EFI stub find the initramfs under UEFI iPXE;
# BIOS boots ignore it. BOOTIF= names the NIC this boot came from.
kernel %s %s initrd=%s %s ${layout}
initrd %s
boot
`, layout, release.KernelFile, release.Console, release.InitramfsFile, release.IPXEBootIF, release.InitramfsFile)
}

// WritePXE writes the PXE bundle into dir: the kernel, the initramfs and
// boot.ipxe booting them with layout. dir is a TFTP or HTTP root.
func WritePXE(dir, kernel, initramfs, layout string) error {
	if err := checkLayout(layout); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pxe bundle: %w", err)
	}
	if err := CopyFile(kernel, filepath.Join(dir, release.KernelFile)); err != nil {
		return fmt.Errorf("pxe bundle: %w", err)
	}
	if err := CopyFile(initramfs, filepath.Join(dir, release.InitramfsFile)); err != nil {
		return fmt.Errorf("pxe bundle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, release.IPXEFile), []byte(IPXEScript(layout)), 0o644); err != nil {
		return fmt.Errorf("pxe bundle: %w", err)
	}
	return nil
}

// CopyFile copies src to dst, replacing dst.
func CopyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return err
	}
	return nil
}

// checkLayout refuses a layout that grub or iPXE would not pass to the
// kernel as written.
func checkLayout(layout string) error {
	if i := strings.IndexAny(layout, release.LoaderSpecial); i >= 0 {
		return fmt.Errorf("layout %q: %q would be read by grub or iPXE, not passed to the kernel", layout, layout[i])
	}
	return nil
}
