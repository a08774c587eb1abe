package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/ramdax/appliance/vmtest/guest/testparams"
	"golang.org/x/sys/unix"
)

// The soak's namespaces are small and take every mode in turn; between
// minSoak and maxSoak of them exist at any time.
const (
	soakSize = "16M"
	minSoak  = 2
	maxSoak  = 6
)

var soakModes = []string{"raw", "sector", "devdax", "fsdax"}

// nextSoakCycle ends soak cycle "K/N": it adds or removes one namespace
// and kexecs into the same kernel and image with the command line of
// cycle K+1, which writes the data of an added namespace and verifies all
// others. It returns only if that fails.
func (c *checker) nextSoakCycle(soak string) {
	k, n, err := parseCycle(soak)
	if err != nil {
		c.problem("ramdaxtest.soak=%s: %v", soak, err)
		return
	}
	if k >= n {
		fmt.Printf("ramdaxcheck: soak done: %d cycles, %d namespaces left\n", n, len(soakNames()))
		return
	}
	next, change, err := c.soakStep(k)
	if err != nil {
		c.problem("soak cycle %d: %v", k, err)
		return
	}
	next = append(next, fmt.Sprintf("%ssoak=%d/%d", testparams.Prefix, k+1, n))
	fmt.Printf("ramdaxcheck: soak cycle %d/%d: %s; kexec\n", k, n, change)
	unix.Sync()
	kexec := exec.Command("/bbin/kexec", "-c", strings.Join(next, " "), "-i", "/boot/initramfs.cpio", "/boot/kernel")
	kexec.Stdout, kexec.Stderr = os.Stdout, os.Stderr
	if err := kexec.Run(); err != nil {
		c.problem("kexec: %v", err)
	}
}

func parseCycle(s string) (k, n int, err error) {
	ks, ns, ok := strings.Cut(s, "/")
	if k, err = strconv.Atoi(ks); err == nil && ok {
		n, err = strconv.Atoi(ns)
	}
	if err != nil || !ok {
		return 0, 0, fmt.Errorf("want K/N")
	}
	return k, n, nil
}

// soakStep makes cycle k's change and returns the next command line: a
// removal happens now, through the library as an operator's ramdaxctl
// would; an addition happens at the next boot, by ramdaxinit.
func (c *checker) soakStep(k int) (cmdline []string, change string, err error) {
	seed, _ := strconv.ParseInt(c.params["seed"], 10, 64)
	rng := rand.New(rand.NewSource(seed*1000 + int64(k)))
	names := soakNames()
	cmdline = keptArgs()
	if len(names) >= maxSoak || len(names) > minSoak && rng.Intn(2) == 0 {
		gone := names[rng.Intn(len(names))]
		if err := c.sys.DestroyNamespace(gone, false); err != nil {
			return nil, "", err
		}
		names = slices.DeleteFunc(names, func(s string) bool { return s == gone })
		change = "removed " + gone
	} else {
		added := fmt.Sprintf("s%d", k+1)
		mode := soakModes[(k+1)%len(soakModes)]
		cmdline = append(cmdline, fmt.Sprintf("ramdax.ns=%s:%s:%s", added, mode, soakSize), testparams.Prefix+"write="+added)
		change = fmt.Sprintf("added %s (%s)", added, mode)
	}
	for _, name := range names {
		cmdline = append(cmdline, c.soakNamespaceArg(name))
	}
	return append(cmdline, testparams.Prefix+"verify="+strings.Join(names, ",")), change, nil
}

// soakNamespaceArg is the ramdax.ns= parameter name has on this boot.
func (c *checker) soakNamespaceArg(name string) string {
	for _, f := range cmdlineFields() {
		if strings.HasPrefix(f, "ramdax.ns="+name+":") {
			return f
		}
	}
	return "ramdax.ns=" + name + ":raw:" + soakSize
}

// soakNames are the soak's namespaces on this boot's command line.
func soakNames() []string {
	var names []string
	for _, f := range cmdlineFields() {
		if v, ok := strings.CutPrefix(f, "ramdax.ns=s"); ok {
			names = append(names, "s"+strings.SplitN(v, ":", 2)[0])
		}
	}
	return names
}

// keptArgs is this boot's command line without the soak's namespaces and
// the per-cycle test parameters, which the next cycle sets anew.
func keptArgs() []string {
	var kept []string
	for _, f := range cmdlineFields() {
		switch {
		case strings.HasPrefix(f, "ramdax.ns=s"),
			strings.HasPrefix(f, testparams.Prefix+"write="),
			strings.HasPrefix(f, testparams.Prefix+"verify="),
			strings.HasPrefix(f, testparams.Prefix+"soak="):
			continue
		}
		kept = append(kept, f)
	}
	return kept
}

func cmdlineFields() []string {
	b, _ := os.ReadFile("/proc/cmdline")
	return strings.Fields(string(b))
}
