package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ramdax/appliance/bench"
)

// report renders the rows of one run.
type report struct {
	rows []bench.Row
	meta meta
}

// table is the plain-text report: a header, then one part per section.
func (r *report) table() string {
	var b strings.Builder
	r.header(&b)
	for _, part := range []func(*strings.Builder){r.boot, r.setup, r.dax, r.size, r.kernel, r.budgets} {
		b.WriteString("\n")
		part(&b)
	}
	return b.String()
}

func (r *report) header(b *strings.Builder) {
	m := r.meta
	title := "RAMDAX appliance benchmarks"
	if m.Quick {
		title += " (QUICK RUN: one boot per setup, fewer sizes and passes; not for publishing)"
	}
	fmt.Fprintf(b, "%s\n", title)
	fmt.Fprintf(b, "  %s, commit %s, `%s`", m.Date, m.Commit, m.Command)
	if m.Wall > 0 {
		fmt.Fprintf(b, " took %s", m.Wall)
	}
	fmt.Fprintf(b, "\n  machine: %s; load average at the end %s (1/5/15 min)\n", m.Machine, m.Load)
	fmt.Fprintf(b, "  QEMU: %s, accelerator %s%s\n", m.QEMU, r.accelSummary(), r.qemuMemory())
	fmt.Fprintf(b, "  kernels: %s; %s\n", m.BuiltinKernel, m.DistroKernel)
}

// accelSummary names the accelerators the rows used, and why KVM is not
// among them, if a note says.
func (r *report) accelSummary() string {
	var used []string
	for _, row := range r.rows {
		if row.Accel != "" && !slices.Contains(used, row.Accel) {
			used = append(used, row.Accel)
		}
	}
	s := strings.ToUpper(strings.Join(used, " and "))
	if s == "" {
		s = "unknown"
	}
	if note, ok := r.find(bench.Note, "kvm"); ok {
		s += " (" + note.Text["note"] + ")"
	}
	return s
}

// qemuMemory is "; " and what the run's note says of QEMU's memory, or
// "" without one.
func (r *report) qemuMemory() string {
	if note, ok := r.find(bench.Note, "qemu-memory"); ok {
		return "; " + note.Text["note"]
	}
	return ""
}

// find returns the first row of section called name.
func (r *report) find(section, name string) (bench.Row, bool) {
	for _, row := range r.rows {
		if row.Section == section && row.Name == name {
			return row, true
		}
	}
	return bench.Row{}, false
}

// findAccel is find for a row measured under accel.
func (r *report) findAccel(section, name, accel string) (bench.Row, bool) {
	for _, row := range r.rows {
		if row.Section == section && row.Name == name && row.Accel == accel {
			return row, true
		}
	}
	return bench.Row{}, false
}

func (r *report) section(section string) []bench.Row {
	var rows []bench.Row
	for _, row := range r.rows {
		if row.Section == section {
			rows = append(rows, row)
		}
	}
	return rows
}

// grid is a table indented under a section title: the first column
// aligned left, the numbers right.
type grid struct {
	rows [][]string
}

func (g *grid) add(cells ...string) { g.rows = append(g.rows, cells) }

// addf adds a row whose cells are format's tab-separated fields.
func (g *grid) addf(format string, args ...any) {
	g.add(strings.Split(fmt.Sprintf(format, args...), "\t")...)
}

func (g *grid) write(b *strings.Builder) {
	var widths []int
	for _, row := range g.rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range g.rows {
		line := "   "
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i == 0 {
				line += c + pad
			} else {
				line += "  " + pad + c
			}
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

// The boot setups, in the report's order.
var bootKeys = []string{"builtin-ramdaxinit", "distro-ramdaxinit", "distro-ndctl", "builtin-ramdaxinit-lazy"}

func (r *report) boot(b *strings.Builder) {
	b.WriteString("1. Boot to ready: default layout (fsdax 256M with ext4 mounted -o dax, devdax 128M, raw rest of a 528M carveout), 2 GiB of RAM the host backed before the boot, but for the last row\n")
	rows := r.section(bench.Boot)
	if len(rows) == 0 {
		b.WriteString("   not measured\n")
		return
	}
	for _, accel := range []string{"tcg", "kvm"} {
		if _, ok := r.findAccel(bench.Boot, bootKeys[0], accel); ok {
			r.bootTable(b, accel)
		}
	}
	r.bootTargets(b)
}

func (r *report) bootTable(b *strings.Builder, accel string) {
	first, _ := r.findAccel(bench.Boot, bootKeys[0], accel)
	boots := "one boot each"
	if first.Samples > 1 {
		boots = fmt.Sprintf("median of %d boots each, round robin", first.Samples)
	}
	fmt.Fprintf(b, "   %s, %s, seconds\n", strings.ToUpper(accel), boots)
	g := &grid{}
	g.addf("setup\tQEMU start→ready\tkernel→/init\tkernel→ready\t/init→ready\ttool setup")
	for _, key := range bootKeys {
		row, ok := r.findAccel(bench.Boot, key, accel)
		if !ok {
			g.addf("%s\tnot measured", key)
			continue
		}
		v := row.Values
		g.addf("%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f", row.Text["label"],
			v["wall"], v["kernel_init"], v["kernel_ready"], v["init_to_ready"], v["setup"])
	}
	g.write(b)
	builtin, _ := r.findAccel(bench.Boot, "builtin-ramdaxinit", accel)
	distro, _ := r.findAccel(bench.Boot, "distro-ramdaxinit", accel)
	ndctl, ok := r.findAccel(bench.Boot, "distro-ndctl", accel)
	fmt.Fprintf(b, "   Debian kernel ÷ built-in, both ramdaxinit: %s\n", bootRatios(distro, builtin, false))
	fmt.Fprintf(b, "   ndctl script ÷ ramdaxinit, both on the Debian kernel: %s\n", bootRatios(ndctl, distro, true))
	if e, has := ndctl.Values["estimate_error"]; ok && has {
		fmt.Fprintf(b, "   kernel→ready check: the console-clock estimate is %+.0f ms off the printk time of the script's end mark\n", e*1000)
	}
}

// bootRatios compares two setups' medians.
func bootRatios(num, den bench.Row, withSetup bool) string {
	parts := []string{
		"QEMU start→ready " + ratio(num.Values["wall"], den.Values["wall"]),
		"kernel→ready " + ratio(num.Values["kernel_ready"], den.Values["kernel_ready"]),
		"/init→ready " + ratio(num.Values["init_to_ready"], den.Values["init_to_ready"]),
	}
	if withSetup {
		parts = append(parts, "tool setup "+ratio(num.Values["setup"], den.Values["setup"]))
	}
	return strings.Join(parts, ", ")
}

// ratio is a÷b as "1.23×", or "n/a".
func ratio(a, b float64) string {
	if b == 0 || a == 0 || math.IsNaN(a/b) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// setupPoint is both tools' times at one N in one mode.
type setupPoint struct {
	n                 float64
	ramdaxinit, ndctl map[string]float64
}

// setupModes are the modes of the setup rows, in the report's order.
var setupModes = []string{"raw", "fsdax", "devdax", "sector"}

// rowMode is a setup row's mode; rows from before the modes are raw.
func rowMode(row bench.Row) string {
	if m := row.Text["mode"]; m != "" {
		return m
	}
	return "raw"
}

func (r *report) setupPoints(mode string) []setupPoint {
	byN := map[float64]*setupPoint{}
	var ns []float64
	for _, row := range r.section(bench.Setup) {
		if rowMode(row) != mode {
			continue
		}
		n := row.Values["n"]
		p, ok := byN[n]
		if !ok {
			p = &setupPoint{n: n}
			byN[n] = p
			ns = append(ns, n)
		}
		switch row.Name {
		case "ramdaxinit":
			p.ramdaxinit = row.Values
		case "ndctl":
			p.ndctl = row.Values
		}
	}
	slices.Sort(ns)
	points := make([]setupPoint, 0, len(ns))
	for _, n := range ns {
		if p := byN[n]; p.ramdaxinit != nil && p.ndctl != nil {
			points = append(points, *p)
		}
	}
	return points
}

func (r *report) setup(b *strings.Builder) {
	b.WriteString("2. Setup scaling: N namespaces of 16 MiB in one region, in each mode, built-in kernel; a first boot creates them, later ones keep them; the guest's RAM is backed on the host before each boot\n")
	row, ok := r.find(bench.Setup, "ramdaxinit")
	if !ok {
		b.WriteString("   not measured\n")
		return
	}
	fmt.Fprintf(b, "   %s, %s, tools in turn; seconds, and ms per namespace\n", strings.ToUpper(row.Accel), r.setupRounds())
	b.WriteString("   floor: the kernel's own time in ramdaxinit's sysfs writes, binds and waits for probes (its time line); self: ramdaxinit's clock, start to ready;\n")
	b.WriteString("   /init: from the kernel running /init to the ready line, with the process start and the early mounts; ndctl: between the script's kernel-log marks,\n")
	b.WriteString("   after u-root's init has mounted the same, so ndctl÷self compares the same work; others: within self, outside those calls, the time other tasks had\n")
	b.WriteString("   the one CPU while ramdaxinit waited for it (the kernel's threads finishing what a bind started; mkfs, where there is one); reads: within self, the kernel's\n")
	b.WriteString("   answers to ramdaxinit's reads of sysfs (attributes, links, listings); so self - floor - reads - others is ramdaxinit's own CPU time\n")
	g := &grid{}
	g.addf("mode\tN\tcreate floor\treads\tothers\tself\t÷floor\tms/ns\t/init\tndctl\tndctl÷self\tkeep floor\treads\tothers\tself\t÷floor\t/init\tndctl\tndctl÷self")
	for _, mode := range setupModes {
		for _, p := range r.setupPoints(mode) {
			ri, nd := p.ramdaxinit, p.ndctl
			g.addf("%s\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%.1f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%s", mode, p.n,
				ri["create_floor"], ri["create_reads"], ri["create_others"], ri["create_self"], ratio(ri["create_self"], ri["create_floor"]), perNS(ri["create_self"], p.n),
				ri["create"], nd["create"], ratio(nd["create"], ri["create_self"]),
				ri["keep_floor"], ri["keep_reads"], ri["keep_others"], ri["keep_self"], ratio(ri["keep_self"], ri["keep_floor"]),
				ri["keep"], nd["keep"], ratio(nd["keep"], ri["keep_self"]))
		}
	}
	g.write(b)
	for _, mode := range setupModes {
		if points := r.setupPoints(mode); len(points) > 1 {
			fmt.Fprintf(b, "   %s: ramdaxinit %s; ndctl %s\n", mode, growth(points, "ramdaxinit"), growth(points, "ndctl"))
		}
	}
	r.setupTargets(b)
	r.floorLimits(b)
}

// setupRounds says how many rounds the setup rows took, fewest to most,
// and how many keep boots followed each create.
func (r *report) setupRounds() string {
	lo, hi := 0, 0
	for _, row := range r.section(bench.Setup) {
		if lo == 0 || row.Samples < lo {
			lo = row.Samples
		}
		hi = max(hi, row.Samples)
	}
	rounds := fmt.Sprintf("median of %d rounds, %d at the largest N", hi, lo)
	switch {
	case hi <= 1:
		rounds = "one round"
	case lo == hi:
		rounds = fmt.Sprintf("median of %d rounds", hi)
	}
	fewest, most := r.keepsPerCreate()
	switch {
	case most <= 1:
		return rounds
	case fewest == most:
		return fmt.Sprintf("%s, with %d keep boots after each create", rounds, most)
	}
	return fmt.Sprintf("%s, where keep boots %d times on the create's RAM", rounds, most)
}

// keepsPerCreate is the fewest and the most keep boots that followed a
// create in the setup rows: rows recorded before keep boots were counted
// had one.
func (r *report) keepsPerCreate() (fewest, most int) {
	for _, row := range r.section(bench.Setup) {
		k := 1
		if row.Samples > 0 && row.Values["keep_boots"] > 0 {
			k = int(row.Values["keep_boots"]) / row.Samples
		}
		if fewest == 0 || k < fewest {
			fewest = k
		}
		most = max(most, k)
	}
	return fewest, most
}

func perNS(secs, n float64) float64 { return secs / n * 1000 }

// growth says how the create and keep times grow with N: the per-namespace
// cost at the largest N over that at 16, and the exponent k of t ≈ c·N^k
// fitted over N ≥ 16 (over every N when fewer than two are that large).
func growth(points []setupPoint, tool string) string {
	var parts []string
	for _, phase := range []string{"create", "keep"} {
		var xs, ys []float64
		var at16, atMax, maxN float64
		for _, p := range points {
			v := p.ramdaxinit[phase]
			if tool == "ndctl" {
				v = p.ndctl[phase]
			}
			if p.n >= 16 {
				xs, ys = append(xs, p.n), append(ys, v)
			}
			if p.n == 16 {
				at16 = v / 16
			}
			if p.n > maxN {
				maxN, atMax = p.n, v/p.n
			}
		}
		if len(xs) < 2 {
			xs, ys = nil, nil
			for _, p := range points {
				v := p.ramdaxinit[phase]
				if tool == "ndctl" {
					v = p.ndctl[phase]
				}
				xs, ys = append(xs, p.n), append(ys, v)
			}
		}
		part := fmt.Sprintf("%s grows as N^%.2f", phase, exponent(xs, ys))
		if at16 > 0 && maxN > 16 {
			part += fmt.Sprintf(" (per-namespace cost at N=%.0f is %s that at 16)", maxN, ratio(atMax, at16))
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// exponent is the least-squares slope of log y over log x.
func exponent(xs, ys []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(xs))
	for i := range xs {
		x, y := math.Log(xs[i]), math.Log(ys[i])
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	d := n*sxx - sx*sx
	if n < 2 || d == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / d
}

// The DAX targets, in the report's order, with their labels.
var daxTargets = []struct{ name, label string }{
	{"anonymous", "anonymous memory"},
	{"anonymous-4k", "anonymous, no huge pages"},
	{"devdax", "devdax (align 2M)"},
	{"fsdax", "file on ext4 -o dax"},
}

// daxLow is the ratio under which a DAX number wants explaining.
const daxLow = 0.9

func (r *report) dax(b *strings.Builder) {
	b.WriteString("3. DAX data path: sequential copies inside the guest, built-in kernel, each as a ratio to anonymous memory\n")
	anon, ok := r.find(bench.DAX, "anonymous")
	if !ok {
		b.WriteString("   not measured\n")
		return
	}
	fmt.Fprintf(b, "   %s, %.0f MiB, first pass then median of %d passes, MB/s; ratio = median of per-pass ratios; * under %.1f\n",
		strings.ToUpper(anon.Accel), anon.Values["mib"], anon.Samples, daxLow)
	g := &grid{}
	g.addf("target\twrite\tratio\tread\tratio\tfirst write\tratio\tpage\thuge pages")
	for _, t := range daxTargets {
		row, ok := r.find(bench.DAX, t.name)
		if !ok {
			g.addf("%s\tnot measured", t.label)
			continue
		}
		v := row.Values
		g.addf("%s\t%.0f\t%s\t%.0f\t%s\t%.0f\t%s\t%s\t%s", t.label,
			v["write_mbs"], flagLow(v["write_ratio"]), v["read_mbs"], flagLow(v["read_ratio"]),
			v["first_write_mbs"], flagLow(v["first_write_ratio"]), kib(v["page_kib"]), kib(v["huge_kib"]))
	}
	g.write(b)
	if low := r.lowDAX(); len(low) > 0 {
		fmt.Fprintf(b, "   under %.1f: %s; BENCHMARKS.md explains why\n", daxLow, strings.Join(low, ", "))
	}
}

func flagLow(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	if v < daxLow {
		s += "*"
	}
	return s
}

func kib(v float64) string {
	switch {
	case v >= 1024:
		return fmt.Sprintf("%.0f MiB", v/1024)
	case v > 0:
		return fmt.Sprintf("%.0f KiB", v)
	}
	return "-"
}

// lowDAX lists the DAX ratios under daxLow, as "devdax write 0.57".
func (r *report) lowDAX() []string {
	var low []string
	for _, t := range daxTargets[1:] {
		row, ok := r.find(bench.DAX, t.name)
		if !ok {
			continue
		}
		for _, k := range []string{"write", "read", "first_write"} {
			if v := row.Values[k+"_ratio"]; v < daxLow {
				low = append(low, fmt.Sprintf("%s %s %.2f", t.name, strings.ReplaceAll(k, "_", " "), v))
			}
		}
	}
	return low
}

// The size rows, in the report's order, with their labels.
var sizeKeys = []struct{ name, label string }{
	{"builtin-ramdaxinit", "built-in kernel + ramdaxinit"},
	{"distro-ramdaxinit", "Debian kernel + modules + ramdaxinit"},
	{"distro-ndctl", "Debian kernel + modules + ndctl script"},
	{"generic-ramdaxinit", "Debian generic kernel + modules + ramdaxinit"},
}

func (r *report) size(b *strings.Builder) {
	b.WriteString("4. Size, MiB: what each setup boots\n")
	if len(r.section(bench.Size)) == 0 {
		b.WriteString("   not measured\n")
		return
	}
	g := &grid{}
	g.addf("setup\tkernel\tmodules\tinitramfs\tcompressed%s\tkernel + initramfs\tISO", r.compression())
	for _, s := range sizeKeys {
		row, ok := r.find(bench.Size, s.name)
		if !ok {
			g.addf("%s\tnot measured", s.label)
			continue
		}
		v := row.Values
		modules := "built in"
		if v["module_files"] > 0 {
			modules = fmt.Sprintf("%s (%.0f files)", mib(v["modules"]), v["module_files"])
		}
		iso := "-"
		if v["iso"] > 0 {
			iso = mib(v["iso"])
			if v["iso_current"] == 0 {
				iso += " (older code)"
			}
		}
		g.addf("%s\t%s\t%s\t%s\t%s\t%s\t%s", s.label, mib(v["kernel"]), modules,
			mib(v["initramfs_cpio"]), mib(v["initramfs_compressed"]), mib(v["boot_total"]), iso)
	}
	g.write(b)
	builtin, _ := r.find(bench.Size, "builtin-ramdaxinit")
	distro, _ := r.find(bench.Size, "distro-ramdaxinit")
	ndctl, _ := r.find(bench.Size, "distro-ndctl")
	fmt.Fprintf(b, "   Debian ÷ built-in, kernel + initramfs: %s; ndctl ÷ ramdaxinit initramfs on the Debian kernel: %s compressed, %s not\n",
		ratio(distro.Values["boot_total"], builtin.Values["boot_total"]),
		ratio(ndctl.Values["initramfs_compressed"], distro.Values["initramfs_compressed"]),
		ratio(ndctl.Values["initramfs_cpio"], distro.Values["initramfs_cpio"]))
	r.largest(b, "builtin-ramdaxinit", "appliance initramfs")
	r.largest(b, "distro-ndctl", "ndctl initramfs")
}

func (r *report) largest(b *strings.Builder, name, label string) {
	var files []string
	for _, row := range r.section(bench.Size) {
		if row.Name == "largest/"+name {
			files = append(files, fmt.Sprintf("%s %s MiB", row.Text["file"], mib(row.Values["bytes"])))
		}
	}
	if len(files) > 0 {
		fmt.Fprintf(b, "   largest files of the %s, uncompressed: %s\n", label, strings.Join(files, ", "))
	}
}

func mib(bytes float64) string { return fmt.Sprintf("%.2f", bytes/(1<<20)) }

func (r *report) kernel(b *strings.Builder) {
	b.WriteString("5. Kernel build (kernel-config/build.sh, as `make kernel` runs it)\n")
	cold, okCold := r.find(bench.Kernel, "cold")
	cached, okCached := r.find(bench.Kernel, "cached")
	if !okCold && !okCached {
		b.WriteString("   not measured\n")
		return
	}
	if s, ok := cold.Values["seconds"]; ok {
		fmt.Fprintf(b, "   cold, from an empty object tree: %.0f s, built %s (build-tree: %s", s, cold.Text["built"], cold.Text["tree"])
		if src := cold.Text["source"]; src != "" {
			fmt.Fprintf(b, "; %s", src)
		}
		b.WriteString(")\n")
	} else {
		fmt.Fprintf(b, "   cold: %s\n", cold.Text["source"])
	}
	fmt.Fprintf(b, "   cached, this run: %.1f s, median of %d", cached.Values["seconds"], cached.Samples)
	if s := cold.Values["seconds"]; s > 0 {
		fmt.Fprintf(b, "; cold ÷ cached %s", ratio(s, cached.Values["seconds"]))
	}
	b.WriteString("\n")
}

// compression is the initramfs's compression as the size rows recorded
// it, " (lz4 -12)", to follow a heading; "" when no row did.
func (r *report) compression() string {
	for _, row := range r.section(bench.Size) {
		if c := row.Text["compression"]; c != "" {
			return " (" + c + ")"
		}
	}
	return ""
}
