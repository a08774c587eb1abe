package main

import (
	"testing"
	"time"
)

func TestShellPauseBacksOff(t *testing.T) {
	var p shellPause
	var got []time.Duration
	for _, lived := range []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, time.Minute, 0} {
		got = append(got, p.next(lived))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 0, 1}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("pauses %v, want %v seconds", got, want)
		}
	}
}
