package vmtest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/hugelgupf/vmtest/testtmp"
)

// Server is the hardware of a server machine beyond a small VM's: a q35
// chipset, NUMA nodes, disks, NICs, a USB keyboard and a screen. Its zero
// value adds nothing.
type Server struct {
	// Q35 makes the machine a q35 (PCIe, ICH9) instead of QEMU's i440fx.
	Q35 bool
	// Nodes, when set, splits guest RAM and CPUs into NUMA nodes, in
	// order from address 0: node 0 has the first Nodes[0].MemoryMiB.
	Nodes []NUMANode
	// Disks are the drives, each backed by a sparse image file.
	Disks []Disk
	// NICs are the network cards' QEMU models (e1000e, virtio-net-pci),
	// each on QEMU's user network.
	NICs []string
	// Forwards are QEMU hostfwd rules for the first NIC's user network,
	// tcp:127.0.0.1:HOSTPORT-:GUESTPORT.
	Forwards []string
	// USBKeyboard adds a qemu-xhci controller with a USB keyboard.
	USBKeyboard bool
	// Screen adds a standard VGA display, shown nowhere: Monitor reads it.
	Screen bool
	// SecondUART, when set, adds the second serial port (ttyS1, where a
	// BMC puts serial-over-LAN) and writes what it sends to this file.
	SecondUART string
}

// NUMANode is one NUMA node of the guest.
type NUMANode struct {
	MemoryMiB, CPUs int
}

// Disk is one drive on a bus.
type Disk struct {
	// Bus is "nvme" or "ahci".
	Bus string
	// SizeMiB is the size of its image file.
	SizeMiB int
	// Image, when set, is the image file to attach instead of a new,
	// empty one.
	Image string
}

// WithQ35 makes the guest a q35 machine.
func WithQ35() Option { return func(m *Machine) { m.Server.Q35 = true } }

// WithNUMANode adds a NUMA node with memMiB of RAM and cpus CPUs. The
// machine's memory and CPU count become the sums over its nodes.
func WithNUMANode(memMiB, cpus int) Option {
	return func(m *Machine) { m.Server.Nodes = append(m.Server.Nodes, NUMANode{memMiB, cpus}) }
}

// WithHostForward forwards TCP connections to hostPort on the host's
// loopback address to guestPort on the guest's first NIC, over QEMU's
// user network: add a NIC too.
func WithHostForward(hostPort, guestPort int) Option {
	return func(m *Machine) {
		m.Server.Forwards = append(m.Server.Forwards, fmt.Sprintf("tcp:127.0.0.1:%d-:%d", hostPort, guestPort))
	}
}

// FreePort returns a TCP port on the host's loopback address that was
// free a moment ago, for WithHostForward.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WithDiskImage attaches the image file img as a drive on bus, nvme or
// ahci.
func WithDiskImage(bus, img string) Option {
	return func(m *Machine) { m.Server.Disks = append(m.Server.Disks, Disk{Bus: bus, Image: img}) }
}

// WithNVMe adds an NVMe drive of sizeMiB.
func WithNVMe(sizeMiB int) Option {
	return func(m *Machine) { m.Server.Disks = append(m.Server.Disks, Disk{Bus: "nvme", SizeMiB: sizeMiB}) }
}

// WithAHCIDisk adds a SATA disk of sizeMiB on an ICH9 AHCI controller.
func WithAHCIDisk(sizeMiB int) Option {
	return func(m *Machine) { m.Server.Disks = append(m.Server.Disks, Disk{Bus: "ahci", SizeMiB: sizeMiB}) }
}

// WithNIC adds a network card of QEMU model model, such as e1000e.
func WithNIC(model string) Option {
	return func(m *Machine) { m.Server.NICs = append(m.Server.NICs, model) }
}

// WithUSBKeyboard adds an xHCI controller with a USB keyboard, which
// Monitor.Type types on.
func WithUSBKeyboard() Option { return func(m *Machine) { m.Server.USBKeyboard = true } }

// WithScreen adds a standard VGA display, which Monitor.Screenshot reads.
func WithScreen() Option { return func(m *Machine) { m.Server.Screen = true } }

// WithSecondUART adds ttyS1 and writes its output to path.
func WithSecondUART(path string) Option { return func(m *Machine) { m.Server.SecondUART = path } }

// ServerHardware is the hardware of a two-socket server as the
// appliance's operators run one, scaled down: q35, two NUMA nodes of 1 GiB
// and one vCPU each, an NVMe drive, a SATA disk, an e1000e NIC, a USB
// keyboard and a screen.
//
// Two vCPUs make an SMP, two-node machine at the least cost under TCG,
// where they share one host thread (Machine.accelArg). With a thread
// each, four of them on CI's two cores once stopped Debian's generic
// kernel for the whole timeout right after it brought the CPUs up.
func ServerHardware() []Option {
	return []Option{WithQ35(), WithNUMANode(1024, 1), WithNUMANode(1024, 1),
		WithNVMe(64), WithAHCIDisk(64), WithNIC("e1000e"), WithUSBKeyboard(), WithScreen()}
}

// ServerMachine is ServerHardware with UEFI firmware, as servers boot.
func ServerMachine() []Option { return append(ServerHardware(), WithUEFI()) }

// applyNodes makes the machine's memory and CPUs the sums of its nodes'.
func (s *Server) applyNodes(m *Machine) {
	if len(s.Nodes) == 0 {
		return
	}
	mem, cpus := 0, 0
	for _, n := range s.Nodes {
		mem += n.MemoryMiB
		cpus += n.CPUs
	}
	m.Memory, m.CPUs = fmt.Sprintf("%dM", mem), cpus
}

// args are the QEMU arguments for s. ramFile, when set, backs each node's
// memory with its own file, ramFile.nodeN.
func (s *Server) args(t testing.TB, ramFile string) []string {
	var args []string
	if s.Q35 {
		args = append(args, "-machine", "q35")
	}
	args = append(args, s.nodeArgs(ramFile)...)
	args = append(args, s.diskArgs(t)...)
	for i, model := range s.NICs {
		netdev := fmt.Sprintf("user,id=nic%d", i)
		for _, f := range s.Forwards {
			if i == 0 {
				netdev += ",hostfwd=" + f
			}
		}
		args = append(args, "-netdev", netdev, "-device", fmt.Sprintf("%s,netdev=nic%d", model, i))
	}
	if s.USBKeyboard {
		args = append(args, "-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,bus=xhci.0")
	}
	if s.Screen {
		args = append(args, "-vga", "std")
	}
	if s.SecondUART != "" {
		args = append(args, "-chardev", "file,id=uart1,path="+s.SecondUART,
			"-device", "isa-serial,chardev=uart1,index=1")
	}
	return args
}

// nodeArgs gives each node a memory backend and its CPUs, in order.
func (s *Server) nodeArgs(ramFile string) []string {
	var args []string
	cpu := 0
	for i, n := range s.Nodes {
		backend := fmt.Sprintf("memory-backend-ram,id=node%d,size=%dM", i, n.MemoryMiB)
		if ramFile != "" {
			backend = fmt.Sprintf("memory-backend-file,id=node%d,size=%dM,mem-path=%s.node%d,share=on", i, n.MemoryMiB, ramFile, i)
		}
		args = append(args, "-object", backend,
			"-numa", fmt.Sprintf("node,nodeid=%d,cpus=%d-%d,memdev=node%d", i, cpu, cpu+n.CPUs-1, i))
		cpu += n.CPUs
	}
	return args
}

// diskArgs creates each disk's sparse image and attaches it.
func (s *Server) diskArgs(t testing.TB) []string {
	var args []string
	ahci := 0
	for i, d := range s.Disks {
		img := d.Image
		if img == "" {
			img = emptyDisk(t, fmt.Sprintf("disk%d-%s.img", i, d.Bus), d.SizeMiB)
		}
		id := fmt.Sprintf("disk%d", i)
		args = append(args, "-drive", fmt.Sprintf("file=%s,if=none,id=%s,format=raw", img, id))
		switch d.Bus {
		case "nvme":
			args = append(args, "-device", fmt.Sprintf("nvme,drive=%s,serial=ramdax%d", id, i))
		case "ahci":
			if ahci == 0 {
				args = append(args, "-device", "ich9-ahci,id=ahci")
			}
			args = append(args, "-device", fmt.Sprintf("ide-hd,drive=%s,bus=ahci.%d", id, ahci))
			ahci++
		default:
			t.Fatalf("disk %d: bus %q: want nvme or ahci", i, d.Bus)
		}
	}
	return args
}

// emptyDisk is a new sparse image file of sizeMiB.
func emptyDisk(t testing.TB, name string, sizeMiB int) string {
	img := filepath.Join(testtmp.TempDir(t), name)
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatalf("disk image: %v", err)
	}
	if err := os.Truncate(img, int64(sizeMiB)<<20); err != nil {
		t.Fatalf("disk image: %v", err)
	}
	return img
}
