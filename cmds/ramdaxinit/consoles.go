package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// activeConsoles is where the kernel lists the consoles of console=.
const activeConsoles = "/sys/class/tty/console/active"

// consoleDevices returns the device of every console the kernel prints to,
// as listed in the file active. A server has several: the screen (tty0)
// and a serial port or two, one of them the BMC's serial-over-LAN, and an
// operator may stand at any of them. tty0 is whichever virtual terminal is
// in front; its device is tty1, the one in front at boot.
func consoleDevices(active string) []string {
	b, err := os.ReadFile(active)
	if err != nil {
		return nil
	}
	var devs []string
	for _, name := range strings.Fields(string(b)) {
		if name == "tty0" {
			name = "tty1"
		}
		devs = append(devs, filepath.Join("/dev", name))
	}
	return devs
}

// openConsoles opens devs for writing and returns a writer to all of
// them, or fallback when none opens.
func openConsoles(devs []string, fallback io.Writer) io.Writer {
	var ws []io.Writer
	for _, d := range devs {
		if f, err := os.OpenFile(d, os.O_WRONLY|unix.O_NOCTTY, 0); err == nil {
			ws = append(ws, f)
		}
	}
	if len(ws) == 0 {
		return fallback
	}
	return io.MultiWriter(ws...)
}
