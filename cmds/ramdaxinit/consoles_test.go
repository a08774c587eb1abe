package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestConsoleDevices(t *testing.T) {
	for _, tc := range []struct {
		active string
		want   []string
	}{
		{"ttyS0\n", []string{"/dev/ttyS0"}},
		{"tty0 ttyS1\n", []string{"/dev/tty1", "/dev/ttyS1"}},
		{"ttyS1 tty0 ttyS0\n", []string{"/dev/ttyS1", "/dev/tty1", "/dev/ttyS0"}},
		{"\n", nil},
	} {
		path := filepath.Join(t.TempDir(), "active")
		if err := os.WriteFile(path, []byte(tc.active), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := consoleDevices(path); !slices.Equal(got, tc.want) {
			t.Errorf("consoleDevices(%q) = %q, want %q", tc.active, got, tc.want)
		}
	}
	if got := consoleDevices(filepath.Join(t.TempDir(), "missing")); got != nil {
		t.Errorf("no active file: got %q, want none", got)
	}
}
