//go:build vmguest

package appliance

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/ramdax/appliance/invariant"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/status"
	"github.com/ramdax/appliance/vmtest/guest/knowndata"
	"github.com/ramdax/appliance/vmtest/guest/testparams"
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
	printFingerprints(t)
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
