package nvdimm

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Steps of a create, as Sysfs.Steps names them, apart from the kernel's.
const (
	StepRegion    = "region"
	StepSeedCheck = "seed check"
	StepVerify    = "verify"
)

// Defaults that ndctl uses when create-namespace is not told otherwise.
const (
	DefaultAlign         = 2 << 20 // fsdax and devdax: PMD-sized pages
	DefaultBTTSectorSize = 4096
)

const (
	minClaimedSize     = 16 << 20 // the kernel's floor for pfn, dax and btt
	maxNameLen         = 63       // a label's name field, minus its NUL
	namespaceDriver    = "nd_pmem"
	daxNamespaceDriver = "dax_pmem"
)

// NamespaceSpec describes a namespace to create. Zero fields take ndctl's
// defaults.
type NamespaceSpec struct {
	// Region is the region to carve from, "region0" or "0". Default: the
	// first region whose largest free extent holds Size.
	Region string
	// Mode defaults to fsdax.
	Mode Mode
	// Name is stored in the label as alt_name, at most 63 bytes.
	Name string
	// Size is the space to allocate, a multiple of the region's align.
	// Default: the region's largest free extent. For fsdax and devdax
	// the usable size is smaller by the info block and, for map=dev,
	// the struct page array.
	Size uint64
	// Align is the fsdax or devdax page size. Default 2 MiB.
	Align uint64
	// Map is where fsdax and devdax keep struct pages, MapMem or MapDev.
	// Default MapDev.
	Map string
	// SectorSize is the logical block size: 512 or 4096 for raw and
	// fsdax, a BTT sector size for sector mode (default 4096).
	SectorSize uint64
	// UUID is the namespace's uuid. Default: a random one.
	UUID string
	// BeforeClaim, when set, runs for fsdax, devdax and sector modes
	// with the namespace's raw block device open for writing: after its
	// label is committed and before a pfn, dax or btt device claims it,
	// so that what it writes is there from the moment the namespace can
	// be seen in its mode. It runs again when Complete finishes the
	// namespace.
	BeforeClaim func(raw *os.File) error
}

// claimKind is how fsdax, devdax and sector modes claim a namespace.
type claimKind struct {
	holderClass string // the namespace's holder_class
	seedAttr    string // the region's seed attribute
	driver      string // the nd driver that enables the claim
}

var claims = map[Mode]claimKind{
	ModeFsdax:  {"pfn", "pfn_seed", namespaceDriver},
	ModeDevdax: {"dax", "dax_seed", daxNamespaceDriver},
	ModeSector: {"btt", "btt_seed", namespaceDriver},
}

// CreateNamespace creates a namespace as ndctl's create-namespace does,
// writing the attributes in ndctl's order, and reads it back. When a write
// or bind fails it frees what it allocated. When the read-back disagrees
// with spec, the namespace stays for inspection and is returned with the
// error. The result's device node is s.DevicePath(ns).
func (s *Sysfs) CreateNamespace(spec NamespaceSpec) (*Namespace, error) {
	spec, err := normalize(spec)
	if err != nil {
		return nil, err
	}
	if err := s.WaitProbe(); err != nil {
		return nil, err
	}
	start := time.Now()
	region, err := s.pickRegion(spec)
	s.Steps.SinceWall(StepRegion, start)
	if err != nil {
		return nil, err
	}
	if spec.Size == 0 {
		spec.Size = region.MaxAvailableExtent
	}
	if spec.Size == 0 {
		return nil, fmt.Errorf("create %s namespace: %s has no free space: %w", spec.Mode, region.Dev, unix.ENOSPC)
	}
	dev := region.NamespaceSeed
	if dev == "" {
		return nil, fmt.Errorf("%s has no namespace seed; is it enabled?", region.Dev)
	}
	// namespace_seed can name a namespace in use: writing to it, or
	// rolling it back to size 0, would change that namespace.
	start = time.Now()
	err = s.checkIdleSeed(dev, region)
	s.Steps.SinceWall(StepSeedCheck, start)
	if err != nil {
		return nil, fmt.Errorf("create %s namespace in %s: %w", spec.Mode, region.Dev, err)
	}
	if err := s.setUpNamespace(dev, region, spec); err != nil {
		s.rollback(dev)
		return nil, fmt.Errorf("create %s namespace in %s: %w", spec.Mode, region.Dev, err)
	}
	return s.verify(dev, spec)
}

// normalize fills in defaults and rejects what the kernel would reject
// for reasons it cannot explain.
func normalize(spec NamespaceSpec) (NamespaceSpec, error) {
	if spec.Mode == "" {
		spec.Mode = ModeFsdax
	}
	if _, ok := claims[spec.Mode]; !ok && spec.Mode != ModeRaw {
		return spec, fmt.Errorf("unknown mode %q: want raw, fsdax, devdax or sector", spec.Mode)
	}
	if len(spec.Name) > maxNameLen {
		return spec, fmt.Errorf("name %q is %d bytes; labels hold at most %d", spec.Name, len(spec.Name), maxNameLen)
	}
	switch spec.Map {
	case "":
		spec.Map = MapDev
	case MapDev, MapMem:
	default:
		return spec, fmt.Errorf("unknown map %q: want mem or dev", spec.Map)
	}
	if spec.Mode == ModeFsdax || spec.Mode == ModeDevdax {
		if spec.Align == 0 {
			spec.Align = DefaultAlign
		}
	} else if spec.Align != 0 {
		return spec, fmt.Errorf("align applies to fsdax and devdax only, not %s", spec.Mode)
	}
	if spec.Mode == ModeSector && spec.SectorSize == 0 {
		spec.SectorSize = DefaultBTTSectorSize
	}
	if spec.Mode != ModeRaw && spec.Size != 0 && spec.Size < minClaimedSize {
		return spec, fmt.Errorf("%s namespaces need at least %s, %s asked", spec.Mode, FormatSize(minClaimedSize), FormatSize(spec.Size))
	}
	if spec.UUID == "" {
		spec.UUID = NewUUID()
	}
	return spec, nil
}

// pickRegion returns the named region, or the first one with room. A
// named region is read only as far as a create needs: its seed, and its
// largest free extent when no size is given; the hints of a failed create
// read the rest.
func (s *Sysfs) pickRegion(spec NamespaceSpec) (*Region, error) {
	if spec.Region != "" {
		name := spec.Region
		if _, err := strconv.Atoi(name); err == nil {
			name = "region" + name
		}
		seed, err := s.readSeed(name, "namespace_seed")
		if err != nil {
			return nil, fmt.Errorf("region %q: %w", spec.Region, ErrNotFound)
		}
		r := &Region{Dev: name, NamespaceSeed: seed}
		if spec.Size == 0 {
			// The kernel walks the region's free space for this one.
			r.MaxAvailableExtent = s.uintOr(name, "max_available_extent")
		}
		return r, nil
	}
	regions, err := s.Regions()
	if err != nil {
		return nil, err
	}
	for i := range regions {
		r := &regions[i]
		if r.MaxAvailableExtent > 0 && r.MaxAvailableExtent >= spec.Size {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no region has %s free: %w", FormatSize(spec.Size), unix.ENOSPC)
}

// setUpNamespace writes the namespace's label attributes, then claims and
// enables it for its mode.
func (s *Sysfs) setUpNamespace(dev string, region *Region, spec NamespaceSpec) error {
	if err := s.writeAttr(dev, "uuid", spec.UUID); err != nil {
		return err
	}
	if spec.Name != "" {
		if err := s.writeAttr(dev, "alt_name", spec.Name); err != nil {
			return err
		}
	}
	// The claim class goes before the size, unlike ndctl: the size write
	// commits the label, and a label committed with its claim class marks
	// a namespace whose creation a power cut interrupted (claimed, but no
	// info block) so that Complete can finish it. Written after the size,
	// a cut in between would leave a raw namespace, indistinguishable
	// from one made raw on purpose.
	// A raw namespace has no claim class: an idle seed has none, and a
	// rollback clears it.
	if claim := claims[spec.Mode]; claim.holderClass != "" {
		if err := s.writeAttr(dev, "holder_class", claim.holderClass); err != nil {
			return err
		}
	}
	if err := s.writeAttr(dev, "size", strconv.FormatUint(spec.Size, 10)); err != nil {
		return withHint(err, s.sizeHint(region, spec.Size))
	}
	if spec.Mode != ModeSector && spec.SectorSize != 0 {
		if err := s.writeAttr(dev, "sector_size", strconv.FormatUint(spec.SectorSize, 10)); err != nil {
			return err
		}
	}
	return s.enable(dev, region.Dev, spec)
}

// enable binds a namespace whose label is written: raw to nd_pmem, other
// modes through a pfn, dax or btt seed.
func (s *Sysfs) enable(dev, region string, spec NamespaceSpec) error {
	claim, claimed := claims[spec.Mode]
	if !claimed {
		return s.enableRaw(dev)
	}
	return s.enableClaim(dev, region, claim, spec)
}

// ErrInfoBlock is returned by Complete for a namespace that holds a pfn,
// dax or btt info block which the kernel did not accept.
var ErrInfoBlock = errors.New("holds an info block the kernel did not accept")

// Complete finishes, in place, a namespace whose label exists but which
// has no device because a power cut or crash interrupted its creation:
// the claim class is in the label, the pfn, dax or btt info block was never
// written, or its write was cut off (InfoBlock.Torn), so the namespace was
// never reachable through its mode's device and holds no data of its own.
// Complete configures a seed to claim it and binds it, which writes the
// info block; nothing else on the media changes.
//
// A namespace that holds any other info block the kernel did not claim (a
// bad checksum, or a uuid or parent that does not match) is another
// matter: claiming it would make the kernel write a new info block over
// it. Complete changes nothing then and returns ErrInfoBlock.
func (s *Sysfs) Complete(dev string, spec NamespaceSpec) (*Namespace, error) {
	ns, err := s.Namespace(dev)
	if err != nil {
		return nil, err
	}
	if s.DevicePath(ns) != "" {
		return ns, nil
	}
	// The label's uuid: without a claiming device, a claimed mode's
	// namespace shows it as RawUUID.
	spec.UUID, spec.Size, spec.Name, spec.Region = ns.UUID, ns.RawSize, ns.Name, ns.Region
	if ns.RawUUID != "" {
		spec.UUID = ns.RawUUID
	}
	if spec, err = normalize(spec); err != nil {
		return nil, err
	}
	if spec.Mode == ModeRaw {
		return s.completeWith(dev, ns.Region, spec)
	}
	ib, err := s.ReadInfoBlock(dev, spec.UUID)
	switch {
	case err != nil:
		return nil, fmt.Errorf("complete %s: %w", dev, err)
	case ib.Torn:
		s.logf("%s: claimed as %s, its %s info block cut off while written: completing it in place", dev, spec.Mode, ib.Kind)
	case ib.Kind != "":
		return nil, fmt.Errorf("%s %w (a %s info block)", dev, ErrInfoBlock, ib.Kind)
	default:
		s.logf("%s: claimed as %s but no info block: completing it in place", dev, spec.Mode)
	}
	return s.completeWith(dev, ns.Region, spec)
}

// completeWith enables a namespace whose label is complete. The kernel
// may have attached an unclaimed namespace raw at probe; that must go
// before a seed can claim it.
func (s *Sysfs) completeWith(dev, region string, spec NamespaceSpec) (*Namespace, error) {
	if spec.Mode != ModeRaw {
		if err := s.unbindND(dev); err != nil {
			return nil, fmt.Errorf("complete %s: %w", dev, err)
		}
	}
	if err := s.enable(dev, region, spec); err != nil {
		return nil, fmt.Errorf("complete %s %s: %w", spec.Mode, dev, err)
	}
	return s.verify(dev, spec)
}

// sizeHint explains a failed size write with the region's numbers.
func (s *Sysfs) sizeHint(r *Region, size uint64) func(unix.Errno) string {
	return func(errno unix.Errno) string {
		r := s.fullRegion(r)
		switch errno {
		case unix.ENXIO:
			if full := s.fullLabelAreas(r); full != "" {
				return labelAreaFull(r, full)
			}
		case unix.ENOSPC:
			return fmt.Sprintf("%s has %s available (largest free extent %s), %s asked; pick a smaller size or another region",
				r.Dev, FormatSize(r.AvailableSize), FormatSize(r.MaxAvailableExtent), FormatSize(size))
		case unix.EINVAL:
			return fmt.Sprintf("%s is not a multiple of %s's align %s; round it", FormatSize(size), r.Dev, FormatSize(r.Align))
		}
		return ""
	}
}

// checkIdleSeed refuses a seed that already has a uuid, and so may have
// a size: the kernel allocates no space to a namespace without a uuid
// (a size write fails with ENXIO), so a seed without one is idle.
func (s *Sysfs) checkIdleSeed(dev string, r *Region) error {
	uuid, err := s.readAttr(dev, "uuid")
	if err != nil {
		return err
	}
	if uuid == "" || strings.Trim(uuid, "0-") == "" {
		return nil
	}
	size := s.uintOr(dev, "size")
	// When a region probes, the kernel makes its first namespace the seed
	// after scheduling every namespace's probe, and moves the seed on
	// when that namespace probes. If the probe has already finished, the
	// seed stays on it (seen here on a boot that kept 509).
	r = s.fullRegion(r)
	why := fmt.Sprintf("the kernel did not move the seed on after %s probed; re-enable %s (unbind and bind it) or reboot to get a new seed", dev, r.Dev)
	if full := s.fullLabelAreas(r); full != "" {
		why = labelAreaFull(r, full)
	}
	return fmt.Errorf("namespace_seed names %s, which is in use (size %d, uuid %s), so nothing was written: %s", dev, size, uuid, why)
}

// fullRegion reads all of r again, for a hint; r itself if that fails.
func (s *Sysfs) fullRegion(r *Region) *Region {
	if full, err := s.Region(r.Dev); err == nil {
		return full
	}
	return r
}

// labelAreaFull says that r's DIMMs full have no label slot left, and
// what to do.
func labelAreaFull(r *Region, full string) string {
	return fmt.Sprintf("%s's label area is full (%s has available_slots 0; a RAMDAX region has %d label slots, one per namespace); destroy a namespace there (ramdax.reset= or ramdaxctl destroy) or put this one on another region",
		r.Dev, full, RamdaxLabelSlots)
}

// RamdaxLabelSlots is how many labels a RAMDAX region's 128 KiB label
// area holds: one per namespace.
const RamdaxLabelSlots = 509

// fullLabelAreas names the DIMMs of r that have no label slot left. The
// kernel fails the size write with ENXIO when it cannot allocate a label.
func (s *Sysfs) fullLabelAreas(r *Region) string {
	var full []string
	for _, m := range r.Mappings {
		if s.attrOr(m.DIMM, "available_slots") == "0" {
			full = append(full, m.DIMM)
		}
	}
	return strings.Join(full, ", ")
}

// enableRaw binds the namespace to nd_pmem, giving /dev/pmemN[.M].
func (s *Sysfs) enableRaw(dev string) error {
	err := s.bindND(dev, namespaceDriver)
	if err == nil {
		return nil
	}
	// The probe reports ENXIO when it found an old pfn, dax or btt info
	// block and let that device claim the namespace instead.
	if holder := s.attrOr(dev, "holder"); holder != "" {
		return fmt.Errorf("%s holds an old info block and %s claimed it; destroy the namespace (it zeroes the info block) and create it again: %w", dev, holder, err)
	}
	return err
}

// enableClaim configures the region's pfn, dax or btt seed to claim the
// namespace and binds it.
func (s *Sysfs) enableClaim(dev, region string, claim claimKind, spec NamespaceSpec) error {
	if spec.BeforeClaim != nil {
		if err := s.WithRaw(dev, os.O_RDWR|unix.O_EXCL, spec.BeforeClaim); err != nil {
			return fmt.Errorf("prepare %s before its claim: %w", dev, err)
		}
	}
	// Seeds move after every enable; wait_probe makes the name current.
	if err := s.WaitProbe(); err != nil {
		return err
	}
	seed, _ := s.readSeed(region, claim.seedAttr)
	if seed == "" {
		return fmt.Errorf("%s has no %s: is the kernel built with %s support?", region, claim.seedAttr, spec.Mode)
	}
	if err := s.writeAttr(seed, "uuid", ClaimUUID(spec.UUID)); err != nil {
		return err
	}
	if err := s.writeClaimParams(seed, spec); err != nil {
		return err
	}
	if err := s.writeAttr(seed, "namespace", dev); err != nil {
		return err
	}
	return s.bindND(seed, claim.driver)
}

// writeClaimParams writes mode and align of a pfn or dax seed, or the
// sector size of a btt seed.
func (s *Sysfs) writeClaimParams(seed string, spec NamespaceSpec) error {
	if spec.Mode == ModeSector {
		return s.writeAttr(seed, "sector_size", strconv.FormatUint(spec.SectorSize, 10))
	}
	pfnMode := "pmem"
	if spec.Map == MapMem {
		pfnMode = "ram"
	}
	if err := s.writeAttr(seed, "mode", pfnMode); err != nil {
		return err
	}
	err := s.writeAttr(seed, "align", strconv.FormatUint(spec.Align, 10))
	return withHint(err, func(errno unix.Errno) string {
		if errno == unix.EINVAL {
			return fmt.Sprintf("supported alignments are %s bytes", s.attrOr(seed, "supported_alignments"))
		}
		return ""
	})
}

// verify reads the namespace back whole, once its probes are done, and
// checks that the kernel made what spec asks: the allocation's size, the
// name and uuid on the label, the claim that holds it with its map and
// align, and the device that appeared. The invariant check after setup
// lists this read rather than reading the namespace again, unless a
// later write could have changed it.
func (s *Sysfs) verify(dev string, spec NamespaceSpec) (*Namespace, error) {
	defer s.Steps.SinceWall(StepVerify, time.Now())
	if err := s.WaitProbe(); err != nil {
		return nil, err
	}
	ns, err := s.Namespace(dev)
	if err != nil {
		return nil, fmt.Errorf("read back %s: %w", dev, err)
	}
	var problems []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}
	labelUUID := ns.UUID
	if spec.Mode != ModeRaw {
		labelUUID = ns.RawUUID
	}
	check(ns.RawSize == spec.Size, "size is %d, want %d", ns.RawSize, spec.Size)
	check(ns.Name == spec.Name, "name is %q, want %q", ns.Name, spec.Name)
	check(labelUUID == spec.UUID, "uuid is %s, want %s", labelUUID, spec.UUID)
	check(ns.Mode == spec.Mode, "claimed by %q, want a %s namespace", ns.Holder, spec.Mode)
	check(s.DevicePath(ns) != "", "no block or character device appeared")
	if spec.Mode == ModeFsdax || spec.Mode == ModeDevdax {
		check(ns.Align == spec.Align, "align is %d, want %d", ns.Align, spec.Align)
		check(ns.Map == spec.Map, "map is %q, want %q", ns.Map, spec.Map)
	}
	if err := errors.Join(problems...); err != nil {
		return ns, fmt.Errorf("created %s, but reading it back: %w", dev, err)
	}
	return ns, nil
}

// rollback frees a half-made namespace: every step is best effort, since
// the failure may have happened anywhere.
func (s *Sysfs) rollback(dev string) {
	s.logf("rolling back %s", dev)
	if holder := s.attrOr(dev, "holder"); holder != "" {
		_ = s.unbindND(holder)
		_ = s.writeAttr(holder, "namespace", "")
	}
	_ = s.unbindND(dev)
	_ = s.writeAttr(dev, "holder_class", "")
	if s.attrOr(dev, "uuid") != "" {
		_ = s.writeAttr(dev, "size", "0")
	}
	_ = s.WaitProbe()
}

// NewUUID returns a random (version 4) uuid.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(b[:])
}
