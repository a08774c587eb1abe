package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/status"
	"github.com/ramdax/appliance/timing"
)

// report writes status.json, prints the errors and the ready line, and
// then the table and the time it took, of which the kernel's share, with
// every step's share in the kernel log: on a 115200-baud console a table
// of hundreds of rows takes seconds, which the ready line must not wait
// for.
func report(l *logger, st *status.Status, clock timing.Mark, steps *timing.Steps) {
	st.Ready = true
	for _, e := range st.Namespaces {
		if e.State == status.Failed || e.State == status.Skipped {
			l.Printf("%s: %s: %s", e.Name, e.State, e.Detail)
		}
	}
	for _, err := range st.Errors {
		l.Printf("error: %s", err)
	}
	// The clock stops here: status.json holds the ready line's time.
	wall, cpu := clock.Elapsed()
	st.Seconds = wall.Seconds()
	writeStart := timing.Now()
	writeStatus(l, st)
	steps.Since(stepStatus, writeStart)
	l.Printf("%s", st.ReadyLine())
	stopProfile()
	tableStart := timing.Now()
	printTable(l, st)
	steps.Since(stepTable, tableStart)
	l.Printf("time: %s", timeLine(wall, cpu, steps))
	l.Detailf("%s", stepLine(steps))
}

// stopProfile ends the CPU profile of a build with -tags ramdaxprofile
// (profile.go) and prints it; otherwise it does nothing.
var stopProfile = func() {}

// writeStatus writes status.json and the metrics.
func writeStatus(l *logger, st *status.Status) {
	if err := status.Write(status.File, st); err != nil {
		l.Printf("error: %v", err)
	}
	if err := status.WriteMetrics(status.MetricsFile, st); err != nil {
		l.Printf("error: %v", err)
	}
}

// printTable prints one row per namespace.
func printTable(l *logger, st *status.Status) {
	if len(st.Namespaces) == 0 {
		return
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMODE\tSIZE\tDEVICE\tMOUNT\tSTATE")
	for _, e := range st.Namespaces {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Mode, layout.FormatSize(e.Size), status.OrDash(e.Device), status.OrDash(e.Mount), e.State)
	}
	tw.Flush()
	l.Printf("%s", b.String())
}

// timeLine splits the time to ready into the kernel's share (the sysfs
// writes, binds and waits themselves, the floor of any tool), the
// kernel's answers to ramdaxinit's reads of sysfs, the time other tasks
// had the CPU between those calls (mkfs, and the kernel's threads
// finishing what a bind started), and ramdaxinit's own time on the CPU.
// The four add up to the first.
func timeLine(wall, cpu time.Duration, steps *timing.Steps) string {
	kernel, reads := nvdimm.KernelTime(steps), nvdimm.ReadTime(steps)
	own := max(cpu-nvdimm.KernelCPU(steps)-reads, 0)
	others := max(wall-kernel-reads-own, 0)
	return fmt.Sprintf("%s to ready, kernel %s, reads %s, other tasks %s, ramdaxinit %s",
		timing.Millis(wall), timing.Millis(kernel), timing.Millis(reads), timing.Millis(others), timing.Millis(own))
}

// stepLine says where setup's time went: the kernel's share (the sysfs
// writes, binds and waits themselves, the floor of any tool), then
// ramdaxinit's steps, which add up to its time to ready, then the steps
// inside them, then what comes after the clock stops.
func stepLine(steps *timing.Steps) string {
	isTop := func(step string) bool { return slices.Contains(topSteps, step) }
	isAfter := func(step string) bool { return slices.Contains(afterSteps, step) }
	top, after := steps.Filter(isTop), steps.Filter(isAfter)
	inner := steps.Filter(func(step string) bool { return !isTop(step) && !isAfter(step) })
	return fmt.Sprintf("time by step: kernel %s (%d writes, %d binds, %d waits), reads %s (%d); steps: %s; within them: %s; after the clock: %s",
		timing.Millis(nvdimm.KernelTime(steps)), steps.Count(nvdimm.StepKernelWrite),
		steps.Count(nvdimm.StepKernelBind), steps.Count(nvdimm.StepKernelWait),
		timing.Millis(nvdimm.ReadTime(steps)), steps.Count(nvdimm.StepKernelRead), top, inner, after)
}
