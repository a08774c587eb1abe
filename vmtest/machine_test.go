package vmtest

import (
	"strings"
	"testing"
)

func TestLockedMemoryArgs(t *testing.T) {
	for _, tc := range []struct {
		accel   string
		cpus    int
		want    []string
		notWant string
	}{
		{"tcg", 1, []string{"-accel tcg,tb-size=256 ", "-overcommit mem-lock=on"}, "thread="},
		{"tcg", 2, []string{"-accel tcg,thread=single,tb-size=256 ", "-overcommit mem-lock=on"}, ""},
		{"kvm", 1, []string{"-accel kvm ", "-overcommit mem-lock=on"}, "tb-size"},
	} {
		m := &Machine{Memory: "2G", CPUs: tc.cpus, Accel: tc.accel, LockMemory: true}
		cmd := m.qemuCommand(t)
		for _, w := range tc.want {
			if !strings.Contains(cmd, w) {
				t.Errorf("%s with %d CPUs: %q lacks %q", tc.accel, tc.cpus, cmd, w)
			}
		}
		if tc.notWant != "" && strings.Contains(cmd, tc.notWant) {
			t.Errorf("%s with %d CPUs: %q has %q", tc.accel, tc.cpus, cmd, tc.notWant)
		}
	}
	unlocked := (&Machine{Memory: "2G", CPUs: 1, Accel: "tcg"}).qemuCommand(t)
	if strings.Contains(unlocked, "mem-lock") || strings.Contains(unlocked, "tb-size") {
		t.Errorf("a machine that does not lock its memory: %q", unlocked)
	}
}
