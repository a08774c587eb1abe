package nvdimm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// infoBlockSpan is how much of a namespace ndctl zeroes on destroy: the pfn,
// dax and btt info blocks sit at 0 or 4 KiB (see infoBlockPlaces), and a
// namespace made later over the same space must not find them.
const infoBlockSpan = 8 << 10

// FindNamespace finds a namespace by device ("namespace0.1"), name, uuid,
// or block or character device ("pmem0", "/dev/dax0.1").
func (s *Sysfs) FindNamespace(id string) (*Namespace, error) {
	nss, err := s.Namespaces()
	if err != nil {
		return nil, err
	}
	key := id
	if filepath.IsAbs(id) {
		key = filepath.Base(id) // a device node: /dev/pmem0
	}
	var found []*Namespace
	for i := range nss {
		ns := &nss[i]
		for _, v := range []string{ns.Dev, ns.BlockDev, ns.CharDev, ns.UUID, ns.RawUUID, ns.Name} {
			if v != "" && strings.EqualFold(v, key) {
				found = append(found, ns)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("namespace %q: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%q names %d namespaces (%s and %s); use the device name", id, len(found), found[0].Dev, found[1].Dev)
}

// DestroyNamespace frees a namespace and its labels, as ndctl's
// destroy-namespace does. It refuses a namespace that is in use (see
// InUse), and an enabled one unless force is set.
func (s *Sysfs) DestroyNamespace(id string, force bool) error {
	ns, err := s.FindNamespace(id)
	if err != nil {
		return err
	}
	if err := s.InUse(ns); err != nil {
		return fmt.Errorf("destroy %s: %w", ns.Dev, err)
	}
	if ns.State == StateEnabled && !force {
		return fmt.Errorf("destroy %s: it is enabled as %s; use --force to disable it first: %w", ns.Dev, s.DevicePath(ns), ErrInUse)
	}
	if err := s.destroy(ns); err != nil {
		return fmt.Errorf("destroy %s: %w", ns.Dev, err)
	}
	return nil
}

// destroy follows ndctl's namespace_destroy: release the claim, disable the
// namespace, zero its info block, free its space.
func (s *Sysfs) destroy(ns *Namespace) error {
	if err := s.ReleaseClaim(ns); err != nil {
		return err
	}
	if err := s.unbindND(ns.Dev); err != nil {
		return err
	}
	if err := s.writeAttr(ns.Dev, "holder_class", ""); err != nil {
		return err
	}
	if err := s.zeroInfoBlock(ns.Dev); err != nil {
		return err
	}
	err := s.writeAttr(ns.Dev, "size", "0")
	if err != nil {
		return withHint(err, func(errno unix.Errno) string {
			if errno == unix.EBUSY {
				return "something enabled or claimed the namespace again; retry"
			}
			return ""
		})
	}
	return s.WaitProbe()
}

// ReleaseClaim disables the pfn, dax or btt device that claims ns and
// lets go of the namespace. The label and the info block stay as they are.
func (s *Sysfs) ReleaseClaim(ns *Namespace) error {
	if ns.Holder == "" {
		return nil
	}
	if err := s.unbindND(ns.Holder); err != nil {
		return err
	}
	return s.writeAttr(ns.Holder, "namespace", "")
}

// zeroInfoBlock zeroes the first 8 KiB of the namespace, whatever info
// block it holds.
func (s *Sysfs) zeroInfoBlock(dev string) error {
	return s.WithRaw(dev, os.O_WRONLY|unix.O_EXCL, func(f *os.File) error {
		if _, err := f.WriteAt(make([]byte, infoBlockSpan), 0); err != nil {
			return fmt.Errorf("zero info block of %s through %s: %w", dev, f.Name(), err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("zero info block of %s: sync %s: %w", dev, f.Name(), err)
		}
		s.logf("zeroed the first %d bytes of %s", infoBlockSpan, f.Name())
		return nil
	})
}

// WithRaw enables an unclaimed namespace as raw, whatever its label's
// claim class, opens its block device with flag and calls fn, then
// disables it again.
func (s *Sysfs) WithRaw(dev string, flag int, fn func(*os.File) error) error {
	if err := s.writeAttr(dev, "force_raw", "1"); err != nil {
		return err
	}
	fnErr := s.openRaw(dev, flag, fn)
	unbindErr := s.unbindND(dev)
	rawErr := s.writeAttr(dev, "force_raw", "0")
	return errors.Join(fnErr, unbindErr, rawErr)
}

func (s *Sysfs) openRaw(dev string, flag int, fn func(*os.File) error) error {
	if err := s.bindND(dev, namespaceDriver); err != nil {
		return err
	}
	blk := s.blockDev(dev, dev, "")
	if blk == "" {
		return fmt.Errorf("%s: no block device after raw bind", dev)
	}
	f, err := os.OpenFile(filepath.Join(s.Dev, blk), flag, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", dev, err)
	}
	defer f.Close()
	return fn(f)
}
