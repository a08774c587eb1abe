// Package console waits for a terminal to send what it still buffers,
// before a power-off, reboot or kexec drops it.
package console

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// DrainLimit is how long the image's programs wait for the console
// before a power-off, reboot or kexec.
const DrainLimit = 5 * time.Second

// Drain waits until the terminal f has sent every byte written to it
// (tcdrain), for at most limit: a serial line held off by flow control
// would never drain.
func Drain(f *os.File, limit time.Duration) error {
	done := make(chan error, 1)
	fd := int(f.Fd())
	go func() { done <- drain(fd) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("drain %s: %w", f.Name(), err)
		}
		return nil
	case <-time.After(limit):
		return fmt.Errorf("drain %s: not sent within %v", f.Name(), limit)
	}
}

// drain is tcdrain, asked again after a signal: the kernel ends the wait
// with EINTR when one arrives, and Go's runtime signals its own threads.
// Lines a test's verdict needed were lost that way before a power-off.
func drain(fd int) error {
	for {
		err := unix.IoctlSetInt(fd, unix.TCSBRK, 1)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
