// Package network brings the network up as the kernel's ip= parameter
// asks, for kernels built without CONFIG_IP_PNP (the appliance's and
// Debian's): DHCP with u-root's client, or a static address.
//
// The forms are those of the kernel's Documentation/admin-guide/nfs/nfsroot.rst:
//
//	ip=dhcp (or on, any)                     DHCP on every NIC
//	ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1
//
// In the long form empty fields take their defaults: AUTOCONF dhcp (or
// on, any) asks DHCP on DEVICE, or on every NIC; with CLIENT set and
// AUTOCONF empty, off or none, the address is static. ip=off (or none)
// configures nothing. When DEVICE is empty and BOOTIF= names the MAC
// address the machine PXE-booted from, only that NIC is configured.
package network

import (
	"fmt"
	"net"
	"strings"
)

// Config is what ip= asks for.
type Config struct {
	// DHCP asks for a lease; otherwise Address is static.
	DHCP bool
	// Device is the interface, or "" for every NIC (DHCP) or the first
	// one (static).
	Device   string
	Address  net.IPNet
	Gateway  net.IP
	Hostname string
	DNS      []net.IP
	// BootMAC is the NIC the machine booted from (BOOTIF=), if known.
	BootMAC net.HardwareAddr
}

// Parse reads the value of ip=, and bootif, the value of BOOTIF= ("" when
// absent). It returns nil for ip=off. A bad BOOTIF=, such as one a boot
// loader left unexpanded, is an error that comes with the configuration,
// which then goes without it: DHCP asks on every NIC.
func Parse(ip, bootif string) (*Config, error) {
	c, err := parseIP(ip)
	if c == nil || err != nil || bootif == "" {
		return c, err
	}
	c.BootMAC, err = parseBootIF(bootif)
	return c, err
}

// parseIP reads the value of ip=.
func parseIP(ip string) (*Config, error) {
	c := &Config{}
	switch ip {
	case "off", "none":
		return nil, nil
	case "dhcp", "on", "any":
		c.DHCP = true
		return c, nil
	}
	fields := strings.Split(ip, ":")
	if len(fields) < 2 {
		return nil, fmt.Errorf("ip=%s: want dhcp, off, or CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF[:DNS0[:DNS1]]", ip)
	}
	field := func(i int) string {
		if i < len(fields) {
			return fields[i]
		}
		return ""
	}
	c.Hostname, c.Device = field(4), field(5)
	switch autoconf := field(6); autoconf {
	case "dhcp", "on", "any":
		c.DHCP = true
		return c, nil
	case "", "off", "none":
	default:
		return nil, fmt.Errorf("ip=%s: AUTOCONF %q: want dhcp, on, any, off or none (this appliance has no bootp or rarp)", ip, autoconf)
	}
	if err := c.setStatic(field(0), field(2), field(3)); err != nil {
		return nil, fmt.Errorf("ip=%s: %w", ip, err)
	}
	for _, d := range []string{field(7), field(8)} {
		if d == "" {
			continue
		}
		dns := net.ParseIP(d)
		if dns == nil {
			return nil, fmt.Errorf("ip=%s: DNS server %q is not an IP address", ip, d)
		}
		c.DNS = append(c.DNS, dns)
	}
	return c, nil
}

// setStatic reads the client address, gateway and netmask of the long
// form. A missing netmask is the address's class default, as the
// kernel's.
func (c *Config) setStatic(client, gateway, netmask string) error {
	addr := net.ParseIP(client).To4()
	if addr == nil {
		return fmt.Errorf("CLIENT %q: want an IPv4 address for a static configuration, or AUTOCONF dhcp", client)
	}
	mask := addr.DefaultMask()
	if netmask != "" {
		m := net.ParseIP(netmask).To4()
		if m == nil {
			return fmt.Errorf("NETMASK %q: want a dotted mask like 255.255.255.0", netmask)
		}
		mask = net.IPMask(m)
	}
	if ones, bits := mask.Size(); bits == 0 || ones == 0 {
		return fmt.Errorf("NETMASK %q: not a contiguous mask", netmask)
	}
	c.Address = net.IPNet{IP: addr, Mask: mask}
	if gateway != "" {
		if c.Gateway = net.ParseIP(gateway).To4(); c.Gateway == nil {
			return fmt.Errorf("GATEWAY %q: want an IPv4 address", gateway)
		}
	}
	return nil
}

// parseBootIF reads pxelinux's BOOTIF=01-aa-bb-cc-dd-ee-ff: the hardware
// type, then the MAC address.
func parseBootIF(v string) (net.HardwareAddr, error) {
	_, mac, ok := strings.Cut(v, "-")
	hw, err := net.ParseMAC(strings.ReplaceAll(mac, "-", ":"))
	if !ok || err != nil {
		return nil, fmt.Errorf("BOOTIF=%s: want 01-aa-bb-cc-dd-ee-ff (type 01, Ethernet, then the MAC address)", v)
	}
	return hw, nil
}
