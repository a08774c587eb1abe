package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ramdax/appliance/apply"
	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/rootdev"
	"github.com/ramdax/appliance/status"
	"github.com/u-root/u-root/pkg/mount"
	"golang.org/x/sys/unix"
)

// newRoot is where the root to switch to is mounted.
const newRoot = "/newroot"

// The bounds on the wait for a root device: by default, and for rootwait
// without a value, which the kernel takes as forever.
const (
	defaultRootWait = 30 * time.Second
	longRootWait    = 5 * time.Minute
)

// switchRootTo mounts the root= names, moves the namespaces' mounts, /dev
// (with the /dev/ramdax names), /proc, /sys and /run (with status.json)
// under it, and runs its init. It only returns on failure, having
// unmounted nothing it did not mount.
func switchRootTo(l *logger, lay *layout.Layout, st *status.Status) error {
	if lay.Root == "" {
		return errors.New("no root= on the command line")
	}
	device, err := rootDevice(l, lay)
	if err != nil {
		return err
	}
	opts := lay.RootOptions
	fstype := opts.FSType
	if fstype == "" {
		if fstype, err = (apply.Disk{}).Detect(device); err != nil || fstype == "" {
			return fmt.Errorf("root %s holds no ext4 or xfs file system (%v); name another with rootfstype=", device, err)
		}
	}
	init := opts.Init
	if init == "" {
		init = "/sbin/init"
	}
	// A disk root is mounted read-only unless rw is given, as the kernel
	// mounts one; the appliance's own namespace read-write unless ro is.
	_, ours := lay.RootNamespace()
	rw := opts.Access == "rw" || ours && opts.Access == ""
	if err := mountRoot(device, fstype, opts.Flags, rw); err != nil {
		return err
	}
	if err := existsIn(newRoot, init); err != nil {
		unix.Unmount(newRoot, 0)
		return fmt.Errorf("root %s has no %s (%v); name its init with init=", device, init, err)
	}
	carryMounts(l, st)
	l.Printf("switch_root to %s (%s, %s), exec %s", device, fstype, rwWord(rw), init)
	drainConsole()
	return mount.SwitchRoot(newRoot, init)
}

// rootDevice resolves root=: root=ramdax:NAME is the fsdax namespace NAME;
// any other form is waited for, rootdelay= first, then up to rootwait=.
func rootDevice(l *logger, lay *layout.Layout) (string, error) {
	if name, ok := lay.RootNamespace(); ok {
		sys := nvdimm.New("/sys")
		ns, err := sys.FindNamespace(name)
		if err != nil {
			return "", fmt.Errorf("root=%s: %w", lay.Root, err)
		}
		return sys.DevicePath(ns), nil
	}
	spec, err := rootdev.Parse(lay.Root)
	if err != nil {
		return "", err
	}
	opts := lay.RootOptions
	if opts.Delay > 0 {
		l.Printf("rootdelay: waiting %v before looking for root=%s", opts.Delay, spec)
		time.Sleep(opts.Delay)
	}
	wait := defaultRootWait
	switch {
	case opts.Wait < 0:
		wait = longRootWait
	case opts.Wait > 0:
		wait = opts.Wait
	}
	return rootdev.Find(spec, wait)
}

// mountRoot mounts device on newRoot with the rootflags= data.
func mountRoot(device, fstype, data string, rw bool) error {
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	var flags uintptr
	if !rw {
		flags = unix.MS_RDONLY
	}
	if _, err := mount.Mount(device, newRoot, fstype, data, flags); err != nil {
		return fmt.Errorf("mount %s (%s, rootflags=%q) on %s: %w", device, fstype, data, newRoot, err)
	}
	return nil
}

// carryMounts moves each namespace's mount to the same path under the
// new root. One whose mount point the new root lacks, and cannot make
// (a read-only root), stays behind, still mounted, and is reported.
func carryMounts(l *logger, st *status.Status) {
	for _, e := range st.Namespaces {
		if e.Mount == "" {
			continue
		}
		target := filepath.Join(newRoot, e.Mount)
		err := os.MkdirAll(target, 0o755)
		if err == nil {
			err = mount.MoveMount(e.Mount, target)
		}
		if err != nil {
			l.Printf("error: %s: cannot carry its mount %s into the new root: %v; create the directory there", e.Name, e.Mount, err)
			continue
		}
		l.Printf("%s: mount %s carried into the new root", e.Name, e.Mount)
	}
}

// existsIn says whether path exists in the tree at root, following
// symbolic links as if root were /: /sbin/init is often a link to an
// absolute path.
func existsIn(root, path string) error {
	for range 16 {
		full := filepath.Join(root, path)
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return nil
		}
		target, err := os.Readlink(full)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(target, "/") {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return errors.New("too many levels of symbolic links")
}

func rwWord(rw bool) string {
	if rw {
		return "read-write"
	}
	return "read-only"
}
