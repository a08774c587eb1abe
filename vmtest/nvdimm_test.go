package vmtest

import (
	"testing"

	"github.com/u-root/mkuimage/uimage"

	"github.com/ramdax/appliance/image"
)

// TestNvdimm runs package nvdimm's in-guest tests (guest/nvdimm) with
// two carveouts inside guest RAM: region0 of 528 MiB (512 MiB usable) and
// region1 of 272 MiB (256 MiB usable), on the built-in kernel and on
// Debian's modular one. The image carries ramdaxctl, mkfs.ext4 and
// Debian's ndctl, which the guest cross-checks against.
func TestNvdimm(t *testing.T) {
	forEachKernel(t, func(t *testing.T, kernel []Option) {
		RunGuestTests(t, []string{"github.com/ramdax/appliance/guest/nvdimm"},
			append(kernel, WithCarveout("528M", "1G"), WithCarveout("272M", "1600M"), WithLoadModules(),
				WithUimage(
					uimage.WithBusyboxCommands("github.com/ramdax/appliance/cmds/ramdaxctl"),
					uimage.WithFiles(append(image.FilesystemTools, "/usr/bin/ndctl:bin/ndctl")...),
				))...)
	})
}

// forEachKernel runs f as a subtest per kernel: "builtin", the kernel from
// kernel-config/, and "distro", Debian's cloud kernel with modules.
func forEachKernel(t *testing.T, f func(t *testing.T, kernel []Option)) {
	t.Run("builtin", func(t *testing.T) { f(t, nil) })
	t.Run("distro", func(t *testing.T) { f(t, []Option{WithDistroKernel(t)}) })
}
