package nvdimm

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// InUse returns an error wrapping ErrInUse when ns must not be disabled:
// its block device is mounted, held by another block device or open, its
// character device is open or mapped, or it is online as system RAM.
func (s *Sysfs) InUse(ns *Namespace) error {
	if ns.DaxMode == DaxModeSystemRAM {
		return fmt.Errorf("%s is system RAM (kmem); reconfigure it to devdax first: %w", ns.CharDev, ErrInUse)
	}
	if ns.BlockDev != "" {
		if err := s.blockInUse(ns.BlockDev); err != nil {
			return err
		}
	}
	if ns.CharDev != "" {
		devNum := s.attrPathOr(s.Path("bus", "dax", "devices", ns.CharDev, "dev"))
		if who := s.openers(ns.CharDev, devNum); who != "" {
			return fmt.Errorf("%s is open by %s: %w", s.DevicePath(ns), who, ErrInUse)
		}
	}
	return nil
}

// blockInUse checks mounts, stacked block devices and open files.
func (s *Sysfs) blockInUse(name string) error {
	devNum := s.attrPathOr(s.Path("class", "block", name, "dev"))
	node := filepath.Join(s.Dev, name)
	if mnt := s.mountPoint(node, devNum); mnt != "" {
		return fmt.Errorf("%s is mounted on %s; unmount it first: %w", node, mnt, ErrInUse)
	}
	if holders, _ := os.ReadDir(s.Path("class", "block", name, "holders")); len(holders) > 0 {
		return fmt.Errorf("%s is held by %s: %w", node, holders[0].Name(), ErrInUse)
	}
	if who := s.openers(name, devNum); who != "" {
		return fmt.Errorf("%s is open by %s: %w", node, who, ErrInUse)
	}
	return nil
}

// mountPoint returns where the device is mounted, matching mountinfo's
// major:minor (field 3) or mount source, or "".
func (s *Sysfs) mountPoint(node, devNum string) string {
	f, err := os.Open(filepath.Join(s.Proc, "self", "mountinfo"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mnt, ok := mountinfoMatch(sc.Text(), node, devNum); ok {
			return mnt
		}
	}
	return ""
}

// mountinfoMatch parses one mountinfo line:
// "36 35 259:0 / /mnt rw,relatime shared:1 - ext4 /dev/pmem0 rw,dax".
func mountinfoMatch(line, node, devNum string) (string, bool) {
	pre, post, ok := strings.Cut(line, " - ")
	f := strings.Fields(pre)
	if !ok || len(f) < 5 {
		return "", false
	}
	source := ""
	if g := strings.Fields(post); len(g) >= 2 {
		source = g[1]
	}
	if (devNum != "" && f[2] == devNum) || source == node {
		return f[4], true
	}
	return "", false
}

// openers names a process that has the device open or mapped, as
// "pid 42 (fio)", or returns "". It matches open files by device number
// and mappings by name: a devdax mapping outlives its file descriptor.
func (s *Sysfs) openers(name, devNum string) string {
	pids, _ := filepath.Glob(filepath.Join(s.Proc, "[0-9]*"))
	for _, dir := range pids {
		if hasOpenDevice(dir, devNum) || mapsDevice(dir, name) {
			comm, _ := readTrimmed(filepath.Join(dir, "comm"))
			return fmt.Sprintf("pid %s (%s)", filepath.Base(dir), comm)
		}
	}
	return ""
}

func hasOpenDevice(procDir, devNum string) bool {
	if devNum == "" {
		return false
	}
	fds, _ := filepath.Glob(filepath.Join(procDir, "fd", "*"))
	for _, fd := range fds {
		if st, err := os.Stat(fd); err == nil && deviceNumber(st) == devNum {
			return true
		}
	}
	return false
}

func mapsDevice(procDir, name string) bool {
	b, err := os.ReadFile(filepath.Join(procDir, "maps"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if strings.HasSuffix(strings.TrimSpace(line), "/dev/"+name) {
			return true
		}
	}
	return false
}

// attrPathOr reads an attribute by full path, or "".
func (s *Sysfs) attrPathOr(path string) string {
	v, _ := readTrimmed(path)
	return v
}
