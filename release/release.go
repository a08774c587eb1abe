// Package release names the files of a release directory (build/ for
// `make image`) and the command line every node shares. The image builder
// writes them and the fleet configuration points at them; this package
// holds only what both need, so that neither imports the other.
package release

// The file names of a release directory. The ISO and the PXE bundle carry
// the kernel and initramfs under the same names.
const (
	KernelFile    = "bzImage"
	InitramfsFile = "initramfs.cpio" + CompressedExt
	CmdlineFile   = "cmdline.txt"
	ISOFile       = "ramdax.iso"
	PXEDir        = "pxe"
	IPXEFile      = "boot.ipxe"
	ManifestFile  = "manifest"
)

// CompressedExt is the initramfs file's extension, which says its format.
const CompressedExt = ".lz4"

// Console is the part of the command line every node shares: the
// appliance talks on the screen (tty0) and the first serial port, which
// is /dev/console. ramdaxinit keeps a shell on each.
const Console = "console=tty0 console=ttyS0"

// IPXEBootIF names, in an iPXE script, the NIC the node booted from, in
// pxelinux's form (BOOTIF=01-52-54-00-12-34-56): ip=dhcp then asks on
// that NIC only, not on every one.
const IPXEBootIF = "BOOTIF=01-${netX/mac:hexhyp}"

// LoaderSpecial are the characters grub or iPXE read themselves in a
// boot script line (settings, operators, comments, quoting), so a layout
// holding one would reach the kernel changed.
const LoaderSpecial = "$;\"'\\{}|&<>#\n"
