// ramdaxctl lists and changes persistent-memory namespaces, as ndctl and
// daxctl do, by writing the libnvdimm sysfs attributes directly.
//
// Synopsis:
//
//	ramdaxctl [-v] [--sysfs DIR] COMMAND [ARGS]
//
// Commands:
//
//	enable-ramdax
//	    hand the memmap= ranges (platform device e820_pmem) to ramdax
//	list [--json]
//	    show buses, DIMMs, regions and namespaces; --json uses ndctl's names,
//	    with a region's numa_node and target_node when the kernel shows them
//	create-namespace [-r REGION] [-m MODE] [-s SIZE] [-n NAME] [-a ALIGN] [-M MAP] [-l SECTOR_SIZE]
//	    create a raw, fsdax (default), devdax or sector namespace and print it
//	destroy-namespace [-f] NAMESPACE|NAME|UUID|DEV
//	    free a namespace; -f disables an enabled one first
//	reconfigure -m system-ram|devdax DEV
//	    give a devdax device to the kernel as memory (kmem), or take it back
//
// Options:
//
//	-v, --verbose   log every sysfs write to stderr
//	--sysfs DIR     sysfs root (default /sys)
//
// Sizes take binary suffixes: 512M, 2G, 4K.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ramdax/appliance/nvdimm"
)

const usage = `usage: ramdaxctl [-v] [--sysfs DIR] COMMAND [ARGS]
commands:
  enable-ramdax
  list [--json]
  create-namespace [-r REGION] [-m raw|fsdax|devdax|sector] [-s SIZE] [-n NAME] [-a ALIGN] [-M mem|dev] [-l SECTOR_SIZE]
  destroy-namespace [-f] NAMESPACE|NAME|UUID|DEV
  reconfigure -m system-ram|devdax DEV
COMMAND -h shows the command's flags.
`

// errUsage is the one-line reason for a command line that names no
// command; -h prints the whole usage.
var errUsage = errors.New("no command: want enable-ramdax, list, create-namespace, destroy-namespace or reconfigure (see ramdaxctl -h)")

// command is one subcommand: it parses its own arguments.
type command func(s *nvdimm.Sysfs, stdout io.Writer, args []string) error

var commands = map[string]command{
	"enable-ramdax":     enableRamdax,
	"list":              list,
	"create-namespace":  createNamespace,
	"destroy-namespace": destroyNamespace,
	"reconfigure":       reconfigure,
}

func run(stdout io.Writer, args []string) error {
	f := flag.NewFlagSet("ramdaxctl", flag.ContinueOnError)
	f.SetOutput(io.Discard)
	verbose := f.Bool("verbose", false, "log every sysfs write")
	f.BoolVar(verbose, "v", false, "log every sysfs write (shorthand)")
	root := f.String("sysfs", "/sys", "sysfs root")
	err := f.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) || f.Arg(0) == "help" {
		_, err = fmt.Fprint(stdout, usage)
		return err
	}
	if err != nil {
		return err
	}
	if f.NArg() == 0 {
		return errUsage
	}
	cmd, ok := commands[f.Arg(0)]
	if !ok {
		return fmt.Errorf("unknown command %q (see ramdaxctl -h)", f.Arg(0))
	}
	s := nvdimm.New(*root)
	if *verbose {
		s.Logf = log.New(os.Stderr, "ramdaxctl: ", 0).Printf
	}
	if err := cmd(s, stdout, f.Args()[1:]); !errors.Is(err, errHelpShown) {
		return err
	}
	return nil
}

func main() {
	if err := run(os.Stdout, os.Args); err != nil {
		log.Fatalf("ramdaxctl: %v", err)
	}
}

// errHelpShown tells run that a command printed its help and has nothing
// else to do.
var errHelpShown = errors.New("help shown")

// parse parses flags that may come before or after positional arguments,
// as ndctl allows ("destroy-namespace ns0 --force"), and returns the
// positional ones. On -h it prints the command's flags to stdout.
func parse(stdout io.Writer, f *flag.FlagSet, args []string) ([]string, error) {
	f.SetOutput(io.Discard)
	var positional []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage of %s:\n", f.Name())
			f.SetOutput(stdout)
			f.PrintDefaults()
			return nil, errHelpShown
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if f.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, f.Arg(0))
		args = f.Args()[1:]
	}
}

func enableRamdax(s *nvdimm.Sysfs, stdout io.Writer, args []string) error {
	if _, err := parse(stdout, flag.NewFlagSet("enable-ramdax", flag.ContinueOnError), args); err != nil {
		return err
	}
	bus, err := s.BindRamdax()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: provider %s\n", bus.Dev, bus.Provider)
	return err
}

func list(s *nvdimm.Sysfs, stdout io.Writer, args []string) error {
	f := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := f.Bool("json", false, "print JSON with ndctl's field names")
	f.BoolVar(asJSON, "j", false, "print JSON (shorthand)")
	if _, err := parse(stdout, f, args); err != nil {
		return err
	}
	l, err := s.List()
	if l == nil {
		return err
	}
	// What can be read is shown; the unreadable namespaces are the error.
	show := printTable
	if *asJSON {
		show = func(w io.Writer, _ *nvdimm.Sysfs, l *nvdimm.Listing) error { return printJSON(w, l) }
	}
	return errors.Join(show(stdout, s, l), err)
}

// sizeFlag is a flag.Value for sizes with binary suffixes.
type sizeFlag uint64

func (v *sizeFlag) String() string { return strconv.FormatUint(uint64(*v), 10) }

func (v *sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	*v = sizeFlag(n)
	return err
}

func createNamespace(s *nvdimm.Sysfs, stdout io.Writer, args []string) error {
	var spec nvdimm.NamespaceSpec
	var mode string
	f := flag.NewFlagSet("create-namespace", flag.ContinueOnError)
	for _, name := range []string{"r", "region"} {
		f.StringVar(&spec.Region, name, "", "region to create the namespace in")
	}
	for _, name := range []string{"m", "mode"} {
		f.StringVar(&mode, name, string(nvdimm.ModeFsdax), "raw, fsdax, devdax or sector")
	}
	for _, name := range []string{"n", "name"} {
		f.StringVar(&spec.Name, name, "", "namespace name (label alt_name)")
	}
	for _, name := range []string{"M", "map"} {
		f.StringVar(&spec.Map, name, "", "where struct pages live: mem or dev")
	}
	for _, name := range []string{"u", "uuid"} {
		f.StringVar(&spec.UUID, name, "", "namespace uuid")
	}
	for _, size := range []struct {
		short, long string
		value       *uint64
		usage       string
	}{
		{"s", "size", &spec.Size, "bytes to allocate, K/M/G/T suffixes (default: the largest free extent)"},
		{"a", "align", &spec.Align, "fsdax or devdax page size (default 2M)"},
		{"l", "sector-size", &spec.SectorSize, "logical block size: 512 or 4096 (sector mode: default 4096)"},
	} {
		f.Var((*sizeFlag)(size.value), size.short, size.usage)
		f.Var((*sizeFlag)(size.value), size.long, size.usage)
	}
	pos, err := parse(stdout, f, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("create-namespace takes no arguments, got %q", pos)
	}
	spec.Mode = nvdimm.Mode(mode)
	ns, err := s.CreateNamespace(spec)
	if err != nil {
		return err
	}
	return printJSON(stdout, ns)
}

func destroyNamespace(s *nvdimm.Sysfs, stdout io.Writer, args []string) error {
	f := flag.NewFlagSet("destroy-namespace", flag.ContinueOnError)
	force := f.Bool("force", false, "disable an enabled namespace first")
	f.BoolVar(force, "f", false, "disable an enabled namespace first (shorthand)")
	pos, err := parse(stdout, f, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: destroy-namespace [-f] NAMESPACE|NAME|UUID|DEV")
	}
	if err := s.DestroyNamespace(pos[0], *force); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "destroyed %s\n", pos[0])
	return err
}

// daxDevice is daxctl's JSON for a reconfigured device.
type daxDevice struct {
	CharDev         string `json:"chardev"`
	Size            uint64 `json:"size"`
	Mode            string `json:"mode"`
	OnlineMemBlocks int    `json:"online_memblocks"`
	TotalMemBlocks  int    `json:"total_memblocks"`
}

func reconfigure(s *nvdimm.Sysfs, stdout io.Writer, args []string) error {
	f := flag.NewFlagSet("reconfigure", flag.ContinueOnError)
	mode := f.String("mode", "", "system-ram or devdax")
	f.StringVar(mode, "m", "", "system-ram or devdax (shorthand)")
	pos, err := parse(stdout, f, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *mode == "" {
		return fmt.Errorf("usage: reconfigure -m system-ram|devdax DEV")
	}
	ns, err := s.Reconfigure(pos[0], *mode)
	if err != nil {
		return err
	}
	out := daxDevice{CharDev: ns.CharDev, Size: ns.Size, Mode: ns.DaxMode}
	blocks, err := s.MemoryBlocks(ns.CharDev)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		out.TotalMemBlocks++
		if b.State != "offline" {
			out.OnlineMemBlocks++
		}
	}
	return printJSON(stdout, out)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable prints a listing for people: one table per kind of device.
func printTable(stdout io.Writer, s *nvdimm.Sysfs, l *nvdimm.Listing) error {
	w := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "BUS\tPROVIDER")
	for _, b := range l.Buses {
		fmt.Fprintf(w, "%s\t%s\n", b.Dev, b.Provider)
	}
	fmt.Fprintln(w, "\nDIMM\tSTATE\tLABEL SLOTS FREE")
	for _, d := range l.DIMMs {
		fmt.Fprintf(w, "%s\t%s\t%d\n", d.Dev, d.State, d.AvailableSlots)
	}
	fmt.Fprintln(w, "\nREGION\tSIZE\tAVAILABLE\tMAX EXTENT\tALIGN\tDIMMS\tNUMA NODE\tSTATE")
	for _, r := range l.Regions {
		var dimms []string
		for _, m := range r.Mappings {
			dimms = append(dimms, m.DIMM)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Dev, nvdimm.FormatSize(r.Size),
			nvdimm.FormatSize(r.AvailableSize), nvdimm.FormatSize(r.MaxAvailableExtent),
			nvdimm.FormatSize(r.Align), strings.Join(dimms, ","), nodeText(r.NumaNode), r.State)
	}
	fmt.Fprintln(w, "\nNAMESPACE\tMODE\tMAP\tSIZE\tALIGN\tDEVICE\tNAME\tSTATE")
	for _, ns := range l.Namespaces {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ns.Dev, nsMode(ns), dash(ns.Map),
			nvdimm.FormatSize(ns.Size), alignText(ns.Align), dash(s.DevicePath(&ns)), dash(ns.Name), ns.State)
	}
	return w.Flush()
}

// nsMode shows a devdax namespace given to kmem as system-ram.
func nsMode(ns nvdimm.Namespace) string {
	if ns.DaxMode == nvdimm.DaxModeSystemRAM {
		return string(ns.Mode) + "(" + ns.DaxMode + ")"
	}
	return string(ns.Mode)
}

// nodeText shows a NUMA node, or "-" where the kernel shows none.
func nodeText(n int) string {
	if n == nvdimm.NoNode {
		return "-"
	}
	return strconv.Itoa(n)
}

func alignText(n uint64) string {
	if n == 0 {
		return "-"
	}
	return nvdimm.FormatSize(n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseSize reads "4096", "0x1000", "512M", "2G", "16MiB", "1GB".
func parseSize(s string) (uint64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	shift := 0
	for i, unit := range []string{"K", "M", "G", "T"} {
		for _, suffix := range []string{unit + "IB", unit + "B", unit} {
			if strings.HasSuffix(t, suffix) {
				t, shift = strings.TrimSuffix(t, suffix), 10*(i+1)
				break
			}
		}
		if shift > 0 {
			break
		}
	}
	n, err := strconv.ParseUint(t, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number with an optional K, M, G or T suffix", s)
	}
	if n > (^uint64(0))>>shift {
		return 0, fmt.Errorf("size %q overflows", s)
	}
	return n << shift, nil
}
