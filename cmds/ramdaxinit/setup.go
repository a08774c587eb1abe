package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ramdax/appliance/apply"
	"github.com/ramdax/appliance/invariant"
	"github.com/ramdax/appliance/kmod"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// layoutProblems counts the problems found in each source of the layout.
type layoutProblems struct {
	cmdline, bootconfig int
}

// readLayout parses /proc/cmdline and the bootconfig, logging every
// error and hint. The layout it returns holds what parsed cleanly.
func readLayout(l *logger) (*layout.Layout, layoutProblems, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, layoutProblems{}, fmt.Errorf("read kernel command line: %w", err)
	}
	bc := readBootconfig()
	for _, p := range bc.problems {
		l.Printf("error: %v", p)
	}
	for _, w := range bc.warnings {
		l.Printf("warning: %s", w)
	}
	lay, err := layout.ParseWithBootconfig(strings.TrimSpace(string(cmdline)), bc.source, bc.kvs)
	for _, e := range layout.AsErrors(err) {
		l.Printf("error: %v", e)
	}
	for _, h := range lay.Hints() {
		l.Printf("hint: %s", h)
	}
	if len(bc.kvs) > 0 {
		l.Debugf("%s: %d keys", bc.source, len(bc.kvs))
	}
	return lay, countProblems(bc.problems, layout.AsErrors(err)), errors.Join(append(bc.problems, err)...)
}

// countProblems counts the bootconfig's own problems, and the parameter
// errors by the source they name: none for the command line.
func countProblems(bootconfigProblems []error, paramErrors []*layout.ParamError) layoutProblems {
	n := layoutProblems{bootconfig: len(bootconfigProblems)}
	for _, e := range paramErrors {
		if e.Source == "" {
			n.cmdline++
		} else {
			n.bootconfig++
		}
	}
	return n
}

// setup does everything between /init and the ready line, recording the
// outcome in st. It returns the layout, for ramdax.then; errors are
// recorded in st, never fatal.
func setup(l *logger, st *status.Status) *layout.Layout {
	lay, problems, parseErr := readLayout(l)
	if lay == nil {
		st.Fail("%v", parseErr)
		return &layout.Layout{Then: layout.ThenShell}
	}
	l.debug = lay.Debug
	st.CmdlineErrors, st.BootconfigErrors = problems.cmdline, problems.bootconfig
	if len(lay.Carveouts) == 0 {
		l.Printf("no memmap=SIZE!START carveout on the command line: nothing to set up")
		if !builtInRamdax() {
			coldplug(l)
		}
		return lay
	}
	sys, err := bringUp(l, modulesFor(lay))
	if err != nil {
		st.Fail("%v", err)
		return lay
	}
	reconcileLayout(l, sys, lay, parseErr != nil, st)
	checkInvariants(l, sys, st)
	return lay
}

// checkInvariants looks at the labels again after setup: a broken
// invariant is a bug here or damage from outside, and the operator must
// hear of it before using the namespaces.
func checkInvariants(l *logger, sys *nvdimm.Sysfs, st *status.Status) {
	nss, err := sys.Namespaces()
	if err != nil {
		st.Fail("invariants: %v", err)
		return
	}
	errs := invariant.Check(sys, nss, st)
	for _, err := range errs {
		st.Fail("invariant broken: %v", err)
	}
	if len(errs) == 0 {
		l.Printf("checked %d namespaces: names unique, no overlaps, status agrees with sysfs", len(nss))
	}
}

// modulesFor lists the modules a modular kernel needs for lay: the nvdimm
// drivers always, a file system only when a namespace may mount one.
func modulesFor(lay *layout.Layout) []string {
	mods := slices.Clone(kmod.Drivers)
	for _, ns := range lay.Namespaces {
		switch {
		case ns.FS != "":
			mods = append(mods, ns.FS)
		case ns.Mount != "":
			mods = append(mods, kmod.Filesystems...)
		}
	}
	slices.Sort(mods[len(kmod.Drivers):])
	return slices.Compact(mods)
}

// coldplug loads the modules of the machine's disks, NICs and keyboard,
// whatever came of the nvdimm drivers: a failure is logged, never a setup
// error.
func coldplug(l *logger) {
	if err := kmod.Coldplug(kmod.WithLogf(l.Printf)); err != nil {
		l.Printf("error: hardware drivers: %v", err)
	}
}

// builtInRamdax says whether the kernel has the ramdax driver built in,
// and so its hardware drivers too.
func builtInRamdax() bool {
	_, err := os.Stat("/sys/bus/platform/drivers/ramdax")
	return err == nil
}

// bringUp makes the drivers available and moves the carveouts to ramdax.
func bringUp(l *logger, modules []string) (*nvdimm.Sysfs, error) {
	kind, err := kmod.Ensure(kmod.WithModules(modules...), kmod.WithLogf(l.Debugf))
	if kind == kmod.Modular {
		coldplug(l)
	}
	if err != nil {
		return nil, fmt.Errorf("nvdimm drivers: %w", err)
	}
	l.Debugf("drivers: %s", kind)
	sys := nvdimm.New("/sys")
	sys.Logf = l.Debugf
	bus, err := sys.BindRamdax()
	if err != nil {
		return nil, err
	}
	l.Debugf("%s: provider %s", bus.Dev, bus.Provider)
	return sys, nil
}

// reconcileLayout reconciles the labels with lay and records the outcome in st.
// With errors on the command line it still keeps and mounts what exists
// and creates fixed-size namespaces, but resets nothing and leaves "rest"
// namespaces for a corrected boot.
func reconcileLayout(l *logger, sys *nvdimm.Sysfs, lay *layout.Layout, cmdlineErrors bool, st *status.Status) {
	regions, err := sortedRegions(sys)
	if err != nil {
		st.Fail("%v", err)
		return
	}
	st.Regions = status.Regions(regions)
	have, unreadable, err := sys.ScanNamespaces()
	if err != nil {
		st.Fail("read namespaces: %v", err)
		return
	}
	steps := reconcile.Plan(reconcile.Input{Layout: lay, Have: have, Unreadable: unreadable, Regions: regions, CmdlineErrors: cmdlineErrors})
	a := &apply.Applier{Sys: sys, Media: apply.Disk{}, Log: l}
	a.Apply(steps, st)
}

// sortedRegions lists the ramdax regions so that regions[N] is layout
// region N: the kernel numbers a bus's regions in address order, as
// layout does.
func sortedRegions(sys *nvdimm.Sysfs) ([]nvdimm.Region, error) {
	regions, err := sys.Regions()
	if err != nil {
		return nil, fmt.Errorf("read regions: %w", err)
	}
	if len(regions) == 0 {
		return nil, errors.New("ramdax registered no region: is the carveout inside guest RAM?")
	}
	slices.SortFunc(regions, func(a, b nvdimm.Region) int { return devNumber(a.Dev) - devNumber(b.Dev) })
	return regions, nil
}

func devNumber(dev string) int {
	var n int
	fmt.Sscanf(strings.TrimLeft(dev, "abcdefghijklmnopqrstuvwxyz"), "%d", &n)
	return n
}
