package main

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/ramdax/appliance/console"
	"github.com/ramdax/appliance/service"
	"golang.org/x/sys/unix"
)

// shells are tried in order for the console shell.
var shells = []string{"/bin/defaultsh", "/bin/sh", "/bbin/gosh"}

// consoleShell is the shell kept on one console.
type consoleShell struct {
	tty     string // empty: ramdaxinit's own stdin, stdout and stderr
	pause   service.Backoff
	started time.Time
}

// shellSupervisor keeps a shell on every console and starts a new one
// whenever one exits: as PID 1, ramdaxinit must never leave the machine
// without a console. A shell that keeps dying at once is started again
// after a growing pause, up to a minute, so that its errors stay
// readable. It also reaps the services, which it hands to their
// supervisor, and orphans, as PID 1 must.
type shellSupervisor struct {
	l        *logger
	services *service.Supervisor
	mu       sync.Mutex
	running  map[int]*consoleShell
}

// runShells keeps a shell on each of ttys, or on ramdaxinit's own console
// when there are none, and reaps services for their supervisor. It never
// returns.
func runShells(l *logger, ttys []string, services *service.Supervisor) {
	s := &shellSupervisor{l: l, services: services, running: map[int]*consoleShell{}}
	if len(ttys) == 0 {
		ttys = []string{""}
	}
	for _, tty := range ttys {
		s.start(&consoleShell{tty: tty})
	}
	s.reap()
}

// start starts c's shell, or schedules another try when it cannot.
func (s *shellSupervisor) start(c *consoleShell) {
	// The lock covers Start and the bookkeeping, so that reap cannot take
	// a shell that exits at once for an orphan.
	s.mu.Lock()
	defer s.mu.Unlock()
	c.started = time.Now()
	cmd, err := shellCommand(c.tty)
	if err == nil {
		err = cmd.Start()
		closeStdio(cmd)
	}
	if err != nil {
		s.l.Printf("error: shell on %s: %v", c.name(), err)
		s.again(c)
		return
	}
	s.running[cmd.Process.Pid] = c
}

// again starts c's shell after its pause.
func (s *shellSupervisor) again(c *consoleShell) {
	wait := c.pause.Next(time.Since(c.started))
	if wait > 0 {
		s.l.Printf("starting a new shell on %s in %v", c.name(), wait)
	}
	time.AfterFunc(wait, func() { s.start(c) })
}

// reap waits for children forever: a shell that exits gets a new one, a
// service's exit goes to its supervisor, and orphans are only collected.
func (s *shellSupervisor) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err != nil {
			// No children right now: the shells are between tries.
			time.Sleep(time.Second)
			continue
		}
		s.mu.Lock()
		c, ok := s.running[pid]
		delete(s.running, pid)
		s.mu.Unlock()
		switch {
		case ok:
			s.l.Printf("shell on %s exited (%v)", c.name(), ws)
			s.again(c)
		case s.services != nil:
			s.services.Exited(pid, ws)
		}
	}
}

func (c *consoleShell) name() string {
	if c.tty == "" {
		return "the console"
	}
	return c.tty
}

// shellCommand is the first shell of shells that exists, on tty as its
// controlling terminal, in a session of its own.
func shellCommand(tty string) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	for _, sh := range shells {
		if _, err := os.Stat(sh); err == nil {
			cmd = exec.Command(sh)
			break
		}
	}
	if cmd == nil {
		return nil, fmt.Errorf("no shell found in %v", shells)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if tty != "" {
		f, err := os.OpenFile(tty, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, f
	}
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true}
	return cmd, nil
}

// closeStdio closes the terminal shellCommand opened, once the shell has
// its own copy.
func closeStdio(cmd *exec.Cmd) {
	if f, ok := cmd.Stdin.(*os.File); ok && f != os.Stdin {
		f.Close()
	}
}

// drainConsole lets the console send what it still buffers (tcdrain).
func drainConsole() { _ = console.Drain(os.Stdout, console.DrainLimit) }

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

const (
	powerOffCmd = unix.LINUX_REBOOT_CMD_POWER_OFF
	rebootCmd   = unix.LINUX_REBOOT_CMD_RESTART
)
