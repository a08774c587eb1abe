package image

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/u-root/mkuimage/cpio"

	"github.com/ramdax/appliance/release"
)

func TestIPXEScriptHasOneLayoutLine(t *testing.T) {
	s := IPXEScript(DefaultLayout)
	if n := strings.Count(s, "\nset layout "+DefaultLayout+"\n"); n != 1 {
		t.Errorf("want one `set layout` line with the default layout, got %d in:\n%s", n, s)
	}
	for _, want := range []string{"#!ipxe\n", "\nkernel bzImage console=tty0 console=ttyS0 initrd=initramfs.cpio.lz4 BOOTIF=01-${netX/mac:hexhyp} ${layout}\n",
		"\ninitrd initramfs.cpio.lz4\n", "\nboot\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("boot.ipxe lacks %q:\n%s", want, s)
		}
	}
}

func TestGrubConfigOnSerial(t *testing.T) {
	c := GrubConfig(DefaultLayout)
	for _, want := range []string{"serial --unit=0", "terminal_input serial console", "terminal_output serial console",
		"\tlinux /boot/bzImage console=tty0 console=ttyS0 " + DefaultLayout + "\n", "\tinitrd /boot/initramfs.cpio.lz4\n"} {
		if !strings.Contains(c, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, c)
		}
	}
}

func TestLayoutThatGrubWouldRead(t *testing.T) {
	for _, bad := range []string{"ramdax.ns=$x", "a; reboot", `ramdax.ns="a b"`, "a\nb"} {
		if err := WritePXE(t.TempDir(), "k", "i", bad); err == nil || !strings.Contains(err.Error(), "grub or iPXE") {
			t.Errorf("WritePXE(%q): got %v, want the layout refused", bad, err)
		}
	}
}

func TestWritePXE(t *testing.T) {
	dir := t.TempDir()
	kernel, initramfs := fakeFile(t, "kernel"), fakeFile(t, "initramfs")
	out := filepath.Join(dir, "pxe")
	if err := WritePXE(out, kernel, initramfs, DefaultLayout); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{release.KernelFile: "kernel", release.InitramfsFile: "initramfs", release.IPXEFile: IPXEScript(DefaultLayout)} {
		if b, err := os.ReadFile(filepath.Join(out, name)); err != nil || string(b) != want {
			t.Errorf("%s: got %q, %v; want %q", name, b, err, want)
		}
	}
}

func TestManifestListsPresentFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	sums, err := WriteManifest(dir, []string{"flavour: test"}, []string{"a", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# flavour: test\n# sha256 bytes file\n" +
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad         3 a\n"
	if b, _ := os.ReadFile(filepath.Join(dir, release.ManifestFile)); string(b) != want || len(sums) != 1 {
		t.Errorf("manifest:\n%s\nwant:\n%s", b, want)
	}
}

func TestLargest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.cpio")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := cpio.Newc.Writer(f)
	if err := cpio.WriteRecordsAndDirs(w, []cpio.Record{
		cpio.StaticFile("bin/small", "ab", 0o755),
		cpio.StaticFile("bin/big", "abcdef", 0o755),
		cpio.StaticFile("etc/mid", "abcd", 0o644),
	}); err != nil {
		t.Fatal(err)
	}
	if err := cpio.WriteTrailer(w); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := Largest(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (Entry{"bin/big", 6}) || got[1] != (Entry{"etc/mid", 4}) {
		t.Errorf("Largest: got %v, want bin/big 6, etc/mid 4", got)
	}
}

// TestCompressIsReproducible compresses the same bytes twice: the outputs
// must match, and decompress to the input.
func TestCompressIsReproducible(t *testing.T) {
	in := bytes.Repeat([]byte("ramdax appliance initramfs "), 1<<15)
	src := fakeFile(t, string(in))
	dir := t.TempDir()
	var outs [2][]byte
	for i := range outs {
		dst := filepath.Join(dir, "out"+string(rune('a'+i))+release.CompressedExt)
		if err := Compress(src, dst); err != nil {
			t.Fatal(err)
		}
		outs[i] = readFile(t, dst)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two compressions of the same input differ")
	}
	// The legacy frame, the only one the kernel's unlz4 reads, starts
	// with this magic number.
	if legacy := []byte{0x02, 0x21, 0x4c, 0x18}; !bytes.HasPrefix(outs[0], legacy) {
		t.Errorf("output starts % x, want the lz4 legacy magic % x", outs[0][:min(4, len(outs[0]))], legacy)
	}
	unpack := exec.Command("lz4", "-d", "-c")
	unpack.Stdin = bytes.NewReader(outs[0])
	back, err := unpack.Output()
	if err != nil || !bytes.Equal(back, in) {
		t.Errorf("decompressed: %d bytes, %v; want the %d input bytes", len(back), err, len(in))
	}
}

// TestISOIsReproducible makes the ISO twice, more than a second apart, from
// the same files touched in between: the images must be byte-identical.
func TestISOIsReproducible(t *testing.T) {
	kernel, initramfs := fakeFile(t, "not a kernel"), fakeFile(t, "not an initramfs")
	dir := t.TempDir()
	var sums [2][sha256.Size]byte
	for i := range sums {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond)
			now := time.Now()
			os.Chtimes(kernel, now, now)
		}
		iso := filepath.Join(dir, "ramdax.iso")
		if err := WriteISO(iso, kernel, initramfs, DefaultLayout); err != nil {
			t.Fatal(err)
		}
		sums[i] = sha256.Sum256(readFile(t, iso))
	}
	if sums[0] != sums[1] {
		t.Errorf("two ISOs from the same inputs differ: %x, %x", sums[0], sums[1])
	}
}

func fakeFile(t *testing.T, content string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "fake-")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUndeclaredReportsExtraFiles(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "initramfs.cpio")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	w := cpio.Newc.Writer(f)
	recs := []cpio.Record{
		cpio.Directory("bbin", 0o755), cpio.StaticFile("bbin/bb", "busybox", 0o755),
		cpio.StaticFile("bin/ramdaxinit", "init", 0o755), cpio.Symlink("bbin/ramdaxctl", "bb"), cpio.StaticFile("lib/x86_64-linux-gnu/libuuid.so.1.3.0", "lib", 0o644),
		cpio.StaticFile("etc/ssh/ssh_host_ed25519_key", "a key", 0o600), cpio.Symlink("bbin/sshd", "bb"),
	}
	if err := cpio.WriteRecordsAndDirs(w, recs); err != nil {
		t.Fatal(err)
	}
	if err := cpio.WriteTrailer(w); err != nil {
		t.Fatal(err)
	}
	f.Close()
	extra, err := Undeclared(archive, Declared(false))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"etc/ssh", "etc/ssh/ssh_host_ed25519_key", "bbin/sshd"}
	if !slices.Equal(extra, want) {
		t.Errorf("Undeclared = %q, want %q", extra, want)
	}
}
