package kmod

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// kernel is the seam between the loader and the module syscalls, so that
// tests can record what would be loaded.
type kernel interface {
	finitModule(f *os.File, flags int) error
	initModule(image []byte) error
}

type sysKernel struct{}

func (sysKernel) finitModule(f *os.File, flags int) error {
	return unix.FinitModule(int(f.Fd()), "", flags)
}

func (sysKernel) initModule(image []byte) error {
	return unix.InitModule(image, "")
}

// Loader loads modules and what they need from a modules directory.
//
// u-root's kmodule.Prober does the same job but does not fit here: it loads
// dependencies concurrently (no per-module log or timing, nondeterministic
// order), expects the directory under /lib/modules, and its FileInit always
// reads the file into memory, so finit_module and the kernel's own
// decompression are never used.
type Loader struct {
	Deps *Deps
	// Sysfs is where sysfs is mounted, "/sys" on a real system.
	Sysfs string
	// Logf, if set, receives one line per module loaded.
	Logf func(format string, args ...any)

	kernel kernel
}

// NewLoader returns a Loader for the modules directory dir that loads into
// the running kernel.
func NewLoader(dir, sysfs string, logf func(string, ...any)) (*Loader, error) {
	d, err := ReadDeps(dir)
	if err != nil {
		return nil, err
	}
	return &Loader{Deps: d, Sysfs: sysfs, Logf: logf, kernel: sysKernel{}}, nil
}

// Load loads names and their dependencies, each after what it needs. It
// skips modules that are built in or already loaded, and returns the
// modules it loaded.
func (l *Loader) Load(names ...string) ([]Module, error) {
	mods, err := l.Deps.order(l.Loaded, names...)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if l.Loaded(n) || l.Deps.Builtin(n) {
			l.logf("kmod: %s already in the kernel", n)
		}
	}
	decomp := l.kernelCompression()
	var done []Module
	for _, m := range mods {
		if err := l.loadOne(m, decomp); err != nil {
			return done, err
		}
		done = append(done, m)
	}
	return done, nil
}

// Loaded reports whether the kernel has the module: /sys/module/NAME exists
// for loaded modules and for built-in ones with parameters or drivers.
func (l *Loader) Loaded(name string) bool {
	_, err := os.Stat(filepath.Join(l.Sysfs, "module", ModName(name)))
	return err == nil
}

// kernelCompression returns the format the kernel decompresses modules in
// itself ("xz", "zstd" or "gzip"), or "" if it does not
// (CONFIG_MODULE_DECOMPRESS unset).
func (l *Loader) kernelCompression() string {
	b, err := os.ReadFile(filepath.Join(l.Sysfs, "module", "compression"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (l *Loader) loadOne(m Module, decomp string) error {
	start := time.Now()
	how, err := l.insert(filepath.Join(l.Deps.Dir, m.Path), decomp)
	if err != nil {
		return fmt.Errorf("load %s (%s): %w", m.Name, m.Path, err)
	}
	l.logf("kmod: loaded %s (%s, %s) in %v", m.Name, m.Path, how, time.Since(start).Round(time.Millisecond))
	return nil
}

func (l *Loader) logf(format string, args ...any) {
	if l.Logf != nil {
		l.Logf(format, args...)
	}
}

// compressionOf names a module file's compression the way
// /sys/module/compression does, "" for a plain .ko.
func compressionOf(file string) string {
	switch filepath.Ext(file) {
	case ".xz":
		return "xz"
	case ".zst":
		return "zstd"
	case ".gz":
		return "gzip"
	}
	return ""
}

// insert loads one module file and says how. finit_module lets the kernel
// read (and, if it can, decompress) the file itself, which saves a copy;
// otherwise the module is decompressed here and passed to init_module.
// EEXIST means it is already there (loaded by a dependency race or built
// in), which is what we want.
func (l *Loader) insert(file, decomp string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	how, err := l.insertFile(f, compressionOf(file), decomp)
	if errors.Is(err, unix.EEXIST) {
		return "already loaded", nil
	}
	return how, err
}

func (l *Loader) insertFile(f *os.File, comp, decomp string) (string, error) {
	switch {
	case comp == "":
		err := l.kernel.finitModule(f, 0)
		if !errors.Is(err, unix.ENOSYS) {
			return "finit_module", err
		}
	case comp == decomp:
		return "finit_module, " + comp + " in kernel", l.kernel.finitModule(f, unix.MODULE_INIT_COMPRESSED_FILE)
	}
	img, err := decompress(f, comp)
	if err != nil {
		return "", err
	}
	how := "init_module"
	if comp != "" {
		how += ", " + comp + " in Go"
	}
	return how, l.kernel.initModule(img)
}

// decompress reads a module file and decompresses it by its extension,
// for a kernel that cannot do it itself. Only xz and gzip are read here:
// linking a Go zstd decoder cost every boot 10 ms of package
// initialisation under emulation, and kernels that ship zstd modules
// decompress them themselves (CONFIG_MODULE_DECOMPRESS).
func decompress(f *os.File, comp string) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var r io.Reader = f
	switch comp {
	case "xz":
		xr, err := xz.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("decompress xz: %w", err)
		}
		r = xr
	case "gzip":
		gr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("decompress gzip: %w", err)
		}
		defer gr.Close()
		r = gr
	case "":
	default:
		return nil, fmt.Errorf("%w: this kernel does not decompress %s modules itself; boot one built with CONFIG_MODULE_DECOMPRESS=y, or decompress the modules (%s -d) before building the image", errNoDecompressor, comp, comp)
	}
	img, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", comp, err)
	}
	return img, nil
}

// errNoDecompressor is a module compressed in a format neither the kernel
// nor the loader reads.
var errNoDecompressor = errors.New("no decompressor")
