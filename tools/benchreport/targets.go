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
		fmt.Fprintf(b, ", and of ramdaxinit's %.2f s the kernel's sysfs writes, binds and waits take %.2f s", row.Values["setup"], floor)
	}
	b.WriteString("\n")
}
