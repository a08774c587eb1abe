//go:build vmguest

package pmemtests

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/ramdax/appliance/guest"
	"golang.org/x/sys/unix"
)

// mapSize is what each test maps: one 2 MiB page, devdax's default
// alignment.
const mapSize = 2 << 20

// pattern is the data written to the namespace name: a hash chain, so that
// every 32 bytes differ.
func pattern(name string) []byte {
	out := make([]byte, 0, mapSize)
	sum := sha256.Sum256([]byte(name))
	for len(out) < mapSize {
		out = append(out, sum[:]...)
		sum = sha256.Sum256(sum[:])
	}
	return out
}

func phase(t *testing.T) string {
	p, ok, err := guest.Param("roundtrip.phase")
	if err != nil || !ok {
		t.Fatalf("roundtrip.phase: %q, %v, %v", p, ok, err)
	}
	return p
}

// TestFsdaxFile maps a file on the DAX-mounted ext4 with MAP_SYNC, which
// the kernel grants only when the mapping reaches the memory directly.
func TestFsdaxFile(t *testing.T) {
	ns, err := guest.Namespace("db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ns.Mount, "roundtrip.dat")
	p := phase(t)
	if p == "read" && ns.State != "kept" {
		t.Fatalf("db: %s after the reboot, want kept", ns.State)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p == "write" {
		if err := unix.Fallocate(int(f.Fd()), 0, 0, mapSize); err != nil {
			t.Fatalf("fallocate %s: %v", path, err)
		}
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, mapSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_SHARED_VALIDATE|unix.MAP_SYNC)
	if err != nil {
		t.Fatalf("mmap %s with MAP_SYNC: %v (is %s mounted with DAX?)", path, err, ns.Mount)
	}
	defer unix.Munmap(mem)
	roundTrip(t, p, "db", mem, unix.Msync)
}

// TestDevdax maps the devdax character device itself.
func TestDevdax(t *testing.T) {
	ns, err := guest.Namespace("fast")
	if err != nil {
		t.Fatal(err)
	}
	p := phase(t)
	if p == "read" && ns.State != "kept" {
		t.Fatalf("fast: %s after the reboot, want kept", ns.State)
	}
	f, err := os.OpenFile(ns.Device, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, mapSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap %s: %v", ns.Device, err)
	}
	defer unix.Munmap(mem)
	// A device has no fsync: stores reach the memory as they are.
	roundTrip(t, p, "fast", mem, nil)
}

// roundTrip writes name's pattern into mem and flushes it with sync, when
// there is one, or checks that mem holds the pattern.
func roundTrip(t *testing.T, phase, name string, mem []byte, sync func([]byte, int) error) {
	want := pattern(name)
	switch phase {
	case "write":
		copy(mem, want)
		if sync != nil {
			if err := sync(mem, unix.MS_SYNC); err != nil {
				t.Fatalf("%s: msync: %v", name, err)
			}
		}
		t.Logf("%s: wrote %d bytes", name, len(want))
	case "read":
		if !bytes.Equal(mem, want) {
			i := 0
			for i < len(mem) && mem[i] == want[i] {
				i++
			}
			t.Fatalf("%s: data differs from byte %d after the reboot", name, i)
		}
		t.Logf("%s: read back %d bytes intact", name, len(want))
	default:
		t.Fatalf("roundtrip.phase=%s: want write or read", phase)
	}
}
