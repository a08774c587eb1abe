// Package timing adds up where a run's time goes, step by step, so that a
// change can be seen in the step it speeds up or slows down.
//
// A nil *Steps records nothing, so that libraries can take one without
// making their callers keep it.
package timing

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Steps is the time spent in named steps, in the order they first ran,
// on the wall clock and on the process's CPU clock: on one CPU, wall time
// off the CPU is time other tasks ran, such as the kernel's own threads.
type Steps struct {
	order []string
	spent map[string]time.Duration
	cpu   map[string]time.Duration
	count map[string]int
}

// New returns an empty Steps.
func New() *Steps {
	return &Steps{spent: map[string]time.Duration{}, cpu: map[string]time.Duration{}, count: map[string]int{}}
}

// Mark is a moment on both clocks, the start of a step.
type Mark struct {
	wall time.Time
	cpu  time.Duration
}

// Now returns the present moment on both clocks.
func Now() Mark { return Mark{wall: time.Now(), cpu: ProcessCPU()} }

// Elapsed returns the wall and CPU time since m.
func (m Mark) Elapsed() (wall, cpu time.Duration) {
	return time.Since(m.wall), ProcessCPU() - m.cpu
}

// Since adds the time since start to step.
func (s *Steps) Since(step string, start Mark) {
	if s == nil {
		return
	}
	wall, cpu := start.Elapsed()
	s.add(step, wall, cpu)
}

// SinceWall adds the wall time since start to step, and none to its CPU
// time: for steps that run once per device, where reading the CPU clock
// would cost a system call each time.
func (s *Steps) SinceWall(step string, start time.Time) {
	s.Add(step, time.Since(start))
}

// Add adds d of wall time to step, none of it known to be on the CPU.
func (s *Steps) Add(step string, d time.Duration) {
	if s == nil {
		return
	}
	s.add(step, d, 0)
}

func (s *Steps) add(step string, wall, cpu time.Duration) {
	if _, ok := s.spent[step]; !ok {
		s.order = append(s.order, step)
	}
	s.spent[step] += wall
	s.cpu[step] += cpu
	s.count[step]++
}

// CPU returns the process's CPU time during step, all its runs together.
func (s *Steps) CPU(step string) time.Duration {
	if s == nil {
		return 0
	}
	return s.cpu[step]
}

// Spent returns the time step took, all its runs together.
func (s *Steps) Spent(step string) time.Duration {
	if s == nil {
		return 0
	}
	return s.spent[step]
}

// Count returns how many times step ran.
func (s *Steps) Count(step string) int {
	if s == nil {
		return 0
	}
	return s.count[step]
}

// Names returns the steps in the order they first ran.
func (s *Steps) Names() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.order...)
}

// Seconds returns each step's time in seconds, for JSON.
func (s *Steps) Seconds() map[string]float64 {
	m := map[string]float64{}
	for _, n := range s.Names() {
		m[n] = s.spent[n].Seconds()
	}
	return m
}

// String lists the steps as "name 1.2 ms", with "(CPU 0.8)" for the part
// on the CPU when it was measured, and "×N" for a step that ran more than
// once.
func (s *Steps) String() string {
	var parts []string
	for _, n := range s.Names() {
		p := fmt.Sprintf("%s %s", n, Millis(s.spent[n]))
		if c := s.cpu[n]; c > 0 {
			p += fmt.Sprintf(" (CPU %.1f)", float64(c)/float64(time.Millisecond))
		}
		if c := s.count[n]; c > 1 {
			p += fmt.Sprintf(" ×%d", c)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// Millis formats d in milliseconds with one decimal: "12.3 ms".
func Millis(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// Filter returns the steps for which keep is true, as a new Steps.
func (s *Steps) Filter(keep func(step string) bool) *Steps {
	out := New()
	for _, n := range s.Names() {
		if keep(n) {
			out.order = append(out.order, n)
			out.spent[n], out.cpu[n], out.count[n] = s.spent[n], s.cpu[n], s.count[n]
		}
	}
	return out
}

// ProcessCPU is the CPU time of the whole process so far, every thread,
// user and kernel alike. The kernel counts it to the nanosecond from the
// scheduler's clock, unlike the tick-sampled user/system split.
func ProcessCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
