package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/status"
	"github.com/u-root/u-root/pkg/mount"
	"golang.org/x/sys/unix"
)

// fsType names the file system on device from its superblock magic, ""
// when there is none that ramdaxinit knows.
func fsType(device string) (string, error) {
	f, err := os.Open(device)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sb := make([]byte, 2048)
	if _, err := io.ReadFull(f, sb); err != nil {
		return "", fmt.Errorf("read superblock of %s: %w", device, err)
	}
	switch {
	case bytes.Equal(sb[0:4], []byte("XFSB")):
		return "xfs", nil
	case sb[1080] == 0x53 && sb[1081] == 0xef: // ext2/3/4 s_magic 0xEF53, little-endian
		return "ext4", nil
	}
	return "", nil
}

// mkfsArgs are the mkfs commands per file system. DAX wants the block size
// to equal the page size; xfs reflink cannot be combined with DAX on every
// kernel, so it is off.
var mkfsArgs = map[string][]string{
	"ext4": {"/sbin/mkfs.ext4", "-q", "-F", "-b", "4096"},
	"xfs":  {"/sbin/mkfs.xfs", "-q", "-f", "-m", "reflink=0"},
}

// mountFS makes a file system on device if it has none, then mounts it
// with DAX where the namespace asks. An existing file system is never
// reformatted, even of another type than fs= asks.
func mountFS(l *logger, device string, want *layout.Namespace, e *status.Entry) error {
	have, err := fsType(device)
	if err != nil {
		return err
	}
	switch {
	case have == "" && want.FS != "":
		args := append(mkfsArgs[want.FS], device)
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", args[0], err, bytes.TrimSpace(out))
		}
		l.Printf("%s: made %s on %s", want.Name, want.FS, device)
		have = want.FS
	case have == "":
		return fmt.Errorf("%s holds no file system to mount; add fs=ext4 or fs=xfs", device)
	case want.FS != "" && have != want.FS:
		l.Printf("%s: %s already holds %s, not %s: keeping it", want.Name, device, have, want.FS)
	}
	if want.Mount == "" {
		return nil
	}
	if err := os.MkdirAll(want.Mount, 0o755); err != nil {
		return err
	}
	if _, err := mount.Mount(device, want.Mount, have, "dax", 0); err != nil {
		return fmt.Errorf("mount %s on %s (%s, dax): %w", device, want.Mount, have, err)
	}
	e.Mount = want.Mount
	l.Debugf("%s: mounted %s on %s with dax", want.Name, device, want.Mount)
	return nil
}

// wipeLen covers every superblock fsType looks for, and more.
const wipeLen = 1 << 20

// wipeStart zeroes the first MiB of a device. A devdax device has no
// write(2), only mmap, in multiples of its alignment.
func wipeStart(device string, align uint64) error {
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wipe: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		if _, err := f.WriteAt(make([]byte, wipeLen), 0); err != nil {
			return fmt.Errorf("wipe %s: %w", device, err)
		}
		return f.Sync()
	}
	size := max(uint64(wipeLen), align)
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("wipe %s: mmap %d bytes: %w", device, size, err)
	}
	defer unix.Munmap(m)
	clear(m[:wipeLen])
	return nil
}
