// guestrun runs Go test binaries inside a test guest and powers it off:
// the uinit of vmtest.RunGuestTests.
//
// Synopsis:
//
//	guestrun [-load-modules] [-ramdaxinit] TEST_BINARY...
//
// Description:
//
//	Each binary runs with -test.v, its output on the console. After each,
//	guestrun prints "guestrun: BINARY exit N", which the host reads as the
//	verdict. With -load-modules it first loads the nvdimm drivers of a
//	modular kernel with package kmod (on a built-in kernel it does
//	nothing). With -ramdaxinit it runs ramdaxinit first, to set up the
//	layout on the command line, and prints "guestrun: ramdaxinit exit N"
//	before the tests run. The console is all it needs: no 9p, which Debian's cloud
//	kernel does not have.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/ramdax/appliance/console"
	"github.com/ramdax/appliance/kmod"
)

func run(stdout io.Writer, args []string) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	loadModules := fs.Bool("load-modules", false, "load the nvdimm drivers first (modular kernels)")
	setup := fs.Bool("ramdaxinit", false, "set up the command line's layout with ramdaxinit first")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *loadModules {
		kind, err := kmod.Ensure(kmod.WithModules(kmod.Drivers...))
		if err != nil {
			return fmt.Errorf("load modules: %w", err)
		}
		fmt.Fprintf(stdout, "guestrun: nvdimm drivers %s\n", kind)
	}
	if *setup {
		runAndReport(stdout, "ramdaxinit", exec.Command(ramdaxinit))
	}
	for _, bin := range fs.Args() {
		runAndReport(stdout, bin, exec.Command(bin, "-test.v"))
	}
	return nil
}

// consoleOut is where guestrun and the tests write: /dev/console itself,
// which can be drained. u-root's init gives its uinit a pipe, which it
// copies to each console= device: a power-off right after the verdict
// lost the lines the pipe still held, and the drain of a pipe fails at
// once.
func consoleOut() *os.File {
	f, err := os.OpenFile("/dev/console", os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		log.Printf("guestrun: %v; writing to stdout", err)
		return os.Stdout
	}
	return f
}

// ramdaxinit is where u-root's busybox puts the command.
const ramdaxinit = "/bbin/ramdaxinit"

// runAndReport runs cmd with its output on stdout and prints its verdict,
// "guestrun: NAME exit N", which the host reads.
func runAndReport(stdout io.Writer, name string, cmd *exec.Cmd) {
	cmd.Stdout, cmd.Stderr = stdout, stdout
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		code = -1
		fmt.Fprintf(stdout, "guestrun: %s: %v\n", name, err)
	}
	fmt.Fprintf(stdout, "guestrun: %s exit %d\n", name, code)
}

func main() {
	out := consoleOut()
	log.SetOutput(out)
	if err := run(out, os.Args); err != nil {
		log.Printf("guestrun: %v", err)
	}
	unix.Sync()
	// Wait until the console has sent the verdicts: power-off drops
	// what the serial port still buffers.
	if err := console.Drain(out, console.DrainLimit); err != nil {
		log.Printf("guestrun: %v", err)
	}
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		log.Printf("guestrun: power off: %v", err)
	}
}
