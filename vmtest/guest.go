package vmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/testtmp"
	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/uimage"

	"github.com/ramdax/appliance/image"
)

// GuestBuildTag guards the Go tests that only make sense inside a guest:
// without it `go test ./...` on the host compiles none of them, rather than
// counting skipped tests as passes.
const GuestBuildTag = "vmguest"

// RunGuestTests compiles the Go test packages pkgs of the caller's module
// (import paths, or paths relative to the test's directory) with the
// vmguest build tag, boots them in a u-root initramfs whose uinit
// (guest/guestrun) runs each with -test.v and powers off, and fails t for
// every test binary that does not exit 0. With WithLayout, ramdaxinit sets
// the layout up first, and the tests find the namespaces by name with
// package guest. Everything travels over the serial console, so any
// kernel with a serial console will do, modular ones without 9p included.
// It returns the console output, for checks that compare boots.
func RunGuestTests(t *testing.T, pkgs []string, opts ...Option) string {
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
	m.Uimage = append(guestImage(t, m, files, bins), m.Uimage...)

	console := &syncBuffer{}
	vm := qemu.StartT(t, m.Name, qemu.ArchAMD64, append(m.qemuFns(t), qemu.WithSerialOutput(console))...)
	if err := vm.Wait(); err != nil {
		t.Errorf("VM %s: %v", m.Name, err)
	}
	if m.Layout {
		checkVerdict(t, console.String(), "ramdaxinit")
	}
	for _, bin := range bins {
		checkVerdict(t, console.String(), bin)
	}
	return console.String()
}

// guestImage is RunGuestTests's initramfs: guestrun as the uinit, the test
// binaries, and with a layout the appliance's commands and mkfs tools.
func guestImage(t *testing.T, m *Machine, files, bins []string) []uimage.Modifier {
	cmds := append(slices.Clone(image.CoreCommands), ModulePath+"/guest/guestrun")
	var args []string
	if m.LoadModules {
		args = append(args, "-load-modules")
	}
	if m.Layout {
		cmds = append(cmds, image.ApplianceCommands...)
		files = append(files, image.FilesystemTools...)
		args = append(args, "-ramdaxinit")
	}
	return []uimage.Modifier{
		uimage.WithEnv(golang.WithWorkingDir(ModuleDir(t))),
		uimage.WithBusyboxCommands(cmds...),
		uimage.WithShell("gosh"),
		uimage.WithInit("init"),
		uimage.WithUinit("guestrun", append(args, bins...)...),
		uimage.WithFiles(files...),
	}
}

// compileGuestTest builds pkg's test binary for the guest, in the test's
// working directory, so that pkg belongs to the caller's module.
func compileGuestTest(t *testing.T, pkg, out string) {
	cmd := exec.Command("go", "test", "-c", "-tags", GuestBuildTag, "-o", out, pkg)
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
