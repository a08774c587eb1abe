package bench

import (
	"fmt"
	"testing"
)

// The benchmarks compare the appliance with what a user would run
// instead, Debian's cloud kernel and ndctl, measured side by side in one
// run. `make bench` runs each once (-benchtime 1x) with RAMDAX_BENCH_OUT
// set, and tools/benchreport turns the rows they record into one table and
// BENCHMARKS.md; RAMDAX_BENCH_QUICK=1 (make bench QUICK=1) boots less and
// keeps the table's shape. On their own, `go test -bench` reports the main
// numbers through testing.B.
//
// None of them asserts a time: they fail only when something does not
// work, such as a boot without its ready line or with the wrong namespaces.

// BenchmarkKernelBuild times `make kernel`'s build from the cache and
// reports the cold build (BENCH_COLD=1 times one now).
func BenchmarkKernelBuild(b *testing.B) {
	for b.Loop() {
		benchKernelBuild(b)
	}
}

// BenchmarkSize records the bytes of what each setup boots.
func BenchmarkSize(b *testing.B) {
	for b.Loop() {
		benchSize(b)
	}
}

// BenchmarkBootToReady boots the default layout three ways, five times
// each, round robin: the built-in kernel and Debian's kernel with
// ramdaxinit, and Debian's kernel with the ndctl script. Always under TCG;
// under KVM too where it works.
func BenchmarkBootToReady(b *testing.B) {
	boots := 5
	if Quick() {
		boots = 1
	}
	list, whyNotKVM := accels(b)
	if whyNotKVM != "" {
		recordRow(b, Row{Section: Note, Name: "kvm", Text: map[string]string{"note": "KVM not run: " + whyNotKVM}})
	}
	for b.Loop() {
		for _, accel := range list {
			benchBoot(b, accel, boots)
		}
	}
}

// BenchmarkServerBoot boots the default layout on the server machine's
// hardware (ServerHardware, on BIOS: OVMF does not end QEMU at power-off)
// with both flavours, for the kernel's time to /init there.
func BenchmarkServerBoot(b *testing.B) {
	boots := 3
	if Quick() {
		boots = 1
	}
	for b.Loop() {
		benchServerBoot(b, boots)
	}
}

// BenchmarkShellPrompt times, on the serial console, the wait from the
// ready line to the shell's prompt, with the image's shell and with gosh's
// line editor.
func BenchmarkShellPrompt(b *testing.B) {
	boots := 3
	if Quick() {
		boots = 1
	}
	for b.Loop() {
		benchShellPrompt(b, boots)
	}
}

// BenchmarkSetup times ramdaxinit, booted as /init with the layout as a
// bootconfig, and the ndctl script making N namespaces of 16 MiB at a
// first boot and finding them at three later ones, in every mode: the
// median of three rounds, one round at 256, where a round of ndctl takes
// minutes under TCG.
// (TestBootconfigAllSlots covers all 509 label slots.)
func BenchmarkSetup(b *testing.B) {
	modes, sizes := []string{"raw", "fsdax", "devdax", "sector"}, []int{1, 16, 64, 256}
	if Quick() {
		sizes = []int{1, 16}
	}
	// By N first: the cases of one N share a RAM file (ram_test.go).
	for _, n := range sizes {
		for _, mode := range modes {
			setupCase(b, mode, n)
		}
	}
}

func setupCase(b *testing.B, mode string, n int) {
	b.Run(fmt.Sprintf("mode=%s/namespaces=%d", mode, n), func(b *testing.B) {
		for b.Loop() {
			benchSetupScale(b, mode, n, roundsAt(n))
		}
	})
}

// roundsAt is how many rounds N namespaces get.
func roundsAt(n int) int {
	if Quick() || n >= 256 {
		return 1
	}
	return 3
}

// BenchmarkDAX times sequential copies through devdax, fsdax and
// anonymous memory inside the guest.
func BenchmarkDAX(b *testing.B) {
	passes := 11
	if Quick() {
		passes = 5
	}
	for b.Loop() {
		for _, r := range benchDAX(b, passes) {
			b.ReportMetric(r.WriteRatio, r.Target+"-write-ratio")
			b.ReportMetric(r.ReadRatio, r.Target+"-read-ratio")
		}
	}
}
