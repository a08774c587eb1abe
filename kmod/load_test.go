package kmod

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// image is the fake content of module name's file, decompressed.
func image(name string) []byte {
	return []byte("\x7fELF fake module:" + name + strings.Repeat(" padding", 64))
}

// compress writes b to w in the format file's extension names.
func compress(t *testing.T, file string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch filepath.Ext(file) {
	case ".xz":
		w, err = xz.NewWriter(&buf)
	case ".zst":
		w, err = zstd.NewWriter(&buf)
	case ".gz":
		w = gzip.NewWriter(&buf)
	default:
		return b
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeModules writes modules.dep with dep and each module file it names.
func writeModules(t *testing.T, dep string) string {
	t.Helper()
	dir := writeDir(t, dep, "")
	for _, line := range strings.Split(dep, "\n") {
		file, _, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		p := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, compress(t, file, image(ModName(file))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// call is one module syscall seen by fakeKernel.
type call struct {
	name string
	how  string
}

// fakeKernel records module loads; it checks that init_module gets the
// decompressed image.
type fakeKernel struct {
	t        *testing.T
	finitErr error              // returned instead of loading plain files
	onLoad   func(string) error // runs as the module "initialises"
	calls    []call
}

func (k *fakeKernel) finitModule(f *os.File, flags int) error {
	if flags&^unix.MODULE_INIT_COMPRESSED_FILE != 0 {
		k.t.Errorf("finit_module(%s) flags %#x", f.Name(), flags)
	}
	if k.finitErr != nil && flags == 0 {
		return k.finitErr
	}
	how := "finit"
	if flags&unix.MODULE_INIT_COMPRESSED_FILE != 0 {
		how = "finit compressed"
	}
	return k.load(ModName(f.Name()), how)
}

func (k *fakeKernel) initModule(img []byte) error {
	_, name, _ := strings.Cut(string(img), "module:")
	name, _, _ = strings.Cut(name, " ")
	if !bytes.Equal(img, image(name)) {
		k.t.Errorf("init_module got %d bytes, not %s's image", len(img), name)
	}
	return k.load(name, "init")
}

func (k *fakeKernel) load(name, how string) error {
	k.calls = append(k.calls, call{name, how})
	if k.onLoad != nil {
		return k.onLoad(name)
	}
	return nil
}

// fakeSysfs returns a sysfs root whose /sys/module/compression says comp
// ("" for a kernel that cannot decompress modules).
func fakeSysfs(t *testing.T, comp string) string {
	t.Helper()
	root := t.TempDir()
	mkdir(t, root, "module")
	if comp != "" {
		writeFile(t, root, "module/compression", comp+"\n")
	}
	return root
}

func mkdir(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, rel), 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, root, rel, s string) {
	t.Helper()
	mkdir(t, root, filepath.Dir(rel))
	if err := os.WriteFile(filepath.Join(root, rel), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const compressedDep = `kernel/plain.ko:
kernel/x.ko.xz: kernel/plain.ko
kernel/z.ko.zst: kernel/x.ko.xz
kernel/g.ko.gz: kernel/z.ko.zst kernel/x.ko.xz
`

func newTestLoader(t *testing.T, dir, comp string, k *fakeKernel) *Loader {
	t.Helper()
	l, err := NewLoader(dir, fakeSysfs(t, comp), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	l.kernel = k
	return l
}

func TestLoadCompressed(t *testing.T) {
	dir := writeModules(t, compressedDep)
	for _, tc := range []struct {
		comp     string // what /sys/module/compression says
		finitErr error
		want     []call
		wantErr  bool // z.ko.zst: zstd is decompressed by the kernel or not at all
	}{
		{comp: "", want: []call{{"plain", "finit"}, {"x", "init"}}, wantErr: true},
		{comp: "xz", want: []call{{"plain", "finit"}, {"x", "finit compressed"}}, wantErr: true},
		{comp: "zstd", want: []call{{"plain", "finit"}, {"x", "init"}, {"z", "finit compressed"}, {"g", "init"}}},
		{comp: "gzip", want: []call{{"plain", "finit"}, {"x", "init"}}, wantErr: true},
		// A kernel without finit_module.
		{comp: "", finitErr: unix.ENOSYS, want: []call{{"plain", "init"}, {"x", "init"}}, wantErr: true},
	} {
		k := &fakeKernel{t: t, finitErr: tc.finitErr}
		mods, err := newTestLoader(t, dir, tc.comp, k).Load("g")
		switch {
		case tc.wantErr && (!errors.Is(err, errNoDecompressor) || !strings.Contains(err.Error(), "CONFIG_MODULE_DECOMPRESS=y")):
			t.Errorf("compression %q: Load = %v, want the zstd module refused with the fix", tc.comp, err)
		case !tc.wantErr && err != nil:
			t.Errorf("compression %q: %v", tc.comp, err)
		}
		if !slices.Equal(k.calls, tc.want) {
			t.Errorf("compression %q: calls %v, want %v", tc.comp, k.calls, tc.want)
		}
		if len(mods) != len(tc.want) {
			t.Errorf("compression %q: loaded %v", tc.comp, mods)
		}
	}
}

// TestLoadInGo decompresses xz and gzip modules for a kernel that cannot.
func TestLoadInGo(t *testing.T) {
	dir := writeModules(t, "kernel/x.ko.xz:\nkernel/g.ko.gz: kernel/x.ko.xz\n")
	k := &fakeKernel{t: t}
	if _, err := newTestLoader(t, dir, "", k).Load("g"); err != nil {
		t.Fatal(err)
	}
	if want := []call{{"x", "init"}, {"g", "init"}}; !slices.Equal(k.calls, want) {
		t.Errorf("calls %v, want %v", k.calls, want)
	}
}

func TestLoadSkipsLoaded(t *testing.T) {
	dir := writeModules(t, compressedDep)
	k := &fakeKernel{t: t}
	l := newTestLoader(t, dir, "zstd", k)
	mkdir(t, l.Sysfs, "module/x")
	// EEXIST: loaded behind our back, which is fine.
	k.onLoad = func(name string) error {
		if name == "z" {
			return unix.EEXIST
		}
		return nil
	}
	if _, err := l.Load("g"); err != nil {
		t.Fatal(err)
	}
	// x is loaded, so what it needs (plain) must be too.
	if want := []call{{"z", "finit compressed"}, {"g", "init"}}; !slices.Equal(k.calls, want) {
		t.Errorf("calls %v, want %v", k.calls, want)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := writeModules(t, compressedDep)
	k := &fakeKernel{t: t, onLoad: func(name string) error {
		if name == "z" {
			return unix.ENOEXEC
		}
		return nil
	}}
	_, err := newTestLoader(t, dir, "zstd", k).Load("g")
	if !errors.Is(err, unix.ENOEXEC) || !strings.Contains(err.Error(), "load z (kernel/z.ko.zst): ") {
		t.Errorf("Load = %v, want ENOEXEC with context", err)
	}

	// A corrupt xz file must fail in Go, not reach the kernel.
	writeFile(t, dir, "kernel/x.ko.xz", "not xz")
	k = &fakeKernel{t: t}
	_, err = newTestLoader(t, dir, "", k).Load("x")
	if err == nil || !strings.Contains(err.Error(), "load x (kernel/x.ko.xz): ") {
		t.Errorf("Load of corrupt xz = %v", err)
	}
	if want := []call{{"plain", "finit"}}; !slices.Equal(k.calls, want) {
		t.Errorf("calls %v, want %v", k.calls, want)
	}
}

// TestDecompressDistro decompresses a real Debian module in Go.
func TestDecompressDistro(t *testing.T) {
	readDistro(t)
	f, err := os.Open(filepath.Join(distroModules, "kernel/drivers/nvdimm/ramdax.ko.xz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := decompress(f, "xz")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(img, []byte("\x7fELF")) {
		t.Errorf("ramdax.ko.xz decompressed to %q...", img[:16])
	}
}
