package fleet

import (
	"fmt"
	"strings"

	"github.com/ramdax/appliance/bootconfig"
)

// maxCmdline is x86's COMMAND_LINE_SIZE: the kernel keeps 2047 bytes of
// the command line and drops the rest.
const maxCmdline = 2048

// bootLayout is a layout as a node boots it: the part on the kernel
// command line and, when the whole would not fit there, the ramdax.*
// parameters as a bootconfig, served as an initrd of their own after the
// appliance's. One shared appliance initramfs then serves every node.
type bootLayout struct {
	Cmdline    string // the layout's part of the command line
	Bootconfig string // bootconfig text; empty when everything fits on the line
}

// splitLayout keeps lay on the command line when the whole line fits,
// and otherwise moves its ramdax.* parameters into a bootconfig. memmap=
// and root= stay: the kernel needs them before any initrd is read.
func splitLayout(lay string) bootLayout {
	if cmdlineLen(lay) < maxCmdline {
		return bootLayout{Cmdline: lay}
	}
	var kept []string
	var kvs []bootconfig.KeyValue
	index := map[string]int{}
	for _, p := range strings.Fields(lay) {
		key, value, hasValue := strings.Cut(p, "=")
		if !strings.HasPrefix(key, "ramdax.") {
			kept = append(kept, p)
			continue
		}
		i, seen := index[key]
		if !seen {
			i = len(kvs)
			index[key] = i
			kvs = append(kvs, bootconfig.KeyValue{Key: key})
		}
		if hasValue {
			kvs[i].Values = append(kvs[i].Values, bootconfig.Value{Text: value})
		}
	}
	return bootLayout{Cmdline: strings.Join(kept, " "), Bootconfig: bootconfig.List(kvs)}
}

// cmdlineLen is the length of the whole kernel command line of lay.
func cmdlineLen(lay string) int {
	return len(strings.Join(KernelArgs(lay), " "))
}

// BootconfigFile is the name of the bootconfig initrd of the layout with
// id (a class's, a node's own, or the default's), in the TFTP root and
// among Matchbox's assets.
func BootconfigFile(id string) string { return id + ".bconf.img" }

// layoutID is the id of the layout a node of class, or a node called
// name with a layout of its own, boots.
func layoutID(class, name string) string {
	if class != "" {
		return classID(class)
	}
	return nodeID(name)
}

// checkLength warns of a layout that goes to a bootconfig, and fails one
// whose bootconfig would be refused.
func (p *parser) checkLength(line int, entry, id, lay string) {
	n := cmdlineLen(lay)
	if n < maxCmdline {
		return
	}
	b := splitLayout(lay)
	if _, err := bootconfig.Parse(b.Bootconfig); err != nil {
		p.fail(line, entry, "the layout is %d bytes on the command line, more than the kernel's %d, and as a bootconfig: %v", n, maxCmdline-1, err)
		return
	}
	if rest := cmdlineLen(b.Cmdline); rest >= maxCmdline {
		p.fail(line, entry, "without its ramdax.* parameters the command line is still %d bytes, more than the kernel's %d; use fewer memmap= carveouts", rest, maxCmdline-1)
		return
	}
	p.warn(line, entry, fmt.Sprintf("the layout is %d bytes on the command line, more than the kernel's %d: its ramdax.* parameters are served as a bootconfig initrd, %s, loaded after the appliance's",
		n, maxCmdline-1, BootconfigFile(id)))
}
