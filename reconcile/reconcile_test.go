package reconcile

import (
	"strings"
	"testing"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
)

var regions = []string{"region0", "region1"}

func parse(t *testing.T, cmdline string) *layout.Layout {
	t.Helper()
	l, err := layout.Parse(cmdline)
	if err != nil {
		t.Fatalf("Parse(%q): %v", cmdline, err)
	}
	return l
}

func fsdax(name string, size uint64) nvdimm.Namespace {
	return nvdimm.Namespace{Dev: "namespace0.0", Name: name, Mode: nvdimm.ModeFsdax, RawSize: size, Region: "region0", Align: 2 << 20, Map: "dev", BlockDev: "pmem0"}
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
		{"system-ram matches devdax", "ramdax.ns=mem:system-ram:512M", []nvdimm.Namespace{{Name: "mem", Mode: nvdimm.ModeDevdax, RawSize: 512 << 20, Region: "region0", CharDev: "dax0.0"}}, []Action{Keep}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := Plan(parse(t, carve+tc.cmdline), tc.have, regions)
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
