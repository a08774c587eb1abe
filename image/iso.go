package image

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ramdax/appliance/release"
)

// isoTime is the one time every ISO says it was made, so that two builds
// from the same inputs are byte-identical. grub-mkrescue derives the
// volume's uuid, which its own boot config searches for, from the clock,
// and mtools stamps the EFI image with it: faketime freezes that clock.
// xorriso's options then derive the GPT GUIDs from the uuid and give every
// file the same date.
const (
	isoTime      = "2026-01-01 00:00:00"
	isoTimestamp = "2026010100000000" // xorriso's form of isoTime
	isoEpoch     = "1767225600"       // and SOURCE_DATE_EPOCH's
)

// GrubConfig is the ISO's grub.cfg: one entry booting the appliance with
// layout. The menu is on the first serial port and the screen alike, and
// grub's `e` key edits the entry, and so the command line, for one boot.
func GrubConfig(layout string) string {
	return fmt.Sprintf(`# RAMDAX appliance. To change the layout for one boot: press e on the
# entry, edit the linux line, then Ctrl-X boots it.
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
# The video drivers, so that on UEFI the kernel gets the firmware's
# framebuffer (and the screen its console) rather than "blind mode".
insmod all_video
set timeout=5
set default=0

menuentry "RAMDAX appliance" {
	linux /boot/%s %s
	initrd /boot/%s
}
`, release.KernelFile, Cmdline(layout), release.InitramfsFile)
}

// WriteISO writes to out a hybrid ISO, for a CD or a USB stick, that boots
// kernel and initramfs with layout through grub, on BIOS and UEFI alike.
func WriteISO(out, kernel, initramfs, layout string) error {
	if err := checkLayout(layout); err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "ramdax-iso-")
	if err != nil {
		return fmt.Errorf("iso: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := stageISO(stage, kernel, initramfs, layout); err != nil {
		return fmt.Errorf("iso: %w", err)
	}
	// --compress=xz and no fonts, locales or themes: the menu is text, and
	// grub's modules for two platforms would otherwise take 20 MB.
	cmd := exec.Command("faketime", "-f", isoTime, "grub-mkrescue", "-o", out,
		"--compress=xz", "--fonts=", "--locales=", "--themes=",
		"--gpt_disk_guid", "modification-date", "--set_all_file_dates", isoTimestamp, stage)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+isoEpoch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("grub-mkrescue %s: %w (run `make deps`)\n%s", out, err, lastLines(b, 10))
	}
	return nil
}

// stageISO lays the ISO's files out in dir.
func stageISO(dir, kernel, initramfs, layout string) error {
	grub := filepath.Join(dir, "boot", "grub")
	if err := os.MkdirAll(grub, 0o755); err != nil {
		return err
	}
	if err := CopyFile(kernel, filepath.Join(dir, "boot", release.KernelFile)); err != nil {
		return err
	}
	if err := CopyFile(initramfs, filepath.Join(dir, "boot", release.InitramfsFile)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(grub, "grub.cfg"), []byte(GrubConfig(layout)), 0o644)
}

// lastLines is the end of a tool's output, where its error is.
func lastLines(b []byte, n int) string {
	lines := strings.Split(string(bytes.TrimSpace(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
