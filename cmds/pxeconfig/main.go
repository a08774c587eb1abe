// pxeconfig generates what PXE-boots a fleet of appliances, each machine
// with its own persistent-memory layout, from a node inventory: a dnsmasq
// configuration (DHCP, TFTP, iPXE chain-loading), one iPXE script per MAC
// address with a default for the rest, and Matchbox profiles and groups.
//
// Synopsis:
//
//	pxeconfig [-o DIR] [-kernel FILE] [-initramfs FILE] [-flavour builtin|distro] [-ipxe DIR] -dhcp-range RANGE [-interface IF] [-tftp-root DIR] [-matchbox URL] INVENTORY
//	pxeconfig -check INVENTORY
//
// Description:
//
//	pxeconfig reads INVENTORY (the format is in package fleet's
//	documentation and the README) and checks every layout with the parser
//	ramdaxinit runs at boot. On any problem it lists them all, one line
//	each with the file, the line and the node, and writes nothing.
//	Otherwise it replaces DIR (default build/fleet) with:
//
//	  tftp/        the TFTP root: the kernel, the initramfs, Debian's iPXE
//	               (undionly.kpxe, ipxe.efi), the iPXE scripts, and a
//	               bootconfig initrd (ID.bconf.img) for each layout too
//	               long for the kernel's 2048-byte command line, with a
//	               warning that says so
//	  dnsmasq.conf DHCP on RANGE, TFTP from tftp/ (or -tftp-root, where
//	               the tree will be served from), iPXE chain-loading;
//	               with -matchbox, iPXE asks Matchbox at URL instead
//	  matchbox/    a Matchbox data directory: profiles/, groups/, assets/
//
//	-check only checks the inventory.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ramdax/appliance/fleet"
)

// config is what the command line asks for.
type config struct {
	dir, inventory, flavour string
	check                   bool
	files                   fleet.Files
	network                 fleet.Network
}

func parse(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&c.dir, "o", "build/fleet", "output `dir`, replaced as a whole")
	fs.BoolVar(&c.check, "check", false, "only check the inventory")
	fs.StringVar(&c.files.Kernel, "kernel", "build/kernel/bzImage", "kernel `image` the fleet boots")
	fs.StringVar(&c.files.Initramfs, "initramfs", "build/initramfs.cpio.lz4", "appliance `initramfs` the fleet boots")
	fs.StringVar(&c.files.IPXEDir, "ipxe", fleet.DefaultIPXEDir, "`dir` holding Debian's undionly.kpxe and ipxe.efi")
	fs.StringVar(&c.flavour, "flavour", "builtin", "`kernel` the initramfs is for, as mkimage's -flavour: builtin or distro")
	fs.StringVar(&c.network.DHCPRange, "dhcp-range", "", "dnsmasq dhcp-range `value`, like 10.0.8.100,10.0.8.199,12h")
	fs.StringVar(&c.network.Interface, "interface", "", "serve DHCP and TFTP on this `interface` only")
	fs.StringVar(&c.network.TFTPRoot, "tftp-root", "", "absolute `dir` dnsmasq will serve the TFTP root from (default DIR/tftp)")
	fs.StringVar(&c.network.MatchboxURL, "matchbox", "", "send iPXE to Matchbox at this `URL`, like http://10.0.8.2:8080")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("want one inventory file, got %d arguments", fs.NArg())
	}
	c.inventory = fs.Arg(0)
	switch c.flavour {
	case "builtin", "distro":
		c.files.Modular = c.flavour == "distro"
	default:
		return nil, fmt.Errorf("-flavour %q: want builtin or distro", c.flavour)
	}
	return c, nil
}

func run(stdout, stderr io.Writer, args []string) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	inv, err := fleet.Load(c.inventory)
	var problems fleet.Errors
	if errors.As(err, &problems) {
		return fmt.Errorf("%s has %d problem(s); nothing was written:\n%w", c.inventory, len(problems), err)
	}
	if err != nil {
		return err
	}
	for _, w := range inv.Warnings {
		fmt.Fprintf(stderr, "pxeconfig: warning: %s\n", w)
	}
	if c.check {
		fmt.Fprintf(stdout, "pxeconfig: %s: %s\n", c.inventory, summary(inv))
		return nil
	}
	if err := fleet.Write(c.dir, inv, c.files, c.network); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pxeconfig: %s: %s, written to %s: %s, %s/, %s/\n", c.inventory, summary(inv),
		c.dir, fleet.DnsmasqFile, fleet.TFTPDir, fleet.MatchboxDir)
	return nil
}

// summary counts the inventory's entries, in one line.
func summary(inv *fleet.Inventory) string {
	def := "no default"
	switch d := inv.Default; {
	case d != nil && d.Class != "":
		def = "default class " + d.Class
	case d != nil:
		def = "a default layout"
	}
	return fmt.Sprintf("%d classes, %d nodes, %s", len(inv.Classes), len(inv.Nodes), def)
}

func main() {
	if err := run(os.Stdout, os.Stderr, os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "pxeconfig: %v\n", err)
		os.Exit(1)
	}
}
