package bootconfig

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kernelTool is the kernel's own tools/bootconfig, built by make kernel
// from the same source as the kernel, with the kernel's samples beside it.
func kernelTool(t *testing.T) (tool, samples string) {
	t.Helper()
	dir, err := filepath.Abs("../build/kernel")
	if err != nil {
		t.Fatal(err)
	}
	tool, samples = filepath.Join(dir, "bootconfig"), filepath.Join(dir, "bootconfig-samples")
	for _, p := range []string{tool, samples} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the kernel's bootconfig tool: %v (make kernel builds it)", err)
		}
	}
	return tool, samples
}

// listWithKernel runs the kernel's parser on text: its listing, or its error.
func listWithKernel(t *testing.T, tool, text string) (string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "config.bconf")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(tool, "-l", f)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", errors.New(strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// ramdaxSamples are layouts written the ways an operator would.
var ramdaxSamples = map[string]string{
	"array": `ramdax.ns = "db:fsdax:128M:fs=ext4:mount=/mnt/db", "cache:devdax:64M"
ramdax.then = poweroff
`,
	"tree": `ramdax {
	ns = db:fsdax:128M,   # the database
	     cache:devdax:64M
	ns += log:raw:16M
	reset = cache
	debug
}
kernel.console = ttyS0
`,
	"override":   "ramdax.then = shell; ramdax.then := poweroff\n",
	"quotes":     `ramdax.ns = 'a"b', "c'd"` + "\n",
	"no-newline": "ramdax.then = reboot",
}

// TestParseAsTheKernel parses the kernel's own samples and the ramdax
// ones with both parsers: each accepts what the other does, and lists
// the same keys and values.
func TestParseAsTheKernel(t *testing.T) {
	tool, dir := kernelTool(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.bconf"))
	if err != nil || len(files) < 30 {
		t.Fatalf("the kernel's samples in %s: %d files, %v", dir, len(files), err)
	}
	cases := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(f)] = string(b)
	}
	for name, text := range ramdaxSamples {
		cases[name] = text
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			want, kernelErr := listWithKernel(t, tool, text)
			kvs, err := Parse(text)
			switch {
			case kernelErr != nil && err == nil:
				t.Fatalf("Parse accepted what the kernel refuses (%v):\n%s", kernelErr, text)
			case kernelErr == nil && err != nil:
				t.Fatalf("Parse refused what the kernel accepts: %v\n%s", err, text)
			case err != nil:
				return
			}
			if got := List(kvs); got != want {
				t.Errorf("listing:\n%s\nthe kernel's:\n%s", got, want)
			}
			if back, err := ParseProc(want); err != nil || List(back) != want {
				t.Errorf("ParseProc of the kernel's listing: %v\n%s", err, List(back))
			}
		})
	}
}

// TestFooterAsTheKernelTool appends a bootconfig to initrds of every
// alignment: the bytes are those of the kernel's tool, and FromInitrd
// reads the text back.
func TestFooterAsTheKernelTool(t *testing.T) {
	tool, _ := kernelTool(t)
	text := ramdaxSamples["tree"]
	for n := 0; n < 4; n++ {
		initrd := bytes.Repeat([]byte("0"), 1000+n)
		footer, err := Footer(text, int64(len(initrd)))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		conf, file := filepath.Join(dir, "c.bconf"), filepath.Join(dir, "initrd")
		os.WriteFile(conf, []byte(text), 0o644)
		os.WriteFile(file, initrd, 0o644)
		if out, err := exec.Command(tool, "-a", conf, file).CombinedOutput(); err != nil {
			t.Fatalf("bootconfig -a: %v: %s", err, out)
		}
		want, _ := os.ReadFile(file)
		got := append(initrd, footer...)
		if !bytes.Equal(got, want) {
			t.Fatalf("initrd of %d bytes: the footer differs from the kernel tool's:\n%q\n%q", len(initrd), got[len(initrd):], want[len(initrd):])
		}
		back, rest, err := FromInitrd(got)
		if err != nil || back != text || rest != len(initrd) {
			t.Fatalf("FromInitrd: %q, %d, %v", back, rest, err)
		}
	}
}

func TestFromInitrdRefuses(t *testing.T) {
	footer, err := Footer("ramdax.then = shell\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(footer)
	corrupt[0] = 'R'
	for name, initrd := range map[string][]byte{
		"checksum": corrupt,
		"no magic": []byte("070701 just a cpio"),
	} {
		if _, _, err := FromInitrd(initrd); err == nil {
			t.Errorf("%s: FromInitrd accepted %q", name, initrd)
		}
	}
	if _, _, err := FromInitrd([]byte("plain")); !errors.Is(err, ErrNone) {
		t.Errorf("no bootconfig: %v, want ErrNone", err)
	}
}

func TestLimits(t *testing.T) {
	var many strings.Builder
	many.WriteString("ramdax.ns = ")
	for i := range MaxNodes {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString("a")
	}
	many.WriteString("\n")
	for name, text := range map[string]string{
		"size":  "k = " + strings.Repeat("x", MaxData) + "\n",
		"nodes": many.String(),
		"key":   strings.Repeat("k.", 130) + "k = 1\n",
	} {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: Parse accepted %d bytes", name, len(text))
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestSyntaxErrorNamesTheLine(t *testing.T) {
	_, err := Parse("ramdax.then = shell\nramdax.then = poweroff\n")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(se.Msg, ":=") {
		t.Fatalf("got %v, want line 2 with the hint to use :=", err)
	}
}
