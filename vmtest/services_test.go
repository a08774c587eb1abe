package vmtest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hugelgupf/vmtest/qemu"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/service"
	"github.com/ramdax/appliance/status"
)

// servicesImage is the appliance image with the Go commands pkgs (paths
// under the module) built in as services, with settings. It fails t if
// the image holds anything beyond the declared set grown by pkgs.
func servicesImage(t *testing.T, settings map[string]service.Settings, pkgs ...string) string {
	t.Helper()
	abs := make([]string, len(pkgs))
	for i, p := range pkgs {
		abs[i] = filepath.Join(ModuleDir(t), p)
	}
	mods, err := image.Services(abs, settings, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := ApplianceInitramfs(t, "", mods...)
	extra, err := image.Undeclared(out, image.Declared(false, pkgs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) > 0 {
		t.Errorf("the image holds files beyond the declared set and its services: %q", extra)
	}
	return out
}

// TestServiceCrash boots an image with flakysvc, which fails its first
// three runs and then stays up: ramdaxinit starts it after the ready
// line with the image's and the command line's arguments, starts it
// again after 1, 2 and 4 s, keeps the shell working, and records the
// state in status.json and the metrics; a service killed by a signal is
// started again, and the stable names point at the devices.
func TestServiceCrash(t *testing.T) {
	initramfs := servicesImage(t, map[string]service.Settings{"flakysvc": {Args: []string{"-fail", "3"}}}, "guest/flakysvc")
	vm := Start(t, "service-crash", append(twoRegions, WithInitramfs(initramfs), WithNIC("e1000e"), WithCmdline(
		"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M",
		`ramdax.svc.flakysvc="-say hello-from-cmdline"`, "ramdax.svc.nosuch=x",
		"ip=10.0.2.15::10.0.2.2:255.255.255.0:svc-node:eth0:off"))...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, "ramdax: ready 2 namespaces (2 created",
		"ramdax: network eth0 (static): 10.0.2.15/24, gateway 10.0.2.2",
		`ramdax: error: ramdax.svc.nosuch: the image has no service "nosuch"`,
		"ramdax: svc flakysvc: started, pid ", "ramdax: svc flakysvc: hello-from-cmdline",
		"ramdax: svc flakysvc: exit status 3 after ", "; starting it again in 1s",
		"; starting it again in 2s", "; starting it again in 4s",
		"ramdax: svc flakysvc: run 4: up; status says ready=true with 2 namespaces")
	checkService(t, vm, 3, "exit status 3")
	t.Run("metrics", func(t *testing.T) { checkMetrics(t, vm, 3) })
	t.Run("names", func(t *testing.T) { checkNames(t, vm) })
	t.Run("static-ip", func(t *testing.T) { checkStaticIP(t, vm) })

	runCommand(t, vm, "echo > /run/flakysvc.die")
	// It lived less than service.ShortLived: the pause goes on doubling.
	expectLines(t, vm, "ramdax: svc flakysvc: run 4: killing myself", "ramdax: svc flakysvc: signal: killed after ",
		"; starting it again in ", "ramdax: svc flakysvc: run 5: up")
	checkService(t, vm, 4, "signal: killed")
}

// checkService checks flakysvc's entry in status.json.
func checkService(t *testing.T, vm *qemu.VM, restarts int, lastExit string) {
	t.Helper()
	st := readStatus(t, vm)
	if len(st.Services) != 1 {
		t.Fatalf("status.json services: %+v, want flakysvc alone", st.Services)
	}
	s := st.Services[0]
	if s.Name != "flakysvc" || s.State != status.Running || s.Pid == 0 || s.Restarts != restarts || s.LastExit != lastExit {
		t.Errorf("status.json: %+v, want flakysvc running after %d restarts, last %q", s, restarts, lastExit)
	}
	if got := strings.Join(s.Args, " "); got != "-fail 3 -say hello-from-cmdline" {
		t.Errorf("flakysvc's arguments %q, want the image's then the command line's", got)
	}
}

// checkMetrics parses /run/ramdax/metrics.prom with Prometheus's own
// parser and checks it against status.json.
func checkMetrics(t *testing.T, vm *qemu.VM, restarts int) {
	st := readStatus(t, vm)
	db, region1 := st.Find("db"), st.Regions[1]
	out := shellOutput(t, vm, "cat "+status.MetricsFile)
	// The console interleaves ramdaxinit's own lines with the file.
	var text strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r", ""), "\n") {
		if strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "ramdax_") {
			text.WriteString(line + "\n")
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text.String()))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, text.String())
	}
	for _, c := range []struct {
		family, label, value string
		want                 float64
	}{
		{"ramdax_ready", "", "", 1},
		{"ramdax_namespaces", "outcome", "created", 2},
		{"ramdax_namespaces", "outcome", "error", 0},
		{"ramdax_namespace_size_bytes", "name", "db", float64(db.Size)},
		{"ramdax_region_size_bytes", "region", "region1", float64(region1.Size)},
		{"ramdax_region_available_bytes", "region", "region1", float64(region1.Available)},
		{"ramdax_service_restarts_total", "service", "flakysvc", float64(restarts)},
		{"ramdax_service_up", "service", "flakysvc", 1},
	} {
		got, ok := sampleValue(families[c.family], c.label, c.value)
		if !ok || got != c.want {
			t.Errorf("%s{%s=%q} = %v (found: %v), want %v", c.family, c.label, c.value, got, ok, c.want)
		}
	}
	if r := st.Regions[0]; r.Available+db.Size > r.Size || r.Available == 0 {
		t.Errorf("status.json: region0 of %d bytes has %d available after db's %d and cache's", r.Size, r.Available, db.Size)
	}
}

// sampleValue returns the value of f's sample with label=value, or its
// only sample when label is empty.
func sampleValue(f *dto.MetricFamily, label, value string) (float64, bool) {
	for _, m := range f.GetMetric() {
		match := label == ""
		for _, lp := range m.GetLabel() {
			match = match || lp.GetName() == label && lp.GetValue() == value
		}
		if !match {
			continue
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// checkNames checks /dev/ramdax/NAME against each namespace's device.
func checkNames(t *testing.T, vm *qemu.VM) {
	st := readStatus(t, vm)
	out := shellOutput(t, vm, "ls -l /dev/ramdax")
	for _, e := range st.Namespaces {
		if want := e.Name + " -> ../" + filepath.Base(e.Device); !strings.Contains(out, want) {
			t.Errorf("/dev/ramdax has no %q:\n%s", want, out)
		}
	}
}

// checkStaticIP checks what the static ip= left in the kernel: the
// hostname, and the default route through the gateway (10.0.2.2 is
// 0202000A in /proc/net/route's little-endian hex).
func checkStaticIP(t *testing.T, vm *qemu.VM) {
	if out := shellOutput(t, vm, "cat /proc/sys/kernel/hostname"); !strings.Contains(out, "svc-node") {
		t.Errorf("hostname: %q, want svc-node", out)
	}
	if out := shellOutput(t, vm, "cat /proc/net/route"); !strings.Contains(out, "eth0\t00000000\t0202000A") {
		t.Errorf("no default route through 10.0.2.2 on eth0:\n%s", out)
	}
	st := readStatus(t, vm)
	if len(st.Network) != 1 || st.Network[0].Method != "static" || st.Network[0].Gateway != "10.0.2.2" {
		t.Errorf("status.json network: %+v", st.Network)
	}
}
