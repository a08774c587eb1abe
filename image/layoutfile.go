package image

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/release"
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
	extra, err := release.LayoutInitrd(string(text), modular, st.Size())
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
