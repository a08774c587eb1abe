package fleet

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/release"
)

const testInventory = "class db " + dbLayout + "\n" +
	"node db1 52:54:00:fe:00:01 db\n" +
	"node lab7 52:54:00:fe:00:07 " + labLayout + "\n" +
	"default db\n"

// fakeFiles are stand-ins for the kernel, the initramfs and Debian's iPXE.
func fakeFiles(t *testing.T) Files {
	dir := t.TempDir()
	for _, name := range []string{"bzImage", "initramfs", UndionlyFile, IPXEEFIFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("fake "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Files{Kernel: filepath.Join(dir, "bzImage"), Initramfs: filepath.Join(dir, "initramfs"), IPXEDir: dir}
}

var testNetwork = Network{DHCPRange: "10.0.8.100,10.0.8.199,12h", Interface: "br0"}

func writeTestFleet(t *testing.T, text string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fleet")
	if err := Write(out, mustParse(t, text), fakeFiles(t), testNetwork); err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestWriteTree(t *testing.T) {
	out := writeTestFleet(t, testInventory)
	want := []string{
		".pxeconfig",
		"dnsmasq.conf",
		"matchbox/assets/ramdax/bzImage",
		"matchbox/assets/ramdax/initramfs.cpio.lz4",
		"matchbox/groups/default.json",
		"matchbox/groups/node-db1.json",
		"matchbox/groups/node-lab7.json",
		"matchbox/profiles/class-db.json",
		"matchbox/profiles/node-lab7.json",
		"tftp/52-54-00-fe-00-01.ipxe",
		"tftp/52-54-00-fe-00-07.ipxe",
		"tftp/boot.ipxe",
		"tftp/bzImage",
		"tftp/default.ipxe",
		"tftp/initramfs.cpio.lz4",
		"tftp/ipxe.efi",
		"tftp/undionly.kpxe",
	}
	if got := listFiles(t, out); !slices.Equal(got, want) {
		t.Errorf("files:\n got %q\nwant %q", got, want)
	}
	if got := readFile(t, filepath.Join(out, "tftp", release.KernelFile)); got != "fake bzImage" {
		t.Errorf("tftp/bzImage holds %q", got)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("%s: %v, %v; want 0755 so that dnsmasq's user reads it", out, info.Mode(), err)
	}
}

func TestNodeScriptBootsItsLayout(t *testing.T) {
	out := writeTestFleet(t, testInventory)
	for file, lay := range map[string]string{
		"52-54-00-fe-00-01.ipxe": dbLayout,
		"52-54-00-fe-00-07.ipxe": labLayout,
		"default.ipxe":           dbLayout,
	} {
		script := readFile(t, filepath.Join(out, "tftp", file))
		for _, want := range []string{"#!ipxe\n", "\nset layout " + lay + "\n",
			"\nkernel bzImage console=tty0 console=ttyS0 initrd=initramfs.cpio.lz4 BOOTIF=01-${netX/mac:hexhyp} ${layout}\n",
			"\ninitrd initramfs.cpio.lz4\n", "\nboot\n"} {
			if !strings.Contains(script, want) {
				t.Errorf("%s lacks %q:\n%s", file, want, script)
			}
		}
	}
	if s := readFile(t, filepath.Join(out, "tftp", "52-54-00-fe-00-01.ipxe")); !strings.Contains(s, "test.inventory line 2 (node db1, class db)") {
		t.Errorf("db1's script does not say where it comes from:\n%s", s)
	}
}

// boot.ipxe falls back to default.ipxe only when the node has no script,
// never when the node's own script fails.
func TestBootScriptChainsByMAC(t *testing.T) {
	s := BootScript(mustParse(t, testInventory))
	for _, want := range []string{"#!ipxe\n", "\nimgfetch --name node ${mac:hexhyp}.ipxe || goto unlisted\nchain node\n",
		"\n:unlisted\n", "\nchain default.ipxe\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("boot.ipxe lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "chain node ||") {
		t.Errorf("a failing node script falls back to the default:\n%s", s)
	}
}

func TestDefaultScriptWithoutDefault(t *testing.T) {
	s := DefaultScript(mustParse(t, "node lab7 52:54:00:fe:00:07 "+labLayout+"\n"))
	if strings.Contains(s, "kernel") || !strings.Contains(s, "\nexit 1\n") {
		t.Errorf("without a default, default.ipxe must boot nothing:\n%s", s)
	}
}

func TestDnsmasqConfig(t *testing.T) {
	inv := mustParse(t, testInventory)
	conf := DnsmasqConfig(inv, Network{DHCPRange: "10.0.8.100,10.0.8.199,12h", Interface: "br0", TFTPRoot: "/srv/tftp"})
	for _, want := range []string{"\nport=0\n", "\ninterface=br0\n", "\ndhcp-range=10.0.8.100,10.0.8.199,12h\n",
		"\nenable-tftp\n", "\ntftp-root=/srv/tftp\n",
		"\ndhcp-host=52:54:00:fe:00:01,db1\n", "\ndhcp-host=52:54:00:fe:00:07,lab7\n",
		"\ndhcp-match=set:ipxe,175\n",
		"\ndhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi\n", "\ndhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe\n",
		"\ndhcp-option=tag:ipxe,encap:175,176,1b\n", "\ndhcp-boot=tag:ipxe,boot.ipxe\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("dnsmasq.conf lacks %q:\n%s", want, conf)
		}
	}
	conf = DnsmasqConfig(inv, Network{DHCPRange: "10.0.8.100,10.0.8.199,12h", TFTPRoot: "/srv/tftp", MatchboxURL: "http://10.0.8.2:8080/"})
	if !strings.Contains(conf, "\ndhcp-boot=tag:ipxe,http://10.0.8.2:8080/boot.ipxe\n") || strings.Contains(conf, "interface=") {
		t.Errorf("dnsmasq.conf for Matchbox, on every interface:\n%s", conf)
	}
}

func TestWriteRefusesBadNetworks(t *testing.T) {
	inv := mustParse(t, testInventory)
	for _, tc := range []struct {
		network Network
		want    string
	}{
		{Network{}, "no DHCP range"},
		{Network{DHCPRange: "10.0.8.100 10.0.8.199"}, "want dnsmasq's dhcp-range form"},
		{Network{DHCPRange: "10.0.8.100,10.0.8.199", Interface: "br0,br1"}, "want one interface name"},
		{Network{DHCPRange: "10.0.8.100,10.0.8.199", TFTPRoot: "tftp"}, "want an absolute path"},
		{Network{DHCPRange: "10.0.8.100,10.0.8.199", MatchboxURL: "matchbox:8080"}, "want http://HOST:PORT"},
	} {
		out := filepath.Join(t.TempDir(), "fleet")
		if err := Write(out, inv, fakeFiles(t), tc.network); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write with %+v: got %v, want an error with %q", tc.network, err, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("Write with %+v wrote %s", tc.network, out)
		}
	}
}

func TestWriteMissingIPXE(t *testing.T) {
	files := fakeFiles(t)
	files.IPXEDir = t.TempDir()
	err := Write(filepath.Join(t.TempDir(), "fleet"), mustParse(t, testInventory), files, testNetwork)
	if err == nil || !strings.Contains(err.Error(), "Debian's ipxe package") {
		t.Errorf("Write without iPXE: got %v, want the package named", err)
	}
}

// A node removed from the inventory loses its script: a stale one would
// still boot its old layout.
func TestWriteReplacesTheTree(t *testing.T) {
	out := writeTestFleet(t, testInventory)
	smaller := strings.Replace(testInventory, "node lab7 52:54:00:fe:00:07 "+labLayout+"\n", "", 1)
	if err := Write(out, mustParse(t, smaller), fakeFiles(t), testNetwork); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"tftp/52-54-00-fe-00-07.ipxe", "matchbox/groups/node-lab7.json", "matchbox/profiles/node-lab7.json"} {
		if _, err := os.Stat(filepath.Join(out, gone)); err == nil {
			t.Errorf("%s survived the node's removal", gone)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("temporary directories left next to %s: %v", out, entries)
	}
}

func TestWriteRefusesOtherDirectories(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "precious")
	if err := os.WriteFile(keep, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(dir, mustParse(t, testInventory), fakeFiles(t), testNetwork)
	if err == nil || !strings.Contains(err.Error(), "pxeconfig did not write it") {
		t.Errorf("Write over a directory of other files: got %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("Write removed a file it did not write: %v", err)
	}
}
