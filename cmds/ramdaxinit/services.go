package main

import (
	"os"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/service"
	"github.com/ramdax/appliance/status"
)

// startServices starts the image's services, with the arguments
// ramdax.svc.NAME= adds, and keeps status.json and the metrics up to date
// with their states. It returns nil when there is nothing to run.
func startServices(l *logger, lay *layout.Layout, st *status.Status) *service.Supervisor {
	cs, err := service.Load(service.ConfigFile)
	if err != nil {
		l.Printf("error: %v", err)
	}
	if len(cs) == 0 && len(lay.ServiceArgs) == 0 {
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
	s.Start(cs, lay.ServiceArgs)
	return s
}
