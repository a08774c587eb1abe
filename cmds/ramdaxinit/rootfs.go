package main

import (
	"fmt"
	"os"

	"github.com/u-root/u-root/pkg/mount"
	"golang.org/x/sys/unix"
)

// earlyMount is a file system PID 1 mounts before setup.
type earlyMount struct {
	source, target, fsType, opts string
	flags                        uintptr
	// ifPresent skips the mount when the kernel did not make its mount
	// point: it makes /sys/kernel/security, /sys/kernel/debug and
	// /sys/firmware/efi/efivars only when it has the file system (and,
	// for efivarfs, booted from UEFI).
	ifPresent bool
}

// earlyMounts are what the setup, the shells, the services and an OS
// switched to expect, in order: each after the mount it lies in.
//
// u-root's libinit.CreateRootfs does this job but does not fit: it also
// makes u-root's build directories (/buildbin, /ubin, /go/...), copies
// /etc into a tmpfs and mounts cgroups, none of which the appliance uses,
// and it links u-root's module loader, whose decompressors' package
// initialisers ran at every boot.
var earlyMounts = []earlyMount{
	{source: "devtmpfs", target: "/dev", fsType: "devtmpfs"},
	{source: "proc", target: "/proc", fsType: "proc"},
	{source: "sysfs", target: "/sys", fsType: "sysfs"},
	// /run is a tmpfs of its own, as an OS expects it, so that
	// switch_root carries it, and status.json, into the new root.
	{source: "tmpfs", target: "/run", fsType: "tmpfs", opts: "mode=755", flags: unix.MS_NOSUID | unix.MS_NODEV},
	{source: "tmpfs", target: "/tmp", fsType: "tmpfs"},
	// newinstance: /dev/ptmx must then be a link to /dev/pts/ptmx.
	{source: "devpts", target: "/dev/pts", fsType: "devpts", opts: "newinstance,ptmxmode=666,gid=5,mode=620"},
	{source: "tmpfs", target: "/dev/shm", fsType: "tmpfs"},
	{source: "securityfs", target: "/sys/kernel/security", fsType: "securityfs", ifPresent: true},
	{source: "efivarfs", target: "/sys/firmware/efi/efivars", fsType: "efivarfs", ifPresent: true},
	{source: "debugfs", target: "/sys/kernel/debug", fsType: "debugfs", ifPresent: true},
}

// createRootfs mounts earlyMounts and sets the environment the shells
// and services get. It goes on past a failure, which it logs to the
// console: a console needs as much of the rest as it can get.
func createRootfs() {
	os.Setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin:/bbin")
	os.Setenv("USER", "root")
	for _, err := range mountEarly(earlyMounts) {
		fmt.Fprintf(os.Stderr, "%s%v\n", logPrefix, err)
	}
	// The devpts instance is new, so /dev/ptmx becomes a link to its
	// ptmx, in place of the node devtmpfs made, as libinit did.
	os.Remove("/dev/ptmx")
	if err := os.Symlink("/dev/pts/ptmx", "/dev/ptmx"); err != nil {
		fmt.Fprintf(os.Stderr, "%s%v\n", logPrefix, err)
	}
}

// mountEarly mounts ms in order, making each mount point first unless it
// is one the kernel makes, and returns what failed.
func mountEarly(ms []earlyMount) []error {
	var errs []error
	for _, m := range ms {
		if m.ifPresent {
			if _, err := os.Stat(m.target); err != nil {
				continue
			}
		} else if err := os.MkdirAll(m.target, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := mount.Mount(m.source, m.target, m.fsType, m.opts, m.flags); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// loopbackUp brings lo up, for the services and the shell; the kernel
// gives it 127.0.0.1 and ::1 itself. It uses the interface ioctls, so that
// /init links no netlink library.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring the loopback up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err == nil {
		err = unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr)
	}
	if err == nil {
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		err = unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
	}
	if err != nil {
		return fmt.Errorf("bring the loopback up: %w", err)
	}
	return nil
}
