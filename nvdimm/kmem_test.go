package nvdimm

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/ramdax/appliance/nvdimm/nvdimmtest"
	"golang.org/x/sys/unix"
)

func TestMemoryBlocksAreWholeBlocksInRange(t *testing.T) {
	s := New(nvdimmtest.Ramdax(t).Root)
	// dax0.1 spans 1282 MiB to 1536 MiB: only memory11 (1408-1536 MiB)
	// lies wholly inside; memory12 exists but is outside.
	got, err := s.MemoryBlocks("dax0.1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []MemoryBlock{{Dev: "memory11", State: "online"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("blocks = %v, want %v", got, want)
	}
}

func TestReconfigureToDevdaxOfflinesThenRebinds(t *testing.T) {
	s, tr, w := fakeKernel(t)
	w.OnWrite = func(rel, value string) {
		switch rel {
		case "bus/dax/drivers/kmem/unbind":
			tr.Unbind("bus/dax/devices/" + value)
		case "bus/dax/drivers/device_dax/new_id":
			tr.Bind("bus/dax/devices/"+value, "device_dax")
		}
	}
	ns, err := s.Reconfigure("dd", DaxModeDevdax)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"devices/system/memory/memory11/state=offline",
		"bus/dax/drivers/kmem/remove_id=dax0.1",
		"bus/dax/drivers/kmem/unbind=dax0.1",
		"bus/dax/drivers/device_dax/new_id=dax0.1",
	}
	if !slices.Equal(w.Writes, want) {
		t.Errorf("writes %v, want %v", w.Writes, want)
	}
	if ns.DaxMode != DaxModeDevdax {
		t.Errorf("dax mode %q after reconfigure", ns.DaxMode)
	}
}

func TestReconfigureOfflineFailureExplains(t *testing.T) {
	s, _, w := fakeKernel(t)
	w.Fail = map[string]error{"memory11/state": unix.EBUSY}
	_, err := s.Reconfigure("namespace0.1", DaxModeDevdax)
	var ae *AttrError
	if !errors.As(err, &ae) || ae.Errno() != unix.EBUSY || ae.Hint == "" {
		t.Errorf("err = %v, want an explained EBUSY", err)
	}
}

func TestReconfigureRejectsOtherModes(t *testing.T) {
	s, _, w := fakeKernel(t)
	if _, err := s.Reconfigure("fs", DaxModeSystemRAM); err == nil {
		t.Error("reconfigured an fsdax namespace")
	}
	if _, err := s.Reconfigure("dd", "memory"); err == nil {
		t.Error("accepted mode memory")
	}
	if len(w.Writes) > 0 {
		t.Errorf("wrote %v", w.Writes)
	}
}
