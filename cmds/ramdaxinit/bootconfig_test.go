package main

import "testing"

func TestWithoutLogPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"<3>[    0.106745] bootconfig checksum failed":  "bootconfig checksum failed",
		"[    0.1] Failed to parse bootconfig: x at 3.": "Failed to parse bootconfig: x at 3.",
		"bootconfig size 9 is greater":                  "bootconfig size 9 is greater",
	} {
		if got := withoutLogPrefix(in); got != want {
			t.Errorf("withoutLogPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
