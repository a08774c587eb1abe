package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ramdax/appliance/apply"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/u-root/u-root/pkg/libinit"
	"github.com/u-root/u-root/pkg/mount"
	"golang.org/x/sys/unix"
)

// shells are tried in order for the console shell.
var shells = []string{"/bin/defaultsh", "/bin/sh", "/bbin/gosh"}

// runShell gives the console to a shell and starts a new one whenever it
// exits: as PID 1, ramdaxinit must never leave the machine without a
// console. A shell that keeps dying at once is started again after a
// growing pause, up to a minute, so that its errors stay readable.
func runShell(l *logger) {
	var pause shellPause
	for {
		cmds := make([]*exec.Cmd, 0, len(shells))
		for _, sh := range shells {
			cmds = append(cmds, libinit.Command(sh, libinit.WithTTYControl(true)))
		}
		started := time.Now()
		if libinit.RunCommands(l.Debugf, cmds...) == 0 {
			l.Printf("no shell found in %v", shells)
		}
		libinit.WaitOrphans()
		wait := pause.next(time.Since(started))
		l.Printf("shell exited; starting a new one in %v", wait)
		time.Sleep(wait)
	}
}

// shellPause is the back-off between shells: none after a shell that
// lived a while, doubling from a second after each one that did not.
type shellPause struct{ last time.Duration }

const (
	shortLived   = 5 * time.Second
	maxPause     = time.Minute
	initialPause = time.Second
)

func (p *shellPause) next(lived time.Duration) time.Duration {
	switch {
	case lived >= shortLived:
		p.last = 0
	case p.last == 0:
		p.last = initialPause
	default:
		p.last = min(2*p.last, maxPause)
	}
	return p.last
}

// drainTimeout bounds the wait for the console to send its last lines: a
// serial line with flow control held off would otherwise never drain.
const drainTimeout = 5 * time.Second

// drainConsole lets the console send what it still buffers (tcdrain).
func drainConsole() {
	done := make(chan struct{})
	go func() {
		unix.IoctlSetInt(int(os.Stdout.Fd()), unix.TCSBRK, 1)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drainTimeout):
	}
}

// powerOff syncs and powers the machine off. cmd is LINUX_REBOOT_CMD_POWER_OFF
// or LINUX_REBOOT_CMD_RESTART.
func powerOff(l *logger, cmd int) error {
	l.Printf("syncing, then reboot(%#x)", cmd)
	unix.Sync()
	// The reboot drops what the serial port still buffers.
	drainConsole()
	if err := unix.Reboot(cmd); err != nil {
		return fmt.Errorf("reboot(%#x): %w", cmd, err)
	}
	return nil
}

// switchRoot mounts device (a filesystem on a namespace) at /newroot and
// makes it the root, running its /sbin/init. It only returns on failure.
func switchRoot(l *logger, device, fstype string) error {
	const newRoot = "/newroot"
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if _, err := mount.Mount(device, newRoot, fstype, "", 0); err != nil {
		return fmt.Errorf("mount %s on %s: %w", device, newRoot, err)
	}
	init := "/sbin/init"
	if _, err := os.Stat(filepath.Join(newRoot, init)); err != nil {
		return fmt.Errorf("switch_root: %s has no %s: %w", device, init, err)
	}
	l.Printf("switch_root to %s (%s), exec %s", device, fstype, init)
	return mount.SwitchRoot(newRoot, init)
}

const (
	powerOffCmd = unix.LINUX_REBOOT_CMD_POWER_OFF
	rebootCmd   = unix.LINUX_REBOOT_CMD_RESTART
)

// switchRootTo resolves root= and switches to it. root=ramdax:NAME is the
// fsdax namespace NAME; any other root= names a device directly.
func switchRootTo(l *logger, lay *layout.Layout) error {
	if lay.Root == "" {
		return fmt.Errorf("no root= on the command line")
	}
	device := lay.Root
	if name, ok := lay.RootNamespace(); ok {
		sys := nvdimm.New("/sys")
		ns, err := sys.FindNamespace(name)
		if err != nil {
			return fmt.Errorf("root=%s: %w", lay.Root, err)
		}
		device = sys.DevicePath(ns)
	}
	fstype, err := apply.Disk{}.Detect(device)
	if err != nil || fstype == "" {
		return fmt.Errorf("root %s holds no ext4 or xfs file system (%v)", device, err)
	}
	return switchRoot(l, device, fstype)
}
