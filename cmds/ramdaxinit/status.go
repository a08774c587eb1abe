package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
)

// statusFile is where the outcome is written for programs and tests.
const statusFile = "/run/ramdax/status.json"

// Namespace states in the status table and status.json.
const (
	stateCreated   = "created"
	stateKept      = "kept"
	stateConflict  = "conflict"
	stateUnmanaged = "unmanaged"
	stateFailed    = "failed"
	stateSkipped   = "skipped"
)

// entry is one namespace in the status.
type entry struct {
	Name   string `json:"name"`
	Mode   string `json:"mode"`
	Size   uint64 `json:"size"`
	Dev    string `json:"dev,omitempty"`
	UUID   string `json:"uuid,omitempty"`
	Device string `json:"device,omitempty"`
	Mount  string `json:"mount,omitempty"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// entryFor starts an entry from what is asked, or found when nothing is.
func entryFor(s reconcile.Step) entry {
	e := entry{Name: s.Name}
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

// fill records what the kernel shows of ns.
func (e *entry) fill(sys *nvdimm.Sysfs, ns *nvdimm.Namespace) {
	e.Dev, e.UUID, e.Size, e.Device = ns.Dev, ns.UUID, ns.Size, sys.DevicePath(ns)
	if ns.DaxMode == nvdimm.DaxModeSystemRAM {
		e.Mode = string(layout.SystemRAM)
	} else if e.Mode == "" {
		e.Mode = string(ns.Mode)
	}
}

// status is the outcome of setup, as status.json holds it.
type status struct {
	Ready         bool     `json:"ready"`
	Namespaces    []entry  `json:"namespaces"`
	Errors        []string `json:"errors,omitempty"`
	CmdlineErrors int      `json:"cmdline_errors"`
	Seconds       float64  `json:"seconds"`
}

func (st *status) add(e entry, state, detail string) {
	e.State, e.Detail = state, detail
	st.Namespaces = append(st.Namespaces, e)
}

func (st *status) fail(format string, args ...any) {
	st.Errors = append(st.Errors, fmt.Sprintf(format, args...))
}

func (st *status) count(state string) int {
	n := 0
	for _, e := range st.Namespaces {
		if e.State == state {
			n++
		}
	}
	return n
}

// readyLine is the one stable line tests and benchmarks key on.
func (st *status) readyLine() string {
	line := fmt.Sprintf("ready %d namespaces (%d created, %d kept, %d conflicts, %d unmanaged",
		st.count(stateCreated)+st.count(stateKept)+st.count(stateConflict)+st.count(stateUnmanaged),
		st.count(stateCreated), st.count(stateKept), st.count(stateConflict), st.count(stateUnmanaged))
	if n := st.count(stateFailed) + st.count(stateSkipped); n > 0 {
		line += fmt.Sprintf(", %d not set up", n)
	}
	return line + fmt.Sprintf(") in %.3f s", st.Seconds)
}

// report prints the table, the errors and the ready line, and writes
// status.json.
func report(l *logger, st *status) {
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
		if e.State == stateFailed || e.State == stateSkipped {
			l.Printf("%s: %s: %s", e.Name, e.State, e.Detail)
		}
	}
	for _, err := range st.Errors {
		l.Printf("error: %s", err)
	}
	if err := writeStatus(st); err != nil {
		l.Printf("error: %v", err)
	}
	l.Printf("%s", st.readyLine())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeStatus(st *status) error {
	if err := os.MkdirAll(filepath.Dir(statusFile), 0o755); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(statusFile, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}
