package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// entryFor starts an entry from what is asked, or found when nothing is.
func entryFor(s reconcile.Step) status.Entry {
	e := status.Entry{Name: s.Name}
	if s.Want != nil {
		e.Mode, e.Size = string(s.Want.Mode), s.Want.Size
	}
	if s.Have != nil && s.Want == nil {
		e.Mode = string(s.Have.Mode)
	}
	if s.Have != nil {
		e.Size, e.Dev, e.UUID = s.Have.Size, s.Have.Dev, s.Have.UUID
	}
	return e
}

// fill records in e what the kernel shows of ns: status.json describes
// what exists, even for a conflict, whose detail says what was asked.
func fill(e *status.Entry, sys *nvdimm.Sysfs, ns *nvdimm.Namespace) {
	e.Dev, e.UUID, e.Size, e.Device = ns.Dev, ns.UUID, ns.Size, sys.DevicePath(ns)
	e.Mode = ns.Personality()
}

// report prints the table, the errors and the ready line, and writes
// status.json.
func report(l *logger, st *status.Status) {
	st.Ready = true
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMODE\tSIZE\tDEVICE\tMOUNT\tSTATE")
	for _, e := range st.Namespaces {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Mode, layout.FormatSize(e.Size), orDash(e.Device), orDash(e.Mount), e.State)
	}
	tw.Flush()
	if len(st.Namespaces) > 0 {
		l.Printf("%s", b.String())
	}
	for _, e := range st.Namespaces {
		if e.State == status.Failed || e.State == status.Skipped {
			l.Printf("%s: %s: %s", e.Name, e.State, e.Detail)
		}
	}
	for _, err := range st.Errors {
		l.Printf("error: %s", err)
	}
	if err := status.Write(status.File, st); err != nil {
		l.Printf("error: %v", err)
	}
	l.Printf("%s", st.ReadyLine())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
