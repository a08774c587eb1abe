package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/qemu/quimage"
	"github.com/hugelgupf/vmtest/testtmp"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/cp"

	"github.com/ramdax/appliance/image"
)

// Carveout is one memmap=SIZE!START range: RAM the kernel sets aside as
// persistent memory, and so one RAMDAX region.
type Carveout struct {
	Size, Start string
}

// String returns the kernel parameter that declares c.
func (c Carveout) String() string { return fmt.Sprintf("memmap=%s!%s", c.Size, c.Start) }

// Machine is a QEMU guest as a test describes it.
type Machine struct {
	// Name prefixes the VM's lines in the test log. Default: the last
	// element of the test's name.
	Name string
	// Kernel is the kernel image to boot. Default: the built-in kernel.
	Kernel string
	// Initramfs is a prebuilt initramfs. Ignored when Uimage is set.
	Initramfs string
	// Uimage, when set, builds a u-root initramfs for this boot.
	Uimage []uimage.Modifier
	// Memory is the guest RAM size in QEMU's notation. Default 2G.
	Memory string
	// CPUs is the number of virtual CPUs. Default 1: two host cores run
	// TCG, and a second vCPU mostly costs boot time.
	CPUs int
	// Consoles are the console= devices, the last one /dev/console.
	// Default: ttyS0, the serial port the harness reads.
	Consoles []string
	// Carveouts become memmap= parameters, in order.
	Carveouts []Carveout
	// RAMFile, when set, backs guest RAM with this file (share=on), so
	// the carveouts' contents survive a QEMU restart.
	RAMFile string
	// Cmdline holds extra kernel parameters.
	Cmdline []string
	// Timeout bounds the whole QEMU run. Default Timeout(DefaultTimeout).
	Timeout time.Duration
	// QEMU holds extra hugelgupf/vmtest options, applied last.
	QEMU []qemu.Fn
	// LoadModules makes RunGuestTests load the nvdimm drivers of a
	// modular kernel before the tests run.
	LoadModules bool
	// CDROM, when set, is an ISO the firmware boots: QEMU gets no
	// -kernel, -initrd or -append, and the ISO's boot loader chooses.
	CDROM string
	// NetBoot, when set, makes the firmware boot from the network, like
	// CDROM without -kernel.
	NetBoot *NetBoot
	// TapBoot, when set, makes the firmware boot from the network through
	// a tap device, from whatever DHCP and TFTP server is on its network.
	TapBoot *TapBoot
	// Netns, when set, runs QEMU inside this network namespace, where
	// the tap device lives.
	Netns string
	// UEFI boots OVMF instead of SeaBIOS.
	UEFI bool
	// Server is the server hardware: chipset, NUMA, disks, NICs,
	// keyboard and screen.
	Server Server
	// QEMUArgs are extra QEMU arguments, after the harness's own.
	QEMUArgs []string
	// Layout says the command line holds a ramdax layout (WithLayout):
	// RunGuestTests runs ramdaxinit before the tests.
	Layout bool
	// Accel is QEMU's accelerator, kvm or tcg. Default: what Accel
	// detects.
	Accel string
	// LockMemory has QEMU lock all its memory when it starts
	// (WithLockedMemory).
	LockMemory bool
}

// NetBoot is a PXE boot through QEMU's built-in DHCP and TFTP server: the
// e1000's iPXE ROM fetches Bootfile from the TFTP root Dir.
type NetBoot struct {
	Dir, Bootfile string
}

// TapBoot is a PXE boot over an e1000 with address MAC on the existing tap
// device Tap.
type TapBoot struct {
	Tap, MAC string
}

// Option changes a Machine.
type Option func(*Machine)

// WithName names the VM in the test log, for tests that boot several.
func WithName(name string) Option { return func(m *Machine) { m.Name = name } }

// WithKernel boots the kernel image at path.
func WithKernel(path string) Option { return func(m *Machine) { m.Kernel = path } }

// WithInitramfs boots the prebuilt initramfs at path.
func WithInitramfs(path string) Option { return func(m *Machine) { m.Initramfs = path } }

// WithUimage builds a u-root initramfs with mods for the boot.
func WithUimage(mods ...uimage.Modifier) Option {
	return func(m *Machine) { m.Uimage = append(m.Uimage, mods...) }
}

// WithMemory sets the guest RAM size, for example "3G".
func WithMemory(size string) Option { return func(m *Machine) { m.Memory = size } }

// WithCPUs sets the number of virtual CPUs.
func WithCPUs(n int) Option { return func(m *Machine) { m.CPUs = n } }

// WithCarveout declares a persistent-memory carveout, memmap=size!start.
func WithCarveout(size, start string) Option {
	return func(m *Machine) { m.Carveouts = append(m.Carveouts, Carveout{size, start}) }
}

// WithConsoles replaces the console= devices, ttyS0 by default: the kernel
// and ramdaxinit talk on each, and the last one is /dev/console.
func WithConsoles(devs ...string) Option { return func(m *Machine) { m.Consoles = devs } }

// WithPersistentRAM backs guest RAM with file, so that it outlives QEMU:
// booting again with the same file and carveouts finds the namespaces and
// data of the last run, as after a warm reset.
func WithPersistentRAM(file string) Option { return func(m *Machine) { m.RAMFile = file } }

// WithCmdline appends kernel parameters.
func WithCmdline(args ...string) Option {
	return func(m *Machine) { m.Cmdline = append(m.Cmdline, args...) }
}

// WithTimeout bounds the QEMU run; d is scaled by Timeout.
func WithTimeout(d time.Duration) Option { return func(m *Machine) { m.Timeout = Timeout(d) } }

// WithDistroKernel boots Debian's cloud kernel, which has RAMDAX and
// friends as modules, and packs into the initramfs the modules kmod loads.
func WithDistroKernel(t testing.TB) Option {
	vmlinuz, modulesDep := DistroKernel(t)
	files, err := image.ModuleFiles(filepath.Dir(modulesDep))
	if err != nil {
		t.Fatal(err)
	}
	return func(m *Machine) {
		m.Kernel = vmlinuz
		m.Uimage = append(m.Uimage, uimage.WithFiles(files...))
	}
}

// WithLoadModules makes RunGuestTests load the nvdimm drivers before the
// tests, for suites that test the library rather than ramdaxinit.
func WithLoadModules() Option { return func(m *Machine) { m.LoadModules = true } }

// WithQEMU adds raw hugelgupf/vmtest options.
func WithQEMU(fns ...qemu.Fn) Option { return func(m *Machine) { m.QEMU = append(m.QEMU, fns...) } }

// WithCDROM boots the ISO at path through the firmware and the ISO's boot
// loader, instead of QEMU's -kernel.
func WithCDROM(path string) Option { return func(m *Machine) { m.CDROM = path } }

// WithNetBoot PXE-boots bootfile from the TFTP root dir, over an e1000 on
// QEMU's user network, instead of QEMU's -kernel.
func WithNetBoot(dir, bootfile string) Option {
	return func(m *Machine) { m.NetBoot = &NetBoot{dir, bootfile} }
}

// WithTapNetBoot PXE-boots over an e1000 with address mac on the tap
// device tap, instead of QEMU's -kernel.
func WithTapNetBoot(tap, mac string) Option {
	return func(m *Machine) { m.TapBoot = &TapBoot{tap, mac} }
}

// WithNetns runs QEMU inside the network namespace name, with `ip netns
// exec`. QEMU is killed when the test binary dies: a guest left behind
// would keep the namespace alive.
func WithNetns(name string) Option { return func(m *Machine) { m.Netns = name } }

// WithUEFI boots OVMF (Debian's ovmf) instead of SeaBIOS.
func WithUEFI() Option { return func(m *Machine) { m.UEFI = true } }

// WithAccel runs QEMU under accel, "kvm" or "tcg", whatever Accel
// detects: a benchmark can then report TCG on a host where KVM works too.
func WithAccel(accel string) Option { return func(m *Machine) { m.Accel = accel } }

// WithQEMUArgs adds QEMU arguments.
func WithQEMUArgs(args ...string) Option {
	return func(m *Machine) { m.QEMUArgs = append(m.QEMUArgs, args...) }
}

// WithLockedMemory has QEMU lock all its memory (-overcommit mem-lock=on),
// which makes the host back every page of it, guest RAM and translation
// cache, before the guest starts: for timings that a host which backs
// memory at first touch would skew. Under TCG the translation cache is
// then lockedTBSize, not QEMU's 1 GiB, of which a boot of the appliance
// used 68 MB. QEMU exits when it may not lock (it needs CAP_IPC_LOCK or no
// locked-memory limit).
func WithLockedMemory() Option { return func(m *Machine) { m.LockMemory = true } }

// lockedTBSize is the TCG translation cache of a machine with
// LockMemory, in MiB.
const lockedTBSize = 256

// newMachine applies opts over the defaults.
func newMachine(t testing.TB, opts []Option) *Machine {
	m := &Machine{Memory: "2G", CPUs: 1, Consoles: []string{"ttyS0"}, Timeout: Timeout(DefaultTimeout)}
	for _, o := range opts {
		o(m)
	}
	m.Server.applyNodes(m)
	if m.Name == "" {
		m.Name = filepath.Base(t.Name())
	}
	if m.Kernel == "" {
		m.Kernel = BuiltinKernel(t)
	}
	if m.Accel == "" {
		m.Accel = Accel(t, m.Kernel)
	}
	return m
}

// KernelCmdline is the full kernel command line the machine boots with,
// minus what hugelgupf/vmtest adds itself.
func (m *Machine) KernelCmdline() string {
	var args []string
	for _, c := range m.Consoles {
		args = append(args, "console="+c)
	}
	args = append(args, "panic=-1")
	for _, c := range m.Carveouts {
		args = append(args, c.String())
	}
	return strings.Join(append(args, m.Cmdline...), " ")
}

// qemuCommand is the QEMU command: binary, accelerator, memory and CPUs.
// The CPU model is "max" so that the guest has RDRAND, as servers do:
// without it the kernel's random pool takes about a second to seed under
// TCG, and the first namespace uuid waits for it.
func (m *Machine) qemuCommand(t testing.TB) string {
	args := []string{"qemu-system-x86_64", "-accel", m.accelArg(), "-cpu", "max",
		"-smp", fmt.Sprint(m.CPUs), "-m", m.Memory, "-no-reboot", "-nic", "none"}
	if m.Netns != "" {
		args = append([]string{"setpriv", "--pdeathsig", "KILL", "ip", "netns", "exec", m.Netns}, args...)
	}
	if m.LockMemory {
		args = append(args, "-overcommit", "mem-lock=on")
	}
	// NUMA nodes have a backend each (Server.nodeArgs).
	if m.RAMFile != "" && len(m.Server.Nodes) == 0 {
		args = append(args,
			"-object", fmt.Sprintf("memory-backend-file,id=ram0,size=%s,mem-path=%s,share=on", m.Memory, m.RAMFile),
			"-machine", "memory-backend=ram0")
	}
	return strings.Join(args, " ")
}

// accelArg is QEMU's -accel value. Under TCG an SMP guest's vCPUs take
// turns on one host thread (thread=single): with a thread each, one vCPU
// can run code that another is live-patching (the kernel's text_poke_bp),
// which once crashed Debian's generic kernel with "Oops: int3" in
// sched_clock_tick as it marked sched_clock stable.
//
// A machine that locks its memory gets a smaller translation cache
// (WithLockedMemory).
func (m *Machine) accelArg() string {
	if m.Accel != "tcg" {
		return m.Accel
	}
	arg := "tcg"
	if m.CPUs > 1 {
		arg += ",thread=single"
	}
	if m.LockMemory {
		arg += fmt.Sprintf(",tb-size=%d", lockedTBSize)
	}
	return arg
}

// qemuFns turns m into hugelgupf/vmtest options, m.QEMU last so that it can
// override the rest.
func (m *Machine) qemuFns(t testing.TB) []qemu.Fn {
	fns := []qemu.Fn{
		qemu.WithQEMUCommand(m.qemuCommand(t)),
		qemu.WithVMTimeout(m.Timeout),
		consoleFile(t),
		qemu.ArbitraryArgs(slices.Concat(m.firmwareArgs(t), m.Server.args(t, m.RAMFile), m.QEMUArgs)...),
	}
	if !m.firmwareBoots() {
		fns = append(fns, qemu.WithKernel(m.Kernel), qemu.WithAppendKernel(m.KernelCmdline()))
	}
	switch {
	case m.firmwareBoots():
	case len(m.Uimage) > 0:
		fns = append(fns, quimage.WithUimageT(t, m.Uimage...))
	case m.Initramfs != "":
		fns = append(fns, qemu.WithInitramfs(m.Initramfs))
	}
	return append(fns, m.QEMU...)
}

// firmwareBoots says whether the firmware finds the kernel, on a CD-ROM or
// the network, rather than QEMU's -kernel.
func (m *Machine) firmwareBoots() bool { return m.CDROM != "" || m.NetBoot != nil || m.TapBoot != nil }

// OVMF's firmware code, and the variable store that each UEFI boot gets a
// copy of, from Debian's ovmf.
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// firmwareArgs are the QEMU arguments for the CD-ROM, the network boot
// and UEFI.
func (m *Machine) firmwareArgs(t testing.TB) []string {
	var args []string
	if m.UEFI {
		vars := filepath.Join(testtmp.TempDir(t), "OVMF_VARS.fd")
		if err := cp.Copy(ovmfVars, vars); err != nil {
			t.Fatalf("UEFI variable store: %v: run `make deps`", err)
		}
		args = append(args, "-drive", "if=pflash,format=raw,readonly=on,file="+ovmfCode,
			"-drive", "if=pflash,format=raw,file="+vars)
	}
	if m.CDROM != "" {
		args = append(args, "-cdrom", m.CDROM)
	}
	if n := m.NetBoot; n != nil {
		// The harness's -nic none only drops QEMU's default NIC.
		args = append(args, "-netdev", fmt.Sprintf("user,id=n0,tftp=%s,bootfile=%s", n.Dir, n.Bootfile),
			"-device", "e1000,netdev=n0", "-boot", "n")
	}
	if tb := m.TapBoot; tb != nil {
		args = append(args, "-netdev", fmt.Sprintf("tap,id=n0,ifname=%s,script=no,downscript=no", tb.Tap),
			"-device", "e1000,netdev=n0,mac="+tb.MAC, "-boot", "n")
	}
	return args
}

// consoleFile copies the serial console into a file that testtmp keeps when
// the test fails; its path is logged then.
func consoleFile(t testing.TB) qemu.Fn {
	path := filepath.Join(testtmp.TempDir(t), "console.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create console log: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serial console kept in %s", path)
		}
	})
	return qemu.WithSerialOutput(f)
}
