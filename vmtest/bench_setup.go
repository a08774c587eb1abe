package vmtest

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ramdax/appliance/vmtest/bench"
)

// The setup benchmark's tools, as run.sh's bench.tool= names them.
var setupTools = []string{"ramdaxinit", "ndctl"}

// scaleOptions boots the built-in kernel with the scale image, RAM backed
// by ramFile, and n raw namespaces of 16 MiB for tool to set up in one
// carveout of n×16 MiB plus the label area at 4 GiB: above QEMU's PCI
// hole, which starts at 3 GiB once the guest has 3.5 GiB or more, so that
// 256 of them (4 GiB) fit. The guest gets the 3 GiB below the hole, the
// carveout rounded up to GiB, and 1 GiB above it.
func scaleOptions(tb testing.TB, n int, tool, ramFile string) []Option {
	const gib = 1 << 20 // in KiB
	carveout := n*16<<10 + 128
	memory := 3 + (carveout+gib-1)/gib + 1
	return []Option{
		WithKernel(BuiltinKernel(tb)), WithInitramfs(imageFor(tb, imgScaleBuiltin).CPIO),
		WithMemory(fmt.Sprintf("%dG", memory)), WithCarveout(fmt.Sprintf("%dK", carveout), "4G"),
		WithPersistentRAM(ramFile), WithCmdline("bench.tool="+tool, fmt.Sprintf("bench.raw=%d", n)),
	}
}

// setupRun is one tool's two boots over the same RAM: the first creates n
// namespaces, the second finds and keeps them.
type setupRun struct {
	Create, Keep bootResult
}

// benchSetupScale times both tools on n namespaces, rounds times each, the
// tools taking turns, and records the medians.
func benchSetupScale(b *testing.B, n, rounds int) {
	runs := map[string][]setupRun{}
	for round := range rounds {
		for _, tool := range setupTools {
			r := setupOnce(b, tool, n, fmt.Sprintf("%s-%d-%d", tool, n, round))
			runs[tool] = append(runs[tool], r)
		}
	}
	for _, tool := range setupTools {
		rs := runs[tool]
		create := median(rs, func(r setupRun) float64 { return r.Create.Setup })
		keep := median(rs, func(r setupRun) float64 { return r.Keep.Setup })
		values := map[string]float64{"n": float64(n), "create": create, "keep": keep}
		if tool == "ramdaxinit" {
			values["create_self"] = median(rs, func(r setupRun) float64 { return r.Create.RamdaxinitSetup })
			values["keep_self"] = median(rs, func(r setupRun) float64 { return r.Keep.RamdaxinitSetup })
		}
		recordRow(b, bench.Row{Section: bench.Setup, Name: tool, Accel: Accel(b, BuiltinKernel(b)), Samples: len(rs), Values: values})
		b.ReportMetric(create, tool+"-s-create")
		b.ReportMetric(keep, tool+"-s-keep")
		b.ReportMetric(create/float64(n)*1000, tool+"-ms-create/ns")
	}
}

// setupOnce boots twice over fresh RAM: tool creates n namespaces, then
// finds them.
func setupOnce(b *testing.B, tool string, n int, name string) setupRun {
	opts := scaleOptions(b, n, tool, filepath.Join(b.TempDir(), "ram"))
	create := bootToReady(b, name+"-create", scriptReady, opts...)
	checkSetup(b, name+" first boot", create, n, n, 0)
	keep := bootToReady(b, name+"-keep", scriptReady, opts...)
	checkSetup(b, name+" second boot", keep, n, 0, n)
	b.Logf("bench: %s: create %.3f s, keep %.3f s", name, create.Setup, keep.Setup)
	return setupRun{create, keep}
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
