// Package apply carries out a reconcile plan on a running system: it
// destroys what ramdax.reset asks for, finishes creations a power cut
// interrupted, creates namespaces, and takes each one the rest of the way
// (system RAM onlined, file system made and mounted), recording every
// outcome in a status.
//
// The rule it keeps: nothing is wiped or formatted that this boot did not
// create. A file system is made only on a namespace created now, or on one
// whose creation was cut short before its mkfs finished, which carries
// ramdaxinit's format-pending mark from the moment it can be seen in its
// mode. A kept namespace whose content is not the file system fs= names is
// reported and left exactly as it is.
package apply

import (
	"errors"
	"fmt"
	"os"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// Logger is where apply reports, line by line: Printf for what the
// operator must see at once, Detailf for what the status table after the
// ready line shows again, Debugf for what only ramdax.debug shows.
type Logger interface {
	Printf(format string, args ...any)
	Detailf(format string, args ...any)
	Debugf(format string, args ...any)
}

// Applier carries plans out on one system.
type Applier struct {
	Sys   *nvdimm.Sysfs
	Media Media
	Log   Logger
}

// outcome is what became of one step.
type outcome struct {
	entry  status.Entry
	state  string
	detail string
}

// Apply carries out steps in the order the kernel must see them: resets
// destroy first, then creations cut short are finished, then namespaces
// are created in reconcile.CreationOrder, then the rest are taken the rest
// of the way. Each step fails alone, a panic included, and gets one entry
// in st, in step order.
func (a *Applier) Apply(steps []reconcile.Step, st *status.Status) {
	done := make([]*outcome, len(steps))
	run := func(i int, fn func(reconcile.Step) outcome) {
		if done[i] == nil {
			o := a.guarded(steps[i], fn)
			done[i] = &o
		}
	}
	for i, s := range steps {
		if s.Action == reconcile.Recreate {
			if o, failed := a.destroy(s); failed {
				done[i] = &o
			}
		}
	}
	for i, s := range steps {
		if s.Action == reconcile.Complete {
			run(i, a.complete)
		}
	}
	for _, i := range reconcile.CreationOrder(steps) {
		run(i, a.create)
	}
	for i := range steps {
		run(i, a.settle)
	}
	for _, o := range done {
		st.Add(o.entry, o.state, o.detail)
	}
}

// guarded runs fn for s, turning a panic into a failed outcome: one
// broken namespace must not cost the others their setup, or the machine
// its console.
func (a *Applier) guarded(s reconcile.Step, fn func(reconcile.Step) outcome) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			a.Log.Printf("error: %s: internal error: %v", s.Name, r)
			o = outcome{entryFor(s), status.Failed, fmt.Sprintf("internal error: %v", r)}
		}
	}()
	return fn(s)
}

// destroy frees the namespace a reset replaces. The plan has checked that
// the new one fits.
func (a *Applier) destroy(s reconcile.Step) (outcome, bool) {
	o := a.guarded(s, func(s reconcile.Step) outcome {
		if err := a.Sys.DestroyNamespace(s.Have.Dev, true); err != nil {
			return a.failed(entryFor(s), s.Name, fmt.Errorf("reset: %w", err))
		}
		a.Log.Printf("%s: destroyed for reset (%s)", s.Name, s.Why)
		return outcome{}
	})
	return o, o.state != ""
}

// create makes a namespace the plan sized, wipes its start and finishes it.
func (a *Applier) create(s reconcile.Step) outcome {
	ns, err := a.Sys.CreateNamespace(a.spec(s.Want, s.Region, s.Size, nvdimm.NewUUID()))
	if err != nil {
		return a.failed(entryFor(s), s.Name, err)
	}
	// Each line costs a slow serial console its time before the ready
	// line: 4 ms at 115200 baud. The table after it lists the namespace.
	a.Log.Detailf("%s: created %s %s at %s", s.Name, s.Want.Mode, layout.FormatSize(s.Size), a.Sys.DevicePath(ns))
	// A new namespace reuses space that older ones held, and an old file
	// system's superblock there would otherwise be taken for the new
	// namespace's own: "created empty" must mean empty.
	if s.Want.Mode != layout.SystemRAM {
		if err := a.Media.Wipe(a.Sys.DevicePath(ns), ns.Align); err != nil {
			return a.failed(entryFor(s), s.Name, err)
		}
	}
	return a.finish(s, ns, status.Created, true)
}

// complete finishes a namespace whose creation was cut short, in place
// and without a wipe: it never held data, and one that holds an info block
// the kernel refused is left alone as a conflict.
func (a *Applier) complete(s reconcile.Step) outcome {
	ns, err := a.Sys.Complete(s.Have.Dev, a.spec(s.Want, s.Have.Region, s.Have.RawSize, s.Have.RawUUID))
	if errors.Is(err, nvdimm.ErrInfoBlock) {
		e := entryFor(s)
		fill(&e, a.Sys, s.Have)
		why := fmt.Sprintf("%v: its checksum, uuid or parent does not match; data left alone: inspect it with ramdaxctl, or add ramdax.reset=%s to recreate it empty", err, s.Name)
		a.Log.Printf("%s: conflict: %s", s.Name, why)
		return outcome{e, status.Conflict, why}
	}
	if err != nil {
		return a.failed(entryFor(s), s.Name, err)
	}
	a.Log.Printf("%s: completed a creation cut short, at %s", s.Name, a.Sys.DevicePath(ns))
	return a.finish(s, ns, status.Created, true)
}

// settle records what the other actions leave: kept namespaces are taken
// the rest of the way, the others are reported as they are.
func (a *Applier) settle(s reconcile.Step) outcome {
	e := entryFor(s)
	switch s.Action {
	case reconcile.Keep:
		return a.finish(s, s.Have, status.Kept, false)
	case reconcile.Conflict:
		fill(&e, a.Sys, s.Have)
		a.Log.Printf("%s: conflict: %s", s.Name, s.Why)
		return outcome{e, status.Conflict, s.Why}
	case reconcile.Unmanaged:
		fill(&e, a.Sys, s.Have)
		return outcome{e, status.Unmanaged, ""}
	case reconcile.Skip:
		return outcome{e, status.Skipped, s.Why}
	}
	if s.Have != nil && s.Have.RawSize > 0 {
		// A reset that could not be made: the old namespace is there.
		fill(&e, a.Sys, s.Have)
	}
	return a.failed(e, s.Name, errors.New(s.Why))
}

// failed logs err as an error of name and records it.
func (a *Applier) failed(e status.Entry, name string, err error) outcome {
	a.Log.Printf("error: %s: %v", name, err)
	return outcome{e, status.Failed, err.Error()}
}

// finish puts a namespace that exists to the use its mode asks for.
// fresh says its content is this boot's to make.
func (a *Applier) finish(s reconcile.Step, ns *nvdimm.Namespace, state string, fresh bool) outcome {
	e := entryFor(s)
	fill(&e, a.Sys, ns)
	var err error
	switch want := s.Want; {
	case want.Mode == layout.SystemRAM && ns.DaxMode != nvdimm.DaxModeSystemRAM:
		err = a.onlineRAM(ns, &e)
	case want.Mode == layout.FSDAX && (want.FS != "" || want.Mount != ""):
		err = a.filesystem(want, e.Device, ns.RawUUID, fresh, &e)
	}
	if err != nil {
		return a.failed(e, s.Name, err)
	}
	return outcome{e, state, ""}
}

func (a *Applier) onlineRAM(ns *nvdimm.Namespace, e *status.Entry) error {
	got, err := a.Sys.Reconfigure(ns.Dev, nvdimm.DaxModeSystemRAM)
	if err != nil {
		return fmt.Errorf("system-ram: %w", err)
	}
	fill(e, a.Sys, got)
	return nil
}

// spec is what nvdimm creates for want, with the namespace uuid uuid. An
// fsdax namespace that gets a file system is marked format-pending before
// it can be seen as fsdax.
func (a *Applier) spec(want *layout.Namespace, region string, size uint64, uuid string) nvdimm.NamespaceSpec {
	spec := nvdimm.NamespaceSpec{
		Region:     region,
		Mode:       reconcile.NvdimmMode(want.Mode),
		Name:       want.Name,
		Size:       size,
		Align:      want.Align,
		Map:        string(want.Map),
		SectorSize: want.Sector,
		UUID:       uuid,
	}
	if want.Mode == layout.FSDAX && want.FS != "" {
		spec.BeforeClaim = func(raw *os.File) error {
			if err := a.Media.MarkPending(raw, uuid); err != nil {
				return err
			}
			a.Log.Debugf("%s: marked format-pending", want.Name)
			return nil
		}
	}
	return spec
}
