//go:build ramdaxprofile

package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// With -tags ramdaxprofile, ramdaxinit profiles its CPU from its package
// initialisers to the ready line and prints the profile, base64, between
// two marker lines on the console: a developer's view of where setup's
// own time goes, under emulation too. go tool pprof reads it.
func init() {
	var buf bytes.Buffer
	// The default 100 Hz gives too few samples of a setup under a second;
	// the rate set first wins, and StartCPUProfile warns that it keeps it.
	runtime.SetCPUProfileRate(1000)
	if err := pprof.StartCPUProfile(&buf); err != nil {
		fmt.Fprintf(os.Stdout, "ramdax: profile: %v\n", err)
		return
	}
	stopProfile = func() {
		pprof.StopCPUProfile()
		fmt.Fprintf(os.Stdout, "ramdax-profile-begin\n%s\nramdax-profile-end\n", base64.StdEncoding.EncodeToString(buf.Bytes()))
	}
}
