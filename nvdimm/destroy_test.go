package nvdimm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDestroyFollowsNdctlOrderAndZeroesInfoBlock(t *testing.T) {
	s, tr, w := fakeKernel(t)
	// The raw bind that zeroes the info block shows pmem0.4 in the fake.
	node := filepath.Join(s.Dev, "pmem0.4")
	if err := os.WriteFile(node, bytes.Repeat([]byte{0xff}, 3*infoBlockSpan), 0o600); err != nil {
		t.Fatal(err)
	}
	tr.Unbind("bus/nd/devices/namespace0.0")
	if err := s.DestroyNamespace("fs", true); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bus/nd/drivers/nd_pmem/unbind=pfn0.0",
		"bus/nd/devices/pfn0.0/namespace=",
		"bus/nd/devices/namespace0.0/holder_class=",
		"bus/nd/devices/namespace0.0/force_raw=1",
		"bus/nd/drivers/nd_pmem/bind=namespace0.0",
		"bus/nd/drivers/nd_pmem/unbind=namespace0.0",
		"bus/nd/devices/namespace0.0/force_raw=0",
		"bus/nd/devices/namespace0.0/size=0",
	}
	if !slices.Equal(w.Writes, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(w.Writes, "\n"), strings.Join(want, "\n"))
	}
	data, _ := os.ReadFile(node)
	if !bytes.Equal(data[:infoBlockSpan], make([]byte, infoBlockSpan)) || data[infoBlockSpan] != 0xff {
		t.Error("the first 8 KiB, and only those, should be zero")
	}
}

func TestDestroyRefusesMountedNamespace(t *testing.T) {
	s, _, w := fakeKernel(t)
	mountinfo := "22 1 0:5 / /dev rw - devtmpfs devtmpfs rw\n36 22 259:0 / /mnt rw,relatime shared:1 - ext4 /dev/pmem0 rw,dax=always\n"
	if err := os.MkdirAll(filepath.Join(s.Proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Proc, "self", "mountinfo"), []byte(mountinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.DestroyNamespace("namespace0.0", true)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "mounted on /mnt") {
		t.Errorf("err = %v, want ErrInUse naming /mnt", err)
	}
	if len(w.Writes) > 0 {
		t.Errorf("wrote %v to a mounted namespace", w.Writes)
	}
}

func TestDestroyEnabledNeedsForce(t *testing.T) {
	s, _, w := fakeKernel(t)
	err := s.DestroyNamespace("pmem0.2", false)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("err = %v, want ErrInUse suggesting --force", err)
	}
	if len(w.Writes) > 0 {
		t.Errorf("wrote %v without --force", w.Writes)
	}
}

func TestDestroyRefusesSystemRAM(t *testing.T) {
	s, _, _ := fakeKernel(t)
	err := s.DestroyNamespace("/dev/dax0.1", true)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "reconfigure it to devdax") {
		t.Errorf("err = %v, want ErrInUse asking for reconfigure", err)
	}
}

func TestFindNamespace(t *testing.T) {
	s, _, _ := fakeKernel(t)
	for id, want := range map[string]string{
		"namespace0.3": "namespace0.3", "sec": "namespace0.3", "pmem0.3s": "namespace0.3",
		"/dev/pmem0.3s": "namespace0.3", "00000000-0000-4000-8000-0000000000B0": "namespace0.3",
		"00000000-0000-4000-8000-000000000003": "namespace0.3", "dax0.1": "namespace0.1",
	} {
		ns, err := s.FindNamespace(id)
		if err != nil || ns.Dev != want {
			t.Errorf("FindNamespace(%q) = %v, %v; want %s", id, ns, err, want)
		}
	}
	if _, err := s.FindNamespace("namespace0.4"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the idle seed was found: %v", err)
	}
}

func TestMountinfoMatch(t *testing.T) {
	line := "36 22 259:0 / /mnt/a rw - ext4 /dev/pmem0 rw"
	for _, tt := range []struct {
		node, devNum string
		want         bool
	}{
		{"/dev/pmem0", "", true},
		{"/dev/other", "259:0", true},
		{"/dev/pmem1", "259:1", false},
	} {
		mnt, ok := mountinfoMatch(line, tt.node, tt.devNum)
		if ok != tt.want || (ok && mnt != "/mnt/a") {
			t.Errorf("mountinfoMatch(%q, %q) = %q, %v; want %v", tt.node, tt.devNum, mnt, ok, tt.want)
		}
	}
	if _, ok := mountinfoMatch("garbage", "/dev/pmem0", "259:0"); ok {
		t.Error("matched a malformed line")
	}
}

func TestOpenersFindsMappedDaxDevice(t *testing.T) {
	s, _, _ := fakeKernel(t)
	pid := filepath.Join(s.Proc, "42")
	if err := os.MkdirAll(pid, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pid, "comm"), []byte("fio\n"), 0o644)
	os.WriteFile(filepath.Join(pid, "maps"), []byte("7f0000000000-7f0000200000 rw-s 00000000 00:05 12 /dev/dax0.1\n"), 0o644)
	if got := s.openers("dax0.1", "252:1"); got != "pid 42 (fio)" {
		t.Errorf("openers = %q, want pid 42 (fio)", got)
	}
	if got := s.openers("dax0.2", "252:2"); got != "" {
		t.Errorf("openers of an unmapped device = %q", got)
	}
}
