package vmtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-qemu/qmp"
)

// Monitor is QEMU's machine protocol (QMP) socket of one boot: what an
// operator does at a BMC's remote console, a test does through it, taking
// screenshots of the screen and typing on the USB keyboard.
type Monitor struct {
	socket string
	mon    *qmp.SocketMonitor
}

// NewMonitor returns a monitor for a boot that WithMonitor adds it to.
func NewMonitor(t testing.TB) *Monitor {
	// A unix socket path must stay under 108 bytes; test temp dirs can be
	// longer.
	dir, err := os.MkdirTemp("", "qmp")
	if err != nil {
		t.Fatal(err)
	}
	m := &Monitor{socket: filepath.Join(dir, "qmp.sock")}
	t.Cleanup(func() {
		if m.mon != nil {
			m.mon.Disconnect()
		}
		os.RemoveAll(dir)
	})
	return m
}

// WithMonitor serves the machine's QMP socket to mon.
func WithMonitor(mon *Monitor) Option {
	return WithQEMUArgs("-qmp", fmt.Sprintf("unix:%s,server=on,wait=off", mon.socket))
}

// connect connects on first use, when QEMU is up.
func (m *Monitor) connect() error {
	if m.mon != nil {
		return nil
	}
	mon, err := qmp.NewSocketMonitor("unix", m.socket, 10*time.Second)
	if err != nil {
		return fmt.Errorf("qmp %s: %w", m.socket, err)
	}
	if err := mon.Connect(); err != nil {
		return fmt.Errorf("qmp %s: %w", m.socket, err)
	}
	m.mon = mon
	return nil
}

// run executes one QMP command.
func (m *Monitor) run(execute string, args any) error {
	if err := m.connect(); err != nil {
		return err
	}
	cmd, err := json.Marshal(qmp.Command{Execute: execute, Args: args})
	if err != nil {
		return err
	}
	if _, err := m.mon.Run(cmd); err != nil {
		return fmt.Errorf("qmp %s: %w", execute, err)
	}
	return nil
}

// Screenshot writes the screen to a PNG file named name and returns its
// path. Screenshots are kept, pass or fail, in build/screenshots/TEST/
// of the caller's module (RepoRoot), for a person to look at what the
// test read.
func (m *Monitor) Screenshot(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "build", "screenshots", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := m.run("screendump", map[string]string{"filename": path, "format": "png"}); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return path
}

// Type types text on the USB keyboard, key by key, as a person would.
func (m *Monitor) Type(t testing.TB, text string) {
	t.Helper()
	for _, r := range text {
		keys, err := qcodes(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.run("send-key", map[string]any{"keys": keys}); err != nil {
			t.Fatalf("type %q: %v", r, err)
		}
		// send-key holds the keys for 100 ms; the next key waits for
		// their release.
		time.Sleep(150 * time.Millisecond)
	}
}

// qcodeKey is one key of QMP's send-key.
type qcodeKey struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

// qcodeNames are the keys typed without shift whose QEMU name is not the
// character itself; shifted are those typed with shift and what key.
var (
	qcodeNames = map[rune]string{' ': "spc", '\n': "ret", '-': "minus", '=': "equal", '/': "slash",
		'.': "dot", ',': "comma", ';': "semicolon", '\'': "apostrophe", '\\': "backslash"}
	shifted = map[rune]rune{'_': '-', ':': ';', '|': '\\', '"': '\'', '+': '=', '>': '.', '<': ','}
)

// qcodes returns the keys that type r on a US keyboard.
func qcodes(r rune) ([]qcodeKey, error) {
	var keys []qcodeKey
	if base, ok := shifted[r]; ok {
		keys, r = append(keys, qcodeKey{"qcode", "shift"}), base
	}
	if r >= 'A' && r <= 'Z' {
		keys, r = append(keys, qcodeKey{"qcode", "shift"}), r-'A'+'a'
	}
	name, ok := qcodeNames[r]
	switch {
	case ok:
	case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		name = string(r)
	default:
		return nil, fmt.Errorf("type %q: no key for it in the harness", r)
	}
	return append(keys, qcodeKey{"qcode", name}), nil
}
