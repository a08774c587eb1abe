package rootdev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
)

// Where ext4 and xfs keep their magic numbers and labels.
const (
	ext4Super      = 1024
	ext4MagicAt    = ext4Super + 56
	ext4Magic      = 0xef53
	ext4LabelAt    = ext4Super + 120
	ext4LabelSize  = 16
	xfsMagic       = "XFSB"
	xfsLabelAt     = 108
	xfsLabelSize   = 12
	superblockRead = ext4Super + 1024
)

// Label reads the file system label of the ext4 or xfs file system on
// dev, and which of the two it is.
func Label(dev string) (label, fstype string, err error) {
	f, err := os.Open(dev)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	buf := make([]byte, superblockRead)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return "", "", err
	}
	switch {
	case binary.LittleEndian.Uint16(buf[ext4MagicAt:]) == ext4Magic:
		return cString(buf[ext4LabelAt : ext4LabelAt+ext4LabelSize]), "ext4", nil
	case string(buf[:len(xfsMagic)]) == xfsMagic:
		return cString(buf[xfsLabelAt : xfsLabelAt+xfsLabelSize]), "xfs", nil
	}
	return "", "", errors.New("no ext4 or xfs superblock")
}

// cString is b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
