// Package testparams reads the ramdaxtest.* parameters that the suites put
// on a guest's kernel command line; ramdaxinit ignores them.
package testparams

import (
	"strings"

	"github.com/ramdax/appliance/guest"
)

// Prefix starts every test parameter.
const Prefix = "ramdaxtest."

// Read returns the test parameters of /proc/cmdline without their prefix.
func Read() (map[string]string, error) {
	all, err := guest.Params()
	if err != nil {
		return nil, err
	}
	p := map[string]string{}
	for k, v := range all {
		if name, ok := strings.CutPrefix(k, Prefix); ok {
			p[name] = v
		}
	}
	return p, nil
}

// List splits a comma-separated value; "" is the empty list.
func List(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
