package network

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		ip, bootif string
		want       string // Config as %+v-like summary
	}{
		{"dhcp", "", "dhcp dev= addr= gw= host= mac="},
		{"on", "01-52-54-00-12-34-56", "dhcp dev= addr= gw= host= mac=52:54:00:12:34:56"},
		{"::::node7:eth1:dhcp", "", "dhcp dev=eth1 addr= gw= host=node7 mac="},
		{"10.0.0.5::10.0.0.1:255.255.255.0:node7:eth0:off:10.0.0.53", "", "static dev=eth0 addr=10.0.0.5/24 gw=10.0.0.1 host=node7 mac="},
		{"192.168.1.9:::::", "", "static dev= addr=192.168.1.9/24 gw= host= mac="},
		{"10.1.2.3:", "", "static dev= addr=10.1.2.3/8 gw= host= mac="},
	} {
		c, err := Parse(tc.ip, tc.bootif)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tc.ip, tc.bootif, err)
			continue
		}
		if got := summary(c); got != tc.want {
			t.Errorf("Parse(%q, %q) = %s, want %s", tc.ip, tc.bootif, got, tc.want)
		}
	}
	if c, err := Parse("off", ""); c != nil || err != nil {
		t.Errorf("ip=off: %+v, %v; want nothing to do", c, err)
	}
}

func summary(c *Config) string {
	method := "static"
	if c.DHCP {
		method = "dhcp"
	}
	addr := ""
	if c.Address.IP != nil {
		addr = c.Address.String()
	}
	gw := ""
	if c.Gateway != nil {
		gw = c.Gateway.String()
	}
	return method + " dev=" + c.Device + " addr=" + addr + " gw=" + gw + " host=" + c.Hostname + " mac=" + c.BootMAC.String()
}

// A bad BOOTIF= is reported, and the rest applies without it.
func TestParseBadBootIF(t *testing.T) {
	for _, bootif := range []string{"52:54:00:12:34:56", "01-", "01-${netX/mac:hexhyp}"} {
		c, err := Parse("dhcp", bootif)
		if err == nil || !strings.Contains(err.Error(), "BOOTIF="+bootif+": want 01-aa-bb-cc-dd-ee-ff") {
			t.Errorf("Parse(dhcp, %q): %v, want the BOOTIF error", bootif, err)
		}
		if c == nil || !c.DHCP || c.BootMAC != nil {
			t.Errorf("Parse(dhcp, %q) = %+v, want DHCP on every NIC", bootif, c)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ ip, bootif, want string }{
		{"dhcpp", "", "ip=dhcpp: want dhcp, off, or CLIENT:SERVER:GATEWAY:NETMASK"},
		{"10.0.0.5::::::bootp", "", `AUTOCONF "bootp": want dhcp, on, any, off or none`},
		{"10.0.0.500:::::eth0:off", "", `CLIENT "10.0.0.500": want an IPv4 address`},
		{"10.0.0.5:::255.0.255.0::eth0:off", "", `NETMASK "255.0.255.0": not a contiguous mask`},
		{"10.0.0.5::gw::::", "", `GATEWAY "gw": want an IPv4 address`},
		{"10.0.0.5::::::off:dns", "", `DNS server "dns" is not an IP address`},
	} {
		_, err := Parse(tc.ip, tc.bootif)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q, %q): %v, want an error with %q", tc.ip, tc.bootif, err, tc.want)
		}
	}
}
