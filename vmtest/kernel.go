package vmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

var (
	kernelOnce  sync.Once
	builtKernel string
	kernelErr   error
)

// BuildKernel builds the kernel with RAMDAX built in from this module's
// kernel-config, exactly as `make kernel` does, into the cache (CacheDir),
// and returns its bzImage. build.sh's progress goes to stderr. A cold build
// takes about 15 minutes on two cores; a cached one, a few seconds.
// Concurrent test binaries take turns on a lock in the cache.
func BuildKernel(t testing.TB) string {
	kernelOnce.Do(func() { builtKernel, kernelErr = buildKernel(t) })
	if kernelErr != nil {
		t.Fatalf("build the RAMDAX kernel: %v (set VMTEST_KERNEL to use a kernel you have)", kernelErr)
	}
	return builtKernel
}

func buildKernel(t testing.TB) (string, error) {
	cache := CacheDir(t)
	out := filepath.Join(cache, "vmtest", "kernel")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(cache, "vmtest", "kernel.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	scripts, err := executableCopy(filepath.Join(ModuleDir(t), "kernel-config"), filepath.Join(cache, "vmtest", "kernel-config"))
	if err != nil {
		return "", err
	}
	script := filepath.Join(scripts, "build.sh")
	t.Logf("kernel: %s %s (cached after the first build)", script, out)
	cmd := exec.Command(script, out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	return filepath.Join(out, "bzImage"), nil
}

// executableCopy copies the files of dir into to, executable: the module
// cache drops execute bits, and build.sh runs its helpers directly. Its
// cache key hashes the scripts' contents, not their place.
func executableCopy(dir, to string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o755); err != nil {
			return "", err
		}
	}
	return to, nil
}

// lockFile takes an exclusive lock on path, waiting for it, and returns
// its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
