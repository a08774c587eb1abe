// Package accel chooses QEMU's accelerator by trying it: KVM when a trial
// boot works under KVM, TCG otherwise. Some hosts expose /dev/kvm but fail
// real guests (an emulation failure in the kernel decompressor), so the
// device's presence proves nothing.
package accel

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Env, when set to kvm or tcg, skips the trial.
const Env = "RAMDAX_ACCEL"

// trialTimeout bounds the trial boot: a kernel that works under KVM
// prints its banner within a second.
const trialTimeout = 15 * time.Second

// Detect returns $RAMDAX_ACCEL, else "kvm" when a trial boot of kernel
// works under KVM, else "tcg".
func Detect(kernel string) string {
	if a := os.Getenv(Env); a != "" {
		return a
	}
	if KVMBoots(kernel) {
		return "kvm"
	}
	return "tcg"
}

// KVMOpens says whether /dev/kvm can be opened for reading and writing.
func KVMOpens() bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// KVMBoots boots kernel under KVM without an initramfs and reports whether
// it got as far as printing "Linux version" on the serial console.
func KVMBoots(kernel string) bool {
	if !KVMOpens() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), trialTimeout)
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
