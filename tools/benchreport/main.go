// benchreport renders the benchmark rows `make bench` records as one
// plain-text table on stdout and writes BENCHMARKS.md: the table, the
// command, the machine, the kernels, the commit and the date, and how each
// number is measured.
//
// Synopsis:
//
//	benchreport -in FILE [-o BENCHMARKS.md] [-command CMD] [-started UNIX] [-quick] [-build DIR]
//
// Description:
//
//	FILE holds JSON lines, one bench.Row each, as the benchmarks
//	in vmtest append them to $RAMDAX_BENCH_OUT. -started is when the
//	command began, in Unix seconds, to report its wall time; -quick says
//	the run was `make bench QUICK=1`, which the report then says at the
//	top. -build is the build directory, for the kernels' manifests.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/ramdax/appliance/bench"
)

// config is what the command line asks for.
type config struct {
	in, out, command, build string
	started                 int64
	quick                   bool
}

func parse(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&c.in, "in", "", "benchmark rows, JSON lines (`file`)")
	fs.StringVar(&c.out, "o", "", "write the report to this markdown `file` too")
	fs.StringVar(&c.command, "command", "make bench", "the `command` that ran the benchmarks")
	fs.StringVar(&c.build, "build", "build", "build `dir` with kernel/manifest and distro/manifest")
	fs.Int64Var(&c.started, "started", 0, "when the command started, Unix `seconds`")
	fs.BoolVar(&c.quick, "quick", false, "the run was a quick one (QUICK=1)")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if c.in == "" {
		return nil, fmt.Errorf("-in is required")
	}
	return c, nil
}

func run(stdout io.Writer, args []string) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	rows, err := bench.Read(c.in)
	if err != nil {
		return err
	}
	now := time.Now()
	r := &report{rows: rows, meta: gatherMeta(c, now)}
	table := r.table()
	if _, err := io.WriteString(stdout, table); err != nil {
		return err
	}
	if c.out == "" {
		return nil
	}
	if err := os.WriteFile(c.out, []byte(r.markdown(table)), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(stdout, "\nbenchreport: wrote %s\n", c.out)
	return nil
}

func main() {
	if err := run(os.Stdout, os.Args); err != nil {
		log.Fatalf("benchreport: %v", err)
	}
}
