// Package rootdev finds the block device a root= parameter names, in the
// forms the kernel and systemd accept: /dev/NAME, UUID=, PARTUUID=,
// LABEL= and PARTLABEL=. It waits for the device to appear, for a bounded
// time, and when it never does, says which devices there are and what
// each holds.
package rootdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/mount/block"
)

// Kinds of root= value.
const (
	ByPath      = "path"
	ByUUID      = "UUID"
	ByPartUUID  = "PARTUUID"
	ByLabel     = "LABEL"
	ByPartLabel = "PARTLABEL"
)

// Spec is a parsed root= value.
type Spec struct {
	Kind, Value string
}

func (s Spec) String() string {
	if s.Kind == ByPath {
		return s.Value
	}
	return s.Kind + "=" + s.Value
}

// Parse reads a root= value.
func Parse(root string) (Spec, error) {
	if strings.HasPrefix(root, "/dev/") {
		return Spec{ByPath, root}, nil
	}
	for _, kind := range []string{ByUUID, ByPartUUID, ByLabel, ByPartLabel} {
		if v, ok := strings.CutPrefix(root, kind+"="); ok && v != "" {
			return Spec{kind, v}, nil
		}
	}
	return Spec{}, fmt.Errorf("root=%s: want /dev/NAME, UUID=, PARTUUID=, LABEL=, PARTLABEL= or ramdax:NAME", root)
}

// Find waits up to timeout for the device s names and returns its path.
func Find(s Spec, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		dev, err := lookup(s)
		if err == nil {
			return dev, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("root=%s: no such device after %v (%v); the block devices are:\n%s", s, timeout, err, Describe())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// errNotYet is a device that is not there, yet.
var errNotYet = errors.New("not found")

// lookup finds the device s names now.
func lookup(s Spec) (string, error) {
	if s.Kind == ByPath {
		if _, err := os.Stat(s.Value); err != nil {
			return "", errNotYet
		}
		return s.Value, nil
	}
	devs, err := block.GetBlockDevices()
	if err != nil {
		return "", err
	}
	var found block.BlockDevices
	switch s.Kind {
	case ByUUID:
		found = devs.FilterFSUUID(strings.ToLower(s.Value))
	case ByPartUUID:
		found = partUUID(devs, s.Value)
	case ByLabel:
		found = withLabel(devs, s.Value)
	case ByPartLabel:
		found = devs.FilterPartLabel(s.Value)
	}
	switch len(found) {
	case 0:
		return "", errNotYet
	case 1:
		return found[0].DevicePath(), nil
	}
	return "", fmt.Errorf("%d devices match (%v): name one by path", len(found), found)
}

// partUUID finds a GPT partition by its GUID, or an MBR one by the
// disk's signature and the partition's number, SSSSSSSS-PP.
func partUUID(devs block.BlockDevices, v string) block.BlockDevices {
	if found := devs.FilterPartID(v); len(found) > 0 {
		return found
	}
	var sig uint32
	var part int
	if n, _ := fmt.Sscanf(v, "%08x-%02x", &sig, &part); n != 2 {
		return nil
	}
	var names []string
	for _, d := range devs.FilterMBRSig(sig) {
		names = append(names, block.ComposePartName(d.Name, part))
	}
	return devs.FilterNames(names...)
}

// withLabel filters devs by file system label: u-root's block package
// reads UUIDs, not labels.
func withLabel(devs block.BlockDevices, label string) block.BlockDevices {
	var out block.BlockDevices
	for _, d := range devs {
		if l, _, err := Label(d.DevicePath()); err == nil && l == label {
			out = append(out, d)
		}
	}
	return out
}

// Describe lists the block devices with what each holds, a line each, for
// an operator whose root= named none of them.
func Describe() string {
	devs, err := block.GetBlockDevices()
	if err != nil {
		return "  (cannot list them: " + err.Error() + ")"
	}
	if len(devs) == 0 {
		return "  none: is the disk's driver in the kernel or the image?"
	}
	var b strings.Builder
	for _, d := range devs {
		fmt.Fprintf(&b, "  %s: %s\n", d.DevicePath(), holds(d))
	}
	return strings.TrimRight(b.String(), "\n")
}

// holds says what is on d: its file system, UUID and label, or its size.
func holds(d *block.BlockDev) string {
	label, fs, err := Label(d.DevicePath())
	if err != nil {
		size, _ := os.ReadFile(filepath.Join("/sys/class/block", d.Name, "size"))
		return fmt.Sprintf("no ext4 or xfs file system (%s sectors)", strings.TrimSpace(string(size)))
	}
	return fmt.Sprintf("%s UUID=%s LABEL=%q", fs, d.FsUUID, label)
}
