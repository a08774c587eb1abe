package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/layout"
	"golang.org/x/sys/unix"
)

const layoutFile = layout.BootconfigFile

// kernelBootconfigErrors are the kernel's messages when it refuses a
// bootconfig (init/main.c); it then shows none in /proc/bootconfig.
var kernelBootconfigErrors = []string{
	"bootconfig checksum failed",
	"bootconfig size ",
	"Failed to parse bootconfig",
	"Failed to init bootconfig",
	"'bootconfig' found on command line, but no bootconfig found",
}

// bootconfigRead is what readBootconfig found.
type bootconfigRead struct {
	source   string // for messages
	kvs      []bootconfig.KeyValue
	problems []error  // the keys are then what could be read
	warnings []string // nothing of the layout was lost
}

// readBootconfig returns the bootconfig's keys and the name of where they
// came from: /proc/bootconfig on a kernel with bootconfig, else
// layoutFile when the image has one; on the OS, always as.layoutFile.
// The command line applies whatever the problems.
func readBootconfig(as runAs) bootconfigRead {
	if as.onOS {
		return readLayoutFile(as.layoutFile, "only ramdax.* keys apply here")
	}
	proc, err := os.ReadFile(bootconfig.ProcFile)
	switch {
	case err == nil:
		return readProcBootconfig(string(proc))
	case !errors.Is(err, fs.ErrNotExist):
		return bootconfigRead{source: "bootconfig", problems: []error{fmt.Errorf("read %s: %w", bootconfig.ProcFile, err)}}
	}
	return readLayoutFile(layoutFile, "this kernel has no CONFIG_BOOT_CONFIG, so it never sees kernel.* or init.* keys")
}

// readLayoutFile reads a bootconfig file of ramdax.* keys, if there is
// one; why says why its kernel.* and init.* keys are ignored.
func readLayoutFile(path, why string) bootconfigRead {
	r := bootconfigRead{source: "bootconfig " + path}
	text, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return bootconfigRead{}
	case err != nil:
		r.problems = append(r.problems, fmt.Errorf("read %s: %w", path, err))
		return r
	}
	if r.kvs, err = bootconfig.Parse(string(text)); err != nil {
		r.problems = append(r.problems, fmt.Errorf("%s: %w; none of it applies", path, err))
	}
	for _, kv := range r.kvs {
		if strings.HasPrefix(kv.Key, "kernel.") || strings.HasPrefix(kv.Key, "init.") {
			r.warnings = append(r.warnings, fmt.Sprintf("%s: %s is ignored: %s; put the parameter on the command line", path, kv.Key, why))
		}
	}
	return r
}

// readProcBootconfig reads the kernel's listing, and reports a bootconfig
// the kernel refused, which leaves the listing empty: only then is the
// kernel's log read for why, which took milliseconds of every boot under
// TCG.
func readProcBootconfig(proc string) bootconfigRead {
	r := bootconfigRead{source: "bootconfig"}
	if strings.TrimSpace(proc) == "" {
		for _, msg := range kernelLogLines(kernelBootconfigErrors) {
			r.problems = append(r.problems, fmt.Errorf("bootconfig: the kernel refused it (%q): its ramdax keys do not apply; rebuild the initrd's bootconfig with make image LAYOUT_FILE= or make pxe-config", msg))
		}
	}
	var err error
	if r.kvs, err = bootconfig.ParseProc(proc); err != nil {
		r.problems = append(r.problems, err)
	}
	if _, err := os.Stat(layoutFile); err == nil {
		r.warnings = append(r.warnings, layoutFile+" is ignored: this kernel reads the bootconfig at the end of the initrd itself")
	}
	return r
}

// kernelLogLines returns the lines of the kernel's log that hold any of
// substrings.
func kernelLogLines(substrings []string) []string {
	size, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	if err != nil || size <= 0 {
		return nil
	}
	buf := make([]byte, size)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		return nil
	}
	var found []string
	for line := range strings.SplitSeq(string(buf[:n]), "\n") {
		for _, s := range substrings {
			if strings.Contains(line, s) {
				found = append(found, withoutLogPrefix(line))
				break
			}
		}
	}
	return found
}

// withoutLogPrefix drops the <level> and the [timestamp] of a kernel log
// line.
func withoutLogPrefix(line string) string {
	if i := strings.IndexByte(line, '>'); strings.HasPrefix(line, "<") && i > 0 {
		line = line[i+1:]
	}
	if i := strings.IndexByte(line, ']'); strings.HasPrefix(line, "[") && i > 0 {
		line = line[i+1:]
	}
	return strings.TrimSpace(line)
}
