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
	m := newMachine(t, opts)
	return qemu.StartT(t, name, qemu.ArchAMD64, m.qemuFns(t)...)
}
