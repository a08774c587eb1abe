package vmtest

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hugelgupf/vmtest/qemu"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/service"
)

// counterLayout is one carveout with the counter's devdax namespace, the
// network by DHCP on QEMU's user network, and the service's per-node
// arguments.
var counterLayout = []string{"ramdax.ns=counter:devdax:64M", "ip=dhcp", `ramdax.svc.devdax-counter="-ns counter"`}

// TestExampleCounter builds examples/devdax-counter, a module of its
// own, into the image with SERVICES, as an outside project would, and
// checks that: the host reaches it over user-mode networking with
// ip=dhcp; it is started again after it is killed, its count intact; and
// the count survives a reboot that keeps RAM.
func TestExampleCounter(t *testing.T) {
	initramfs := counterImage(t)
	ram := WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))
	port := FreePort(t)
	opts := append(twoRegions, WithInitramfs(initramfs), WithNIC("e1000e"), WithHostForward(port, 8080), ram,
		WithCmdline(counterLayout...))
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)

	vm := Start(t, "counter", opts...)
	expectLines(t, vm, "ramdax: ready 1 namespaces (1 created", "ramdax: network eth0 (dhcp): 10.0.2.15/24, gateway 10.0.2.2",
		"ramdax: svc devdax-counter: serving the counter in counter on :8080, now 0")
	for want := 1; want <= 3; want++ {
		expectCount(t, url, want)
	}
	st := readStatus(t, vm)
	if len(st.Network) != 1 || st.Network[0].Addresses[0] != "10.0.2.15/24" {
		t.Errorf("status.json network: %+v, want eth0 with 10.0.2.15/24", st.Network)
	}
	// No end marker: the supervisor's line may come before the shell's
	// marker, and waiting for the marker would read past it.
	sendLine(t, vm, fmt.Sprintf("kill -9 %d", st.Services[0].Pid))
	expectLines(t, vm, "ramdax: svc devdax-counter: signal: killed after ", "; starting it again in ",
		"ramdax: svc devdax-counter: serving the counter in counter on :8080, now 3")
	expectCount(t, url, 4)
	powerOffShell(t, vm)

	vm = Start(t, "counter-kept", opts...)
	expectLines(t, vm, "ramdax: ready 1 namespaces (0 created, 1 kept",
		"ramdax: svc devdax-counter: serving the counter in counter on :8080, now 4")
	expectCount(t, url, 5)
	powerOffShell(t, vm)
}

// counterImage is the appliance image with the example built in, from a
// Go workspace, as `make image SERVICES=./examples/devdax-counter` does.
func counterImage(t *testing.T) string {
	t.Helper()
	pkg := filepath.Join(ModuleDir(t), "examples", "devdax-counter")
	work, err := image.Workspace(t.TempDir(), ModuleDir(t), []string{pkg})
	if err != nil {
		t.Fatal(err)
	}
	if work == "" {
		t.Fatal("image.Workspace: no workspace for a module of its own")
	}
	t.Setenv("GOWORK", work)
	settings := map[string]service.Settings{"devdax-counter": {Args: []string{"-listen", ":8080"}}}
	mods, err := image.Services([]string{pkg}, settings, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ApplianceInitramfs(t, "", mods...)
}

// expectCount asks the counter for one more, retrying while the
// forwarded port has no listener yet, and checks the count.
func expectCount(t *testing.T, url string, want int) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(Timeout(time.Minute))
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got, err := strconv.Atoi(strings.TrimSpace(string(body)))
			if resp.StatusCode != http.StatusOK || err != nil || got != want {
				t.Fatalf("GET %s: %s %q, want %d", url, resp.Status, body, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// powerOffShell powers the guest off from its shell and waits for QEMU to
// end: the guest's RAM file then holds what the guest wrote.
func powerOffShell(t *testing.T, vm *qemu.VM) {
	t.Helper()
	sendLine(t, vm, "poweroff")
	if err := vm.Wait(); err != nil {
		t.Errorf("power off: %v", err)
	}
}
