// ramdaxnet brings the network up as the kernel's ip= parameter asks, for
// kernels built without CONFIG_IP_PNP: DHCP with u-root's client, or a
// static address (package network lists the forms).
//
// Synopsis:
//
//	ramdaxnet -ip VALUE [-bootif MAC]
//
// Description:
//
//	It logs what each interface got, or why it got nothing, on stderr,
//	and writes the same as JSON on stdout: the network list of
//	status.json. ramdaxinit runs it after the ready line when the
//	command line has ip=, and records the outcome; at the console it
//	configures the NICs by hand. It exits non-zero when ip= cannot be
//	read or no NIC it names turns up.
//
// It is a command of its own, in the busybox, rather than part of
// ramdaxinit: u-root's DHCP client links regexp, and with it the unicode
// tables, which with the DHCP and netlink packages took 25 ms of every
// boot's start under TCG, ip= or not.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/ramdax/appliance/network"
	"github.com/ramdax/appliance/status"
)

func main() {
	ip := flag.String("ip", "", "the value of the kernel's ip= parameter")
	bootif := flag.String("bootif", "", "the value of BOOTIF=, the MAC address the machine PXE-booted from")
	flag.Parse()
	log.SetFlags(0)
	ifs, err := up(*ip, *bootif)
	if b, jerr := json.Marshal(ifs); jerr == nil {
		fmt.Printf("%s\n", b)
	}
	if err != nil {
		log.Printf("error: %v", err)
		os.Exit(1)
	}
}

// up configures the NICs and logs the outcome per interface. Errors that
// leave something to do are logged, and the rest still goes ahead.
func up(ip, bootif string) ([]status.Interface, error) {
	c, err := network.Parse(ip, bootif)
	switch {
	case c == nil && err != nil:
		return nil, fmt.Errorf("%w; the network stays down", err)
	case c == nil:
		return nil, nil // ip=off
	case err != nil:
		log.Printf("error: %v; going on without it", err)
	}
	ifs, err := network.Up(c)
	for _, i := range ifs {
		if i.Error != "" {
			log.Printf("error: network %s (%s): %s", i.Name, i.Method, i.Error)
			continue
		}
		log.Printf("network %s (%s): %s, gateway %s", i.Name, i.Method, strings.Join(i.Addresses, " "), status.OrDash(i.Gateway))
	}
	return ifs, err
}
