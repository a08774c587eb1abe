// ramdaxcheck is the console "shell" of the fault suites' images: after
// ramdaxinit, as PID 1, has set the layout up and reported ready, it
// checks what a boot must leave behind, writes or verifies data as the
// ramdaxtest.* parameters say, prints what the host compares across boots
// and powers the machine off.
//
// Parameters (on the kernel command line, ignored by ramdaxinit):
//
//	ramdaxtest.seed=S        data seed; each namespace's data is knowndata.Bytes(S/NAME)
//	ramdaxtest.write=A,B     write the data to these namespaces
//	ramdaxtest.verify=A,B    read it back from these and compare
//	ramdaxtest.soak=K/N      soak cycle K of N: see soak.go
//
// Output lines, for the host:
//
//	ramdaxcheck: wrote NAME BYTES SHA256
//	ramdaxcheck: verified NAME BYTES SHA256
//	ramdax-print: {...}            (invariant.FormatPrint, every namespace)
//	ramdaxcheck: problem: ...
//	ramdaxcheck: ok | ramdaxcheck: FAIL N problems
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/ramdax/appliance/console"
	"github.com/ramdax/appliance/guest/knowndata"
	"github.com/ramdax/appliance/guest/testparams"
	"github.com/ramdax/appliance/invariant"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

// checker collects problems instead of stopping at the first: the host
// wants the whole picture of a bad boot.
type checker struct {
	sys      *nvdimm.Sysfs
	st       *status.Status
	params   map[string]string
	problems int
}

func (c *checker) problem(format string, args ...any) {
	c.problems++
	fmt.Printf("ramdaxcheck: problem: "+format+"\n", args...)
}

func main() {
	c := &checker{sys: nvdimm.New("/sys")}
	var err error
	if c.params, err = testparams.Read(); err != nil {
		c.problem("%v", err)
	}
	c.run()
	if c.problems > 0 {
		fmt.Printf("ramdaxcheck: FAIL %d problems\n", c.problems)
	} else {
		fmt.Println("ramdaxcheck: ok")
	}
	if soak, ok := c.params["soak"]; ok && c.problems == 0 {
		c.nextSoakCycle(soak) // only returns on failure
	}
	unix.Sync()
	// Wait until the console has sent the verdict: power-off drops
	// what the serial port still buffers.
	if err := console.Drain(os.Stdout, console.DrainLimit); err != nil {
		log.Printf("ramdaxcheck: %v", err)
	}
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func (c *checker) run() {
	var err error
	if c.st, err = status.Read(status.File); err != nil {
		c.problem("%v", err)
		return
	}
	nss, err := c.sys.Namespaces()
	if err != nil {
		c.problem("%v", err)
		return
	}
	for _, err := range invariant.Check(c.sys, nss, c.st) {
		c.problem("invariant broken: %v", err)
	}
	c.checkPosture()
	c.checkKernelLog()
	for _, name := range testparams.List(c.params["verify"]) {
		c.verify(name)
	}
	for _, name := range testparams.List(c.params["write"]) {
		c.write(name)
	}
	c.printFingerprints(nss)
}

func (c *checker) entry(name string) (status.Entry, bool) {
	e := c.st.Find(name)
	if e == nil {
		c.problem("%s: not in status.json", name)
		return status.Entry{}, false
	}
	return *e, true
}

func (c *checker) data(name string) []byte {
	return knowndata.Bytes(c.params["seed"] + "/" + name)
}

func (c *checker) write(name string) {
	e, ok := c.entry(name)
	if !ok {
		return
	}
	data := c.data(name)
	if err := knowndata.Write(e, data); err != nil {
		c.problem("%v", err)
		return
	}
	fmt.Printf("ramdaxcheck: wrote %s %d %s\n", name, len(data), knowndata.Sum(data))
}

func (c *checker) verify(name string) {
	e, ok := c.entry(name)
	if !ok {
		return
	}
	want := c.data(name)
	got, err := knowndata.Read(e, len(want))
	switch {
	case err != nil:
		c.problem("%v", err)
	case got == nil:
		c.problem("%s: data lost: the data file is gone", name)
	case !bytes.Equal(got, want):
		c.problem("%s: data lost: %d bytes read back differ (sha256 %s, want %s)", name, len(got), knowndata.Sum(got), knowndata.Sum(want))
	default:
		fmt.Printf("ramdaxcheck: verified %s %d %s\n", name, len(got), knowndata.Sum(got))
	}
}

func (c *checker) printFingerprints(nss []nvdimm.Namespace) {
	for _, ns := range nss {
		p, err := invariant.Fingerprint(c.sys, &ns)
		if err != nil {
			c.problem("%v", err)
			continue
		}
		fmt.Println(invariant.FormatPrint(p))
	}
}

// checkPosture checks the safe defaults: namespace devices are root-only
// and nothing listens on the network.
func (c *checker) checkPosture() {
	for _, e := range c.st.Namespaces {
		if e.Device == "" {
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(e.Device, &st); err != nil {
			c.problem("stat %s: %v", e.Device, err)
		} else if st.Uid != 0 || st.Gid != 0 || st.Mode&0o007 != 0 {
			c.problem("%s is uid %d gid %d mode %#o; want root-only", e.Device, st.Uid, st.Gid, st.Mode&0o777)
		}
	}
	for _, l := range listeners() {
		c.problem("a network listener is open, though the command line asked for none: %s", l)
	}
}

// checkKernelLog checks that ramdaxinit's lines reached the kernel log,
// where an operator reads them later with dmesg.
func (c *checker) checkKernelLog() {
	buf := make([]byte, 1<<20)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		c.problem("read the kernel log: %v", err)
		return
	}
	if !strings.Contains(string(buf[:n]), "ramdax: "+c.st.ReadyLine()) {
		c.problem("the kernel log lacks ramdaxinit's ready line %q", c.st.ReadyLine())
	}
}

// listeners returns the listening TCP sockets and bound UDP sockets in
// /proc/net, as "file: local address".
func listeners() []string {
	var found []string
	for _, file := range []string{"tcp", "tcp6", "udp", "udp6"} {
		data, err := os.ReadFile("/proc/net/" + file)
		if err != nil {
			continue // no IPv6, say
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// TCP state 0A is LISTEN; any UDP socket is bound to receive.
			if len(f) > 3 && (f[3] == "0A" || strings.HasPrefix(file, "udp")) {
				found = append(found, file+": "+f[1])
			}
		}
	}
	return found
}
