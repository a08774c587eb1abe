package layout

import (
	"fmt"
	"slices"
	"strings"
)

// Carveout is one memmap=SIZE!START range: RAM the kernel sets aside as
// legacy persistent memory (E820 type 12). ramdax makes one region of it.
type Carveout struct {
	Start uint64 // physical address in bytes
	Size  uint64 // bytes, label area included
}

// End is the first byte after the carveout.
func (c Carveout) End() uint64 { return c.Start + c.Size }

// Usable is the space namespaces can use: the carveout minus the label
// area, rounded down to the region align, as the kernel reports it in
// available_size of an empty region.
func (c Carveout) Usable() uint64 {
	if c.Size < LabelArea {
		return 0
	}
	return roundDown(c.Size-LabelArea, RegionAlign)
}

// String is the carveout as a kernel parameter, like "memmap=512M!4G".
func (c Carveout) String() string {
	return "memmap=" + c.value()
}

func (c Carveout) value() string {
	return FormatSize(c.Size) + "!" + FormatSize(c.Start)
}

// Hint says, in one line, how to size the carveout so that the label area
// and the region align waste nothing. It is empty when nothing is wasted.
func (c Carveout) Hint() string {
	usable := c.Usable()
	start := FormatSize(c.Start)
	bigger := fmt.Sprintf("memmap=%s!%s gives %s", FormatSize(usable+RegionAlign+LabelArea), start, FormatSize(usable+RegionAlign))
	switch waste := c.Size - LabelArea - usable; {
	case usable == 0:
		return fmt.Sprintf("%s leaves no room for a namespace (%s label area, %s align): %s", c, FormatSize(LabelArea), FormatSize(RegionAlign), bigger)
	case waste == 0:
		return ""
	default:
		same := fmt.Sprintf("memmap=%s!%s gives the same %s", FormatSize(usable+LabelArea), start, FormatSize(usable))
		return fmt.Sprintf("%s wastes %s to alignment: %s, %s", c, formatMiB(waste), same, bigger)
	}
}

// Carveouts below 1 MiB would sit on the BIOS data and the real-mode
// trampoline; pages smaller than 4 KiB cannot be mapped.
const (
	lowestStart = 1 * MiB
	pageSize    = 4 * KiB
)

// parseMemmap reads one memmap= value, which the kernel lets hold several
// ranges separated by commas. Only SIZE!START makes a carveout; the other
// forms (nn@ss, nn$ss, nn#ss, nn%ss, exactmap, a bare nn) are not ours and
// are skipped.
//
// A carveout is returned even when it is flawed, whenever the kernel would
// make it, because it still takes a region number.
func parseMemmap(value string) ([]Carveout, Errors) {
	var cs []Carveout
	var errs Errors
	for elem := range strings.SplitSeq(value, ",") {
		c, isCarveout, err := parseMemmapOne(elem)
		if isCarveout {
			cs = append(cs, c)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return cs, errs
}

// parseMemmapOne follows the kernel's parse_memmap_one. It reports
// whether the kernel makes a carveout of elem, and what is wrong with it.
func parseMemmapOne(elem string) (Carveout, bool, *ParamError) {
	bad := func(reason string, hint string) *ParamError {
		return &ParamError{Param: "memmap", Value: elem, Reason: reason, Hint: hint}
	}
	const form = "write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)"
	size, rest, err := memparse(elem)
	if err != nil || !strings.HasPrefix(rest, "!") {
		sizeText, _, meant := strings.Cut(elem, "!")
		if meant && (err != nil || !strings.ContainsAny(rest[:1], "@#$%")) {
			// Meant as a carveout, but the kernel makes none.
			if err == nil {
				err = errNoDigits
			}
			return Carveout{}, false, bad(fmt.Sprintf("SIZE %q: %v; the kernel makes no carveout", sizeText, err), form)
		}
		return Carveout{}, false, nil // another memmap form: the kernel's business
	}
	start, tail, err := memparse(rest[1:])
	if err == errOverflow {
		return Carveout{}, false, bad(fmt.Sprintf("START %q: %v", rest[1:], err), form)
	}
	c := Carveout{Start: start, Size: size}
	switch {
	case size == 0:
		return c, false, bad("SIZE is 0, so the kernel makes no carveout", form)
	case c.End() < c.Start:
		return c, false, bad("the range runs past the end of the address space", form)
	case err == errNoDigits:
		// The kernel reads a missing START as 0 and carves there anyway.
		return c, true, bad(fmt.Sprintf("START %q: want an address with K, M, G or T (like 4G); the kernel carves %s", tail, c), form)
	}
	return c, true, checkCarveout(c, tail, bad)
}

func checkCarveout(c Carveout, tail string, bad func(string, string) *ParamError) *ParamError {
	switch {
	case tail != "":
		// The kernel adds the range before it looks past START.
		return bad(fmt.Sprintf("text %q after START: the kernel carves %s and ignores it", tail, c), fmt.Sprintf("remove %q", tail))
	case c.Start < lowestStart:
		return bad(fmt.Sprintf("START %s is below 1M, where the BIOS and the kernel's real-mode code live", FormatSize(c.Start)),
			"start at 1M or higher, like "+Carveout{Start: 4 * GiB, Size: c.Size}.String())
	case c.Start%pageSize != 0 || c.Size%pageSize != 0:
		return bad("START and SIZE must be multiples of 4K (a page)",
			"use "+Carveout{Start: roundUp(c.Start, pageSize), Size: roundDown(c.Size, pageSize)}.String())
	}
	return nil
}

// sortCarveouts puts carveouts in the kernel's e820 order, which is the
// order of region numbers, and reports ranges that overlap: the kernel
// would merge or mangle them, and the label areas would collide.
func sortCarveouts(cs []Carveout) Errors {
	slices.SortStableFunc(cs, func(a, b Carveout) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	var errs Errors
	for i := 1; i < len(cs); i++ {
		if prev := cs[i-1]; cs[i].Start < prev.End() {
			errs = append(errs, &ParamError{
				Param:  "memmap",
				Value:  cs[i].value(),
				Reason: fmt.Sprintf("overlaps %s (which ends at %s)", prev, FormatSize(prev.End())),
				Hint:   fmt.Sprintf("start it at %s or later", FormatSize(prev.End())),
			})
		}
	}
	return errs
}

func roundDown(n, to uint64) uint64 { return n - n%to }

// roundUp rounds n up to a multiple of to, or returns n rounded down when
// rounding up would overflow.
func roundUp(n, to uint64) uint64 {
	down := roundDown(n, to)
	if down == n || down+to < down {
		return down
	}
	return down + to
}
