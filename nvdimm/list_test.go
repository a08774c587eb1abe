package nvdimm

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
)

func TestListParsesRamdaxTree(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	s := New(tr.Root)
	l, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := []Bus{{Dev: "ndbus0", Provider: "ramdax"}}; !reflect.DeepEqual(l.Buses, want) {
		t.Errorf("buses = %+v, want %+v", l.Buses, want)
	}
	wantDIMM := DIMM{Dev: "nmem0", State: StateEnabled, AvailableSlots: 505, Flags: []string{"label"}}
	if len(l.DIMMs) != 1 || !reflect.DeepEqual(l.DIMMs[0], wantDIMM) {
		t.Errorf("dimms = %+v, want [%+v]", l.DIMMs, wantDIMM)
	}
	wantRegion := Region{
		Dev: "region0", Size: 553648128, Align: 16 << 20, AvailableSize: 112 << 20,
		MaxAvailableExtent: 112 << 20, Type: "pmem", IsetID: int64(-3819405496851448081), Resource: 1 << 30,
		Mappings:          []Mapping{{DIMM: "nmem0", Offset: 0, Length: 553517056, Position: 0}},
		PersistenceDomain: "unknown", State: StateEnabled, NumaNode: NoNode, TargetNode: NoNode,
		NamespaceSeed: "namespace0.4", PfnSeed: "pfn0.1", DaxSeed: "dax0.1", BttSeed: "btt0.1",
	}
	if len(l.Regions) != 1 || !reflect.DeepEqual(l.Regions[0], wantRegion) {
		t.Errorf("regions = %+v\nwant %+v", l.Regions, wantRegion)
	}
	wantNS := []Namespace{
		{Dev: "namespace0.0", Mode: ModeFsdax, Map: MapDev, Size: 130023424,
			UUID: "00000000-0000-4000-8000-0000000000f0", RawUUID: "00000000-0000-4000-8000-000000000000",
			SectorSize: 512, Align: 2 << 20, BlockDev: "pmem0", Name: "fs", State: StateEnabled,
			Region: "region0", RawSize: 128 << 20, Resource: 1 << 30, Holder: "pfn0.0"},
		{Dev: "namespace0.1", Mode: ModeDevdax, Map: MapMem, Size: 266338304,
			UUID: "00000000-0000-4000-8000-0000000000d0", RawUUID: "00000000-0000-4000-8000-000000000001",
			Align: 2 << 20, CharDev: "dax0.1", Name: "dd", State: StateEnabled, DaxMode: DaxModeSystemRAM,
			Region: "region0", RawSize: 256 << 20, Resource: 1<<30 + 128<<20, Holder: "dax0.0"},
		{Dev: "namespace0.2", Mode: ModeRaw, Size: 16 << 20, UUID: "00000000-0000-4000-8000-000000000002",
			SectorSize: 4096, BlockDev: "pmem0.2", State: StateEnabled, Region: "region0", RawSize: 16 << 20, Resource: 1<<30 + 384<<20},
		{Dev: "namespace0.3", Mode: ModeSector, Size: 15728640,
			UUID: "00000000-0000-4000-8000-0000000000b0", RawUUID: "00000000-0000-4000-8000-000000000003",
			SectorSize: 4096, BlockDev: "pmem0.3s", Name: "sec", State: StateEnabled,
			Region: "region0", RawSize: 16 << 20, Resource: 1<<30 + 400<<20, Holder: "btt0.0"},
	}
	if len(l.Namespaces) != len(wantNS) {
		t.Fatalf("got %d namespaces, want %d (the idle seed left out)", len(l.Namespaces), len(wantNS))
	}
	for i := range wantNS {
		if !reflect.DeepEqual(l.Namespaces[i], wantNS[i]) {
			t.Errorf("namespace %d:\n got %+v\nwant %+v", i, l.Namespaces[i], wantNS[i])
		}
	}
}

func TestRegionNUMANodes(t *testing.T) {
	for _, tt := range []struct {
		name               string
		numaNode, target   int // -2: leave the tree without NUMA attributes
		wantNuma, wantTarg int
	}{
		{"kernel without CONFIG_NUMA", -2, -2, NoNode, NoNode},
		{"socket 1", 1, 1, 1, 1},
		{"node 0, target hidden", 0, -1, 0, NoNode},
		{"NUMA_NO_NODE", -1, -1, NoNode, NoNode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := nvdimmtest.Ramdax(t)
			if tt.numaNode != -2 {
				tr.NUMA("region0", tt.numaNode, tt.target)
			}
			r, err := New(tr.Root).Region("region0")
			if err != nil {
				t.Fatal(err)
			}
			if r.NumaNode != tt.wantNuma || r.TargetNode != tt.wantTarg {
				t.Errorf("numa_node %d, target_node %d; want %d, %d", r.NumaNode, r.TargetNode, tt.wantNuma, tt.wantTarg)
			}
		})
	}
}

// An unknown node is left out of the JSON, as ndctl leaves it out, and
// reads back as unknown.
func TestRegionJSONNodes(t *testing.T) {
	for _, r := range []Region{
		{Dev: "region0", NumaNode: 1, TargetNode: 1},
		{Dev: "region1", NumaNode: 0, TargetNode: NoNode},
		{Dev: "region2", NumaNode: NoNode, TargetNode: NoNode},
	} {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var shown map[string]any
		if err := json.Unmarshal(data, &shown); err != nil {
			t.Fatal(err)
		}
		for key, n := range map[string]int{"numa_node": r.NumaNode, "target_node": r.TargetNode} {
			v, has := shown[key]
			if has != (n != NoNode) || has && v != float64(n) {
				t.Errorf("%s: %s = %v (shown %v), want %d, left out when unknown", data, key, v, has, n)
			}
		}
		var back Region
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back.NumaNode != r.NumaNode || back.TargetNode != r.TargetNode || back.Dev != r.Dev {
			t.Errorf("%s read back as %+v", data, back)
		}
	}
}

func TestDisabledClaimKeepsModeFromHolderClass(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	tr.ND("namespace0.0", "holder", "")
	tr.Unbind("bus/nd/devices/pfn0.0")
	ns, err := New(tr.Root).Namespace("namespace0.0")
	if err != nil {
		t.Fatal(err)
	}
	if ns.Mode != ModeFsdax || ns.State != StateDisabled || ns.BlockDev != "" {
		t.Errorf("got mode %s, state %s, blockdev %q; want fsdax, disabled, none", ns.Mode, ns.State, ns.BlockDev)
	}
}

func TestEmptySysfsListsNothing(t *testing.T) {
	l, err := New(t.TempDir()).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Buses)+len(l.DIMMs)+len(l.Regions)+len(l.Namespaces) != 0 {
		t.Errorf("got %+v, want an empty listing", l)
	}
}

func TestMalformedMappingIsAnError(t *testing.T) {
	tr := nvdimmtest.Ramdax(t)
	tr.ND("region0", "mapping0", "nmem0,zero,1,0")
	if _, err := New(tr.Root).Region("region0"); err == nil {
		t.Error("Region parsed a malformed mapping0 without error")
	}
}

func TestSelectedSize(t *testing.T) {
	for _, tt := range []struct {
		attr string
		def  uint64
		want uint64
	}{
		{"512 [4096] ", 0, 4096},
		{"[512] 4096 ", 0, 512},
		{"512 4096 ", 512, 512},
		{"", 0, 0},
	} {
		if got := selectedSize(tt.attr, tt.def); got != tt.want {
			t.Errorf("selectedSize(%q, %d) = %d, want %d", tt.attr, tt.def, got, tt.want)
		}
	}
}

func TestSortDeviceNamesIsNumeric(t *testing.T) {
	names := []string{"namespace1.0", "namespace0.10", "namespace0.9", "namespace10.0", "namespace0.0"}
	sortDeviceNames(names)
	want := []string{"namespace0.0", "namespace0.9", "namespace0.10", "namespace1.0", "namespace10.0"}
	if !slices.Equal(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
}

func TestRegionOf(t *testing.T) {
	for dev, want := range map[string]string{"namespace0.1": "region0", "pfn12.3": "region12", "dax1.0": "region1"} {
		if got := regionOf(dev); got != want {
			t.Errorf("regionOf(%q) = %q, want %q", dev, got, want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 4096: "4 KiB", 112 << 20: "112 MiB", 3 << 29: "1.5 GiB", 32444416: "30.94 MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestDeviceNames checks the names the kernel gives a namespace's disk
// and dax device, which a read looks up before listing.
func TestDeviceNames(t *testing.T) {
	for _, tc := range []struct{ ns, suffix, disk, dax string }{
		{"namespace0.0", "", "pmem0", "dax0.0"},
		{"namespace0.12", "", "pmem0.12", "dax0.12"},
		{"namespace1.3", "s", "pmem1.3s", "dax1.3"},
		{"pfn0.1", "", "", ""},
		{"namespace0", "", "", ""},
	} {
		if got := diskName(tc.ns, tc.suffix); got != tc.disk {
			t.Errorf("diskName(%q, %q) = %q, want %q", tc.ns, tc.suffix, got, tc.disk)
		}
		if got := daxName(tc.ns); got != tc.dax {
			t.Errorf("daxName(%q) = %q, want %q", tc.ns, got, tc.dax)
		}
	}
}
