package service

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

// reapInto plays PID 1 for s: it waits for any child and hands it over.
func reapInto(s *Supervisor, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err != nil || pid == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		s.Exited(pid, ws)
	}
}

func TestSupervisorRestartsFailuresOnly(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	var last []status.Service
	s := &Supervisor{
		Logf:    func(f string, a ...any) { mu.Lock(); lines = append(lines, fmt.Sprintf(f, a...)); mu.Unlock() },
		Changed: func(st []status.Service) { mu.Lock(); last = st; mu.Unlock() },
	}
	stop := make(chan struct{})
	defer close(stop)
	go reapInto(s, stop)
	s.Start([]Config{
		{Name: "fails", Path: "/bin/sh", Args: []string{"-c", "echo oops $GREETING; exit 3"}, Env: []string{"GREETING=hi"}},
		{Name: "done", Path: "/bin/sh", Args: []string{"-c"}},
		{Name: "missing", Path: "/nonexistent/missing"},
	}, map[string][]string{"done": {"exit 0"}, "other": {"-x"}})

	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		states := last
		mu.Unlock()
		if len(states) == 3 && states[0].Restarts >= 2 && states[1].State == status.Exited {
			checkStates(t, states)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: states %+v", states)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	log := strings.Join(lines, "\n")
	mu.Unlock()
	for _, want := range []string{
		"svc fails: oops hi",
		"svc fails: exit status 3 after",
		"starting it again in 1s",
		"starting it again in 2s",
		"svc done: exited 0 after",
		"error: svc missing: not in the image",
		`error: ramdax.svc.other: the image has no service "other"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log has no %q:\n%s", want, log)
		}
	}
}

func checkStates(t *testing.T, states []status.Service) {
	t.Helper()
	if s := states[0]; s.LastExit != "exit status 3" || (s.State != status.Restarting && s.State != status.Running) {
		t.Errorf("fails: %+v, want restarting or running after exit status 3", s)
	}
	if s := states[1]; s.Restarts != 0 || s.LastExit != "exit status 0" || strings.Join(s.Args, " ") != "-c exit 0" {
		t.Errorf("done: %+v, want exited once, with the command line's argument appended", s)
	}
	if s := states[2]; s.State != status.Missing {
		t.Errorf("missing: %+v, want missing", s)
	}
}

// TestBackoff runs the pauses a service gets (a floor of 1 s) and those
// a console shell gets (no floor) over the same runs: eight short ones,
// a long one, a short one.
func TestBackoff(t *testing.T) {
	lived := []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, time.Minute, 0}
	for _, c := range []struct {
		floor time.Duration
		want  []time.Duration
	}{
		{time.Second, []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 1, 2}},
		{0, []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 0, 1}},
	} {
		b := Backoff{Floor: c.floor}
		var got []time.Duration
		for _, l := range lived {
			got = append(got, b.Next(l))
		}
		for i := range c.want {
			if got[i] != c.want[i]*time.Second {
				t.Fatalf("floor %v: pauses %v, want %v seconds", c.floor, got, c.want)
			}
		}
	}
}

func TestDeclare(t *testing.T) {
	cs, err := Declare([]string{"github.com/you/svc/cmd/svc", "./cmds/x"}, map[string]Settings{"x": {Args: []string{"-v"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Path != "/bbin/svc" || cs[1].Name != "x" || cs[1].Args[0] != "-v" {
		t.Errorf("Declare: %+v", cs)
	}
	if _, err := Declare([]string{"./a/x", "./b/x"}, nil); err == nil || !strings.Contains(err.Error(), `two commands named "x"`) {
		t.Errorf("two commands of one name: %v", err)
	}
	if _, err := Declare([]string{"./a/x"}, map[string]Settings{"y": {}}); err == nil || !strings.Contains(err.Error(), `"y" is not one of SERVICES`) {
		t.Errorf("settings for no service: %v", err)
	}
}
