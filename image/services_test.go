package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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
