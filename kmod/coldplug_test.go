package kmod

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func withTiming(passes int, limit, quiet time.Duration) Option {
	return func(c *config) { c.passes, c.limit, c.quiet = passes, limit, quiet }
}

const testAliases = `# Aliases extracted from modules themselves.
alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e
alias pci:v*d*sv*sd*bc01sc08i02* nvme
alias pci:v*d*sv*sd*bc0Csc03i30* xhci_pci
alias usb:v*p*d*dc*dsc*dp*ic03isc*ip*in* usbhid
alias usb:v*p*d*dc*dsc*dp*ic08isc06ip50in* usb-storage
alias hid:b*g*v*p* hid_generic
alias platform:e820_pmem nd_e820
alias acpi*:PNP0501:* 8250_pnp
alias cpu:type:x86,ven*fam*mod*:feature:*0099* aesni_intel
alias pci:v0000BEEFd*sv*sd*bc*sc*i* bad
alias pci:v0000B10Cd*sv*sd*bc*sc*i* blk
alias dmi*:svnLENOVO*:* nosuch
`

const coldplugDep = `kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.xz: kernel/drivers/ptp/ptp.ko.xz
kernel/drivers/ptp/ptp.ko.xz:
kernel/drivers/nvme/host/nvme.ko.xz: kernel/drivers/nvme/host/nvme-core.ko.xz
kernel/drivers/nvme/host/nvme-core.ko.xz:
kernel/drivers/usb/host/xhci-pci.ko.xz: kernel/drivers/usb/host/xhci-hcd.ko.xz
kernel/drivers/usb/host/xhci-hcd.ko.xz:
kernel/drivers/hid/usbhid/usbhid.ko.xz: kernel/drivers/hid/hid.ko.xz
kernel/drivers/hid/hid.ko.xz:
kernel/drivers/hid/hid-generic.ko.xz: kernel/drivers/hid/hid.ko.xz
kernel/drivers/usb/storage/usb-storage.ko.xz:
kernel/drivers/nvdimm/nd_e820.ko.xz:
kernel/arch/x86/crypto/aesni-intel.ko.xz:
kernel/drivers/broken/bad.ko.xz:
kernel/drivers/block/blk.ko.xz:
`

// fakeMachine is a sysfs tree with a q35-like set of devices, and a kernel
// whose modules create the devices their drivers would find: the xHCI
// driver a USB keyboard, a little later (as USB enumeration does), and
// usbhid its HID device.
type fakeMachine struct {
	t       *testing.T
	sysfs   string
	modules string
	kernel  *fakeKernel
	late    sync.WaitGroup
	lines   []string
	mu      sync.Mutex
}

func newFakeMachine(t *testing.T) *fakeMachine {
	m := &fakeMachine{t: t, sysfs: fakeSysfs(t, "xz"), modules: writeModules(t, coldplugDep)}
	writeFile(t, m.modules, "modules.alias", testAliases)
	writeFile(t, m.modules, "modules.builtin", "kernel/drivers/tty/serial/8250/8250_pnp.ko\n")
	// The image does not carry aesni_intel.
	if err := os.Remove(filepath.Join(m.modules, "kernel/arch/x86/crypto/aesni-intel.ko.xz")); err != nil {
		t.Fatal(err)
	}
	for dev, alias := range map[string]string{
		"pci/devices/0000:00:02.0":    "pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00",
		"pci/devices/0000:00:03.0":    "pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02",
		"pci/devices/0000:00:04.0":    "pci:v00001B36d0000000Dsv00001AF4sd00001100bc0Csc03i30",
		"pci/devices/0000:00:05.0":    "pci:v0000BEEFd00000001sv00000000sd00000000bc00sc00i00",
		"pci/devices/0000:00:06.0":    "pci:v0000B10Cd00000001sv00000000sd00000000bc00sc00i00",
		"pci/devices/0000:00:1f.0":    "pci:v00008086d00002918sv00001AF4sd00001100bc06sc01i00",
		"platform/devices/e820_pmem":  "platform:e820_pmem",
		"acpi/devices/PNP0501:00":     "acpi:PNP0501:",
		"cpu/devices/cpu0":            "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0099",
		"usb/devices/usb1":            "usb:v1D6Bp0003d0700dc09dsc00dp03ic09isc00ip00in00",
		"workqueue/devices/writeback": "",
	} {
		m.addDevice(dev, alias)
	}
	mkdir(t, m.sysfs, "module/ptp") // loaded already
	m.kernel = &fakeKernel{t: t, onLoad: func(name string) error {
		if name == "bad" {
			return unix.ENOEXEC
		}
		mkdir(t, m.sysfs, "module/"+name)
		switch name {
		case "xhci_pci":
			m.late.Add(1)
			go func() {
				defer m.late.Done()
				time.Sleep(20 * time.Millisecond)
				dev := filepath.Join(m.sysfs, "bus/usb/devices/1-1:1.0")
				os.MkdirAll(dev, 0o755)
				os.WriteFile(filepath.Join(dev, "modalias"), []byte("usb:v0627p0001d0000dc00dsc00dp00ic03isc01ip01in00\n"), 0o644)
			}()
		case "usbhid":
			m.addDevice("hid/devices/0003:0627:0001.0001", "hid:b0003g0001v00000627p00000001")
		}
		return nil
	}}
	return m
}

func (m *fakeMachine) addDevice(dev, modalias string) {
	writeFile(m.t, m.sysfs, filepath.Join("bus", dev, "modalias"), modalias+"\n")
}

func (m *fakeMachine) logf(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, fmt.Sprintf(format, args...))
	m.t.Logf(format, args...)
}

func (m *fakeMachine) coldplug(opts ...Option) error {
	opts = append([]Option{WithSysfs(m.sysfs), WithModulesDir(m.modules), WithLogf(m.logf), withKernel(m.kernel),
		WithBlacklist("blk"), withTiming(5, 5*time.Second, 100*time.Millisecond)}, opts...)
	err := Coldplug(opts...)
	m.late.Wait()
	return err
}

func (m *fakeMachine) loaded() []string {
	var got []string
	for _, c := range m.kernel.calls {
		got = append(got, c.name)
	}
	return got
}

func (m *fakeMachine) logged(s string) bool {
	return slices.ContainsFunc(m.lines, func(l string) bool { return strings.Contains(l, s) })
}

func TestColdplug(t *testing.T) {
	m := newFakeMachine(t)
	if err := m.coldplug(); err != nil {
		t.Fatal(err)
	}
	// Pass 1: the PCI devices, in name order; bad fails, blk is
	// blacklisted, nd_e820 forbidden, 8250_pnp built in, aesni_intel not
	// carried and ptp loaded. Pass 2: the keyboard xHCI found. Pass 3: the
	// HID device usbhid made.
	want := []string{"bad", "e1000e", "nvme_core", "nvme", "xhci_hcd", "xhci_pci", "hid", "usbhid", "hid_generic"}
	if got := m.loaded(); !slices.Equal(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
	if !m.logged("kmod: coldplug: bad: load bad (kernel/drivers/broken/bad.ko.xz): exec format error") {
		t.Errorf("no line for bad's failure: %q", m.lines)
	}
	summary := m.lines[len(m.lines)-1]
	if !strings.HasPrefix(summary, "kmod: coldplug loaded 8 modules for 5 devices in ") ||
		!strings.Contains(summary, "(4 passes, 1 failed): e1000e nvme_core nvme xhci_hcd xhci_pci hid usbhid hid_generic") {
		t.Errorf("summary %q", summary)
	}

	// A second run finds everything loaded but bad, which fails again.
	m.kernel.calls = nil
	if err := m.coldplug(); err != nil {
		t.Fatal(err)
	}
	if got := m.loaded(); !slices.Equal(got, []string{"bad"}) {
		t.Errorf("second run loaded %v, want only bad's retry", got)
	}
}

func TestColdplugBlacklist(t *testing.T) {
	m := newFakeMachine(t)
	if err := m.coldplug(WithBlacklist("xhci-pci", "bad")); err != nil {
		t.Fatal(err)
	}
	want := []string{"blk", "e1000e", "nvme_core", "nvme"}
	if got := m.loaded(); !slices.Equal(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
}

func TestColdplugLimits(t *testing.T) {
	m := newFakeMachine(t)
	if err := m.coldplug(withTiming(2, 5*time.Second, 100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := m.loaded(); slices.Contains(got, "hid_generic") || !slices.Contains(got, "usbhid") {
		t.Errorf("two passes loaded %v", got)
	}
	if !m.logged("still finding modules after 2 passes") {
		t.Errorf("no line for the pass limit: %q", m.lines)
	}

	m = newFakeMachine(t)
	if err := m.coldplug(withTiming(5, 0, 100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := m.loaded(); len(got) != 0 {
		t.Errorf("no time loaded %v", got)
	}
	if summary := m.lines[len(m.lines)-1]; !strings.HasSuffix(summary, "(1 passes, 0 failed)") {
		t.Errorf("summary %q, want no module list", summary)
	}
	if !m.logged("time limit of 0s reached; bad and later modules not loaded") {
		t.Errorf("no line for the time limit: %q", m.lines)
	}
}

func TestColdplugNoAliases(t *testing.T) {
	m := newFakeMachine(t)
	os.Remove(filepath.Join(m.modules, "modules.alias"))
	if err := m.coldplug(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Coldplug without modules.alias = %v, want ErrNotExist", err)
	}
}
