package main

import (
	"testing"

	"github.com/ramdax/appliance/status"
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
