package nvdimm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// infoBlockSpan is how much of a namespace ndctl zeroes on destroy: the pfn,
// dax and btt info blocks sit at 4 KiB, and a namespace made later over the
// same space must not find them.
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
	if ns.Holder != "" {
		if err := s.unbindND(ns.Holder); err != nil {
			return err
		}
		if err := s.writeAttr(ns.Holder, "namespace", ""); err != nil {
			return err
		}
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

// zeroInfoBlock enables the namespace as raw, whatever info block it
// holds, and zeroes the first 8 KiB through its block device.
func (s *Sysfs) zeroInfoBlock(dev string) error {
	if err := s.writeAttr(dev, "force_raw", "1"); err != nil {
		return err
	}
	zeroErr := s.zeroThroughRaw(dev)
	unbindErr := s.unbindND(dev)
	rawErr := s.writeAttr(dev, "force_raw", "0")
	for _, err := range []error{zeroErr, unbindErr, rawErr} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Sysfs) zeroThroughRaw(dev string) error {
	if err := s.bindND(dev, namespaceDriver); err != nil {
		return err
	}
	blk := firstBlockDev(s.ndDevice(dev))
	if blk == "" {
		return fmt.Errorf("zero info block of %s: no block device after raw bind", dev)
	}
	node := filepath.Join(s.Dev, blk)
	f, err := os.OpenFile(node, os.O_WRONLY|unix.O_EXCL, 0)
	if err != nil {
		return fmt.Errorf("zero info block of %s: %w", dev, err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, infoBlockSpan), 0); err != nil {
		return fmt.Errorf("zero info block of %s through %s: %w", dev, node, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("zero info block of %s: sync %s: %w", dev, node, err)
	}
	s.logf("zeroed the first %d bytes of %s", infoBlockSpan, node)
	return nil
}
