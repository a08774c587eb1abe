// Package cmds_test checks what the shipped commands link.
package cmds_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// shipped are the commands that go into images and releases; tools/ holds
// the development ones. mkimage is built on mkuimage, whose logger
// (u-root's uio/llog) imports testing for its test adapter, so for mkimage
// only this module's own packages are held to it.
var shipped = map[string]bool{"./ramdaxinit": true, "./ramdaxctl": true, "./ramdaxboot": true, "./ramdaxnet": true, "./pxeconfig": true, "./mkimage": false}

// harness are packages that belong in tests only.
var harness = []string{
	"github.com/ramdax/appliance/vmtest",
	"github.com/ramdax/appliance/bench",
	"github.com/ramdax/appliance/guest",
	"github.com/hugelgupf/vmtest",
}

// TestShippedCommandsLinkNoHarness reads each shipped command's packages
// and their imports, as `go list -deps` gives them for its build.
func TestShippedCommandsLinkNoHarness(t *testing.T) {
	for cmd, noTesting := range shipped {
		for _, line := range depLines(t, cmd) {
			pkg, imports, _ := strings.Cut(line, " ")
			for _, h := range harness {
				if pkg == h || strings.HasPrefix(pkg, h+"/") {
					t.Errorf("%s links %s", cmd, pkg)
				}
			}
			own := strings.HasPrefix(pkg, "github.com/ramdax/appliance/")
			if (noTesting || own) && slices.Contains(strings.Fields(imports), "testing") {
				t.Errorf("%s links testing through %s", cmd, pkg)
			}
		}
	}
}

// slowToStart are packages whose initialisation, run before main at every
// start, each cost /init milliseconds under TCG (GODEBUG=inittrace=1):
// regexp brings the unicode tables (19 ms), pgzip the compressor's tables
// (31 ms), the zstd decoder 10 ms; DHCP and netlink a few more. The
// commands that need them are in the busybox.
var slowToStart = []string{
	"regexp",
	"github.com/klauspost/",
	"github.com/insomniacslk/dhcp/",
	"github.com/vishvananda/netlink",
	"github.com/u-root/u-root/pkg/dhclient",
}

// TestInitStartsLight keeps the packages slow to start out of /init.
func TestInitStartsLight(t *testing.T) {
	for _, line := range depLines(t, "./ramdaxinit") {
		pkg, _, _ := strings.Cut(line, " ")
		for _, slow := range slowToStart {
			if pkg == slow || strings.HasSuffix(slow, "/") && strings.HasPrefix(pkg, slow) {
				t.Errorf("ramdaxinit links %s", pkg)
			}
		}
	}
}

// depLines lists cmd's packages, each followed by its imports, as
// `go list -deps` gives them for its build.
func depLines(t *testing.T, cmd string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, cmd).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", cmd, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list -deps %s: only %v", cmd, lines)
	}
	return lines
}
