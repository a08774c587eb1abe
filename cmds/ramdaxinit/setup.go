package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ramdax/appliance/invariant"
	"github.com/ramdax/appliance/kmod"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// readLayout parses /proc/cmdline, logging every error and hint. The
// layout it returns holds what parsed cleanly.
func readLayout(l *logger) (*layout.Layout, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, fmt.Errorf("read kernel command line: %w", err)
	}
	lay, err := layout.Parse(strings.TrimSpace(string(cmdline)))
	for _, e := range layout.AsErrors(err) {
		l.Printf("error: %v", e)
	}
	for _, h := range lay.Hints() {
		l.Printf("hint: %s", h)
	}
	return lay, err
}

// setup does everything between /init and the ready line. It returns the
// layout (for ramdax.then) and the status to report; errors are recorded
// in the status, never fatal.
func setup(l *logger) (*layout.Layout, *status.Status) {
	st := &status.Status{}
	lay, parseErr := readLayout(l)
	if lay == nil {
		st.Fail("%v", parseErr)
		return &layout.Layout{Then: layout.ThenShell}, st
	}
	l.debug = lay.Debug
	st.CmdlineErrors = len(layout.AsErrors(parseErr))
	if len(lay.Carveouts) == 0 {
		l.Printf("no memmap=SIZE!START carveout on the command line: nothing to set up")
		return lay, st
	}
	sys, err := bringUp(l, modulesFor(lay))
	if err != nil {
		st.Fail("%v", err)
		return lay, st
	}
	apply(l, sys, lay, parseErr != nil, st)
	checkInvariants(l, sys, st)
	return lay, st
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

// bringUp makes the drivers available and moves the carveouts to ramdax.
func bringUp(l *logger, modules []string) (*nvdimm.Sysfs, error) {
	kind, err := kmod.Ensure(kmod.WithModules(modules...), kmod.WithLogf(l.Debugf))
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

// apply reconciles the labels with lay and records the outcome in st.
// With errors on the command line it still keeps and mounts what exists
// and creates fixed-size namespaces, but resets nothing and leaves "rest"
// namespaces for a corrected boot: a rejected parameter could have changed
// what "rest" means.
func apply(l *logger, sys *nvdimm.Sysfs, lay *layout.Layout, cmdlineErrors bool, st *status.Status) {
	regions, err := regionNames(sys)
	if err != nil {
		st.Fail("%v", err)
		return
	}
	have, err := sys.Namespaces()
	if err != nil {
		st.Fail("read namespaces: %v", err)
		return
	}
	steps := reconcile.Plan(lay, have, regions)
	var toCreate []reconcile.Step
	for _, s := range steps {
		switch {
		case cmdlineErrors && (s.Action == reconcile.Recreate || s.Action == reconcile.Create && s.Want.Rest):
			st.Add(entryFor(s), status.Skipped, "not applied while the command line has errors")
		case s.Action == reconcile.Recreate:
			if err := sys.DestroyNamespace(s.Have.Dev, true); err != nil {
				st.Add(entryFor(s), status.Failed, fmt.Sprintf("reset: %v", err))
				continue
			}
			l.Printf("%s: destroyed for reset (%s)", s.Name, s.Why)
			toCreate = append(toCreate, s)
		case s.Action == reconcile.Create:
			toCreate = append(toCreate, s)
		case s.Action == reconcile.Complete:
			complete(l, sys, s, regions, st)
		default:
			finish(l, sys, s, s.Have, st)
		}
	}
	create(l, sys, toCreate, regions, st)
}

// create sizes the namespaces to make ("rest" becomes what is left) and
// makes them in command-line order. One failure does not undo the others.
func create(l *logger, sys *nvdimm.Sysfs, steps []reconcile.Step, regions []string, st *status.Status) {
	if len(steps) == 0 {
		return
	}
	available, err := availableByIndex(sys, regions)
	if err != nil {
		st.Fail("%v", err)
		return
	}
	want := make([]layout.Namespace, len(steps))
	for i, s := range steps {
		want[i] = *s.Want
	}
	planned, planErr := layout.Plan(want, available)
	for _, e := range layout.AsErrors(planErr) {
		l.Printf("error: %v", e)
	}
	for _, s := range steps {
		i := slices.IndexFunc(planned, func(ns layout.Namespace) bool { return ns.Name == s.Name })
		if i < 0 {
			st.Add(entryFor(s), status.Failed, "does not fit; see the error above")
			continue
		}
		ns, err := sys.CreateNamespace(specFor(planned[i], regions))
		if err != nil {
			st.Add(entryFor(s), status.Failed, err.Error())
			continue
		}
		l.Printf("%s: created %s %s at %s", s.Name, s.Want.Mode, layout.FormatSize(planned[i].Size), sys.DevicePath(ns))
		s.Want = &planned[i]
		finishNew(l, sys, s, ns, st)
	}
}

// complete finishes a namespace whose creation was cut short.
func complete(l *logger, sys *nvdimm.Sysfs, s reconcile.Step, regions []string, st *status.Status) {
	want := *s.Want
	want.Size = s.Have.RawSize
	ns, err := sys.Complete(s.Have.Dev, specFor(want, regions))
	if err != nil {
		st.Add(entryFor(s), status.Failed, err.Error())
		return
	}
	l.Printf("%s: completed a creation cut short, at %s", s.Name, sys.DevicePath(ns))
	finishNew(l, sys, s, ns, st)
}

// finishNew wipes the start of a namespace that was just made, then
// finishes it. A new namespace reuses space that older ones held, and an
// old file system's superblock there would otherwise be taken for the new
// namespace's own: "created empty" must mean empty.
func finishNew(l *logger, sys *nvdimm.Sysfs, s reconcile.Step, ns *nvdimm.Namespace, st *status.Status) {
	if s.Want.Mode != layout.SystemRAM {
		if err := wipeStart(sys.DevicePath(ns), ns.Align); err != nil {
			st.Add(entryFor(s), status.Failed, err.Error())
			return
		}
	}
	finish(l, sys, s, ns, st)
}

// specFor turns a planned namespace into what nvdimm creates.
func specFor(ns layout.Namespace, regions []string) nvdimm.NamespaceSpec {
	return nvdimm.NamespaceSpec{
		Region:     regions[ns.Region],
		Mode:       reconcile.NvdimmMode(ns.Mode),
		Name:       ns.Name,
		Size:       ns.Size,
		Align:      ns.Align,
		Map:        string(ns.Map),
		SectorSize: ns.Sector,
	}
}

// finish takes a namespace that exists (kept, created or left alone) the
// rest of the way: system-ram onlined, file system made and mounted. Only
// namespaces the command line declares and that match it are touched.
func finish(l *logger, sys *nvdimm.Sysfs, s reconcile.Step, ns *nvdimm.Namespace, st *status.Status) {
	e := entryFor(s)
	fill(&e, sys, ns)
	state := map[reconcile.Action]string{
		reconcile.Create: status.Created, reconcile.Recreate: status.Created, reconcile.Complete: status.Created, reconcile.Keep: status.Kept,
		reconcile.Conflict: status.Conflict, reconcile.Unmanaged: status.Unmanaged,
	}[s.Action]
	if s.Action == reconcile.Conflict || s.Action == reconcile.Unmanaged {
		if s.Action == reconcile.Conflict {
			l.Printf("%s: conflict: %s", s.Name, s.Why)
		}
		st.Add(e, state, s.Why)
		return
	}
	if err := use(l, sys, s.Want, ns, &e); err != nil {
		st.Add(e, status.Failed, err.Error())
		return
	}
	st.Add(e, state, "")
}

// use puts a namespace to the use its mode asks for.
func use(l *logger, sys *nvdimm.Sysfs, want *layout.Namespace, ns *nvdimm.Namespace, e *status.Entry) error {
	switch {
	case want.Mode == layout.SystemRAM && ns.DaxMode != nvdimm.DaxModeSystemRAM:
		got, err := sys.Reconfigure(ns.Dev, nvdimm.DaxModeSystemRAM)
		if err != nil {
			return fmt.Errorf("system-ram: %w", err)
		}
		fill(e, sys, got)
	case want.Mode == layout.FSDAX && (want.FS != "" || want.Mount != ""):
		return mountFS(l, e.Device, want, e)
	}
	return nil
}

// regionNames lists the ramdax regions so that names[N] is layout region
// N: the kernel numbers a bus's regions in address order, as layout does.
func regionNames(sys *nvdimm.Sysfs) ([]string, error) {
	regions, err := sys.Regions()
	if err != nil {
		return nil, fmt.Errorf("read regions: %w", err)
	}
	if len(regions) == 0 {
		return nil, errors.New("ramdax registered no region: is the carveout inside guest RAM?")
	}
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.Dev
	}
	slices.SortFunc(names, func(a, b string) int { return devNumber(a) - devNumber(b) })
	return names, nil
}

func devNumber(dev string) int {
	var n int
	fmt.Sscanf(strings.TrimLeft(dev, "abcdefghijklmnopqrstuvwxyz"), "%d", &n)
	return n
}

// availableByIndex maps layout region numbers to their free bytes.
func availableByIndex(sys *nvdimm.Sysfs, regions []string) (map[int]uint64, error) {
	avail := map[int]uint64{}
	for i, name := range regions {
		r, err := sys.Region(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		avail[i] = r.MaxAvailableExtent
	}
	return avail, nil
}
