package network

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/ramdax/appliance/status"
	"github.com/u-root/u-root/pkg/dhclient"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Bounds on the waits: for the NIC drivers to register their interfaces
// (a modular kernel loads them moments before), for a link to come up,
// and for DHCP: per attempt, and in all.
const (
	nicWait     = 10 * time.Second
	linkUpWait  = 10 * time.Second
	dhcpAttempt = 5 * time.Second
	dhcpRetries = 3
	dhcpWait    = 30 * time.Second
)

// ResolvConf is where DHCP's name servers go.
const ResolvConf = "/etc/resolv.conf"

// Up configures the NICs c names and returns what each got.
func Up(c *Config) ([]status.Interface, error) {
	links, err := waitForNICs(c)
	if err != nil {
		return nil, err
	}
	if c.Hostname != "" {
		unix.Sethostname([]byte(c.Hostname))
	}
	if c.DHCP {
		return dhcp(links), nil
	}
	return []status.Interface{static(links[0], c)}, nil
}

// waitForNICs returns the NICs c is for, once there are any, in name
// order.
func waitForNICs(c *Config) ([]netlink.Link, error) {
	deadline := time.Now().Add(nicWait)
	for {
		links, err := nics(c)
		if err == nil && len(links) > 0 {
			return links, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("ip=: no network interface %s after %v (%v); is the NIC's driver in the kernel or the image?", c.want(), nicWait, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Config) want() string {
	switch {
	case c.Device != "":
		return c.Device
	case c.BootMAC != nil:
		return "with the BOOTIF= address " + c.BootMAC.String()
	}
	return "besides lo"
}

// nics lists the Ethernet interfaces c is for.
func nics(c *Config) ([]netlink.Link, error) {
	all, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []netlink.Link
	for _, l := range all {
		a := l.Attrs()
		switch {
		case a.Flags&net.FlagLoopback != 0 || a.EncapType != "ether":
		case c.Device != "" && a.Name != c.Device:
		case c.Device == "" && c.BootMAC != nil && !bytes.Equal(a.HardwareAddr, c.BootMAC):
		default:
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b netlink.Link) int { return strings.Compare(a.Attrs().Name, b.Attrs().Name) })
	return out, nil
}

// dhcp asks for a DHCPv4 lease on each of links, configures what it gets
// and writes the name servers to ResolvConf.
func dhcp(links []netlink.Link) []status.Interface {
	ctx, cancel := context.WithTimeout(context.Background(), dhcpWait)
	defer cancel()
	cfg := dhclient.Config{Timeout: dhcpAttempt, Retries: dhcpRetries}
	got := map[string]status.Interface{}
	for r := range dhclient.SendRequests(ctx, links, true, false, cfg, linkUpWait) {
		got[r.Interface.Attrs().Name] = leaseStatus(r)
	}
	var out []status.Interface
	for _, l := range links {
		name := l.Attrs().Name
		s, ok := got[name]
		if !ok {
			s = status.Interface{Name: name, Method: "dhcp", Error: fmt.Sprintf("link did not come up within %v", linkUpWait)}
		}
		out = append(out, s)
	}
	return out
}

// leaseStatus configures r's lease, if it has one, and describes it.
func leaseStatus(r *dhclient.Result) status.Interface {
	s := status.Interface{Name: r.Interface.Attrs().Name, Method: "dhcp"}
	err := r.Err
	if err == nil {
		err = r.Lease.Configure()
	}
	if err != nil {
		s.Error = err.Error()
		return s
	}
	p, ok := r.Lease.(*dhclient.Packet4)
	if !ok {
		return s
	}
	s.Addresses = []string{p.Lease().String()}
	msg, _ := p.Message()
	if routers := msg.Router(); len(routers) > 0 {
		s.Gateway = routers[0].String()
	}
	if ns, search, domain := p.GatherDNSSettings(); len(ns) > 0 {
		if err := dhclient.WriteDNSSettings(ns, search, domain, ResolvConf); err != nil {
			s.Error = fmt.Sprintf("write %s: %v", ResolvConf, err)
		}
	}
	return s
}

// static sets c's address, and its default route, on link.
func static(link netlink.Link, c *Config) status.Interface {
	s := status.Interface{Name: link.Attrs().Name, Method: "static"}
	err := netlink.LinkSetUp(link)
	if err == nil {
		err = netlink.AddrReplace(link, &netlink.Addr{IPNet: &c.Address})
	}
	if err == nil && c.Gateway != nil {
		err = netlink.RouteReplace(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: c.Gateway})
	}
	if err == nil && len(c.DNS) > 0 {
		err = dhclient.WriteDNSSettings(c.DNS, nil, "", ResolvConf)
	}
	if err != nil {
		s.Error = err.Error()
		return s
	}
	s.Addresses = []string{c.Address.String()}
	if c.Gateway != nil {
		s.Gateway = c.Gateway.String()
	}
	return s
}
