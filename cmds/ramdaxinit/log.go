package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// logPrefix starts every line ramdaxinit writes; tests and benchmarks key
// on it.
const logPrefix = "ramdax: "

// logger writes each line to the console and to the kernel log. The kernel
// copy is at debug level, which the console does not echo, so each line
// appears there once and in dmesg for later.
type logger struct {
	mu      sync.Mutex
	console io.Writer
	kmsg    io.Writer // nil when /dev/kmsg cannot be opened
	debug   bool
}

func newLogger(console io.Writer) *logger {
	l := &logger{console: console}
	if f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		l.kmsg = f
	}
	return l
}

// Printf logs one or more lines.
func (l *logger) Printf(format string, args ...any) {
	l.log(true, format, args...)
}

// Detailf logs to the kernel log, and to the console as well under
// ramdax.debug: for what only someone looking into a boot wants to read.
func (l *logger) Detailf(format string, args ...any) {
	l.log(l.debug || l.kmsg == nil, format, args...)
}

// log writes each line to the kernel log and, with console, to the
// console.
func (l *logger) log(console bool, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimRight(fmt.Sprintf(format, args...), "\n"), "\n") {
		if console {
			fmt.Fprintf(l.console, "%s%s\n", logPrefix, line)
		}
		if l.kmsg != nil {
			// One write is one kernel log record; <7> is KERN_DEBUG.
			fmt.Fprintf(l.kmsg, "<7>%s%s\n", logPrefix, line)
		}
	}
}

// Debugf logs only under ramdax.debug.
func (l *logger) Debugf(format string, args ...any) {
	if l.debug {
		l.Printf(format, args...)
	}
}

// keepKernelLog lets every line user space writes to /dev/kmsg into the
// kernel log: by default the kernel keeps the first ten of each burst,
// which would drop most of the status table. As PID 1, ramdaxinit owns
// that choice for the machine.
func keepKernelLog() {
	os.WriteFile("/proc/sys/kernel/printk_devkmsg", []byte("on\n"), 0o644)
}
