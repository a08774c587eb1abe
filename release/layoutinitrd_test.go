package release

import (
	"bytes"
	"testing"

	"github.com/u-root/mkuimage/cpio"
	"github.com/u-root/uio/uio"

	"github.com/ramdax/appliance/layout"
)

// TestLayoutInitrdForModularKernels is a cpio, on a 4-byte boundary,
// holding the layout at layout.BootconfigFile.
func TestLayoutInitrdForModularKernels(t *testing.T) {
	const text = "ramdax.ns = a:raw:16M\n"
	b, err := LayoutInitrd(text, true, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0, 0, 0, '0', '7', '0', '7', '0', '1'}) {
		t.Fatalf("starts %q: want 3 bytes of padding to the boundary, then a newc header", b[:9])
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(b[3:])))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if "/"+r.Name == layout.BootconfigFile {
			got, err := uio.ReadAll(r.ReaderAt)
			if err != nil || string(got) != text {
				t.Fatalf("%s holds %q, %v", r.Name, got, err)
			}
			return
		}
	}
	t.Fatalf("no %s in %v", layout.BootconfigFile, recs)
}
