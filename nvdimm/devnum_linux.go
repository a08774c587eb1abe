package nvdimm

import (
	"fmt"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// deviceNumber returns "major:minor" of a device node, as sysfs prints it,
// or "" for anything else.
func deviceNumber(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
}
