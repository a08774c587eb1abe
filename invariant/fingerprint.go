package invariant

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ramdax/appliance/nvdimm"
	"golang.org/x/sys/unix"
)

// edge is how much of each end of a namespace a Print hashes: the first
// and last pages, where file systems and info blocks keep their headers.
const edge = 4096

// Print identifies a namespace's label and the bytes at its two ends, so
// that a later boot can tell whether anything touched it.
type Print struct {
	Name string `json:"name"`
	Dev  string `json:"dev"`
	UUID string `json:"uuid"`
	Mode string `json:"mode"`
	Size uint64 `json:"size"`
	// Head and Tail are the sha256 of the first and last 4 KiB of the
	// device, empty for a system-ram namespace (memory the kernel uses).
	Head string `json:"head,omitempty"`
	Tail string `json:"tail,omitempty"`
	// InUse is set while the device is mounted or open: a mounted file
	// system rewrites its superblock, so its ends prove nothing.
	InUse bool `json:"in_use,omitempty"`
}

// Fingerprint reads ns's print.
func Fingerprint(sys *nvdimm.Sysfs, ns *nvdimm.Namespace) (Print, error) {
	p := Print{Name: ns.Name, Dev: ns.Dev, UUID: ns.UUID, Mode: ns.Personality(), Size: ns.Size,
		InUse: sys.InUse(ns) != nil}
	device := sys.DevicePath(ns)
	if device == "" || p.Mode == nvdimm.DaxModeSystemRAM {
		return p, nil
	}
	var head, tail []byte
	var err error
	if ns.Mode == nvdimm.ModeDevdax {
		head, tail, err = daxEdges(device, ns)
	} else {
		head, tail, err = blockEdges(device)
	}
	if err != nil {
		return p, fmt.Errorf("fingerprint %s (%s): %w", ns.Name, device, err)
	}
	p.Head, p.Tail = digest(head), digest(tail)
	return p, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// blockEdges reads the first and last pages of a block device.
func blockEdges(device string) (head, tail []byte, err error) {
	f, err := os.Open(device)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, nil, err
	}
	head, tail = make([]byte, edge), make([]byte, edge)
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, nil, err
	}
	if _, err := f.ReadAt(tail, size-edge); err != nil {
		return nil, nil, err
	}
	return head, tail, nil
}

// daxEdges maps the first and last alignment units of a devdax device,
// which has no read(2), and copies a page from each end.
func daxEdges(device string, ns *nvdimm.Namespace) (head, tail []byte, err error) {
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	unit := int64(ns.Align)
	if unit == 0 {
		unit = 2 << 20
	}
	if head, err = daxCopy(f, 0, unit, 0); err != nil {
		return nil, nil, err
	}
	tail, err = daxCopy(f, int64(ns.Size)-unit, unit, unit-edge)
	return head, tail, err
}

// daxCopy maps length bytes at off and copies the page at within.
func daxCopy(f *os.File, off, length, within int64) ([]byte, error) {
	m, err := unix.Mmap(int(f.Fd()), off, int(length), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes at %d: %w", length, off, err)
	}
	defer unix.Munmap(m)
	return append([]byte(nil), m[within:within+edge]...), nil
}

// Untouched compares the prints of namespaces that nothing was asked to
// change, before and after a boot, and returns what changed. The ends of
// a namespace in use at either boot are left out: its file system owns
// them.
func Untouched(before, after map[string]Print, names []string) []error {
	var errs []error
	for _, name := range names {
		b, ok := before[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no print from before to compare with", name))
			continue
		}
		a, ok := after[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: gone, though nothing asked to change it", name))
			continue
		}
		// Device names follow probe order, which may change across boots.
		a.Dev = b.Dev
		if a.InUse || b.InUse {
			a.Head, a.Tail, a.InUse = b.Head, b.Tail, b.InUse
		}
		if a != b {
			errs = append(errs, fmt.Errorf("%s changed, though nothing asked to change it: before %+v, after %+v", name, b, a))
		}
	}
	return errs
}

// printPrefix starts a console line that carries one Print as JSON, for a
// test on the host to collect from a guest's console.
const printPrefix = "ramdax-print: "

// FormatPrint is p as one console line, without the newline.
func FormatPrint(p Print) string {
	b, _ := json.Marshal(p) // a struct of strings and numbers always marshals
	return printPrefix + string(b)
}

// ParsePrints collects the prints in console output by name; a later line
// for the same name wins. It scans with the strings package: linking
// regexp into the guest's ramdaxinit initialised the unicode tables at
// every boot, 19 ms under TCG.
func ParsePrints(console string) (map[string]Print, error) {
	prints := map[string]Print{}
	for rest := console; ; {
		i := strings.Index(rest, printPrefix)
		if i < 0 {
			break
		}
		rest = rest[i+len(printPrefix):]
		line, _, _ := strings.Cut(rest, "\n")
		end := strings.LastIndexByte(line, '}')
		if !strings.HasPrefix(line, "{") || end < 0 {
			continue
		}
		var p Print
		if err := json.Unmarshal([]byte(line[:end+1]), &p); err != nil {
			return nil, fmt.Errorf("parse print %q: %w", line[:end+1], err)
		}
		prints[p.Name] = p
	}
	return prints, nil
}
