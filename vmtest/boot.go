package vmtest

import (
	"testing"

	"github.com/hugelgupf/vmtest/qemu"
)

// Start boots the machine and returns the running VM, whose console the
// test drives with Expect. The test must call Wait on it.
func Start(t testing.TB, name string, opts ...Option) *qemu.VM {
	t.Helper()
	requireQEMU(t)
	return start(t, newMachine(t, append([]Option{WithName(name)}, opts...)))
}

// start boots m; requireQEMU must have run before m was made, for its
// KVM trial.
func start(t testing.TB, m *Machine) *qemu.VM {
	t.Helper()
	return qemu.StartT(t, m.Name, qemu.ArchAMD64, m.qemuFns(t)...)
}
