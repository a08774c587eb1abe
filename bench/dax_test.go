package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/vmtest"
)

// benchDAX boots the built-in kernel with the default layout set up by
// ramdaxinit, runs daxbench in the guest and records its bandwidths and
// their ratios to the anonymous mapping's. QEMU allocates all guest RAM
// up front (-mem-prealloc): otherwise the first touch of a page the guest
// never used, which the carveout's pages all are, costs a page fault in
// the host, and the first-write numbers would time QEMU's host, not the
// guest's fault path.
func benchDAX(b *testing.B, passes int) []DAXResult {
	opts := []vmtest.Option{vmtest.WithKernel(vmtest.BuiltinKernel(b)), vmtest.WithInitramfs(imageFor(b, imgScaleBuiltin).CPIO), vmtest.WithMemory("2G"),
		vmtest.WithQEMUArgs("-mem-prealloc"),
		vmtest.WithCmdline(append(strings.Fields(image.DefaultLayout), "bench.tool=ramdaxinit", "bench.then=/bin/daxbench",
			fmt.Sprintf("daxbench.passes=%d", passes))...)}
	clock, _ := runToPoweroff(b, "dax", scriptReady, opts...)
	if _, m, _ := clock.find(scriptReady); m[2] != "3" {
		b.Fatalf("dax: %s: want 3 namespaces created", m[0])
	}
	results, err := daxResults(clock)
	if err != nil {
		b.Fatalf("daxbench: %v (console in build/bench/consoles/dax.log)", err)
	}
	for _, r := range results {
		b.Logf("bench: DAX %s: write %.0f MB/s (%.2f of anonymous), read %.0f MB/s (%.2f), first write %.0f MB/s (%.2f)",
			r.Target, r.WriteMBs, r.WriteRatio, r.ReadMBs, r.ReadRatio, r.FirstWriteMBs, r.FirstWriteRatio)
		recordRow(b, Row{Section: DAX, Name: r.Target, Accel: vmtest.Accel(b, vmtest.BuiltinKernel(b)), Samples: r.Passes,
			Values: map[string]float64{
				"mib": float64(r.MiB), "write_mbs": r.WriteMBs, "read_mbs": r.ReadMBs, "first_write_mbs": r.FirstWriteMBs,
				"write_ratio": r.WriteRatio, "read_ratio": r.ReadRatio, "first_write_ratio": r.FirstWriteRatio,
				"page_kib": float64(r.PageKiB), "huge_kib": float64(r.HugeKiB), "aliased": boolValue(r.Aliased),
			}})
	}
	return results
}

// daxResults reads daxbench's lines from the console: anonymous first,
// then anonymous-4k, devdax and fsdax.
func daxResults(clock *consoleClock) ([]DAXResult, error) {
	clock.mu.Lock()
	defer clock.mu.Unlock()
	var rs []DAXResult
	done := false
	for _, l := range clock.lines {
		text, ok := strings.CutPrefix(l.Text, "daxbench: ")
		switch {
		case !ok:
		case text == "done":
			done = true
		case strings.HasPrefix(text, "{"):
			var r DAXResult
			if err := json.Unmarshal([]byte(text), &r); err != nil {
				return nil, fmt.Errorf("%q: %w", l.Text, err)
			}
			rs = append(rs, r)
		default:
			return nil, fmt.Errorf("%s", text)
		}
	}
	if !done || len(rs) != 4 || rs[0].Target != "anonymous" {
		return nil, fmt.Errorf("want four results, anonymous first, and done; got %d, done %v", len(rs), done)
	}
	return rs, nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
