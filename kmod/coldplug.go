package kmod

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/cmdline"
)

// How long Coldplug may take and how it waits for devices a loaded module
// creates. A USB host controller finds its devices a few hundred
// milliseconds after its probe (port debounce and reset), so after a pass
// that loaded something the next pass waits until the device list has
// been quiet for a while.
const (
	coldplugPasses = 5
	coldplugLimit  = 10 * time.Second
	coldplugQuiet  = 500 * time.Millisecond
	coldplugPoll   = 50 * time.Millisecond
)

// WithBlacklist names modules Coldplug must not load (default: those of
// module_blacklist= on the kernel command line, which the kernel refuses
// anyway).
func WithBlacklist(names ...string) Option {
	return func(c *config) { c.blacklist = names }
}

// Coldplug does what udev's coldplug does at boot, for the modules the
// modules directory carries: it reads the modalias of every device on
// every bus, loads the modules whose modules.alias patterns match (with
// what they need, from modules.dep), and repeats while that creates
// devices that want more modules, such as the USB devices behind a host
// controller. It skips built-in and loaded modules, modules.alias entries
// whose file the directory lacks (an image carries a subset), Forbidden
// modules and blacklisted ones.
//
// A module that fails to load is logged with its error and the others
// still load; the returned error is only for a modules directory that
// cannot be read. logf gets those lines and one summary.
func Coldplug(opts ...Option) error {
	start := time.Now()
	c := config{sysfs: "/sys", logf: func(string, ...any) {}, kernel: sysKernel{},
		passes: coldplugPasses, limit: coldplugLimit, quiet: coldplugQuiet}
	if list, ok := cmdline.Flag("module_blacklist"); ok {
		c.blacklist = strings.Split(list, ",")
	}
	for _, o := range opts {
		o(&c)
	}
	dir, err := modulesDir(c.modulesDir)
	if err != nil {
		return err
	}
	// The loader logs nothing per module here: one summary says it all.
	l, err := NewLoader(dir, c.sysfs, nil)
	if err != nil {
		return fmt.Errorf("coldplug: %w", err)
	}
	l.kernel = c.kernel
	aliases, err := ReadAliases(dir)
	if err != nil {
		return fmt.Errorf("coldplug: %w", err)
	}
	cp := coldplug{config: c, loader: l, aliases: aliases, deadline: start.Add(c.limit),
		tried: map[string]bool{}, served: map[string]bool{}, skip: map[string]bool{}}
	for _, n := range append(slices.Clone(Forbidden), c.blacklist...) {
		cp.skip[ModName(n)] = true
	}
	passes := cp.run()
	loaded := ""
	if len(cp.loaded) > 0 {
		loaded = ": " + strings.Join(cp.loaded, " ")
	}
	c.logf("kmod: coldplug loaded %d modules for %d devices in %.3f s (%d passes, %d failed)%s",
		len(cp.loaded), len(cp.served), time.Since(start).Seconds(), passes, cp.failed, loaded)
	return nil
}

// coldplug is one Coldplug run's state.
type coldplug struct {
	config
	loader   *Loader
	aliases  *Aliases
	deadline time.Time
	skip     map[string]bool // Forbidden and blacklisted
	tried    map[string]bool // asked for once, loaded or failed: never again
	served   map[string]bool // devices a loaded module matched
	loaded   []string        // every module loaded, dependencies too, in order
	failed   int
}

// run makes passes until one loads nothing, and returns how many it made.
func (cp *coldplug) run() int {
	for pass := 1; pass <= cp.passes; pass++ {
		devs := scanDevices(cp.sysfs)
		want := cp.wanted(devs)
		if len(want) == 0 {
			return pass
		}
		for _, m := range slices.Sorted(maps.Keys(want)) {
			if time.Now().After(cp.deadline) {
				cp.logf("kmod: coldplug: time limit of %v reached; %s and later modules not loaded", cp.limit, m)
				return pass
			}
			cp.load(m, want[m])
		}
		cp.settle(devs)
	}
	cp.logf("kmod: coldplug: still finding modules after %d passes; stopped", cp.passes)
	return cp.passes
}

// wanted maps each module that devs need and that is not there yet to the
// devices that want it.
func (cp *coldplug) wanted(devs map[string]string) map[string][]string {
	want := map[string][]string{}
	for dev, modalias := range devs {
		for _, m := range cp.aliases.Match(modalias) {
			if cp.skip[m] || cp.tried[m] || cp.loader.Loaded(m) || cp.loader.Deps.Builtin(m) || !cp.carries(m) {
				continue
			}
			want[m] = append(want[m], dev)
		}
	}
	return want
}

// carries reports whether the modules directory has the module's file.
func (cp *coldplug) carries(name string) bool {
	file, ok := cp.loader.Deps.path[name]
	if !ok {
		return false
	}
	_, err := os.Stat(filepath.Join(cp.loader.Deps.Dir, file))
	return err == nil
}

func (cp *coldplug) load(name string, devs []string) {
	cp.tried[name] = true
	mods, err := cp.loader.Load(name)
	cp.loaded = append(cp.loaded, names(mods)...)
	if err != nil {
		cp.failed++
		cp.logf("kmod: coldplug: %s: %v", name, err)
		return
	}
	for _, d := range devs {
		cp.served[d] = true
	}
}

// settle waits until the device list has not changed for the quiet time,
// or the deadline: devices a module creates appear after its probe, some
// (USB) well after.
func (cp *coldplug) settle(before map[string]string) {
	last, since := before, time.Now()
	for time.Since(since) < cp.quiet && time.Now().Before(cp.deadline) {
		time.Sleep(min(coldplugPoll, cp.quiet))
		if now := scanDevices(cp.sysfs); !sameKeys(now, last) {
			last, since = now, time.Now()
		}
	}
}

// scanDevices returns the modalias of every device on every bus, by its
// path under /sys/bus. Devices outside a bus (class devices such as
// dmi/id) are left out: no module the appliance carries binds them.
func scanDevices(sysfs string) map[string]string {
	files, _ := filepath.Glob(filepath.Join(sysfs, "bus/*/devices/*/modalias"))
	devs := make(map[string]string, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if m := strings.TrimSpace(string(b)); m != "" {
			rel, _ := filepath.Rel(filepath.Join(sysfs, "bus"), filepath.Dir(f))
			devs[rel] = m
		}
	}
	return devs
}

func sameKeys(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}
