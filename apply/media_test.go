package apply

import (
	"os"
	"path/filepath"
	"testing"
)

// image returns a zeroed image file of size bytes, standing in for a
// namespace's device.
func image(t *testing.T, size int64) string {
	path := filepath.Join(t.TempDir(), "pmem")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMarkNamesItsNamespace(t *testing.T) {
	path := image(t, 32<<20)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Disk{}).MarkPending(f, "uuid-a"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for uuid, want := range map[string]bool{"uuid-a": true, "uuid-b": false} {
		if got, err := (Disk{}).FormatPending(path, uuid); err != nil || got != want {
			t.Errorf("FormatPending(%s) = %v, %v; want %v", uuid, got, err, want)
		}
	}
}

func TestUnfinishedXFSIsPending(t *testing.T) {
	path := image(t, 32<<20)
	sb := make([]byte, 512)
	copy(sb, "XFSB")
	sb[xfsInProgress] = 1
	if err := os.WriteFile(path, sb, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Truncate(path, 32<<20)
	if got, err := (Disk{}).FormatPending(path, "any"); err != nil || !got {
		t.Errorf("FormatPending of an xfs that mkfs never finished = %v, %v; want true", got, err)
	}
}

// Mkfs keeps the mark's 4 KiB out of the file system and clears it once
// the file system is whole.
func TestMkfsClearsTheMark(t *testing.T) {
	path := image(t, 64<<20)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := (Disk{}).MarkPending(f, "u"); err != nil {
		t.Fatal(err)
	}
	if err := (Disk{}).Mkfs("ext4", path); err != nil {
		t.Fatal(err)
	}
	if pending, _ := (Disk{}).FormatPending(path, "u"); pending {
		t.Errorf("the mark is still there after mkfs")
	}
	sb := make([]byte, 1024)
	f.ReadAt(sb, 1024)
	blocks := uint64(sb[4]) | uint64(sb[5])<<8 | uint64(sb[6])<<16 | uint64(sb[7])<<24
	if blocks != (64<<20-MarkSize)/4096 {
		t.Errorf("ext4 has %d blocks, want %d: all but the mark's 4 KiB", blocks, (64<<20-MarkSize)/4096)
	}
}
