// ramdaxboot finds the OS installed on the node's disks and loads its
// kernel for kexec: ramdaxinit runs it for ramdax.then=kexec, and
// operators at the console run it to see what would boot.
//
// Synopsis:
//
//	ramdaxboot [-entry LABEL] [-append PARAMS] [-load]
//
// Description:
//
//	It reads the Boot Loader Spec entries and grub.cfg of every disk
//	(u-root's localboot: pkg/boot/bls, pkg/boot/grub), the namespaces'
//	pmem devices left out, and picks the entry labelled LABEL, or the
//	default, the first by rank. It prints the entry with its kernel,
//	initrd and whole command line, PARAMS appended to it. With -load it
//	loads the entry with kexec_file_load, for a kexec reboot
//	(reboot(2) with LINUX_REBOOT_CMD_KEXEC) to start, which ramdaxinit
//	makes once it has unmounted the namespaces. It exits non-zero,
//	listing what it looked at, when nothing is bootable.
//
// It is a command of its own, in the busybox, rather than part of
// ramdaxinit: the grub parser links u-root's HTTP and TFTP clients, 4.4
// MB that every boot's /init would load and initialise.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/boot"
	"github.com/u-root/u-root/pkg/boot/localboot"
	"github.com/u-root/u-root/pkg/mount"
	"github.com/u-root/u-root/pkg/mount/block"
	"golang.org/x/sys/unix"
)

// diskWait bounds the wait for the node's disks to appear: their drivers
// probe in the background.
const diskWait = 10 * time.Second

func main() {
	entry := flag.String("entry", "", "`label` of the entry to boot; empty for the default")
	appendArgs := flag.String("append", "", "kernel `parameters` to add to the entry's command line")
	load := flag.Bool("load", false, "load the entry for kexec")
	flag.Parse()
	if err := run(*entry, *appendArgs, *load); err != nil {
		fmt.Fprintf(os.Stderr, "ramdaxboot: %v\n", err)
		os.Exit(1)
	}
}

func run(label, appendArgs string, load bool) error {
	disks, err := osDisks()
	if err != nil {
		return err
	}
	var looked lines
	pool := &mount.Pool{}
	defer pool.UnmountAll(unix.MNT_DETACH)
	images, err := localboot.Localboot(&looked, disks, pool)
	if err == nil && len(images) == 0 {
		err = errors.New("no boot entry (Boot Loader Spec or grub.cfg) on any disk")
	}
	var img boot.OSImage
	if err == nil {
		img, err = pickEntry(images, label)
	}
	if err != nil {
		return fmt.Errorf("%w; looked at %s:\n%s", err, diskNames(disks), looked.String())
	}
	img.Edit(func(cmdline string) string { return appendParams(cmdline, appendArgs) })
	fmt.Printf("ramdaxboot: entry %q of %d: %s\n", img.Label(), len(images), oneLine(img.String()))
	if !load {
		return nil
	}
	if err := img.Load(); err != nil {
		return fmt.Errorf("kexec load %q: %w", img.Label(), err)
	}
	fmt.Printf("ramdaxboot: %q loaded for kexec\n", img.Label())
	return nil
}

// osDisks lists the block devices that may hold the OS: every one but
// the namespaces', once at least one has appeared.
func osDisks() (block.BlockDevices, error) {
	deadline := time.Now().Add(diskWait)
	for {
		all, err := block.GetBlockDevices()
		if err != nil {
			return nil, fmt.Errorf("list block devices: %w", err)
		}
		var disks block.BlockDevices
		for _, d := range all.FilterZeroSize() {
			if !strings.HasPrefix(d.Name, "pmem") {
				disks = append(disks, d)
			}
		}
		if len(disks) > 0 {
			return disks, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no disk besides the namespaces' after %v: is its driver in the kernel or the image?", diskWait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func diskNames(disks block.BlockDevices) string {
	names := make([]string, len(disks))
	for i, d := range disks {
		names[i] = d.DevicePath()
	}
	return strings.Join(names, ", ")
}

// pickEntry is the entry labelled label, or the first (the highest
// ranked) when label is empty.
func pickEntry(images []boot.OSImage, label string) (boot.OSImage, error) {
	if label == "" {
		return images[0], nil
	}
	var labels []string
	for _, img := range images {
		if img.Label() == label {
			return img, nil
		}
		labels = append(labels, fmt.Sprintf("%q", img.Label()))
	}
	return nil, fmt.Errorf("ramdax.boot=%s: no such entry; the entries are %s", label, strings.Join(labels, ", "))
}

// appendParams adds each of params that cmdline lacks.
func appendParams(cmdline, params string) string {
	have := strings.Fields(cmdline)
	for _, p := range strings.Fields(params) {
		if !slices.Contains(have, p) {
			have = append(have, p)
		}
	}
	return strings.Join(have, " ")
}

// oneLine folds u-root's multi-line description of an image.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// lines collects what localboot logs, the disks and formats it tried,
// for the error when nothing is bootable.
type lines struct{ b strings.Builder }

func (w *lines) Printf(format string, v ...any) { fmt.Fprintf(&w.b, "  "+format+"\n", v...) }
func (w *lines) Print(v ...any)                 { w.b.WriteString("  " + fmt.Sprint(v...) + "\n") }
func (w *lines) String() string                 { return strings.TrimRight(w.b.String(), "\n") }
