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
var shipped = map[string]bool{"./ramdaxinit": true, "./ramdaxctl": true, "./ramdaxboot": true, "./pxeconfig": true, "./mkimage": false}

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
		out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, cmd).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", cmd, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) < 10 {
			t.Fatalf("go list -deps %s: only %v", cmd, lines)
		}
		for _, line := range lines {
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
