// Package image builds the appliance's initramfs with u-root's mkuimage API:
// one gobusybox binary holding u-root's init, a shell, everyday core
// commands and the appliance's own commands.
package image

import (
	"fmt"
	"os"

	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"
)

// CoreCommands are the u-root commands an operator at the console expects.
var CoreCommands = uroot(
	"init", "gosh", "cat", "cp", "dd", "df", "dmesg", "echo", "free", "grep",
	"hexdump", "ls", "mkdir", "mount", "mv", "poweroff", "ps", "rm", "shutdown",
	"sync", "umount", "uname",
)

func uroot(names ...string) []string {
	pkgs := make([]string, len(names))
	for i, n := range names {
		pkgs[i] = "github.com/u-root/u-root/cmds/core/" + n
	}
	return pkgs
}

// Shell returns the modifiers of an initramfs that boots to a u-root shell
// on the console.
func Shell() []uimage.Modifier {
	return []uimage.Modifier{
		uimage.WithEnv(golang.DisableCGO(), golang.WithGOARCH("amd64")),
		uimage.WithBusyboxCommands(CoreCommands...),
		uimage.WithInit("init"),
		uimage.WithShell("gosh"),
	}
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
