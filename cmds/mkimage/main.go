// mkimage builds the appliance's initramfs.
//
// Synopsis:
//
//	mkimage [-o FILE] [-flavour builtin|distro] [-modules DIR]
//
// Description:
//
//	mkimage writes the appliance initramfs (a newc cpio archive):
//	ramdaxinit as /init, ramdaxctl, a shell and core commands, mkfs for
//	ext4 and xfs. The distro flavour adds the kernel modules kmod loads,
//	from -modules (Debian's cloud kernel, unpacked by make distro-kernel).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/ramdax/appliance/image"
	"github.com/u-root/uio/llog"
)

func run(stdout io.Writer, args []string) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	out := fs.String("o", "build/initramfs.cpio", "output `file`")
	flavour := fs.String("flavour", "builtin", "`kernel` the image is for: builtin (RAMDAX built in) or distro (modules)")
	modules := fs.String("modules", "build/distro/modules", "modules `dir` of the distro kernel")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var modulesDir string
	switch *flavour {
	case "builtin":
	case "distro":
		modulesDir = *modules
	default:
		return fmt.Errorf("-flavour %q: want builtin or distro", *flavour)
	}
	mods, err := image.Appliance(modulesDir)
	if err != nil {
		return err
	}
	start := time.Now()
	l := llog.New(slog.LevelWarn, log.New(os.Stderr, "mkimage: ", 0).Printf)
	if err := image.Build(l, *out, mods...); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "mkimage: %s (%s), %d bytes, built in %.1f s\n", *out, *flavour, st.Size(), time.Since(start).Seconds())
	return err
}

func main() {
	if err := run(os.Stdout, os.Args); err != nil {
		log.Fatalf("mkimage: %v", err)
	}
}
