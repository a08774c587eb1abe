package main

import (
	"fmt"
	"strings"

	"github.com/ramdax/appliance/bench"
)

// The setup targets: ramdaxinit's own time within floorTarget of the
// kernel's floor from N = 16 on, its keep faster than ndctl's at every N,
// and its create ndctlTarget times faster than ndctl's at N = 16 and 64,
// both against its own clock, which like the script's marks leaves out
// the init system's mounts.
const floorTarget = 1.15

var ndctlTarget = map[string]float64{"raw": 3, "fsdax": 20, "devdax": 20, "sector": 20}

// The boot targets of the default layout on the built-in kernel, seconds.
const (
	kernelReadyTarget = 1.3
	initReadyTarget   = 0.30
)

// worst is the largest (or, with lowest, the smallest) value of a
// measure over points, and the N it was at.
type worst struct {
	value, n float64
	seen     bool
}

func (w *worst) add(v, n float64, lowest bool) {
	if !w.seen || lowest && v < w.value || !lowest && v > w.value {
		*w = worst{v, n, true}
	}
}

func (w worst) String() string {
	if !w.seen {
		return "n/a"
	}
	return fmt.Sprintf("%.2f× (N=%.0f)", w.value, w.n)
}

// yesNo is a target's verdict.
func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// setupTargets prints, per mode, each setup target's worst case and
// whether it holds.
func (r *report) setupTargets(b *strings.Builder) {
	fmt.Fprintf(b, "   targets, worst case per mode: create self÷floor ≤ %.2f× from N=16; keep self÷floor ≤ %.2f× from N=16; keep ndctl÷self > 1 at every N; create ndctl÷self at N=16 and 64 ≥ 3× raw, 20× others\n", floorTarget, floorTarget)
	g := &grid{}
	g.addf("mode\tcreate ÷floor\twithin\tkeep ÷floor\twithin\tkeep vs ndctl\twithin\tcreate vs ndctl\twithin")
	for _, mode := range setupModes {
		points := r.setupPoints(mode)
		if len(points) == 0 {
			continue
		}
		var create, keep, keepNdctl, createNdctl worst
		for _, p := range points {
			ri, nd := p.ramdaxinit, p.ndctl
			if p.n >= 16 && ri["create_floor"] > 0 {
				create.add(ri["create_self"]/ri["create_floor"], p.n, false)
				keep.add(ri["keep_self"]/ri["keep_floor"], p.n, false)
			}
			keepNdctl.add(nd["keep"]/ri["keep_self"], p.n, true)
			if p.n == 16 || p.n == 64 {
				createNdctl.add(nd["create"]/ri["create_self"], p.n, true)
			}
		}
		g.addf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", mode,
			create, yesNo(create.seen && create.value <= floorTarget), keep, yesNo(keep.seen && keep.value <= floorTarget),
			keepNdctl, yesNo(keepNdctl.seen && keepNdctl.value > 1), createNdctl, yesNo(createNdctl.seen && createNdctl.value >= ndctlTarget[mode]))
	}
	g.write(b)
}

// bootTargets prints the default layout's boot targets on the built-in
// kernel.
func (r *report) bootTargets(b *strings.Builder) {
	row, ok := r.findAccel(bench.Boot, "builtin-ramdaxinit", "tcg")
	if !ok {
		return
	}
	kr, ir := row.Values["kernel_ready"], row.Values["init_to_ready"]
	fmt.Fprintf(b, "   targets, built-in kernel + ramdaxinit: kernel→ready %.2f s (≤ %.2f: %s), /init→ready %.2f s (≤ %.2f: %s); kernel→/init alone is %.2f s",
		kr, kernelReadyTarget, yesNo(kr <= kernelReadyTarget), ir, initReadyTarget, yesNo(ir <= initReadyTarget), row.Values["kernel_init"])
	if floor, ok := row.Values["floor"]; ok {
		fmt.Fprintf(b, ", and of ramdaxinit's %.2f s the kernel's sysfs writes, binds and waits take %.2f s, its reads %.2f s, other tasks %.2f s",
			row.Values["setup"], floor, row.Values["reads"], row.Values["others"])
	}
	b.WriteString("\n")
	if ki := row.Values["kernel_init"]; ki > kernelReadyTarget {
		fmt.Fprintf(b, "   kernel→ready ≤ %.2f s is out of reach here: the kernel takes %.2f s before it runs /init\n", kernelReadyTarget, ki)
	}
	fmt.Fprintf(b, "   /init→ready %.2f s = the process's start and mounts %.2f s + ramdaxinit's clock %.2f s\n", ir, ir-row.Values["setup"], row.Values["setup"])
}

// floorLimits prints, per mode, what the kernel's floor allows: ndctl's
// time over the floor is the most any tool making the same kernel calls
// could gain on ndctl, so a target above it is out of reach by the
// kernel's own time; the floor with the kernel's answers to ramdaxinit's
// reads, which a target over the floor alone must leave room for; and
// ramdaxinit's time over all the kernel's, with the other tasks (the
// kernel's threads) counted as the kernel's: its own code's share.
func (r *report) floorLimits(b *strings.Builder) {
	b.WriteString("   what the floor allows: ndctl÷floor is the most a tool making the same kernel calls could be faster than ndctl (create, N=16 and 64, worst);\n")
	b.WriteString("   (floor+reads)÷floor is the floor with the kernel's answers to ramdaxinit's reads; self÷kernel is self over floor, reads and others: ramdaxinit's own code (worst from N=16)\n")
	g := &grid{}
	g.addf("mode\tcreate ndctl÷floor\ttarget\treachable\tcreate (floor+reads)÷floor\tkeep (floor+reads)÷floor\tcreate self÷kernel\tkeep self÷kernel")
	for _, mode := range setupModes {
		points := r.setupPoints(mode)
		if len(points) == 0 {
			continue
		}
		var ceiling, createReads, keepReads, create, keep worst
		for _, p := range points {
			ri, nd := p.ramdaxinit, p.ndctl
			if (p.n == 16 || p.n == 64) && ri["create_floor"] > 0 {
				ceiling.add(nd["create"]/ri["create_floor"], p.n, true)
			}
			if p.n >= 16 && ri["create_floor"] > 0 {
				createReads.add((ri["create_floor"]+ri["create_reads"])/ri["create_floor"], p.n, false)
				keepReads.add((ri["keep_floor"]+ri["keep_reads"])/ri["keep_floor"], p.n, false)
				create.add(ri["create_self"]/(ri["create_floor"]+ri["create_reads"]+ri["create_others"]), p.n, false)
				keep.add(ri["keep_self"]/(ri["keep_floor"]+ri["keep_reads"]+ri["keep_others"]), p.n, false)
			}
		}
		g.addf("%s\t%s\t%.0f×\t%s\t%s\t%s\t%s\t%s", mode, ceiling, ndctlTarget[mode],
			yesNo(ceiling.seen && ceiling.value >= ndctlTarget[mode]), createReads, keepReads, create, keep)
	}
	g.write(b)
}
