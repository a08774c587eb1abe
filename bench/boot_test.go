package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Netflix/go-expect"
	"github.com/hugelgupf/vmtest/qemu"

	"github.com/ramdax/appliance/accel"
	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/vmtest"
)

// The lines a boot is ready at: ramdaxinit's, whose last field is its own
// time from start to ready, and the summary guest/scripts/run.sh
// writes to the kernel log once its tool is done. The scripts mark the
// tool's work with printk-stamped start and end lines; the end line is the
// ready moment of a script boot. A mark may land in the middle of a line
// the tool was still writing to the console, so it is not anchored.
var (
	ramdaxReady  = regexp.MustCompile(`ramdax: ready (\d+) namespaces \((\d+) created, (\d+) kept[^)]*\) in ([0-9.]+) s`)
	scriptReady  = regexp.MustCompile(`bench: ready (\d+) namespaces \((\d+) created, (\d+) kept\)`)
	scriptStart  = regexp.MustCompile(`\[\s*(\d+\.\d+)\] bench: start`)
	scriptEnd    = regexp.MustCompile(`\[\s*(\d+\.\d+)\] bench: end`)
	scriptFailed = regexp.MustCompile(`bench: failed .*`) // the console above it says why
	// ramdaxinit's line after the table: its time to ready, the kernel's
	// share of it, the kernel's answers to its reads, the time other
	// tasks had the CPU between its kernel calls, and its own time on
	// the CPU.
	ramdaxTime = regexp.MustCompile(`ramdax: time: ([0-9.]+) ms to ready, kernel ([0-9.]+) ms, reads ([0-9.]+) ms, other tasks ([0-9.]+) ms, ramdaxinit ([0-9.]+) ms`)
)

// bootResult is one boot, from QEMU's start to the ready line.
type bootResult struct {
	Namespaces, Created, Kept int
	// Wall is the host time from starting QEMU to the ready line reaching
	// the host's end of the serial console.
	Wall float64
	// KernelInit is the printk time of "Run /init as init process".
	KernelInit float64
	// KernelReady is the kernel time at the ready line: KernelInit plus
	// the host time between the two lines' arrival (see consoleClock).
	KernelReady float64
	// Setup is the tool's setup time: the printk time between a setup
	// script's start and end marks, or, for ramdaxinit as /init, its own
	// "in S s".
	Setup float64
	// RamdaxinitSetup is ramdaxinit's "in S s" wherever it ran, else 0.
	RamdaxinitSetup float64
	// KernelFloor is the part of RamdaxinitSetup spent in the kernel's
	// sysfs writes, binds and waits for probes, from ramdaxinit's time
	// line: the floor of any tool that makes the same calls.
	KernelFloor float64
	// Reads is the part of RamdaxinitSetup the kernel took to answer
	// ramdaxinit's reads of sysfs: attributes, links and listings.
	Reads float64
	// OtherTasks is the part of RamdaxinitSetup outside those calls in
	// which ramdaxinit was off the CPU: on one CPU, mkfs and the kernel's
	// threads finishing what its binds started. Own is the rest, ramdaxinit's own
	// time on the CPU; floor, others and own add up to RamdaxinitSetup.
	OtherTasks, Own float64
	// MarkEnd is the printk time of a setup script's end mark, else 0:
	// the exact value KernelReady estimates.
	MarkEnd float64
}

// bootToReady boots once, waits for ready (ramdaxReady or scriptReady),
// lets the guest power off and times the boot.
func bootToReady(tb testing.TB, name string, ready *regexp.Regexp, opts ...vmtest.Option) bootResult {
	tb.Helper()
	clock, start := runToPoweroff(tb, name, ready, opts...)
	r, err := timeBoot(clock, start, ready)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return r
}

// runToPoweroff boots, waits for ready and then for the guest to power
// off, and returns the console with the host time of each line, and when
// QEMU started. The console is also kept in build/bench/consoles.
func runToPoweroff(tb testing.TB, name string, ready *regexp.Regexp, opts ...vmtest.Option) (*consoleClock, time.Time) {
	tb.Helper()
	clock := &consoleClock{}
	saved := filepath.Join(vmtest.RepoRoot(tb), "build", "bench", "consoles", name+".log")
	vmtest.Accel(tb, vmtest.BuiltinKernel(tb)) // the KVM trial, once per test binary, is no part of a boot
	start := time.Now()
	vm := vmtest.Start(tb, name, append(opts, vmtest.WithQEMU(qemu.WithSerialOutput(clock)))...)
	_, err := vm.Console.Expect(expect.Regexp(ready), expect.Regexp(scriptFailed))
	if err != nil {
		vm.Kill()
	}
	waitErr := vm.Wait()
	if err := clock.save(saved, start); err != nil {
		tb.Logf("keep console: %v", err)
	}
	switch _, m, failed := clock.find(scriptFailed); {
	case err != nil:
		tb.Fatalf("%s: no ready line: %v (console in %s)", name, err, saved)
	case failed:
		tb.Fatalf("%s: %s (console in %s)", name, m[0], saved)
	case waitErr != nil:
		tb.Fatalf("%s: VM: %v (console in %s)", name, waitErr, saved)
	}
	return clock, start
}

// timeBoot reads a boot's times from its console.
func timeBoot(clock *consoleClock, start time.Time, ready *regexp.Regexp) (bootResult, error) {
	var r bootResult
	initAt, m, ok := clock.find(initLine)
	if !ok {
		return r, fmt.Errorf("no %q on the console", initLine)
	}
	r.KernelInit, _ = strconv.ParseFloat(m[1], 64)
	readyAt, m, ok := clock.find(ready)
	if !ok {
		return r, fmt.Errorf("no %q on the console", ready)
	}
	r.Namespaces, _ = strconv.Atoi(m[1])
	r.Created, _ = strconv.Atoi(m[2])
	r.Kept, _ = strconv.Atoi(m[3])
	if _, m, ok := clock.find(ramdaxReady); ok {
		r.RamdaxinitSetup, _ = strconv.ParseFloat(m[4], 64)
		r.Setup = r.RamdaxinitSetup
	}
	if _, m, ok := clock.find(ramdaxTime); ok {
		ms, _ := strconv.ParseFloat(m[2], 64)
		r.KernelFloor = ms / 1000
		ms, _ = strconv.ParseFloat(m[3], 64)
		r.Reads = ms / 1000
		ms, _ = strconv.ParseFloat(m[4], 64)
		r.OtherTasks = ms / 1000
		ms, _ = strconv.ParseFloat(m[5], 64)
		r.Own = ms / 1000
	}
	if ready == scriptReady {
		begin, end, endLine, err := scriptMarks(clock)
		if err != nil {
			return r, err
		}
		readyAt, r.MarkEnd, r.Setup = endLine, end, end-begin
	}
	r.Wall = readyAt.At.Sub(start).Seconds()
	r.KernelReady = r.KernelInit + readyAt.At.Sub(initAt.At).Seconds()
	return r, nil
}

// scriptMarks finds a setup script's marks: the printk times of the start
// and end lines, and the end line.
func scriptMarks(clock *consoleClock) (begin, end float64, endLine stampedLine, err error) {
	_, m, ok := clock.find(scriptStart)
	if !ok {
		return 0, 0, endLine, fmt.Errorf("no %q on the console", scriptStart)
	}
	begin, _ = strconv.ParseFloat(m[1], 64)
	endLine, m, ok = clock.find(scriptEnd)
	if !ok {
		return 0, 0, endLine, fmt.Errorf("no %q on the console", scriptEnd)
	}
	end, _ = strconv.ParseFloat(m[1], 64)
	return begin, end, endLine, nil
}

// bootSetup is one way to reach the ready line on the default layout.
type bootSetup struct {
	key, label string
	kernel     func(testing.TB) string
	image      string
	ready      *regexp.Regexp
	// lazyRAM boots on RAM the host backs only at the first touch of a
	// page, as QEMU's own RAM is (ram_test.go): the rig's cost, shown
	// beside the rest for comparison.
	lazyRAM bool
}

var bootSetups = []bootSetup{
	{"builtin-ramdaxinit", "built-in kernel + ramdaxinit", vmtest.BuiltinKernel, imgApplianceBuiltin, ramdaxReady, false},
	{"distro-ramdaxinit", "Debian kernel + modules + ramdaxinit", distroVmlinuz, imgApplianceDistro, ramdaxReady, false},
	{"distro-ndctl", "Debian kernel + modules + ndctl script", distroVmlinuz, imgNdctlDistro, scriptReady, false},
	{"builtin-ramdaxinit-lazy", "built-in kernel + ramdaxinit, RAM not backed first", vmtest.BuiltinKernel, imgApplianceBuiltin, ramdaxReady, true},
}

// BaselineKernelEnv names a built-in kernel to boot side by side with the
// current one, such as the VM-only kernel from before the server groups
// (a bzImage from an older kernel cache entry): the report then holds the
// current kernel's time to /init against it.
const BaselineKernelEnv = "RAMDAX_BASELINE_KERNEL"

// baselineKey names the baseline kernel's boot rows.
const baselineKey = "baseline-ramdaxinit"

// setupsToBoot are bootSetups, and the baseline kernel when one is named.
func setupsToBoot() []bootSetup {
	path := os.Getenv(BaselineKernelEnv)
	if path == "" {
		return bootSetups
	}
	baseline := bootSetup{baselineKey, "baseline kernel (" + BaselineKernelEnv + ") + ramdaxinit",
		func(testing.TB) string { return path }, imgApplianceBuiltin, ramdaxReady, false}
	return append(slices.Clone(bootSetups), baseline)
}

func distroVmlinuz(tb testing.TB) string {
	vmlinuz, _ := vmtest.DistroKernel(tb)
	return vmlinuz
}

// defaultLayout is make run's: a fsdax namespace with ext4 mounted with
// DAX, a devdax one and a raw rest, in a 528 MiB carveout at 1 GiB. The
// ndctl script reads the same ramdax.ns= parameters.
func defaultLayout() []vmtest.Option {
	return []vmtest.Option{vmtest.WithMemory("2G"), vmtest.WithCmdline(append(strings.Fields(image.DefaultLayout), "ramdax.then=poweroff")...)}
}

// defaultLayoutRAM backs defaultLayout's 2 GiB with a file the host has
// backed, its carveout zeroed for a first boot.
func defaultLayoutRAM(tb testing.TB) vmtest.Option {
	lay, err := layout.Parse(image.DefaultLayout)
	if err != nil || len(lay.Carveouts) != 1 {
		tb.Fatalf("default layout %q: %v", image.DefaultLayout, err)
	}
	c := lay.Carveouts[0]
	return onBackedRAM(tb, backedRAM(tb, 2<<30, int64(c.Start), int64(c.Size)))
}

// benchBoot boots each setup boots times under accel, round robin so that
// a change in the machine's load falls on all of them alike, and records
// the medians.
func benchBoot(b *testing.B, accel string, boots int) {
	setups := setupsToBoot()
	results := make([][]bootResult, len(setups))
	for i := range boots {
		for j, s := range setups {
			kernel := s.kernel(b)
			opts := append(defaultLayout(), vmtest.WithKernel(kernel), vmtest.WithInitramfs(imageFor(b, s.image).Compressed), vmtest.WithAccel(accel))
			if !s.lazyRAM {
				opts = append(opts, defaultLayoutRAM(b))
			}
			r := bootToReady(b, fmt.Sprintf("%s-%d", s.key, i), s.ready, opts...)
			if r.Namespaces != 3 || r.Created != 3 {
				b.Fatalf("%s: ready with %d namespaces, %d created: want 3 created", s.key, r.Namespaces, r.Created)
			}
			b.Logf("bench: boot %d/%d %s (%s): QEMU start to ready %.2f s, kernel to ready %.2f s",
				i+1, boots, s.key, accel, r.Wall, r.KernelReady)
			results[j] = append(results[j], r)
		}
	}
	for j, s := range setups {
		row := bootRow(s, accel, results[j])
		recordRow(b, row)
		b.ReportMetric(row.Values["wall"], accel+"-"+s.key+"-s-wall")
		b.ReportMetric(row.Values["kernel_ready"], accel+"-"+s.key+"-s-kernel-ready")
	}
}

// serverPrefix names the boot rows of the server machine.
const serverPrefix = "server/"

// serverSetups are the ways to boot the server machine: the built-in
// kernel, and Debian's generic kernel, which has its hardware as modules.
var serverSetups = []bootSetup{
	bootSetups[0],
	{"generic-ramdaxinit", "Debian generic kernel + modules + ramdaxinit", genericVmlinuz, imgApplianceGeneric, ramdaxReady, false},
}

func genericVmlinuz(tb testing.TB) string {
	vmlinuz, _ := vmtest.GenericDistroKernel(tb)
	return vmlinuz
}

// benchServerBoot boots serverSetups on ServerHardware under TCG, boots
// times each, round robin, and records the medians. Its two NUMA nodes
// have a RAM backend each, which the host backs at first touch: these
// boots compare the kernels with each other, not with the default VM.
func benchServerBoot(b *testing.B, boots int) {
	setups := serverSetups
	results := make([][]bootResult, len(setups))
	for i := range boots {
		for j, s := range setups {
			opts := append(append(vmtest.ServerHardware(), defaultLayout()...), vmtest.WithKernel(s.kernel(b)),
				vmtest.WithInitramfs(imageFor(b, s.image).Compressed), vmtest.WithAccel("tcg"))
			r := bootToReady(b, fmt.Sprintf("server-%s-%d", s.key, i), s.ready, opts...)
			if r.Created != 3 {
				b.Fatalf("server %s: ready with %d created: want 3", s.key, r.Created)
			}
			b.Logf("bench: server boot %d/%d %s: kernel to /init %.2f s, to ready %.2f s", i+1, boots, s.key, r.KernelInit, r.KernelReady)
			results[j] = append(results[j], r)
		}
	}
	for j, s := range setups {
		row := bootRow(s, "tcg", results[j])
		row.Name = serverPrefix + s.key
		recordRow(b, row)
		b.ReportMetric(row.Values["kernel_init"], "server-"+s.key+"-s-kernel-init")
	}
}

// bootRow is the medians of a setup's boots.
func bootRow(s bootSetup, accel string, rs []bootResult) Row {
	med := func(f func(bootResult) float64) float64 { return median(rs, f) }
	values := map[string]float64{
		"wall":          med(func(r bootResult) float64 { return r.Wall }),
		"kernel_init":   med(func(r bootResult) float64 { return r.KernelInit }),
		"kernel_ready":  med(func(r bootResult) float64 { return r.KernelReady }),
		"init_to_ready": med(func(r bootResult) float64 { return r.KernelReady - r.KernelInit }),
		"setup":         med(func(r bootResult) float64 { return r.Setup }),
	}
	if rs[0].KernelFloor > 0 {
		values["floor"] = med(func(r bootResult) float64 { return r.KernelFloor })
		values["reads"] = med(func(r bootResult) float64 { return r.Reads })
		values["others"] = med(func(r bootResult) float64 { return r.OtherTasks })
		values["own"] = med(func(r bootResult) float64 { return r.Own })
	}
	if rs[0].MarkEnd > 0 {
		// How far the console-clock estimate is from the printk truth.
		values["estimate_error"] = med(func(r bootResult) float64 { return r.KernelReady - r.MarkEnd })
	}
	return Row{Section: Boot, Name: s.key, Accel: accel, Samples: len(rs), Values: values,
		Text: map[string]string{"label": s.label}}
}

// median is the median of f over xs (the mean of the middle two for an
// even count).
func median[T any](xs []T, f func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = f(x)
	}
	slices.Sort(vs)
	n := len(vs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// accels are the accelerators the boot benchmark runs under: TCG always,
// KVM too where it works. The reason KVM is not used goes in the report.
func accels(tb testing.TB) (list []string, whyNotKVM string) {
	if vmtest.Accel(tb, vmtest.BuiltinKernel(tb)) == "kvm" {
		return []string{"tcg", "kvm"}, ""
	}
	switch {
	case os.Getenv(accel.Env) != "":
		return []string{"tcg"}, accel.Env + "=" + os.Getenv(accel.Env) + " skipped the KVM trial"
	case !accel.KVMOpens():
		return []string{"tcg"}, "no usable /dev/kvm"
	}
	return []string{"tcg"}, "/dev/kvm opens, but a trial boot under KVM failed"
}

// recordRow hands a row to the report, failing the benchmark if it cannot.
func recordRow(tb testing.TB, rows ...Row) {
	tb.Helper()
	if err := Record(rows...); err != nil {
		tb.Fatal(err)
	}
}
