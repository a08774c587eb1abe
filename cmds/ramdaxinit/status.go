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
func report(l *logger, st *status.Status, start time.Time, steps *timing.Steps) {
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
	st.Seconds = time.Since(start).Seconds()
	writeStart := time.Now()
	writeStatus(l, st)
	steps.Since(stepStatus, writeStart)
	l.Printf("%s", st.ReadyLine())
	tableStart := time.Now()
	printTable(l, st)
	steps.Since(stepTable, tableStart)
	total := time.Duration(st.Seconds * float64(time.Second))
	kernel := nvdimm.KernelTime(steps)
	l.Printf("time: %s to ready, kernel %s", timing.Millis(total), timing.Millis(kernel))
	l.Detailf("%s", stepLine(steps))
}

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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Mode, layout.FormatSize(e.Size), orDash(e.Device), orDash(e.Mount), e.State)
	}
	tw.Flush()
	l.Printf("%s", b.String())
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
	return fmt.Sprintf("time by step: kernel %s (%d writes, %d binds, %d waits); steps: %s; within them: %s; after the clock: %s",
		timing.Millis(nvdimm.KernelTime(steps)), steps.Count(nvdimm.StepKernelWrite),
		steps.Count(nvdimm.StepKernelBind), steps.Count(nvdimm.StepKernelWait), top, inner, after)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
