package layout

import (
	"fmt"
	"strings"

	"github.com/ramdax/appliance/bootconfig"
)

// BootconfigFile is where an image for a kernel without CONFIG_BOOT_CONFIG,
// such as Debian's, carries its bootconfig: that kernel does not take one
// from the end of the initrd, so ramdaxinit reads this file itself.
const BootconfigFile = "/etc/ramdax/bootconfig"

// ParseWithBootconfig reads the layout from a command line and from the
// ramdax keys of a bootconfig, for layouts larger than a command line
// holds. source names the bootconfig in errors, like "bootconfig" or
// "bootconfig /etc/ramdax/bootconfig".
//
// The keys have the command line's grammar: ramdax.ns is an array of the
// same strings, and ramdax.reset, ramdax.then and ramdax.debug take the
// same values. memmap= and root= stay on the command line. The two
// sources combine:
//   - namespaces and resets add up, the command line's first;
//   - a namespace declared the same way in both counts once;
//   - a name declared differently in the two is an error naming both, and
//     neither is set up;
//   - ramdax.then or ramdax.debug set differently in the two is an error;
//     the appliance then starts a shell, with debug output on.
func ParseWithBootconfig(cmdline, source string, kvs []bootconfig.KeyValue) (*Layout, error) {
	return parse(append(splitArgs(cmdline), bootconfigArgs(source, kvs)...))
}

// bootconfigArgs turns each value of each ramdax key into the parameter
// it would be on the command line, noting where it came from.
func bootconfigArgs(source string, kvs []bootconfig.KeyValue) []arg {
	var args []arg
	for _, kv := range kvs {
		if !strings.HasPrefix(kv.Key, "ramdax.") {
			continue
		}
		// A key alone, listed by the kernel as key = "", is a parameter
		// without a value, like ramdax.debug.
		if len(kv.Values) == 0 || len(kv.Values) == 1 && kv.Values[0].Text == "" {
			args = append(args, arg{param: kv.Key, source: source})
			continue
		}
		for i, v := range kv.Values {
			args = append(args, arg{param: kv.Key, value: v.Text, hasValue: true, source: valueSource(source, v.Line, i, len(kv.Values))})
		}
	}
	return args
}

// valueSource is where one value was written: its line when known, else
// its place in the array.
func valueSource(source string, line, i, n int) string {
	switch {
	case line > 0:
		return fmt.Sprintf("%s line %d", source, line)
	case n > 1:
		return fmt.Sprintf("%s, value %d of %d", source, i+1, n)
	}
	return source
}
