package apply

import (
	"fmt"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
	"github.com/ramdax/appliance/reconcile"
	"github.com/ramdax/appliance/status"
)

// filesystem makes the file system fs= asks on device when its content is
// this boot's to make, and mounts it where mount= asks. fresh: the
// namespace was created or completed now. uuid is the namespace's own,
// which its format-pending mark names.
//
// A kept namespace is formatted only while it carries the mark: its mkfs
// was cut short. Otherwise it must already hold the file system fs= names;
// anything else, another file system, a damaged one or raw data, is an
// error, and the namespace is left as it is: not formatted, not mounted.
func (a *Applier) filesystem(want *layout.Namespace, device, uuid string, fresh bool, e *status.Entry) error {
	if want.FS != "" {
		format := fresh
		if !fresh {
			pending, err := a.Media.FormatPending(device, uuid)
			if err != nil {
				return err
			}
			if pending {
				a.Log.Printf("%s: its file system was still to be made when an earlier boot stopped: making it now", want.Name)
			}
			format = pending
		}
		if format {
			if err := a.Media.Mkfs(want.FS, device); err != nil {
				return err
			}
			a.Log.Printf("%s: made %s on %s", want.Name, want.FS, device)
		}
	}
	have, err := a.Media.Detect(device)
	if err != nil {
		return err
	}
	if err := checkContent(want, device, have); err != nil {
		return err
	}
	if want.Mount == "" {
		return nil
	}
	if err := a.Media.Mount(device, want.Mount, have); err != nil {
		return err
	}
	e.Mount = want.Mount
	a.Log.Debugf("%s: mounted %s on %s with dax", want.Name, device, want.Mount)
	return nil
}

// checkContent says what is wrong when device, holding the file system
// have ("" for none), is not what want asks to mount.
func checkContent(want *layout.Namespace, device, have string) error {
	keep := fmt.Sprintf("left as it is, not formatted and not mounted; to start it empty, add ramdax.reset=%s", want.Name)
	switch {
	case have == "" && want.FS == "":
		return fmt.Errorf("%s holds no file system to mount: %s with fs=ext4 or fs=xfs", device, keep)
	case have == "":
		return fmt.Errorf("%s holds no %s file system (ramdaxinit formats only a namespace it creates): %s", device, want.FS, keep)
	case want.FS != "" && have != want.FS:
		return fmt.Errorf("%s holds %s, not the %s that fs= asks: %s, or ask fs=%s", device, have, want.FS, keep, have)
	}
	return nil
}

// entryFor starts an entry from what is asked, or found when nothing is.
func entryFor(s reconcile.Step) status.Entry {
	e := status.Entry{Name: s.Name}
	if s.Want != nil {
		e.Mode, e.Size = string(s.Want.Mode), s.Want.Size
	}
	if s.Size != 0 {
		e.Size = s.Size
	}
	if s.Have != nil && s.Want == nil {
		e.Mode = string(s.Have.Mode)
	}
	if s.Have != nil {
		e.Size, e.Dev, e.UUID = s.Have.Size, s.Have.Dev, s.Have.UUID
	}
	return e
}

// fill records in e what the kernel shows of ns: status.json describes
// what exists, even for a conflict, whose detail says what was asked.
func fill(e *status.Entry, sys *nvdimm.Sysfs, ns *nvdimm.Namespace) {
	e.Dev, e.UUID, e.Size, e.Device = ns.Dev, ns.UUID, ns.Size, sys.DevicePath(ns)
	e.Mode = ns.Personality()
}
