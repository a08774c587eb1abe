package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ramdax/appliance/service"
	"github.com/u-root/mkuimage/uimage"
)

// servicesFile is service.ConfigFile's place in the archive.
var servicesFile = strings.TrimPrefix(service.ConfigFile, "/")

// Services returns the modifiers that build the Go commands pkgs (import
// paths, PATH@VERSION, or directories) into the busybox, as the node's
// services, and declare them, with settings,
// in service.ConfigFile. tmp holds the file until the build is done.
// Packages from other modules need a workspace: see Workspace.
func Services(pkgs []string, settings map[string]service.Settings, tmp string) ([]uimage.Modifier, error) {
	if len(pkgs) == 0 {
		return nil, nil
	}
	pkgs = withoutVersions(pkgs)
	cs, err := service.Declare(pkgs, settings)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(tmp, "services.json")
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return []uimage.Modifier{uimage.WithBusyboxCommands(pkgs...), uimage.WithFiles(file + ":" + servicesFile)}, nil
}

// ServiceFiles are the archive entries Services adds for pkgs: a busybox
// link per command, and the declaration.
func ServiceFiles(pkgs []string) []string {
	if len(pkgs) == 0 {
		return nil
	}
	files := []string{path.Dir(servicesFile), servicesFile}
	for _, p := range withoutVersions(pkgs) {
		files = append(files, "bbin/"+path.Base(p))
	}
	return files
}

// Workspace makes the Go workspace a build with the service packages pkgs
// needs, in dir, and returns its go.work; "" when the main module (the
// directory main) resolves them all. A local path in another module
// adds that module; an import path the main module cannot resolve is
// fetched, with `go get`, into a module of its own in dir. Set GOWORK to
// the result for the build.
func Workspace(dir, main string, pkgs []string) (string, error) {
	uses := []string{main}
	var fetch []string
	for _, p := range pkgs {
		if isLocal(p) {
			root, err := moduleRoot(p)
			if err != nil {
				return "", fmt.Errorf("SERVICES %s: %w", p, err)
			}
			if root != main && !slices.Contains(uses, root) {
				uses = append(uses, root)
			}
			continue
		}
		if strings.Contains(p, "@") || !resolves(main, p) {
			fetch = append(fetch, p)
		}
	}
	if len(fetch) > 0 {
		mod, err := fetchModule(filepath.Join(dir, "fetched"), fetch)
		if err != nil {
			return "", err
		}
		uses = append(uses, mod)
	}
	if len(uses) == 1 {
		return "", nil
	}
	work := filepath.Join(dir, "go.work")
	cmd := exec.Command("go", append([]string{"work", "init"}, uses...)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOWORK="+work)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("SERVICES: go work init: %w\n%s", err, out)
	}
	return work, nil
}

func isLocal(pkg string) bool {
	return strings.HasPrefix(pkg, ".") || strings.HasPrefix(pkg, "/")
}

// withoutVersions drops the @VERSION a fetched package may carry.
func withoutVersions(pkgs []string) []string {
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		out[i], _, _ = strings.Cut(p, "@")
	}
	return out
}

// moduleRoot is the directory of the go.mod nearest above dir.
func moduleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(d); err != nil {
		return "", err
	}
	for ; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", errors.New("not inside a Go module (no go.mod above it)")
		}
	}
}

// resolves says whether the build of the module in main resolves pkg.
func resolves(main, pkg string) bool {
	cmd := exec.Command("go", "list", "-find", pkg)
	cmd.Dir = main
	return cmd.Run() == nil
}

// fetchModule makes a module in dir that requires the modules of pkgs
// (each PATH or PATH@VERSION), fetched by `go get`, and returns dir.
func fetchModule(dir string, pkgs []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, args := range [][]string{{"mod", "init", "ramdax.local/services"}, append([]string{"get"}, pkgs...)} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("SERVICES: go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir, nil
}
