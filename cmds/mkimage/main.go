// mkimage builds the appliance's boot artifacts: the initramfs, an ISO and
// a PXE bundle.
//
// Synopsis:
//
//	mkimage [-o DIR] [-flavour builtin|distro] [-modules DIR] [-kernel FILE] [-layout ARGS] [-layout-file FILE]
//	        [-services 'PKG ...'] [-services-config FILE] [initramfs|iso|pxe ...]
//
// Description:
//
//	mkimage writes the appliance initramfs, lz4-compressed, to
//	DIR/initramfs.cpio.lz4: ramdaxinit as /init, ramdaxctl, a shell and
//	core commands, mkfs for ext4 and xfs. The distro flavour adds the
//	kernel modules kmod loads, from -modules: Debian's cloud kernel for
//	VMs (build/distro/modules) or its generic one for servers
//	(build/distro-generic/modules), both unpacked by make distro-kernel.
//
//	-layout-file appends a bootconfig of ramdax.* keys, for layouts larger
//	than a command line holds, after checking it against the kernel's
//	bootconfig grammar and the layout's: for the builtin kernel as a
//	bootconfig, which the kernel reads from the end of the initrd; for the
//	distro one, whose kernel has no bootconfig, as the file
//	/etc/ramdax/bootconfig in a cpio of its own.
//
//	-services builds Go commands (import paths, PATH@VERSION, or
//	directories, from this module or any other) into the busybox and
//	lists them in /etc/ramdax/services.json, with the arguments and
//	environment -services-config gives each by name; ramdaxinit starts
//	them after the ready line. Without -services the image is as before.
//
//	iso and pxe also copy the kernel to DIR/bzImage and write the default
//	command line, console=tty0 console=ttyS0 plus -layout, to DIR/cmdline.txt; iso
//	writes DIR/ramdax.iso (grub, BIOS and UEFI), pxe the DIR/pxe bundle
//	(bzImage, the initramfs, boot.ipxe). With no artifact named, it writes
//	them all. DIR/manifest lists the size and sha256 of each file.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/u-root/mkuimage/uimage"

	"github.com/u-root/uio/llog"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/release"
	"github.com/ramdax/appliance/service"
)

// config is what the command line asks for.
type config struct {
	dir, flavour, modules, kernel, layout string
	layoutFile                            string
	services                              []string
	servicesConfig                        string
	artifacts                             []string
}

func parse(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&c.dir, "o", "build", "output `dir`")
	fs.StringVar(&c.flavour, "flavour", "builtin", "`kernel` the image is for: builtin (RAMDAX built in) or distro (modules)")
	fs.StringVar(&c.modules, "modules", "build/distro/modules", "modules `dir` of the distro kernel")
	fs.StringVar(&c.kernel, "kernel", "build/kernel/bzImage", "kernel `image` the ISO and PXE bundle boot")
	fs.StringVar(&c.layout, "layout", image.DefaultLayout, "default per-node kernel `parameters`: memmap= and ramdax.*")
	fs.StringVar(&c.layoutFile, "layout-file", "", "a bootconfig `file` of ramdax.* keys, for layouts larger than the command line, appended to the initramfs")
	services := fs.String("services", "", "Go command `packages`, space-separated, built into the busybox and started as services")
	fs.StringVar(&c.servicesConfig, "services-config", "", "a JSON `file` of the services' arguments and environment by name")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	c.services = strings.Fields(*services)
	if c.servicesConfig != "" && len(c.services) == 0 {
		return nil, fmt.Errorf("-services-config %s: no -services to configure", c.servicesConfig)
	}
	if c.flavour != "builtin" && c.flavour != "distro" {
		return nil, fmt.Errorf("-flavour %q: want builtin or distro", c.flavour)
	}
	c.artifacts = fs.Args()
	if len(c.artifacts) == 0 {
		c.artifacts = []string{"initramfs", "iso", "pxe"}
	}
	for _, a := range c.artifacts {
		if !slices.Contains([]string{"initramfs", "iso", "pxe"}, a) {
			return nil, fmt.Errorf("artifact %q: want initramfs, iso or pxe", a)
		}
	}
	return c, nil
}

func (c *config) wants(artifact string) bool { return slices.Contains(c.artifacts, artifact) }

func run(stdout io.Writer, args []string) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mkimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cpio := filepath.Join(tmp, "initramfs.cpio")
	if err := buildInitramfs(stdout, c, cpio); err != nil {
		return err
	}
	if err := reportContents(stdout, c, cpio); err != nil {
		return err
	}
	if c.wants("iso") || c.wants("pxe") {
		if err := writeBoot(stdout, c); err != nil {
			return err
		}
	}
	return writeManifest(stdout, c)
}

// buildInitramfs builds the cpio at cpio and its compressed copy in c.dir.
func buildInitramfs(stdout io.Writer, c *config, cpio string) error {
	modulesDir := ""
	if c.flavour == "distro" {
		modulesDir = c.modules
	}
	mods, err := image.Appliance(modulesDir)
	if err != nil {
		return err
	}
	svc, err := serviceModifiers(c, filepath.Dir(cpio))
	if err != nil {
		return err
	}
	mods = append(mods, svc...)
	start := time.Now()
	l := llog.New(slog.LevelWarn, log.New(os.Stderr, "mkimage: ", 0).Printf)
	if err := image.Build(l, cpio, mods...); err != nil {
		return err
	}
	built := time.Since(start)
	out := filepath.Join(c.dir, release.InitramfsFile)
	start = time.Now()
	if err := image.Compress(cpio, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mkimage: %s (%s): cpio %s built in %.1f s, compressed to %s in %.1f s\n",
		out, c.flavour, size(cpio), built.Seconds(), size(out), time.Since(start).Seconds())
	if c.layoutFile == "" {
		return nil
	}
	if err := image.AppendLayout(out, c.layoutFile, c.layout, c.flavour == "distro"); err != nil {
		return err
	}
	how := "as a bootconfig the kernel reads (/proc/bootconfig)"
	if c.flavour == "distro" {
		how = "as " + layout.BootconfigFile + ", for a kernel without bootconfig"
	}
	fmt.Fprintf(stdout, "mkimage: %s: appended %s; now %s\n", c.layoutFile, how, size(out))
	return nil
}

// serviceModifiers builds c's services into the image: in a Go workspace
// when they come from other modules, which GOWORK then names for the
// whole build.
func serviceModifiers(c *config, tmp string) ([]uimage.Modifier, error) {
	if len(c.services) == 0 {
		return nil, nil
	}
	var settings map[string]service.Settings
	if c.servicesConfig != "" {
		var err error
		if settings, err = service.ReadSettings(c.servicesConfig); err != nil {
			return nil, err
		}
	}
	main, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	work, err := image.Workspace(tmp, main, c.services)
	if err != nil {
		return nil, err
	}
	if work != "" {
		os.Setenv("GOWORK", work)
	}
	return image.Services(c.services, settings, tmp)
}

// reportContents prints what takes the room in the initramfs, and any
// file in it beyond the declared set.
func reportContents(stdout io.Writer, c *config, cpio string) error {
	files, err := image.Largest(cpio, 6)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "mkimage: largest files in the initramfs (uncompressed):")
	for _, f := range files {
		fmt.Fprintf(stdout, "  %9d  %s\n", f.Size, f.Name)
	}
	extra, err := image.Undeclared(cpio, image.Declared(c.flavour == "distro", c.services...))
	if err != nil {
		return err
	}
	if len(extra) == 0 {
		fmt.Fprintln(stdout, "mkimage: every file in the initramfs is in the declared set (image.Declared)")
		return nil
	}
	fmt.Fprintf(stdout, "mkimage: warning: %d files beyond the declared set (image.Declared); review them:\n", len(extra))
	for _, name := range extra {
		fmt.Fprintf(stdout, "  %s\n", name)
	}
	return nil
}

// writeBoot writes the kernel, the command line and the ISO or PXE bundle.
func writeBoot(stdout io.Writer, c *config) error {
	kernel := filepath.Join(c.dir, release.KernelFile)
	if err := image.CopyFile(c.kernel, kernel); err != nil {
		return fmt.Errorf("kernel: %w (run `make kernel`)", err)
	}
	if err := image.WriteCmdline(filepath.Join(c.dir, release.CmdlineFile), c.layout); err != nil {
		return err
	}
	initramfs := filepath.Join(c.dir, release.InitramfsFile)
	fmt.Fprintf(stdout, "mkimage: kernel %s + initramfs %s = %s\n", size(kernel), size(initramfs),
		mib(fileSize(kernel)+fileSize(initramfs)))
	if c.wants("iso") {
		start := time.Now()
		iso := filepath.Join(c.dir, release.ISOFile)
		if err := image.WriteISO(iso, kernel, initramfs, c.layout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "mkimage: %s, %s, made in %.1f s\n", iso, size(iso), time.Since(start).Seconds())
	}
	if c.wants("pxe") {
		if err := image.WritePXE(filepath.Join(c.dir, release.PXEDir), kernel, initramfs, c.layout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "mkimage: %s/: %s, %s, %s\n", filepath.Join(c.dir, release.PXEDir),
			release.KernelFile, release.InitramfsFile, release.IPXEFile)
	}
	return nil
}

// writeManifest lists every artifact present in c.dir, the ones this run
// did not rebuild included, and prints it.
func writeManifest(stdout io.Writer, c *config) error {
	compressor, err := image.Compressor()
	if err != nil {
		return err
	}
	pxe := func(f string) string { return filepath.Join(release.PXEDir, f) }
	sums, err := image.WriteManifest(c.dir, []string{"flavour: " + c.flavour, "compressor: " + compressor}, []string{
		release.KernelFile, release.InitramfsFile, release.CmdlineFile, release.ISOFile,
		pxe(release.KernelFile), pxe(release.InitramfsFile), pxe(release.IPXEFile),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mkimage: %s:\n", filepath.Join(c.dir, release.ManifestFile))
	for _, s := range sums {
		fmt.Fprintf(stdout, "  %s\n", s)
	}
	return nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func size(path string) string {
	n := fileSize(path)
	return fmt.Sprintf("%d bytes (%s)", n, mib(n))
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func main() {
	if err := run(os.Stdout, os.Args); err != nil {
		log.Fatalf("mkimage: %v", err)
	}
}
