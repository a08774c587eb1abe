package vmtest

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/testtmp"

	"github.com/ramdax/appliance/fleet"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// The fleet's boot network, inside the test's own network namespace.
const (
	fleetBridgeAddr = "10.77.0.1/24"
	fleetDHCPRange  = "10.77.0.100,10.77.0.199,1h"
)

// fleetGuest is one machine of the fleet: a MAC on a tap device.
type fleetGuest struct {
	name, tap, mac string
}

// The guests: two nodes of the example inventory, one of a class and one
// with a layout of its own, a VM host added to it whose layout is too
// long for the command line, and a machine it does not list, which boots
// the default.
var fleetGuests = []fleetGuest{
	{"db1", "tap0", "52:54:00:fe:00:01"},
	{"lab7", "tap1", "52:54:00:fe:00:07"},
	{"vmhost", "tap3", vmhostMAC},
	{"unlisted", "tap2", "52:54:00:fe:00:99"},
}

const vmhostMAC = "52:54:00:fe:00:42"

// vmhostEntry is a node with a namespace per VM, each named by the 63
// bytes a label holds: its layout is longer than the kernel's 2048-byte
// command line, so pxeconfig serves its ramdax.* parameters as a
// bootconfig initrd after the appliance's.
func vmhostEntry() string {
	const vms = 40
	entry := fmt.Sprintf("node vmhost %s memmap=%dK!1G", vmhostMAC, vms*16<<10+128)
	for i := range vms {
		entry += fmt.Sprintf(" ramdax.ns=vm-%s-%03d:raw:16M", strings.Repeat("x", 56), i)
	}
	return entry + "\n"
}

// TestFleet serves the appliance from one PXE server to three machines,
// each with its own layout, as an operator would: fleet/example.inventory
// goes through the fleet package (what `make pxe-config` runs), Debian's
// dnsmasq serves the result over DHCP and TFTP on a bridge, and three QEMU
// guests on tap devices PXE-boot at once through their iPXE ROMs. Each
// must show its own namespaces being created and end at the shell, where
// /run/ramdax/status.json must list them. Everything runs in a network
// namespace of the test's own, deleted at the end, pass or fail.
func TestFleet(t *testing.T) {
	// The guests' consoles fill a failing log; this summary is its last line.
	waitingFor := make(map[string]string)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, g := range fleetGuests {
			if w, ok := waitingFor[g.name]; ok {
				t.Logf("fleet summary: %s stopped while waiting for %q", g.name, w)
			}
		}
	})
	inventory := filepath.Join(RepoRoot(t), "fleet", "example.inventory")
	t.Run("bad-entry", func(t *testing.T) { testFleetBadEntry(t, inventory) })

	inv, err := fleet.Load(withEntry(t, inventory, vmhostEntry()))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "bootconfig initrd") {
		t.Fatalf("warnings %q: want one, that vmhost's layout goes to a bootconfig initrd", inv.Warnings)
	}
	network := serveFleet(t, inv)
	start := time.Now()
	vms := startFleetGuests(t, network)
	for i, g := range fleetGuests {
		t.Run(g.name, func(t *testing.T) {
			checkFleetGuest(t, vms[i], inv, g, func(step string) { waitingFor[g.name] = step })
			delete(waitingFor, g.name)
			t.Logf("%s: shell with status.json read %.1f s after the guests started", g.name, time.Since(start).Seconds())
		})
	}
}

// serveFleet generates the fleet's configuration for inv, kept when the
// test fails, and serves it with dnsmasq on a network of the test's own.
func serveFleet(t *testing.T, inv *fleet.Inventory) *testNet {
	kernel, initramfs := releaseFiles(t)
	var taps []string
	for _, g := range fleetGuests {
		taps = append(taps, g.tap)
	}
	network := newTestNet(t, fleetBridgeAddr, taps...)
	out := filepath.Join(testtmp.TempDir(t), "fleet")
	if err := fleet.Write(out, inv, fleet.Files{Kernel: kernel, Initramfs: initramfs, IPXEDir: fleet.DefaultIPXEDir},
		fleet.Network{DHCPRange: fleetDHCPRange, Interface: network.Bridge}); err != nil {
		t.Fatal(err)
	}
	network.startDnsmasq(t, filepath.Join(out, fleet.DnsmasqFile))
	return network
}

// startFleetGuests starts every guest at once, each killed when the test ends.
func startFleetGuests(t *testing.T, network *testNet) []*qemu.VM {
	vms := make([]*qemu.VM, len(fleetGuests))
	for i, g := range fleetGuests {
		vm := Start(t, "fleet-"+g.name, WithNetns(network.Name), WithTapNetBoot(g.tap, g.mac), WithTimeout(4*time.Minute))
		t.Cleanup(func() {
			vm.Kill()
			vm.Wait()
		})
		vms[i] = vm
	}
	return vms
}

// testFleetBadEntry adds a node whose layout ramdaxinit would refuse in
// part to the inventory: generation must stop at it, naming the file, the
// line, the node and what is wrong, with the fix.
func testFleetBadEntry(t *testing.T, inventory string) {
	bad := withEntry(t, inventory, "node n4 52:54:00:FE:00:04 memmap=278656K!1G ramdax.ns=bad:fsdax:100M\n")
	lines := strings.Count(readText(t, bad), "\n") - 1
	_, err := fleet.Load(bad)
	want := fmt.Sprintf(`%s:%d: node n4 (52:54:00:fe:00:04): ramdax.ns="bad:fsdax:100M": `+
		`SIZE 100M is not a multiple of 16M (the region align); use 96M or 112M`, bad, lines+1)
	if err == nil || err.Error() != want {
		t.Errorf("inventory with a bad node:\n got %v\nwant %s", err, want)
	}
}

// withEntry is a copy of inventory with entry added at the end.
func withEntry(t *testing.T, inventory, entry string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(inventory))
	if err := os.WriteFile(out, []byte(readText(t, inventory)+entry), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkFleetGuest follows one guest from iPXE to the shell: the script it
// chains, the namespaces of the layout the inventory gives its MAC, the
// ready line, then status.json read at the shell. It tells waiting what
// it waits for before each step.
func checkFleetGuest(t *testing.T, vm *qemu.VM, inv *fleet.Inventory, g fleetGuest, waiting func(string)) {
	mac, err := net.ParseMAC(g.mac)
	if err != nil {
		t.Fatal(err)
	}
	lay, ok := inv.Boots(mac)
	if !ok {
		t.Fatalf("the inventory boots nothing on %s", g.mac)
	}
	want := plannedNamespaces(t, lay)
	script := fleet.ScriptFile(mac)
	if _, listed := inv.Node(mac); !listed {
		script = "is not in the fleet inventory: booting " + fleet.DefaultScriptFile
	}
	// What each namespace became, status.json says below.
	lines := []string{script, fmt.Sprintf("ramdax: ready %d namespaces (%d created, 0 kept, 0 conflicts, 0 unmanaged)", len(want), len(want))}
	for _, l := range lines {
		waiting(l)
		expectLines(t, vm, l)
	}
	waiting("the shell prompt")
	expectShell(t, vm)
	waiting("status.json at the shell")
	checkStatus(t, readStatus(t, vm), want)
}

// plannedNamespaces are the namespaces lay makes on empty carveouts, in
// the order ramdaxinit creates them, with "rest" sized as it sizes it.
func plannedNamespaces(t *testing.T, lay string) []layout.Namespace {
	l, err := layout.Parse(lay)
	if err != nil {
		t.Fatalf("layout %q: %v", lay, err)
	}
	var regions []nvdimm.Region
	for i, c := range l.Carveouts {
		regions = append(regions, nvdimm.Region{Dev: fmt.Sprintf("region%d", i), Resource: c.Start,
			Size: c.Usable(), Align: layout.RegionAlign, MaxAvailableExtent: c.Usable()})
	}
	steps := reconcile.Plan(reconcile.Input{Layout: l, Regions: regions})
	var planned []layout.Namespace
	for _, i := range reconcile.CreationOrder(steps) {
		ns := *steps[i].Want
		ns.Size = steps[i].Size
		planned = append(planned, ns)
	}
	if len(planned) != len(l.Namespaces) {
		t.Fatalf("plan %q: %+v", lay, steps)
	}
	return planned
}

// readStatus prints status.json at the console shell and parses it. The
// typed line holds no brace, so the JSON is what lies between the first {
// and the last }.
func readStatus(t *testing.T, vm *qemu.VM) status.Status {
	t.Helper()
	out := shellOutput(t, vm, "cat /run/ramdax/status.json")
	first, last := strings.Index(out, "{"), strings.LastIndex(out, "}")
	if first < 0 || last < first {
		t.Fatalf("no JSON in the console output:\n%s", out)
	}
	var st status.Status
	if err := json.Unmarshal([]byte(out[first:last+1]), &st); err != nil {
		t.Fatalf("status.json: %v:\n%s", err, out[first:last+1])
	}
	return st
}

// checkStatus compares status.json with the namespaces planned, and only
// those: each created, with its mode, a device, and its mount point.
func checkStatus(t *testing.T, st status.Status, want []layout.Namespace) {
	t.Helper()
	if !st.Ready || len(st.Namespaces) != len(want) {
		t.Fatalf("status.json: ready %v with %d namespaces, want ready with %d: %+v", st.Ready, len(st.Namespaces), len(want), st)
	}
	for _, ns := range want {
		got := st.Find(ns.Name)
		if got == nil {
			t.Errorf("status.json lacks %s: %+v", ns.Name, st.Namespaces)
			continue
		}
		if got.Mode != string(ns.Mode) || got.State != status.Created || got.Device == "" || got.Mount != ns.Mount {
			t.Errorf("status.json: got %+v, want %s created as %s with a device, mounted at %q", got, ns.Name, ns.Mode, ns.Mount)
		}
	}
}
