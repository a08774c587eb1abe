package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// InitramfsWithTail returns a copy of initramfs with tail appended
// unchecked, as a per-node initrd would arrive: a bootconfig footer or a
// layout cpio (release.LayoutInitrd), or a damaged one.
func InitramfsWithTail(tb testing.TB, initramfs string, tail []byte) string {
	tb.Helper()
	b, err := os.ReadFile(initramfs)
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(tb.TempDir(), "initramfs.cpio")
	if err := os.WriteFile(out, append(b, tail...), 0o644); err != nil {
		tb.Fatal(err)
	}
	return out
}

// RawNamespaces is a bootconfig of n raw namespaces of 16 MiB called
// prefix0, prefix1, ..., one per line, as an operator's generator would
// write it.
func RawNamespaces(prefix string, n int) string {
	return Namespaces(prefix, "raw", n)
}

// Namespaces is RawNamespaces in another mode: raw, fsdax, devdax or
// sector. 16 MiB is the smallest size every mode takes.
func Namespaces(prefix, mode string, n int) string {
	var b strings.Builder
	b.WriteString("ramdax.ns = ")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n\t")
		}
		fmt.Fprintf(&b, "%s%d:%s:16M", prefix, i, mode)
	}
	b.WriteString("\n")
	return b.String()
}
