// Package knowndata writes and reads back a deterministic stream on the
// namespaces ramdaxinit set up, so that a later boot can tell whether the
// data survived: guest programs and guest tests share it.
//
// Where the data lives depends on the namespace: a file on its mounted
// file system, the start of its block device, or the start of a devdax
// mapping. An fsdax namespace that ramdaxinit left unmounted (a conflict)
// is mounted read-only to read it.
package knowndata

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

// Size is how much data each namespace gets: enough to cross pages and a
// huge page, small enough for TCG.
const Size = 4 << 20

// fileName is the data file on a mounted file system.
const fileName = "known-data"

// Bytes is the stream for seed: a chain of sha256 blocks, so any change of
// seed changes every block.
func Bytes(seed string) []byte {
	var b bytes.Buffer
	for i := uint64(0); b.Len() < Size; i++ {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], i)
		sum := sha256.Sum256(append([]byte(seed), n[:]...))
		b.Write(sum[:])
	}
	return b.Bytes()
}

// Sum is the hex sha256 of data, as the suites compare it across boots.
func Sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Write stores data on e and syncs it.
func Write(e status.Entry, data []byte) error {
	if e.Mode == "devdax" {
		return mapDax(e.Device, len(data), func(m []byte) { copy(m, data) })
	}
	path, done, err := dataPath(e)
	if err != nil {
		return err
	}
	defer done()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("%s: write %s: %w", e.Name, path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s: sync %s: %w", e.Name, path, err)
	}
	return f.Close()
}

// Read reads n bytes back from e. A missing data file reads as nil.
func Read(e status.Entry, n int) ([]byte, error) {
	got := make([]byte, n)
	if e.Mode == "devdax" {
		err := mapDax(e.Device, n, func(m []byte) { copy(got, m) })
		return got, err
	}
	path, done, err := dataPath(e)
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	defer f.Close()
	if _, err := f.ReadAt(got, 0); err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", e.Name, path, err)
	}
	return got, nil
}

// dataPath is where e's data lives, and what to do when done with it.
func dataPath(e status.Entry) (string, func(), error) {
	nothing := func() {}
	switch {
	case e.Mount != "":
		return filepath.Join(e.Mount, fileName), nothing, nil
	case e.Mode == "fsdax" && e.Device != "":
		dir, err := mountReadOnly(e.Device)
		if err != nil {
			return "", nothing, err
		}
		return filepath.Join(dir, fileName), func() { unix.Unmount(dir, 0); os.Remove(dir) }, nil
	case e.Device != "":
		return e.Device, nothing, nil
	}
	return "", nothing, fmt.Errorf("%s: no device and no mount in status.json", e.Name)
}

// mapDax maps the start of a devdax device, which has no read or write,
// only mmap. Stores reach the carveout directly: devdax has no page cache
// to flush, and rejects msync.
func mapDax(device string, n int, fn func([]byte)) error {
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap %s: %w", device, err)
	}
	defer unix.Munmap(m)
	fn(m)
	return nil
}

// mountReadOnly mounts device read-only on a new directory.
func mountReadOnly(device string) (string, error) {
	dir, err := os.MkdirTemp("", "knowndata-")
	if err != nil {
		return "", err
	}
	for _, fs := range []string{"ext4", "xfs"} {
		if err := unix.Mount(device, dir, fs, unix.MS_RDONLY, ""); err == nil {
			return dir, nil
		}
	}
	os.Remove(dir)
	return "", fmt.Errorf("mount %s read-only: no ext4 or xfs on it", device)
}
