package status

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "status.json")
	for _, n := range []int{3, 1} {
		st := &Status{Ready: true}
		for range n {
			st.Add(Entry{Name: "ns", Mode: "raw", Size: 16 << 20}, Created, "")
		}
		if err := Write(path, st); err != nil {
			t.Fatal(err)
		}
		got, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Namespaces) != n {
			t.Errorf("read back %d namespaces, want %d", len(got.Namespaces), n)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want status.json alone (no temporary left)", len(entries))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("status.json mode %v (%v), want 0644", fi.Mode(), err)
	}
}
