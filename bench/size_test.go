package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/kmod"
	"github.com/ramdax/appliance/release"
	"github.com/ramdax/appliance/vmtest"
)

// benchSize records the bytes each setup boots: its kernel, the modules it
// loads, its initramfs compressed and not, and, for the appliance, the ISO
// in build/ and the largest files of the initramfs.
func benchSize(b *testing.B) {
	builtin, distro, ndctl := imageFor(b, imgApplianceBuiltin), imageFor(b, imgApplianceDistro), imageFor(b, imgNdctlDistro)
	vmlinuz := distroVmlinuz(b)
	modules := moduleBytes(b, packedModules(b, distroModulesDir(b)))
	generic, genericModules := vmtest.GenericDistroKernel(b)
	iso, isoCurrent := isoSize(b, builtin)
	rows := []Row{
		sizeRow(b, "builtin-ramdaxinit", vmtest.BuiltinKernel(b), builtin, map[string]float64{"iso": float64(iso), "iso_current": isoCurrent}),
		sizeRow(b, "distro-ramdaxinit", vmlinuz, distro, modules),
		sizeRow(b, "distro-ndctl", vmlinuz, ndctl, moduleBytes(b, ndctlModuleFiles(b, distroModulesDir(b)))),
		sizeRow(b, "generic-ramdaxinit", generic, imageFor(b, imgApplianceGeneric), moduleBytes(b, packedModules(b, genericModules))),
	}
	setups := len(rows)
	rows = append(rows, largestRows(b, "builtin-ramdaxinit", builtin.CPIO, 8)...)
	rows = append(rows, largestRows(b, "distro-ndctl", ndctl.CPIO, 6)...)
	recordRow(b, rows...)
	for _, r := range rows[:setups] {
		b.Logf("bench: size %s: kernel %.0f, initramfs %.0f (%.0f compressed) bytes",
			r.Name, r.Values["kernel"], r.Values["initramfs_cpio"], r.Values["initramfs_compressed"])
	}
	b.ReportMetric(rows[0].Values["kernel"]+rows[0].Values["initramfs_compressed"], "builtin-boot-bytes")
	b.ReportMetric(rows[1].Values["kernel"]+rows[1].Values["initramfs_compressed"], "distro-boot-bytes")
}

// sizeRow is one setup's kernel and initramfs, with extra values.
func sizeRow(tb testing.TB, name, kernel string, img benchImage, extra map[string]float64) Row {
	values := map[string]float64{
		"kernel":               float64(fileSize(tb, kernel)),
		"initramfs_cpio":       float64(fileSize(tb, img.CPIO)),
		"initramfs_compressed": float64(fileSize(tb, img.Compressed)),
	}
	for k, v := range extra {
		values[k] = v
	}
	values["boot_total"] = values["kernel"] + values["initramfs_compressed"]
	return Row{Section: Size, Name: name, Values: values, Text: map[string]string{"compression": image.Compression}}
}

// moduleBytes is the size, as Debian ships them (xz-compressed), of the
// module files at paths.
func moduleBytes(tb testing.TB, paths []string) map[string]float64 {
	var bytes int64
	files := 0
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".xz" || ext == ".ko" || ext == ".zst" {
			bytes += fileSize(tb, p)
			files++
		}
	}
	return map[string]float64{"modules": float64(bytes), "module_files": float64(files)}
}

// packedModules are the files an appliance image for modulesDir packs
// (image.ModuleFiles).
func packedModules(tb testing.TB, modulesDir string) []string {
	pairs, err := image.ModuleFiles(modulesDir)
	if err != nil {
		tb.Fatal(err)
	}
	paths := make([]string, len(pairs))
	for i, p := range pairs {
		paths[i], _, _ = strings.Cut(p, ":")
	}
	return paths
}

// ndctlModuleFiles are the files the ndctl image packs: kmod's closure of
// kmod.Needed (moduleTree).
func ndctlModuleFiles(tb testing.TB, modulesDir string) []string {
	dir, err := filepath.EvalSymlinks(modulesDir)
	if err != nil {
		tb.Fatal(err)
	}
	rels, err := kmod.Closure(dir, kmod.Needed...)
	if err != nil {
		tb.Fatal(err)
	}
	paths := make([]string, len(rels))
	for i, r := range rels {
		paths[i] = filepath.Join(dir, r)
	}
	return paths
}

// isoSize is the size of build/ramdax.iso, which `make image` builds, and
// whether the initramfs in build/ is the one this run built: if not, the
// ISO is from older code. 0 when there is no ISO.
func isoSize(tb testing.TB, builtin benchImage) (size int64, current float64) {
	dir := filepath.Join(vmtest.RepoRoot(tb), "build")
	fi, err := os.Stat(filepath.Join(dir, release.ISOFile))
	if err != nil {
		return 0, 0
	}
	shipped, err1 := image.Sum(dir, release.InitramfsFile)
	ours, err2 := image.Sum(filepath.Dir(builtin.Compressed), filepath.Base(builtin.Compressed))
	if err1 == nil && err2 == nil && shipped.SHA256 == ours.SHA256 {
		current = 1
	}
	return fi.Size(), current
}

// largestRows lists the n largest files of an initramfs.
func largestRows(tb testing.TB, name, cpio string, n int) []Row {
	files, err := image.Largest(cpio, n)
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([]Row, len(files))
	for i, f := range files {
		rows[i] = Row{Section: Size, Name: "largest/" + name,
			Values: map[string]float64{"bytes": float64(f.Size)}, Text: map[string]string{"file": f.Name}}
	}
	return rows
}

func fileSize(tb testing.TB, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(fmt.Errorf("size: %w", err))
	}
	return fi.Size()
}
