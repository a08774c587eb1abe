package image

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/service"
)

func TestDeclaredGrowsByTheServices(t *testing.T) {
	before := Declared(false)
	after := Declared(false, "github.com/you/svc/cmd/svc@v1.2.0", "./cmds/x")
	var added []string
	for _, p := range after {
		if !slices.Contains(before, p) {
			added = append(added, p)
		}
	}
	want := []string{"etc/ramdax", "etc/ramdax/services.json", "bbin/svc", "bbin/x"}
	if !slices.Equal(added, want) {
		t.Errorf("Declared grows by %q, want %q", added, want)
	}
	if !slices.Equal(Declared(false), before) {
		t.Error("Declared without services changed")
	}
}

func TestServicesWithoutPackagesAddNothing(t *testing.T) {
	mods, err := Services(nil, nil, t.TempDir())
	if err != nil || mods != nil {
		t.Errorf("Services(nil) = %d modifiers, %v; want none", len(mods), err)
	}
}

func TestServicesDeclaration(t *testing.T) {
	tmp := t.TempDir()
	if _, err := Services([]string{"example.com/svc@v1.0.0"}, map[string]service.Settings{"svc": {Env: []string{"A=1"}}}, tmp); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(tmp, "services.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []service.Config
	if err := json.Unmarshal(data, &cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Name != "svc" || cs[0].Path != "/bbin/svc" || cs[0].Env[0] != "A=1" {
		t.Errorf("services.json: %+v", cs)
	}
}

// TestWorkspaceFetches resolves a service of a module this one does not
// require, pinned at a version, through the workspace Workspace makes:
// the module is fetched with go get from the module proxy.
func TestWorkspaceFetches(t *testing.T) {
	main, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	const pkg = "golang.org/x/tools/cmd/stringer"
	work, err := Workspace(t.TempDir(), main, []string{pkg + "@v0.38.0"})
	if err != nil {
		t.Fatal(err)
	}
	if work == "" {
		t.Fatal("no workspace for a pinned import path")
	}
	cmd := exec.Command("go", "list", "-f", "{{.Name}} {{.Module.Path}}", pkg)
	cmd.Dir, cmd.Env = main, append(os.Environ(), "GOWORK="+work)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "main golang.org/x/tools" {
		t.Errorf("go list %s in the workspace: %q, %v", pkg, out, err)
	}
}

func TestWorkspaceNeedlessForTheMainModule(t *testing.T) {
	main, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	work, err := Workspace(t.TempDir(), main, []string{filepath.Join(main, "guest", "flakysvc"), "github.com/u-root/u-root/cmds/core/ls"})
	if err != nil || work != "" {
		t.Errorf("Workspace for this module's packages: %q, %v; want none needed", work, err)
	}
}
