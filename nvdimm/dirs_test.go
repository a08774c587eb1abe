package nvdimm

import (
	"os"
	"path/filepath"
	"testing"
)

// A device removed and added again under the same name, as the kernel
// does with namespaces and seeds, is read and written afresh, not through
// the descriptor of the directory that went away.
func TestDirCacheFollowsAReplacedDirectory(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "bus", "nd", "devices", "namespace0.1")
	put := func(attr, value string) {
		t.Helper()
		if err := os.MkdirAll(dev, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dev, attr), []byte(value+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := New(root)
	put("size", "0")
	if v, err := s.readAttr("namespace0.1", "size"); err != nil || v != "0" {
		t.Fatalf("readAttr = %q, %v; want 0", v, err)
	}
	if err := os.RemoveAll(dev); err != nil {
		t.Fatal(err)
	}
	put("size", "16777216")
	if v, err := s.readAttr("namespace0.1", "size"); err != nil || v != "16777216" {
		t.Errorf("after the directory was replaced: readAttr = %q, %v; want 16777216", v, err)
	}
	if err := s.writeAttr("namespace0.1", "alt_name", "db"); err == nil {
		t.Errorf("a write to an attribute that does not exist succeeded")
	}
	put("alt_name", "")
	if err := s.writeAttr("namespace0.1", "alt_name", "db"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dev, "alt_name")); string(b) != "db\n" {
		t.Errorf("alt_name = %q, want %q", b, "db\n")
	}
	s.ReleaseDirs()
	if v, err := s.readAttr("namespace0.1", "size"); err != nil || v != "16777216" {
		t.Errorf("after ReleaseDirs: readAttr = %q, %v", v, err)
	}
}
