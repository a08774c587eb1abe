package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFnmatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", true},
		{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "pci:v00008086d000010D4sv00008086sd0000A01Fbc02sc00i00", false},
		{"pci:v*d*sv*sd*bc01sc08i02*", "pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02", true},
		{"pci:v*d*sv*sd*bc01sc08i02*", "pci:v00001B36d00000010sv00001AF4sd00001100bc01sc06i01", false},
		// Unlike path.Match, '*' spans '/'.
		{"dmi*:svnLENOVO*:pvrThinkPad*:*", "dmi:bvnLENOVO:bvrN1EET:bd04/01/2014:svnLENOVO:pn20AN:pvrThinkPadT440p:", true},
		{"usb:v13FDp3940d0[0-2]*dc*", "usb:v13FDp3940d0150dc00", true},
		{"usb:v13FDp3940d0[0-2]*dc*", "usb:v13FDp3940d0350dc00", false},
		{"x[!a-c]y", "xdy", true},
		{"x[!a-c]y", "xby", false},
		{"x[^a-c]y", "xby", false},
		{"x[]]y", "x]y", true},
		{"x[a-]y", "x-y", true},
		{"x[\\]]y", "x]y", true},
		{"x[ab", "x[ab", true}, // no ']': a plain '['
		{"x[ab", "xa", false},
		{"a\\*b", "a*b", true},
		{"a\\*b", "axb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*", "", true},
		{"a*", "", false},
		{"*b*b*c", "abxbx", false},
		{"*b*b*", "abxbx", true},
		{"*b*b*", "abxbxb", true},
		{"acpi*:PNP0501:*", "acpi:PNP0501:", true},
		{"acpi*:PNP0501:*", "acpi:PNP0500:", false},
		{"", "", true},
		{"", "a", false},
	} {
		if got := fnmatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestPatternBus(t *testing.T) {
	for pattern, want := range map[string]string{
		"pci:v*d*":         "pci",
		"usb:v1234p*":      "usb",
		"acpi*:PNP0501:*":  "",
		"dmi*:svnLENOVO*":  "",
		"platform:e820_pm": "platform",
		"net-pf-16":        "",
		"x?y:z":            "",
	} {
		if got := patternBus(literal(pattern)); got != want {
			t.Errorf("patternBus(%q) = %q, want %q", pattern, got, want)
		}
	}
}

func TestAliasesMatch(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "modules.alias", testAliases)
	a, err := ReadAliases(dir)
	if err != nil {
		t.Fatal(err)
	}
	for modalias, want := range map[string][]string{
		"pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00": {"e1000e"},
		"acpi:PNP0501:": {"8250_pnp"},
		"dmi:bvnLENOVO:bd04/01/2014:svnLENOVO:pnX:":             {"nosuch"},
		"usb:v0627p0001d0000dc00dsc00dp00ic03isc01ip01in00":     {"usbhid"},
		"usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00":     {"usb_storage"},
		"pci:v00001234d00001111sv00000000sd00000000bc03sc00i00": nil,
		"nobus": nil,
	} {
		if got := a.Match(modalias); !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", modalias, got, want)
		}
	}
}

func TestReadAliasesBadLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "modules.alias", "alias pci:v*\n")
	if _, err := ReadAliases(dir); err == nil {
		t.Error("ReadAliases accepted a line without a module")
	}
}

// TestDistroAliases matches modaliases QEMU's q35 devices have against
// the generic Debian kernel's modules.alias, if it is unpacked.
func TestDistroAliases(t *testing.T) {
	dir := "../build/distro-generic/modules"
	if _, err := os.Stat(filepath.Join(dir, "modules.alias")); err != nil {
		t.Skipf("no generic distro modules: %v", err)
	}
	a, err := ReadAliases(dir)
	if err != nil {
		t.Fatal(err)
	}
	for modalias, want := range map[string]string{
		"pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00": "e1000e",
		"pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02": "nvme",
		"pci:v00001B36d0000000Dsv00001AF4sd00001100bc0Csc03i30": "xhci_pci",
		"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01": "ahci",
		"usb:v0627p0001d0000dc00dsc00dp00ic03isc01ip01in00":     "usbhid",
	} {
		if got := a.Match(modalias); !slices.Contains(got, want) {
			t.Errorf("Match(%q) = %v, want %s among them", modalias, got, want)
		}
	}
}
