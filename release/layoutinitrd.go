package release

import (
	"bytes"
	"strings"

	"github.com/u-root/mkuimage/cpio"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/layout"
)

// LayoutInitrd returns the initrd that carries a layout's bootconfig text
// to the kernel of an image, to follow after bytes of initrd already
// there: on the built-in kernel a bootconfig footer, which the kernel
// takes from the end of the initrd and shows in /proc/bootconfig; on a
// modular (Debian) kernel, which has no bootconfig, a cpio holding
// layout.BootconfigFile, which the kernel unpacks over the initramfs.
func LayoutInitrd(text string, modular bool, after int64) ([]byte, error) {
	if !modular {
		return bootconfig.Footer(text, after)
	}
	// The kernel looks for a cpio's magic only on a 4-byte boundary.
	pad := make([]byte, (4-after%4)%4)
	var buf bytes.Buffer
	buf.Write(pad)
	w := cpio.Newc.Writer(&buf)
	recs := []cpio.Record{
		cpio.Directory("etc", 0o755),
		cpio.Directory("etc/ramdax", 0o755),
		cpio.StaticFile(strings.TrimPrefix(layout.BootconfigFile, "/"), text, 0o644),
	}
	cpio.MakeAllReproducible(recs)
	if err := cpio.WriteRecords(w, recs); err != nil {
		return nil, err
	}
	if err := cpio.WriteTrailer(w); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
