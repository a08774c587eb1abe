package bench

import (
	"math"
	"testing"
	"time"
)

// consoleAt builds a console whose lines arrived at the given host
// seconds after start.
func consoleAt(start time.Time, lines map[float64]string, order []float64) *consoleClock {
	c := &consoleClock{}
	for _, at := range order {
		c.lines = append(c.lines, stampedLine{start.Add(time.Duration(at * float64(time.Second))), lines[at]})
	}
	return c
}

func TestTimeBootRamdaxinit(t *testing.T) {
	start := time.Now()
	c := consoleAt(start, map[float64]string{
		1.5: "[    0.800000] Run /init as init process",
		2.3: "ramdax: ready 3 namespaces (3 created, 0 kept, 0 conflicts, 0 unmanaged) in 0.412 s",
	}, []float64{1.5, 2.3})
	r, err := timeBoot(c, start, ramdaxReady)
	if err != nil {
		t.Fatal(err)
	}
	want := bootResult{Namespaces: 3, Created: 3, Wall: 2.3, KernelInit: 0.8, KernelReady: 1.6, Setup: 0.412, RamdaxinitSetup: 0.412}
	if !closeResults(r, want) {
		t.Errorf("got %+v, want %+v", r, want)
	}
}

// A script's end mark can land in the middle of a line its tool was still
// writing to the console.
func TestTimeBootScriptMarks(t *testing.T) {
	start := time.Now()
	c := consoleAt(start, map[float64]string{
		1.0: "[    0.600000] Run /init as init process",
		1.4: "[    1.000000] bench: start ndctl",
		3.0: "ramdax: ns196  raw   16M   /dev/pmem0.196  -      kept[    2.590000] bench: end ndctl",
		3.1: "[    2.700000] bench: ready 2 namespaces (0 created, 2 kept)",
	}, []float64{1.0, 1.4, 3.0, 3.1})
	r, err := timeBoot(c, start, scriptReady)
	if err != nil {
		t.Fatal(err)
	}
	want := bootResult{Namespaces: 2, Kept: 2, Wall: 3.0, KernelInit: 0.6, KernelReady: 2.6, Setup: 1.59, MarkEnd: 2.59}
	if !closeResults(r, want) {
		t.Errorf("got %+v, want %+v", r, want)
	}
}

func TestTimeBootNeedsInitLine(t *testing.T) {
	start := time.Now()
	c := consoleAt(start, map[float64]string{1: "ramdax: ready 1 namespaces (1 created, 0 kept) in 0.1 s"}, []float64{1})
	if _, err := timeBoot(c, start, ramdaxReady); err == nil {
		t.Error("timed a boot without its Run /init line")
	}
}

func closeResults(a, b bootResult) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	return a.Namespaces == b.Namespaces && a.Created == b.Created && a.Kept == b.Kept &&
		near(a.Wall, b.Wall) && near(a.KernelInit, b.KernelInit) && near(a.KernelReady, b.KernelReady) &&
		near(a.Setup, b.Setup) && near(a.RamdaxinitSetup, b.RamdaxinitSetup) && near(a.MarkEnd, b.MarkEnd)
}

func TestMedian(t *testing.T) {
	id := func(x float64) float64 { return x }
	if got := median([]float64{3, 1, 2}, id); got != 2 {
		t.Errorf("median of 3, 1, 2 = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}, id); got != 2.5 {
		t.Errorf("median of 4, 1, 2, 3 = %v", got)
	}
}
