package layout

import (
	"errors"
	"strings"
	"testing"

	"github.com/ramdax/appliance/bootconfig"
)

func parseBoth(t *testing.T, cmdline, bconf string) (*Layout, Errors) {
	t.Helper()
	kvs, err := bootconfig.Parse(bconf)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseWithBootconfig(cmdline, "bootconfig", kvs)
	var errs Errors
	errors.As(err, &errs)
	return l, errs
}

func names(l *Layout) string {
	var ns []string
	for _, n := range l.Namespaces {
		ns = append(ns, n.Name)
	}
	return strings.Join(ns, ",")
}

func TestBootconfigAddsUp(t *testing.T) {
	l, errs := parseBoth(t, "memmap=1G!4G ramdax.ns=a:raw:64M ramdax.reset=a",
		"ramdax.ns = b:devdax:64M, c:fsdax:64M\nramdax.ns += a:raw:64M\nramdax.reset = b\nramdax.then = poweroff\nkernel.console = ttyS0\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := names(l); got != "a,b,c" {
		t.Errorf("namespaces %s, want a,b,c: the command line's first, a once", got)
	}
	if strings.Join(l.Reset, ",") != "a,b" || l.Then != ThenPoweroff {
		t.Errorf("reset %v then %s", l.Reset, l.Then)
	}
}

func TestBootconfigConflicts(t *testing.T) {
	for _, c := range []struct {
		name, cmdline, bconf string
		want                 []string // in the one error
		check                func(*Layout) bool
	}{
		{"namespace", "ramdax.ns=db:fsdax:128M ramdax.ns=ok:raw:16M", "ramdax.ns = ok:raw:16M, db:fsdax:256M\n",
			[]string{`bootconfig line 1: ramdax.ns="db:fsdax:256M"`, `"db" is declared differently on the command line (db:fsdax:128M) and in bootconfig line 1 (db:fsdax:256M)`},
			func(l *Layout) bool { _, rejected := l.Rejected["db"]; return names(l) == "ok" && rejected }},
		{"then", "ramdax.then=poweroff", "ramdax.then = reboot\n",
			[]string{`set to "poweroff" on the command line and to "reboot" in bootconfig line 1`, "starts a shell"},
			func(l *Layout) bool { return l.Then == ThenShell }},
		{"debug", "ramdax.debug=0", "ramdax.debug\n",
			[]string{"ramdax.debug", "on the command line", "in bootconfig;"},
			func(l *Layout) bool { return l.Debug }},
		{"bad entry", "", "ramdax.ns = good:raw:16M,\n  bad:nomode:1M\n",
			[]string{`bootconfig line 2: ramdax.ns="bad:nomode:1M"`},
			func(l *Layout) bool { return names(l) == "good" }},
		{"unknown key", "", "ramdax.nss = a:raw:16M\n",
			[]string{"bootconfig line 1: ramdax.nss", "unknown parameter"},
			func(l *Layout) bool { return len(l.Namespaces) == 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, errs := parseBoth(t, c.cmdline, c.bconf)
			if len(errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(errs), errs)
			}
			for _, w := range c.want {
				if !strings.Contains(errs[0].Error(), w) {
					t.Errorf("error %q lacks %q", errs[0], w)
				}
			}
			if !c.check(l) {
				t.Errorf("layout %+v", l)
			}
		})
	}
}

// TestBootconfigFromProc names an array's value by its place, since
// /proc/bootconfig has no lines.
func TestBootconfigFromProc(t *testing.T) {
	kvs, err := bootconfig.ParseProc(`ramdax.ns = "a:raw:16M", "b:raw:1Q"` + "\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseWithBootconfig("", "bootconfig", kvs)
	if err == nil || !strings.Contains(err.Error(), `bootconfig, value 2 of 2: ramdax.ns="b:raw:1Q"`) {
		t.Fatalf("got %v", err)
	}
}
