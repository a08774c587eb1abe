package vmtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	accelOnce sync.Once
	accel     string
)

// Accel returns the QEMU accelerator to use: "kvm" when a trial boot of
// kernel under KVM prints the kernel banner, "tcg" otherwise. Some hosts
// expose /dev/kvm but fail real guests (an emulation failure in the kernel
// decompressor), so the device's presence proves nothing. RAMDAX_ACCEL=kvm
// or tcg skips the trial. The answer is computed once per test binary.
func Accel(t testing.TB, kernel string) string {
	accelOnce.Do(func() { accel = DetectAccel(kernel) })
	t.Logf("QEMU accelerator: %s", accel)
	return accel
}

// DetectAccel is Accel without the test: $RAMDAX_ACCEL, else "kvm" when a
// trial boot of kernel works under KVM, else "tcg".
func DetectAccel(kernel string) string {
	if a := os.Getenv("RAMDAX_ACCEL"); a != "" {
		return a
	}
	if kvmBoots(kernel) {
		return "kvm"
	}
	return "tcg"
}

// kvmBoots boots kernel under KVM without an initramfs and reports whether
// it got as far as printing "Linux version" on the serial console.
func kvmBoots(kernel string) bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", "-accel", "kvm", "-nographic",
		"-no-reboot", "-m", "256", "-kernel", kernel, "-append", "console=ttyS0 panic=-1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return false
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return false
	}
	defer cmd.Wait()
	defer cancel()
	s := bufio.NewScanner(out)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.Contains(line, "Linux version"):
			return true
		case strings.Contains(line, "KVM internal error"), strings.Contains(line, "failed to initialize kvm"):
			return false
		}
	}
	return false
}
