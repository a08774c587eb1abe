package main

import (
	"reflect"
	"testing"

	"github.com/ramdax/appliance/status"
	"github.com/u-root/u-root/pkg/libinit"
)

func TestSetupProblems(t *testing.T) {
	ok := &status.Status{Namespaces: []status.Entry{{Name: "db", State: status.Kept}, {Name: "x", State: status.Unmanaged}}}
	if p := setupProblems(ok); p != "" {
		t.Errorf("kept and unmanaged: %q, want none: apply exits 0", p)
	}
	bad := &status.Status{Errors: []string{"read regions"}, CmdlineErrors: 1,
		Namespaces: []status.Entry{{Name: "db", State: status.Conflict}, {Name: "c", State: status.Failed}}}
	if p, want := setupProblems(bad), "1 errors, 1 layout errors, 1 conflict, 1 failed"; p != want {
		t.Errorf("setupProblems = %q, want %q", p, want)
	}
}

func TestPresentMounts(t *testing.T) {
	absent := libinit.Mount{Source: "nofs", Target: "/sys/ramdax-test-absent", FSType: "nofs"}
	proc := libinit.Mount{Source: "proc", Target: "/proc", FSType: "proc"}
	sys := libinit.Mount{Source: "sysfs", Target: "/sys/kernel", FSType: "sysfs"}
	dir := libinit.Dir{Name: "/sys/ramdax-test-absent", Mode: 0o755}
	got := presentMounts([]libinit.Creator{absent, proc, sys, dir})
	want := []libinit.Creator{proc, sys, dir}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("presentMounts = %v, want %v: only a mount under /sys whose mount point is missing goes", got, want)
	}
}
