package main

import (
	"github.com/ramdax/appliance/service"
	"testing"
	"time"
)

func TestShellPauseBacksOff(t *testing.T) {
	var p service.Backoff
	var got []time.Duration
	for _, lived := range []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, time.Minute, 0} {
		got = append(got, p.Next(lived))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 0, 1}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("pauses %v, want %v seconds", got, want)
		}
	}
}
