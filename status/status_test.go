package status

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ramdax/appliance/nvdimm"
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

func TestRegionNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status.json")
	st := &Status{Regions: Regions([]nvdimm.Region{
		{Dev: "region0", Size: 1 << 30, AvailableSize: 1 << 29, NumaNode: 0, TargetNode: 0},
		{Dev: "region1", Size: 1 << 30, NumaNode: 1, TargetNode: nvdimm.NoNode},
		{Dev: "region2", Size: 1 << 30, NumaNode: nvdimm.NoNode, TargetNode: nvdimm.NoNode},
	})}
	if err := Write(path, st); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct{ Regions []map[string]any }
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"dev": "region0", "size": float64(1 << 30), "available": float64(1 << 29), "numa_node": float64(0), "target_node": float64(0)},
		{"dev": "region1", "size": float64(1 << 30), "available": float64(0), "numa_node": float64(1)},
		{"dev": "region2", "size": float64(1 << 30), "available": float64(0)},
	}
	if !reflect.DeepEqual(raw.Regions, want) {
		t.Errorf("regions in status.json = %v, want %v (unknown nodes left out)", raw.Regions, want)
	}
}
