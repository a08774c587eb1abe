// ramdaxinit is the appliance's /init: it sets persistent-memory regions
// and namespaces up from the kernel command line, then hands the machine
// over.
//
// Synopsis:
//
//	ramdaxinit                    (as PID 1, from the initramfs)
//	ramdaxinit -dry-run           (anywhere: print the plan for /proc/cmdline)
//	ramdaxinit apply [-layout F]  (on the node's OS, from ramdax.service)
//	ramdaxinit name DEVICE        (udev: the name of the namespace behind DEVICE)
//
// Description:
//
//	As PID 1 it mounts the early file systems (rootfs.go), makes
//	sure the nvdimm drivers are there (loading modules on a modular
//	kernel), moves the memmap= carveouts to the ramdax driver, reconciles
//	the namespaces on the labels with the ramdax.ns= parameters (create
//	what is missing, keep what matches, report conflicts and leave them
//	alone), makes file systems and mounts, prints a status table and the
//	line "ramdax: ready ...", writes /run/ramdax/status.json and then does
//	what ramdax.then= says: a console shell (the default), poweroff,
//	reboot, switch_root, or kexec into the OS on the node's disks.
//	README.md documents the parameters.
//
//	It never destroys a namespace that ramdax.reset= does not name, never
//	panics out, and always ends at a console unless told to power off,
//	reboot or switch root.
//
//	On the OS the appliance hands over to, apply does the same setup as a
//	systemd service (image/os/ramdax.service), with the layout from
//	/proc/cmdline and /etc/ramdax/bootconfig, and exits 1 when anything
//	was not set up as asked; name gives udev the stable names
//	(image/os/60-ramdax.rules).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/status"
	"github.com/ramdax/appliance/timing"
)

func main() {
	if len(os.Args) > 1 {
		if sub, ok := subcommands[os.Args[1]]; ok {
			os.Exit(sub(os.Stdout, os.Args[2:]))
		}
	}
	dryRun := flag.Bool("dry-run", false, "print the plan for /proc/cmdline and change nothing")
	flag.Parse()
	if *dryRun {
		l := newLogger(os.Stdout)
		if err := printPlan(os.Stdout, l); err != nil {
			l.Printf("error: %v", err)
			os.Exit(1)
		}
		return
	}
	if os.Getpid() == 1 {
		createRootfs()
		keepKernelLog()
	}
	// After CreateRootfs: /dev/kmsg and the consoles only exist once /dev
	// and /sys are mounted.
	ttys := consoleDevices(activeConsoles)
	l := newLogger(openConsoles(ttys, os.Stdout))
	// u-root's packages (switch_root, the DHCP client) log with the log
	// package: their lines get the stable prefix too.
	log.SetFlags(0)
	log.SetOutput(logWriter{l})
	then, st := safeSetup(l, asInit)
	if os.Getpid() == 1 {
		// The loopback, for the services and the shell: setup needs no
		// network, and bringing it up took 28 ms before the ready line
		// under emulation.
		if err := loopbackUp(); err != nil {
			l.Printf("error: %v", err)
		}
	}
	safeHandOver(l, then, st)
	if os.Getpid() == 1 {
		runShells(l, ttys, startServices(l, then, st))
	}
}

// logWriter prints what the log package writes as ramdaxinit's lines.
type logWriter struct{ l *logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Printf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// safeSetup runs setup and reports, whatever happens: a panic in setup
// becomes an error in the status, and the ready line and status.json are
// still written.
func safeSetup(l *logger, as runAs) (then *layout.Layout, st *status.Status) {
	clock := timing.Now()
	st = &status.Status{}
	steps := timing.New()
	then = &layout.Layout{Then: layout.ThenShell}
	// Setup allocates a few MiB at most: a collection would only take
	// time from it, on the one CPU an early boot may have.
	gcPercent := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(gcPercent)
	func() {
		defer func() {
			if r := recover(); r != nil {
				l.Printf("error: internal: %v", r)
				st.Fail("internal error: %v", r)
			}
		}()
		then = setup(l, st, steps, as)
	}()
	report(l, st, clock, steps)
	return then, st
}

// safeHandOver does what ramdax.then= asks, and turns a panic into a
// logged error: as PID 1, ramdaxinit then gives the console a shell.
func safeHandOver(l *logger, lay *layout.Layout, st *status.Status) {
	defer func() {
		if r := recover(); r != nil {
			l.Printf("error: ramdax.then=%s: internal: %v; starting the console shell instead", lay.Then, r)
		}
	}()
	handOver(l, lay, st)
}

// handOver does what ramdax.then= asks. Anything that fails falls back to
// the console shell.
func handOver(l *logger, lay *layout.Layout, st *status.Status) {
	var err error
	switch lay.Then {
	case layout.ThenPoweroff:
		err = powerOff(l, powerOffCmd)
	case layout.ThenReboot:
		err = powerOff(l, rebootCmd)
	case layout.ThenSwitchRoot:
		err = switchRootTo(l, lay, st)
	case layout.ThenKexec:
		err = kexecOS(l, lay, st)
	}
	if err != nil {
		l.Printf("error: ramdax.then=%s: %v; starting the console shell instead", lay.Then, err)
	}
}

// printPlan is -dry-run: parse /proc/cmdline and show what would be asked.
func printPlan(w io.Writer, l *logger) error {
	lay, _, err := readLayout(l, asInit)
	if lay == nil {
		return err
	}
	_, err = fmt.Fprintln(w, layout.Format(lay))
	return err
}
