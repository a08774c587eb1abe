// mkimage builds the appliance's initramfs.
//
// Synopsis:
//
//	mkimage [-o FILE]
//
// Description:
//
//	mkimage writes a u-root initramfs (a newc cpio archive) that boots to a
//	shell on the console.
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
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	start := time.Now()
	l := llog.New(slog.LevelWarn, log.New(os.Stderr, "mkimage: ", 0).Printf)
	if err := image.Build(l, *out, image.Shell()...); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "mkimage: %s, %d bytes, built in %.1f s\n", *out, st.Size(), time.Since(start).Seconds())
	return err
}

func main() {
	if err := run(os.Stdout, os.Args); err != nil {
		log.Fatalf("mkimage: %v", err)
	}
}
