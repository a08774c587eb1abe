package nvdimm

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Mode is a namespace's personality, as ndctl names it.
type Mode string

// The namespace modes. The kernel calls them raw, pfn, dax and btt.
const (
	ModeRaw    Mode = "raw"    // a plain /dev/pmemN block device
	ModeFsdax  Mode = "fsdax"  // /dev/pmemN with struct pages, for mount -o dax
	ModeDevdax Mode = "devdax" // the character device /dev/daxN.M
	ModeSector Mode = "sector" // /dev/pmemNs behind a BTT, with atomic sectors
)

// Map locations for the struct pages of fsdax and devdax namespaces.
const (
	MapMem = "mem" // in system RAM; the kernel's pfn mode "ram"
	MapDev = "dev" // inside the namespace; the kernel's pfn mode "pmem"
)

// States of DIMMs, regions and namespaces.
const (
	StateEnabled  = "enabled"
	StateDisabled = "disabled"
)

// Bus is an nvdimm bus, ndbusN, and the driver that provides it.
type Bus struct {
	Dev      string `json:"dev"`
	Provider string `json:"provider"`
}

// DIMM is an nmemN device: for ramdax, one per memmap= range, holding the
// labels that describe its namespaces.
type DIMM struct {
	Dev            string   `json:"dev"`
	State          string   `json:"state"`
	AvailableSlots int      `json:"available_slots"`
	Flags          []string `json:"flags,omitempty"`
}

// Mapping is the part of a DIMM that backs a region.
type Mapping struct {
	DIMM     string `json:"dimm"`
	Offset   uint64 `json:"offset"`
	Length   uint64 `json:"length"`
	Position int    `json:"position"`
}

// Region is a regionN device: persistent memory that namespaces are carved
// from. A namespace cannot span regions.
type Region struct {
	Dev                string `json:"dev"`
	Size               uint64 `json:"size"`
	Align              uint64 `json:"align"`
	AvailableSize      uint64 `json:"available_size"`
	MaxAvailableExtent uint64 `json:"max_available_extent"`
	Type               string `json:"type"`
	IsetID             int64  `json:"iset_id"`
	// Resource is the physical address the region starts at (root-only
	// in sysfs; 0 when unreadable).
	Resource          uint64    `json:"-"`
	Mappings          []Mapping `json:"mappings"`
	PersistenceDomain string    `json:"persistence_domain"`
	State             string    `json:"state"`
	// NumaNode is the node of the CPUs nearest the region, TargetNode
	// the node its memory would join as system RAM (kmem); NoNode when
	// the kernel shows none. ramdax takes both from the firmware's
	// map of the carveout's address (ACPI SRAT).
	NumaNode   int `json:"numa_node"`
	TargetNode int `json:"target_node"`
	// The idle devices that the next namespace, pfn, dax or btt
	// configuration is written to.
	NamespaceSeed string `json:"-"`
	PfnSeed       string `json:"-"`
	DaxSeed       string `json:"-"`
	BttSeed       string `json:"-"`
}

// NoNode is a NumaNode or TargetNode the kernel does not show. Without
// CONFIG_NUMA both attributes are hidden; with it, target_node is hidden
// when it is NUMA_NO_NODE and numa_node then reads -1.
const NoNode = -1

// MarshalJSON leaves numa_node and target_node out when they are NoNode,
// as ndctl does, so that no reader takes an absent node for node 0 or -1.
func (r Region) MarshalJSON() ([]byte, error) {
	type plain Region // without the methods, so no recursion
	return json.Marshal(struct {
		plain
		NumaNode   *int `json:"numa_node,omitempty"`
		TargetNode *int `json:"target_node,omitempty"`
	}{plain(r), KnownNode(r.NumaNode), KnownNode(r.TargetNode)})
}

// UnmarshalJSON reads an absent numa_node or target_node as NoNode.
func (r *Region) UnmarshalJSON(data []byte) error {
	type plain Region
	p := plain{NumaNode: NoNode, TargetNode: NoNode}
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("parse region: %w", err)
	}
	*r = Region(p)
	return nil
}

// KnownNode is a node for JSON: nil, which omitempty leaves out, for NoNode.
func KnownNode(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

// Namespace is a namespaceN.M device and, for fsdax, devdax and sector
// modes, the pfn, dax or btt device that claims it. Field names and JSON
// follow ndctl: UUID is the claiming device's uuid and RawUUID the
// namespace's own when a claim exists; Size is the usable size.
type Namespace struct {
	Dev        string `json:"dev"`
	Mode       Mode   `json:"mode"`
	Map        string `json:"map,omitempty"`
	Size       uint64 `json:"size"`
	UUID       string `json:"uuid,omitempty"`
	RawUUID    string `json:"raw_uuid,omitempty"`
	SectorSize uint64 `json:"sector_size,omitempty"`
	Align      uint64 `json:"align,omitempty"`
	BlockDev   string `json:"blockdev,omitempty"`
	CharDev    string `json:"chardev,omitempty"`
	Name       string `json:"name,omitempty"`
	State      string `json:"state"`
	// DaxMode is "devdax" or "system-ram" (kmem) for a devdax namespace
	// whose character device exists.
	DaxMode string `json:"dax_mode,omitempty"`

	// Region is the parent region, RawSize the namespace's allocation,
	// Resource the physical address it starts at, and Holder the pfn,
	// dax or btt device that claims it.
	Region   string `json:"-"`
	RawSize  uint64 `json:"-"`
	Resource uint64 `json:"-"`
	Holder   string `json:"-"`
}

// DevicePath returns the namespace's device node: /dev/pmemN[.M][s] or
// /dev/daxN.M, or "" while it is disabled.
func (s *Sysfs) DevicePath(ns *Namespace) string {
	switch {
	case ns.BlockDev != "":
		return filepath.Join(s.Dev, ns.BlockDev)
	case ns.CharDev != "":
		return filepath.Join(s.Dev, ns.CharDev)
	}
	return ""
}

// Listing is everything libnvdimm shows, in ndctl's mixed-listing shape.
type Listing struct {
	Buses      []Bus       `json:"buses"`
	DIMMs      []DIMM      `json:"dimms"`
	Regions    []Region    `json:"regions"`
	Namespaces []Namespace `json:"namespaces"`
}

// List returns buses, DIMMs, regions and the namespaces that have space
// allocated; idle seeds are left out, as ndctl does. Namespaces that
// cannot be read are left out too, and named in the error that comes
// with the rest of the listing.
func (s *Sysfs) List() (*Listing, error) {
	var l Listing
	var err error
	if l.Buses, err = s.Buses(); err != nil {
		return nil, err
	}
	if l.DIMMs, err = s.DIMMs(); err != nil {
		return nil, err
	}
	if l.Regions, err = s.Regions(); err != nil {
		return nil, err
	}
	var bad []*ReadError
	if l.Namespaces, bad, err = s.ScanNamespaces(); err != nil {
		return nil, err
	}
	var errs []error
	for _, e := range bad {
		errs = append(errs, e)
	}
	return &l, errors.Join(errs...)
}

func (s *Sysfs) busNames() ([]string, error) { return s.ndDevices("ndbus") }

// Buses returns the nvdimm buses.
func (s *Sysfs) Buses() ([]Bus, error) {
	names, err := s.cachedBusNames()
	if err != nil {
		return nil, err
	}
	buses := []Bus{}
	for _, n := range names {
		buses = append(buses, Bus{Dev: n, Provider: s.attrOr(n, "provider")})
	}
	return buses, nil
}

// DIMMs returns the nmemN devices.
func (s *Sysfs) DIMMs() ([]DIMM, error) {
	names, err := s.ndDevices("nmem")
	if err != nil {
		return nil, err
	}
	dimms := []DIMM{}
	for _, n := range names {
		slots, _ := strconv.Atoi(s.attrOr(n, "available_slots"))
		dimms = append(dimms, DIMM{
			Dev:            n,
			State:          s.stateOf(n),
			AvailableSlots: slots,
			Flags:          strings.Fields(s.attrOr(n, "flags")),
		})
	}
	return dimms, nil
}

// Regions returns the regionN devices.
func (s *Sysfs) Regions() ([]Region, error) {
	names, err := s.ndDevices("region")
	if err != nil {
		return nil, err
	}
	regions := []Region{}
	for _, n := range names {
		r, err := s.Region(n)
		if err != nil {
			return nil, err
		}
		regions = append(regions, *r)
	}
	return regions, nil
}

// AvailableSize reads the space of region dev that no namespace holds.
func (s *Sysfs) AvailableSize(dev string) (uint64, error) {
	return s.uintAttr(dev, "available_size")
}

// Region reads one region, by device name ("region0").
func (s *Sysfs) Region(dev string) (*Region, error) {
	size, err := s.uintAttr(dev, "size")
	if err != nil {
		return nil, fmt.Errorf("read region %s: %w", dev, err)
	}
	r := &Region{
		Dev:                dev,
		Size:               size,
		Align:              s.uintOr(dev, "align"),
		AvailableSize:      s.uintOr(dev, "available_size"),
		MaxAvailableExtent: s.uintOr(dev, "max_available_extent"),
		Type:               "pmem",
		IsetID:             int64(s.uintOr(dev, "set_cookie")),
		Resource:           s.uintOr(dev, "resource"),
		PersistenceDomain:  s.attrOr(dev, "persistence_domain"),
		State:              s.stateOf(dev),
		NumaNode:           s.nodeOr(dev, "numa_node"),
		TargetNode:         s.nodeOr(dev, "target_node"),
		NamespaceSeed:      s.attrOr(dev, "namespace_seed"),
		PfnSeed:            s.attrOr(dev, "pfn_seed"),
		DaxSeed:            s.attrOr(dev, "dax_seed"),
		BttSeed:            s.attrOr(dev, "btt_seed"),
	}
	if r.PersistenceDomain == "" {
		// ramdax claims no persistence domain; ndctl prints "unknown".
		r.PersistenceDomain = "unknown"
	}
	r.Mappings, err = s.mappings(dev)
	return r, err
}

// nodeOr reads a NUMA node attribute, or NoNode when the kernel hides it
// or shows a negative node (NUMA_NO_NODE).
func (s *Sysfs) nodeOr(dev, attr string) int {
	n, err := strconv.Atoi(s.attrOr(dev, attr))
	if err != nil || n < 0 {
		return NoNode
	}
	return n
}

// mappings parses regionN/mappingK, "nmem0,0,553517056,0" each.
func (s *Sysfs) mappings(region string) ([]Mapping, error) {
	count, _ := strconv.Atoi(s.attrOr(region, "mappings"))
	maps := []Mapping{}
	for i := range count {
		attr := fmt.Sprintf("mapping%d", i)
		f := strings.Split(s.attrOr(region, attr), ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("parse %s/%s: want dimm,offset,length,position, got %q", region, attr, strings.Join(f, ","))
		}
		m := Mapping{DIMM: f[0]}
		var errs [3]error
		m.Offset, errs[0] = strconv.ParseUint(f[1], 0, 64)
		m.Length, errs[1] = strconv.ParseUint(f[2], 0, 64)
		m.Position, errs[2] = strconv.Atoi(f[3])
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("parse %s/%s: %w", region, attr, err)
			}
		}
		maps = append(maps, m)
	}
	return maps, nil
}

// Namespaces returns the namespaces that have space allocated. It fails
// when any of them cannot be read; ScanNamespaces returns the rest too.
func (s *Sysfs) Namespaces() ([]Namespace, error) {
	nss, bad, err := s.ScanNamespaces()
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, bad[0]
	}
	return nss, nil
}

// ReadError is a namespace whose label attributes could not be read: its
// name, and so whether the command line declares it, is unknown.
type ReadError struct {
	Dev, Region string
	Err         error
}

func (e *ReadError) Error() string { return fmt.Sprintf("read namespace %s: %v", e.Dev, e.Err) }

func (e *ReadError) Unwrap() error { return e.Err }

// ScanNamespaces returns the namespaces that have space allocated, and
// apart from them those that could not be read. err is for the listing
// itself.
func (s *Sysfs) ScanNamespaces() (nss []Namespace, bad []*ReadError, err error) {
	names, err := s.ndDevices("namespace")
	if err != nil {
		return nil, nil, err
	}
	nss = []Namespace{}
	for _, n := range names {
		ns, err := s.Namespace(n)
		if err != nil {
			bad = append(bad, &ReadError{Dev: n, Region: regionOf(n), Err: err})
			continue
		}
		if ns.RawSize > 0 {
			nss = append(nss, *ns)
		}
	}
	return nss, bad, nil
}

// Namespace reads one namespace, by device name ("namespace0.1"). The
// attributes that identify it and its claim must be readable: read as
// empty, a named namespace would look unnamed or unclaimed.
//
// With SoleWriter, a namespace read before, with no write through s
// since that may have changed it, is not read again (see freshReads).
func (s *Sysfs) Namespace(dev string) (*Namespace, error) {
	if !s.SoleWriter {
		return s.readNamespace(dev)
	}
	if ns, ok := s.fresh.lookup(dev); ok {
		return ns, nil
	}
	ns, err := s.readNamespace(dev)
	if err == nil && s.settled {
		s.fresh.remember(ns, s.writes)
	}
	return ns, err
}

// readNamespace reads dev from sysfs.
func (s *Sysfs) readNamespace(dev string) (*Namespace, error) {
	size, err := s.uintAttr(dev, "size")
	if err != nil {
		return nil, fmt.Errorf("read namespace %s: %w", dev, err)
	}
	ns := &Namespace{Dev: dev, Region: regionOf(dev), Size: size, RawSize: size}
	for _, a := range []struct {
		name string
		to   *string
	}{{"uuid", &ns.UUID}, {"alt_name", &ns.Name}, {"holder", &ns.Holder}} {
		if *a.to, err = s.readAttr(dev, a.name); err != nil {
			return nil, fmt.Errorf("read namespace %s: %w", dev, err)
		}
	}
	// Root-only in sysfs, and absent for an idle seed.
	ns.Resource = s.uintOr(dev, "resource")
	// The claiming device's name says the mode; only an unclaimed
	// namespace needs the claim class its label holds.
	var holderClass string
	if ns.Holder == "" {
		if holderClass, err = s.readAttr(dev, "holder_class"); err != nil {
			return nil, fmt.Errorf("read namespace %s: %w", dev, err)
		}
	}
	ns.Mode = modeOf(ns.Holder, holderClass)
	switch {
	case size == 0:
		// An idle seed: the kernel binds no namespace without space.
		ns.State = StateDisabled
	case ns.Mode == ModeRaw:
		ns.SectorSize = selectedSize(s.attrOr(dev, "sector_size"), 512)
		ns.BlockDev = s.blockDev(dev, dev, "")
		ns.State = s.stateWith(dev, ns.BlockDev)
	default:
		s.readClaim(ns)
	}
	return ns, nil
}

// readClaim fills in what the pfn, dax or btt device claiming ns says.
func (s *Sysfs) readClaim(ns *Namespace) {
	ns.RawUUID, ns.UUID = ns.UUID, ""
	if ns.Holder == "" {
		ns.State = s.stateOf(ns.Dev)
		return
	}
	h := ns.Holder
	ns.UUID = s.attrOr(h, "uuid")
	if size := s.uintOr(h, "size"); size > 0 {
		ns.Size = size
	}
	switch ns.Mode {
	case ModeSector:
		ns.SectorSize = selectedSize(s.attrOr(h, "sector_size"), 0)
		ns.BlockDev = s.blockDev(h, ns.Dev, "s")
	case ModeFsdax:
		ns.SectorSize = selectedSize(s.attrOr(ns.Dev, "sector_size"), 512)
		ns.BlockDev = s.blockDev(h, ns.Dev, "")
		fallthrough
	case ModeDevdax:
		ns.Map = mapOf(s.attrOr(h, "mode"))
		ns.Align = s.uintOr(h, "align")
	}
	if ns.Mode == ModeDevdax {
		ns.CharDev = s.daxDevice(h, ns.Dev)
		ns.DaxMode = s.daxMode(ns.CharDev)
	}
	ns.State = s.stateWith(h, ns.BlockDev+ns.CharDev)
}

// stateWith is the state of dev, whose probe made device when it made
// one: only a bound driver makes a block or dax device, so then the
// driver link need not be read.
func (s *Sysfs) stateWith(dev, device string) string {
	if device != "" {
		return StateEnabled
	}
	return s.stateOf(dev)
}

// stateOf is "enabled" when dev is bound to a driver.
func (s *Sysfs) stateOf(dev string) string {
	if s.ndDriver(dev) != "" {
		return StateEnabled
	}
	return StateDisabled
}

// modeOf derives the mode from the claiming device's name or, while
// nothing claims the namespace, from its holder_class label.
func modeOf(holder, holderClass string) Mode {
	kind := holderClass
	if holder != "" {
		kind = strings.TrimRight(holder, "0123456789.")
	}
	switch kind {
	case "pfn":
		return ModeFsdax
	case "dax":
		return ModeDevdax
	case "btt":
		return ModeSector
	}
	return ModeRaw
}

// mapOf translates a pfn mode to ndctl's map.
func mapOf(pfnMode string) string {
	switch pfnMode {
	case "ram":
		return MapMem
	case "pmem":
		return MapDev
	}
	return ""
}

// regionOf returns the region of a device named like "namespace0.1",
// "pfn0.2" or "dax1.0".
func regionOf(dev string) string {
	id := strings.TrimLeft(dev, "abcdefghijklmnopqrstuvwxyz_")
	id, _, _ = strings.Cut(id, ".")
	return "region" + id
}

// selectedSize parses a size-select attribute, "512 [4096] ", returning
// the bracketed entry, or def when none is selected.
func selectedSize(attr string, def uint64) uint64 {
	for _, f := range strings.Fields(attr) {
		if strings.HasPrefix(f, "[") {
			n, err := strconv.ParseUint(strings.Trim(f, "[]"), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return def
}

// blockDev returns the gendisk that the probe of the nd device dev made
// for the namespace nsDev, "pmem0.3": first the name pmem gives it, looked
// up alone, then any name, by listing. The listing reads a directory of
// twenty entries, the lookup one name.
func (s *Sysfs) blockDev(dev, nsDev, suffix string) string {
	dir := s.ndDevice(dev)
	if name := diskName(nsDev, suffix); name != "" && s.has(dir, filepath.Join("block", name)) {
		return name
	}
	names, err := s.namesIn(dir, "block")
	if err != nil || len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

// daxDevice returns the daxN.M device that dax_pmem made under the nd dax
// device dev for the namespace nsDev: first the name it gives it, then
// any, by listing.
func (s *Sysfs) daxDevice(dev, nsDev string) string {
	dir := s.ndDevice(dev)
	if name := daxName(nsDev); name != "" && s.has(dir, name) {
		return name
	}
	names, err := s.namesIn(dir, ".")
	if err != nil {
		return ""
	}
	slices.Sort(names)
	for _, n := range names {
		if isDeviceName(n, "dax") {
			return n
		}
	}
	return ""
}

// diskName is the name pmem gives the disk of the namespace nsDev,
// "namespaceR.N": pmemR.N, or pmemR when N is 0, and suffix behind it, "s"
// for a BTT (nvdimm_namespace_disk_name in the kernel's
// drivers/nvdimm/namespace_devs.c). "" for a name of another form.
func diskName(nsDev, suffix string) string {
	region, id, ok := namespaceID(nsDev)
	switch {
	case !ok:
		return ""
	case id == "0":
		return "pmem" + region + suffix
	}
	return "pmem" + region + "." + id + suffix
}

// daxName is the name dax_pmem gives the dax device of the namespace
// nsDev: daxR.N (the kernel's drivers/dax/pmem.c).
func daxName(nsDev string) string {
	region, id, ok := namespaceID(nsDev)
	if !ok {
		return ""
	}
	return "dax" + region + "." + id
}

// namespaceID splits "namespaceR.N" into R and N.
func namespaceID(nsDev string) (region, id string, ok bool) {
	rest, found := strings.CutPrefix(nsDev, "namespace")
	if !found {
		return "", "", false
	}
	region, id, ok = strings.Cut(rest, ".")
	return region, id, ok && region != "" && id != ""
}

func sortDeviceNames(names []string) {
	slices.SortFunc(names, func(a, b string) int {
		pa, na := splitDeviceName(a)
		pb, nb := splitDeviceName(b)
		if c := strings.Compare(pa, pb); c != 0 {
			return c
		}
		return slices.Compare(na, nb)
	})
}

func splitDeviceName(name string) (string, []int) {
	prefix := strings.TrimRight(name, "0123456789.")
	var nums []int
	for f := range strings.SplitSeq(name[len(prefix):], ".") {
		n, _ := strconv.Atoi(f)
		nums = append(nums, n)
	}
	return prefix, nums
}

// OnRamdax reports whether the nd device dev, a region or a namespace,
// hangs off the ramdax bus rather than another provider's, such as a real
// NVDIMM's ACPI bus.
func (s *Sysfs) OnRamdax(dev string) (bool, error) {
	bus, err := s.ramdaxBus()
	if err != nil {
		return false, err
	}
	path, err := filepath.EvalSymlinks(s.ndDevice(dev))
	if err != nil {
		return false, fmt.Errorf("%s: %w", dev, err)
	}
	return slices.Contains(strings.Split(path, string(filepath.Separator)), bus.Dev), nil
}
