package vmtest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Netflix/go-expect"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/u-root/uio/llog"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/release"
)

// defaultReady is the ready line of a first boot with image.DefaultLayout.
const defaultReady = "ramdax: ready 3 namespaces (3 created, 0 kept, 0 conflicts, 0 unmanaged)"

// TestISO boots the appliance's ISO from a CD-ROM through grub, as `make
// image` builds it: the default menu entry on BIOS and on UEFI, and an
// entry whose command line is edited at the menu with grub's e key.
func TestISO(t *testing.T) {
	kernel, initramfs := releaseFiles(t)
	iso := filepath.Join(t.TempDir(), release.ISOFile)
	if err := image.WriteISO(iso, kernel, initramfs, image.DefaultLayout); err != nil {
		t.Fatal(err)
	}
	t.Run("bios", func(t *testing.T) {
		bootISO(t, "iso-bios", []Option{WithCDROM(iso)}, pressEnter, defaultReady)
	})
	// OVMF's guests do not end QEMU at power-off (see shared notes), so
	// every boot here stays in the shell and is killed after the ready line.
	t.Run("uefi", func(t *testing.T) {
		bootISO(t, "iso-uefi", []Option{WithCDROM(iso), WithUEFI()}, pressEnter, defaultReady)
	})
	t.Run("edited", func(t *testing.T) {
		bootISO(t, "iso-edited", []Option{WithCDROM(iso)}, appendParam("ramdax.ns=extra:raw:16M"),
			"ramdax: ready 4 namespaces (4 created, 0 kept, 0 conflicts, 0 unmanaged)", tableRow("extra", "raw", "16M", "", "-", "created"))
	})
}

// bootISO waits for grub's menu, acts at it and waits for lines.
func bootISO(t *testing.T, name string, opts []Option, atMenu func(*testing.T, *qemu.VM), ready string, rows ...*regexp.Regexp) {
	start := time.Now()
	vm := Start(t, name, opts...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "RAMDAX appliance")
	atMenu(t, vm)
	// The invariants line comes right before the ready line.
	expectLines(t, vm, invariantsHeld, ready)
	t.Logf("%s: ready line %.1f s after QEMU started", name, time.Since(start).Seconds())
	expectRows(t, vm, rows...)
}

// pressEnter boots the menu's default entry without waiting for the timeout.
func pressEnter(t *testing.T, vm *qemu.VM) { typeKeys(t, vm, "\r") }

// appendParam edits the entry at the menu as an operator would: e opens
// the editor, whose lines are grub's setparams, a blank one, then linux;
// Ctrl-N twice goes down to linux, Ctrl-E to its end, and Ctrl-X boots.
// The editor draws the entry twice; keys typed meanwhile were seen lost,
// so the first key waits a second after the first drawing.
func appendParam(param string) func(*testing.T, *qemu.VM) {
	return func(t *testing.T, vm *qemu.VM) {
		typeKeys(t, vm, "e")
		expectLines(t, vm, "initrd /boot/")
		time.Sleep(Timeout(time.Second))
		typeKeys(t, vm, "\x0e\x0e\x05")
		// The line's end comes before the typed text: the param alone may
		// match the line's own text and not the echo.
		lineEnd := image.DefaultLayout[len(image.DefaultLayout)-8:]
		typeEchoed(t, vm, lineEnd, " "+param)
		typeKeys(t, vm, "\x18")
		// go-expect keeps the last read deadline on the console: this
		// wait's long one replaces typeEchoed's short ones.
		if _, err := vm.Console.Expect(expect.String("Booting a command list"), expect.WithTimeout(Timeout(DefaultTimeout))); err != nil {
			t.Fatalf("grub did not boot the edited entry: %v", err)
		}
	}
}

// typeKeys types keys one at a time. Grub's editor redraws the entry after
// each key, about 60 ms under TCG, and keys sent faster than that overflow
// the UART's 16-byte FIFO and are lost (seen here at one key per 20 ms).
func typeKeys(t *testing.T, vm *qemu.VM, keys string) {
	t.Helper()
	for _, k := range keys {
		sendKey(t, vm, k)
		time.Sleep(100 * time.Millisecond)
	}
}

// typeEchoed types text into grub's editor one key at a time, each only
// after the editor has redrawn the line with the text typed so far after
// before, the text left of the cursor; both must fit on the screen's row. A fixed pace was not enough: on a loaded CI
// machine a redraw took longer than the pace, and keys were lost. A key
// whose echo does not come is typed once more.
func typeEchoed(t *testing.T, vm *qemu.VM, before, text string) {
	t.Helper()
	for i, k := range text {
		typed := before + text[:i+utf8.RuneLen(k)]
		sendKey(t, vm, k)
		if _, err := vm.Console.Expect(expect.String(typed), expect.WithTimeout(Timeout(5*time.Second))); err == nil {
			continue
		}
		t.Logf("grub did not echo %q; typing it again", k)
		sendKey(t, vm, k)
		if _, err := vm.Console.Expect(expect.String(typed), expect.WithTimeout(Timeout(20*time.Second))); err != nil {
			t.Fatalf("grub's editor never showed %q after typing it twice: %v", typed, err)
		}
	}
}

// sendKey types one key at the serial console.
func sendKey(t *testing.T, vm *qemu.VM, k rune) {
	t.Helper()
	if _, err := vm.Console.Send(string(k)); err != nil {
		t.Fatalf("type %q at the console: %v", k, err)
	}
}

// releaseFiles builds the appliance initramfs for the built-in kernel as
// `make image` does, compressed, and returns it with that kernel.
func releaseFiles(t *testing.T) (kernel, initramfs string) {
	t.Helper()
	kernel = BuiltinKernel(t)
	mods, err := image.Appliance("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cpio := filepath.Join(dir, "initramfs.cpio")
	if err := image.Build(llog.Test(t), cpio, mods...); err != nil {
		t.Fatal(err)
	}
	initramfs = filepath.Join(dir, release.InitramfsFile)
	if err := image.Compress(cpio, initramfs); err != nil {
		t.Fatal(fmt.Errorf("initramfs: %w", err))
	}
	return kernel, initramfs
}
