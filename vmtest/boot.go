package vmtest

import (
	"os"
	"strings"
	"testing"

	"github.com/hugelgupf/vmtest/govmtest"
	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/scriptvm"
)

// GuestBuildTag guards the Go tests that only make sense inside a guest:
// without it `go test ./...` on the host compiles none of them, rather than
// counting skipped tests as passes.
const GuestBuildTag = "vmguest"

// Start boots the machine and returns the running VM, whose console the
// test drives with Expect. The test must call Wait on it.
func Start(t testing.TB, name string, opts ...Option) *qemu.VM {
	t.Helper()
	requireQEMU(t)
	m := newMachine(t, opts)
	return qemu.StartT(t, name, qemu.ArchAMD64, m.qemuFns(t, true)...)
}

// RunGuestTests compiles the Go test packages pkgs with the vmguest build
// tag, runs them inside the guest and reports each test's result as part of
// t. The guest's init mounts a 9p share, so the kernel needs virtio and 9p.
func RunGuestTests(t *testing.T, name string, pkgs []string, opts ...Option) {
	t.Helper()
	requireQEMU(t)
	// govmtest compiles with the process environment: GOFLAGS carries the tag.
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -tags="+GuestBuildTag))
	m := newMachine(t, opts)
	govmtest.Run(t, name,
		govmtest.WithPackageToTest(pkgs...),
		govmtest.WithUimage(m.Uimage...),
		govmtest.WithQEMUFn(m.qemuFns(t, false)...),
		govmtest.WithGoTestTimeout(m.Timeout),
	)
}

// RunScript runs script with u-root's gosh inside the guest; the test fails
// if any command fails (the script runs under set -e).
func RunScript(t testing.TB, name, script string, opts ...Option) {
	t.Helper()
	requireQEMU(t)
	m := newMachine(t, opts)
	scriptvm.Run(t, name, script,
		scriptvm.WithUimage(m.Uimage...),
		scriptvm.WithQEMUFn(m.qemuFns(t, false)...),
	)
}
