package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// ModulePath is this module's path: the harness builds the appliance's
// commands and kernel from its source, wherever the caller's build finds
// it (the caller's own module, a replace target or the module cache).
const ModulePath = "github.com/ramdax/appliance"

var (
	moduleOnce sync.Once
	moduleRoot string
	moduleErr  error
)

// ModuleDir is the directory of this module's source as the caller's
// build sees it, from `go list -m` in the test's working directory.
func ModuleDir(t testing.TB) string {
	moduleOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ModulePath).Output()
		moduleRoot, moduleErr = strings.TrimSpace(string(out)), err
		if err == nil && moduleRoot == "" {
			moduleErr = os.ErrNotExist
		}
	})
	if moduleErr != nil {
		t.Fatalf("find %s's source: go list -m: %v; run `go mod download %s`", ModulePath, moduleErr, ModulePath)
	}
	return moduleRoot
}

// CacheDir is the harness's cache, ${XDG_CACHE_HOME:-$HOME/.cache}/ramdax-appliance,
// the same one `make kernel` uses.
func CacheDir(t testing.TB) string {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatalf("cache directory: %v", err)
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "ramdax-appliance")
}
