// Package bench holds the QEMU benchmarks `make bench` runs (its _test.go
// files, over the vmtest harness) and carries their results to
// tools/benchreport: each measurement is a Row, appended as one JSON line
// to the file $RAMDAX_BENCH_OUT names. Without that
// variable nothing is written, so `go test -bench` works on its own and
// reports through testing.B alone.
package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// The environment the Makefile's bench target sets.
const (
	// OutEnv names the JSON-lines file rows are appended to.
	OutEnv = "RAMDAX_BENCH_OUT"
	// QuickEnv, when set to a true value, asks for a quick run: fewer
	// boots and sizes, the same table.
	QuickEnv = "RAMDAX_BENCH_QUICK"
)

// Sections of the report, in its order.
const (
	Boot   = "boot"   // QEMU start and kernel start to the ready line
	Setup  = "setup"  // /init to ready for N namespaces, ramdaxinit and ndctl
	DAX    = "dax"    // bandwidth through devdax, fsdax and anonymous memory
	Size   = "size"   // bytes of the boot artifacts
	Kernel = "kernel" // kernel build time
	Note   = "note"   // a remark the report prints as it is (Text["note"])
)

// Row is one measurement: what was measured (Section, Name), how often
// (Samples, the value being their median) and under which accelerator,
// with named numbers and texts.
type Row struct {
	Section string             `json:"section"`
	Name    string             `json:"name"`
	Accel   string             `json:"accel,omitempty"`
	Samples int                `json:"samples,omitempty"`
	Values  map[string]float64 `json:"values,omitempty"`
	Text    map[string]string  `json:"text,omitempty"`
}

// Quick says whether $RAMDAX_BENCH_QUICK asks for a quick run.
func Quick() bool {
	q, _ := strconv.ParseBool(os.Getenv(QuickEnv))
	return q
}

// Record appends rows to $RAMDAX_BENCH_OUT, when it is set.
func Record(rows ...Row) error {
	path := os.Getenv(OutEnv)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("record benchmark: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("record benchmark %s/%s: %w", r.Section, r.Name, err)
		}
	}
	return f.Close()
}

// Read returns the rows of a JSON-lines file, in order.
func Read(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for n := 1; s.Scan(); n++ {
		var r Row
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		rows = append(rows, r)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}

// DAXResult is one line of guest/daxbench's output: one target's
// bandwidth, as the guest prints it and the host reads it.
type DAXResult struct {
	Target string `json:"target"`
	Path   string `json:"path,omitempty"`
	MiB    int    `json:"mib"`
	Passes int    `json:"passes"`
	// Median bandwidths over the passes, and that of the first pass,
	// which also faults the target's pages in, in MB/s (10^6 bytes).
	WriteMBs      float64 `json:"write_mbs"`
	ReadMBs       float64 `json:"read_mbs"`
	FirstWriteMBs float64 `json:"first_write_mbs"`
	// Medians of the per-pass ratios to the anonymous mapping, and the
	// first pass's ratio.
	WriteRatio      float64 `json:"write_ratio"`
	ReadRatio       float64 `json:"read_ratio"`
	FirstWriteRatio float64 `json:"first_write_ratio"`
	// From /proc/self/smaps: the mapping's page size (2 MiB for a devdax
	// device with align=2M, 4 KiB otherwise) and how much of an anonymous
	// mapping has transparent huge pages. smaps counts no huge pages in
	// a fsdax file, even where the fault maps them.
	PageKiB int `json:"page_kib"`
	HugeKiB int `json:"huge_kib"`
	// Aliased says the target is an even number of pages from the
	// source buffer, so that under TCG the two may share slots of QEMU's
	// direct-mapped TLB (see source): its numbers would be QEMU's.
	Aliased bool `json:"aliased"`
}
