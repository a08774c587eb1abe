// Package invariant checks what must hold after every boot, whatever the
// layout asked and whatever cut the power before:
//
//   - every namespace name on the labels is unique;
//   - no two namespaces share a byte of persistent memory;
//   - ramdaxinit's status.json says what sysfs says: the same namespace
//     device, uuid, size and mode for every namespace it lists, and a
//     listing for every named namespace sysfs has.
//
// ramdaxinit checks these itself after setup, and the test suites check
// them again from outside, along with what only a second look can see:
// that a namespace nobody asked to change kept its uuid, size and first
// and last bytes (see Fingerprint).
package invariant

import (
	"fmt"
	"slices"

	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/status"
)

// Check returns every broken invariant of the namespaces nss (as
// nvdimm.Sysfs.Namespaces lists them) and the status st.
func Check(sys *nvdimm.Sysfs, nss []nvdimm.Namespace, st *status.Status) []error {
	errs := Labels(nss)
	return append(errs, StatusAgrees(sys, nss, st)...)
}

// Labels checks that names are unique and that no two namespaces overlap.
func Labels(nss []nvdimm.Namespace) []error {
	var errs []error
	seen := map[string]string{}
	for _, ns := range nss {
		if ns.Name == "" {
			continue
		}
		if other, ok := seen[ns.Name]; ok {
			errs = append(errs, fmt.Errorf("name %q is on two namespaces, %s and %s", ns.Name, other, ns.Dev))
		}
		seen[ns.Name] = ns.Dev
	}
	return append(errs, overlaps(nss)...)
}

// overlaps reports namespaces whose [Resource, Resource+RawSize) ranges
// intersect. A namespace whose start sysfs does not show (Resource 0) is
// left out rather than guessed.
func overlaps(nss []nvdimm.Namespace) []error {
	var placed []nvdimm.Namespace
	for _, ns := range nss {
		if ns.Resource != 0 && ns.RawSize != 0 {
			placed = append(placed, ns)
		}
	}
	slices.SortFunc(placed, func(a, b nvdimm.Namespace) int { return compare(a.Resource, b.Resource) })
	var errs []error
	for i := 1; i < len(placed); i++ {
		prev, ns := placed[i-1], placed[i]
		if end := prev.Resource + prev.RawSize; ns.Resource < end {
			errs = append(errs, fmt.Errorf("%s [%#x, %#x) overlaps %s [%#x, %#x)",
				ns.Dev, ns.Resource, ns.Resource+ns.RawSize, prev.Dev, prev.Resource, end))
		}
	}
	return errs
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// StatusAgrees checks st against the namespaces sysfs shows.
func StatusAgrees(sys *nvdimm.Sysfs, nss []nvdimm.Namespace, st *status.Status) []error {
	var errs []error
	byDev := map[string]nvdimm.Namespace{}
	for _, ns := range nss {
		byDev[ns.Dev] = ns
	}
	listed := map[string]bool{}
	for _, e := range st.Namespaces {
		if e.Dev == "" {
			continue // failed or skipped before it had a device
		}
		listed[e.Dev] = true
		if e.State == status.Failed || e.State == status.Skipped {
			continue // describes what was asked, not what exists
		}
		ns, ok := byDev[e.Dev]
		if !ok {
			errs = append(errs, fmt.Errorf("status.json lists %s as %s, sysfs has no such namespace", e.Name, e.Dev))
			continue
		}
		errs = append(errs, entryAgrees(sys, e, ns)...)
	}
	for _, ns := range nss {
		if ns.Name != "" && !listed[ns.Dev] {
			errs = append(errs, fmt.Errorf("sysfs has %s (%q), status.json does not list it", ns.Dev, ns.Name))
		}
	}
	return errs
}

// entryAgrees compares one status entry with the namespace it names.
func entryAgrees(sys *nvdimm.Sysfs, e status.Entry, ns nvdimm.Namespace) []error {
	var errs []error
	differs := func(field string, got, want any) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s (%s): status.json says %s %v, sysfs says %v", e.Name, e.Dev, field, got, want))
		}
	}
	differs("name", e.Name, ns.Name)
	differs("uuid", e.UUID, ns.UUID)
	differs("size", e.Size, ns.Size)
	differs("mode", e.Mode, ns.Personality())
	differs("device", e.Device, sys.DevicePath(&ns))
	return errs
}
