package kmod

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// distroModules is Debian's 7.2 cloud kernel's modules directory, unpacked
// by kernel-config/distro.sh.
const distroModules = "../build/distro/modules"

func readDistro(t *testing.T) *Deps {
	t.Helper()
	if _, err := os.Stat(filepath.Join(distroModules, "modules.dep")); err != nil {
		t.Skipf("no distro modules: %v", err)
	}
	d, err := ReadDeps(distroModules)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDistroOrder(t *testing.T) {
	d := readDistro(t)
	mods, err := d.Order(Needed...)
	if err != nil {
		t.Fatal(err)
	}
	// ext4 is built into Debian's cloud kernel; nd_pmem needs nd_btt.
	want := []string{"libnvdimm", "ramdax", "nd_btt", "nd_pmem", "dax_pmem", "device_dax", "kmem", "xfs"}
	if got := names(mods); !slices.Equal(got, want) {
		t.Errorf("Order(Needed) = %v, want %v", got, want)
	}
	if !d.Builtin("ext4") {
		t.Errorf("ext4 not built in")
	}
	if m := mods[1]; m.Path != "kernel/drivers/nvdimm/ramdax.ko.xz" {
		t.Errorf("ramdax path = %q", m.Path)
	}
}

func TestDistroClosure(t *testing.T) {
	readDistro(t)
	files, err := Closure(distroModules, Needed...)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(slices.Clone(IndexFiles), "kernel/drivers/nvdimm/libnvdimm.ko.xz", "kernel/fs/xfs/xfs.ko.xz") {
		if !slices.Contains(files, f) {
			t.Errorf("Closure lacks %s: %v", f, files)
		}
	}
	for _, f := range files {
		if strings.Contains(f, "nd_e820") {
			t.Errorf("Closure has %s", f)
		}
	}
	t.Logf("closure: %v", files)
}

// TestDistroNoSoftdeps guards the decision not to read modules.softdep: none
// of the modules we load has a soft dependency.
func TestDistroNoSoftdeps(t *testing.T) {
	d := readDistro(t)
	mods, err := d.Order(Needed...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(distroModules, "modules.softdep"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 1 && fields[0] == "softdep" && slices.Contains(names(mods), ModName(fields[1])) {
			t.Errorf("softdep ignored: %s", s.Text())
		}
	}
}

func TestDistroForbidden(t *testing.T) {
	d := readDistro(t)
	if _, err := d.Order("nd_e820"); !errors.Is(err, ErrForbidden) {
		t.Errorf("Order(nd_e820) = %v, want ErrForbidden", err)
	}
}

// writeDir writes a modules directory with the given modules.dep and
// modules.builtin lines; module files are not created.
func writeDir(t *testing.T, dep, builtin string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	if builtin != "" {
		if err := os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte(builtin), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOrder(t *testing.T) {
	const dep = `kernel/a.ko.xz: kernel/b-dash.ko.xz kernel/c.ko
kernel/b-dash.ko.xz: kernel/c.ko
kernel/c.ko:
kernel/d.ko.zst: kernel/c.ko kernel/builtin.ko
kernel/cyc1.ko: kernel/cyc2.ko
kernel/cyc2.ko: kernel/cyc1.ko
kernel/lost.ko: kernel/gone.ko
kernel/bad.ko: kernel/nd_e820.ko
kernel/nd_e820.ko:
`
	dir := writeDir(t, dep, "kernel/builtin.ko\nkernel/fs/ext4/ext4.ko\n")
	d, err := ReadDeps(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   []string
		want []string
		err  error
	}{
		{in: []string{"a"}, want: []string{"c", "b_dash", "a"}},
		{in: []string{"b-dash", "a", "c"}, want: []string{"c", "b_dash", "a"}},
		{in: []string{"d", "ext4"}, want: []string{"c", "d"}},
		{in: []string{"builtin"}, want: nil},
		{in: []string{"cyc1"}, err: ErrCycle},
		{in: []string{"lost"}, err: ErrUnknown},
		{in: []string{"nosuch"}, err: ErrUnknown},
		{in: []string{"bad"}, err: ErrForbidden},
	} {
		mods, err := d.Order(tc.in...)
		if !errors.Is(err, tc.err) {
			t.Errorf("Order(%v) err = %v, want %v", tc.in, err, tc.err)
			continue
		}
		if got := names(mods); !slices.Equal(got, tc.want) {
			t.Errorf("Order(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestOrderErrorSaysWhere(t *testing.T) {
	d, err := ReadDeps(writeDir(t, "a.ko: b.ko\nb.ko: c.ko\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Order("a")
	if err == nil || !strings.Contains(err.Error(), "a -> b -> c") {
		t.Errorf("Order(a) = %v, want the chain a -> b -> c", err)
	}
}

func TestClosureMissingFile(t *testing.T) {
	dir := writeDir(t, "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n", "")
	if err := os.MkdirAll(filepath.Join(dir, "kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel/b.ko"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Closure(dir, "a"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Closure with a.ko missing = %v, want ErrNotExist", err)
	}
	files, err := Closure(dir, "b")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"modules.dep", "kernel/b.ko"}; !slices.Equal(files, want) {
		t.Errorf("Closure(b) = %v, want %v", files, want)
	}
}

func TestReadDepsBadLine(t *testing.T) {
	if _, err := ReadDeps(writeDir(t, "kernel/a.ko\n", "")); err == nil {
		t.Error("ReadDeps accepted a line without a colon")
	}
}

func TestModName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/drivers/nvdimm/nd_pmem.ko.xz": "nd_pmem",
		"kernel/lib/crc/crc-ccitt.ko":         "crc_ccitt",
		"x.ko.zst":                            "x",
		"x.ko.gz":                             "x",
		"dax-pmem":                            "dax_pmem",
	} {
		if got := ModName(in); got != want {
			t.Errorf("ModName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestModules(t *testing.T) {
	d, err := ReadDeps(writeDir(t, "kernel/a-b.ko.xz:\nkernel/c.ko:\n", "kernel/fs/ext4/ext4.ko\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Modules("ext4", "a_b", "nosuch", "c"), []string{"a_b", "c"}; !slices.Equal(got, want) {
		t.Errorf("Modules = %v, want %v", got, want)
	}
}
