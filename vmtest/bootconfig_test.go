package vmtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/release"
)

// maxNamespaces is the label slots of a RAMDAX region.
const maxNamespaces = nvdimm.RamdaxLabelSlots

// withLayoutFile returns a copy of initramfs with text appended as make
// image LAYOUT_FILE= appends it: checked, then as a bootconfig for the
// built-in kernel or as /etc/ramdax/bootconfig for a modular one.
func withLayoutFile(t *testing.T, initramfs, text, cmdline string, modular bool) string {
	t.Helper()
	dir := t.TempDir()
	file, out := filepath.Join(dir, "layout.bconf"), filepath.Join(dir, "initramfs.cpio")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := image.CopyFile(initramfs, out); err != nil {
		t.Fatal(err)
	}
	if err := image.AppendLayout(out, file, cmdline, modular); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBootconfigAllSlots creates a namespace in every label slot of a
// region from a bootconfig, on both kernels, keeps them on a RAM-kept
// boot, and refuses a 510th there with the slot limit named.
func TestBootconfigAllSlots(t *testing.T) {
	// A carveout with room for one more than the slots, so that the 510th
	// fails for its label and not for space.
	carveout := WithCarveout(fmt.Sprintf("%dK", (maxNamespaces+1)*16<<10+128), "4G")
	cmdline := fmt.Sprintf("memmap=%dK!4G", (maxNamespaces+1)*16<<10+128)
	all, more := RawNamespaces("vm", maxNamespaces), RawNamespaces("vm", maxNamespaces+1)
	for _, k := range []struct {
		name    string
		modular bool
	}{{"builtin", false}, {"distro", true}} {
		t.Run(k.name, func(t *testing.T) {
			opts := []Option{WithKernel(BuiltinKernel(t)), WithMemory("13G"), carveout,
				WithPersistentRAM(filepath.Join(t.TempDir(), "ram")), WithCmdline("ramdax.then=poweroff")}
			modulesDir := ""
			if k.modular {
				vmlinuz, modulesDep := DistroKernel(t)
				modulesDir = filepath.Dir(modulesDep)
				opts = append(opts, WithKernel(vmlinuz))
			}
			base := applianceImage(t, modulesDir)
			first := Start(t, k.name+"-create", append(opts, WithInitramfs(withLayoutFile(t, base, all, cmdline, k.modular)))...)
			expectLines(t, first, invariantsHeld, fmt.Sprintf("ramdax: ready %d namespaces (%d created, 0 kept, 0 conflicts, 0 unmanaged)", maxNamespaces, maxNamespaces))
			first.Wait()

			// The 510th is refused by the layout check at build time, so it
			// comes unchecked, as a hand-made initrd would.
			st, err := os.Stat(base)
			if err != nil {
				t.Fatal(err)
			}
			tail, err := release.LayoutInitrd(more, k.modular, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			second := Start(t, k.name+"-keep", append(opts, WithInitramfs(InitramfsWithTail(t, base, tail)))...)
			expectLines(t, second, "vm509: ", fmt.Sprintf("%d label slots", maxNamespaces), invariantsHeld,
				fmt.Sprintf("ramdax: ready %d namespaces (0 created, %d kept, 0 conflicts, 0 unmanaged, 1 not set up)", maxNamespaces, maxNamespaces))
			second.Wait()
		})
	}
}

// forgedFooter is a bootconfig footer over data with the size and
// checksum given, for the cases the kernel must refuse.
func forgedFooter(data []byte, size, sum uint32) []byte {
	b := bytes.Clone(data)
	b = binary.LittleEndian.AppendUint32(b, size)
	b = binary.LittleEndian.AppendUint32(b, sum)
	return append(b, bootconfig.Magic...)
}

// TestBootconfigRefused boots bootconfigs the kernel or the layout refuses:
// each gets a clear error, and the command line's layout still applies.
func TestBootconfigRefused(t *testing.T) {
	base := applianceImage(t, "")
	text := append([]byte("ramdax.ns = fromboot:raw:16M\n"), 0, 0, 0)
	big := append(bytes.Repeat([]byte("#"), bootconfig.MaxData+1), 0)
	for _, c := range []struct {
		name string
		tail []byte
		want []string
		// status.json's bootconfig_errors
		errors int
	}{
		{"checksum", forgedFooter(text, uint32(len(text)), 1), []string{
			`error: bootconfig: the kernel refused it ("bootconfig checksum failed")`,
			"ramdax: ready 2 namespaces (2 created, 0 kept"}, 1},
		{"oversize", forgedFooter(big, uint32(len(big)), 0), []string{
			`error: bootconfig: the kernel refused it ("bootconfig size 32769 is greater than max size 32767")`,
			"ramdax: ready 2 namespaces (2 created, 0 kept"}, 1},
		{"bad entry and conflict", mustFooter(t, "ramdax.ns = fromboot:raw:16M, bad:nomode:16M, db:raw:32M\n"), []string{
			`error: bootconfig, value 2 of 3: ramdax.ns="bad:nomode:16M": MODE "nomode"`,
			`error: bootconfig, value 3 of 3: ramdax.ns="db:raw:32M": NAME "db" is declared differently on the command line (db:raw:16M) and in bootconfig, value 3 of 3 (db:raw:32M)`,
			"ramdax: ready 2 namespaces (2 created, 0 kept"}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm := Start(t, c.name, WithKernel(BuiltinKernel(t)), WithCarveout("540800K", "1G"),
				WithInitramfs(InitramfsWithTail(t, base, c.tail)),
				WithCmdline("ramdax.ns=cmd:raw:16M", "ramdax.ns=db:raw:16M", "ramdax.then=shell"))
			defer vm.Wait()
			defer vm.Kill()
			expectLines(t, vm, c.want...)
			expectShell(t, vm)
			st := readStatus(t, vm)
			if st.CmdlineErrors != 0 || st.BootconfigErrors != c.errors {
				t.Errorf("status.json counts %d command-line and %d bootconfig errors, want 0 and %d", st.CmdlineErrors, st.BootconfigErrors, c.errors)
			}
		})
	}
}

func mustFooter(t *testing.T, text string) []byte {
	t.Helper()
	b, err := bootconfig.Footer(text, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
