package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"time"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/service"
	"github.com/ramdax/appliance/status"
	"golang.org/x/sys/unix"
)

// startServices brings the network up when ip= asks, then starts the
// image's services with the arguments ramdax.svc.NAME= adds, and keeps
// status.json and the metrics up to date with their states. It returns
// the supervisor at once, for the reaper, and does the rest in the
// background: the console shell never waits for a DHCP server. It
// returns nil when there is nothing to do.
func startServices(l *logger, lay *layout.Layout, st *status.Status) *service.Supervisor {
	cs, err := service.Load(service.ConfigFile)
	if err != nil {
		l.Printf("error: %v", err)
	}
	if len(cs) == 0 && len(lay.ServiceArgs) == 0 && lay.IP == "" {
		return nil
	}
	s := &service.Supervisor{
		Logf: l.Printf,
		Env:  os.Environ(),
		Changed: func(states []status.Service) {
			st.Services = states
			writeStatus(l, st)
		},
	}
	go func() {
		bringUpNetwork(l, lay, st)
		s.Start(cs, lay.ServiceArgs)
	}()
	return s
}

// netCommand brings the NICs up as ip= asks: a busybox command, so that
// /init does not link the DHCP client and netlink.
const netCommand = "/bbin/ramdaxnet"

// netTimeout bounds ramdaxnet, whose own waits (network/up.go) add up to
// 50 s: for the NICs, their links and DHCP.
const netTimeout = time.Minute

// bringUpNetwork configures the NICs as ip= asks and records the outcome
// in status.json.
func bringUpNetwork(l *logger, lay *layout.Layout, st *status.Status) {
	if lay.IP == "" {
		return
	}
	args := []string{"-ip", lay.IP}
	if lay.BootIF != "" {
		args = append(args, "-bootif", lay.BootIF)
	}
	var out bytes.Buffer
	err := runLogged(l, netTimeout, &out, netCommand, args...)
	var exit *exec.ExitError
	switch {
	case errors.Is(err, unix.ECHILD):
		// PID 1's reaper took its exit first; what it did is on stdout.
	case errors.As(err, &exit) && exit.Exited():
		l.Debugf("%v", err) // it has logged why, and printed what it did
	case err != nil:
		l.Printf("error: %v; the network stays down", err)
		return // it did not start, or was stopped: no outcome to read
	}
	var ifs []status.Interface
	if err := json.Unmarshal(out.Bytes(), &ifs); err != nil {
		l.Printf("error: %s: read its outcome: %v", netCommand, err)
		return
	}
	if len(ifs) > 0 {
		st.Network = ifs
		writeStatus(l, st)
	}
}
