// diskinit is the /sbin/init of the disk root the switch_root suite
// boots into: it reports what it finds of the appliance's hand-over, then
// powers the machine off.
//
// It prints one line, "diskinit: root DEVICE FSTYPE; MOUNT: OPTIONS; ...;
// status ready=BOOL with N namespaces; /dev/ramdax/NAME -> TARGET", or
// "diskinit: error: ..." for what is missing.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

func main() {
	fmt.Printf("diskinit: pid %d\n", os.Getpid())
	if err := report(); err != nil {
		fmt.Printf("diskinit: error: %v\n", err)
	}
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func report() error {
	mounts, err := readMounts()
	if err != nil {
		return err
	}
	st, err := status.Read(status.File)
	if err != nil {
		return err
	}
	parts := []string{"root " + mounts["/"]}
	for _, e := range st.Namespaces {
		if e.Mount != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", e.Mount, mounts[e.Mount]))
		}
	}
	parts = append(parts, fmt.Sprintf("status ready=%v with %d namespaces", st.Ready, len(st.Namespaces)))
	for _, e := range st.Namespaces {
		target, err := os.Readlink("/dev/ramdax/" + e.Name)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("/dev/ramdax/%s -> %s", e.Name, target))
	}
	fmt.Printf("diskinit: %s\n", strings.Join(parts, "; "))
	return nil
}

// readMounts maps each mount point to "DEVICE FSTYPE OPTIONS".
func readMounts() (map[string]string, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mounts := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 4 {
			mounts[fields[1]] = strings.Join([]string{fields[0], fields[2], fields[3]}, " ")
		}
	}
	return mounts, sc.Err()
}
