package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/ramdax/appliance/guest/testparams"
	"github.com/u-root/mkuimage/cpio"
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
	initramfs, err := nextInitramfs()
	if err != nil {
		c.problem("soak cycle %d: %v", k, err)
		return
	}
	fmt.Printf("ramdaxcheck: soak cycle %d/%d: %s; kexec\n", k, n, change)
	unix.Sync()
	kexec := exec.Command("/bbin/kexec", "-c", strings.Join(next, " "), "-i", initramfs, bootKernel)
	kexec.Stdout, kexec.Stderr = os.Stdout, os.Stderr
	if err := kexec.Run(); err != nil {
		c.problem("kexec: %v", err)
	}
}

// The soak image carries the kernel and the image without these files.
const (
	bootKernel    = "/boot/kernel"
	bootInitramfs = "/boot/initramfs.cpio"
)

// nextInitramfs rebuilds this boot's image for the next boot: the image
// without the boot files, then an archive of the boot files, which the
// kernel unpacks after it (concatenated cpio archives are one initramfs).
func nextInitramfs() (string, error) {
	image, err := os.ReadFile(bootInitramfs)
	if err != nil {
		return "", err
	}
	kernel, err := os.ReadFile(bootKernel)
	if err != nil {
		return "", err
	}
	// Each archive must start on a 4-byte boundary.
	image = append(image, make([]byte, (4-len(image)%4)%4)...)
	const next = "/tmp/next-initramfs.cpio"
	f, err := os.Create(next)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(image); err != nil {
		return "", err
	}
	w := cpio.Newc.Writer(f)
	err = cpio.WriteRecordsAndDirs(w, []cpio.Record{
		cpio.StaticFile(bootKernel[1:], string(kernel), 0o644),
		cpio.StaticFile(bootInitramfs[1:], string(image), 0o644),
	})
	if err == nil {
		err = cpio.WriteTrailer(w)
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", next, err)
	}
	return next, f.Close()
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
		if err := c.remove(gone); err != nil {
			return nil, "", err
		}
		names = slices.DeleteFunc(names, func(s string) bool { return s == gone })
		change = "removed " + gone
	} else {
		added := fmt.Sprintf("s%d", k+1)
		mode := soakModes[(k+1)%len(soakModes)]
		spec := fmt.Sprintf("ramdax.ns=%s:%s:%s", added, mode, soakSize)
		if mode == "fsdax" {
			spec += fmt.Sprintf(":fs=ext4:mount=/mnt/%s", added)
		}
		cmdline = append(cmdline, spec, testparams.Prefix+"write="+added)
		change = fmt.Sprintf("added %s (%s)", added, mode)
	}
	for _, name := range names {
		cmdline = append(cmdline, soakNamespaceArg(name))
	}
	return append(cmdline, testparams.Prefix+"verify="+strings.Join(names, ",")), change, nil
}

// remove unmounts and destroys a namespace, as an operator would with
// umount and ramdaxctl destroy-namespace -f.
func (c *checker) remove(name string) error {
	if e := c.st.Find(name); e != nil && e.Mount != "" {
		if err := unix.Unmount(e.Mount, 0); err != nil {
			return fmt.Errorf("unmount %s: %w", e.Mount, err)
		}
	}
	return c.sys.DestroyNamespace(name, true)
}

// soakNamespaceArg is the ramdax.ns= parameter name has on this boot.
func soakNamespaceArg(name string) string {
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
