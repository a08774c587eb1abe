package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inventory writes an inventory of the example plus extra lines, and
// returns its path and the example's number of lines.
func inventoryLines(t *testing.T, extra string) (string, int) {
	t.Helper()
	example, err := os.ReadFile("../../fleet/example.inventory")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fleet.inventory")
	if err := os.WriteFile(path, append(example, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, bytes.Count(example, []byte("\n"))
}

func inventory(t *testing.T, extra string) string {
	path, _ := inventoryLines(t, extra)
	return path
}

func TestCheckOnly(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(&stdout, &stderr, []string{"pxeconfig", "-check", inventory(t, "")}); err != nil {
		t.Fatal(err)
	}
	if want := "2 classes, 3 nodes, default class cache\n"; !strings.HasSuffix(stdout.String(), want) || stderr.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want a summary ending in %q", stdout.String(), stderr.String(), want)
	}
}

// A bad entry stops the generation: every problem is listed, and nothing
// is written.
func TestBadEntryWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fleet")
	inv, n := inventoryLines(t, "node n4 52:54:00:fe:00:04 memmap=278656K!1G ramdax.ns=bad:fsdax:100M\nnode n5 52:54:00:fe:00:01 db\n")
	err := run(&bytes.Buffer{}, &bytes.Buffer{}, []string{"pxeconfig", "-o", out, "-dhcp-range", "10.0.8.100,10.0.8.199", inv})
	for _, want := range []string{
		"has 2 problem(s); nothing was written:\n",
		fmt.Sprintf(`%s:%d: node n4 (52:54:00:fe:00:04): ramdax.ns="bad:fsdax:100M": SIZE 100M is not a multiple of 16M (the region align); use 96M or 112M`, inv, n+1),
		fmt.Sprintf("%s:%d: node n5 (52:54:00:fe:00:01): MAC 52:54:00:fe:00:01 is already node db1 on line ", inv, n+2),
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v\nwant an error with %q", err, want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
}

func TestWarningsGoToStderr(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(&bytes.Buffer{}, &stderr, []string{"pxeconfig", "-check", inventory(t, "class odd memmap=512M!1G ramdax.ns=a:raw:rest\n")}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "pxeconfig: warning: ") || !strings.Contains(stderr.String(), "class odd: hint: memmap=512M!1G wastes") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pxeconfig"}, "want one inventory file, got 0 arguments"},
		{[]string{"pxeconfig", "-o", filepath.Join(t.TempDir(), "x"), inventory(t, "")}, "no DHCP range"},
		{[]string{"pxeconfig", "-check", "/nonexistent.inventory"}, "inventory: open /nonexistent.inventory"},
	} {
		if err := run(&bytes.Buffer{}, &bytes.Buffer{}, tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q): got %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
