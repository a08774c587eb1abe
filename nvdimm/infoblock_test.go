package nvdimm

import (
	"bytes"
	"encoding/binary"
	"testing"
)

const labelUUID = "5d9fa12b-b0b9-44e7-bc8f-96b2331d21cb"

// claimBlock is a whole info block of kind as a claim of labelUUID
// writes it, checksum included.
func claimBlock(t *testing.T, kind string) []byte {
	t.Helper()
	claim, _ := parseUUID(ClaimUUID(labelUUID))
	label, _ := parseUUID(labelUUID)
	b := make([]byte, infoBlockSize)
	copy(b, infoBlockSigs[kind])
	copy(b[infoUUIDAt:], claim)
	copy(b[infoParentAt:], label)
	binary.LittleEndian.PutUint64(b[infoFieldsEnd:], 2<<20) // some field past the uuids
	binary.LittleEndian.PutUint64(b[infoChecksumAt:], 0x1234_5678_9abc_def0)
	return b
}

// cutAt is block as the kernel's write leaves it when cut after n bytes.
func cutAt(block []byte, n int) []byte {
	b := make([]byte, len(block))
	copy(b, block[:n])
	return b
}

// head is the first 8 KiB of a namespace with block at offset.
func head(block []byte, offset int) []byte {
	h := make([]byte, 2*infoBlockSize)
	copy(h[offset:], block)
	return h
}

func TestTornClaimIsRecognisedAtEveryCut(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		offset int
	}{{"dax", 4096}, {"pfn", 4096}, {"btt", 0}, {"btt", 4096}} {
		full := claimBlock(t, tc.kind)
		for n := infoUUIDAt + 8; n < infoBlockSize; n += 8 {
			ib := parseInfoBlock(head(cutAt(full, n), tc.offset), labelUUID)
			if ib.Kind != tc.kind || ib.Offset != int64(tc.offset) || !ib.Torn {
				t.Fatalf("%s at %d cut after %d bytes: %+v, want it torn", tc.kind, tc.offset, n, ib)
			}
		}
	}
}

func TestInfoBlocksThatAreNotTorn(t *testing.T) {
	full := head(claimBlock(t, "dax"), 4096)
	other := head(claimBlock(t, "dax"), 4096)
	copy(other[4096+infoUUIDAt:], bytes.Repeat([]byte{0xab}, 16)) // a claim not made by this package
	dirty := cutAt(full, 4096+40)
	dirty[4096+1000] = 1 // something after the cut: not a prefix over zeroes
	flipped := bytes.Clone(full)
	flipped[4096+200] ^= 0xff // a whole block, damaged later
	btt := head(claimBlock(t, "btt"), 0)
	flippedBTT := bytes.Clone(btt)
	flippedBTT[200] ^= 0xff
	// A torn BTT v2.0 block at 0 beside a whole dax block: the whole one
	// may be a layout that data depends on.
	both := bytes.Clone(full)
	copy(both[:infoBlockSize], cutAt(btt, 64))
	for name, tc := range map[string]struct {
		block []byte
		uuid  string
		kind  string
	}{
		"whole":           {full, labelUUID, "dax"},
		"damaged":         {flipped, labelUUID, "dax"},
		"damaged BTT v2":  {flippedBTT, labelUUID, "btt"},
		"torn beside one": {both, labelUUID, "dax"},
		"signature only":  {cutAt(full, 4096+infoUUIDAt), labelUUID, "dax"},
		"foreign claim":   {cutAt(other, 4096+64), labelUUID, "dax"},
		"not over zeroes": {dirty, labelUUID, "dax"},
		"other namespace": {cutAt(full, 4096+64), "00000000-0000-4000-8000-000000000005", "dax"},
		"bad label uuid":  {cutAt(full, 4096+64), "not-a-uuid", "dax"},
		"none":            {make([]byte, 2*infoBlockSize), labelUUID, ""},
	} {
		if ib := parseInfoBlock(tc.block, tc.uuid); ib.Kind != tc.kind || ib.Torn {
			t.Errorf("%s: %+v, want kind %q, not torn", name, ib, tc.kind)
		}
	}
}

func TestClaimUUID(t *testing.T) {
	got := ClaimUUID(labelUUID)
	if got != ClaimUUID("5D9FA12B-B0B9-44E7-BC8F-96B2331D21CB") {
		t.Errorf("ClaimUUID depends on the case of its input")
	}
	if got == ClaimUUID("00000000-0000-4000-8000-000000000005") {
		t.Errorf("two labels give the same claim uuid %s", got)
	}
	b, err := parseUUID(got)
	if err != nil || b[6]>>4 != 8 || b[8]>>6 != 2 {
		t.Errorf("ClaimUUID = %s (%v): want a version 8, RFC 9562 variant uuid", got, err)
	}
}
