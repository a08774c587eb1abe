package nvdimm

import "strings"

// freshReads remembers the last whole read of each namespace, so that a
// listing reads again only the namespaces a write through s may have
// changed since. Nothing but such a write changes what sysfs shows of a
// namespace once its probes have finished: the kernel keeps it in memory
// and never reads the labels again while the bus is bound.
//
// A write is matched to the namespaces it can change: an attribute of
// the namespace, a bind or unbind of it, or the same of the pfn, dax or
// btt device that claims it. A write elsewhere (the platform device, the
// dax bus) may change anything, and drops every read.
type freshReads struct {
	read    map[string]readAt // namespace → its last whole read
	changed map[string]int    // namespace → the write that last changed it
	claims  map[string]string // pfn, dax or btt device → the namespace it was given
}

// readAt is a namespace as read, and how many writes had been made then.
type readAt struct {
	ns     Namespace
	writes int
}

// remember keeps ns as read after writes writes.
func (f *freshReads) remember(ns *Namespace, writes int) {
	if f.read == nil {
		f.read = map[string]readAt{}
	}
	f.read[ns.Dev] = readAt{*ns, writes}
}

// lookup returns dev's last read when no write changed it since.
func (f *freshReads) lookup(dev string) (*Namespace, bool) {
	r, ok := f.read[dev]
	if !ok || r.writes < f.changed[dev] {
		return nil, false
	}
	ns := r.ns
	return &ns, true
}

// forgetAll drops every read.
func (f *freshReads) forgetAll() {
	f.read, f.changed, f.claims = nil, nil, nil
}

// wrote records the write number n of value to rel, a path relative to
// the sysfs root.
func (f *freshReads) wrote(rel, value string, n int) {
	parts := strings.Split(rel, "/")
	switch {
	case len(parts) == 5 && parts[0] == "bus" && parts[1] == "nd" && parts[2] == "devices":
		dev, attr := parts[3], parts[4]
		if attr == "namespace" {
			f.claim(dev, value)
			f.change(value, n)
		}
		f.change(dev, n)
	case len(parts) == 5 && parts[0] == "bus" && parts[1] == "nd" && parts[2] == "drivers" &&
		(parts[4] == "bind" || parts[4] == "unbind"):
		f.change(value, n)
	default:
		f.forgetAll()
	}
}

// claim records that the pfn, dax or btt device dev was given the
// namespace ns ("" when it gives its namespace up).
func (f *freshReads) claim(dev, ns string) {
	if f.claims == nil {
		f.claims = map[string]string{}
	}
	if old := f.claims[dev]; old != "" && ns == "" {
		return // the namespace it held stays changed by this write below
	}
	f.claims[dev] = ns
}

// change marks what the write number n to or of the nd device dev may
// have changed: dev itself when it is a namespace; for a pfn, dax or btt
// device, the namespaces it was given or is seen claiming; anything, for
// a region, DIMM or bus.
func (f *freshReads) change(dev string, n int) {
	switch {
	case dev == "":
		return
	case isNamed(dev, "namespace"):
		f.mark(dev, n)
	case isClaimDevice(dev):
		f.mark(f.claims[dev], n)
		for ns, r := range f.read {
			if r.ns.Holder == dev {
				f.mark(ns, n)
			}
		}
	default:
		f.forgetAll()
	}
}

func (f *freshReads) mark(ns string, n int) {
	if ns == "" {
		return
	}
	if f.changed == nil {
		f.changed = map[string]int{}
	}
	f.changed[ns] = n
}

// isClaimDevice says whether dev is a pfn, dax or btt device of the nd
// bus.
func isClaimDevice(dev string) bool {
	return isNamed(dev, "pfn") || isNamed(dev, "dax") || isNamed(dev, "btt")
}

// isNamed says whether dev is prefix followed by its number.
func isNamed(dev, prefix string) bool {
	return strings.HasPrefix(dev, prefix) && isDeviceName(dev, prefix)
}
