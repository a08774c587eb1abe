// Package status is the outcome of ramdaxinit's setup as it writes it to
// /run/ramdax/status.json: one entry per namespace, with the state it was
// left in, and the regions with their NUMA nodes. Programs and tests read it instead of scraping the console.
package status

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ramdax/appliance/nvdimm"
)

// File is where ramdaxinit writes the status.
const File = "/run/ramdax/status.json"

// Namespace states.
const (
	Created   = "created"   // made at this boot (or reset, or finished after a cut)
	Kept      = "kept"      // found as asked, with its data
	Conflict  = "conflict"  // found, but not as asked: left alone
	Unmanaged = "unmanaged" // found on the labels, not on the command line: left alone
	Failed    = "failed"    // asked for, could not be set up
	Skipped   = "skipped"   // asked for, not applied (command line errors)
)

// Entry is one namespace.
type Entry struct {
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

// Region is one region as setup found it, with the NUMA nodes its memory
// lies on, so that work can be placed near its namespaces. A node the
// kernel does not show (no CONFIG_NUMA, or NUMA_NO_NODE) is left out, as
// in ramdaxctl list --json.
type Region struct {
	Dev        string `json:"dev"`
	Size       uint64 `json:"size"`
	Available  uint64 `json:"available"`
	NumaNode   *int   `json:"numa_node,omitempty"`
	TargetNode *int   `json:"target_node,omitempty"`
}

// Regions returns the status of each region.
func Regions(regions []nvdimm.Region) []Region {
	out := make([]Region, len(regions))
	for i, r := range regions {
		out[i] = Region{Dev: r.Dev, Size: r.Size, Available: r.AvailableSize, NumaNode: nvdimm.KnownNode(r.NumaNode), TargetNode: nvdimm.KnownNode(r.TargetNode)}
	}
	return out
}

// Status is the whole outcome.
type Status struct {
	Ready      bool     `json:"ready"`
	Namespaces []Entry  `json:"namespaces"`
	Regions    []Region `json:"regions,omitempty"`
	Errors     []string `json:"errors,omitempty"`
	// CmdlineErrors and BootconfigErrors count the layout's errors by
	// where they were written; a clash between the two counts as the
	// bootconfig's.
	CmdlineErrors    int     `json:"cmdline_errors"`
	BootconfigErrors int     `json:"bootconfig_errors"`
	Seconds          float64 `json:"seconds"`
	// Services are the image's own programs, which ramdaxinit starts
	// after the ready line, in the order they were declared.
	Services []Service `json:"services,omitempty"`
	// Network is the configuration ip= asked for, per interface.
	Network []Interface `json:"network,omitempty"`
}

// Service states.
const (
	Running    = "running"    // started, not exited yet
	Restarting = "restarting" // exited non-zero, starts again after a pause
	Exited     = "exited"     // exited 0: done, not started again
	Missing    = "missing"    // not in the image
)

// Service is one supervised program.
type Service struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Args     []string `json:"args,omitempty"`
	State    string   `json:"state"`
	Pid      int      `json:"pid,omitempty"`
	Restarts int      `json:"restarts"`
	// LastExit is how the last run ended, as the Go runtime says it
	// ("exit status 2", "signal: killed"); empty while none has.
	LastExit string `json:"last_exit,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Interface is one network interface that ip= configured.
type Interface struct {
	Name string `json:"name"`
	// Method is "dhcp" or "static".
	Method string `json:"method"`
	// Addresses are in CIDR notation; none when configuration failed.
	Addresses []string `json:"addresses,omitempty"`
	Gateway   string   `json:"gateway,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// Add records e in state, with a detail for the operator.
func (st *Status) Add(e Entry, state, detail string) {
	e.State, e.Detail = state, detail
	st.Namespaces = append(st.Namespaces, e)
}

// Fail records an error that belongs to no one namespace.
func (st *Status) Fail(format string, args ...any) {
	st.Errors = append(st.Errors, fmt.Sprintf(format, args...))
}

// Count is the number of namespaces in state.
func (st *Status) Count(state string) int {
	n := 0
	for _, e := range st.Namespaces {
		if e.State == state {
			n++
		}
	}
	return n
}

// Find returns the entry for name, or nil.
func (st *Status) Find(name string) *Entry {
	for i := range st.Namespaces {
		if st.Namespaces[i].Name == name {
			return &st.Namespaces[i]
		}
	}
	return nil
}

// ReadyLine is the one stable line tests and benchmarks key on, without
// the "ramdax: " prefix.
func (st *Status) ReadyLine() string {
	line := fmt.Sprintf("ready %d namespaces (%d created, %d kept, %d conflicts, %d unmanaged",
		st.Count(Created)+st.Count(Kept)+st.Count(Conflict)+st.Count(Unmanaged),
		st.Count(Created), st.Count(Kept), st.Count(Conflict), st.Count(Unmanaged))
	if n := st.Count(Failed) + st.Count(Skipped); n > 0 {
		line += fmt.Sprintf(", %d not set up", n)
	}
	return line + fmt.Sprintf(") in %.3f s", st.Seconds)
}

// OrDash returns field, or "-" when it is empty, as the status table and
// the console show a device, mount or gateway that there is none of.
func OrDash(field string) string {
	if field == "" {
		return "-"
	}
	return field
}

// Write writes st to path as indented JSON, through a temporary file
// renamed into place, so that a reader sees the old status or the new one,
// never half of one.
func Write(path string, st *Status) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	if err := replaceFile(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// replaceFile writes data to path through a temporary file in the same
// directory, renamed into place.
func replaceFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	// The temporary's name starts with a dot: node_exporter's textfile
	// collector reads only names ending in .prom.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// Read reads the status at path.
func Read(path string) (*Status, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	var st Status
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read status %s: %w", path, err)
	}
	return &st, nil
}
