package fleet

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeQuotesTheExample keeps the README's Fleets section true: it
// quotes every entry of example.inventory, the inventory the fleet suite
// boots.
func TestReadmeQuotesTheExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example.inventory")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(example), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(string(readme), "\n    "+line+"\n") {
			t.Errorf("README.md does not quote the example's entry %q", line)
		}
	}
}
