package layout

import (
	"fmt"
	"slices"
	"strings"
)

// plan gives each namespace a concrete size against available, a region
// number's free bytes: the arithmetic behind the parser's check of a line
// against its own carveouts. Namespaces of fixed size are placed first,
// in order; then each rest namespace gets what its region has left,
// rounded down to the region align and to its own align=. At boot,
// reconcile.Plan places namespaces on the regions' real free extents.
//
// plan returns the namespaces that fit, with Size set, and an Errors for
// those that reference a missing region or do not fit. Namespaces placed
// by node= pass unsized and uncounted: their region is known at boot only.
func plan(namespaces []Namespace, available map[int]uint64) ([]Namespace, error) {
	sizes, errs := fit(namespaces, available)
	var planned []Namespace
	var problems Errors
	for i, ns := range namespaces {
		if errs[i] != nil {
			problems = append(problems, errs[i])
			continue
		}
		ns.Size = sizes[i]
		planned = append(planned, ns)
	}
	return planned, problems.err()
}

// region is the running tally of one region while fit places namespaces.
type region struct {
	free  uint64
	used  uint64
	users []string // "web 256M", for messages
}

func (r *region) left() uint64 { return r.free - r.used }

func (r *region) take(ns Namespace, size uint64) {
	r.used += size
	r.users = append(r.users, ns.Name+" "+FormatSize(size))
}

// fit computes the size of each namespace, or why it gets none; both
// slices run parallel to namespaces.
func fit(namespaces []Namespace, available map[int]uint64) ([]uint64, []*ParamError) {
	sizes := make([]uint64, len(namespaces))
	errs := make([]*ParamError, len(namespaces))
	regions := map[int]*region{}
	for n, free := range available {
		regions[n] = &region{free: free}
	}
	place := func(i int, ns Namespace) {
		r, ok := regions[ns.Region]
		if !ok {
			errs[i] = missingRegion(ns, available)
			return
		}
		size, err := sizeIn(ns, r)
		if err != nil {
			errs[i] = err
			return
		}
		sizes[i] = size
		r.take(ns, size)
	}
	// Fixed sizes first, so that a rest namespace never takes space that
	// a later namespace on the line asked for.
	for _, rest := range []bool{false, true} {
		for i, ns := range namespaces {
			if ns.Rest == rest && !ns.OnNode {
				place(i, ns)
			}
		}
	}
	return sizes, errs
}

func sizeIn(ns Namespace, r *region) (uint64, *ParamError) {
	bad := func(reason, hint string) (uint64, *ParamError) {
		return 0, &ParamError{Param: "ramdax.ns", Value: ns.String(), Reason: reason, Hint: hint}
	}
	grow := fmt.Sprintf("grow region%d's memmap=", ns.Region)
	if !ns.Rest {
		if ns.Size > r.left() {
			return bad(fmt.Sprintf("needs %s but region%d has %s left%s", FormatSize(ns.Size), ns.Region, sizeText(r.left()), r.usage()),
				fmt.Sprintf("shrink it to %s or %s", sizeText(r.left()), grow))
		}
		return ns.Size, nil
	}
	size := roundDown(r.left(), RegionAlign)
	if ns.Align > RegionAlign {
		size = roundDown(size, ns.Align)
	}
	if size == 0 {
		return bad(fmt.Sprintf("SIZE rest gets nothing: region%d has %s left%s", ns.Region, sizeText(r.left()), r.usage()),
			"shrink the others or "+grow)
	}
	return size, nil
}

// usage lists who took the space: " (web 256M, db 240M)".
func (r *region) usage() string {
	if len(r.users) == 0 {
		return fmt.Sprintf(" of %s", sizeText(r.free))
	}
	return fmt.Sprintf(" of %s (%s)", sizeText(r.free), strings.Join(r.users, ", "))
}

// sizeText writes a size for a message, where 0 reads better than "0".
func sizeText(n uint64) string {
	if n == 0 {
		return "0 bytes"
	}
	return FormatSize(n)
}

func missingRegion(ns Namespace, available map[int]uint64) *ParamError {
	e := &ParamError{Param: "ramdax.ns", Value: ns.String()}
	if len(available) == 0 {
		e.Reason = fmt.Sprintf("region%d does not exist (no regions)", ns.Region)
		e.Hint = "add memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)"
		return e
	}
	names := regionNames(available)
	e.Reason = fmt.Sprintf("region%d does not exist (%s: %s)", ns.Region, count(len(available), "region"), strings.Join(names, ", "))
	e.Hint = fmt.Sprintf("use %s, or add a memmap=SIZE!START", orList(prefixEach("region=", names)))
	return e
}

// regionNames lists the regions in order, shortened when there are many.
func regionNames(available map[int]uint64) []string {
	var ns []int
	for n := range available {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = fmt.Sprintf("region%d", n)
	}
	if len(names) > 6 {
		names = append(names[:3:3], "…", names[len(names)-1])
	}
	return names
}

func prefixEach(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.Replace(n, "region", prefix, 1)
	}
	return out
}

// count writes "1 region" or "2 regions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
