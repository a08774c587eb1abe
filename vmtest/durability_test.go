package vmtest

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/Netflix/go-expect"
	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/testtmp"
	"github.com/u-root/mkuimage/uimage"

	"github.com/ramdax/appliance/invariant"
)

// The durability suites boot the appliance image with ramdaxinit as PID 1
// and, as its console shell, guest/ramdaxcheck: it checks the
// invariants, writes or verifies known data, prints every namespace's
// fingerprint and powers off. The host keeps what each boot printed and
// compares boots.

// checkImage is the appliance image whose console shell is ramdaxcheck.
func checkImage(t *testing.T, extra ...uimage.Modifier) string {
	return applianceImage(t, "", append([]uimage.Modifier{
		uimage.WithBusyboxCommands("github.com/ramdax/appliance/guest/ramdaxcheck"),
		uimage.WithShell("ramdaxcheck"),
	}, extra...)...)
}

// checkOutput is what ramdaxcheck printed at one boot.
type checkOutput struct {
	ready    string            // ramdaxinit's ready line
	ok       bool              // ramdaxcheck found no problem
	problems []string          // what it found
	wrote    map[string]string // name: sha256 of the data written
	verified map[string]string // name: sha256 of the data read back
	bytes    int               // bytes read back and found equal
	prints   map[string]invariant.Print
}

var (
	readyOf     = regexp.MustCompile(`ramdax: (ready [^\r\n]*)`)
	dataLine    = regexp.MustCompile(`ramdaxcheck: (wrote|verified) (\S+) (\d+) ([0-9a-f]{64})`)
	problemLine = regexp.MustCompile(`ramdaxcheck: problem: ([^\r\n]*)`)
	verdictLine = regexp.MustCompile(`ramdaxcheck: (ok|FAIL \d+ problems)`)
)

// awaitCheck reads the console up to ramdaxcheck's verdict.
func awaitCheck(t *testing.T, vm *qemu.VM) checkOutput {
	t.Helper()
	out, err := vm.Console.Expect(expect.Regexp(verdictLine))
	if err != nil {
		t.Fatalf("ramdaxcheck gave no verdict: %v", err)
	}
	return parseCheck(t, out)
}

func parseCheck(t *testing.T, console string) checkOutput {
	c := checkOutput{wrote: map[string]string{}, verified: map[string]string{}}
	if m := readyOf.FindAllStringSubmatch(console, -1); m != nil {
		c.ready = m[len(m)-1][1]
	}
	v := verdictLine.FindAllStringSubmatch(console, -1)
	c.ok = v != nil && v[len(v)-1][1] == "ok"
	for _, m := range problemLine.FindAllStringSubmatch(console, -1) {
		c.problems = append(c.problems, m[1])
	}
	for _, m := range dataLine.FindAllStringSubmatch(console, -1) {
		n, _ := strconv.Atoi(m[3])
		if m[1] == "wrote" {
			c.wrote[m[2]] = m[4]
			continue
		}
		c.verified[m[2]] = m[4]
		c.bytes += n
	}
	var err error
	if c.prints, err = invariant.ParsePrints(console); err != nil {
		t.Fatal(err)
	}
	return c
}

// bootCheck boots once to ramdaxcheck's verdict and power-off.
func bootCheck(t *testing.T, name string, opts []Option) checkOutput {
	t.Helper()
	vm := Start(t, name, opts...)
	c := awaitCheck(t, vm)
	if err := vm.Wait(); err != nil {
		t.Errorf("VM %s: %v", name, err)
	}
	return c
}

// dataLosses compares the checksums read back with those written before,
// for every name in names, and returns one line per namespace that lost
// data.
func dataLosses(before, after checkOutput, names []string) []string {
	var lost []string
	for _, name := range names {
		want, ok := before.wrote[name]
		switch got, read := after.verified[name]; {
		case !ok:
			lost = append(lost, name+": nothing was written before")
		case !read:
			lost = append(lost, name+": not read back: "+problemAbout(after, name))
		case got != want:
			lost = append(lost, fmt.Sprintf("%s: sha256 %s, written %s", name, got, want))
		}
	}
	return lost
}

// problemAbout is what ramdaxcheck said about name.
func problemAbout(c checkOutput, name string) string {
	for _, p := range c.problems {
		if strings.HasPrefix(p, name+": ") {
			return p
		}
	}
	return "no reason given"
}

// copyRAM copies a guest RAM file into a directory kept if t fails, so a
// failed cycle can be booted again by hand.
func copyRAM(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(testtmp.TempDir(t), "guest-ram")
	if out, err := exec.Command("cp", "--sparse=always", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy guest RAM: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("guest RAM kept in %s", dst)
		}
	})
	return dst
}
