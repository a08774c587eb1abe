package rootdev

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for root, want := range map[string]Spec{
		"/dev/nvme0n1p2": {ByPath, "/dev/nvme0n1p2"},
		"UUID=0a1b2c3d-aaaa-bbbb-cccc-0123456789ab": {ByUUID, "0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"},
		"PARTUUID=1234abcd-02":                      {ByPartUUID, "1234abcd-02"},
		"LABEL=noderoot":                            {ByLabel, "noderoot"},
		"PARTLABEL=root":                            {ByPartLabel, "root"},
	} {
		got, err := Parse(root)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", root, got, err, want)
		}
		if got.String() != root {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), root)
		}
	}
	for _, bad := range []string{"sda1", "UUID=", "nfs:/srv/root"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "want /dev/NAME, UUID=") {
			t.Errorf("Parse(%q): %v, want the forms", bad, err)
		}
	}
}

// TestLabel makes real file systems with Debian's mkfs and reads their
// labels back.
func TestLabel(t *testing.T) {
	for _, fs := range []struct{ mkfs, fstype string }{{"mkfs.ext4", "ext4"}, {"mkfs.xfs", "xfs"}} {
		mkfs, err := exec.LookPath(fs.mkfs)
		if err != nil {
			mkfs = filepath.Join("/sbin", fs.mkfs)
		}
		img := filepath.Join(t.TempDir(), "fs.img")
		if err := os.WriteFile(img, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(img, 300<<20); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(mkfs, "-q", "-L", "noderoot", img).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", fs.mkfs, err, out)
		}
		label, fstype, err := Label(img)
		if err != nil || label != "noderoot" || fstype != fs.fstype {
			t.Errorf("Label of %s: %q, %q, %v; want noderoot, %s", fs.mkfs, label, fstype, err, fs.fstype)
		}
	}
	if _, _, err := Label("/dev/null"); err == nil {
		t.Error("Label(/dev/null): no error")
	}
}
