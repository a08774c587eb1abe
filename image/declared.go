package image

import (
	"path"
	"strings"
)

// skeleton is what u-root puts in every image around the busybox: the
// directories, the busybox itself, /init and the shell links.
var skeleton = []string{
	".", "bbin", "bbin/bb", "bin", "bin/defaultsh", "bin/sh", "init",
	"etc", "lib", "lib64", "sbin", "lib/x86_64-linux-gnu",
}

// FilesystemLibraries are the shared libraries Debian's mke2fs and
// mkfs.xfs load, which mkuimage packs with them: the loader, libc and
// their own. A new library here means a new dependency to review.
var FilesystemLibraries = []string{
	"lib64/ld-linux-x86-64.so.2",
	"lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"lib/x86_64-linux-gnu/libc.so.6",
	"lib/x86_64-linux-gnu/libblkid.so.*",
	"lib/x86_64-linux-gnu/libcom_err.so.*",
	"lib/x86_64-linux-gnu/libe2p.so.*",
	"lib/x86_64-linux-gnu/libext2fs.so.*",
	"lib/x86_64-linux-gnu/libinih.so.*",
	"lib/x86_64-linux-gnu/liburcu.so.*",
	"lib/x86_64-linux-gnu/libuuid.so.*",
}

// Declared is the set of files the appliance image may hold, as path.Match
// patterns: the skeleton, a busybox link per declared command and per
// service of services (with their declaration), ramdaxinit's own binary, the filesystem tools with their libraries and, for a modular
// kernel, what is under lib/modules (the kmod closure, which ModuleFiles
// computes).
func Declared(modular bool, services ...string) []string {
	patterns := append([]string{}, skeleton...)
	patterns = append(patterns, ServiceFiles(services)...)
	for _, cmd := range busyboxCommands() {
		patterns = append(patterns, "bbin/"+path.Base(cmd))
	}
	patterns = append(patterns, "bin/"+path.Base(InitCommand))
	for _, pair := range FilesystemTools {
		_, guest, _ := strings.Cut(pair, ":")
		patterns = append(patterns, guest)
	}
	patterns = append(patterns, FilesystemLibraries...)
	if modular {
		// lib/modules/<release>/kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.xz
		// is the deepest kind of path a module has.
		p := "lib/modules"
		for range modulesDepth + 1 {
			patterns = append(patterns, p)
			p += "/*"
		}
	}
	return patterns
}

// modulesDepth is how many levels under lib/modules Declared allows.
const modulesDepth = 10

// Undeclared lists the files of the newc cpio archive at archive that no
// pattern of declared matches: what the build added beyond what the image
// says it holds.
func Undeclared(archive string, declared []string) ([]string, error) {
	recs, err := readArchive(archive)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, r := range recs {
		if !matchesAny(r.Name, declared) {
			extra = append(extra, r.Name)
		}
	}
	return extra, nil
}

func matchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
