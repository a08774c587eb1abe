// daxbench times the DAX data path inside a test guest: the same
// sequential copy loops through an anonymous mapping, through a devdax
// device, and through a file on a fsdax file system mounted with -o dax,
// all of the same size. A second anonymous mapping that may not use huge
// pages tells how much of a difference is the page size.
//
// Synopsis:
//
//	daxbench    (in a guest that ramdaxinit has set up; see below)
//
// Description:
//
//	It finds the first devdax namespace and the first mounted fsdax one in
//	ramdaxinit's /run/ramdax/status.json. For each of the four targets
//	it times one copy from a prefaulted anonymous buffer (see source) into
//	the target that touches its pages for the first time, then, in turns
//	across the targets so that a change of load falls on all alike,
//	PASSES copies into the target (write) and PASSES copies out of it into
//	the buffer (read). It prints one JSON line per target and "daxbench: done". Each
//	bandwidth is the median of the passes; each ratio to the anonymous
//	mapping is the median of the ratios within a pass, which a drifting
//	load on the host disturbs less than a ratio of medians:
//
//	  daxbench: {"target":"devdax","mib":64,"passes":5,"write_mbs":...}
//
//	MiB and PASSES come from the kernel command line, daxbench.mib=
//	(default 64) and daxbench.passes= (default 11). bench's BenchmarkDAX
//	boots it as the last step of guest/scripts/run.sh.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/ramdax/appliance/bench"
	"github.com/ramdax/appliance/status"
	"github.com/u-root/u-root/pkg/cmdline"
	"golang.org/x/sys/unix"
)

// target is one mapping under test.
type target struct {
	name, path string
	mem        []byte
}

func run(stdout io.Writer) error {
	mib, passes := param("daxbench.mib", 64), param("daxbench.passes", 11)
	size := mib << 20
	targets, err := openTargets(size)
	if err != nil {
		return err
	}
	src, err := source(size)
	if err != nil {
		return err
	}
	fill(src)
	first := make([]time.Duration, len(targets))
	for i, t := range targets {
		first[i] = timeCopy(t.mem, src)
	}
	writes, reads := make([][]time.Duration, len(targets)), make([][]time.Duration, len(targets))
	for range passes {
		for i, t := range targets {
			writes[i] = append(writes[i], timeCopy(t.mem, src))
			reads[i] = append(reads[i], timeCopy(src, t.mem))
		}
	}
	for i, t := range targets {
		r := bench.DAXResult{Target: t.name, Path: t.path, MiB: mib, Passes: passes,
			WriteMBs: mbs(size, median(writes[i])), ReadMBs: mbs(size, median(reads[i])), FirstWriteMBs: mbs(size, first[i]),
			WriteRatio: medianRatio(writes[0], writes[i]), ReadRatio: medianRatio(reads[0], reads[i]),
			FirstWriteRatio: first[0].Seconds() / first[i].Seconds()}
		r.PageKiB, r.HugeKiB = pageSizes(t.mem)
		r.Aliased = pagesApart(src, t.mem)%2 == 0
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "daxbench: %s\n", line)
	}
	fmt.Fprintln(stdout, "daxbench: done")
	return nil
}

// param reads a positive integer kernel parameter, or returns def.
func param(name string, def int) int {
	v, ok := cmdline.Flag(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return def
	}
	return n
}

// openTargets maps the three targets, size bytes each.
func openTargets(size int) ([]target, error) {
	st, err := readStatus()
	if err != nil {
		return nil, err
	}
	devdax, fsdax := firstOf(st, "devdax"), firstOf(st, "fsdax")
	if devdax == nil || fsdax == nil || fsdax.Mount == "" {
		return nil, fmt.Errorf("%s: want a devdax namespace and a mounted fsdax one", status.File)
	}
	anon, err := aligned(size)
	if err != nil {
		return nil, err
	}
	small, err := aligned(size)
	if err != nil {
		return nil, err
	}
	if err := unix.Madvise(small, unix.MADV_NOHUGEPAGE); err != nil {
		return nil, fmt.Errorf("madvise: %w", err)
	}
	dax, err := mapDevice(devdax.Device, size)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(fsdax.Mount, "daxbench")
	fs, err := mapFile(file, size)
	if err != nil {
		return nil, err
	}
	return []target{{"anonymous", "", anon}, {"anonymous-4k", "", small}, {"devdax", devdax.Device, dax}, {"fsdax", file, fs}}, nil
}

func readStatus() (*status.Status, error) {
	data, err := os.ReadFile(status.File)
	if err != nil {
		return nil, err
	}
	var st status.Status
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", status.File, err)
	}
	return &st, nil
}

func firstOf(st *status.Status, mode string) *status.Entry {
	for i, e := range st.Namespaces {
		if e.Mode == mode && (e.State == status.Created || e.State == status.Kept) {
			return &st.Namespaces[i]
		}
	}
	return nil
}

// hugePage is the size every target's start is aligned to.
const hugePage = 2 << 20

// source is the anonymous buffer the targets are copied from and to. It
// starts one page past a 2 MiB boundary, and the targets start on one, so
// each is an odd number of pages from it. Under TCG this matters: QEMU's
// software TLB is direct-mapped by page number, and a source and a target
// a multiple of its reach apart (64 MiB, say, for two mappings made one
// after the other) evict each other's entry at every load and store of
// the copy. Measured here, that cost 35%, on whichever mapping it hit.
func source(size int) ([]byte, error) {
	m, err := aligned(size + os.Getpagesize())
	if err != nil {
		return nil, err
	}
	return m[os.Getpagesize():], nil
}

// aligned maps size anonymous bytes starting on a 2 MiB boundary.
func aligned(size int) ([]byte, error) {
	m, err := anonymous(size + hugePage)
	if err != nil {
		return nil, err
	}
	off := (hugePage - int(address(m)%hugePage)) % hugePage
	return m[off : off+size], nil
}

func address(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// pagesApart is how many pages apart two mappings start.
func pagesApart(a, b []byte) int64 {
	return (int64(address(b)) - int64(address(a))) / int64(os.Getpagesize())
}

func anonymous(size int) ([]byte, error) {
	m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mmap %d anonymous bytes: %w", size, err)
	}
	return m, nil
}

// mapDevice maps the start of a devdax device. Its mapping size must be a
// multiple of the device's align (2 MiB by default), as size is.
func mapDevice(dev string, size int) ([]byte, error) {
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", dev, err)
	}
	return m, nil
}

// mapFile makes a file of size bytes, allocated but unwritten as a
// program's data file would start, checks that it is DAX and maps it.
func mapFile(path string, size int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := unix.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
		return nil, fmt.Errorf("fallocate %s: %w", path, err)
	}
	var sx unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &sx); err != nil {
		return nil, fmt.Errorf("statx %s: %w", path, err)
	}
	if sx.Attributes&unix.STATX_ATTR_DAX == 0 {
		return nil, fmt.Errorf("%s is not DAX: the benchmark would measure the page cache", path)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return m, nil
}

// fill writes a pattern that no page of zeroes matches, faulting b in.
func fill(b []byte) {
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
}

func timeCopy(dst, src []byte) time.Duration {
	start := time.Now()
	copy(dst, src)
	return time.Since(start)
}

func mbs(size int, d time.Duration) float64 { return float64(size) / d.Seconds() / 1e6 }

// medianRatio is the median over passes of the target's bandwidth over
// the anonymous mapping's: anon[p]/target[p] in time.
func medianRatio(anon, target []time.Duration) float64 {
	rs := make([]float64, len(anon))
	for p := range anon {
		rs[p] = anon[p].Seconds() / target[p].Seconds()
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// smapsHeader starts each mapping's block in /proc/self/smaps.
var smapsHeader = regexp.MustCompile(`^([0-9a-f]+)-([0-9a-f]+) `)

// pageSizes reads KernelPageSize and AnonHugePages, in KiB, of the
// mapping that holds b.
func pageSizes(b []byte) (page, huge int) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	addr := uint64(address(b))
	s := bufio.NewScanner(f)
	in := false
	for s.Scan() {
		line := s.Text()
		if m := smapsHeader.FindStringSubmatch(line); m != nil {
			start, _ := strconv.ParseUint(m[1], 16, 64)
			end, _ := strconv.ParseUint(m[2], 16, 64)
			in = start <= addr && addr < end
			continue
		}
		if !in {
			continue
		}
		if v, ok := strings.CutPrefix(line, "KernelPageSize:"); ok {
			page = kib(v)
		}
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			huge = kib(v)
		}
	}
	return page, huge
}

// kib reads smaps' "   2048 kB".
func kib(v string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
	return n
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Printf("daxbench: error: %v\n", err)
		if errors.Is(err, os.ErrNotExist) {
			fmt.Println("daxbench: run it in a guest set up by ramdaxinit")
		}
		os.Exit(1)
	}
}
