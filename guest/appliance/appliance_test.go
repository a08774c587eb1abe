//go:build vmguest

package appliance

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ramdax/appliance/guest/knowndata"
	"github.com/ramdax/appliance/guest/testparams"
	"github.com/ramdax/appliance/invariant"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

func TestRamdaxinit(t *testing.T) {
	params, err := testparams.Read()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/bbin/ramdaxinit").CombinedOutput()
	t.Logf("ramdaxinit output:\n%s", out)
	if err != nil {
		t.Fatalf("ramdaxinit: %v", err)
	}
	st, err := status.Read(status.File)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ready {
		t.Errorf("status.json: ready is false")
	}
	checkInvariants(t, st)
	for _, e := range st.Namespaces {
		checkRootOnly(t, e.Device)
	}
	for _, want := range testparams.List(params["expect"]) {
		name, state, _ := strings.Cut(want, ":")
		if got := entry(t, st, name); got.State != state {
			t.Errorf("%s: state %q (%s), want %q", name, got.State, got.Detail, state)
		}
	}
	// Emptiness is checked before anything is written.
	for _, name := range testparams.List(params["empty"]) {
		if hasData(t, entry(t, st, name)) {
			t.Errorf("%s: old data still there after a reset", name)
		}
	}
	for _, name := range testparams.List(params["write"]) {
		e := entry(t, st, name)
		if err := knowndata.Write(e, knowndata.Bytes(name)); err != nil {
			t.Fatal(err)
		}
		if !hasData(t, e) {
			t.Errorf("%s: data written does not read back", name)
		}
	}
	for _, name := range testparams.List(params["verify"]) {
		if !hasData(t, entry(t, st, name)) {
			t.Errorf("%s: the data written at an earlier boot is gone", name)
		}
	}
	rawParams(t, st, params)
	printFingerprints(t)
}

// rawParams handles the parameters that go below file systems and modes,
// for the data-safety suites:
//
//	rawwrite=NAMES     known data at the start of the device, whatever its mode
//	rawverify=NAMES    that data is still there
//	mbr=NAME@OFFSET    an MBR with one partition at byte OFFSET of the device
//	nopart=NAMES       the device has no partitions
//	corruptinfo=NAME   release the claim and damage the info block's checksum
//	tearinfo=NAME@N    release the claim and zero the info block from byte N
//	rawsum=NAMES       print the sha256 of the whole raw namespace (unclaimed)
//	detail=NAMES       print the status detail
func rawParams(t *testing.T, st *status.Status, params map[string]string) {
	for _, name := range testparams.List(params["rawwrite"]) {
		if err := knowndata.Write(rawEntry(t, st, name), knowndata.Bytes(name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range testparams.List(params["rawverify"]) {
		got, err := knowndata.Read(rawEntry(t, st, name), knowndata.Size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, knowndata.Bytes(name)) {
			t.Errorf("%s: the raw data written at an earlier boot changed", name)
		}
	}
	for _, spec := range testparams.List(params["mbr"]) {
		writeMBR(t, st, spec)
	}
	for _, name := range testparams.List(params["nopart"]) {
		checkNoPartitions(t, entry(t, st, name))
	}
	for _, name := range testparams.List(params["corruptinfo"]) {
		corruptInfoBlock(t, name)
	}
	for _, spec := range testparams.List(params["tearinfo"]) {
		tearInfoBlock(t, spec)
	}
	for _, name := range testparams.List(params["rawsum"]) {
		fmt.Printf("rawsum %s %s\n", name, rawSum(t, name))
	}
	for _, name := range testparams.List(params["detail"]) {
		fmt.Printf("detail %s: %s\n", name, entry(t, st, name).Detail)
	}
}

// rawEntry is name's entry as a plain device: its data at the device's
// start, not in a file.
func rawEntry(t *testing.T, st *status.Status, name string) status.Entry {
	e := entry(t, st, name)
	e.Mount = ""
	if e.Mode != "devdax" {
		e.Mode = "raw"
	}
	return e
}

// writeMBR writes, at an offset into NAME's device, an MBR whose one
// partition covers its second MiB.
func writeMBR(t *testing.T, st *status.Status, spec string) {
	name, off, _ := strings.Cut(spec, "@")
	offset, err := strconv.ParseUint(strings.TrimSuffix(off, "M"), 10, 64)
	if err != nil {
		t.Fatalf("mbr=%s: want NAME@OFFSETM", spec)
	}
	mbr := make([]byte, 512)
	part := mbr[446:462]
	part[4] = 0x83                                 // Linux
	binary.LittleEndian.PutUint32(part[8:], 2048)  // first sector
	binary.LittleEndian.PutUint32(part[12:], 2048) // sectors
	mbr[510], mbr[511] = 0x55, 0xaa
	f, err := os.OpenFile(entry(t, st, name).Device, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(mbr, int64(offset<<20)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// checkNoPartitions fails for any partition of e's block device.
func checkNoPartitions(t *testing.T, e status.Entry) {
	dev := filepath.Base(e.Device)
	parts, _ := filepath.Glob(filepath.Join("/sys/class/block", dev, dev+"p*"))
	if len(parts) > 0 {
		t.Errorf("%s: %s has partitions %v left from what was there before", e.Name, e.Device, parts)
	}
}

// corruptInfoBlock lets go of NAME's claim and changes one byte of the
// padding of its info block, so that its checksum no longer matches: the
// kernel will not claim it at the next boot.
func corruptInfoBlock(t *testing.T, name string) {
	editInfoBlock(t, name, func(block []byte) { block[200] ^= 0xff })
	fmt.Printf("rawsum %s %s\n", name, rawSum(t, name))
}

// tearInfoBlock lets go of the claim of NAME in NAME@BYTES and zeroes its
// info block from byte BYTES on, as a power cut leaves it when it stops
// the kernel's write of the block after BYTES bytes.
func tearInfoBlock(t *testing.T, spec string) {
	name, at, _ := strings.Cut(spec, "@")
	n, err := strconv.Atoi(at)
	if err != nil || n < 0 || n > 4096 {
		t.Fatalf("tearinfo=%s: want NAME@BYTES, BYTES at most 4096", spec)
	}
	editInfoBlock(t, name, func(block []byte) { clear(block[n:]) })
}

// editInfoBlock lets go of NAME's claim and rewrites its info block
// after edit.
func editInfoBlock(t *testing.T, name string, edit func(block []byte)) {
	sys := nvdimm.New("/sys")
	ns, err := sys.FindNamespace(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.ReleaseClaim(ns); err != nil {
		t.Fatal(err)
	}
	ib, err := sys.ReadInfoBlock(ns.Dev, "")
	if err != nil || ib.Kind == "" {
		t.Fatalf("%s: no info block to edit (%v)", name, err)
	}
	err = sys.WithRaw(ns.Dev, os.O_RDWR, func(f *os.File) error {
		block := make([]byte, 4096)
		if _, err := f.ReadAt(block, ib.Offset); err != nil {
			return err
		}
		edit(block)
		if _, err := f.WriteAt(block, ib.Offset); err != nil {
			return err
		}
		return f.Sync()
	})
	if err != nil {
		t.Fatalf("edit the info block of %s: %v", name, err)
	}
}

// rawSum is the sha256 of NAME's whole raw namespace.
func rawSum(t *testing.T, name string) string {
	sys := nvdimm.New("/sys")
	ns, err := sys.FindNamespace(name)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	err = sys.WithRaw(ns.Dev, os.O_RDONLY, func(f *os.File) error {
		_, err := io.Copy(h, f)
		return err
	})
	if err != nil {
		t.Fatalf("read %s raw: %v", name, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func entry(t *testing.T, st *status.Status, name string) status.Entry {
	t.Helper()
	e := st.Find(name)
	if e == nil {
		t.Fatalf("%s: not in status.json", name)
	}
	return *e
}

func hasData(t *testing.T, e status.Entry) bool {
	t.Helper()
	got, err := knowndata.Read(e, knowndata.Size)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(got, knowndata.Bytes(e.Name))
}

// checkInvariants checks names, overlaps and status.json against sysfs.
func checkInvariants(t *testing.T, st *status.Status) {
	sys := nvdimm.New("/sys")
	nss, err := sys.Namespaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range invariant.Check(sys, nss, st) {
		t.Errorf("invariant broken: %v", err)
	}
}

// printFingerprints prints every namespace's fingerprint on the console,
// last, for the host to compare with the next boot's: the host knows
// which namespaces that boot was not asked to touch.
func printFingerprints(t *testing.T) {
	sys := nvdimm.New("/sys")
	nss, err := sys.Namespaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss {
		p, err := invariant.Fingerprint(sys, &ns)
		if err != nil {
			t.Error(err)
			continue
		}
		fmt.Println(invariant.FormatPrint(p))
	}
}

// checkRootOnly checks that a namespace's device node belongs to root and
// is closed to others: persistent memory holds data that outlives reboots.
func checkRootOnly(t *testing.T, device string) {
	if device == "" {
		return
	}
	var st unix.Stat_t
	if err := unix.Stat(device, &st); err != nil {
		t.Errorf("stat %s: %v", device, err)
		return
	}
	if st.Uid != 0 || st.Gid != 0 || st.Mode&0o007 != 0 {
		t.Errorf("%s is uid %d gid %d mode %#o; want root-only", device, st.Uid, st.Gid, st.Mode&0o777)
	}
}
