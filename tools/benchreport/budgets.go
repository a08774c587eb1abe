package main

import (
	"fmt"
	"strings"

	"github.com/ramdax/appliance/bench"
)

// The budgets the built-in kernel keeps since it drives servers too.
const (
	// budgetBootBytes bounds bzImage plus the compressed initramfs.
	budgetBootBytes = 14 << 20
	// budgetKernelInit is the factor on the VM-only kernel's time to
	// /init on the default VM that the server kernel may take.
	budgetKernelInit = 1.25
	// budgetColdBuild bounds a cold kernel build on the 2-core machines.
	budgetColdBuild = 15 * 60
)

// The server machine's boot rows (vmtest's serverPrefix).
var serverBootKeys = []struct{ name, label string }{
	{"server/builtin-ramdaxinit", "built-in kernel"},
	{"server/generic-ramdaxinit", "Debian generic kernel + modules"},
}

func (r *report) budgets(b *strings.Builder) {
	b.WriteString("6. Server budgets: the built-in kernel drives servers as well as the default VM\n")
	g := &grid{}
	g.addf("what\tmeasured\tbudget\twithin")
	if row, ok := r.find(bench.Size, "builtin-ramdaxinit"); ok {
		v := row.Values["boot_total"]
		g.addf("bzImage + initramfs%s, MiB\t%s\t%s\t%s", r.compression(), mib(v), mib(budgetBootBytes), within(v, budgetBootBytes))
	}
	row, okNow := r.findAccel(bench.Boot, "builtin-ramdaxinit", "tcg")
	base, okBase := r.findAccel(bench.Boot, "baseline-ramdaxinit", "tcg")
	switch {
	case okNow && okBase:
		v, limit := row.Values["kernel_init"], budgetKernelInit*base.Values["kernel_init"]
		g.addf("kernel time to /init, default VM, s\t%.2f\t%.2f (%.2f× the baseline kernel's %.2f)\t%s",
			v, limit, budgetKernelInit, base.Values["kernel_init"], within(v, limit))
	case okNow:
		g.addf("kernel time to /init, default VM, s\t%.2f\tno baseline: set RAMDAX_BASELINE_KERNEL to the VM-only bzImage\t-", row.Values["kernel_init"])
	}
	if row, ok := r.find(bench.Kernel, "cold"); ok && row.Values["seconds"] > 0 {
		v := row.Values["seconds"]
		g.addf("cold kernel build, s\t%.0f\t%d\t%s", v, budgetColdBuild, within(v, budgetColdBuild))
	}
	g.write(b)
	for _, k := range serverBootKeys {
		if row, ok := r.find(bench.Boot, k.name); ok {
			fmt.Fprintf(b, "   server machine (q35, 2 NUMA nodes, 2 CPUs, NVMe, AHCI, e1000e, xHCI, VGA), %s: kernel to /init %.2f s, QEMU start to ready %.2f s, median of %d\n",
				k.label, row.Values["kernel_init"], row.Values["wall"], row.Samples)
		}
	}
}

func within(v, limit float64) string { return yesNo(v <= limit) }
