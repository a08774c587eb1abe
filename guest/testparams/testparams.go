// Package testparams reads the ramdaxtest.* parameters that the suites put
// on a guest's kernel command line; ramdaxinit ignores them.
package testparams

import (
	"os"
	"strings"
)

// Prefix starts every test parameter.
const Prefix = "ramdaxtest."

// Read returns the test parameters of /proc/cmdline without their prefix.
func Read() (map[string]string, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, err
	}
	p := map[string]string{}
	for _, f := range strings.Fields(string(cmdline)) {
		if k, v, ok := strings.Cut(f, "="); ok && strings.HasPrefix(k, Prefix) {
			p[strings.TrimPrefix(k, Prefix)] = v
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
