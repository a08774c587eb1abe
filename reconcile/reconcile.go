// Package reconcile decides, namespace by namespace, how the layout asked
// for on the kernel command line meets what the labels already hold, and
// how large each namespace to be made will be.
//
// Namespaces are matched by name, the alt_name stored in their label. The
// rules keep data safe:
//
//   - a namespace asked for and absent is created;
//   - one present as asked is kept, untouched;
//   - one present as asked but without a device (its creation was cut
//     short) is completed;
//   - one present under the same name with other parameters is a conflict,
//     reported and left alone, and so is one whose ramdax.ns was rejected;
//   - one on the labels that the command line does not mention is
//     unmanaged, and left alone;
//   - only ramdax.reset=NAME (or all) destroys and recreates a namespace
//     the command line declares, and only when the new one fits: a reset
//     that cannot be made again destroys nothing.
//
// Plan is pure: it reads no sysfs and changes nothing, so every rule is a
// unit test. Package apply carries the plan out.
package reconcile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
)

// Action is what happens to one namespace.
type Action string

// The actions, in the words of ramdaxinit's status table.
const (
	Create    Action = "create"
	Keep      Action = "keep"
	Conflict  Action = "conflict"
	Recreate  Action = "recreate"
	Unmanaged Action = "unmanaged"
	// Complete: present as asked but without a device, because a power
	// cut or crash interrupted its creation.
	Complete Action = "complete"
	// Fail: asked for, but it cannot be set up (it does not fit, its
	// region is absent), or on the labels but unreadable. Nothing is
	// changed for it.
	Fail Action = "fail"
	// Skip: asked for, but not applied at this boot (command-line
	// errors, or an unreadable namespace that may be this one).
	Skip Action = "skip"
)

// Step is the decision for one namespace.
type Step struct {
	Action Action
	Name   string
	// Want is the namespace as asked; nil for Unmanaged.
	Want *layout.Namespace
	// Have is the namespace as found; nil for Create.
	Have *nvdimm.Namespace
	// Why says what differs, for Conflict and Recreate, and what went
	// wrong, for Fail and Skip.
	Why string
	// Region and Size are where and how large a Create or Recreate makes
	// the namespace: "rest" resolved, the region align applied.
	Region string
	Size   uint64
}

// Input is everything a plan is made from, as read at boot.
type Input struct {
	Layout *layout.Layout
	// Have are the namespaces on the labels, Unreadable those whose
	// label attributes could not be read.
	Have       []nvdimm.Namespace
	Unreadable []*nvdimm.ReadError
	// Regions are the kernel's regions, sorted so that Regions[N] is
	// layout region N.
	Regions []nvdimm.Region
	// CmdlineErrors says the command line had errors: a rejected
	// parameter could have changed what "rest" or a reset means, so
	// those wait for a corrected boot.
	CmdlineErrors bool
}

// Plan matches the layout against the labels and sizes what is to be
// made. Steps come in command-line order, then the namespaces on the
// labels that the command line does not declare, then the unreadable
// ones.
func Plan(in Input) []Step {
	byName := map[string][]*nvdimm.Namespace{}
	for i := range in.Have {
		byName[in.Have[i].Name] = append(byName[in.Have[i].Name], &in.Have[i])
	}
	var steps []Step
	declared := map[string]bool{}
	for i := range in.Layout.Namespaces {
		w := &in.Layout.Namespaces[i]
		declared[w.Name] = true
		steps = append(steps, decide(in.Layout, w, byName[w.Name], in.Regions))
	}
	for i := range in.Have {
		if h := &in.Have[i]; !declared[h.Name] {
			steps = append(steps, undeclared(in.Layout, h))
		}
	}
	for _, bad := range in.Unreadable {
		steps = append(steps, Step{Action: Fail, Name: bad.Dev, Have: &nvdimm.Namespace{Dev: bad.Dev, Region: bad.Region},
			Why: fmt.Sprintf("%v; left alone, and nothing is created in %s, since this may be a namespace the command line declares", bad, bad.Region)})
	}
	hold(steps, in)
	size(steps, in.Regions, in.Have)
	return steps
}

// undeclared handles a namespace on the labels that no ramdax.ns declares.
func undeclared(l *layout.Layout, h *nvdimm.Namespace) Step {
	if reason, ok := l.Rejected[h.Name]; ok {
		return Step{Action: Conflict, Name: h.Name, Have: h,
			Why: fmt.Sprintf("its ramdax.ns was rejected (%s); data left alone: fix that ramdax.ns", reason)}
	}
	return Step{Action: Unmanaged, Name: h.Name, Have: h}
}

// hold turns into Skip what must wait: resets and rest namespaces while
// the command line has errors, and every create in a region with an
// unreadable namespace, which could be the one asked for.
func hold(steps []Step, in Input) {
	unreadable := map[string]string{}
	for _, bad := range in.Unreadable {
		unreadable[bad.Region] = bad.Dev
	}
	for i := range steps {
		s := &steps[i]
		if s.Action != Create && s.Action != Recreate {
			continue
		}
		n, err := regionIndex(s.Want, in.Regions)
		if err != nil {
			continue // no region to hold: place fails it
		}
		region := regionName(n, regionNames(in.Regions))
		switch dev, bad := unreadable[region]; {
		case bad:
			s.Action, s.Why = Skip, fmt.Sprintf("%s in %s cannot be read and may be this namespace: not created, so that no second one is made", dev, region)
		case in.CmdlineErrors && (s.Action == Recreate || s.Want.Rest):
			s.Action, s.Why = Skip, "not applied while the command line has errors"
		}
	}
}

// decide handles one declared namespace and the namespaces found under its
// name.
func decide(l *layout.Layout, w *layout.Namespace, found []*nvdimm.Namespace, regions []nvdimm.Region) Step {
	s := Step{Name: w.Name, Want: w}
	switch len(found) {
	case 0:
		s.Action = Create
		return s
	case 1:
		s.Have = found[0]
		s.Why = differences(w, found[0], regions)
	default:
		// Two labels with one name: no way to tell which one is meant,
		// and resetting would destroy both.
		s.Action, s.Have = Conflict, found[0]
		s.Why = fmt.Sprintf("%d namespaces carry this name (%s); rename or destroy the extra ones with ramdaxctl", len(found), devs(found))
		return s
	}
	switch {
	case resets(l, w.Name):
		s.Action = Recreate
		if s.Why == "" {
			s.Why = "ramdax.reset names it"
		}
	case s.Why != "":
		s.Action = Conflict
		s.Why += "; data left alone: " + conflictFix(w, regions)
	case s.Have.BlockDev == "" && s.Have.CharDev == "":
		s.Action = Complete
		s.Why = "on the labels but without a device: its creation was cut short"
	default:
		s.Action = Keep
	}
	return s
}

// conflictFix says how to end a conflict: a reset, unless w asks for a
// node on which no namespace can be made, when the reset would fail too.
func conflictFix(w *layout.Namespace, regions []nvdimm.Region) string {
	if _, err := regionIndex(w, regions); err != nil {
		return err.Reason + "; " + err.Hint
	}
	return fmt.Sprintf("add ramdax.reset=%s to recreate it empty", w.Name)
}

func resets(l *layout.Layout, name string) bool {
	return l.ResetAll || slices.Contains(l.Reset, name)
}

// differences lists how h differs from w, "" when it is as asked. A size of
// "rest" matches any size: it meant what was left when it was made. With
// node=, any region on that node is as asked, even when the node has
// several: the namespace is where node= wants it.
func differences(w *layout.Namespace, h *nvdimm.Namespace, regions []nvdimm.Region) string {
	var d []string
	add := func(what, want, have string) {
		d = append(d, fmt.Sprintf("%s is %s, asked %s", what, have, want))
	}
	switch {
	case w.OnNode:
		if node := nodeOf(h.Region, regions); node != w.Node {
			add("node", strconv.Itoa(w.Node), fmt.Sprintf("%s (%s)", nodeText(node), h.Region))
		}
	default:
		if region := regionName(w.Region, regionNames(regions)); region != h.Region {
			add("region", region, h.Region)
		}
	}
	if mode := NvdimmMode(w.Mode); mode != h.Mode {
		add("mode", string(w.Mode), string(h.Mode))
	}
	if !w.Rest && w.Size != h.RawSize {
		add("size", layout.FormatSize(w.Size), layout.FormatSize(h.RawSize))
	}
	if w.Align != 0 && h.Align != 0 && w.Align != h.Align {
		add("align", layout.FormatSize(w.Align), layout.FormatSize(h.Align))
	}
	if w.Map != layout.MapDefault && h.Map != "" && string(w.Map) != h.Map {
		add("map", string(w.Map), h.Map)
	}
	if w.Mode == layout.Sector && w.Sector != 0 && w.Sector != h.SectorSize {
		add("sector size", fmt.Sprint(w.Sector), fmt.Sprint(h.SectorSize))
	}
	return strings.Join(d, ", ")
}

// NvdimmMode is the libnvdimm mode that holds a layout mode: system-ram is
// a devdax namespace whose dax device kmem owns.
func NvdimmMode(m layout.Mode) nvdimm.Mode {
	if m == layout.SystemRAM {
		return nvdimm.ModeDevdax
	}
	return nvdimm.Mode(m)
}

func regionNames(regions []nvdimm.Region) []string {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.Dev
	}
	return names
}

func regionName(n int, regions []string) string {
	if n >= 0 && n < len(regions) {
		return regions[n]
	}
	return fmt.Sprintf("region #%d (absent)", n)
}

func devs(ns []*nvdimm.Namespace) string {
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = n.Dev
	}
	return strings.Join(names, ", ")
}

// Count tallies steps by action.
func Count(steps []Step) map[Action]int {
	c := map[Action]int{}
	for _, s := range steps {
		c[s.Action]++
	}
	return c
}
