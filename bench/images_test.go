package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/kmod"
	"github.com/ramdax/appliance/release"
	"github.com/ramdax/appliance/vmtest"
)

// benchImage is an initramfs the benchmarks boot: the newc archive and,
// for the images the boot benchmark times, its lz4 copy, compressed as
// the appliance ships (image.Compress), since unpacking it is part of
// every boot.
type benchImage struct {
	CPIO, Compressed string
}

// The images, by name. Compiling a gobusybox takes half a minute here, so
// only two are compiled; the others add files to one of them.
const (
	// The appliance for the built-in kernel: what `make image` ships.
	imgApplianceBuiltin = "appliance-builtin"
	// The appliance with Debian's modules: the same plus kmod's closure.
	imgApplianceDistro = "appliance-distro"
	// The appliance with the modules of Debian's generic kernel, for the
	// server machine.
	imgApplianceGeneric = "appliance-generic"
	// u-root's init and core commands, Debian's dash, ndctl, kmod and
	// mkfs, and the scripts of guest/scripts, run.sh as uinit.
	imgScriptCore = "script-core"
	// The ndctl baseline with Debian's modules, for modprobe.
	imgNdctlDistro = "ndctl-distro"
	// script-core plus ramdaxinit and daxbench, for the built-in kernel.
	imgScaleBuiltin = "scale-builtin"
)

// imageRecipe says how an image is made: from modifiers, on top of an
// earlier image (base) or from scratch, and whether it is compressed.
type imageRecipe struct {
	base     string
	mods     func(testing.TB) ([]uimage.Modifier, error)
	compress bool
}

var imageRecipes = map[string]imageRecipe{
	imgApplianceBuiltin: {"", func(testing.TB) ([]uimage.Modifier, error) { return image.Appliance("") }, true},
	imgApplianceDistro:  {imgApplianceBuiltin, applianceModules, true},
	imgApplianceGeneric: {imgApplianceBuiltin, genericModules, true},
	imgScriptCore:       {"", func(tb testing.TB) ([]uimage.Modifier, error) { return scriptImage(scriptsDir(tb)), nil }, false},
	imgNdctlDistro:      {imgScriptCore, ndctlModules, true},
	imgScaleBuiltin:     {imgScriptCore, guestPrograms, false},
}

var (
	benchImagesMu sync.Mutex
	benchImages   = map[string]benchImage{}
)

// imageFor returns the named image, building it (and its base) the first
// time a benchmark of this test binary asks, into build/bench/images.
func imageFor(tb testing.TB, name string) benchImage {
	tb.Helper()
	benchImagesMu.Lock()
	defer benchImagesMu.Unlock()
	return buildImage(tb, name)
}

func buildImage(tb testing.TB, name string) benchImage {
	if img, ok := benchImages[name]; ok {
		return img
	}
	recipe := imageRecipes[name]
	var base []uimage.Modifier
	if recipe.base != "" {
		base = []uimage.Modifier{uimage.WithBaseFile(buildImage(tb, recipe.base).CPIO)}
	}
	start := time.Now()
	mods, err := recipe.mods(tb)
	if err != nil {
		tb.Fatalf("image %s: %v", name, err)
	}
	mods = append(base, mods...)
	dir := filepath.Join(vmtest.RepoRoot(tb), "build", "bench", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	img := benchImage{CPIO: filepath.Join(dir, name+".cpio")}
	if err := image.Build(llog.Test(tb), img.CPIO, mods...); err != nil {
		tb.Fatal(err)
	}
	if recipe.compress {
		img.Compressed = img.CPIO + release.CompressedExt
		if err := image.Compress(img.CPIO, img.Compressed); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Logf("bench: image %s made in %.1f s", name, time.Since(start).Seconds())
	benchImages[name] = img
	return img
}

// applianceModules adds what mkimage -flavour distro adds: kmod's closure
// of Debian's modules directory.
func applianceModules(tb testing.TB) ([]uimage.Modifier, error) {
	files, err := image.ModuleFiles(distroModulesDir(tb))
	if err != nil {
		return nil, err
	}
	return []uimage.Modifier{uimage.WithFiles(files...)}, nil
}

// genericModules adds the modules of Debian's generic kernel.
func genericModules(tb testing.TB) ([]uimage.Modifier, error) {
	_, dir := vmtest.GenericDistroKernel(tb)
	files, err := image.ModuleFiles(dir)
	if err != nil {
		return nil, err
	}
	return []uimage.Modifier{uimage.WithFiles(files...)}, nil
}

// ndctlModules adds the same modules as a tree modprobe can use.
func ndctlModules(tb testing.TB) ([]uimage.Modifier, error) {
	tree, err := moduleTree(tb.TempDir(), distroModulesDir(tb))
	if err != nil {
		return nil, err
	}
	return []uimage.Modifier{uimage.WithFiles(tree + ":lib/modules/" + filepath.Base(tree))}, nil
}

// guestPrograms adds ramdaxinit and daxbench, each built on its own with
// go build: Go's build cache makes that quick, where a gobusybox is
// compiled afresh every time.
func guestPrograms(tb testing.TB) ([]uimage.Modifier, error) {
	dir := tb.TempDir()
	var files []string
	for _, pkg := range []string{"./cmds/ramdaxinit", "./guest/daxbench"} {
		out := filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = vmtest.RepoRoot(tb)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
		files = append(files, out+":bin/"+filepath.Base(pkg))
	}
	return []uimage.Modifier{uimage.WithFiles(files...)}, nil
}

func distroModulesDir(tb testing.TB) string {
	_, modulesDep := vmtest.DistroKernel(tb)
	return filepath.Dir(modulesDep)
}

// scriptImage is an initramfs whose uinit is run.sh, of the scripts in
// dir, under Debian's dash, with Debian's ndctl, kmod (as modprobe) and
// mkfs next to u-root's init and core commands: what an ndctl user's
// initramfs holds.
func scriptImage(dir string) []uimage.Modifier {
	files := append([]string{
		"/usr/bin/dash:bin/dash",
		"/usr/bin/ndctl:bin/ndctl",
		"/bin/kmod:bin/kmod",
	}, image.FilesystemTools...)
	for _, s := range []string{"run.sh", "ndctl-setup.sh", "ramdaxinit-setup.sh"} {
		files = append(files, filepath.Join(dir, s)+":etc/bench/"+s)
	}
	return []uimage.Modifier{
		uimage.WithEnv(golang.DisableCGO(), golang.WithGOARCH("amd64")),
		uimage.WithBusyboxCommands(image.CoreCommands...),
		uimage.WithShell("gosh"),
		uimage.WithInit("init"),
		uimage.WithUinit("/bin/dash", "/etc/bench/run.sh"),
		uimage.WithFiles(files...),
		uimage.WithSymlink("sbin/modprobe", "/bin/kmod"),
	}
}

// scriptsDir holds the benchmarks' shell scripts.
func scriptsDir(tb testing.TB) string {
	return filepath.Join(vmtest.RepoRoot(tb), "guest", "scripts")
}

// moduleTree copies kmod's closure of modulesDir (the modules the
// appliance packs) into dir/lib/modules/<release> and runs depmod there,
// as initramfs-tools does: modprobe needs the binary indexes, which the
// appliance's own loader does without. It returns the tree.
func moduleTree(dir, modulesDir string) (string, error) {
	src, err := filepath.EvalSymlinks(modulesDir)
	if err != nil {
		return "", fmt.Errorf("modules dir: %w", err)
	}
	release := filepath.Base(src)
	rels, err := kmod.Closure(src, kmod.Needed...)
	if err != nil {
		return "", err
	}
	// depmod reads these to tell built-in modules and the load order.
	rels = append(rels, "modules.order", "modules.builtin", "modules.builtin.modinfo")
	tree := filepath.Join(dir, "lib", "modules", release)
	for _, rel := range rels {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, rel)), 0o755); err != nil {
			return "", err
		}
		if err := image.CopyFile(filepath.Join(src, rel), filepath.Join(tree, rel)); err != nil {
			return "", fmt.Errorf("module tree: %w", err)
		}
	}
	if out, err := exec.Command("depmod", "-b", dir, release).CombinedOutput(); err != nil {
		return "", fmt.Errorf("depmod %s: %w: %s", release, err, out)
	}
	return tree, nil
}
