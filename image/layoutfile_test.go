package image

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeLayoutFile is the README's example layout file and the LAYOUT of
// its make image line.
func readmeLayoutFile(t *testing.T) (text, cmdline string) {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "    # node.bconf")
	if start < 0 {
		t.Fatal("README.md has no example node.bconf")
	}
	var lines []string
	for _, line := range strings.Split(readme[start:], "\n") {
		if !strings.HasPrefix(line, "    ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(line, "    "))
	}
	m := regexp.MustCompile(`make image LAYOUT_FILE=node\.bconf LAYOUT='([^']*)'`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no make image LAYOUT_FILE=node.bconf line")
	}
	return strings.Join(lines, "\n") + "\n", m[1]
}

func TestReadmeLayoutFile(t *testing.T) {
	text, cmdline := readmeLayoutFile(t)
	if err := CheckLayoutFile("node.bconf", text, cmdline); err != nil {
		t.Fatal(err)
	}
}

func TestCheckLayoutFileRefuses(t *testing.T) {
	for text, want := range map[string]string{
		"ramdax.ns = a:raw:16M\nramdax.ns = b:raw:16M\n": "node.bconf: bootconfig line 2, column 1: ramdax.ns is given a value twice: use += to add to it, or := to replace it",
		"ramdax.ns = a:raw:16M,\n  b:raw:17M\n":          `node.bconf line 2: ramdax.ns="b:raw:17M": SIZE 17M is not a multiple of 16M`,
		"kernel.console = ttyS0\n":                       "no ramdax.* key",
		"ramdax.ns = big:raw:4G\n":                       "node.bconf line 1: ramdax.ns=\"big:raw:4G\"",
	} {
		err := CheckLayoutFile("node.bconf", text, "memmap=2097280K!4G")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", text, err, want)
		}
	}
}
