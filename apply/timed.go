package apply

import (
	"os"
	"time"

	"github.com/ramdax/appliance/timing"
)

// Timed returns m with the time of each of its calls added to steps,
// under the method's name in lower case ("wipe", "mkfs"...). The calls
// made once per namespace on its own device are timed on the wall clock
// alone: they never wait for another task, and reading the CPU clock is a
// system call. mkfs is another process, and its CPU time is not ours.
func Timed(m Media, steps *timing.Steps) Media {
	return timedMedia{m, steps}
}

type timedMedia struct {
	m     Media
	steps *timing.Steps
}

func (t timedMedia) Wipe(device string, align uint64) error {
	defer t.steps.SinceWall("wipe", time.Now())
	return t.m.Wipe(device, align)
}

func (t timedMedia) Detect(device string) (string, error) {
	defer t.steps.SinceWall("detect", time.Now())
	return t.m.Detect(device)
}

func (t timedMedia) MarkPending(raw *os.File, uuid string) error {
	defer t.steps.SinceWall("mark", time.Now())
	return t.m.MarkPending(raw, uuid)
}

func (t timedMedia) FormatPending(device, uuid string) (bool, error) {
	defer t.steps.SinceWall("detect", time.Now())
	return t.m.FormatPending(device, uuid)
}

func (t timedMedia) Mkfs(fs, device string) error {
	defer t.steps.Since("mkfs", timing.Now())
	return t.m.Mkfs(fs, device)
}

func (t timedMedia) Mount(device, dir, fs string) error {
	defer t.steps.Since("mount", timing.Now())
	return t.m.Mount(device, dir, fs)
}
