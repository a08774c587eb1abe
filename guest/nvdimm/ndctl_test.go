//go:build vmguest

package nvdimm

import (
	"encoding/json"
	"errors"
	"os/exec"
	"testing"

	"github.com/ramdax/appliance/nvdimm"
	"golang.org/x/sys/unix"
)

// These tests cross-check against a tool no one here wrote: Debian's
// ndctl, packed into the test image with its libraries.

// ndctlNamespace is what both listings say about a namespace.
type ndctlNamespace struct {
	Dev  string `json:"dev"`
	Mode string `json:"mode"`
	Size uint64 `json:"size"`
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

func runJSON(t *testing.T, v any, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("%s %v: %v\n%s", name, args, err, exit.Stderr)
		}
		t.Fatalf("%s %v: %v", name, args, err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func ndctlList(t *testing.T) []ndctlNamespace {
	var nss []ndctlNamespace
	runJSON(t, &nss, "/bin/ndctl", "list", "-N")
	return nss
}

func ramdaxctlList(t *testing.T) []ndctlNamespace {
	var l struct {
		Namespaces []ndctlNamespace `json:"namespaces"`
	}
	runJSON(t, &l, "/bbin/ramdaxctl", "list", "--json")
	return l.Namespaces
}

func byName(t *testing.T, nss []ndctlNamespace, name string) ndctlNamespace {
	t.Helper()
	for _, ns := range nss {
		if ns.Name == name {
			return ns
		}
	}
	t.Fatalf("no namespace named %q in %+v", name, nss)
	return ndctlNamespace{}
}

func TestNdctlSeesRamdaxctlNamespaces(t *testing.T) {
	s := sysfs(t)
	for _, mode := range []string{"fsdax", "devdax", "sector", "raw"} {
		t.Run(mode, func(t *testing.T) {
			name := "ctl-" + mode
			if out, err := exec.Command("/bbin/ramdaxctl", "create-namespace", "-r", "region1", "-m", mode, "-s", "32M", "-n", name).CombinedOutput(); err != nil {
				t.Fatalf("ramdaxctl create-namespace: %v\n%s", err, out)
			}
			ours := byName(t, ramdaxctlList(t), name)
			t.Cleanup(func() { destroyByName(t, s, name) })
			theirs := byName(t, ndctlList(t), name)
			if ours != theirs {
				t.Errorf("ramdaxctl lists %+v, ndctl lists %+v", ours, theirs)
			}
		})
	}
}

func TestRamdaxctlSeesNdctlNamespaces(t *testing.T) {
	s := sysfs(t)
	for _, mode := range []string{"fsdax", "devdax"} {
		t.Run(mode, func(t *testing.T) {
			name := "ndctl-" + mode
			var made ndctlNamespace
			runJSON(t, &made, "/bin/ndctl", "create-namespace", "-r", "region1", "-m", mode, "-s", "32M", "-n", name)
			t.Cleanup(func() { destroyByName(t, s, name) })
			ours := byName(t, ramdaxctlList(t), name)
			if ours != made {
				t.Errorf("ndctl made %+v, ramdaxctl lists %+v", made, ours)
			}
		})
	}
}

// TestDestroyRefusesMountedFsdax mounts an ext4 file system with DAX on a
// namespace and checks that destroy refuses it.
func TestDestroyRefusesMountedFsdax(t *testing.T) {
	s := sysfs(t)
	ns := create(t, s, nvdimm.NamespaceSpec{Region: "region1", Mode: nvdimm.ModeFsdax, Name: "mounted", Size: 64 << 20})
	dev := s.DevicePath(ns)
	if out, err := exec.Command("/sbin/mkfs.ext4", "-q", "-F", "-b", "4096", dev).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 %s: %v\n%s", dev, err, out)
	}
	dir := t.TempDir()
	if err := unix.Mount(dev, dir, "ext4", 0, "dax"); err != nil {
		t.Fatalf("mount %s with dax: %v", dev, err)
	}
	err := s.DestroyNamespace(ns.Dev, true)
	if unmountErr := unix.Unmount(dir, 0); unmountErr != nil {
		t.Fatalf("unmount: %v", unmountErr)
	}
	if !errors.Is(err, nvdimm.ErrInUse) {
		t.Fatalf("destroying a mounted namespace: %v, want ErrInUse", err)
	}
	t.Logf("refused as it should: %v", err)
}

func destroyByName(t *testing.T, s *nvdimm.Sysfs, name string) {
	if err := s.DestroyNamespace(name, true); err != nil {
		t.Errorf("cleanup %s: %v", name, err)
	}
}
