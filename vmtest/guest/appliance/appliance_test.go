//go:build vmguest

package appliance

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

type entry struct {
	Name, Mode, Device, Mount, State, Detail string
	Size                                     uint64
}

type status struct {
	Ready      bool
	Namespaces []entry
	Errors     []string
}

// dataSize is how much known data each namespace gets: enough to cross
// pages and huge-page boundaries, small enough for TCG.
const dataSize = 4 << 20

func TestRamdaxinit(t *testing.T) {
	params := testParams(t)
	out, err := exec.Command("/bbin/ramdaxinit").CombinedOutput()
	t.Logf("ramdaxinit output:\n%s", out)
	if err != nil {
		t.Fatalf("ramdaxinit: %v", err)
	}
	st := readStatus(t)
	if !st.Ready {
		t.Errorf("status.json: ready is false")
	}
	byName := map[string]entry{}
	for _, e := range st.Namespaces {
		byName[e.Name] = e
	}
	for _, e := range st.Namespaces {
		checkRootOnly(t, e.Device)
	}
	for _, want := range split(params["expect"]) {
		name, state, _ := strings.Cut(want, ":")
		if got := byName[name]; got.State != state {
			t.Errorf("%s: state %q (%s), want %q", name, got.State, got.Detail, state)
		}
	}
	// Emptiness is checked before anything is written.
	for _, name := range split(params["empty"]) {
		if hasData(t, byName[name]) {
			t.Errorf("%s: old data still there after a reset", name)
		}
	}
	for _, name := range split(params["write"]) {
		writeData(t, byName[name])
	}
	for _, name := range split(params["verify"]) {
		if !hasData(t, byName[name]) {
			t.Errorf("%s: the data written at an earlier boot is gone", name)
		}
	}
}

// testParams reads the ramdaxtest.* parameters from /proc/cmdline.
func testParams(t *testing.T) map[string]string {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]string{}
	for _, f := range strings.Fields(string(cmdline)) {
		if k, v, ok := strings.Cut(f, "="); ok && strings.HasPrefix(k, "ramdaxtest.") {
			p[strings.TrimPrefix(k, "ramdaxtest.")] = v
		}
	}
	return p
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func readStatus(t *testing.T) status {
	data, err := os.ReadFile("/run/ramdax/status.json")
	if err != nil {
		t.Fatalf("status.json: %v", err)
	}
	var st status
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("status.json: %v\n%s", err, data)
	}
	return st
}

// knownData is a deterministic stream named after the namespace, so a later
// boot can regenerate and compare it without storing a copy.
func knownData(name string) []byte {
	var b bytes.Buffer
	for i := uint64(0); b.Len() < dataSize; i++ {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], i)
		sum := sha256.Sum256(append([]byte(name), n[:]...))
		b.Write(sum[:])
	}
	return b.Bytes()
}

// dataPath is where a namespace's known data lives: a file on a mounted
// file system, else the device itself (from offset 0). An fsdax namespace
// that ramdaxinit left unmounted (a conflict) is mounted read-only here.
func dataPath(t *testing.T, e entry) string {
	switch {
	case e.Mount != "":
		return filepath.Join(e.Mount, "known-data")
	case e.Mode == "fsdax" && e.Device != "":
		return filepath.Join(mountReadOnly(t, e.Device), "known-data")
	case e.Device != "":
		return e.Device
	}
	t.Fatalf("%s: no device and no mount in status.json", e.Name)
	return ""
}

func writeData(t *testing.T, e entry) {
	path := dataPath(t, e)
	if e.Mode == "devdax" {
		mapDax(t, path, func(m []byte) { copy(m, knownData(e.Name)) })
		if !hasData(t, e) {
			t.Errorf("%s: data written to %s does not read back", e.Name, path)
		}
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	if _, err := f.Write(knownData(e.Name)); err != nil {
		t.Fatalf("%s: write %s: %v", e.Name, path, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("%s: sync: %v", e.Name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if !hasData(t, e) {
		t.Errorf("%s: data written to %s does not read back", e.Name, path)
	}
}

func hasData(t *testing.T, e entry) bool {
	path := dataPath(t, e)
	if e.Mode == "devdax" {
		var same bool
		mapDax(t, path, func(m []byte) { same = bytes.Equal(m, knownData(e.Name)) })
		return same
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	defer f.Close()
	got := make([]byte, dataSize)
	if _, err := f.ReadAt(got, 0); err != nil {
		return false
	}
	return bytes.Equal(got, knownData(e.Name))
}

// mapDax maps the start of a devdax device, which has no read or write,
// only mmap, and calls fn on the mapping.
func mapDax(t *testing.T, path string, fn func([]byte)) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, dataSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap %s: %v", path, err)
	}
	defer unix.Munmap(m)
	// Stores reach the carveout directly: devdax has no page cache to
	// flush, and rejects msync.
	fn(m)
}

// mountReadOnly mounts device read-only, for the length of the test.
func mountReadOnly(t *testing.T, device string) string {
	dir := t.TempDir()
	for _, fs := range []string{"ext4", "xfs"} {
		if err := unix.Mount(device, dir, fs, unix.MS_RDONLY, ""); err == nil {
			t.Cleanup(func() { unix.Unmount(dir, 0) })
			return dir
		}
	}
	t.Fatalf("mount %s read-only: no ext4 or xfs on it", device)
	return ""
}

// checkRootOnly checks that a namespace's device node belongs to root and
// is closed to others: persistent memory holds data that outlives reboots.
func checkRootOnly(t *testing.T, device string) {
	if device == "" {
		return
	}
	var st unix.Stat_t
	if err := unix.Stat(device, &st); err != nil {
		t.Errorf("stat %s: %v", device, err)
		return
	}
	if st.Uid != 0 || st.Gid != 0 || st.Mode&0o007 != 0 {
		t.Errorf("%s is uid %d gid %d mode %#o; want root-only", device, st.Uid, st.Gid, st.Mode&0o777)
	}
}
