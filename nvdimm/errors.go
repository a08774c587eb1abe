package nvdimm

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrInUse is returned when a namespace or device is mounted, open, or
// online as system RAM, and so cannot be changed safely.
var ErrInUse = errors.New("in use")

// ErrNotFound is returned when no namespace or device matches a name.
var ErrNotFound = errors.New("not found")

// AttrError is a failed sysfs attribute write: which attribute, what value,
// the errno the kernel returned, and what to do about it.
type AttrError struct {
	// Attr is the attribute's path below the sysfs root.
	Attr string
	// Value is what was written, without the trailing newline.
	Value string
	// Err is the underlying error, normally a unix.Errno.
	Err error
	// Hint says what the errno means here and what to do about it.
	Hint string
}

func (e *AttrError) Error() string {
	msg := fmt.Sprintf("write %s %q: %s", e.Attr, e.Value, errnoText(e.Err))
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Unwrap returns the errno, so that errors.Is(err, unix.ENOSPC) works.
func (e *AttrError) Unwrap() error { return e.Err }

// Errno returns the kernel's errno, or 0 if the write failed otherwise.
func (e *AttrError) Errno() unix.Errno {
	var errno unix.Errno
	if errors.As(e.Err, &errno) {
		return errno
	}
	return 0
}

// newAttrError builds the error for a failed write of value to the
// attribute rel, with the generic hint for its errno.
func newAttrError(rel, value string, err error) *AttrError {
	var errno unix.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	e := &AttrError{Attr: rel, Value: value, Err: err}
	e.Hint = genericHint(filepath.Base(rel), e.Errno())
	return e
}

// errnoText renders an errno as "ENOSPC (no space left on device)".
func errnoText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return fmt.Sprintf("%s (%v)", name, errno)
		}
	}
	return err.Error()
}

// genericHint explains an errno from the attribute's name alone. Callers
// that know more (the region's free space, the device's state) replace it
// with withHint.
func genericHint(attr string, errno unix.Errno) string {
	switch {
	case errno == unix.ENOENT:
		return "the device is gone or not registered yet; read ndbusN/wait_probe and look again"
	case errno == unix.EACCES || errno == unix.EPERM:
		return "sysfs attribute writes need root"
	case errno == unix.EBUSY && (attr == "bind" || attr == "unbind"):
		return "the device is bound to another driver or in use; unbind it first"
	case errno == unix.EBUSY:
		return "attributes are locked while the device is enabled or claimed; disable it first"
	case errno == unix.ENXIO && attr == "size":
		return "write the namespace uuid before its size, and keep the region's DIMMs enabled"
	case errno == unix.ENXIO && attr == "bind":
		return "the probe found no valid configuration (a seed with mode none, a namespace under 16 MiB, or an info block claimed by another device); see dmesg"
	case errno == unix.ENXIO && attr == "namespace":
		return "the namespace is smaller than 16 MiB, the minimum for fsdax, devdax and sector modes"
	case errno == unix.ENODEV && attr == "namespace":
		return "no such namespace in this region"
	case errno == unix.ENODEV && attr == "bind":
		return "the driver does not match this device (driver_override or new_id missing)"
	case errno == unix.ENOSPC:
		return "not enough free space"
	case errno == unix.EINVAL && attr == "align":
		return "unsupported alignment; see the device's supported_alignments"
	case errno == unix.EINVAL && attr == "sector_size":
		return "unsupported sector size; namespaces take 512 or 4096, btt also 520, 528, 4104, 4160, 4224"
	case errno == unix.EINVAL && attr == "alt_name":
		return "names are at most 63 bytes"
	case errno == unix.EINVAL && attr == "uuid":
		return "the uuid is malformed or already used by another namespace"
	case errno == unix.EINVAL:
		return "the kernel rejected the value"
	}
	return ""
}

// withHint replaces the hint of an *AttrError in err when hint has
// something to say about its errno.
func withHint(err error, hint func(unix.Errno) string) error {
	var ae *AttrError
	if !errors.As(err, &ae) {
		return err
	}
	if h := hint(ae.Errno()); h != "" {
		ae.Hint = h
	}
	return err
}

// FormatSize renders a byte count for people: "256 MiB", "1.5 GiB", "4 KiB".
func FormatSize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " " + units[i]
}
