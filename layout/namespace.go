package layout

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mode is what a namespace is used as, in ndctl's words.
type Mode string

// The modes a namespace can have.
const (
	Raw       Mode = "raw"        // a plain /dev/pmemN block device
	FSDAX     Mode = "fsdax"      // /dev/pmemN for a filesystem mounted with -o dax
	DevDAX    Mode = "devdax"     // a /dev/daxN.M character device
	Sector    Mode = "sector"     // /dev/pmemNs behind a BTT, for atomic sector writes
	SystemRAM Mode = "system-ram" // a devdax device handed to the kernel as memory (kmem)
)

var modes = []Mode{FSDAX, DevDAX, Raw, Sector, SystemRAM}

// Map is where the struct page array of a fsdax or devdax namespace lives.
type Map string

// The map= values.
const (
	MapDefault Map = ""    // the kernel's choice, which is dev
	MapMem     Map = "mem" // in system RAM
	MapDev     Map = "dev" // inside the namespace: 64 bytes per 4 KiB page
)

// Namespace is one ramdax.ns= parameter. Zero values mean "not given",
// so the kernel's or ndctl's default applies.
type Namespace struct {
	Name   string // alt_name: the identity across boots
	Mode   Mode
	Size   uint64 // bytes; for a Rest namespace, set only by Plan
	Rest   bool   // SIZE was "rest": what the region has left
	Region int    // region number: the N-th carveout by start address
	Node   int    // node=: the NUMA node whose region holds it, when OnNode
	OnNode bool   // node= was given: node 0 is a choice, not the default
	Align  uint64 // align=: 4K, 2M or 1G
	Map    Map    // map=
	Sector uint64 // sector=: 512 or 4096
	FS     string // fs=: ext4 or xfs, made when the namespace holds none
	Mount  string // mount=: where to mount it with -o dax
}

// String is the namespace in the form ramdax.ns= takes, with keys in a
// fixed order and defaults left out: "db:fsdax:2G:region=1:fs=ext4".
func (ns Namespace) String() string {
	size := "rest"
	if !ns.Rest {
		size = FormatSize(ns.Size)
	}
	fields := []string{ns.Name, string(ns.Mode), size}
	add := func(key, value string, given bool) {
		if given {
			fields = append(fields, key+"="+value)
		}
	}
	add("region", strconv.Itoa(ns.Region), ns.Region != 0)
	add("node", strconv.Itoa(ns.Node), ns.OnNode)
	add("align", FormatSize(ns.Align), ns.Align != 0)
	add("map", string(ns.Map), ns.Map != MapDefault)
	add("sector", strconv.FormatUint(ns.Sector, 10), ns.Sector != 0)
	add("fs", ns.FS, ns.FS != "")
	add("mount", ns.Mount, ns.Mount != "")
	return strings.Join(fields, ":")
}

// Where names the region the namespace asks for, for messages: "region1",
// or "node 1" until the regions' NUMA nodes are known.
func (ns Namespace) Where() string {
	if ns.OnNode {
		return fmt.Sprintf("node %d", ns.Node)
	}
	return fmt.Sprintf("region%d", ns.Region)
}

// nsForm is the expected form, quoted in messages about ramdax.ns.
const nsForm = "want NAME:MODE:SIZE[:KEY=VALUE…]"

const maxNameLen = 63 // the kernel's alt_name limit

// parseNamespace reads the value of one ramdax.ns= parameter. The first
// problem found is returned as the reason and the hint.
func parseNamespace(value string) (ns Namespace, reason, hint string) {
	fields := strings.Split(value, ":")
	if len(fields) < 3 {
		return ns, nsForm, "like ramdax.ns=db:fsdax:2G:fs=ext4"
	}
	if reason, hint = checkName("NAME", fields[0]); reason != "" {
		return ns, reason, hint
	}
	ns.Name = fields[0]
	if !isMode(fields[1]) {
		return ns, fmt.Sprintf("MODE %q: want %s", fields[1], modeList()), ""
	}
	ns.Mode = Mode(fields[1])
	if reason, hint = ns.setSize(fields[2]); reason != "" {
		return ns, reason, hint
	}
	seen := map[string]bool{}
	for _, kv := range fields[3:] {
		key, val, _ := strings.Cut(kv, "=")
		if seen[key] {
			return ns, fmt.Sprintf("%s= given twice", key), "keep one"
		}
		seen[key] = true
		if reason, hint = ns.setKey(key, val, kv); reason != "" {
			return ns, reason, hint
		}
	}
	reason, hint = ns.checkCombination(seen)
	return ns, reason, hint
}

// checkName checks a namespace name, which ends up in the label's alt_name
// and in messages and paths, so it is kept to a safe alphabet.
func checkName(what, name string) (reason, hint string) {
	const want = "use 1 to 63 of A-Z a-z 0-9 . _ -"
	switch {
	case name == "":
		return what + " is empty", want
	case len(name) > maxNameLen:
		return fmt.Sprintf("%s %q has %d characters, more than a label holds", what, name, len(name)), want
	case name == "." || name == "..":
		// Names may end up in paths; these two would climb.
		return fmt.Sprintf("%s %q is a path element", what, name), "pick another name"
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Sprintf("%s %q holds %q", what, name, r), want
	}
	return "", ""
}

func isNameRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-'
}

func isMode(s string) bool { return slices.Contains(modes, Mode(s)) }

func modeList() string { return orList(modeNames(modes)) }

func (ns *Namespace) setSize(s string) (reason, hint string) {
	if s == "rest" {
		ns.Rest = true
		return "", ""
	}
	size, ok := parseSize(s)
	if !ok {
		return fmt.Sprintf("SIZE %q: want a number with K, M, G or T (like 512M) or \"rest\"", s), ""
	}
	if size < RegionAlign {
		return fmt.Sprintf("SIZE %s is below %s, the smallest namespace", s, FormatSize(RegionAlign)), "use " + FormatSize(RegionAlign)
	}
	if size%RegionAlign != 0 {
		return fmt.Sprintf("SIZE %s is not a multiple of %s (the region align)", s, FormatSize(RegionAlign)), "use " + nearestSizes(size, RegionAlign)
	}
	ns.Size = size
	return "", ""
}

// nearestSizes names the valid sizes either side of size: "496M or 512M".
func nearestSizes(size, align uint64) string {
	below, above := roundDown(size, align), roundUp(size, align)
	if above <= size || below == 0 {
		return FormatSize(max(above, align))
	}
	return FormatSize(below) + " or " + FormatSize(above)
}

// keyModes says which modes each key applies to. align, map and sector
// mirror the kernel: a pfn (fsdax) or dax (devdax, system-ram) device has
// an align and a map mode; a btt (sector) has a sector size, and so has a
// raw namespace (its lbasize).
var keyModes = map[string][]Mode{
	"region": modes,
	"node":   modes,
	"align":  {FSDAX, DevDAX, SystemRAM},
	"map":    {FSDAX, DevDAX, SystemRAM},
	"sector": {Raw, Sector},
	"fs":     {FSDAX},
	"mount":  {FSDAX},
}

var keyOrder = []string{"region", "node", "align", "map", "sector", "fs", "mount"}

func (ns *Namespace) setKey(key, val, kv string) (reason, hint string) {
	applies, known := keyModes[key]
	if !known {
		return fmt.Sprintf("unknown key %q", kv), "want " + orList(keyOrder)
	}
	if !slices.Contains(applies, ns.Mode) {
		return fmt.Sprintf("%s= does not apply to %s", key, ns.Mode), fmt.Sprintf("remove it (it is for %s only)", andList(modeNames(applies)))
	}
	switch key {
	case "region":
		return ns.setRegion(val)
	case "node":
		return ns.setNode(val)
	case "align":
		return setChoice(&ns.Align, "align", val, map[string]uint64{"4K": 4 * KiB, "2M": 2 * MiB, "1G": GiB}, "4K, 2M or 1G")
	case "map":
		return setChoice(&ns.Map, "map", val, map[string]Map{"mem": MapMem, "dev": MapDev}, "mem or dev")
	case "sector":
		return setChoice(&ns.Sector, "sector", val, map[string]uint64{"512": 512, "4096": 4096}, "512 or 4096")
	case "fs":
		return setChoice(&ns.FS, "fs", val, map[string]string{"ext4": "ext4", "xfs": "xfs"}, "ext4 or xfs")
	default:
		return ns.setMount(val)
	}
}

func setChoice[T any](dst *T, key, val string, choices map[string]T, want string) (reason, hint string) {
	v, ok := choices[val]
	if !ok {
		return fmt.Sprintf("%s=%s: want %s", key, val, want), ""
	}
	*dst = v
	return "", ""
}

// maxRegion bounds region= far above any real count of carveouts, so that
// a typo like region=10000000000 is caught here and not at plan time.
const maxRegion = 4096

// maxNode is the highest NUMA node a kernel can have: MAX_NUMNODES is
// 1 << CONFIG_NODES_SHIFT, and x86 allows a shift of 10 at most.
const maxNode = 1023

func (ns *Namespace) setRegion(val string) (reason, hint string) {
	n, ok := parseIndex(val, maxRegion)
	if !ok {
		return fmt.Sprintf("region=%s: want a region number from 0 to %d", val, maxRegion), "region N is the N-th memmap=SIZE!START by start address, from 0"
	}
	ns.Region = n
	return "", ""
}

func (ns *Namespace) setNode(val string) (reason, hint string) {
	n, ok := parseIndex(val, maxNode)
	if !ok {
		return fmt.Sprintf("node=%s: want a NUMA node number from 0 to %d", val, maxNode), "node N is the NUMA node whose memory holds the carveout, as the region's numa_node in sysfs shows it"
	}
	ns.Node, ns.OnNode = n, true
	return "", ""
}

// parseIndex reads a plain decimal number from 0 to limit. A sign is
// refused, so that the value reads back the way String writes it.
func parseIndex(val string, limit int) (int, bool) {
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 || n > limit || strings.HasPrefix(val, "+") {
		return 0, false
	}
	return n, true
}

func (ns *Namespace) setMount(val string) (reason, hint string) {
	switch {
	case !path.IsAbs(val) || path.Clean(val) != val || val == "/":
		return fmt.Sprintf("mount=%s: want a clean absolute path other than /", val), "like mount=" + mountExample(val)
	case !utf8.ValidString(val) || strings.ContainsFunc(val, func(r rune) bool { return r < ' ' || r == '"' || r == 0x7f }):
		// A quote cannot be written back on a kernel command line so that
		// it reads the same, and control characters have no place in a path.
		return fmt.Sprintf("mount=%q: want a path without quotes or control characters", val), "like mount=/srv/db"
	}
	ns.Mount = val
	return "", ""
}

// mountExample suggests a mount point close to what was written.
func mountExample(val string) string {
	if clean := path.Clean("/" + val); clean != "/" && !strings.ContainsAny(clean, ":\"") {
		return clean
	}
	return "/srv/db"
}

// checkCombination checks rules that span fields; seen holds the keys given.
func (ns *Namespace) checkCombination(seen map[string]bool) (reason, hint string) {
	if seen["region"] && seen["node"] {
		return "region= and node= both pick the region",
			"keep one: region=N is the N-th memmap=SIZE!START by start address, node=N the region on NUMA node N"
	}
	if ns.Align > 0 && !ns.Rest && ns.Size%ns.Align != 0 {
		return fmt.Sprintf("SIZE %s is not a multiple of align=%s", FormatSize(ns.Size), FormatSize(ns.Align)),
			"use " + nearestSizes(ns.Size, ns.Align)
	}
	return "", ""
}

func modeNames(ms []Mode) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return names
}

// orList writes "a, b or c".
func orList(items []string) string { return joinList(items, " or ") }

// andList writes "a, b and c".
func andList(items []string) string { return joinList(items, " and ") }

func joinList(items []string, last string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}
