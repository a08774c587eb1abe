package nvdimm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// dirCache holds an O_PATH descriptor for each sysfs directory read or
// written through, so that an attribute is opened relative to it: an
// open of /sys/bus/nd/devices/namespace0.12/size walks six directories
// and a symlink first, and under emulation that walk cost more than the
// read itself.
//
// A descriptor can outlive its directory: the kernel may remove a device
// and add another of the same name. A lookup through it then fails with
// ENOENT, and the caller tries the path again, which gives the live
// answer.
type dirCache struct {
	mu    sync.Mutex
	fds   map[string]int // O_PATH descriptors, by directory
	attrs map[string]int // read descriptors, by attribute path
}

// maxCachedDirs keeps the cache well inside the 4096 descriptors a
// process may have: 509 namespaces with their claims and regions need
// about a thousand.
const maxCachedDirs = 2048

// fd returns a descriptor for dir, or false when dir cannot be opened or
// the cache is full: the caller then uses the path.
func (c *dirCache) fd(dir string) (int, bool) {
	return c.open(&c.fds, dir, unix.O_PATH|unix.O_DIRECTORY)
}

// attrFD returns a read descriptor kept open for the attribute at path,
// or false as fd does.
func (c *dirCache) attrFD(path string) (int, bool) {
	return c.open(&c.attrs, path, unix.O_RDONLY)
}

// forget closes the descriptor of dir.
func (c *dirCache) forget(dir string) { c.close(c.fds, dir) }

// forgetAttr closes the descriptor of the attribute at path.
func (c *dirCache) forgetAttr(path string) { c.close(c.attrs, path) }

// forgetAll closes every descriptor.
func (c *dirCache) forgetAll() {
	for _, m := range []map[string]int{c.fds, c.attrs} {
		for path := range m {
			c.close(m, path)
		}
	}
}

// open returns the descriptor m holds for path, opening it with flags
// first when there is none.
func (c *dirCache) open(m *map[string]int, path string, flags int) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fd, ok := (*m)[path]; ok {
		return fd, true
	}
	if len(c.fds)+len(c.attrs) >= maxCachedDirs {
		return 0, false
	}
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[path] = fd
	return fd, true
}

// close closes the descriptor m holds for path.
func (c *dirCache) close(m map[string]int, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fd, ok := m[path]; ok {
		unix.Close(fd)
		delete(m, path)
	}
}

// ReleaseDirs closes the directory descriptors s keeps, and forgets the
// namespaces it read. s stays usable: it opens and reads them again as
// needed. A long-lived process calls it after setup, so that removed
// devices are not kept, and what others change later is seen.
func (s *Sysfs) ReleaseDirs() {
	s.dirs.forgetAll()
	s.fresh.forgetAll()
}

// at runs op on name relative to dir's descriptor and, when there is none
// or stale says the lookup through it found nothing, once more by path.
func (s *Sysfs) at(dir, name string, stale func(error) bool, op func(dirfd int, name string) error) error {
	if fd, ok := s.dirs.fd(dir); ok {
		err := op(fd, name)
		if !stale(err) {
			return err
		}
		s.dirs.forget(dir)
	}
	return op(unix.AT_FDCWD, filepath.Join(dir, name))
}

// splitAttr splits an attribute's path into its directory and name.
func splitAttr(path string) (dir, name string) {
	dir, name = filepath.Split(path)
	return filepath.Clean(dir), name
}

func isENOENT(err error) bool { return errors.Is(err, unix.ENOENT) }

// readFile reads the attribute at path through its directory's
// descriptor.
func (s *Sysfs) readFile(path string) (string, error) {
	defer s.timeRead(time.Now())
	return s.readFileUntimed(path)
}

// readFileUntimed is readFile for a read that is timed as another step:
// the wait for the probes.
func (s *Sysfs) readFileUntimed(path string) (v string, err error) {
	dir, name := splitAttr(path)
	err = s.at(dir, name, isENOENT, func(dirfd int, name string) error {
		v, err = readTrimmedAt(dirfd, name, path)
		return err
	})
	return v, err
}

// readAgain reads an attribute that setup reads again and again (a bus's
// wait_probe, a region's seeds) through a descriptor kept open: sysfs
// shows an attribute anew to each read at offset 0, so one pread(2)
// takes the place of an open, a read and a close. A device that went
// away fails the read, and the path is tried instead.
func (s *Sysfs) readAgain(path string) (string, error) {
	if fd, ok := s.dirs.attrFD(path); ok {
		buf := make([]byte, 4096)
		n, err := unix.Pread(fd, buf, 0)
		if err == nil && n < len(buf) {
			return strings.TrimSpace(string(buf[:n])), nil
		}
		s.dirs.forgetAttr(path)
	}
	return s.readFileUntimed(path)
}

// dirWriter is an AttrWriter that can also write relative to a directory
// descriptor.
type dirWriter interface {
	WriteAttrAt(dirfd int, name, path, value string) error
}

// writeFile stores value through w, relative to path's directory
// descriptor when w can.
func (s *Sysfs) writeFile(w AttrWriter, path, value string) error {
	dw, ok := w.(dirWriter)
	if !ok {
		return w.WriteAttr(path, value)
	}
	dir, name := splitAttr(path)
	return s.at(dir, name, openFoundNothing, func(dirfd int, name string) error {
		return dw.WriteAttrAt(dirfd, name, path, value)
	})
}

// openFoundNothing says whether an open failed for want of the file: only
// then is a write tried again, since a store the kernel refused must not
// be made twice.
func openFoundNothing(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && pe.Op == "open" && errors.Is(pe.Err, unix.ENOENT)
}

// readlinkIn reads the symlink name in dir, through dir's descriptor.
func (s *Sysfs) readlinkIn(dir, name string) (target string, err error) {
	defer s.timeRead(time.Now())
	buf := make([]byte, 256)
	err = s.at(dir, name, isENOENT, func(dirfd int, name string) error {
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return &os.PathError{Op: "readlink", Path: filepath.Join(dir, name), Err: err}
		}
		target = string(buf[:n])
		return nil
	})
	return target, err
}

// has says whether dir holds name, a path relative to it, with one lookup.
func (s *Sysfs) has(dir, name string) bool {
	defer s.timeRead(time.Now())
	err := s.at(dir, name, isENOENT, func(dirfd int, name string) error {
		var st unix.Stat_t
		return unix.Fstatat(dirfd, name, &st, 0)
	})
	return err == nil
}

// namesIn lists the directory name in dir ("." for dir itself), unsorted,
// through dir's descriptor.
func (s *Sysfs) namesIn(dir, name string) (names []string, err error) {
	defer s.timeRead(time.Now())
	err = s.at(dir, name, isENOENT, func(dirfd int, name string) error {
		names, err = readNamesAt(dirfd, name, filepath.Join(dir, name))
		return err
	})
	return names, err
}

func readNamesAt(dirfd int, name, path string) ([]string, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	return f.Readdirnames(-1)
}

// timeRead adds the time since start to the kernel's answers to reads.
// Only the wall clock is read: a read of sysfs never sleeps, and the CPU
// clock would cost a system call of its own for each.
func (s *Sysfs) timeRead(start time.Time) {
	s.Steps.Add(StepKernelRead, time.Since(start))
}
