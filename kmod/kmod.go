// Package kmod makes the RAMDAX drivers available early at boot.
//
// Two kinds of kernel reach the appliance:
//
//   - a kernel with RAMDAX built in (our own tinyconfig build): the ramdax
//     driver is registered before /init runs, nothing is loaded, and taking
//     the e820_pmem device over from nd_e820 (unbind, driver_override, bind)
//     is the nvdimm package's job;
//   - a kernel that ships RAMDAX and friends as modules (Debian's cloud
//     kernel): the modules listed in [Needed] are loaded from
//     /lib/modules/$(uname -r) in dependency order, after ramdax has been
//     named in the e820_pmem device's driver_override, so that ramdax, not
//     nd_e820, claims the carveout.
//
// [Ensure] tells the two apart and does what each needs. [Closure] tells the
// image builder which files of a modules directory to pack.
//
// There is no udev in the initramfs. On a modular kernel, once the nvdimm
// modules are in, [Coldplug] does udev's boot-time job for the hardware
// drivers the image carries ([Hardware]): it matches each device's
// modalias against modules.alias and loads what matches. nd_e820 (alias
// platform:e820_pmem*) matches the carveout's device, and Coldplug, like
// the rest of this package, never loads it. Booting with
// module_blacklist=nd_e820 on the kernel command line makes the kernel
// refuse it as well, should a udev-based initramfs or a stray modprobe ever
// try.
package kmod

// Drivers lists the nvdimm and dax modules the appliance loads on a
// modular kernel, by module name. Dependencies (from modules.dep) come
// along on their own; modules that are built in are skipped.
var Drivers = []string{
	// The NVDIMM core: the nd bus, regions, namespaces and labels.
	"libnvdimm",
	// Registers an NVDIMM bus with one DIMM and label area per memmap=
	// range. It binds only through driver_override.
	"ramdax",
	// Block devices for raw and fsdax namespaces (/dev/pmemN).
	"nd_pmem",
	// Sector mode; nd_pmem needs it anyway (modules.dep), listed so that
	// sector namespaces come back at the next boot.
	"nd_btt",
	// Binds devdax-mode namespaces and creates their dax devices.
	"dax_pmem",
	// The /dev/daxN.M character devices for devdax namespaces.
	"device_dax",
	// Hands a dax device to the page allocator (system-ram mode).
	"kmem",
}

// Filesystems lists the file-system modules for fsdax namespaces. ext4 is
// built into Debian's kernel, in which case it is skipped; xfs is a module
// that takes seconds to load under TCG, so callers load it only when a
// layout needs it.
var Filesystems = []string{"ext4", "xfs"}

// Needed is everything the image packs: Drivers and Filesystems.
var Needed = append(append([]string{}, Drivers...), Filesystems...)

// Forbidden lists modules this package never loads. nd_e820 drives the same
// e820_pmem device as ramdax and would claim the carveout as a label-less
// region.
var Forbidden = []string{"nd_e820"}

// Hardware lists the drivers a distro image carries for real machines, by
// module name, so that [Coldplug] finds the disks, NICs, keyboard and
// screen of a server. A kernel that builds one in, or lacks it (the cloud
// kernel has no e1000e or xHCI), just goes without; Closure adds what they
// need.
var Hardware = []string{
	// Storage: NVMe, SATA (AHCI), SAS/RAID HBAs, virtio-scsi, USB sticks,
	// and the SCSI disk driver the SATA, SAS and USB disks show up through.
	"nvme", "ahci", "sd_mod", "virtio_scsi", "mpt3sas", "megaraid_sas", "usb_storage",
	// NICs: Intel's (e1000e, igb, ixgbe, i40e, ice), Mellanox, Broadcom
	// and virtio.
	"e1000e", "igb", "ixgbe", "i40e", "ice", "mlx5_core", "bnxt_en", "virtio_net",
	// USB host controllers and a USB keyboard at the console.
	"xhci_pci", "xhci_hcd", "usbhid", "hid_generic",
	// Consoles: the firmware's framebuffer (Debian builds efifb, simplefb
	// and fbcon in) and the 8250 serial ports it leaves modular.
	"efifb", "simplefb", "fbcon", "simpledrm", "8250_exar", "8250_lpss", "8250_pci", "8250_pnp",
}
