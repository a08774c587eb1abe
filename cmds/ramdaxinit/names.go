package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ramdax/appliance/status"
)

// namesDir holds a link per namespace, /dev/ramdax/NAME to its block or
// character device, as a udev rule makes them on a full system: the
// kernel numbers devices in probe order, the name stays.
const namesDir = "/dev/ramdax"

// linkNames links the name of each namespace set up as asked to its
// device. Conflicting and unmanaged namespaces get no link: they are not
// what the name was declared as.
func linkNames(l *logger, st *status.Status) {
	made := false
	for _, e := range st.Namespaces {
		if e.Device == "" || (e.State != status.Created && e.State != status.Kept) {
			continue
		}
		if !made {
			if err := os.MkdirAll(namesDir, 0o755); err != nil {
				l.Printf("error: stable names: %v", err)
				return
			}
			made = true
		}
		link := filepath.Join(namesDir, e.Name)
		os.Remove(link) // from an earlier run in the same /dev
		if err := os.Symlink(linkTarget(e.Device), link); err != nil {
			l.Printf("error: stable name %s: %v", link, err)
		}
	}
}

// linkTarget is device relative to namesDir when it is under /dev, as
// udev writes its links.
func linkTarget(device string) string {
	if rest, ok := strings.CutPrefix(device, "/dev/"); ok {
		return "../" + rest
	}
	return device
}
