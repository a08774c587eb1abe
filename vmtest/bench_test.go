package vmtest

import (
	"slices"
	"testing"
	"time"

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
