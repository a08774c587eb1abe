package timing

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSteps(t *testing.T) {
	s := New()
	s.Add("list", 2*time.Millisecond)
	s.Add("create", 10*time.Millisecond)
	s.Add("list", 1500*time.Microsecond)
	if got, want := s.String(), "list 3.5 ms ×2, create 10.0 ms"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if s.Count("list") != 2 || s.Spent("create") != 10*time.Millisecond {
		t.Errorf("Count(list) = %d, Spent(create) = %v", s.Count("list"), s.Spent("create"))
	}
	if got := s.Seconds()["create"]; got != 0.01 {
		t.Errorf("Seconds()[create] = %v, want 0.01", got)
	}
}

func TestNilRecordsNothing(t *testing.T) {
	var s *Steps
	s.Since("x", Now())
	if s.String() != "" || s.Count("x") != 0 || len(s.Seconds()) != 0 {
		t.Errorf("a nil Steps recorded something: %q", s.String())
	}
}

func TestFilter(t *testing.T) {
	s := New()
	s.Add("a", time.Millisecond)
	s.Add("b", 2*time.Millisecond)
	s.Add("a", time.Millisecond)
	got := s.Filter(func(n string) bool { return n == "a" })
	if got.String() != "a 2.0 ms ×2" {
		t.Errorf("Filter(a) = %q, want %q", got.String(), "a 2.0 ms ×2")
	}
}

func TestSinceCountsCPU(t *testing.T) {
	s := New()
	start := Now()
	for deadline := time.Now().Add(20 * time.Millisecond); time.Now().Before(deadline); {
	}
	s.Since("spin", start)
	wall, cpu := s.Spent("spin"), s.CPU("spin")
	// The process's clock counts every thread, and the runtime's (the
	// collector's, sysmon) may run beside the spin on the other CPUs.
	if most := wall * time.Duration(runtime.GOMAXPROCS(0)); cpu <= 0 || cpu > most+time.Millisecond {
		t.Errorf("a 20 ms spin: wall %v, CPU %v; want CPU above 0 and at most %v", wall, cpu, most)
	}
	if !strings.Contains(s.String(), "(CPU ") {
		t.Errorf("String() = %q, want the CPU share", s.String())
	}
}
