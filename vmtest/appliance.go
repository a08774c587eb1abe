package vmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/Netflix/go-expect"
	"github.com/hugelgupf/vmtest/qemu"
	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"

	"github.com/ramdax/appliance/image"
)

// ReadyLine is what ramdaxinit prints when the layout is set up, with or
// without errors; status.json then holds the outcome.
var ReadyLine = regexp.MustCompile(`ramdax: ready \d+ namespaces \([^)]*\)`)

// StartAppliance boots the appliance, ramdaxinit as PID 1, on the kernel
// with RAMDAX built in (BuiltinKernel, or WithKernel's), with the layout
// WithLayout gives, and returns the VM once ramdaxinit has printed its
// ready line. The console shell follows unless the layout's ramdax.then=
// says otherwise; the test drives it with Expect and must call Wait.
func StartAppliance(t testing.TB, opts ...Option) *qemu.VM {
	t.Helper()
	requireQEMU(t)
	initramfs := ApplianceInitramfs(t, "")
	m := newMachine(t, append([]Option{WithInitramfs(initramfs)}, opts...))
	vm := start(t, m)
	if _, err := vm.Console.Expect(expect.Regexp(ReadyLine)); err != nil {
		t.Fatalf("no ready line from ramdaxinit: %v; the console is in the log", err)
	}
	return vm
}

// WithLayout boots with a layout written as on a node's command line:
// memmap=SIZE!START carveouts (see WithCarveout) and ramdax.* parameters
// (see the README's "Layout"). RunGuestTests then runs ramdaxinit before
// the tests, so that they find the namespaces set up.
func WithLayout(layout string) Option {
	return func(m *Machine) {
		m.Layout = true
		for _, f := range strings.Fields(layout) {
			if v, ok := strings.CutPrefix(f, "memmap="); ok && strings.Contains(v, "!") {
				for _, r := range strings.Split(v, ",") {
					size, start, _ := strings.Cut(r, "!")
					m.Carveouts = append(m.Carveouts, Carveout{size, start})
				}
				continue
			}
			m.Cmdline = append(m.Cmdline, f)
		}
	}
}

// ApplianceInitramfs builds the appliance initramfs from this module's
// commands (ramdaxinit, ramdaxctl and u-root's core commands) with
// mkuimage, for a kernel with RAMDAX built in (modulesDir "") or for the
// modular kernel whose /lib/modules/<release> is modulesDir, and returns
// its path. Without extra modifiers the image is cached in CacheDir by the
// hash of its inputs: every Go file the commands build from, the host
// files it packs, and the harness's own build.
func ApplianceInitramfs(t testing.TB, modulesDir string, extra ...uimage.Modifier) string {
	t.Helper()
	mods, err := image.Appliance(modulesDir)
	if err != nil {
		t.Fatal(err)
	}
	mods = append(mods, uimage.WithEnv(golang.WithWorkingDir(ModuleDir(t))))
	if len(extra) > 0 {
		out := filepath.Join(t.TempDir(), "initramfs.cpio")
		buildInitramfs(t, out, append(mods, extra...))
		return out
	}
	key, err := applianceKey(t, modulesDir)
	if err != nil {
		t.Fatalf("appliance initramfs cache key: %v", err)
	}
	out := filepath.Join(CacheDir(t), "vmtest", "initramfs", key+".cpio")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	buildInitramfs(t, tmp, mods)
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func buildInitramfs(t testing.TB, out string, mods []uimage.Modifier) {
	t.Helper()
	if err := image.Build(llog.Test(t), out, mods...); err != nil {
		t.Fatal(err)
	}
}

// applianceKey hashes what the appliance image is made of.
func applianceKey(t testing.TB, modulesDir string) (string, error) {
	h := sha256.New()
	if info, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintln(h, info.GoVersion)
		for _, d := range info.Deps {
			fmt.Fprintln(h, d.Path, d.Version, d.Sum)
		}
	}
	sources, err := goSources(ModuleDir(t), append(image.CoreCommands, image.ApplianceCommands...))
	if err != nil {
		return "", err
	}
	hostFiles := hostSides(image.FilesystemTools)
	if modulesDir != "" {
		pairs, err := image.ModuleFiles(modulesDir)
		if err != nil {
			return "", err
		}
		hostFiles = append(hostFiles, hostSides(pairs)...)
	}
	for _, f := range append(sources, hostFiles...) {
		if err := hashFile(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// goSources lists the Go and embedded files of pkgs and their
// dependencies outside the standard library, as built for the guest.
func goSources(dir string, pkgs []string) ([]string, error) {
	const format = `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}`
	cmd := exec.Command("go", append([]string{"list", "-deps", "-tags", "goshsmall", "-f", format}, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", strings.Join(pkgs, " "), err)
	}
	return strings.Fields(string(out)), nil
}

// hostSides returns the host paths of host:guest pairs.
func hostSides(pairs []string) []string {
	paths := make([]string, len(pairs))
	for i, p := range pairs {
		paths[i], _, _ = strings.Cut(p, ":")
	}
	return paths
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintln(h, path)
	_, err = io.Copy(h, f)
	return err
}
