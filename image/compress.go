package image

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// The initramfs ships compressed with Debian's lz4 at level 12, in the
// legacy frame format, the only one the kernel's unlz4 reads. The kernel
// spends most of its time before /init unpacking it, and under emulation
// (QEMU's TCG, where DAX developers and CI boot the appliance) zstd's
// decoder is slow. Measured here on the 17.3 MB builtin cpio (kernel time
// to /init under TCG, the default layout, median of five boots each, the
// formats in turn, 2026-12-06):
//
//	none          17.30 MB  1.095 s
//	lz4 -l -12     8.09 MB  1.121 s
//	gzip -9        7.03 MB  1.322 s
//	zstd -19       5.76 MB  1.373 s
//
// An earlier run put xz -9e about 0.6 s behind zstd. lz4 costs 2.3 MB
// more than zstd, which a PXE boot over HTTP or an ISO carries in
// milliseconds.
var lz4Args = []string{"-l", lz4Level, "-q", "-f"}

const lz4Level = "-12"

// Compression names the initramfs's compression, as the benchmarks'
// tables print it.
const Compression = "lz4 " + lz4Level

// Compress writes src compressed with lz4 to dst.
func Compress(src, dst string) error {
	cmd := exec.Command("lz4", append(lz4Args, src, dst)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lz4 %s: %w: %s (run `make deps`)", src, err, bytes.TrimSpace(out))
	}
	return nil
}

// Compressor says which compressor and settings made the initramfs, for
// the manifest: the same cpio gives the same bytes only with the same lz4.
func Compressor() (string, error) {
	out, err := exec.Command("lz4", "-V").Output()
	if err != nil {
		return "", fmt.Errorf("lz4 -V: %w", err)
	}
	version := strings.Trim(strings.TrimSpace(string(out)), "* ")
	return version + ", " + strings.Join(lz4Args[:2], " "), nil
}
