package image

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/layout"
	"github.com/u-root/mkuimage/cpio"
)

// CheckLayoutFile checks a bootconfig layout as the kernel and ramdaxinit
// will read it: the kernel's bootconfig grammar and limits, then the
// layout's grammar together with the command line it is booted with, for
// conflicts and fit. Each error names the file, the line and the fix.
func CheckLayoutFile(name, text, cmdline string) error {
	kvs, err := bootconfig.Parse(text)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !hasRamdaxKey(kvs) {
		return fmt.Errorf("%s: no ramdax.* key; a layout file holds ramdax.ns and the other ramdax.* parameters", name)
	}
	_, err = layout.ParseWithBootconfig(cmdline, name, kvs)
	if errs := layout.AsErrors(err); len(errs) > 0 {
		lines := make([]string, len(errs))
		for i, e := range errs {
			lines[i] = "  " + e.Error()
		}
		return fmt.Errorf("%s: %d problems with the layout:\n%s", name, len(errs), strings.Join(lines, "\n"))
	}
	return nil
}

func hasRamdaxKey(kvs []bootconfig.KeyValue) bool {
	for _, kv := range kvs {
		if strings.HasPrefix(kv.Key, "ramdax.") {
			return true
		}
	}
	return false
}

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

// AppendLayout checks the layout file and appends its initrd to the
// initramfs at path.
func AppendLayout(path, layoutFile, cmdline string, modular bool) error {
	text, err := os.ReadFile(layoutFile)
	if err != nil {
		return fmt.Errorf("LAYOUT_FILE: %w", err)
	}
	if err := CheckLayoutFile(layoutFile, string(text), cmdline); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	extra, err := LayoutInitrd(string(text), modular, st.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", layoutFile, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(extra)
	return errors.Join(err, f.Close())
}
