package nvdimm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// A pfn or dax info block, and a BTT v1.1 one, starts 4 KiB into the
// namespace; a BTT v2.0 one, which a btt claim on v1.2 labels (RAMDAX's)
// makes, starts at byte 0. Each is 4 KiB long, and the first 48 bytes are
// the same fields: the signature, the block's own uuid and its parent
// namespace's uuid. The checksum is the last 8 bytes.
const (
	infoBlockSize  = 4 << 10
	infoUUIDAt     = 16
	infoParentAt   = 32
	infoFieldsEnd  = 48
	infoChecksumAt = infoBlockSize - 8
)

// infoBlockSigs are the signatures of the pfn, dax and btt info blocks,
// by kind.
var infoBlockSigs = map[string][]byte{
	"pfn": []byte("NVDIMM_PFN_INFO\x00"),
	"dax": []byte("NVDIMM_DAX_INFO\x00"),
	"btt": []byte("BTT_ARENA_INFO\x00"),
}

// infoBlockPlaces are where each kind of info block can start.
var infoBlockPlaces = []struct {
	offset int64
	kind   string
}{{0, "btt"}, {4 << 10, "pfn"}, {4 << 10, "dax"}, {4 << 10, "btt"}}

// An InfoBlock is what an unclaimed namespace holds where an info block
// goes.
type InfoBlock struct {
	// Kind is "pfn", "dax" or "btt" when a signature is there, "" for
	// none.
	Kind string
	// Offset is where the block starts in the namespace.
	Offset int64
	// Torn says the block is the beginning of the one a claim of this
	// namespace by this package writes, with nothing after it: the
	// kernel's write of the block was cut off (see tornClaim).
	Torn bool
}

// ReadInfoBlock reads the info block of the unclaimed namespace dev,
// whose label uuid is uuid, through a raw (force_raw) block device.
func (s *Sysfs) ReadInfoBlock(dev, uuid string) (InfoBlock, error) {
	var ib InfoBlock
	err := s.WithRaw(dev, os.O_RDONLY, func(f *os.File) error {
		head := make([]byte, 2*infoBlockSize)
		if _, err := f.ReadAt(head, 0); err != nil {
			return fmt.Errorf("read info block of %s through %s: %w", dev, f.Name(), err)
		}
		ib = parseInfoBlock(head, uuid)
		return nil
	})
	return ib, err
}

// parseInfoBlock finds the info blocks in head, the first 8 KiB of a
// namespace. One that is not torn wins: it may hold a layout that data
// depends on.
func parseInfoBlock(head []byte, uuid string) InfoBlock {
	var found InfoBlock
	for _, place := range infoBlockPlaces {
		block, sig := head[place.offset:place.offset+infoBlockSize], infoBlockSigs[place.kind]
		if !bytes.HasPrefix(block, sig) {
			continue
		}
		ib := InfoBlock{Kind: place.kind, Offset: place.offset, Torn: tornClaim(block, sig, uuid)}
		if found.Kind == "" || !ib.Torn {
			found = ib
		}
	}
	return found
}

// tornClaim says whether block is a prefix of the info block that a claim
// of the namespace with label uuid by enableClaim writes, followed by
// zeroes: the kernel writes the block front to back, 8 bytes at a time,
// over zeroes (fresh RAM, or a destroy's zeroing), and its checksum last.
// The uuid enableClaim gives the claim, ClaimUUID(uuid), is what proves
// the write was this package's: at least its first 8 bytes must be there.
// A block cut off after its signature alone is not recognised, and stays
// a conflict.
func tornClaim(block, sig []byte, uuid string) bool {
	label, err := parseUUID(uuid)
	if err != nil {
		return false
	}
	want := make([]byte, infoFieldsEnd)
	copy(want, sig)
	copy(want[infoUUIDAt:], claimUUID(label))
	copy(want[infoParentAt:], label)
	cut := infoUUIDAt
	for cut < infoFieldsEnd && bytes.Equal(block[cut:cut+8], want[cut:cut+8]) {
		cut += 8
	}
	switch {
	case cut == infoUUIDAt:
		return false
	case cut < infoFieldsEnd:
		return allZero(block[cut:])
	}
	return allZero(block[infoChecksumAt:])
}

// ClaimUUID is the uuid enableClaim gives the pfn, dax or btt device
// that claims the namespace with label uuid. It is derived from the
// label's (a name-based, version 8 uuid), so that an info block this
// package began to write can be told from any other.
func ClaimUUID(uuid string) string {
	label, err := parseUUID(uuid)
	if err != nil {
		return NewUUID() // the kernel refuses such a label uuid anyway
	}
	return formatUUID(claimUUID(label))
}

// claimUUID is ClaimUUID's bytes, from the label uuid's.
func claimUUID(label []byte) []byte {
	sum := sha256.Sum256(append([]byte("ramdax claim "), label...))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return b
}

func formatUUID(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// parseUUID returns the 16 bytes of a uuid in the order the kernel keeps
// them, the order they are written in.
func parseUUID(uuid string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(uuid, "-", ""))
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("%q is not a uuid", uuid)
	}
	return b, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
