package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/u-root/u-root/pkg/mount"
	"github.com/u-root/u-root/pkg/mount/block"
	"golang.org/x/sys/unix"
)

// Media is what apply does to the data of namespaces, apart from sysfs:
// the seam that lets the executor be tested without a kernel. Disk is the
// real one.
type Media interface {
	// Wipe zeroes the start of a new namespace's device, then has the
	// kernel drop the partitions it scanned from what was there before.
	Wipe(device string, align uint64) error
	// Detect names the file system on device, "" when it holds none
	// that the kernel can mount.
	Detect(device string) (string, error)
	// MarkPending writes the format-pending mark for the namespace with
	// uuid at the end of raw, its raw block device, before a pfn device
	// claims it: the pfn device ends where it does.
	MarkPending(raw *os.File, uuid string) error
	// FormatPending says whether device carries ramdaxinit's mark that a
	// file system is to be made on it, for the namespace with uuid: the
	// mark is there from the namespace's creation until its mkfs ends.
	FormatPending(device, uuid string) (bool, error)
	// Mkfs makes fs on device, keeping the mark's last 4 KiB out of it,
	// then removes the mark.
	Mkfs(fs, device string) error
	// Mount mounts device on dir with DAX.
	Mount(device, dir, fs string) error
}

// Disk is Media on real block and dax devices.
type Disk struct {
	// MkfsTimeout bounds each mkfs. Default 2 minutes.
	MkfsTimeout time.Duration
}

// MarkSize is the space at the end of an fsdax namespace that holds the
// format-pending mark; file systems made there leave it out.
const MarkSize = 4096

// markMagic starts the mark. It is followed by the namespace's uuid, so a
// mark left by an older namespace at the same place means nothing.
const markMagic = "RAMDAX FORMAT PENDING\n"

// Mark returns the format-pending mark for the namespace with uuid.
func Mark(uuid string) []byte {
	m := make([]byte, MarkSize)
	copy(m, markMagic+"uuid="+uuid+"\n")
	return m
}

// MarkPending writes the mark at the end of f.
func (Disk) MarkPending(f *os.File, uuid string) error {
	size, err := deviceSize(f)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(Mark(uuid), int64(size-MarkSize)); err != nil {
		return fmt.Errorf("write the format-pending mark on %s: %w", f.Name(), err)
	}
	return f.Sync()
}

// wipeBlocks are the 4 KiB blocks a wipe zeroes: those that hold every
// superblock magic Detect knows (u-root's table has them at 0, 0x438,
// 32 KiB and 0x10040) and the partition tables the kernel scans, an MBR
// or a GPT, whose header is in the first block and whose backup at the
// end the kernel reads only behind a protective MBR in sector 0. Under
// emulation the kernel's pmem copy runs at tens of MB/s: zeroing the
// whole 128 KiB Detect reads cost 2 ms per namespace.
var wipeBlocks = []int64{0, 32 << 10, 64 << 10}

const wipeBlock = 4096

// zeros is the one buffer every write of zeros comes from.
var zeros = make([]byte, max(wipeBlock, MarkSize))

// Wipe zeroes the wipeBlocks of device. A devdax device has no write(2),
// only mmap, in multiples of its alignment. It runs once per new
// namespace, so it makes its system calls directly: an os.File costs one
// more for each open, to ask the poller about the descriptor.
func (Disk) Wipe(device string, align uint64) error {
	fd, err := unix.Open(device, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("wipe: %w", &os.PathError{Op: "open", Path: device, Err: err})
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("wipe: %w", &os.PathError{Op: "stat", Path: device, Err: err})
	}
	if st.Mode&unix.S_IFMT == unix.S_IFCHR {
		return wipeDax(fd, device, align)
	}
	for _, off := range wipeBlocks {
		if err := zeroBlock(fd, off); err != nil {
			return fmt.Errorf("wipe %s: %w", device, err)
		}
	}
	// The kernel scanned the old bytes for partitions when the device
	// appeared; without a rescan a stale pmemNp1 would stay.
	if !hasPartitions(device) {
		return nil
	}
	if err := rereadPartitions(device); err != nil {
		return fmt.Errorf("wipe %s: re-read partitions: %w", device, err)
	}
	return nil
}

// zeroBlock zeroes the block at off with BLKZEROOUT, which writes in the
// kernel and drops the range from the page cache: no buffer, no
// write-back. An image file has no BLKZEROOUT, and gets a write and an
// fsync.
func zeroBlock(fd int, off int64) error {
	span := [2]uint64{uint64(off), wipeBlock}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.BLKZEROOUT, uintptr(unsafe.Pointer(&span)))
	if errno == 0 {
		return nil
	}
	if errno != unix.ENOTTY && errno != unix.EOPNOTSUPP {
		return fmt.Errorf("BLKZEROOUT at %d: %w", off, errno)
	}
	if _, err := unix.Pwrite(fd, zeros[:wipeBlock], off); err != nil {
		return fmt.Errorf("write zeros at %d: %w", off, err)
	}
	return unix.Fsync(fd)
}

// hasPartitions says whether the kernel found partitions on the block
// device, as /sys/class/block/NAME/NAMEpN or NAMEN (pmem0p1, pmem0s1...).
// An image file has none.
func hasPartitions(device string) bool {
	name := filepath.Base(device)
	fd, err := unix.Open(filepath.Join("/sys/class/block", name), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err != nil || n <= 0 {
			return false
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, e := range names {
			if strings.HasPrefix(e, name) {
				return true
			}
		}
	}
}

func rereadPartitions(device string) error {
	b, err := block.Device(device)
	if err != nil {
		return err
	}
	return b.ReadPartitionTable()
}

func wipeDax(fd int, device string, align uint64) error {
	align = max(align, wipeBlock)
	end := uint64(wipeBlocks[len(wipeBlocks)-1] + wipeBlock)
	size := (end + align - 1) / align * align
	m, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("wipe %s: mmap %d bytes: %w", device, size, err)
	}
	defer unix.Munmap(m)
	for _, off := range wipeBlocks {
		clear(m[off : off+wipeBlock])
	}
	return nil
}

// Detect names the file system on device with u-root's superblock
// magics, "" for none it knows of.
func (Disk) Detect(device string) (string, error) {
	if _, err := os.Stat(device); err != nil {
		return "", err
	}
	fs, _, err := mount.FSFromBlock(device)
	if err != nil {
		return "", nil
	}
	return fs, nil
}

// xfsInProgress is the offset of sb_inprogress in an xfs superblock:
// mkfs.xfs sets it first and clears it last.
const xfsInProgress = 126

// FormatPending reads the mark at the end of device. An xfs superblock
// that mkfs.xfs never finished counts too, since mkfs.xfs overwrites the
// end of the device at its start: such a file system holds nothing.
func (Disk) FormatPending(device, uuid string) (bool, error) {
	f, err := os.Open(device)
	if err != nil {
		return false, err
	}
	defer f.Close()
	size, err := deviceSize(f)
	if err != nil {
		return false, err
	}
	tail := make([]byte, MarkSize)
	head := make([]byte, 512)
	if _, err := f.ReadAt(tail, int64(size-MarkSize)); err != nil {
		return false, fmt.Errorf("read the end of %s: %w", device, err)
	}
	if _, err := f.ReadAt(head, 0); err != nil {
		return false, fmt.Errorf("read the start of %s: %w", device, err)
	}
	return bytes.Equal(tail, Mark(uuid)) || bytes.HasPrefix(head, []byte("XFSB")) && head[xfsInProgress] != 0, nil
}

// mkfsArgs are the mkfs commands per file system; the size in blocks or
// bytes follows. DAX wants the block size to equal the page size; xfs
// reflink cannot be combined with DAX on every kernel, so it is off.
var mkfsArgs = map[string]func(device string, size uint64) []string{
	"ext4": func(device string, size uint64) []string {
		return []string{"/sbin/mkfs.ext4", "-q", "-F", "-b", "4096", device, strconv.FormatUint(size/4096, 10)}
	},
	"xfs": func(device string, size uint64) []string {
		return []string{"/sbin/mkfs.xfs", "-q", "-f", "-m", "reflink=0", "-d", "size=" + strconv.FormatUint(size, 10), device}
	},
}

// Mkfs makes fs on device, leaving out the mark, then clears the mark.
func (d Disk) Mkfs(fs, device string) error {
	args, ok := mkfsArgs[fs]
	if !ok {
		return fmt.Errorf("no mkfs for %q", fs)
	}
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := deviceSize(f)
	if err != nil {
		return err
	}
	timeout := d.MkfsTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := args(device, size-MarkSize)
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s did not finish within %v", argv[0], timeout)
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %s", argv[0], err, bytes.TrimSpace(out))
	}
	if _, err := f.WriteAt(zeros[:MarkSize], int64(size-MarkSize)); err != nil {
		return fmt.Errorf("clear the format-pending mark of %s: %w", device, err)
	}
	return f.Sync()
}

// Mount mounts device on dir with DAX.
func (Disk) Mount(device, dir, fs string) error {
	if mountedAt(device, dir) {
		return nil // by the appliance, before it switched root to this OS
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := mount.Mount(device, dir, fs, "dax", 0); err != nil {
		return fmt.Errorf("mount %s on %s (%s, dax): %w", device, dir, fs, err)
	}
	return nil
}

// mountedAt reports whether device is mounted on dir already.
func mountedAt(device, dir string) bool {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == device && f[1] == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

// deviceSize is the size of an open block device, or of an image file.
func deviceSize(f *os.File) (uint64, error) {
	size, err := unix.IoctlGetUint64(int(f.Fd()), unix.BLKGETSIZE64)
	if errors.Is(err, unix.ENOTTY) {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			size = uint64(fi.Size())
		}
	}
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", f.Name(), err)
	}
	if size < MarkSize {
		return 0, fmt.Errorf("%s is only %d bytes", f.Name(), size)
	}
	return size, nil
}
