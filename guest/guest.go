// Package guest is the in-guest side of the vmtest harness: a test that
// vmtest.RunGuestTests runs inside the appliance finds the namespaces of
// its layout by name here, as ramdaxinit recorded them in
// /run/ramdax/status.json, and reads the parameters its host side put on
// the kernel command line.
//
// The folders below hold this project's own in-guest programs: its guest
// test suites (appliance, kernel, nvdimm), the uinit that runs test
// binaries (guestrun), and the checkers and benchmarks the suites boot.
package guest

import (
	"fmt"
	"os"
	"strings"

	"github.com/ramdax/appliance/status"
)

// Status reads the outcome of this boot's setup.
func Status() (*status.Status, error) { return status.Read(status.File) }

// Namespace returns the namespace called name as ramdaxinit left it: its
// mode, size, device (/dev/pmemN, /dev/daxN.M or /dev/pmemNs), mount
// point and state. It is an error when the layout has no such namespace
// or ramdaxinit could not set it up.
func Namespace(name string) (status.Entry, error) {
	st, err := Status()
	if err != nil {
		return status.Entry{}, err
	}
	e := st.Find(name)
	switch {
	case e == nil:
		return status.Entry{}, fmt.Errorf("namespace %q: not in %s; is it in the WithLayout layout?", name, status.File)
	case e.State == status.Failed || e.State == status.Skipped:
		return *e, fmt.Errorf("namespace %q: %s: %s", name, e.State, e.Detail)
	}
	return *e, nil
}

// Param returns the value of key=value on the kernel command line, for
// tests whose host side passes its own parameters with vmtest.WithCmdline.
func Param(key string) (string, bool, error) {
	params, err := Params()
	v, ok := params[key]
	return v, ok, err
}

// Params returns every key=value parameter of the kernel command line.
func Params() (map[string]string, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, err
	}
	p := map[string]string{}
	for _, f := range strings.Fields(string(cmdline)) {
		if k, v, ok := strings.Cut(f, "="); ok {
			p[k] = v
		}
	}
	return p, nil
}
