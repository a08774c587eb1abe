package service

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

// Supervisor starts the services and starts them again. It never waits
// for its children itself: PID 1 reaps every process, and hands each
// exit to Exited.
type Supervisor struct {
	// Logf prints a line for the operator: the console and the kernel log.
	Logf func(format string, args ...any)
	// Changed is called with every service's state after any change, to
	// write status.json and the metrics; it runs with the supervisor's
	// lock held, so calls come in order.
	Changed func([]status.Service)
	// Env is every service's environment, before its own Env.
	Env []string

	mu       sync.Mutex
	services []*supervised
	running  map[int]*supervised
}

// supervised is one service and its history.
type supervised struct {
	Config
	state   status.Service
	pause   Backoff
	started time.Time
}

// Start starts each service of cs in order, with extra[NAME] appended to
// its arguments. A service whose program is missing is reported and
// skipped; extra arguments for a service the image lacks are reported.
func (s *Supervisor) Start(cs []Config, extra map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = map[int]*supervised{}
	for _, c := range cs {
		c.Args = append(slices.Clone(c.Args), extra[c.Name]...)
		sv := &supervised{Config: c, pause: Backoff{Floor: initialPause},
			state: status.Service{Name: c.Name, Path: c.Path, Args: c.Args}}
		s.services = append(s.services, sv)
	}
	for name := range extra {
		if !slices.ContainsFunc(cs, func(c Config) bool { return c.Name == name }) {
			s.Logf("error: ramdax.svc.%s: the image has no service %q (it has %s); ignored", name, name, names(cs))
		}
	}
	for _, sv := range s.services {
		if _, err := os.Stat(sv.Path); err != nil {
			sv.state.State, sv.state.Detail = status.Missing, fmt.Sprintf("not in the image: %v", err)
			s.Logf("error: svc %s: %s", sv.Name, sv.state.Detail)
			continue
		}
		s.launch(sv)
	}
	s.changed()
}

// names lists the services' names for an error message.
func names(cs []Config) string {
	if len(cs) == 0 {
		return "none"
	}
	var ns []string
	for _, c := range cs {
		ns = append(ns, c.Name)
	}
	return fmt.Sprint(ns)
}

// launch starts sv's program; the caller holds the lock, so that Exited
// cannot see its pid before it is recorded.
func (s *Supervisor) launch(sv *supervised) {
	cmd, out, err := s.command(sv)
	if err == nil {
		err = cmd.Start()
		out.w.Close() // the child holds its own copy
	}
	sv.started = time.Now()
	if err != nil {
		if out.r != nil {
			out.r.Close()
		}
		sv.state.State, sv.state.LastExit = status.Restarting, fmt.Sprintf("start: %v", err)
		s.again(sv)
		return
	}
	pid := cmd.Process.Pid
	// PID 1 reaps it with wait4: the handle Go keeps (a pidfd) is not needed.
	cmd.Process.Release()
	sv.state.State, sv.state.Pid = status.Running, pid
	s.running[pid] = sv
	s.Logf("svc %s: started, pid %d: %s %v", sv.Name, pid, sv.Path, sv.Args)
	go s.copyLines(sv.Name, out.r)
}

// pipe is the read and write ends of a service's output.
type pipe struct{ r, w *os.File }

// command is sv's program with its environment, its output on one pipe,
// and its input on /dev/null.
func (s *Supervisor) command(sv *supervised) (*exec.Cmd, pipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, pipe{}, fmt.Errorf("output pipe: %w", err)
	}
	cmd := exec.Command(sv.Path, sv.Args...)
	cmd.Env = append(append(slices.Clone(s.Env), "RAMDAX_STATUS="+status.File, "RAMDAX_METRICS="+status.MetricsFile), sv.Env...)
	cmd.Stdout, cmd.Stderr = w, w
	// Its own session: a signal meant for the console's shell does not
	// reach it.
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
	return cmd, pipe{r, w}, nil
}

// copyLines logs each line the service writes, until the last copy of
// the pipe's write end closes.
func (s *Supervisor) copyLines(name string, r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		s.Logf("svc %s: %s", name, sc.Text())
	}
}

// Exited records the exit of pid, and says whether it was a service's.
// A service that exits 0 is done; any other end starts it again after
// its pause.
func (s *Supervisor) Exited(pid int, ws unix.WaitStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, ok := s.running[pid]
	if !ok {
		return false
	}
	delete(s.running, pid)
	sv.state.Pid, sv.state.LastExit = 0, describe(ws)
	if ws.Exited() && ws.ExitStatus() == 0 {
		sv.state.State = status.Exited
		s.Logf("svc %s: exited 0 after %v; not started again", sv.Name, time.Since(sv.started).Round(time.Millisecond))
		s.changed()
		return true
	}
	sv.state.State = status.Restarting
	s.again(sv)
	return true
}

// again schedules sv's next start after its pause, and reports it.
func (s *Supervisor) again(sv *supervised) {
	lived := time.Since(sv.started)
	wait := sv.pause.Next(lived)
	s.Logf("svc %s: %s after %v; starting it again in %v", sv.Name, sv.state.LastExit, lived.Round(time.Millisecond), wait)
	s.changed()
	time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		sv.state.Restarts++
		s.launch(sv)
		s.changed()
	})
}

// describe says how a process ended, as exec.ExitError would.
func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "signal: " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}

// changed hands the states to Changed; the caller holds the lock.
func (s *Supervisor) changed() {
	if s.Changed == nil {
		return
	}
	states := make([]status.Service, len(s.services))
	for i, sv := range s.services {
		states[i] = sv.state
	}
	s.Changed(states)
}
