package vmtest

import (
	"testing"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/scriptvm"
)

// Start boots the machine and returns the running VM, whose console the
// test drives with Expect. The test must call Wait on it.
func Start(t testing.TB, name string, opts ...Option) *qemu.VM {
	t.Helper()
	requireQEMU(t)
	m := newMachine(t, opts)
	return qemu.StartT(t, name, qemu.ArchAMD64, m.qemuFns(t, true)...)
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
