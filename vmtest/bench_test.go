package vmtest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/Netflix/go-expect"
	"github.com/ramdax/appliance/image"
	"github.com/u-root/uio/llog"
)

// BenchmarkKernelTimeToInit reports the kernel time (printk timestamp) at
// which the built-in kernel starts /init, the median of five boots.
func BenchmarkKernelTimeToInit(b *testing.B) {
	initramfs := buildShellImage(b)
	for b.Loop() {
		var times []time.Duration
		for range 5 {
			d, err := KernelTimeToInit(b, "boot", WithInitramfs(initramfs), WithCarveout("512M", "1G"))
			if err != nil {
				b.Fatal(err)
			}
			times = append(times, d)
		}
		slices.Sort(times)
		b.ReportMetric(times[len(times)/2].Seconds(), "s-to-init")
		b.Logf("kernel time to /init, 5 boots: %v (median %v)", times, times[len(times)/2])
	}
}

func buildShellImage(b *testing.B) string {
	out := b.TempDir() + "/initramfs.cpio"
	if err := image.Build(llog.Test(b), out, image.Shell()...); err != nil {
		b.Fatal(err)
	}
	return out
}

// readyLine is ramdaxinit's summary; its last field is the time from
// ramdaxinit's start to ready.
var readyLine = regexp.MustCompile(`ramdax: ready (\d+) namespaces \((\d+) created, (\d+) kept[^)]*\) in ([0-9.]+) s`)

// BenchmarkSetup reports the time from ramdaxinit's start to the ready
// line for 1, 16 and 64 raw namespaces of 16 MiB in one region: a first
// boot that creates them and a second boot, over the same RAM, that keeps
// them.
func BenchmarkSetup(b *testing.B) {
	mods, err := image.Appliance("")
	if err != nil {
		b.Fatal(err)
	}
	initramfs := b.TempDir() + "/initramfs.cpio"
	if err := image.Build(llog.Test(b), initramfs, mods...); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			for b.Loop() {
				opts := []Option{WithInitramfs(initramfs), WithMemory("3G"),
					WithCarveout(fmt.Sprintf("%dK", n*16<<10+128), "1G"),
					WithPersistentRAM(b.TempDir() + "/ram"),
					WithCmdline(append(rawNamespaces(n), "ramdax.then=poweroff")...)}
				first := setupSeconds(b, n, "created", opts)
				second := setupSeconds(b, n, "kept", opts)
				b.ReportMetric(first, "s-create")
				b.ReportMetric(second, "s-keep")
				b.ReportMetric(first/float64(n)*1000, "ms-create/ns")
				b.Logf("%d namespaces: create %.3f s (%.1f ms each), keep %.3f s", n, first, first/float64(n)*1000, second)
			}
		})
	}
}

func rawNamespaces(n int) []string {
	args := make([]string, n)
	for i := range args {
		args[i] = fmt.Sprintf("ramdax.ns=ns%d:raw:16M", i)
	}
	return args
}

// setupSeconds boots once and returns ramdaxinit's setup time, checking
// that all n namespaces ended in state.
func setupSeconds(b *testing.B, n int, state string, opts []Option) float64 {
	vm := Start(b, "setup", opts...)
	defer vm.Wait()
	out, err := vm.Console.Expect(expect.Regexp(readyLine))
	if err != nil {
		b.Fatalf("no ready line: %v", err)
	}
	m := readyLine.FindStringSubmatch(out)
	want := map[string]string{"created": m[2], "kept": m[3]}[state]
	if m[1] != fmt.Sprint(n) || want != fmt.Sprint(n) {
		b.Fatalf("ready line %q: want %d namespaces %s", m[0], n, state)
	}
	secs, _ := strconv.ParseFloat(m[4], 64)
	return secs
}
