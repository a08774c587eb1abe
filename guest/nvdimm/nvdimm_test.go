//go:build vmguest

package nvdimm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ramdax/appliance/nvdimm"
	"golang.org/x/sys/unix"
)

func sysfs(t *testing.T) *nvdimm.Sysfs {
	t.Helper()
	s := nvdimm.New("/sys")
	s.Logf = t.Logf
	bus, err := s.BindRamdax()
	if err != nil {
		t.Fatalf("BindRamdax: %v", err)
	}
	if bus.Provider != "ramdax" {
		t.Fatalf("bus %s has provider %q", bus.Dev, bus.Provider)
	}
	return s
}

// create makes a namespace and destroys it when the test ends.
func create(t *testing.T, s *nvdimm.Sysfs, spec nvdimm.NamespaceSpec) *nvdimm.Namespace {
	t.Helper()
	ns, err := s.CreateNamespace(spec)
	if err != nil {
		t.Fatalf("CreateNamespace(%+v): %v", spec, err)
	}
	// Device names follow scan order and may change; the uuid does not.
	id := ns.UUID
	if ns.RawUUID != "" {
		id = ns.RawUUID
	}
	t.Cleanup(func() {
		if _, err := s.FindNamespace(id); errors.Is(err, nvdimm.ErrNotFound) {
			return
		}
		if err := s.DestroyNamespace(id, true); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return ns
}

func available(t *testing.T, s *nvdimm.Sysfs, region string) uint64 {
	t.Helper()
	r, err := s.Region(region)
	if err != nil {
		t.Fatal(err)
	}
	return r.AvailableSize
}

func TestBindRamdaxIsIdempotent(t *testing.T) {
	s := sysfs(t)
	if _, err := s.BindRamdax(); err != nil {
		t.Fatalf("second BindRamdax: %v", err)
	}
	regions, err := s.Regions()
	if err != nil || len(regions) != 2 {
		t.Fatalf("regions = %+v, %v; want two", regions, err)
	}
	if regions[0].AvailableSize != 512<<20 || regions[1].AvailableSize != 256<<20 {
		t.Errorf("available sizes %d and %d, want 512 MiB and 256 MiB", regions[0].AvailableSize, regions[1].AvailableSize)
	}
}

func TestCreateAndDestroyEveryMode(t *testing.T) {
	s := sysfs(t)
	before := available(t, s, "region0")
	for _, spec := range []nvdimm.NamespaceSpec{
		{Mode: nvdimm.ModeRaw, Name: "raw", Size: 32 << 20, SectorSize: 4096},
		{Mode: nvdimm.ModeFsdax, Name: "fsdax-dev", Size: 64 << 20},
		{Mode: nvdimm.ModeFsdax, Name: "fsdax-mem", Size: 32 << 20, Map: nvdimm.MapMem, Align: 4096},
		{Mode: nvdimm.ModeDevdax, Name: "devdax", Size: 64 << 20},
		{Mode: nvdimm.ModeSector, Name: "sector", Size: 32 << 20, SectorSize: 512},
	} {
		t.Run(spec.Name, func(t *testing.T) {
			spec.Region = "region0"
			ns := create(t, s, spec)
			path := s.DevicePath(ns)
			checkDevice(t, path, spec.Mode == nvdimm.ModeDevdax)
			if ns.Size == 0 || ns.Size > spec.Size {
				t.Errorf("usable size %d of %d", ns.Size, spec.Size)
			}
			if err := s.DestroyNamespace(spec.Name, true); err != nil {
				t.Fatalf("destroy: %v", err)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("%s still exists after destroy", path)
			}
		})
	}
	if after := available(t, s, "region0"); after != before {
		t.Errorf("region0 has %d bytes available after destroying all, %d before", after, before)
	}
}

// checkDevice checks the node's type and, for block devices, that data
// written reads back.
func checkDevice(t *testing.T, path string, char bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("device node: %v", err)
	}
	if isChar := fi.Mode()&os.ModeCharDevice != 0; isChar != char {
		t.Fatalf("%s has mode %v", path, fi.Mode())
	}
	if char {
		return
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := bytes.Repeat([]byte("ramdax!!"), 512)
	if _, err := f.WriteAt(want, 1<<20); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	got := make([]byte, len(want))
	if _, err := f.ReadAt(got, 1<<20); err != nil || !bytes.Equal(got, want) {
		t.Errorf("read back from %s: %v", path, err)
	}
}

func TestFullRegionReportsENOSPC(t *testing.T) {
	s := sysfs(t)
	create(t, s, nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeFsdax, Size: 144 << 20})
	_, err := s.CreateNamespace(nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeFsdax, Size: 256 << 20})
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if !strings.Contains(err.Error(), "region1 has 112 MiB available (largest free extent 112 MiB), 256 MiB asked") {
		t.Errorf("error does not explain the space: %v", err)
	}
	if got := available(t, s, "region1"); got != 112<<20 {
		t.Errorf("the failed create leaked space: %d available", got)
	}
}

func TestMisalignedSizeReportsEINVAL(t *testing.T) {
	s := sysfs(t)
	_, err := s.CreateNamespace(nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeRaw, Size: 20 << 20})
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "align 16 MiB") {
		t.Errorf("err = %v, want EINVAL naming the align", err)
	}
}

func TestDestroyRefusesOpenDevice(t *testing.T) {
	s := sysfs(t)
	ns := create(t, s, nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeFsdax, Name: "held", Size: 32 << 20})
	f, err := os.Open(s.DevicePath(ns))
	if err != nil {
		t.Fatal(err)
	}
	err = s.DestroyNamespace("held", true)
	f.Close()
	if !errors.Is(err, nvdimm.ErrInUse) {
		t.Errorf("destroying an open namespace: err = %v, want ErrInUse", err)
	}
	if err := s.DestroyNamespace("held", false); !errors.Is(err, nvdimm.ErrInUse) {
		t.Errorf("destroying an enabled namespace without force: err = %v", err)
	}
}

func TestSystemRAMRoundTrip(t *testing.T) {
	s := sysfs(t)
	ns := create(t, s, nvdimm.NamespaceSpec{Region: "region0", Mode: nvdimm.ModeDevdax, Name: "kmem", Map: nvdimm.MapMem})
	before := memTotal(t)
	ns, err := s.Reconfigure(ns.Dev, nvdimm.DaxModeSystemRAM)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := s.MemoryBlocks(ns.CharDev)
	if err != nil || len(blocks) == 0 {
		t.Fatalf("memory blocks %v, %v", blocks, err)
	}
	grown := memTotal(t) - before
	if want := uint64(len(blocks)) * 128 << 20; grown != want {
		t.Errorf("MemTotal grew by %d, want %d (%d blocks)", grown, want, len(blocks))
	}
	if err := s.DestroyNamespace(ns.Dev, true); !errors.Is(err, nvdimm.ErrInUse) {
		t.Errorf("destroying system RAM: err = %v, want ErrInUse", err)
	}
	if ns, err = s.Reconfigure(ns.CharDev, nvdimm.DaxModeDevdax); err != nil {
		t.Fatal(err)
	}
	if ns.DaxMode != nvdimm.DaxModeDevdax || memTotal(t) != before {
		t.Errorf("after devdax: mode %s, MemTotal %d, want %d", ns.DaxMode, memTotal(t), before)
	}
}

// TestNamespacesComeBackAfterRebind unbinds ramdax, which tears the bus
// down, and binds it again: the kernel re-reads the labels and the info
// blocks, so names, uuids and modes must come back as they were.
func TestNamespacesComeBackAfterRebind(t *testing.T) {
	s := sysfs(t)
	var made []*nvdimm.Namespace
	for _, spec := range []nvdimm.NamespaceSpec{
		{Region: "region1", Mode: nvdimm.ModeFsdax, Name: "keep-fs", Size: 32 << 20},
		{Region: "region1", Mode: nvdimm.ModeDevdax, Name: "keep-dax", Size: 32 << 20, Align: 4096},
		{Region: "region1", Mode: nvdimm.ModeSector, Name: "keep-btt", Size: 32 << 20},
	} {
		made = append(made, create(t, s, spec))
	}
	if err := os.WriteFile("/sys/bus/platform/drivers/ramdax/unbind", []byte("e820_pmem\n"), 0); err != nil {
		t.Fatalf("unbind ramdax: %v", err)
	}
	if _, err := s.BindRamdax(); err != nil {
		t.Fatalf("bind ramdax again: %v", err)
	}
	for _, want := range made {
		got, err := s.FindNamespace(want.Name)
		if err != nil {
			t.Errorf("after rebind: %v", err)
			continue
		}
		if got.Mode != want.Mode || got.RawUUID != want.RawUUID || got.UUID != want.UUID ||
			got.Size != want.Size || got.Align != want.Align || got.State != nvdimm.StateEnabled {
			t.Errorf("after rebind:\n got %+v\nwant %+v", got, want)
		}
	}
}

// memTotal returns MemTotal from /proc/meminfo in bytes.
func memTotal(t *testing.T) uint64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb uint64
		if _, err := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}

// TestCreateBesideARefusedNamespace gives a devdax namespace an info
// block with an alignment no x86 kernel supports, under a valid checksum,
// as another kernel might have written it, and rebinds the bus. The
// kernel refuses to probe that namespace (EOPNOTSUPP) but still moves the
// region's seed on, so a create there goes to a new namespace and leaves
// the refused one's label and bytes as they were.
func TestCreateBesideARefusedNamespace(t *testing.T) {
	s := sysfs(t)
	const size = 32 << 20
	victim := create(t, s, nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeDevdax, Name: "refused", Size: size})
	if err := s.ReleaseClaim(victim); err != nil {
		t.Fatal(err)
	}
	foreignInfoBlock(t, s, victim.Dev)
	before := rawSum(t, s, victim.Dev)
	if err := os.WriteFile("/sys/bus/platform/drivers/ramdax/unbind", []byte("e820_pmem\n"), 0); err != nil {
		t.Fatalf("unbind ramdax: %v", err)
	}
	if _, err := s.BindRamdax(); err != nil {
		t.Fatalf("bind ramdax again: %v", err)
	}
	refused, err := s.FindNamespace("refused")
	if err != nil {
		t.Fatal(err)
	}
	if refused.State == nvdimm.StateEnabled {
		t.Fatalf("%s is enabled; this test needs the kernel to refuse its info block", refused.Dev)
	}

	made := create(t, s, nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeRaw, Name: "beside", Size: 16 << 20})
	if made.Dev == refused.Dev {
		t.Fatalf("the create used %s, the refused namespace", refused.Dev)
	}
	got, err := s.FindNamespace("refused")
	if err != nil {
		t.Fatal(err)
	}
	// Unclaimed, it shows its whole size and only its own uuid.
	if got.RawUUID != victim.RawUUID || got.Size != size {
		t.Errorf("the refused namespace's label changed: uuid %s, size %d; want %s, %d", got.RawUUID, got.Size, victim.RawUUID, size)
	}
	if after := rawSum(t, s, got.Dev); after != before {
		t.Errorf("the refused namespace's bytes changed: sha256 %s before the create, %s after", before, after)
	}
}

// foreignInfoBlock sets the align field of dev's info block, at its
// second 4 KiB, to 8 KiB and fixes the checksum.
func foreignInfoBlock(t *testing.T, s *nvdimm.Sysfs, dev string) {
	t.Helper()
	err := s.WithRaw(dev, os.O_RDWR, func(f *os.File) error {
		sb := make([]byte, 4096)
		if _, err := f.ReadAt(sb, 4096); err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(sb[84:], 8<<10) // nd_pfn_sb.align
		binary.LittleEndian.PutUint64(sb[4088:], 0)   // the checksum covers itself as zero
		binary.LittleEndian.PutUint64(sb[4088:], fletcher64(sb))
		if _, err := f.WriteAt(sb, 4096); err != nil {
			return err
		}
		return f.Sync()
	})
	if err != nil {
		t.Fatalf("edit the info block of %s: %v", dev, err)
	}
}

// fletcher64 is the kernel's nd_fletcher64 over little-endian words.
func fletcher64(b []byte) uint64 {
	var lo, hi uint32
	for i := 0; i+4 <= len(b); i += 4 {
		lo += binary.LittleEndian.Uint32(b[i:])
		hi += lo
	}
	return uint64(hi)<<32 | uint64(lo)
}

// rawSum is the sha256 of namespace dev read raw.
func rawSum(t *testing.T, s *nvdimm.Sysfs, dev string) string {
	t.Helper()
	h := sha256.New()
	if err := s.WithRaw(dev, os.O_RDONLY, func(f *os.File) error {
		_, err := io.Copy(h, f)
		return err
	}); err != nil {
		t.Fatalf("read %s raw: %v", dev, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
