// Command ensurecheck runs kmod.Ensure as a guest's uinit, prints what the
// nd bus then looks like, and powers the guest off. It is for checking the
// package by hand in QEMU:
//
//	ensurecheck
package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ramdax/appliance/kmod"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Print(err)
	}
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func run(w io.Writer) error {
	start := time.Now()
	logf := func(f string, a ...any) { fmt.Fprintf(w, f+"\n", a...) }
	c, err := kmod.Ensure(kmod.WithLogf(logf))
	logf("ensurecheck: Ensure = %v, %v in %v", c, err, time.Since(start).Round(time.Millisecond))
	// A second run must find ramdax registered and load nothing.
	c2, err2 := kmod.Ensure(kmod.WithLogf(logf))
	logf("ensurecheck: second Ensure = %v, %v", c2, err2)
	link, _ := os.Readlink("/sys/bus/platform/devices/e820_pmem/driver")
	logf("ensurecheck: e820_pmem driver -> %s", link)
	devs, _ := filepath.Glob("/sys/bus/nd/devices/*")
	for _, d := range devs {
		logf("ensurecheck: %s %s", filepath.Base(d), attrs(d, "provider", "size", "available_size", "available_slots"))
	}
	mods, _ := os.ReadFile("/proc/modules")
	for _, l := range strings.Split(strings.TrimSpace(string(mods)), "\n") {
		logf("ensurecheck: module %s", strings.Join(strings.Fields(l)[:1], ""))
	}
	return err
}

// attrs renders the attributes of dir that exist as name=value.
func attrs(dir string, names ...string) string {
	var s []string
	for _, n := range names {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
			s = append(s, n+"="+strings.TrimSpace(string(b)))
		}
	}
	return strings.Join(s, " ")
}
