package layout

import (
	"reflect"
	"testing"
)

func TestPlan(t *testing.T) {
	web := Namespace{Name: "web", Mode: FSDAX, Size: 256 * MiB}
	logs := Namespace{Name: "logs", Mode: FSDAX, Rest: true}
	cache := Namespace{Name: "cache", Mode: DevDAX, Rest: true, Region: 1, Align: GiB}
	db := Namespace{Name: "db", Mode: FSDAX, Size: 512 * MiB}
	for _, tt := range []struct {
		name       string
		namespaces []Namespace
		available  map[int]uint64
		wantSizes  map[string]uint64
		wantErr    string
	}{
		{
			name:       "rest takes what is left, even when declared first",
			namespaces: []Namespace{logs, web},
			available:  map[int]uint64{0: 496 * MiB},
			wantSizes:  map[string]uint64{"logs": 240 * MiB, "web": 256 * MiB},
		},
		{
			name:       "rest rounds down to 16M and to its align",
			namespaces: []Namespace{logs, cache},
			available:  map[int]uint64{0: 100*MiB + 5, 1: 3*GiB - 16*MiB},
			wantSizes:  map[string]uint64{"logs": 96 * MiB, "cache": 2 * GiB},
		},
		{
			name:       "missing region",
			namespaces: []Namespace{web, cache},
			available:  map[int]uint64{0: GiB},
			wantSizes:  map[string]uint64{"web": 256 * MiB},
			wantErr:    `ramdax.ns="cache:devdax:rest:region=1:align=1G": region1 does not exist (1 region: region0); use region=0, or add a memmap=SIZE!START`,
		},
		{
			name:       "no regions at all",
			namespaces: []Namespace{web},
			available:  nil,
			wantSizes:  map[string]uint64{},
			wantErr:    `ramdax.ns="web:fsdax:256M": region0 does not exist (no regions); add memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`,
		},
		{
			name:       "many regions are shortened",
			namespaces: []Namespace{{Name: "far", Mode: Raw, Size: GiB, Region: 9}},
			available:  map[int]uint64{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1},
			wantSizes:  map[string]uint64{},
			wantErr:    `ramdax.ns="far:raw:1G:region=9": region9 does not exist (8 regions: region0, region1, region2, …, region7); use region=0, region=1, region=2, … or region=7, or add a memmap=SIZE!START`,
		},
		{
			name:       "does not fit",
			namespaces: []Namespace{web, db, logs},
			available:  map[int]uint64{0: 496 * MiB},
			wantSizes:  map[string]uint64{"web": 256 * MiB, "logs": 240 * MiB},
			wantErr:    `ramdax.ns="db:fsdax:512M": needs 512M but region0 has 240M left of 496M (web 256M); shrink it to 240M or grow region0's memmap=`,
		},
		{
			name:       "nothing left for rest",
			namespaces: []Namespace{web, logs},
			available:  map[int]uint64{0: 256*MiB + 15*MiB},
			wantSizes:  map[string]uint64{"web": 256 * MiB},
			wantErr:    `ramdax.ns="logs:fsdax:rest": SIZE rest gets nothing: region0 has 15M left of 271M (web 256M); shrink the others or grow region0's memmap=`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			planned, err := plan(tt.namespaces, tt.available)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error\n got %s\nwant %s", gotErr, tt.wantErr)
			}
			sizes := map[string]uint64{}
			for _, ns := range planned {
				sizes[ns.Name] = ns.Size
			}
			if !reflect.DeepEqual(sizes, tt.wantSizes) {
				t.Errorf("sizes = %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

// Plan keeps the order of the line and leaves its input alone.
func TestPlanKeepsOrderAndInput(t *testing.T) {
	in := []Namespace{{Name: "a", Mode: Raw, Rest: true}, {Name: "b", Mode: Raw, Size: 16 * MiB}}
	planned, err := plan(in, map[int]uint64{0: 64 * MiB})
	if err != nil {
		t.Fatal(err)
	}
	if planned[0].Name != "a" || planned[0].Size != 48*MiB || !planned[0].Rest || in[0].Size != 0 {
		t.Errorf("Plan = %+v (input now %+v), want a of 48M first and the input untouched", planned, in)
	}
}
