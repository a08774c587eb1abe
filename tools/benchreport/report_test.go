package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ramdax/appliance/bench"
)

// sampleRows is one of each row a run records.
func sampleRows() []bench.Row {
	boot := func(name, label string, wall, init, ready, setup float64) bench.Row {
		return bench.Row{Section: bench.Boot, Name: name, Accel: "tcg", Samples: 5, Text: map[string]string{"label": label},
			Values: map[string]float64{"wall": wall, "kernel_init": init, "kernel_ready": ready, "init_to_ready": ready - init, "setup": setup}}
	}
	setup := func(tool string, n, create, keep float64) bench.Row {
		return bench.Row{Section: bench.Setup, Name: tool, Accel: "tcg", Samples: 1, Text: map[string]string{"mode": "fsdax"},
			Values: map[string]float64{"n": n, "create": create, "keep": keep, "create_self": create / 2, "keep_self": keep / 2,
				"create_floor": create / 2.2, "keep_floor": keep / 2}}
	}
	dax := func(target string, ratio float64) bench.Row {
		return bench.Row{Section: bench.DAX, Name: target, Accel: "tcg", Samples: 11, Values: map[string]float64{
			"mib": 64, "write_mbs": 3000 * ratio, "read_mbs": 3000 * ratio, "first_write_mbs": 600 * ratio,
			"write_ratio": ratio, "read_ratio": ratio, "first_write_ratio": ratio, "page_kib": 4}}
	}
	return []bench.Row{
		{Section: bench.Note, Name: "kvm", Text: map[string]string{"note": "KVM not run: no usable /dev/kvm"}},
		{Section: bench.Note, Name: "qemu-memory", Text: map[string]string{"note": "QEMU's memory locked at its start"}},
		boot("builtin-ramdaxinit", "built-in kernel + ramdaxinit", 2, 0.8, 1.8, 0.4),
		boot("distro-ramdaxinit", "Debian kernel + modules + ramdaxinit", 4, 2, 3.5, 0.7),
		boot("distro-ndctl", "Debian kernel + modules + ndctl script", 5, 2.5, 4.5, 1.4),
		setup("ramdaxinit", 16, 0.8, 0.3), setup("ndctl", 16, 1.6, 0.15),
		setup("ramdaxinit", 64, 3.2, 0.6), setup("ndctl", 64, 8, 0.3),
		dax("anonymous", 1), dax("anonymous-4k", 0.85), dax("devdax", 1), dax("fsdax", 0.5),
		{Section: bench.Size, Name: "builtin-ramdaxinit", Values: map[string]float64{"kernel": 3 << 20, "initramfs_cpio": 10 << 20, "initramfs_compressed": 3 << 20, "boot_total": 6 << 20},
			Text: map[string]string{"compression": "lz4 -12"}},
		{Section: bench.Size, Name: "largest/builtin-ramdaxinit", Values: map[string]float64{"bytes": 7 << 20}, Text: map[string]string{"file": "bbin/bb"}},
		{Section: bench.Kernel, Name: "cached", Values: map[string]float64{"seconds": 2}},
		{Section: bench.Kernel, Name: "cold", Values: map[string]float64{"seconds": 358}, Text: map[string]string{"built": "2026-11-26T03:06:00Z", "tree": "fresh"}},
	}
}

func TestTableHasEverySection(t *testing.T) {
	r := &report{rows: sampleRows(), meta: meta{Command: "make bench", Quick: true}}
	table := r.table()
	for _, want := range []string{
		"QUICK RUN",
		"TCG (KVM not run: no usable /dev/kvm); QEMU's memory locked at its start",
		"1. Boot to ready", "Debian kernel + modules + ndctl script", "ndctl script ÷ ramdaxinit, both on the Debian kernel: QEMU start→ready 1.25×",
		"2. Setup scaling", "ndctl÷self", "fsdax  16",
		"fsdax   1.10× (N=16)     yes  1.00× (N=16)     yes   1.00× (N=16)      NO",
		"targets, built-in kernel + ramdaxinit: kernel→ready 1.80 s (≤ 1.30: NO), /init→ready 1.00 s (≤ 0.30: NO)",
		"3. DAX data path", "0.50*", "under 0.9: anonymous-4k write 0.85",
		"4. Size, MiB", "bbin/bb 7.00 MiB", "compressed (lz4 -12)", "bzImage + initramfs (lz4 -12), MiB",
		"5. Kernel build", "cold, from an empty object tree: 358 s",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestGrowthExponent(t *testing.T) {
	points := []setupPoint{
		{n: 16, ramdaxinit: map[string]float64{"create": 1, "keep": 1}, ndctl: map[string]float64{"create": 1, "keep": 1}},
		{n: 64, ramdaxinit: map[string]float64{"create": 4, "keep": 1}, ndctl: map[string]float64{"create": 16, "keep": 1}},
	}
	if got := growth(points, "ramdaxinit"); !strings.Contains(got, "create grows as N^1.00") || !strings.Contains(got, "keep grows as N^0.00") {
		t.Errorf("ramdaxinit growth: %s", got)
	}
	if got := growth(points, "ndctl"); !strings.Contains(got, "create grows as N^2.00 (per-namespace cost at N=64 is 4.00× that at 16)") {
		t.Errorf("ndctl growth: %s", got)
	}
}

func TestMarkdownExplainsLowDAXRatios(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "rows.jsonl")
	t.Setenv(bench.OutEnv, in)
	if err := bench.Record(sampleRows()...); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "BENCHMARKS.md")
	var stdout strings.Builder
	if err := run(&stdout, []string{"benchreport", "-in", in, "-o", out, "-quick"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**Quick run**", "```text\nRAMDAX appliance benchmarks", "## How each number is measured",
		"**file on ext4 -o dax, first write: 0.50.** The file is fallocated"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	if !strings.Contains(stdout.String(), "1. Boot to ready") {
		t.Errorf("stdout lacks the table:\n%s", stdout.String())
	}
}

func TestSetupRoundsCountKeepBoots(t *testing.T) {
	row := func(samples, keepBoots float64) bench.Row {
		v := map[string]float64{"n": 16}
		if keepBoots > 0 {
			v["keep_boots"] = keepBoots
		}
		return bench.Row{Section: bench.Setup, Name: "ramdaxinit", Samples: int(samples), Values: v}
	}
	for _, tc := range []struct {
		rows []bench.Row
		want string
	}{
		{[]bench.Row{row(1, 0)}, "one round"},
		{[]bench.Row{row(1, 1)}, "one round"},
		{[]bench.Row{row(1, 3)}, "one round, with 3 keep boots after each create"},
		{[]bench.Row{row(3, 0), row(3, 0)}, "median of 3 rounds"},
		{[]bench.Row{row(3, 0), row(1, 0)}, "median of 3 rounds, 1 at the largest N"},
		{[]bench.Row{row(3, 3), row(1, 3)}, "median of 3 rounds, 1 at the largest N, where keep boots 3 times on the create's RAM"},
		{[]bench.Row{row(3, 9), row(1, 3)}, "median of 3 rounds, 1 at the largest N, with 3 keep boots after each create"},
	} {
		r := &report{rows: tc.rows}
		if got := r.setupRounds(); got != tc.want {
			t.Errorf("setupRounds of %v = %q, want %q", tc.rows, got, tc.want)
		}
	}
}
