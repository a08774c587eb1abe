// Package fleet serves the appliance to many machines from one PXE server,
// each with its own persistent-memory layout, through well-known
// infrastructure: dnsmasq for DHCP and TFTP, iPXE, and Matchbox.
//
// An inventory says which layout each machine boots. Parse reads it and
// checks every layout with layout.Parse, the parser ramdaxinit runs at
// boot, so that a bad layout stops the generation instead of a boot. Write
// then generates, from one inventory:
//
//	tftp/                     the TFTP root
//	  bzImage, initramfs.cpio.lz4
//	  undionly.kpxe, ipxe.efi  Debian's iPXE, for PXE firmware (BIOS, UEFI)
//	  boot.ipxe               chains the script named after the MAC, or default.ipxe
//	  52-54-00-12-34-56.ipxe  one script per node: its kernel command line
//	  default.ipxe            machines the inventory does not list
//	dnsmasq.conf              DHCP and TFTP, chain-loading iPXE
//	matchbox/profiles/*.json  one Matchbox profile per class (and per node with its own layout)
//	matchbox/groups/*.json    one Matchbox group per node, selected by MAC
//	matchbox/assets/ramdax/   the kernel and initramfs the profiles boot
//
// # Inventory
//
// A text file, one entry per line. Fields are separated by spaces or tabs.
// Blank lines and lines whose first character other than a space is # are
// skipped; there are no comments at the end of a line, because a layout
// must never be cut short silently.
//
//	class NAME LAYOUT
//	node NAME MAC CLASS
//	node NAME MAC LAYOUT
//	default CLASS
//	default LAYOUT
//
// A class is a named layout, for machines of one hardware kind. A node is
// one machine, by the MAC address of the interface it PXE-boots from, and
// it boots a class or a layout of its own. The default is what machines
// the inventory does not list boot; without one, they boot nothing from
// here and their firmware moves on to its next boot device.
//
// LAYOUT is the per-node part of the kernel command line, everything after
// the class name or MAC to the end of the line: memmap= carveouts and
// ramdax.* parameters, as the README documents them. A single word without
// "=" is a class name, anything else is a layout.
//
// NAME is 1 to 63 of A-Z a-z 0-9 . _ -, starting with a letter or a digit;
// classes and nodes have names of their own, each unique. MAC is six bytes
// written with colons or hyphens, in either case; it is unique.
//
// For example:
//
//	# Database servers: 272M at 1G, an ext4 volume and a devdax cache.
//	class db memmap=278656K!1G ramdax.ns=dbdata:fsdax:192M:fs=ext4:mount=/srv/db ramdax.ns=dblog:devdax:rest
//
//	node db1 52:54:00:10:00:01 db
//	node db2 52:54:00:10:00:02 db
//	node lab7 52:54:00:10:00:07 memmap=147584K!1G ramdax.ns=scratch:raw:rest
//
//	default db
//
// # Checks
//
// Parse reports every problem, one line each, with the file, the line, the
// entry and what to do:
//
//	fleet.inventory:9: node n4 (52:54:00:0f:00:04): ramdax.ns="bad:fsdax:100M": SIZE 100M is not a multiple of 16M (the region align); use 96M or 112M
//
// A layout must parse without errors, have at least one memmap=SIZE!START
// carveout, and hold none of the characters iPXE would read itself ($ ; "
// ' \ { } | & < > #). Names must be valid and unique, MACs well formed and
// unique, classes defined. Layouts that waste space to alignment and
// layouts with ramdax.reset= (which destroys data at every boot of the
// node) are accepted with a warning.
package fleet
