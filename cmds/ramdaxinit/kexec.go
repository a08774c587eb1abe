package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

// bootCommand finds and loads the OS's kernel: a busybox command, so that
// /init does not link the boot-entry parsers.
const bootCommand = "/bbin/ramdaxboot"

// bootTimeout bounds ramdaxboot: the wait for disks, reading them, and
// loading a kernel and initrd.
const bootTimeout = 2 * time.Minute

// kexecOS boots the OS installed on the node's disks, the entry
// ramdax.boot= names or the default, with the command line extended so
// that its kernel sees the same regions. It only returns on failure,
// with the namespaces still mounted.
func kexecOS(l *logger, lay *layout.Layout, st *status.Status) error {
	args := []string{"-load", "-append", strings.Join(handOverParams(lay), " ")}
	if lay.Boot != "" {
		args = append(args, "-entry", lay.Boot)
	}
	if err := runLogged(l, bootTimeout, nil, bootCommand, args...); err != nil {
		return err
	}
	releaseMounts(l, st)
	l.Printf("kexec into the OS")
	drainConsole()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_KEXEC); err != nil {
		return fmt.Errorf("kexec: %w", err)
	}
	return nil
}

// handOverParams are what the OS's kernel needs to see the same regions:
// the memmap= carveouts as this boot had them, and nd_e820 kept off a
// modular kernel, so that ramdax can take them over.
func handOverParams(lay *layout.Layout) []string {
	params := []string{"module_blacklist=nd_e820"}
	for _, c := range lay.Carveouts {
		params = append(params, c.String())
	}
	return params
}

// runLogged runs name with args, bounded by timeout, and logs each line
// it writes to stderr, and to stdout unless stdout is given.
func runLogged(l *logger, timeout time.Duration, stdout io.Writer, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = stdout
	if stdout == nil {
		cmd.Stdout = cmd.Stderr
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		l.Printf("%s", sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// releaseMounts syncs and unmounts the namespaces' file systems: kexec
// does not sync, and the OS mounts them again.
func releaseMounts(l *logger, st *status.Status) {
	unix.Sync()
	for _, e := range st.Namespaces {
		if e.Mount == "" {
			continue
		}
		if err := unix.Unmount(e.Mount, 0); err != nil {
			l.Printf("error: %s: unmount %s before kexec: %v (synced; the OS's mount replays its journal)", e.Name, e.Mount, err)
		}
	}
}
