// Package image builds the appliance's initramfs with u-root's mkuimage API:
// one gobusybox binary holding ramdaxinit (the /init), ramdaxctl, a shell
// and everyday core commands, plus Debian's mkfs binaries with their shared
// libraries and, for a modular kernel, the modules kmod loads.
package image

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ramdax/appliance/kmod"
	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"
)

// CoreCommands are the u-root commands an operator at the console expects.
var CoreCommands = uroot(
	"init", "gosh", "cat", "cp", "dd", "df", "dmesg", "echo", "free", "grep",
	"hexdump", "kexec", "kill", "ls", "mkdir", "mount", "mv", "poweroff", "ps", "rm",
	"shutdown", "sync", "umount", "uname",
)

// ApplianceCommands are the appliance's own commands.
var ApplianceCommands = []string{InitCommand, CtlCommand, BootCommand, NetCommand}

// The appliance image builds InitCommand as
// a binary of its own, /bin/ramdaxinit, beside the busybox: a busybox
// process runs the package initialisers of every command linked into it
// before main (gosh's and the compressors' among them), which took 195 ms
// of each boot under TCG. ramdaxinit alone, built with inlining on and
// without the packages go test ./cmds keeps out of it, reaches main 45 ms
// after the kernel runs it (GODEBUG=inittrace=1).
const (
	InitCommand = "github.com/ramdax/appliance/cmds/ramdaxinit"
	CtlCommand  = "github.com/ramdax/appliance/cmds/ramdaxctl"
	BootCommand = "github.com/ramdax/appliance/cmds/ramdaxboot"
	NetCommand  = "github.com/ramdax/appliance/cmds/ramdaxnet"
)

// busyboxCommands are the commands in the busybox: the core ones, and the
// appliance's besides /init.
func busyboxCommands() []string {
	return append(slices.Clone(CoreCommands), CtlCommand, BootCommand, NetCommand)
}

// Filesystem tools come from the build host (Debian's e2fsprogs and
// xfsprogs): no Go mkfs is trustworthy for ext4 or xfs. host:guest pairs;
// mkfs.ext4 is mke2fs under the name that selects ext4.
var FilesystemTools = []string{
	"/sbin/mke2fs:sbin/mkfs.ext4",
	"/sbin/mkfs.xfs:sbin/mkfs.xfs",
	"/etc/mke2fs.conf:etc/mke2fs.conf",
}

func uroot(names ...string) []string {
	pkgs := make([]string, len(names))
	for i, n := range names {
		pkgs[i] = "github.com/u-root/u-root/cmds/core/" + n
	}
	return pkgs
}

// BuildTagsEnv names more Go build tags for every command in an image,
// space-separated: ramdaxprofile makes ramdaxinit print a CPU profile of
// its setup (cmds/ramdaxinit/profile.go).
const BuildTagsEnv = "RAMDAX_BUILD_TAGS"

// base is what every image has: a static amd64 busybox with a shell.
// gosh is built with its plain line reader (goshsmall): the full editor
// asks the terminal for its colours and cursor and waits for answers
// that a serial console or a BMC's serial-over-LAN never sends, while
// typed input is lost.
func base(cmds ...string) []uimage.Modifier {
	tags := append([]string{"goshsmall"}, strings.Fields(os.Getenv(BuildTagsEnv))...)
	return []uimage.Modifier{
		uimage.WithEnv(golang.DisableCGO(), golang.WithGOARCH("amd64"), golang.WithBuildTag(tags...)),
		uimage.WithBusyboxCommands(cmds...),
		uimage.WithShell("gosh"),
	}
}

// Appliance returns the modifiers of the appliance initramfs: ramdaxinit as
// /init. modulesDir is empty for a kernel with RAMDAX built in, or the
// /lib/modules/<release> directory of a modular kernel, whose kmod closure
// is packed at the same place.
func Appliance(modulesDir string) ([]uimage.Modifier, error) {
	mods := append(base(busyboxCommands()...),
		// gobusybox turns inlining off for size by default; setup's
		// hot path is worth the few hundred KiB it costs.
		uimage.WithBinaryCommandsOpts(&golang.BuildOpts{EnableInlining: true}, InitCommand),
		uimage.WithInit(path.Base(InitCommand)),
		uimage.WithFiles(FilesystemTools...))
	if modulesDir == "" {
		return mods, nil
	}
	files, err := ModuleFiles(modulesDir)
	if err != nil {
		return nil, err
	}
	return append(mods, uimage.WithFiles(files...)), nil
}

// ModuleFiles maps kmod's closure of modulesDir to host:guest pairs under
// lib/modules/<release>, for uimage.WithFiles: the nvdimm, dax and file
// system modules, and those of kmod.Hardware the kernel has as modules,
// for kmod.Coldplug.
func ModuleFiles(modulesDir string) ([]string, error) {
	dir, err := filepath.EvalSymlinks(modulesDir)
	if err != nil {
		return nil, fmt.Errorf("modules dir: %w", err)
	}
	names, err := Modules(dir)
	if err != nil {
		return nil, err
	}
	rel, err := kmod.Closure(dir, names...)
	if err != nil {
		return nil, fmt.Errorf("module closure of %s: %w", dir, err)
	}
	guest := filepath.Join("lib/modules", filepath.Base(dir))
	pairs := make([]string, len(rel))
	for i, r := range rel {
		pairs[i] = filepath.Join(dir, r) + ":" + filepath.Join(guest, r)
	}
	return pairs, nil
}

// Modules lists the modules an image for the modules directory dir packs,
// before their dependencies: kmod.Needed and the modules of kmod.Hardware
// that the kernel has. Drivers it builds in or lacks are left out.
func Modules(dir string) ([]string, error) {
	d, err := kmod.ReadDeps(dir)
	if err != nil {
		return nil, fmt.Errorf("modules of %s: %w", dir, err)
	}
	return append(slices.Clone(kmod.Needed), d.Modules(kmod.Hardware...)...), nil
}

// Build writes an initramfs (a newc cpio archive) to out.
func Build(l *llog.Logger, out string, mods ...uimage.Modifier) error {
	tmp, err := os.MkdirTemp("", "ramdax-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	mods = append(mods, uimage.WithTempDir(tmp), uimage.WithCPIOOutput(out))
	if err := uimage.Create(l, mods...); err != nil {
		return fmt.Errorf("build initramfs %s: %w", out, err)
	}
	return nil
}
