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
)

// Steps is the time spent in named steps, in the order they first ran.
type Steps struct {
	order []string
	spent map[string]time.Duration
	count map[string]int
}

// New returns an empty Steps.
func New() *Steps {
	return &Steps{spent: map[string]time.Duration{}, count: map[string]int{}}
}

// Since adds the time since start to step.
func (s *Steps) Since(step string, start time.Time) {
	s.Add(step, time.Since(start))
}

// Add adds d to step.
func (s *Steps) Add(step string, d time.Duration) {
	if s == nil {
		return
	}
	if _, ok := s.spent[step]; !ok {
		s.order = append(s.order, step)
	}
	s.spent[step] += d
	s.count[step]++
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

// String lists the steps as "name 1.2 ms", with "×N" for a step that ran
// more than once.
func (s *Steps) String() string {
	var parts []string
	for _, n := range s.Names() {
		p := fmt.Sprintf("%s %s", n, Millis(s.spent[n]))
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
			out.spent[n], out.count[n] = s.spent[n], s.count[n]
		}
	}
	return out
}
