package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// DefaultTimeout bounds one QEMU run under TCG on a 2-core machine: a boot
// takes seconds, so this only ends guests that hang.
const DefaultTimeout = 3 * time.Minute

// Timeout scales d by RAMDAX_TIMEOUT_SCALE (a float, default 1), the one
// knob for slower machines.
func Timeout(d time.Duration) time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("RAMDAX_TIMEOUT_SCALE"), 64); err == nil && s > 0 {
		return time.Duration(float64(d) * s)
	}
	return d
}

// RepoRoot is the directory holding go.mod, found from the working
// directory: the caller's own module.
func RepoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if d == filepath.Dir(d) {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// BuiltinKernel is the kernel with RAMDAX built in: $VMTEST_KERNEL (the
// hugelgupf/vmtest convention), $RAMDAX_KERNEL, build/kernel/bzImage in
// this module's source when `make kernel` made it there, or else the one
// BuildKernel builds.
func BuiltinKernel(t testing.TB) string {
	for _, env := range []string{"VMTEST_KERNEL", "RAMDAX_KERNEL"} {
		if path := os.Getenv(env); path != "" {
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("$%s: %v", env, err)
			}
			return path
		}
	}
	made := filepath.Join(ModuleDir(t), "build", "kernel", "bzImage")
	if _, err := os.Stat(made); err == nil {
		return made
	}
	return BuildKernel(t)
}

// DistroKernel is Debian's cloud kernel and its modules directory:
// $RAMDAX_DISTRO_DIR, or build/distro in this module's source, which
// `make distro-kernel` there unpacks.
func DistroKernel(t testing.TB) (vmlinuz, modules string) {
	dir := artifact(t, "RAMDAX_DISTRO_DIR", "build/distro", "make distro-kernel")
	return artifact(t, "", filepath.Join(dir, "vmlinuz"), "make distro-kernel"),
		artifact(t, "", filepath.Join(dir, "modules", "modules.dep"), "make distro-kernel")
}

// GenericDistroKernel returns Debian's generic kernel ($RAMDAX_DISTRO_GENERIC_DIR,
// or build/distro-generic in this module's source), which has server hardware as modules, and
// its modules directory.
func GenericDistroKernel(t testing.TB) (vmlinuz, modulesDir string) {
	const makeCmd = "make distro-kernel"
	dir := artifact(t, "RAMDAX_DISTRO_GENERIC_DIR", "build/distro-generic", makeCmd)
	return artifact(t, "", filepath.Join(dir, "vmlinuz"), makeCmd), filepath.Join(dir, "modules")
}

// artifact returns $env or rel in this module's source, failing the test with the command that
// makes it when it does not exist.
func artifact(t testing.TB, env, rel, makeCmd string) string {
	path := os.Getenv(env)
	if env == "" || path == "" {
		path = rel
		if !filepath.IsAbs(path) {
			path = filepath.Join(ModuleDir(t), rel)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v: run `%s` first", err, makeCmd)
	}
	return path
}

var qemuOnce sync.Once

// requireQEMU fails the test when QEMU is missing, and sets VMTEST_QEMU,
// without which hugelgupf/vmtest's runners skip: a skipped VM suite here
// would be a test that proves nothing. Machine options set the real command.
func requireQEMU(t testing.TB) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Fatalf("qemu-system-x86_64 not found: run `make deps`")
	}
	qemuOnce.Do(func() {
		if os.Getenv("VMTEST_QEMU") == "" {
			os.Setenv("VMTEST_QEMU", "qemu-system-x86_64")
		}
	})
}

// OSDisk returns the disk image of a small Debian system, with systemd and
// Debian's 7.x cloud kernel ($RAMDAX_OS_DIR/disk.img, or build/os/disk.img
// in this module's source), and its manifest: the OS the appliance hands
// over to. Never write to it: copy it.
func OSDisk(t testing.TB) (img, manifest string) {
	const makeCmd = "make os-image"
	dir := artifact(t, "RAMDAX_OS_DIR", "build/os", makeCmd)
	return artifact(t, "", filepath.Join(dir, "disk.img"), makeCmd), artifact(t, "", filepath.Join(dir, "manifest"), makeCmd)
}
