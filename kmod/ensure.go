package kmod

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ramdax/appliance/nvdimm"
	"golang.org/x/sys/unix"
)

// Case says which kind of kernel Ensure found.
type Case int

const (
	// BuiltIn: the ramdax driver was registered before Ensure ran (built
	// in, or loaded by an earlier run); nothing was loaded.
	BuiltIn Case = iota + 1
	// Modular: Ensure loaded ramdax and the rest of the modules itself.
	Modular
)

func (c Case) String() string {
	switch c {
	case BuiltIn:
		return "built in"
	case Modular:
		return "modular"
	}
	return fmt.Sprintf("Case(%d)", int(c))
}

// The platform device all memmap=SIZE!START ranges hang off. On x86 the
// kernel registers it at boot (arch/x86/kernel/pmem.c, built in whenever
// X86_PMEM_LEGACY_DEVICE=y) whether or not any nvdimm module is loaded.
const pmemDevice = "e820_pmem"

var (
	// ErrNoDevice: there is no e820_pmem platform device, so the kernel
	// saw no memmap=SIZE!START range and ramdax has nothing to drive.
	ErrNoDevice = errors.New("no e820_pmem platform device (is memmap=SIZE!START on the kernel command line?)")
	// ErrClaimed: another driver (nd_e820) has the e820_pmem device.
	ErrClaimed = errors.New("e820_pmem is bound to another driver")
)

type config struct {
	sysfs      string
	modulesDir string
	modules    []string
	logf       func(string, ...any)
	kernel     kernel

	// Coldplug only.
	blacklist []string
	passes    int
	limit     time.Duration
	quiet     time.Duration
}

// Option changes how Ensure and Coldplug work.
type Option func(*config)

// WithSysfs sets where sysfs is mounted (default "/sys"); tests point it at
// a fake tree.
func WithSysfs(root string) Option { return func(c *config) { c.sysfs = root } }

// WithModulesDir sets the modules directory (default
// /lib/modules/$(uname -r)).
func WithModulesDir(dir string) Option { return func(c *config) { c.modulesDir = dir } }

// WithModules replaces Needed as the list of modules to load.
func WithModules(names ...string) Option { return func(c *config) { c.modules = names } }

// WithLogf sets where progress lines go (default: nowhere).
func WithLogf(f func(string, ...any)) Option { return func(c *config) { c.logf = f } }

// Ensure makes the ramdax driver and the drivers that go with it available
// and returns which case applied.
//
// If the ramdax driver is already registered, it checks that the nd bus is
// there and returns BuiltIn. Otherwise it names ramdax in the e820_pmem
// device's driver_override, loads the modules (default Needed) from the
// modules directory, and checks that ramdax bound the device.
func Ensure(opts ...Option) (Case, error) {
	c := config{sysfs: "/sys", modules: Needed, logf: func(string, ...any) {}, kernel: sysKernel{}}
	for _, o := range opts {
		o(&c)
	}
	if exists(c.sysfs, "bus/platform/drivers/ramdax") {
		return BuiltIn, checkBuiltIn(c)
	}
	return Modular, loadModular(c)
}

// checkBuiltIn verifies that libnvdimm came with the ramdax driver.
func checkBuiltIn(c config) error {
	if !exists(c.sysfs, "bus/nd") {
		return errors.New("ramdax driver registered but no nd bus: libnvdimm missing")
	}
	c.logf("kmod: ramdax driver already registered (built in or loaded before); nothing to load")
	return nil
}

func loadModular(c config) error {
	start := time.Now()
	dir, err := modulesDir(c.modulesDir)
	if err != nil {
		return err
	}
	l, err := NewLoader(dir, c.sysfs, c.logf)
	if err != nil {
		return fmt.Errorf("no ramdax driver and no usable modules: %w", err)
	}
	l.kernel = c.kernel
	if err := Override(c.sysfs); err != nil {
		return err
	}
	mods, err := l.Load(c.modules...)
	if err != nil {
		return err
	}
	c.logf("kmod: loaded %d modules from %s in %v", len(mods), dir, time.Since(start).Round(time.Millisecond))
	return checkBound(c.sysfs)
}

// modulesDir returns dir or, if empty, /lib/modules/$(uname -r).
func modulesDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return filepath.Join("/lib/modules", unix.ByteSliceToString(u.Release[:])), nil
}

// Override names ramdax in the e820_pmem device's driver_override, so that
// when the ramdax module registers its driver, the platform bus matches it
// (and only it) to the device and probes it. This must happen before
// ramdax loads: ramdax has no id table and matches nothing otherwise.
func Override(sysfs string) error {
	dev := filepath.Join(sysfs, "bus/platform/devices", pmemDevice)
	if _, err := os.Stat(dev); err != nil {
		return fmt.Errorf("%w: %w", ErrNoDevice, err)
	}
	if drv := boundDriver(sysfs); drv != "" && drv != "ramdax" {
		return fmt.Errorf("%w: %s; unbind it first, or keep nd_e820 from loading with module_blacklist=nd_e820 on the kernel command line", ErrClaimed, drv)
	}
	if err := nvdimm.New(sysfs).SetRamdaxOverride(); err != nil {
		return fmt.Errorf("set %s driver_override: %w", pmemDevice, err)
	}
	return nil
}

// checkBound confirms that the ramdax probe succeeded: a failed probe leaves
// no driver link but no error anywhere but the kernel log.
func checkBound(sysfs string) error {
	if drv := boundDriver(sysfs); drv != "ramdax" {
		return fmt.Errorf("ramdax loaded but %s is bound to %q, not ramdax (see dmesg)", pmemDevice, drv)
	}
	return nil
}

// boundDriver returns the name of the driver bound to e820_pmem, "" if none.
func boundDriver(sysfs string) string {
	link, err := os.Readlink(filepath.Join(sysfs, "bus/platform/devices", pmemDevice, "driver"))
	if err != nil {
		return ""
	}
	return filepath.Base(link)
}

func exists(root, rel string) bool {
	_, err := os.Stat(filepath.Join(root, rel))
	return err == nil
}
