// Package service runs the image's own programs under ramdaxinit, the
// way gokrazy supervises its packages: each one is started once setup is
// ready, in the order the image declares them, started again after a
// growing pause when it exits non-zero, and left alone once it exits 0.
// Their output goes to the console and the kernel log, one prefixed line
// at a time, and their state to status.json.
package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"time"
)

// ConfigFile is where the image lists its services, written by the image
// build from SERVICES= and SERVICES_CONFIG=.
const ConfigFile = "/etc/ramdax/services.json"

// Config is one service as the image declares it.
type Config struct {
	// Name is the command's name: the last element of its package path.
	Name string `json:"name"`
	// Path is the program to run, a link to the busybox.
	Path string   `json:"path"`
	Args []string `json:"args,omitempty"`
	// Env holds KEY=VALUE pairs added to ramdaxinit's environment.
	Env []string `json:"env,omitempty"`
}

// Settings are what SERVICES_CONFIG gives a service: its arguments and
// environment, by name.
type Settings struct {
	Args []string `json:"args,omitempty"`
	Env  []string `json:"env,omitempty"`
}

// Declare returns the image's services for the command packages pkgs, in
// order, with the settings of each by name. A setting for a service that
// is not in pkgs is an error: it is most likely a typo.
func Declare(pkgs []string, settings map[string]Settings) ([]Config, error) {
	var out []Config
	seen := map[string]bool{}
	for _, pkg := range pkgs {
		name := path.Base(pkg)
		if seen[name] {
			return nil, fmt.Errorf("SERVICES: two commands named %q: a busybox holds one command of each name", name)
		}
		seen[name] = true
		s := settings[name]
		out = append(out, Config{Name: name, Path: "/bbin/" + name, Args: s.Args, Env: s.Env})
	}
	for name := range settings {
		if !seen[name] {
			return nil, fmt.Errorf("SERVICES_CONFIG: %q is not one of SERVICES (%v)", name, pkgs)
		}
	}
	return out, nil
}

// ReadSettings reads a SERVICES_CONFIG file: a JSON object of Settings by
// service name.
func ReadSettings(file string) (map[string]Settings, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("SERVICES_CONFIG: %w", err)
	}
	var s map[string]Settings
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("SERVICES_CONFIG %s: %w; want {\"NAME\": {\"args\": [...], \"env\": [\"KEY=VALUE\"]}}", file, err)
	}
	return s, nil
}

// Load reads the services an image declares. An image without services
// has no file: that is no error.
func Load(file string) ([]Config, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	var cs []Config
	if err := json.Unmarshal(data, &cs); err != nil {
		return nil, fmt.Errorf("services %s: %w", file, err)
	}
	return cs, nil
}

// Backoff is the pause before a program is started again: Floor after a
// run that lasted a while, and doubling from a second after each one
// that did not, up to a minute. The console shells use it with no floor.
type Backoff struct {
	Floor time.Duration
	last  time.Duration
}

const (
	// ShortLived is how long a run must last to count as a good one.
	ShortLived   = 5 * time.Second
	maxPause     = time.Minute
	initialPause = time.Second
)

// Next returns the pause after a run that lived for lived.
func (b *Backoff) Next(lived time.Duration) time.Duration {
	switch {
	case lived >= ShortLived:
		b.last = b.Floor
	case b.last < initialPause:
		b.last = initialPause
	default:
		b.last = min(2*b.last, maxPause)
	}
	return b.last
}
