package nvdimm

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// The platform device that owns every memmap=SIZE!START range, and the two
// drivers that can own it.
const (
	e820Device   = "e820_pmem"
	e820Driver   = "e820_pmem"
	ramdaxDriver = "ramdax"
)

func (s *Sysfs) e820Dir() string { return s.Path("bus", "platform", "devices", e820Device) }

// SetRamdaxOverride writes driver_override=ramdax on the e820_pmem platform
// device. ramdax has no id table and binds only through driver_override,
// so with modular drivers this must happen before ramdax.ko loads (and
// nd_e820.ko must not load). BindRamdax does it too.
func (s *Sysfs) SetRamdaxOverride() error {
	dir := s.e820Dir()
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no %s platform device (boot with memmap=SIZE!START): %w", e820Device, err)
	}
	if cur, _ := readTrimmed(dir + "/driver_override"); cur == ramdaxDriver {
		return nil
	}
	return s.write(dir+"/driver_override", ramdaxDriver)
}

// BindRamdax hands the e820_pmem device from nd_e820 to ramdax, so that its
// ranges become labelled DIMMs whose namespaces can be changed, then waits
// for the bus to probe and returns it. It does nothing but wait when ramdax
// already owns the device.
//
// With nd_e820 built in, the device is bound at boot and must be unbound
// first; a bind without that fails with EBUSY. With modules, call
// SetRamdaxOverride, load ramdax, then BindRamdax to wait and verify.
func (s *Sysfs) BindRamdax() (*Bus, error) {
	if driverOf(s.e820Dir()) != ramdaxDriver {
		if err := s.takeOver(); err != nil {
			return nil, err
		}
	}
	if err := s.WaitProbe(); err != nil {
		return nil, err
	}
	return s.ramdaxBus()
}

// takeOver unbinds e820_pmem from its driver, sets the override and binds
// ramdax. If the bind fails it tries to give the device back, so that the
// ranges stay usable as plain e820 pmem.
func (s *Sysfs) takeOver() error {
	s.forgetBuses()
	if err := s.SetRamdaxOverride(); err != nil {
		return err
	}
	ramdaxDir := s.Path("bus", "platform", "drivers", ramdaxDriver)
	if _, err := os.Stat(ramdaxDir); err != nil {
		return fmt.Errorf("driver_override is set but the ramdax driver is not registered: load ramdax.ko (CONFIG_RAMDAX): %w", err)
	}
	if old := driverOf(s.e820Dir()); old != "" {
		if err := s.write(s.Path("bus", "platform", "drivers", old, "unbind"), e820Device); err != nil {
			return fmt.Errorf("unbind %s from %s: %w", e820Device, old, err)
		}
	}
	// Before the bind the bus directory holds only other providers'
	// devices, if any; after it, every namespace too.
	others, _ := s.busNames()
	err := s.write(ramdaxDir+"/bind", e820Device)
	if driverOf(s.e820Dir()) == ramdaxDriver {
		s.rememberBuses(others)
		return nil
	}
	if err == nil {
		err = errors.New("bind returned success but the device has no driver; see dmesg")
	}
	err = withHint(err, func(errno unix.Errno) string {
		if errno == unix.EBUSY {
			return "e820_pmem is still bound to another driver or its pmem devices are in use"
		}
		return "ramdax failed to probe the memmap= ranges; see dmesg"
	})
	s.giveBack()
	return fmt.Errorf("bind %s to ramdax: %w", e820Device, err)
}

// rememberBuses caches the buses as others and the one ramdax registered
// under e820_pmem, without listing the whole nd bus again.
func (s *Sysfs) rememberBuses(others []string) {
	entries, err := os.ReadDir(s.e820Dir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if isDeviceName(e.Name(), "ndbus") {
			s.buses = append(others, e.Name())
			sortDeviceNames(s.buses)
			return
		}
	}
}

// giveBack is best effort: it clears the override and rebinds nd_e820.
func (s *Sysfs) giveBack() {
	s.forgetBuses()
	_ = s.write(s.e820Dir()+"/driver_override", "")
	_ = s.write(s.Path("bus", "platform", "drivers", e820Driver, "bind"), e820Device)
}

// ramdaxBus returns the bus whose provider is ramdax.
func (s *Sysfs) ramdaxBus() (*Bus, error) {
	buses, err := s.Buses()
	if err != nil {
		return nil, err
	}
	for _, b := range buses {
		if b.Provider == ramdaxDriver {
			return &b, nil
		}
	}
	return nil, fmt.Errorf("%s is bound to ramdax but no nvdimm bus has provider ramdax", e820Device)
}
