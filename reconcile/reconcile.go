// Package reconcile decides, namespace by namespace, how the layout asked
// for on the kernel command line meets what the labels already hold.
//
// Namespaces are matched by name, the alt_name stored in their label. The
// rules keep data safe:
//
//   - a namespace asked for and absent is created;
//   - one present as asked is kept, untouched;
//   - one present as asked but without a device (its creation was cut
//     short) is completed;
//   - one present under the same name with other parameters is a conflict,
//     reported and left alone;
//   - one on the labels that the command line does not mention is
//     unmanaged, and left alone;
//   - only ramdax.reset=NAME (or all) destroys and recreates a namespace
//     the command line declares.
//
// Plan is pure: it reads no sysfs and changes nothing, so every rule is a
// unit test. ramdaxinit carries the plan out.
package reconcile

import (
	"fmt"
	"slices"
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
	// cut or crash interrupted its creation. Finishing it loses nothing:
	// without a device it never held data.
	Complete Action = "complete"
)

// Step is the decision for one namespace.
type Step struct {
	Action Action
	Name   string
	// Want is the namespace as asked; nil for Unmanaged.
	Want *layout.Namespace
	// Have is the namespace as found; nil for Create.
	Have *nvdimm.Namespace
	// Why says what differs, for Conflict and Recreate.
	Why string
}

// Plan matches want against have, the namespaces on the labels. regions
// are the kernel's regions sorted so that regions[N] is layout region N.
// Steps come in command-line order, then the unmanaged namespaces.
func Plan(want *layout.Layout, have []nvdimm.Namespace, regions []string) []Step {
	byName := map[string][]*nvdimm.Namespace{}
	for i := range have {
		byName[have[i].Name] = append(byName[have[i].Name], &have[i])
	}
	var steps []Step
	declared := map[string]bool{}
	for i := range want.Namespaces {
		w := &want.Namespaces[i]
		declared[w.Name] = true
		steps = append(steps, decide(want, w, byName[w.Name], regions))
	}
	for i := range have {
		if h := &have[i]; !declared[h.Name] {
			steps = append(steps, Step{Action: Unmanaged, Name: h.Name, Have: h})
		}
	}
	return steps
}

// decide handles one declared namespace and the namespaces found under its
// name.
func decide(l *layout.Layout, w *layout.Namespace, found []*nvdimm.Namespace, regions []string) Step {
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
		s.Why += fmt.Sprintf("; data left alone: add ramdax.reset=%s to recreate it empty", w.Name)
	case s.Have.BlockDev == "" && s.Have.CharDev == "":
		s.Action = Complete
		s.Why = "on the labels but without a device: its creation was cut short"
	default:
		s.Action = Keep
	}
	return s
}

func resets(l *layout.Layout, name string) bool {
	return l.ResetAll || slices.Contains(l.Reset, name)
}

// differences lists how h differs from w, "" when it is as asked. A size of
// "rest" matches any size: it meant what was left when it was made.
func differences(w *layout.Namespace, h *nvdimm.Namespace, regions []string) string {
	var d []string
	add := func(what, want, have string) {
		d = append(d, fmt.Sprintf("%s is %s, asked %s", what, have, want))
	}
	if region := regionName(w.Region, regions); region != h.Region {
		add("region", region, h.Region)
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
