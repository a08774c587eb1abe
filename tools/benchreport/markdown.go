package main

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/ramdax/appliance/bench"
)

// methods says how each number is measured; it is the same for every run.
//
//go:embed methods.md
var methods string

// markdown is BENCHMARKS.md: where and how the numbers were made, the
// table, how each number is measured, and what this run's low DAX
// ratios come from.
func (r *report) markdown(table string) string {
	m := r.meta
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("`tools/benchreport` writes this file at the end of `make bench`: run that again rather than editing it.\n\n")
	if m.Quick {
		b.WriteString("> **Quick run** (`make bench QUICK=1`): one boot per setup, one round of N = 1 and 16 only, 5 DAX passes.\n" +
			"> It shows that everything works; run `make bench` for numbers to quote.\n\n")
	}
	fmt.Fprintf(&b, "- Command: `%s`", m.Command)
	if m.Wall > 0 {
		fmt.Fprintf(&b, ", %s of wall time", m.Wall)
	}
	fmt.Fprintf(&b, "\n- Date: %s\n- Commit: %s\n", m.Date, m.Commit)
	fmt.Fprintf(&b, "- Machine: %s; load average at the end %s (1, 5, 15 min), from other work as well\n", m.Machine, m.Load)
	fmt.Fprintf(&b, "- QEMU: %s; accelerator: %s%s\n", m.QEMU, r.accelSummary(), r.qemuMemory())
	fmt.Fprintf(&b, "- Kernels: %s; %s\n\n", m.BuiltinKernel, m.DistroKernel)
	b.WriteString("```text\n" + table + "```\n\n")
	b.WriteString(methods)
	b.WriteString("\n" + r.daxNotes())
	return b.String()
}

// daxNotes explains each DAX ratio of this run under daxLow.
func (r *report) daxNotes() string {
	var b strings.Builder
	b.WriteString("## This run's DAX ratios under 0.9\n\n")
	var notes []string
	for _, t := range daxTargets[1:] {
		row, ok := r.find(bench.DAX, t.name)
		if !ok {
			continue
		}
		for _, k := range []string{"write", "read", "first_write"} {
			v := row.Values[k+"_ratio"]
			if v >= daxLow {
				continue
			}
			what := fmt.Sprintf("**%s, %s: %.2f.**", t.label, strings.ReplaceAll(k, "_", " "), v)
			notes = append(notes, what+" "+daxReason(t.name, k, row.Values["aliased"] == 1))
		}
	}
	if len(notes) == 0 {
		b.WriteString("None.\n")
		return b.String()
	}
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	return b.String()
}

// daxReason is what explains a low ratio, as measured while building the
// benchmark (see the comments in guest/daxbench).
func daxReason(target, kind string, aliased bool) string {
	switch {
	case aliased:
		return "The target starts an even number of pages from the source buffer. Under TCG, QEMU's software TLB " +
			"is direct-mapped by page number, and two mappings a multiple of its reach apart evict each other's " +
			"entry at every load and store of the copy: that cost 35% on devdax and fsdax alike while this " +
			"benchmark was built, and went away with the source moved by one page. This number is QEMU's, not DAX's."
	case target == "fsdax" && kind == "first_write":
		return "The file is fallocated, so its extents are unwritten: the first write to each block faults, and ext4 " +
			"zeroes the blocks and converts the extent to written in a journal transaction before DAX maps them. " +
			"Anonymous memory only zeroes, 2 MiB per fault. Later passes find the blocks written and run at full " +
			"speed: a file pays this once per block, at its first write."
	case target == "anonymous-4k" && kind == "first_write":
		return "The control without huge pages: 512 faults of 4 KiB, each zeroing its page, for every fault of 2 MiB."
	case target == "anonymous-4k":
		return "The control without huge pages: under TCG every refill of QEMU's software TLB walks the guest's " +
			"page tables, one level deeper with 4 KiB pages. devdax maps 2 MiB pages; fsdax can too, where the " +
			"file's blocks are aligned and contiguous, which smaps does not show."
	}
	return "Not explained by anything measured while this benchmark was built. Look at the load average above and " +
		"the spread of the passes in build/bench/consoles/dax.log, and rerun before drawing a conclusion."
}
