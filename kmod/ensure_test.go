package kmod

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func withKernel(k kernel) Option { return func(c *config) { c.kernel = k } }

// A small copy of the distro's modules.dep, in its order.
const applianceDep = `kernel/fs/xfs/xfs.ko.xz:
kernel/drivers/dax/device_dax.ko.xz:
kernel/drivers/dax/kmem.ko.xz:
kernel/drivers/dax/dax_pmem.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz
kernel/drivers/nvdimm/libnvdimm.ko.xz:
kernel/drivers/nvdimm/nd_pmem.ko.xz: kernel/drivers/nvdimm/nd_btt.ko.xz kernel/drivers/nvdimm/libnvdimm.ko.xz
kernel/drivers/nvdimm/nd_btt.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz
kernel/drivers/nvdimm/nd_e820.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz
kernel/drivers/nvdimm/ramdax.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz
`

// fakePlatform is a sysfs tree with the e820_pmem device, as the kernel
// has it at boot when memmap=SIZE!START is given, and a kernel whose
// modules behave as the real ones do: loading creates /sys/module/NAME,
// and ramdax binds e820_pmem if, and only if, driver_override names it.
type fakePlatform struct {
	sysfs  string
	dev    string
	kernel *fakeKernel
}

func newFakePlatform(t *testing.T) *fakePlatform {
	p := &fakePlatform{sysfs: fakeSysfs(t, "xz")}
	p.dev = filepath.Join(p.sysfs, "bus/platform/devices/e820_pmem")
	writeFile(t, p.sysfs, "bus/platform/devices/e820_pmem/driver_override", "(null)\n")
	p.kernel = &fakeKernel{t: t, onLoad: func(name string) error {
		mkdir(t, p.sysfs, "module/"+name)
		if name != "ramdax" {
			return nil
		}
		mkdir(t, p.sysfs, "bus/platform/drivers/ramdax")
		if b, _ := os.ReadFile(filepath.Join(p.dev, "driver_override")); string(b) == "ramdax\n" {
			return os.Symlink("../../drivers/ramdax", filepath.Join(p.dev, "driver"))
		}
		return nil
	}}
	return p
}

func (p *fakePlatform) ensure(t *testing.T, dir string, opts ...Option) (Case, error) {
	opts = append([]Option{WithSysfs(p.sysfs), WithModulesDir(dir), WithLogf(t.Logf), withKernel(p.kernel)}, opts...)
	return Ensure(opts...)
}

func TestEnsureModular(t *testing.T) {
	dir := writeModules(t, applianceDep)
	p := newFakePlatform(t)
	mkdir(t, p.sysfs, "module/ext4") // built in, and not in modules.builtin
	c, err := p.ensure(t, dir)
	if err != nil || c != Modular {
		t.Fatalf("Ensure = %v, %v; want modular", c, err)
	}
	var got []string
	for _, c := range p.kernel.calls {
		if c.how != "finit compressed" {
			t.Errorf("%s loaded by %s, want finit compressed", c.name, c.how)
		}
		got = append(got, c.name)
	}
	want := []string{"libnvdimm", "ramdax", "nd_btt", "nd_pmem", "dax_pmem", "device_dax", "kmem", "xfs"}
	if !slices.Equal(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
}

func TestEnsureModularErrors(t *testing.T) {
	dir := writeModules(t, applianceDep)
	writeFile(t, dir, "modules.builtin", "kernel/fs/ext4/ext4.ko\n")
	for _, tc := range []struct {
		name  string
		setup func(*testing.T, *fakePlatform)
		err   error  // errors.Is
		msg   string // or part of the message
	}{
		{name: "no memmap", setup: func(t *testing.T, p *fakePlatform) {
			os.RemoveAll(p.dev)
		}, err: ErrNoDevice},
		{name: "claimed by nd_e820", setup: func(t *testing.T, p *fakePlatform) {
			os.Symlink("../../drivers/e820_pmem", filepath.Join(p.dev, "driver"))
		}, err: ErrClaimed},
		{name: "probe failed", setup: func(t *testing.T, p *fakePlatform) {
			onLoad := p.kernel.onLoad
			p.kernel.onLoad = func(name string) error {
				if name == "ramdax" {
					mkdir(t, p.sysfs, "module/ramdax")
					mkdir(t, p.sysfs, "bus/platform/drivers/ramdax")
					return nil
				}
				return onLoad(name)
			}
		}, msg: "not ramdax"},
		{name: "forbidden", setup: func(t *testing.T, p *fakePlatform) {}, err: ErrForbidden},
	} {
		p := newFakePlatform(t)
		tc.setup(t, p)
		var opts []Option
		if tc.name == "forbidden" {
			opts = append(opts, WithModules("ramdax", "nd_e820"))
		}
		_, err := p.ensure(t, dir, opts...)
		switch {
		case err == nil:
			t.Errorf("%s: Ensure succeeded", tc.name)
		case tc.err != nil && !errors.Is(err, tc.err):
			t.Errorf("%s: Ensure = %v, want %v", tc.name, err, tc.err)
		case !strings.Contains(err.Error(), tc.msg):
			t.Errorf("%s: Ensure = %v, want %q in it", tc.name, err, tc.msg)
		}
		if tc.msg == "" && len(p.kernel.calls) > 0 {
			t.Errorf("%s: loaded %v before failing", tc.name, p.kernel.calls)
		}
	}
}

func TestEnsureBuiltIn(t *testing.T) {
	p := newFakePlatform(t)
	mkdir(t, p.sysfs, "bus/platform/drivers/ramdax")
	noModules := filepath.Join(t.TempDir(), "none")
	if _, err := p.ensure(t, noModules); err == nil || !strings.Contains(err.Error(), "no nd bus") {
		t.Errorf("Ensure without nd bus = %v", err)
	}
	mkdir(t, p.sysfs, "bus/nd")
	c, err := p.ensure(t, noModules)
	if err != nil || c != BuiltIn {
		t.Errorf("Ensure = %v, %v; want built in", c, err)
	}
	if len(p.kernel.calls) > 0 {
		t.Errorf("built in kernel: loaded %v", p.kernel.calls)
	}
	b, _ := os.ReadFile(filepath.Join(p.dev, "driver_override"))
	if string(b) != "(null)\n" {
		t.Errorf("built in kernel: driver_override = %q", b)
	}
}

func TestEnsureNoModules(t *testing.T) {
	p := newFakePlatform(t)
	_, err := p.ensure(t, filepath.Join(t.TempDir(), "none"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Ensure without ramdax or modules = %v", err)
	}
}
