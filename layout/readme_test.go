package layout

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeExamples keeps README.md true: every example command line in
// it (an indented line starting with memmap=) parses without error or hint.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "    memmap=") {
			continue
		}
		n++
		l, err := Parse(strings.TrimSpace(line))
		if err != nil {
			t.Errorf("README example %q: %v", line, err)
		}
		if h := l.Hints(); len(h) > 0 {
			t.Errorf("README example %q wastes space: %v", line, h)
		}
	}
	if n == 0 {
		t.Error("README.md has no example command lines")
	}
}
