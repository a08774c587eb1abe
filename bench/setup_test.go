package bench

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/vmtest"
)

// The setup benchmark's tools, as run.sh's bench.tool= names them.
var setupTools = []string{"ramdaxinit", "ndctl"}

// scaleMachine is the machine of the setup benchmark for n
// namespaces of 16 MiB: the built-in kernel and one carveout of n×16 MiB
// plus the label area at 4 GiB, above QEMU's PCI hole, which starts at
// 3 GiB once the guest has 3.5 GiB or more, so that 509 of them (8 GiB)
// fit. The guest gets the 3 GiB below the hole, the carveout rounded up
// to GiB, and 1 GiB above it, all backed by ramFile.
func scaleMachine(tb testing.TB, n int, ramFile string) []vmtest.Option {
	return []vmtest.Option{
		vmtest.WithKernel(vmtest.BuiltinKernel(tb)), vmtest.WithMemory(fmt.Sprintf("%dG", scaleMemory(n)>>30)),
		vmtest.WithCarveout(fmt.Sprintf("%dK", carveoutSize(n)>>10), "4G"), onBackedRAM(tb, ramFile),
	}
}

// carveoutSize is the carveout of n namespaces and the label area, in
// bytes.
func carveoutSize(n int) int64 { return int64(n)*16<<20 + 128<<10 }

// scaleMemory is the scale machine's RAM for n namespaces, in bytes.
func scaleMemory(n int) int64 {
	const gib = 1 << 30
	return belowHole + (carveoutSize(n)+gib-1)/gib*gib + gib
}

// belowHole is where QEMU's RAM above 4 GiB starts in the RAM file: the
// guest's 3 GiB below the PCI hole come first.
const belowHole = 3 << 30

// setupOptions boots the scale machine for tool and the ready line to
// wait for. ramdaxinit takes the real boot path: the appliance image as
// /init, with the layout as a bootconfig, which holds every N a region
// has slots for. ndctl's script takes N from bench.raw= and the mode
// from bench.mode=.
func setupOptions(tb testing.TB, n int, mode, tool, ramFile string) ([]vmtest.Option, *regexp.Regexp) {
	// ndctl at 256 takes minutes under TCG: a second per namespace on top
	// of the default limit.
	opts := append(scaleMachine(tb, n, ramFile), vmtest.WithTimeout(vmtest.DefaultTimeout+time.Duration(n)*time.Second))
	if tool != "ramdaxinit" {
		return append(opts, vmtest.WithInitramfs(imageFor(tb, imgScaleBuiltin).CPIO),
			vmtest.WithCmdline("bench.tool="+tool, fmt.Sprintf("bench.raw=%d", n), "bench.mode="+mode)), scriptReady
	}
	footer, err := bootconfig.Footer(vmtest.Namespaces("ns", mode, n), 0)
	if err != nil {
		tb.Fatal(err)
	}
	initramfs := vmtest.InitramfsWithTail(tb, imageFor(tb, imgApplianceBuiltin).CPIO, footer)
	return append(opts, vmtest.WithInitramfs(initramfs), vmtest.WithCmdline("ramdax.then=poweroff")), ramdaxReady
}

// setupRun is one tool's boots over the same RAM: the first creates n
// namespaces, the others find and keep them. A keep changes nothing, so
// each keep boot finds what the create left.
type setupRun struct {
	Create bootResult
	Keeps  []bootResult
}

// keeps returns the keep boots of all runs.
func keeps(runs []setupRun) []bootResult {
	var all []bootResult
	for _, r := range runs {
		all = append(all, r.Keeps...)
	}
	return all
}

// benchSetupScale times both tools on n namespaces of mode, rounds times
// each, the tools taking turns, and records the medians. ramdaxinit's
// rows also hold its own clock and the kernel's share of it, the floor.
func benchSetupScale(b *testing.B, mode string, n, rounds int) {
	runs := map[string][]setupRun{}
	for round := range rounds {
		for _, tool := range setupTools {
			r := setupOnce(b, tool, mode, n, fmt.Sprintf("%s-%s-%d-%d", tool, mode, n, round), keepBoots())
			runs[tool] = append(runs[tool], r)
		}
	}
	for _, tool := range setupTools {
		rs, ks := runs[tool], keeps(runs[tool])
		values := map[string]float64{
			"n":          float64(n),
			"keep_boots": float64(len(ks)),
			"create":     median(rs, func(r setupRun) float64 { return r.Create.Setup }),
			"keep":       median(ks, func(r bootResult) float64 { return r.Setup }),
		}
		if tool == "ramdaxinit" {
			values["create_self"] = median(rs, func(r setupRun) float64 { return r.Create.RamdaxinitSetup })
			values["keep_self"] = median(ks, func(r bootResult) float64 { return r.RamdaxinitSetup })
			values["create_floor"] = median(rs, func(r setupRun) float64 { return r.Create.KernelFloor })
			values["keep_floor"] = median(ks, func(r bootResult) float64 { return r.KernelFloor })
			values["create_reads"] = median(rs, func(r setupRun) float64 { return r.Create.Reads })
			values["keep_reads"] = median(ks, func(r bootResult) float64 { return r.Reads })
			values["create_others"] = median(rs, func(r setupRun) float64 { return r.Create.OtherTasks })
			values["keep_others"] = median(ks, func(r bootResult) float64 { return r.OtherTasks })
		}
		recordRow(b, Row{Section: Setup, Name: tool, Accel: vmtest.Accel(b, vmtest.BuiltinKernel(b)), Samples: len(rs),
			Values: values, Text: map[string]string{"mode": mode}})
		b.ReportMetric(values["create"], tool+"-s-create")
		b.ReportMetric(values["keep"], tool+"-s-keep")
		b.ReportMetric(values["create"]/float64(n)*1000, tool+"-ms-create/ns")
	}
}

// setupOnce boots on RAM the host has backed, over a zeroed carveout:
// tool creates n namespaces of mode, then finds them in each of keeps
// boots.
func setupOnce(b *testing.B, tool, mode string, n int, name string, keeps int) setupRun {
	ram := backedRAM(b, scaleMemory(n), belowHole, carveoutSize(n))
	opts, ready := setupOptions(b, n, mode, tool, ram)
	run := setupRun{Create: fromInit(bootToReady(b, name+"-create", ready, opts...), ready)}
	checkSetup(b, name+" first boot", run.Create, n, n, 0)
	b.Logf("bench: %s: create %s", name, timeOf(tool, run.Create))
	for i := range keeps {
		boot := fmt.Sprintf("%s-keep%s", name, keepSuffix(i))
		keep := fromInit(bootToReady(b, boot, ready, opts...), ready)
		checkSetup(b, boot, keep, n, 0, n)
		b.Logf("bench: %s: keep %s", boot, timeOf(tool, keep))
		run.Keeps = append(run.Keeps, keep)
	}
	return run
}

// timeOf formats a boot's setup time, with the kernel's shares for
// ramdaxinit, whose time line has them.
func timeOf(tool string, r bootResult) string {
	if tool != "ramdaxinit" {
		return fmt.Sprintf("%.3f s", r.Setup)
	}
	return fmt.Sprintf("%.3f s (floor %.3f, reads %.3f, other tasks %.3f)", r.Setup, r.KernelFloor, r.Reads, r.OtherTasks)
}

// keepBoots is how many keep boots follow each create. A keep changes
// nothing, so three boots on one create's RAM cost no create, and a keep
// row is the median of three times as many boots as its create row: one
// keep of a few tenths of a second moved by more than the margin between
// the tools, and the first keep after a create was often the slow one.
func keepBoots() int {
	if Quick() {
		return 1
	}
	return 3
}

// keepSuffix names the second and later keep boots of a run apart from
// the first, whose console keeps the name it always had.
func keepSuffix(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf("-%d", i)
}

// fromInit makes the setup time of ramdaxinit as /init the time from the
// kernel running /init to the ready line, so that, as the ndctl script's
// marks do, it includes the start of the process.
func fromInit(r bootResult, ready *regexp.Regexp) bootResult {
	if ready == ramdaxReady {
		r.Setup = r.KernelReady - r.KernelInit
	}
	return r
}

// checkSetup fails the benchmark unless the boot ended with n namespaces,
// created of them made and kept kept.
func checkSetup(tb testing.TB, what string, r bootResult, n, created, kept int) {
	tb.Helper()
	if r.Namespaces != n || r.Created != created || r.Kept != kept {
		tb.Fatalf("%s: ready with %d namespaces (%d created, %d kept): want %d (%d created, %d kept)",
			what, r.Namespaces, r.Created, r.Kept, n, created, kept)
	}
}
