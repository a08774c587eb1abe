package vmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hugelgupf/vmtest/testtmp"
)

// testNet is a network of a test's own: a network namespace holding a
// bridge with an address and tap devices on the bridge for guests. It has
// no link to the host's network, so nothing served or sent in it leaves
// it. It is deleted, with its devices, when the test ends, pass or fail.
type testNet struct {
	Name   string // the namespace, for `ip netns exec`
	Bridge string
}

// netnsPrefix starts the names of the namespaces tests make; the test
// binary's pid follows, so that a later run can tell leftovers.
const netnsPrefix = "ramdax-test-"

// newTestNet makes a namespace with a bridge at addr (CIDR) and one tap
// device on it per name in taps.
func newTestNet(t *testing.T, addr string, taps ...string) *testNet {
	t.Helper()
	sweepStaleNetns(t)
	n := &testNet{Name: fmt.Sprintf("%s%d-%d", netnsPrefix, os.Getpid(), time.Now().UnixNano()%1e6), Bridge: "br0"}
	runIP(t, "netns", "add", n.Name)
	t.Cleanup(func() { deleteNetns(t, n.Name) })
	runIP(t, "-n", n.Name, "link", "set", "lo", "up")
	runIP(t, "-n", n.Name, "link", "add", n.Bridge, "type", "bridge")
	runIP(t, "-n", n.Name, "addr", "add", addr, "dev", n.Bridge)
	runIP(t, "-n", n.Name, "link", "set", n.Bridge, "up")
	for _, tap := range taps {
		runIP(t, "-n", n.Name, "tuntap", "add", "dev", tap, "mode", "tap")
		runIP(t, "-n", n.Name, "link", "set", tap, "master", n.Bridge, "up")
	}
	return n
}

func runIP(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// deleteNetns kills what still runs in the namespace, which only this
// test binary started there, then deletes it: a namespace with a process
// in it outlives `ip netns del`.
func deleteNetns(t testing.TB, name string) {
	out, _ := exec.Command("ip", "netns", "pids", name).Output()
	for _, field := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(field); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		t.Errorf("delete network namespace %s: %v: %s", name, err, out)
	}
}

// sweepStaleNetns deletes the namespaces of test binaries that died
// before their cleanup ran, killed by a timeout or by hand.
func sweepStaleNetns(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v (iproute2 missing? run `make deps`)", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		pidText, _, ok := strings.Cut(strings.TrimPrefix(name, netnsPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if !strings.HasPrefix(name, netnsPrefix) || !ok || err != nil || processAlive(pid) {
			continue
		}
		t.Logf("deleting network namespace %s, left by test process %d", name, pid)
		deleteNetns(t, name)
	}
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) != syscall.ESRCH
}

// startDnsmasq runs Debian's dnsmasq in the namespace with the
// configuration file conf, and returns once it serves. Its log, DHCP
// and TFTP included, is printed when the test fails. dnsmasq dies with
// the test binary.
func (n *testNet) startDnsmasq(t *testing.T, conf string) {
	t.Helper()
	dir := testtmp.TempDir(t)
	logPath := filepath.Join(dir, "dnsmasq.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("ip", "netns", "exec", n.Name, "dnsmasq", "--keep-in-foreground",
		"--conf-file="+conf, "--log-facility="+logPath, "--log-dhcp",
		// Test files, not the system's: the leases, the pid.
		"--dhcp-leasefile="+filepath.Join(dir, "leases"), "--pid-file="+filepath.Join(dir, "dnsmasq.pid"),
		// The files served are in the test's private temporary directory,
		// which the dnsmasq user cannot read.
		"--user=root", "--group=root")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dnsmasq: %v (run `make deps`)", err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("dnsmasq log kept in %s:\n%s", logPath, log)
		}
	})
	if !waitForLog(logPath, "TFTP root is", exited) {
		select {
		case <-exited:
			t.Fatalf("dnsmasq exited before serving: %v", exitErr)
		default:
			t.Fatalf("dnsmasq did not start serving in time")
		}
	}
}

// waitForLog waits until the file at path holds want, and reports
// whether it did before the process writing it exited or a while passed.
func waitForLog(path, want string, exited <-chan struct{}) bool {
	deadline := time.After(Timeout(10 * time.Second))
	for {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return true
		}
		select {
		case <-exited:
			return false
		case <-deadline:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}
