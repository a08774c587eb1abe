package main

import (
	"os"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/network"
	"github.com/ramdax/appliance/service"
	"github.com/ramdax/appliance/status"
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

// bringUpNetwork configures the NICs as ip= asks and records the outcome
// in status.json.
func bringUpNetwork(l *logger, lay *layout.Layout, st *status.Status) {
	if lay.IP == "" {
		return
	}
	c, err := network.Parse(lay.IP, lay.BootIF)
	switch {
	case c == nil && err != nil:
		l.Printf("error: %v; the network stays down", err)
		return
	case c == nil:
		return // ip=off
	case err != nil:
		l.Printf("error: %v; going on without it", err)
	}
	ifs, err := network.Up(c)
	if err != nil {
		l.Printf("error: %v", err)
	}
	for _, i := range ifs {
		if i.Error != "" {
			l.Printf("error: network %s (%s): %s", i.Name, i.Method, i.Error)
			continue
		}
		l.Printf("network %s (%s): %s, gateway %s", i.Name, i.Method, strings.Join(i.Addresses, " "), orDash(i.Gateway))
	}
	st.Network = ifs
	writeStatus(l, st)
}
