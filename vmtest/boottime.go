package vmtest

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/Netflix/go-expect"
)

// initLine is the kernel's last word before it starts userspace; its printk
// timestamp is the kernel time to /init.
var initLine = regexp.MustCompile(`\[\s*(\d+\.\d+)\] Run /init as init process`)

// KernelTimeToInit boots the machine, waits for the kernel to start /init
// and returns that printk timestamp, then stops the guest.
func KernelTimeToInit(t testing.TB, name string, opts ...Option) (time.Duration, error) {
	vm := Start(t, name, opts...)
	defer func() {
		vm.Kill()
		vm.Wait()
	}()
	out, err := vm.Console.Expect(expect.Regexp(initLine), expect.WithTimeout(Timeout(time.Minute)))
	if err != nil {
		return 0, fmt.Errorf("waiting for %q: %w", initLine, err)
	}
	m := initLine.FindStringSubmatch(out)
	secs, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("parse printk timestamp %q: %w", m[1], err)
	}
	return time.Duration(secs * float64(time.Second)), nil
}
