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
	"github.com/ramdax/appliance/timing"
)

// layoutProblems counts the problems found in each source of the layout.
type layoutProblems struct {
	cmdline, bootconfig int
}

// readLayout parses /proc/cmdline and the bootconfig, logging every
// error and hint. The layout it returns holds what parsed cleanly.
func readLayout(l *logger, as runAs) (*layout.Layout, layoutProblems, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, layoutProblems{}, fmt.Errorf("read kernel command line: %w", err)
	}
	bc := readBootconfig(as)
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
func setup(l *logger, st *status.Status, steps *timing.Steps, as runAs) *layout.Layout {
	start := timing.Now()
	lay, problems, parseErr := readLayout(l, as)
	steps.Since(stepParse, start)
	if lay == nil {
		st.Fail("%v", parseErr)
		return &layout.Layout{Then: layout.ThenShell}
	}
	l.debug = lay.Debug
	st.CmdlineErrors, st.BootconfigErrors = problems.cmdline, problems.bootconfig
	if len(lay.Carveouts) == 0 {
		l.Printf("no memmap=SIZE!START carveout on the command line: nothing to set up")
		if !builtInRamdax() && !as.onOS {
			coldplug(l)
		}
		return lay
	}
	sys, err := bringUp(l, modulesFor(lay), steps, as)
	if err != nil {
		st.Fail("%v", err)
		return lay
	}
	scan := reconcileLayout(l, sys, lay, parseErr != nil, st)
	start = timing.Now()
	checkInvariants(l, sys, scan, st)
	steps.Since(stepInvariants, start)
	refreshAvailable(l, sys, st)
	// As PID 1 this process lives on: it keeps no device directory open.
	sys.ReleaseDirs()
	start = timing.Now()
	linkNames(l, st)
	steps.Since(stepNames, start)
	return lay
}

// refreshAvailable records each region's free space after setup, as
// status.json and the metrics show it.
func refreshAvailable(l *logger, sys *nvdimm.Sysfs, st *status.Status) {
	for i, r := range st.Regions {
		n, err := sys.AvailableSize(r.Dev)
		if err != nil {
			l.Printf("error: %s: %v", r.Dev, err)
			continue
		}
		st.Regions[i].Available = n
	}
}

// scan is the listing setup planned from, and the number of attribute
// writes made when it was taken.
type scan struct {
	namespaces []nvdimm.Namespace
	writes     int
	complete   bool // every namespace could be read
}

// current returns the namespaces as sysfs shows them now: the scan, when
// nothing was written since, or a new listing.
func (sc *scan) current(sys *nvdimm.Sysfs) ([]nvdimm.Namespace, error) {
	if sc != nil && sc.complete && sc.writes == sys.Writes() {
		return sc.namespaces, nil
	}
	return sys.Namespaces()
}

// ramdaxinit's own steps, one after the other; the nvdimm and apply
// steps run inside them.
const (
	stepParse      = "parse"
	stepDrivers    = "drivers"
	stepTakeover   = "takeover"
	stepList       = "list"
	stepPlan       = "plan"
	stepApply      = "apply"
	stepInvariants = "invariants"
	stepNames      = "names"
	stepStatus     = "status"
	stepTable      = "table"
)

// topSteps are the steps that add up to ramdaxinit's time to ready, and
// afterSteps those after its clock stops: status.json holds the time.
var (
	topSteps   = []string{stepParse, stepDrivers, stepTakeover, stepList, stepPlan, stepApply, stepInvariants, stepNames}
	afterSteps = []string{stepStatus, stepTable}
)

// checkInvariants looks at the labels again after setup: a broken
// invariant is a bug here or damage from outside, and the operator must
// hear of it before using the namespaces.
//
// A boot that wrote nothing after its scan, such as one that kept every
// namespace, checks the scan: listing again would read the same.
func checkInvariants(l *logger, sys *nvdimm.Sysfs, sc *scan, st *status.Status) {
	nss, err := sc.current(sys)
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
// error. On the OS, udev does it.
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
func bringUp(l *logger, modules []string, steps *timing.Steps, as runAs) (*nvdimm.Sysfs, error) {
	start := timing.Now()
	kind, err := kmod.Ensure(kmod.WithModules(modules...), kmod.WithLogf(l.Debugf))
	if kind == kmod.Modular && !as.onOS {
		coldplug(l)
	}
	steps.Since(stepDrivers, start)
	if err != nil {
		return nil, fmt.Errorf("nvdimm drivers: %w", err)
	}
	l.Debugf("drivers: %s", kind)
	sys := nvdimm.New("/sys")
	sys.Logf = l.Debugf
	sys.Steps = steps
	// As /init nothing else runs yet; on the OS, early in its boot,
	// only udev, which writes nothing to the nd bus.
	sys.SoleWriter = true
	start = timing.Now()
	bus, err := sys.BindRamdax()
	steps.Since(stepTakeover, start)
	if err != nil {
		return nil, err
	}
	l.Debugf("%s: provider %s", bus.Dev, bus.Provider)
	return sys, nil
}

// reconcileLayout reconciles the labels with lay, records the outcome in
// st and returns the scan it planned from.
// With errors on the command line it still keeps and mounts what exists
// and creates fixed-size namespaces, but resets nothing and leaves "rest"
// namespaces for a corrected boot.
func reconcileLayout(l *logger, sys *nvdimm.Sysfs, lay *layout.Layout, cmdlineErrors bool, st *status.Status) *scan {
	start := timing.Now()
	regions, err := sortedRegions(sys)
	if err != nil {
		st.Fail("%v", err)
		return nil
	}
	st.Regions = status.Regions(regions)
	have, unreadable, err := sys.ScanNamespaces()
	sys.Steps.Since(stepList, start)
	if err != nil {
		st.Fail("read namespaces: %v", err)
		return nil
	}
	sc := &scan{namespaces: have, writes: sys.Writes(), complete: len(unreadable) == 0}
	start = timing.Now()
	plan := reconcile.Plan(reconcile.Input{Layout: lay, Have: have, Unreadable: unreadable, Regions: regions, CmdlineErrors: cmdlineErrors})
	sys.Steps.Since(stepPlan, start)
	start = timing.Now()
	a := &apply.Applier{Sys: sys, Media: apply.Timed(apply.Disk{}, sys.Steps), Log: l}
	a.Apply(plan, st)
	sys.Steps.Since(stepApply, start)
	return sc
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
