package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/status"
)

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
