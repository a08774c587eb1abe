package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
)

// size gives every Create and Recreate its region and size, placing them
// as the kernel will: fixed sizes first, in command-line order, then the
// rest namespaces, each in the first free extent that holds it (the
// kernel allocates a pmem namespace contiguously, first fit). A Recreate
// counts on the space of the namespace it replaces; when it does not fit
// even so, it becomes a Fail, its namespace stays, and the plan is made
// again without that space.
func size(steps []Step, regions []nvdimm.Region, have []nvdimm.Namespace) {
	orig := slices.Clone(steps)
	for {
		copy(steps, orig)
		demoted := false
		spaces := freeSpace(regions, have, steps)
		for _, rest := range []bool{false, true} {
			for i := range steps {
				s := &steps[i]
				if (s.Action == Create || s.Action == Recreate) && s.Want.Rest == rest {
					was := s.Action
					place(s, regions, spaces)
					if was == Recreate && s.Action == Fail {
						orig[i], demoted = *s, true
					}
				}
			}
		}
		if !demoted {
			return
		}
	}
}

// CreationOrder returns the indices of steps that make a namespace, in the
// order Plan placed them: the kernel must see the same order.
func CreationOrder(steps []Step) []int {
	var order []int
	for _, rest := range []bool{false, true} {
		for i, s := range steps {
			if (s.Action == Create || s.Action == Recreate) && s.Want.Rest == rest {
				order = append(order, i)
			}
		}
	}
	return order
}

// extent is free space in a region: offset and length in bytes.
type extent struct{ off, len uint64 }

// space is the free space of one region while a plan places namespaces.
type space struct {
	dev   string
	align uint64
	free  []extent
	freed []string // "victim 64M", namespaces a reset frees
	taken []string // "db 128M", namespaces this plan placed
}

// freeSpace lays out each region's free extents, counting the space of
// the namespaces that steps recreate as free.
func freeSpace(regions []nvdimm.Region, have []nvdimm.Namespace, steps []Step) []*space {
	recreated := map[string]bool{}
	for _, s := range steps {
		if s.Action == Recreate {
			recreated[s.Have.Dev] = true
		}
	}
	spaces := make([]*space, len(regions))
	for i, r := range regions {
		sp := &space{dev: r.Dev, align: r.Align}
		if sp.align == 0 {
			sp.align = layout.RegionAlign
		}
		var used []extent
		known := r.Resource != 0
		for _, ns := range have {
			if ns.Region != r.Dev {
				continue
			}
			if recreated[ns.Dev] {
				sp.freed = append(sp.freed, ns.Name+" "+layout.FormatSize(ns.RawSize))
				continue
			}
			known = known && ns.Resource >= r.Resource
			used = append(used, extent{ns.Resource - r.Resource, ns.RawSize})
		}
		if known {
			sp.free = gaps(used, r.Size, sp.align)
		} else {
			// Without addresses only the kernel's own largest extent
			// is known, and a reset cannot count on its space.
			sp.free = []extent{{0, r.MaxAvailableExtent}}
		}
		spaces[i] = sp
	}
	return spaces
}

// gaps returns the free extents of a region of size bytes around the used
// ones, each trimmed to the region align as the kernel trims them.
func gaps(used []extent, size, align uint64) []extent {
	slices.SortFunc(used, func(a, b extent) int { return cmp.Compare(a.off, b.off) })
	var free []extent
	at := uint64(0)
	add := func(end uint64) {
		start := (at + align - 1) / align * align
		end = end / align * align
		if end > start {
			free = append(free, extent{start, end - start})
		}
	}
	for _, u := range used {
		if u.off > at {
			add(u.off)
		}
		at = max(at, u.off+u.len)
	}
	add(size)
	return free
}

// place sizes one Create or Recreate in its region, or makes it a Fail
// that says why.
func place(s *Step, regions []nvdimm.Region, spaces []*space) {
	w := s.Want
	n, err := regionIndex(w, regions)
	switch {
	case err != nil:
		cannot(s, err.Error())
		return
	case n < 0 || n >= len(spaces):
		cannot(s, fmt.Sprintf("region%d does not exist (%d regions): add its memmap=SIZE!START, or use region= of one that does", n, len(spaces)))
		return
	}
	sp := spaces[n]
	size := w.Size
	if w.Rest {
		size = sp.largest() / sp.align * sp.align
		if w.Align > sp.align {
			size = size / w.Align * w.Align
		}
	}
	i := slices.IndexFunc(sp.free, func(e extent) bool { return e.len >= size })
	if size == 0 || i < 0 {
		s.Action, s.Why = Fail, sp.miss(s, size)
		return
	}
	sp.free[i].off += size
	sp.free[i].len -= size
	sp.taken = append(sp.taken, s.Name+" "+layout.FormatSize(size))
	s.Region, s.Size = sp.dev, size
}

// cannot makes s a Fail for why. A reset that fails destroys nothing, and
// says so.
func cannot(s *Step, why string) {
	if s.Action == Recreate {
		why = "ramdax.reset cannot make it again: " + why + "; nothing was destroyed"
	}
	s.Action, s.Why = Fail, why
}

func (sp *space) largest() uint64 {
	var n uint64
	for _, e := range sp.free {
		n = max(n, e.len)
	}
	return n
}

// miss explains why s gets no space: how much it needs, what the region
// has, by how much it misses, and what took the space.
func (sp *space) miss(s *Step, size uint64) string {
	largest := sp.largest()
	var context []string
	if len(sp.taken) > 0 {
		context = append(context, "after "+strings.Join(sp.taken, ", "))
	}
	if len(sp.freed) > 0 {
		context = append(context, "counting "+strings.Join(sp.freed, ", ")+" freed by ramdax.reset")
	}
	how := ""
	if len(context) > 0 {
		how = " (" + strings.Join(context, "; ") + ")"
	}
	var why string
	if s.Want.Rest {
		why = fmt.Sprintf("SIZE rest gets nothing: %s's largest free extent is %s%s", sp.dev, sizeText(largest), how)
	} else {
		why = fmt.Sprintf("needs %s in %s, whose largest free extent is %s%s: %s short",
			layout.FormatSize(size), sp.dev, sizeText(largest), how, layout.FormatSize(size-largest))
	}
	if s.Action == Recreate {
		return "ramdax.reset cannot make it again: " + why + "; nothing was destroyed: shrink it, or free space in " + sp.dev
	}
	return why + "; shrink it, or free space in " + sp.dev + " (or grow its memmap=)"
}

// sizeText writes a size for a message, where 0 reads better than "0".
func sizeText(n uint64) string {
	if n == 0 {
		return "0 bytes"
	}
	return layout.FormatSize(n)
}
