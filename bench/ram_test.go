package bench

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/ramdax/appliance/vmtest"
	"golang.org/x/sys/unix"
)

// The host behind this rig backs a page of a guest's RAM only when
// something first touches it, at about 10 ms per 2 MiB, which no server's
// RAM costs: whoever touched a page first paid for it, the kernel's binds
// for the struct pages they write, mkfs for the page cache it fills, and
// ramdaxinit's wipe for a devdax device's first data page. So every boot
// of the default layout and of the scaling rows runs on a RAM file whose
// pages the host backed before QEMU started.

// ramFile is the backed RAM file of the last size asked for: writing one
// takes seconds, zeroing a carveout in it milliseconds. One at a time, so
// that the files of several sizes do not fill the host's memory.
var ramFile struct {
	sync.Mutex
	path string
	size int64
}

// backedRAM returns a RAM file of size bytes, every byte of it written
// once, and zeros over [carveoutAt, carveoutAt+carveoutSize) so that the
// guest finds no labels there: a first boot, on RAM the host has backed.
func backedRAM(tb testing.TB, size, carveoutAt, carveoutSize int64) string {
	tb.Helper()
	ramFile.Lock()
	defer ramFile.Unlock()
	if ramFile.path != "" && ramFile.size == size {
		if err := writeZeros(ramFile.path, size, carveoutAt, carveoutSize); err != nil {
			tb.Fatalf("clear the carveout: %v", err)
		}
		return ramFile.path
	}
	removeRAMFile()
	f, err := os.CreateTemp(ramDir(size), "ramdax-bench-ram-")
	if err != nil {
		tb.Fatal(err)
	}
	f.Close()
	ramFile.path, ramFile.size = f.Name(), size
	if err := writeZeros(ramFile.path, size, 0, size); err != nil {
		tb.Fatalf("back the guest's RAM: %v", err)
	}
	return ramFile.path
}

// ramDir is where a RAM file of size bytes goes: /dev/shm when it has
// room for it and 2 GiB more, so that no writeback to a disk competes
// with the guests, else the temporary directory.
func ramDir(size int64) string {
	var fs unix.Statfs_t
	if unix.Statfs("/dev/shm", &fs) == nil && int64(fs.Bavail)*fs.Bsize > size+2<<30 {
		return "/dev/shm"
	}
	return os.TempDir()
}

// removeRAMFile deletes the RAM file, if there is one.
func removeRAMFile() {
	if ramFile.path != "" {
		os.Remove(ramFile.path)
		ramFile.path = ""
	}
}

// writeZeros makes path size bytes long, with zeros in [off, off+n).
func writeZeros(path string, size, off, n int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	// QEMU wants the file the size of the RAM.
	if err := f.Truncate(size); err != nil {
		return err
	}
	zeros := make([]byte, 2<<20)
	for at := off; at < off+n; at += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), off+n-at)], at); err != nil {
			return fmt.Errorf("write zeros into %s: %w", path, err)
		}
	}
	return nil
}

// The same host takes back memory that has been free for about two
// seconds (virtio-balloon's free page reporting), and QEMU's translation
// cache grows into fresh pages whenever the guest runs code for the first
// time: a QEMU started after the rig idled paid for those first touches in
// the guest's time, mostly after /init, whose programs are all new code.
// So the boots on backed RAM also have QEMU lock its memory, which makes
// the host back all of it when QEMU starts, before the guest's clock does.

// onBackedRAM boots on the backed RAM file path, with QEMU's memory
// locked when this process may let it lock, and records once which.
func onBackedRAM(tb testing.TB, path string) vmtest.Option {
	lock := mayLockMemory()
	recordLockNote.Do(func() {
		note := "QEMU's memory locked at its start (-overcommit mem-lock=on), under TCG with a translation cache of 256 MiB"
		if !lock {
			note = "QEMU's memory not locked: no CAP_IPC_LOCK, and a locked-memory limit"
		}
		recordRow(tb, Row{Section: Note, Name: "qemu-memory", Text: map[string]string{"note": note}})
	})
	return func(m *vmtest.Machine) {
		vmtest.WithPersistentRAM(path)(m)
		if lock {
			vmtest.WithLockedMemory()(m)
		}
	}
}

// recordLockNote records onBackedRAM's note once per run.
var recordLockNote sync.Once

// mayLockMemory says whether a child of this process can lock all its
// memory: QEMU exits when mem-lock=on fails.
func mayLockMemory() bool {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil && lim.Cur == unix.RLIM_INFINITY {
		return true
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		return false
	}
	return caps[0].Effective&(1<<unix.CAP_IPC_LOCK) != 0
}

func TestMain(m *testing.M) {
	code := m.Run()
	removeRAMFile()
	os.Exit(code)
}
