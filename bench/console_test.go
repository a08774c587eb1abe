package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// consoleClock is a serial-console writer that notes when each line
// reaches the host. Under TCG the guest's clock runs at the host's pace, so
// the host time between two lines is the guest time between them, give or
// take the console's latency, which is about the same for every line.
type consoleClock struct {
	mu      sync.Mutex
	lines   []stampedLine
	partial []byte
}

// stampedLine is one console line and when its newline arrived.
type stampedLine struct {
	At   time.Time
	Text string
}

func (c *consoleClock) Write(p []byte) (int, error) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(bytes.TrimRight(c.partial[:i], "\r"))
		c.lines = append(c.lines, stampedLine{now, line})
		c.partial = c.partial[i+1:]
	}
}

func (c *consoleClock) Close() error { return nil }

// find returns the first line matching re and its submatches.
func (c *consoleClock) find(re *regexp.Regexp) (stampedLine, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if m := re.FindStringSubmatch(l.Text); m != nil {
			return l, m, true
		}
	}
	return stampedLine{}, nil, false
}

// save writes the console to path, each line after the host time since
// start at which it arrived, so that a reader can check the numbers.
func (c *consoleClock) save(path string, start time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	for _, l := range c.lines {
		fmt.Fprintf(&b, "[+%8.4f s] %s\n", l.At.Sub(start).Seconds(), l.Text)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
