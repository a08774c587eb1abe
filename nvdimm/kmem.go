package nvdimm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// What a devdax namespace's character device is used as.
const (
	DaxModeDevdax    = "devdax"     // /dev/daxN.M, bound to device_dax
	DaxModeSystemRAM = "system-ram" // hot-plugged memory, bound to kmem
)

// Personality is the namespace's mode as the command line names it: Mode,
// except "system-ram" for a devdax namespace the kernel uses as memory.
func (ns *Namespace) Personality() string {
	if ns.DaxMode == DaxModeSystemRAM {
		return DaxModeSystemRAM
	}
	return string(ns.Mode)
}

const (
	deviceDaxDriver = "device_dax"
	kmemDriver      = "kmem"
)

// MemoryBlock is one hot-pluggable memory block of a system-ram device.
type MemoryBlock struct {
	Dev   string // "memory9"
	State string // "online" or "offline"
}

func (s *Sysfs) daxDir(dax string) string { return s.Path("bus", "dax", "devices", dax) }

func (s *Sysfs) daxDriverFile(drv, file string) string {
	return s.Path("bus", "dax", "drivers", drv, file)
}

// daxMode tells from the driver whether a dax device is system RAM.
func (s *Sysfs) daxMode(dax string) string {
	switch driverOf(s.daxDir(dax)) {
	case kmemDriver:
		return DaxModeSystemRAM
	case deviceDaxDriver:
		return DaxModeDevdax
	}
	return ""
}

// Reconfigure switches the character device of a devdax namespace between
// devdax and system-ram (DaxModeDevdax, DaxModeSystemRAM), as daxctl
// reconfigure-device does, and returns the namespace read back. System
// RAM is onlined movable; only whole memory blocks (128 MiB on x86) of the
// device become RAM.
func (s *Sysfs) Reconfigure(id, mode string) (*Namespace, error) {
	ns, err := s.FindNamespace(id)
	if err != nil {
		return nil, err
	}
	if ns.Mode != ModeDevdax || ns.CharDev == "" {
		return nil, fmt.Errorf("reconfigure %s: it is %s, %s; only enabled devdax namespaces switch", ns.Dev, ns.Mode, ns.State)
	}
	switch mode {
	case DaxModeSystemRAM:
		err = s.toSystemRAM(ns)
	case DaxModeDevdax:
		err = s.toDevdax(ns)
	default:
		err = fmt.Errorf("unknown mode %q: want system-ram or devdax", mode)
	}
	if err != nil {
		return nil, fmt.Errorf("reconfigure %s to %s: %w", ns.CharDev, mode, err)
	}
	return s.Namespace(ns.Dev)
}

func (s *Sysfs) toSystemRAM(ns *Namespace) error {
	dax := ns.CharDev
	if ns.DaxMode != DaxModeSystemRAM {
		if err := s.InUse(ns); err != nil {
			return err
		}
		if err := s.rebindDax(dax, deviceDaxDriver, kmemDriver); err != nil {
			return err
		}
	}
	blocks, err := s.MemoryBlocks(dax)
	if err != nil {
		return err
	}
	if len(blocks) == 0 {
		return fmt.Errorf("%s spans no whole memory block; kmem added no memory", dax)
	}
	for _, b := range blocks {
		if b.State == "offline" {
			if err := s.setBlockState(b.Dev, "online_movable"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Sysfs) toDevdax(ns *Namespace) error {
	dax := ns.CharDev
	if ns.DaxMode == DaxModeDevdax {
		return nil
	}
	blocks, err := s.MemoryBlocks(dax)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if b.State != "offline" {
			if err := s.setBlockState(b.Dev, "offline"); err != nil {
				return err
			}
		}
	}
	return s.rebindDax(dax, kmemDriver, deviceDaxDriver)
}

// rebindDax moves a dax device from one dax driver to another: drop the
// id from the old driver so it does not reclaim the device, unbind, add
// the id to the new one (which attaches), and bind if that did not.
// When the new driver refuses, the device goes back to the old one.
func (s *Sysfs) rebindDax(dax, from, to string) error {
	if err := s.write(s.daxDriverFile(from, "remove_id"), dax); err != nil {
		return err
	}
	if driverOf(s.daxDir(dax)) == from {
		if err := s.write(s.daxDriverFile(from, "unbind"), dax); err != nil {
			return err
		}
	}
	err := s.write(s.daxDriverFile(to, "new_id"), dax)
	if err == nil && driverOf(s.daxDir(dax)) != to {
		err = s.write(s.daxDriverFile(to, "bind"), dax)
	}
	if driverOf(s.daxDir(dax)) == to {
		return nil
	}
	if err == nil {
		err = errors.New("the device has no driver after bind; see dmesg")
	}
	err = withHint(err, func(errno unix.Errno) string {
		if to == kmemDriver {
			return "kmem refused the device: it must span at least one whole memory block (128 MiB on x86) and need CONFIG_DEV_DAX_KMEM; see dmesg"
		}
		return ""
	})
	_ = s.write(s.daxDriverFile(to, "remove_id"), dax)
	_ = s.write(s.daxDriverFile(from, "bind"), dax)
	return fmt.Errorf("bind %s to %s: %w", dax, to, err)
}

// setBlockState writes a memory block's state.
func (s *Sysfs) setBlockState(block, state string) error {
	err := s.write(s.Path("devices", "system", "memory", block, "state"), state)
	return withHint(err, func(errno unix.Errno) string {
		if errno == unix.EBUSY && state == "offline" {
			return "the kernel could not migrate the block's pages away; free memory and retry, or reboot"
		}
		return ""
	})
}

// MemoryBlocks returns the memory blocks that lie wholly inside the dax
// device's range and exist, which they do while kmem owns the device.
func (s *Sysfs) MemoryBlocks(dax string) ([]MemoryBlock, error) {
	start, size, err := s.daxRange(dax)
	if err != nil {
		return nil, err
	}
	memDir := s.Path("devices", "system", "memory")
	bsText, err := readTrimmed(filepath.Join(memDir, "block_size_bytes"))
	if err != nil {
		return nil, fmt.Errorf("read memory block size (CONFIG_MEMORY_HOTPLUG): %w", err)
	}
	blockSize, err := strconv.ParseUint(bsText, 16, 64)
	if err != nil || blockSize == 0 {
		return nil, fmt.Errorf("parse memory block_size_bytes %q: %v", bsText, err)
	}
	var blocks []MemoryBlock
	for i := (start + blockSize - 1) / blockSize; (i+1)*blockSize <= start+size; i++ {
		name := fmt.Sprintf("memory%d", i)
		state, err := readTrimmed(filepath.Join(memDir, name, "state"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, MemoryBlock{Dev: name, State: state})
	}
	return blocks, nil
}

// daxRange returns the physical range of a dax device.
func (s *Sysfs) daxRange(dax string) (start, size uint64, err error) {
	dir := s.daxDir(dax)
	startText, err := readTrimmed(filepath.Join(dir, "resource"))
	if err != nil {
		return 0, 0, fmt.Errorf("read %s range: %w", dax, err)
	}
	if start, err = strconv.ParseUint(startText, 0, 64); err != nil {
		return 0, 0, fmt.Errorf("parse %s/resource: %w", dax, err)
	}
	sizeText, err := readTrimmed(filepath.Join(dir, "size"))
	if err != nil {
		return 0, 0, fmt.Errorf("read %s size: %w", dax, err)
	}
	if size, err = strconv.ParseUint(sizeText, 0, 64); err != nil {
		return 0, 0, fmt.Errorf("parse %s/size: %w", dax, err)
	}
	return start, size, nil
}
