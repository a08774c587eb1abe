package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
)

func TestListJSONUsesNdctlNames(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	var out bytes.Buffer
	if err := run(&out, []string{"ramdaxctl", "--sysfs", tr.Root, "list", "--json"}); err != nil {
		t.Fatal(err)
	}
	var l struct {
		DIMMs      []map[string]any `json:"dimms"`
		Regions    []map[string]any `json:"regions"`
		Namespaces []map[string]any `json:"namespaces"`
	}
	if err := json.Unmarshal(out.Bytes(), &l); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if len(l.DIMMs) != 1 || len(l.Regions) != 1 || len(l.Namespaces) != 4 {
		t.Fatalf("got %d dimms, %d regions, %d namespaces; want 1, 1, 4", len(l.DIMMs), len(l.Regions), len(l.Namespaces))
	}
	for _, key := range []string{"dev", "size", "align", "available_size", "max_available_extent", "type", "iset_id", "mappings", "persistence_domain"} {
		if _, ok := l.Regions[0][key]; !ok {
			t.Errorf("region lacks %q", key)
		}
	}
	fsdax := l.Namespaces[0]
	for key, want := range map[string]any{"dev": "namespace0.0", "mode": "fsdax", "map": "dev",
		"size": float64(130023424), "blockdev": "pmem0", "name": "fs", "align": float64(2097152)} {
		if fsdax[key] != want {
			t.Errorf("namespace0.0 %s = %v, want %v", key, fsdax[key], want)
		}
	}
	if _, ok := fsdax["raw_uuid"]; !ok {
		t.Error("fsdax namespace lacks raw_uuid")
	}
}

// A region's nodes appear where the kernel shows them, as in ndctl list -v,
// and are left out where it does not (no CONFIG_NUMA, NUMA_NO_NODE).
func TestListJSONNodes(t *testing.T) {
	for _, tt := range []struct {
		name             string
		numaNode, target int // numaNode -2: no NUMA attributes
		want             map[string]any
	}{
		{"no CONFIG_NUMA", -2, -2, map[string]any{}},
		{"socket 1", 1, 1, map[string]any{"numa_node": float64(1), "target_node": float64(1)}},
		{"no target node", 0, -1, map[string]any{"numa_node": float64(0)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := nvdimmtest.Ramdax(t)
			if tt.numaNode != -2 {
				tr.NUMA("region0", tt.numaNode, tt.target)
			}
			region := listRegion(t, tr)
			for _, key := range []string{"numa_node", "target_node"} {
				got, has := region[key]
				want, wantHas := tt.want[key]
				if has != wantHas || got != want {
					t.Errorf("%s = %v (present %v), want %v (present %v)", key, got, has, want, wantHas)
				}
			}
		})
	}
}

// listRegion runs list --json over tr and returns its one region.
func listRegion(t *testing.T, tr *nvdimmtest.Tree) map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := run(&out, []string{"ramdaxctl", "--sysfs", tr.Root, "list", "--json"}); err != nil {
		t.Fatal(err)
	}
	var l struct {
		Regions []map[string]any `json:"regions"`
	}
	if err := json.Unmarshal(out.Bytes(), &l); err != nil || len(l.Regions) != 1 {
		t.Fatalf("%v, %d regions in %s", err, len(l.Regions), out.String())
	}
	return l.Regions[0]
}

func TestListTable(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	tr.NUMA("region0", 1, 1)
	var out bytes.Buffer
	if err := run(&out, []string{"ramdaxctl", "--sysfs", tr.Root, "list"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"region0  528 MiB  112 MiB", "nmem0  1          enabled", "/dev/pmem0.3s", "devdax(system-ram)", "ndbus0  ramdax"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCreateNamespaceFlags(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	var out bytes.Buffer
	err := run(&out, []string{"ramdaxctl", "--sysfs", tr.Root, "create-namespace", "-r", "region0", "-m", "fsdax", "-s", "8M"})
	if err == nil || !strings.Contains(err.Error(), "at least 16 MiB") {
		t.Errorf("err = %v, want the 16 MiB minimum", err)
	}
	err = run(&out, []string{"ramdaxctl", "--sysfs", tr.Root, "create-namespace", "--size", "lots"})
	if err == nil || !strings.Contains(err.Error(), "size") {
		t.Errorf("err = %v, want a size parse error", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"ramdaxctl"},
		{"ramdaxctl", "frobnicate"},
		{"ramdaxctl", "destroy-namespace"},
		{"ramdaxctl", "reconfigure", "dax0.1"},
		{"ramdaxctl", "list", "--bogus"},
	} {
		if err := run(&bytes.Buffer{}, args); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestDestroyFlagsAfterArgument(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	// Without --force an enabled namespace is refused; with it placed after
	// the name, the refusal must be a different one (here: system RAM).
	err := run(&bytes.Buffer{}, []string{"ramdaxctl", "--sysfs", tr.Root, "destroy-namespace", "dd", "--force"})
	if err == nil || !strings.Contains(err.Error(), "reconfigure it to devdax") {
		t.Errorf("err = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"4096": 4096, "0x1000": 4096, "4k": 4096, "512M": 512 << 20, "2G": 2 << 30,
		"16MiB": 16 << 20, "1GB": 1 << 30, "1T": 1 << 40, "0xB": 11,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1", "12Q", "99999999999T"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) succeeded", in)
		}
	}
}

func TestModeDisplay(t *testing.T) {
	ns := nvdimm.Namespace{Mode: nvdimm.ModeDevdax, DaxMode: nvdimm.DaxModeDevdax}
	if got := nsMode(ns); got != "devdax" {
		t.Errorf("nsMode = %q", got)
	}
}

func TestListShowsWhatCanBeRead(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	if err := os.Remove(filepath.Join(tr.Root, "bus/nd/devices/namespace0.2/alt_name")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(&out, []string{"ramdaxctl", "--sysfs", tr.Root, "list"})
	if err == nil || !strings.Contains(err.Error(), "read namespace namespace0.2") {
		t.Errorf("error %v, want one naming namespace0.2", err)
	}
	for _, want := range []string{"namespace0.0", "namespace0.3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the listing lacks %s:\n%s", want, out.String())
		}
	}
}
