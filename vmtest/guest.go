package vmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/testtmp"
	"github.com/u-root/mkuimage/uimage"

	"github.com/ramdax/appliance/image"
)

// GuestBuildTag guards the Go tests that only make sense inside a guest:
// without it `go test ./...` on the host compiles none of them, rather than
// counting skipped tests as passes.
const GuestBuildTag = "vmguest"

// RunGuestTests compiles the Go test packages pkgs with the vmguest build
// tag, boots them in a u-root initramfs whose uinit (vmtest/guestrun) runs
// each with -test.v and powers off, and fails t for every test binary that
// does not exit 0. Everything travels over the serial console, so any
// kernel with a serial console will do, modular ones without 9p included.
// It returns the console output, for checks that compare boots.
func RunGuestTests(t *testing.T, name string, pkgs []string, opts ...Option) string {
	t.Helper()
	requireQEMU(t)
	m := newMachine(t, opts)
	dir := testtmp.TempDir(t)
	var files, bins []string
	for i, pkg := range pkgs {
		bin := filepath.Join(dir, fmt.Sprintf("%d-%s.test", i, path.Base(pkg)))
		compileGuestTest(t, pkg, bin)
		guest := "testbin/" + filepath.Base(bin)
		files = append(files, bin+":"+guest)
		bins = append(bins, "/"+guest)
	}
	args := bins
	if m.LoadModules {
		args = append([]string{"-load-modules"}, bins...)
	}
	m.Uimage = append([]uimage.Modifier{
		uimage.WithBusyboxCommands(append(image.CoreCommands, "github.com/ramdax/appliance/vmtest/guestrun")...),
		uimage.WithShell("gosh"),
		uimage.WithInit("init"),
		uimage.WithUinit("guestrun", args...),
		uimage.WithFiles(files...),
	}, m.Uimage...)

	console := &syncBuffer{}
	vm := qemu.StartT(t, name, qemu.ArchAMD64, append(m.qemuFns(t), qemu.WithSerialOutput(console))...)
	if err := vm.Wait(); err != nil {
		t.Errorf("VM %s: %v", name, err)
	}
	for _, bin := range bins {
		checkVerdict(t, console.String(), bin)
	}
	return console.String()
}

// compileGuestTest builds pkg's test binary for the guest.
func compileGuestTest(t *testing.T, pkg, out string) {
	cmd := exec.Command("go", "test", "-c", "-tags", GuestBuildTag, "-o", out, pkg)
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compile guest tests %s: %v\n%s", pkg, err, b)
	}
}

var failedTest = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// checkVerdict reads guestrun's verdict on bin from the console.
func checkVerdict(t *testing.T, console, bin string) {
	t.Helper()
	verdict := regexp.MustCompile(`guestrun: ` + regexp.QuoteMeta(bin) + ` exit (-?\d+)`)
	m := verdict.FindStringSubmatch(console)
	if m == nil {
		t.Errorf("%s never finished in the guest; the console is above", bin)
		return
	}
	if code, _ := strconv.Atoi(m[1]); code != 0 {
		var failed []string
		for _, f := range failedTest.FindAllStringSubmatch(console, -1) {
			failed = append(failed, f[1])
		}
		t.Errorf("%s failed in the guest (exit %d): %v; the output is above", bin, code, failed)
	}
}

// syncBuffer collects the serial console; QEMU's output goroutine writes
// while the test may read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Close() error { return nil }

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
