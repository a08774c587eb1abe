package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/status"
)

// runAs says how ramdaxinit runs: as the appliance's /init, or as
// `ramdaxinit apply` on the node's own OS, where systemd is PID 1 and udev
// loads the hardware drivers.
type runAs struct {
	// onOS is apply: no coldplug, and the layout file is the OS's.
	onOS bool
	// layoutFile is apply's file of ramdax.* keys, read with
	// /proc/cmdline whatever the kernel's own bootconfig holds: that one
	// came with the OS's initrd, not with the layout.
	layoutFile string
}

var asInit = runAs{}

// subcommands run ramdaxinit on the node's OS; /init takes none.
var subcommands = map[string]func(stdout io.Writer, args []string) int{
	"apply": applyOnOS,
	"name":  printName,
}

// applyOnOS is `ramdaxinit apply`: the appliance's setup on a running
// distribution, from a systemd unit early at boot. It takes the carveouts
// over on a modular kernel, reconciles, mounts, writes status.json, the
// metrics and /dev/ramdax/NAME, and exits 1 when anything asked for was
// not set up, so that the unit fails where systemctl shows it.
func applyOnOS(stdout io.Writer, args []string) int {
	f := flag.NewFlagSet("ramdaxinit apply", flag.ContinueOnError)
	file := f.String("layout", layout.BootconfigFile, "bootconfig of ramdax.* keys, read after /proc/cmdline")
	if err := f.Parse(args); err != nil {
		return 2
	}
	l := newLogger(stdout)
	log.SetFlags(0)
	log.SetOutput(logWriter{l})
	l.Printf("apply: layout from /proc/cmdline and %s", *file)
	_, st := safeSetup(l, runAs{onOS: true, layoutFile: *file})
	if problems := setupProblems(st); problems != "" {
		l.Printf("apply: %s; see %s", problems, status.File)
		return 1
	}
	return 0
}

// setupProblems says what was not set up as asked, or "" when everything
// was.
func setupProblems(st *status.Status) string {
	var p []string
	if n := len(st.Errors); n > 0 {
		p = append(p, fmt.Sprintf("%d errors", n))
	}
	if n := st.CmdlineErrors + st.BootconfigErrors; n > 0 {
		p = append(p, fmt.Sprintf("%d layout errors", n))
	}
	for _, state := range []string{status.Conflict, status.Failed, status.Skipped} {
		if n := st.Count(state); n > 0 {
			p = append(p, fmt.Sprintf("%d %s", n, state))
		}
	}
	return strings.Join(p, ", ")
}

// printName is `ramdaxinit name DEVICE`, udev's PROGRAM for the stable
// names: it prints the name on the label of the ramdax namespace behind
// DEVICE (pmem0, pmem0.1s, dax0.0), and exits 1, so that udev makes no
// link, for a device of another bus (a real NVDIMM) or a namespace with
// no name.
func printName(stdout io.Writer, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: ramdaxinit name DEVICE")
		return 2
	}
	name, err := namespaceName(nvdimm.New("/sys"), filepath.Base(args[0]))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ramdaxinit name: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, name)
	return 0
}

// namespaceName returns the name of the ramdax namespace whose device is
// node.
func namespaceName(sys *nvdimm.Sysfs, node string) (string, error) {
	nss, _, err := sys.ScanNamespaces()
	if err != nil {
		return "", err
	}
	for _, ns := range nss {
		if ns.BlockDev != node && ns.CharDev != node {
			continue
		}
		onRamdax, err := sys.OnRamdax(ns.Dev)
		switch {
		case err != nil:
			return "", err
		case !onRamdax:
			return "", fmt.Errorf("%s (%s) is not on the ramdax bus", node, ns.Dev)
		case ns.Name == "":
			return "", fmt.Errorf("%s (%s) has no name", node, ns.Dev)
		}
		return ns.Name, nil
	}
	return "", errors.New(node + " is no namespace's device")
}
