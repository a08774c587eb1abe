package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ramdax/appliance/bootconfig"
	"github.com/ramdax/appliance/layout"
)

// LongLayout is a carveout with n raw namespaces whose names take the
// 63 bytes a label allows, so that a few dozen overflow the command line.
func LongLayout(n int) string {
	parts := []string{fmt.Sprintf("memmap=%dK!1G", n*16<<10+128), "ramdax.debug"}
	for i := range n {
		name := fmt.Sprintf("%s%03d", strings.Repeat("v", 60), i)
		parts = append(parts, "ramdax.ns="+name+":raw:16M")
	}
	return strings.Join(parts, " ")
}

func TestLongLayoutGoesToBootconfig(t *testing.T) {
	lay := LongLayout(40)
	inv := mustParse(t, "node big 52:54:00:fe:00:42 "+lay+"\n")
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "node-big.bconf.img") || !strings.Contains(inv.Warnings[0], "more than the kernel's 2047") {
		t.Fatalf("warnings %q, want one naming the bootconfig initrd", inv.Warnings)
	}
	out := filepath.Join(t.TempDir(), "fleet")
	if err := Write(out, inv, fakeFiles(t), testNetwork); err != nil {
		t.Fatal(err)
	}
	script := readFile(t, filepath.Join(out, TFTPDir, "52-54-00-fe-00-42.ipxe"))
	want := "initrd initramfs.cpio.lz4\ninitrd node-big.bconf.img\nboot\n"
	if !strings.Contains(script, want) || strings.Contains(script, "ramdax.ns=") || !strings.Contains(script, "initrd=node-big.bconf.img") {
		t.Errorf("script:\n%s\nwant the appliance's initrd, then the bootconfig, and no ramdax.ns= on the line", script)
	}
	for _, dir := range []string{filepath.Join(out, TFTPDir), filepath.Join(out, MatchboxDir, "assets", AssetsDir)} {
		checkSameLayout(t, lay, splitLayout(lay).Cmdline, filepath.Join(dir, "node-big.bconf.img"))
	}
	p := MatchboxProfiles(inv)[0]
	if got := p.Boot.Initrd; len(got) != 2 || !strings.HasSuffix(got[1], "/node-big.bconf.img") {
		t.Errorf("matchbox initrd %q: want the bootconfig last", got)
	}
}

// checkSameLayout reads the bootconfig initrd back, as the kernel would,
// and parses it with the rest of the command line as ramdaxinit would:
// the layout is the one the inventory wrote.
func checkSameLayout(t *testing.T, lay, cmdline, initrd string) {
	t.Helper()
	b, err := os.ReadFile(initrd)
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := bootconfig.FromInitrd(b)
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := bootconfig.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := layout.ParseWithBootconfig(cmdline, "bootconfig", kvs)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := layout.Parse(lay)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: layout\n%+v\nwant\n%+v", initrd, got, want)
	}
}

func TestShortLayoutStaysOnTheCommandLine(t *testing.T) {
	if b := splitLayout(LongLayout(2)); b.Bootconfig != "" {
		t.Errorf("a layout of 2 namespaces went to a bootconfig:\n%s", b.Bootconfig)
	}
}
