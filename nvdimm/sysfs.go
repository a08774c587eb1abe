// Package nvdimm reads and changes persistent-memory state through the
// libnvdimm sysfs ABI (/sys/bus/nd, /sys/bus/platform, /sys/bus/dax), the way
// ndctl and daxctl do, without either tool.
//
// A Sysfs value names the sysfs root, so that parsing and error handling can
// be tested on a fake tree; everything that needs a kernel is tested in QEMU.
// Every attribute write goes through one AttrWriter, can be logged with Logf,
// and fails with an *AttrError that names the attribute, the value, the errno
// and what to do about it.
package nvdimm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ramdax/appliance/timing"
	"golang.org/x/sys/unix"
)

// AttrWriter writes one sysfs attribute. It is the seam for tests: the
// kernel answers a write with an errno, and a fake writer can too.
type AttrWriter interface {
	WriteAttr(path, value string) error
}

// FileWriter writes attributes to files, as the kernel expects: one write
// of the value with a trailing newline.
type FileWriter struct{}

// WriteAttr writes value and a newline to the attribute at path, with
// one open, write and close: os.File adds a stat, and under emulation
// every system call costs as much as a short kernel handler.
func (w FileWriter) WriteAttr(path, value string) error {
	return w.WriteAttrAt(unix.AT_FDCWD, path, path, value)
}

// WriteAttrAt writes value to the attribute name in the directory dirfd;
// path names it in errors.
func (FileWriter) WriteAttrAt(dirfd int, name, path, value string) error {
	fd, err := unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	// A sysfs store callback sees exactly one write(2); its return value is
	// the kernel's verdict, so report it rather than the close.
	_, werr := unix.Write(fd, []byte(value+"\n"))
	cerr := unix.Close(fd)
	if werr != nil {
		return &os.PathError{Op: "write", Path: path, Err: werr}
	}
	if cerr != nil {
		return &os.PathError{Op: "close", Path: path, Err: cerr}
	}
	return nil
}

// Sysfs is the libnvdimm state of one system, seen through its sysfs tree.
type Sysfs struct {
	// Root is the sysfs mount point, normally "/sys".
	Root string
	// Proc is the procfs mount point, normally "/proc"; it tells which
	// devices are mounted or open.
	Proc string
	// Dev is where device nodes live, normally "/dev".
	Dev string
	// Writer writes attributes. Default FileWriter.
	Writer AttrWriter
	// Logf, when set, is called for every attribute write and its result.
	Logf func(format string, args ...any)
	// Steps, when set, adds up the time of each step: the kernel's part
	// (attribute writes, binds and waits for probes) under "kernel write",
	// "kernel bind" and "kernel wait".
	Steps *timing.Steps
	// SoleWriter says that no other process changes the nd bus while s
	// is in use, as during the appliance's setup: a namespace read whole
	// is then not read again until a write through s may have changed it
	// (see freshReads).
	SoleWriter bool

	// buses are the nd buses once listed: only a provider's bind or
	// unbind changes them, and listing the nd bus directory costs as
	// much as the devices on it.
	buses []string
	// settled says that no bind or unbind happened since the last
	// WaitProbe, so there is no probe to wait for.
	settled bool
	// writes counts the attribute writes tried through s.
	writes int
	// dirs are the directories read and written through.
	dirs dirCache
	// fresh are the namespaces read since the last write that may have
	// changed them.
	fresh freshReads
}

// Writes returns how many attribute writes s has tried: a listing taken
// when it returned the same number still describes what s left.
func (s *Sysfs) Writes() int { return s.writes }

// Kernel-side steps, as Steps names them. Reads are apart from the
// floor: the writes, binds and waits are what setting up asks of the
// kernel, the reads what a tool chooses to look at.
const (
	StepKernelWrite = "kernel write"
	StepKernelBind  = "kernel bind"
	StepKernelWait  = "kernel wait"
	StepKernelRead  = "kernel read"
)

// KernelTime is the time spent in the kernel's side of sysfs: every
// attribute write, bind and wait for the probes.
func KernelTime(steps *timing.Steps) time.Duration {
	return steps.Spent(StepKernelWrite) + steps.Spent(StepKernelBind) + steps.Spent(StepKernelWait)
}

// ReadTime is the time the kernel took to answer the reads of sysfs:
// attributes, links and directory listings.
func ReadTime(steps *timing.Steps) time.Duration { return steps.Spent(StepKernelRead) }

// KernelCPU is the part of KernelTime the process spent on the CPU: the
// rest, other tasks ran, such as the kernel's threads probing. An
// attribute's store never leaves the CPU (see timeWrite).
func KernelCPU(steps *timing.Steps) time.Duration {
	return steps.Spent(StepKernelWrite) + steps.CPU(StepKernelBind) + steps.CPU(StepKernelWait)
}

// New returns the Sysfs rooted at root (normally "/sys"), with /proc and
// /dev at their usual places.
func New(root string) *Sysfs {
	return &Sysfs{Root: root, Proc: "/proc", Dev: "/dev", Writer: FileWriter{}}
}

// Path joins elements under the sysfs root.
func (s *Sysfs) Path(elem ...string) string {
	return filepath.Join(append([]string{s.Root}, elem...)...)
}

// ndDevice is the sysfs directory of a device on the nd bus.
func (s *Sysfs) ndDevice(dev string) string { return s.Path("bus", "nd", "devices", dev) }

func (s *Sysfs) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// write stores value in the attribute at path, logging it, and returns an
// *AttrError that carries the errno.
func (s *Sysfs) write(path, value string) error {
	w := s.Writer
	if w == nil {
		w = FileWriter{}
	}
	step := StepKernelWrite
	if base := filepath.Base(path); base == "bind" || base == "unbind" {
		// A probe or removal may register or drop devices in the
		// background: the next WaitProbe must wait.
		step, s.settled = StepKernelBind, false
	}
	s.writes++
	rel := strings.TrimPrefix(path, s.Root+"/")
	s.fresh.wrote(rel, value, s.writes)
	err := s.timeWrite(step, func() error { return s.writeFile(w, path, value) })
	// Errors name nd devices by device, "namespace0.1/size", as people do.
	rel = strings.TrimPrefix(rel, "bus/nd/devices/")
	if err != nil {
		s.logf("write %s = %q: %v", rel, value, err)
		return newAttrError(rel, value, err)
	}
	s.logf("write %s = %q", rel, value)
	return nil
}

// timeWrite runs write and adds its time to step. An attribute's store
// runs in this process: its wall time counts as the kernel's CPU time,
// and the CPU clock, a system call, is not read for each of hundreds. A
// bind may leave the CPU to the kernel's threads, and is timed on both
// clocks.
func (s *Sysfs) timeWrite(step string, write func() error) error {
	if step == StepKernelBind {
		defer s.Steps.Since(step, timing.Now())
		return write()
	}
	defer s.Steps.SinceWall(step, time.Now())
	return write()
}

// writeAttr writes attr of the nd device dev.
func (s *Sysfs) writeAttr(dev, attr, value string) error {
	return s.write(filepath.Join(s.ndDevice(dev), attr), value)
}

// readSeed returns the seed attr of region (namespace_seed, pfn_seed...),
// which every create reads again.
func (s *Sysfs) readSeed(region, attr string) (string, error) {
	defer s.timeRead(time.Now())
	return s.readAgain(filepath.Join(s.ndDevice(region), attr))
}

// readAttr returns the trimmed content of attr of the nd device dev.
func (s *Sysfs) readAttr(dev, attr string) (string, error) {
	return s.readFile(filepath.Join(s.ndDevice(dev), attr))
}

// attrOr returns attr of dev, or "" if it cannot be read: many attributes
// exist only in some states (a pfn's size only while it is enabled).
func (s *Sysfs) attrOr(dev, attr string) string {
	v, _ := s.readAttr(dev, attr)
	return v
}

// uintAttr parses attr of dev as an unsigned number in any base Go knows
// (the kernel prints region align in hex, sizes in decimal).
func (s *Sysfs) uintAttr(dev, attr string) (uint64, error) {
	v, err := s.readAttr(dev, attr)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s/%s: %w", dev, attr, err)
	}
	return n, nil
}

// uintOr is uintAttr with 0 for an attribute that is absent or unreadable.
func (s *Sysfs) uintOr(dev, attr string) uint64 {
	n, _ := s.uintAttr(dev, attr)
	return n
}

// readTrimmed reads a file with one open, read and close: a sysfs
// attribute comes whole in one read of a page, where os.ReadFile adds a
// stat and a read for the end of file. A read that fills the buffer
// goes on to the end.
func readTrimmed(path string) (string, error) {
	return readTrimmedAt(unix.AT_FDCWD, path, path)
}

// readTrimmedAt is readTrimmed of the file name in the directory dirfd;
// path names it in errors.
func readTrimmedAt(dirfd int, name, path string) (string, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "read", Path: path, Err: err}
		}
		n += m
		if m == 0 || n < len(buf) {
			return strings.TrimSpace(string(buf[:n])), nil
		}
		buf = append(buf, make([]byte, len(buf))...)
	}
}

// driverOf returns the name of the driver bound to the device directory
// dir, or "" when none is.
func driverOf(dir string) string {
	target, err := os.Readlink(filepath.Join(dir, "driver"))
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

// ndDriver returns the driver bound to the nd device dev, or "".
func (s *Sysfs) ndDriver(dev string) string {
	target, err := s.readlinkIn(s.ndDevice(dev), "driver")
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

// bindND binds dev to the nd driver drv and waits for the bus to settle.
// A write of bind succeeds only when the probe bound the device, and
// fails with the probe's error otherwise (the kernel's bind_store); a
// failed write is looked at again through the driver link, since a probe
// can fail after the device was claimed the way asked.
func (s *Sysfs) bindND(dev, drv string) error {
	err := s.write(s.Path("bus", "nd", "drivers", drv, "bind"), dev)
	if werr := s.WaitProbe(); werr != nil && err == nil {
		err = werr
	}
	if err == nil || s.ndDriver(dev) == drv {
		return nil
	}
	return fmt.Errorf("bind %s to %s: %w", dev, drv, err)
}

// unbindND detaches dev from its nd driver, if it has one.
func (s *Sysfs) unbindND(dev string) error {
	drv := s.ndDriver(dev)
	if drv == "" {
		return nil
	}
	if err := s.write(s.Path("bus", "nd", "drivers", drv, "unbind"), dev); err != nil {
		return fmt.Errorf("disable %s: %w", dev, err)
	}
	return nil
}

// ProbeTimeout bounds WaitProbe: a probe that hangs in the kernel must not
// hang early boot with it.
var ProbeTimeout = 30 * time.Second

// WaitProbe waits until every nvdimm bus has finished probing its devices,
// by reading each ndbusN/wait_probe. Seeds named before that may not exist
// yet. After a wait, it returns at once until the next bind or unbind
// through s: the kernel registers seeds in the background only after a
// probe, and the read costs as much as the devices on the bus.
func (s *Sysfs) WaitProbe() error {
	if s.settled {
		return nil
	}
	defer s.Steps.Since(StepKernelWait, timing.Now())
	buses, err := s.cachedBusNames()
	if err != nil {
		return err
	}
	for _, b := range buses {
		if err := withTimeout(ProbeTimeout, func() error {
			_, err := s.readAgain(filepath.Join(s.ndDevice(b), "wait_probe"))
			return err
		}); err != nil {
			return fmt.Errorf("wait for %s to probe: %w", b, err)
		}
	}
	s.settled = len(buses) > 0
	return nil
}

// cachedBusNames lists the buses once there are any.
func (s *Sysfs) cachedBusNames() ([]string, error) {
	if len(s.buses) > 0 {
		return s.buses, nil
	}
	buses, err := s.busNames()
	s.buses = buses
	return buses, err
}

// forgetBuses drops the bus list, before a provider binds or unbinds.
func (s *Sysfs) forgetBuses() {
	s.buses, s.settled = nil, false
	s.dirs.forgetAll()
	s.fresh.forgetAll()
}

// withTimeout runs fn and gives up waiting for it after d. A read of
// sysfs cannot be interrupted, so fn may go on in the background.
func withTimeout(d time.Duration, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("no answer within %v; see dmesg", d)
	}
}

// ndDevices lists the nd bus devices whose names start with prefix, in
// numeric order (region2 before region10).
func (s *Sysfs) ndDevices(prefix string) ([]string, error) {
	start := time.Now()
	entries, err := os.ReadDir(s.Path("bus", "nd", "devices"))
	s.timeRead(start)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list nd devices: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && isDeviceName(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	sortDeviceNames(names)
	return names, nil
}

// isDeviceName reports whether name is prefix followed by digits and dots,
// so that "dax" does not match "dax_region".
func isDeviceName(name, prefix string) bool {
	rest := name[len(prefix):]
	if rest == "" {
		return false
	}
	for _, r := range rest {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}
