package reconcile

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
)

// regions are those of memmap=1040M!1G memmap=528M!3G.
var regions = []nvdimm.Region{
	{Dev: "region0", Resource: 1 << 30, Size: 1024 << 20, Align: 16 << 20, MaxAvailableExtent: 1024 << 20},
	{Dev: "region1", Resource: 3 << 30, Size: 512 << 20, Align: 16 << 20, MaxAvailableExtent: 512 << 20},
}

func parse(t *testing.T, cmdline string) *layout.Layout {
	t.Helper()
	l, err := layout.Parse(cmdline)
	if err != nil {
		t.Fatalf("Parse(%q): %v", cmdline, err)
	}
	return l
}

func fsdax(name string, size uint64) nvdimm.Namespace {
	return nvdimm.Namespace{Dev: "namespace0.0", Name: name, Mode: nvdimm.ModeFsdax, RawSize: size, Region: "region0", Resource: 1 << 30, Align: 2 << 20, Map: "dev", BlockDev: "pmem0"}
}

// unfinished is a namespace whose creation a power cut interrupted: the
// label is written, the info block is not, so there is no device.
func unfinished(ns nvdimm.Namespace) nvdimm.Namespace {
	ns.BlockDev = ""
	return ns
}

func TestPlan(t *testing.T) {
	const carve = "memmap=1040M!1G memmap=528M!3G "
	for _, tc := range []struct {
		name    string
		cmdline string
		have    []nvdimm.Namespace
		want    []Action
		why     string // substring of the first step's Why
	}{
		{"absent is created", "ramdax.ns=db:fsdax:512M", nil, []Action{Create}, ""},
		{"as asked is kept", "ramdax.ns=db:fsdax:512M", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Keep}, ""},
		{"rest keeps any size", "ramdax.ns=db:fsdax:rest", []nvdimm.Namespace{fsdax("db", 768<<20)}, []Action{Keep}, ""},
		{"other size conflicts", "ramdax.ns=db:fsdax:256M", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Conflict}, "size is 512M, asked 256M"},
		{"other mode conflicts", "ramdax.ns=db:devdax:512M", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Conflict}, "mode is fsdax, asked devdax"},
		{"other region conflicts", "ramdax.ns=db:fsdax:512M:region=1", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Conflict}, "region is region0, asked region1"},
		{"other align conflicts", "ramdax.ns=db:fsdax:1G:align=1G", []nvdimm.Namespace{fsdax("db", 1<<30)}, []Action{Conflict}, "align is 2M, asked 1G"},
		{"conflict names the reset", "ramdax.ns=db:fsdax:256M", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Conflict}, "ramdax.reset=db"},
		{"reset recreates a conflict", "ramdax.ns=db:fsdax:256M ramdax.reset=db", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Recreate}, "size is 512M"},
		{"reset recreates a match", "ramdax.ns=db:fsdax:512M ramdax.reset=all", []nvdimm.Namespace{fsdax("db", 512<<20)}, []Action{Recreate}, "ramdax.reset names it"},
		{"reset of an absent one creates", "ramdax.ns=db:fsdax:512M ramdax.reset=db", nil, []Action{Create}, ""},
		{"undeclared is unmanaged", "ramdax.ns=db:fsdax:512M", []nvdimm.Namespace{fsdax("old", 512<<20)}, []Action{Create, Unmanaged}, ""},
		{"reset all spares unmanaged", "ramdax.ns=db:fsdax:512M ramdax.reset=all", []nvdimm.Namespace{fsdax("old", 512<<20)}, []Action{Create, Unmanaged}, ""},
		{"duplicate names conflict even with reset", "ramdax.ns=db:fsdax:512M ramdax.reset=db", []nvdimm.Namespace{fsdax("db", 512<<20), fsdax("db", 512<<20)}, []Action{Conflict}, "2 namespaces carry this name"},
		{"unfinished is completed", "ramdax.ns=db:fsdax:512M", []nvdimm.Namespace{unfinished(fsdax("db", 512<<20))}, []Action{Complete}, "cut short"},
		{"unfinished of other size conflicts", "ramdax.ns=db:fsdax:256M", []nvdimm.Namespace{unfinished(fsdax("db", 512<<20))}, []Action{Conflict}, "size is 512M"},
		{"system-ram matches devdax", "ramdax.ns=mem:system-ram:512M", []nvdimm.Namespace{{Name: "mem", Mode: nvdimm.ModeDevdax, RawSize: 512 << 20, Region: "region0", Resource: 1 << 30, CharDev: "dax0.0"}}, []Action{Keep}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := Plan(Input{Layout: parse(t, carve+tc.cmdline), Have: tc.have, Regions: regions})
			var got []Action
			for _, s := range steps {
				got = append(got, s.Action)
			}
			if strings.Join(actions(got), " ") != strings.Join(actions(tc.want), " ") {
				t.Fatalf("actions = %v, want %v (steps %+v)", got, tc.want, steps)
			}
			if !strings.Contains(steps[0].Why, tc.why) {
				t.Errorf("Why = %q, want it to contain %q", steps[0].Why, tc.why)
			}
		})
	}
}

func actions(a []Action) []string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = string(x)
	}
	return s
}

func TestCount(t *testing.T) {
	c := Count([]Step{{Action: Create}, {Action: Create}, {Action: Keep}})
	if c[Create] != 2 || c[Keep] != 1 || c[Conflict] != 0 {
		t.Errorf("Count = %v", c)
	}
}

// at places a raw namespace at offset off of region0.
func at(name string, off, size uint64) nvdimm.Namespace {
	return nvdimm.Namespace{Dev: "namespace0." + name, Name: name, Mode: nvdimm.ModeRaw, RawSize: size,
		Region: "region0", Resource: 1<<30 + off, BlockDev: "pmem-" + name}
}

func TestPlanSizes(t *testing.T) {
	const carve = "memmap=1040M!1G memmap=528M!3G "
	const M = 1 << 20
	for _, tc := range []struct {
		name    string
		cmdline string
		have    []nvdimm.Namespace
		want    string // "name:action:size" for each step, space-separated
		why     string // substring of the Why of the step that fails
	}{
		{"rest takes what fixed sizes leave", "ramdax.ns=a:raw:rest ramdax.ns=b:raw:256M", nil,
			"a:create:768M b:create:256M", ""},
		{"rest takes the largest extent, not the sum", "ramdax.ns=new:raw:rest",
			[]nvdimm.Namespace{at("x", 128*M, 64*M), at("y", 512*M, 64*M)},
			"new:create:448M x:unmanaged:0 y:unmanaged:0", ""},
		{"fixed size needs one extent", "ramdax.ns=new:raw:512M",
			[]nvdimm.Namespace{at("x", 256*M, 64*M), at("y", 768*M, 64*M)},
			"new:fail:0 x:unmanaged:0 y:unmanaged:0", "needs 512M in region0, whose largest free extent is 448M: 64M short"},
		{"reset frees its space for its new size", "ramdax.ns=v:raw:512M ramdax.ns=w:raw:rest ramdax.reset=v",
			[]nvdimm.Namespace{at("v", 0, 256*M), at("w", 512*M, 512*M)},
			"v:recreate:512M w:keep:0", ""},
		{"a reset that cannot fit destroys nothing", "ramdax.ns=v:raw:512M ramdax.ns=w:raw:rest ramdax.reset=v",
			[]nvdimm.Namespace{at("v", 0, 256*M), at("w", 256*M, 768*M)},
			"v:fail:0 w:keep:0",
			"ramdax.reset cannot make it again: needs 512M in region0, whose largest free extent is 256M (counting v 256M freed by ramdax.reset): 256M short; nothing was destroyed"},
		{"a failed reset keeps its space from others", "ramdax.ns=v:raw:512M ramdax.ns=n:raw:128M ramdax.reset=v",
			[]nvdimm.Namespace{at("v", 0, 256*M), at("w", 256*M, 704*M)},
			"v:fail:0 n:fail:0 w:unmanaged:0", "whose largest free extent is 256M"},
		{"freed space merges with its neighbour", "ramdax.ns=v:raw:16M ramdax.ns=n:raw:rest ramdax.reset=v",
			[]nvdimm.Namespace{at("v", 0, 64*M), at("w", 512*M, 512*M)},
			"v:recreate:16M n:create:496M w:unmanaged:0", ""},
		{"second region", "ramdax.ns=a:raw:64M:region=1", nil, "a:create:64M", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := Plan(Input{Layout: parse(t, carve+tc.cmdline), Have: tc.have, Regions: regions})
			var got []string
			why := ""
			for _, s := range steps {
				got = append(got, fmt.Sprintf("%s:%s:%s", s.Name, s.Action, sizeOf(s.Size)))
				if s.Action == Fail && why == "" {
					why = s.Why
				}
			}
			if !strings.Contains(why, tc.why) {
				t.Errorf("first failure says %q, want it to contain %q", why, tc.why)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("plan = %s, want %s", strings.Join(got, " "), tc.want)
			}
		})
	}
}

func sizeOf(n uint64) string {
	if n == 0 {
		return "0"
	}
	return layout.FormatSize(n)
}

func TestPlanHolds(t *testing.T) {
	const carve = "memmap=1040M!1G memmap=528M!3G "
	t.Run("rejected namespace on the labels is a conflict", func(t *testing.T) {
		l, _ := layout.Parse(carve + "ramdax.ns=db:fsdax:2G")
		steps := Plan(Input{Layout: l, Have: []nvdimm.Namespace{fsdax("db", 512<<20)}, Regions: regions})
		if len(steps) != 1 || steps[0].Action != Conflict || !strings.Contains(steps[0].Why, "needs 2G") {
			t.Errorf("steps = %+v, want one conflict saying the asked size does not fit", steps)
		}
	})
	t.Run("unreadable namespace holds creates in its region", func(t *testing.T) {
		bad := &nvdimm.ReadError{Dev: "namespace0.3", Region: "region0", Err: fmt.Errorf("read alt_name: EIO")}
		steps := Plan(Input{Layout: parse(t, carve+"ramdax.ns=db:fsdax:512M ramdax.ns=other:raw:64M:region=1"),
			Unreadable: []*nvdimm.ReadError{bad}, Regions: regions})
		got := fmt.Sprint(steps[0].Action, steps[1].Action, steps[2].Action)
		if got != "skipcreatefail" || !strings.Contains(steps[0].Why, "namespace0.3") {
			t.Errorf("actions %s (%q), want skip, create, fail naming namespace0.3", got, steps[0].Why)
		}
	})
	t.Run("unreadable namespace holds creates on its region's node", func(t *testing.T) {
		bad := &nvdimm.ReadError{Dev: "namespace1.3", Region: "region1", Err: fmt.Errorf("read alt_name: EIO")}
		steps := Plan(Input{Layout: parse(t, carve+"ramdax.ns=db:fsdax:256M:node=1 ramdax.ns=other:raw:64M:node=0"),
			Unreadable: []*nvdimm.ReadError{bad}, Regions: onNodes(0, 1)})
		if got := fmt.Sprint(steps[0].Action, steps[1].Action); got != "skipcreate" {
			t.Errorf("actions %s, want skip (node 1 is region1), create", got)
		}
	})
	t.Run("command-line errors hold resets and rest", func(t *testing.T) {
		steps := Plan(Input{Layout: parse(t, carve+"ramdax.ns=db:fsdax:512M ramdax.ns=r:raw:rest ramdax.reset=db"),
			Have: []nvdimm.Namespace{fsdax("db", 512<<20)}, Regions: regions, CmdlineErrors: true})
		if steps[0].Action != Skip || steps[1].Action != Skip {
			t.Errorf("steps = %+v, want both skipped", steps)
		}
	})
}

// onNodes is regions with region N on NUMA node nodes[N]; nvdimm.NoNode
// stands for a kernel without CONFIG_NUMA.
func onNodes(nodes ...int) []nvdimm.Region {
	rs := slices.Clone(regions)
	for i, n := range nodes {
		rs[i].NumaNode, rs[i].TargetNode = n, n
	}
	return rs
}

func TestPlanNodes(t *testing.T) {
	const carve = "memmap=1040M!1G memmap=528M!3G "
	const no = nvdimm.NoNode
	for _, tc := range []struct {
		name    string
		cmdline string
		nodes   []int // of region0 and region1
		have    []nvdimm.Namespace
		want    string // "name:action:region" of the first step
		why     string // the first step's whole Why, when set
	}{
		{"found", "ramdax.ns=db:fsdax:256M:node=1", []int{0, 1}, nil, "db:create:region1", ""},
		{"rest on the node's region", "ramdax.ns=db:raw:rest:node=1 ramdax.ns=o:raw:rest", []int{0, 1}, nil, "db:create:region1", ""},
		{"not found", "ramdax.ns=db:fsdax:256M:node=2", []int{0, 1}, nil, "db:fail:",
			`ramdax.ns="db:fsdax:256M:node=2": no region on node 2 (region0 on node 0, region1 on node 1); use node=0 or node=1`},
		{"ambiguous", "ramdax.ns=db:fsdax:256M:node=0", []int{0, 0}, nil, "db:fail:",
			`ramdax.ns="db:fsdax:256M:node=0": node 0 has 2 regions (region0, region1); use region=0 or region=1`},
		{"kernel without NUMA", "ramdax.ns=db:fsdax:256M:node=0", []int{no, no}, nil, "db:fail:",
			`ramdax.ns="db:fsdax:256M:node=0": the kernel reports no NUMA nodes (no region has a numa_node: a kernel without CONFIG_NUMA); use region=0 or region=1`},
		{"kept on the node asked", "ramdax.ns=db:fsdax:512M:node=0", []int{0, 1}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:keep:", ""},
		{"kept on the node asked, which has several regions", "ramdax.ns=db:fsdax:512M:node=0", []int{0, 0}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:keep:", ""},
		{"kept on another node conflicts", "ramdax.ns=db:fsdax:512M:node=1", []int{0, 1}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:conflict:",
			"node is 0 (region0), asked 1; data left alone: add ramdax.reset=db to recreate it empty"},
		{"kept, and the node asked has no region", "ramdax.ns=db:fsdax:512M:node=2", []int{0, 1}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:conflict:",
			"node is 0 (region0), asked 2; data left alone: no region on node 2 (region0 on node 0, region1 on node 1); use node=0 or node=1"},
		{"kept, kernel without NUMA", "ramdax.ns=db:fsdax:512M:node=0", []int{no, no}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:conflict:",
			"node is unknown (region0), asked 0; data left alone: the kernel reports no NUMA nodes (no region has a numa_node: a kernel without CONFIG_NUMA); use region=0 or region=1"},
		{"reset onto another node", "ramdax.ns=db:fsdax:512M:node=1 ramdax.reset=db", []int{0, 1}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:recreate:region1", "node is 0 (region0), asked 1"},
		{"reset onto a node without a region destroys nothing", "ramdax.ns=db:fsdax:512M:node=2 ramdax.reset=db", []int{0, 1}, []nvdimm.Namespace{fsdax("db", 512<<20)}, "db:fail:",
			`ramdax.reset cannot make it again: ramdax.ns="db:fsdax:512M:node=2": no region on node 2 (region0 on node 0, region1 on node 1); use node=0 or node=1; nothing was destroyed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := Plan(Input{Layout: parse(t, carve+tc.cmdline), Have: tc.have, Regions: onNodes(tc.nodes...)})
			s := steps[0]
			if got := fmt.Sprintf("%s:%s:%s", s.Name, s.Action, s.Region); got != tc.want {
				t.Errorf("first step %s, want %s (Why %q)", got, tc.want, s.Why)
			}
			if tc.why != "" && s.Why != tc.why {
				t.Errorf("Why\n got %s\nwant %s", s.Why, tc.why)
			}
		})
	}
}
