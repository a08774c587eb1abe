package bootconfig

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic ends an initrd that carries a bootconfig.
const Magic = "#BOOTCONFIG\n"

// footerLen is the size and checksum (le32 each) and the magic.
const footerLen = 8 + len(Magic)

// align is what the initrd's total length is padded to, as
// tools/bootconfig pads it.
const align = 4

// Footer returns what to append to an initrd of initrdLen bytes so that
// the kernel finds text as its bootconfig: the text and a NUL, zeros up
// to the alignment, the size and checksum, and the magic. The text is
// checked with Parse first.
func Footer(text string, initrdLen int64) ([]byte, error) {
	if _, err := Parse(text); err != nil {
		return nil, err
	}
	data := append([]byte(text), 0)
	sum := checksum(data)
	pad := (align - (initrdLen+int64(len(data))+int64(footerLen))%align) % align
	data = append(data, make([]byte, pad)...)
	if len(data) > MaxData {
		return nil, fmt.Errorf("bootconfig: %d bytes with its padding, more than the kernel's %d", len(data), MaxData)
	}
	data = binary.LittleEndian.AppendUint32(data, uint32(len(data)))
	data = binary.LittleEndian.AppendUint32(data, sum)
	return append(data, Magic...), nil
}

// checksum is the kernel's xbc_calc_checksum: the sum of the bytes.
func checksum(b []byte) uint32 {
	var sum uint32
	for _, c := range b {
		sum += uint32(c)
	}
	return sum
}

// ErrNone means the initrd does not end with a bootconfig.
var ErrNone = errors.New("bootconfig: no " + Magic[:len(Magic)-1] + " at the end of the initrd")

// FromInitrd returns the bootconfig text at the end of initrd and the
// length of the initrd before it, with the kernel's checks
// (get_boot_config_from_initrd): the magic within the last 3 bytes of
// padding a boot loader may add, the size, and the checksum.
func FromInitrd(initrd []byte) (text string, rest int, err error) {
	end := len(initrd) - len(Magic)
	found := -1
	for i := 0; i < align && end-i >= 0; i++ {
		if bytes.Equal(initrd[end-i:end-i+len(Magic)], []byte(Magic)) {
			found = end - i
			break
		}
	}
	if found < 8 {
		return "", len(initrd), ErrNone
	}
	hdr := found - 8
	size := binary.LittleEndian.Uint32(initrd[hdr:])
	sum := binary.LittleEndian.Uint32(initrd[hdr+4:])
	switch {
	case size > MaxData:
		return "", 0, fmt.Errorf("bootconfig: size %d is more than the kernel's %d", size, MaxData)
	case int(size) > hdr:
		return "", 0, fmt.Errorf("bootconfig: size %d is more than the %d bytes before its footer", size, hdr)
	}
	data := initrd[hdr-int(size) : hdr]
	if got := checksum(data); got != sum {
		return "", 0, fmt.Errorf("bootconfig: checksum %d, but the footer says %d: the text was changed after the footer was written", got, sum)
	}
	body, _, _ := bytes.Cut(data, []byte{0})
	return string(body), hdr - int(size), nil
}
