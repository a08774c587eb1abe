package vmtest

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hugelgupf/vmtest/qemu"
	"github.com/hugelgupf/vmtest/testtmp"

	"github.com/ramdax/appliance/invariant"
)

// The power-cut suites start every cycle from the same prepared RAM: a
// first boot set preparedLayout up and wrote known data, with checksums,
// on each namespace. A cut boot then asks for faultLayout, which keeps db
// and cache, asks journal at another size (a conflict: it must be left
// alone), leaves old alone (it is no longer declared), resets victim at a
// new size and creates fresh and logs (formatted and mounted).
// QEMU is killed (SIGKILL, a power cut) in the middle, and the next boot
// with the same command line must converge, lose no data and keep every
// invariant.
var (
	preparedLayout = []string{
		"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M",
		"ramdax.ns=journal:sector:32M", "ramdax.ns=old:raw:32M", "ramdax.ns=victim:raw:64M:region=1",
	}
	faultLayout = []string{
		"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M",
		"ramdax.ns=journal:sector:48M", "ramdax.ns=victim:raw:32M:region=1", "ramdax.reset=victim",
		"ramdax.ns=fresh:devdax:64M", "ramdax.ns=logs:fsdax:rest:region=1:fs=ext4:mount=/mnt/logs",
	}
	// written holds data before the cut and must keep it.
	written = []string{"db", "cache", "journal", "old"}
	// untouched are not mounted and not reset, and one is in conflict:
	// not one byte at their ends, nor their uuid or size, may change.
	untouched = []string{"cache", "journal", "old"}
	// converged is the ready line of a boot that reached faultLayout:
	// seven namespaces, journal in conflict, old unmanaged, nothing left
	// undone.
	converged = regexp.MustCompile(`^ready 7 namespaces \(\d+ created, \d+ kept, 1 conflicts, 1 unmanaged\) in`)
)

// faultRun is one run of a power-cut suite: the prepared RAM and what the
// prepare boot wrote, and the tallies printed at the end.
type faultRun struct {
	image, ram                       string
	seed                             int64
	prepared                         checkOutput
	cycles, converged, losses, bytes int
	// phases counts the cuts by where they hit (see cutPhase).
	phases map[string]int
}

// prepare boots preparedLayout over fresh file-backed RAM and writes the
// known data.
func prepare(t *testing.T, seed int64) *faultRun {
	t.Helper()
	r := &faultRun{image: checkImage(t), seed: seed,
		ram: filepath.Join(testtmp.TempDir(t), "prepared-ram"), phases: map[string]int{}}
	r.prepared = bootCheck(t, "prepare", r.options(r.ram, append(preparedLayout,
		"ramdaxtest.write="+strings.Join(append(written, "victim"), ","))))
	if !r.prepared.ok || len(r.prepared.wrote) != len(written)+1 {
		t.Fatalf("the prepare boot did not set up and write its layout: %v %v", r.prepared.problems, r.prepared.wrote)
	}
	return r
}

func (r *faultRun) options(ram string, cmdline []string) []Option {
	return append(twoRegions, WithInitramfs(r.image), WithPersistentRAM(ram),
		WithCmdline(append(cmdline, fmt.Sprintf("ramdaxtest.seed=%d", r.seed))...))
}

// cycle copies the prepared RAM, runs cut on a boot of faultLayout over
// it, boots faultLayout again and judges that boot.
func (r *faultRun) cycle(t *testing.T, extra []string, cut func(t *testing.T, opts []Option) string) {
	r.cycles++
	ram := copyRAM(t, r.ram)
	phase := cut(t, r.options(ram, append(faultLayout, extra...)))
	r.phases[phase]++
	after := bootCheck(t, "after-cut", r.options(ram, append(faultLayout,
		"ramdaxtest.verify="+strings.Join(written, ","))))
	if !converged.MatchString(after.ready) || !after.ok {
		t.Errorf("did not converge: %q, problems %q (seed %d; RAM and console kept)", after.ready, after.problems, r.seed)
	} else {
		r.converged++
	}
	if lost := dataLosses(r.prepared, after, written); len(lost) > 0 {
		r.losses += len(lost)
		t.Errorf("data lost: %q (seed %d)", lost, r.seed)
	}
	for _, err := range invariant.Untouched(r.prepared.prints, after.prints, untouched) {
		t.Errorf("%v (seed %d)", err, r.seed)
	}
	r.bytes += after.bytes
}

func (r *faultRun) report(t *testing.T) {
	t.Logf("power cuts: %d cycles, %d converged, %d data losses, %d bytes verified, seed %d",
		r.cycles, r.converged, r.losses, r.bytes, r.seed)
	t.Logf("power cuts hit: %d before ramdaxinit's first line, %d during setup, %d after the ready line",
		r.phases[beforeSetup], r.phases[duringSetup], r.phases[afterReady])
}

// Where a cut hit, from the console up to the cut.
const (
	beforeSetup = "before setup"
	duringSetup = "during setup"
	afterReady  = "after ready"
)

// cutPhase reads the rest of the console of a killed guest and says
// where the cut hit.
func cutPhase(vm *qemu.VM, seen string) string {
	rest, _ := vm.Console.ExpectEOF()
	out := seen + rest
	switch {
	case strings.Contains(out, "ramdax: ready"):
		return afterReady
	case strings.Contains(out, "ramdax: "):
		return duringSetup
	}
	return beforeSetup
}

// TestPowerCutAtSteps cuts right after each step ramdax.debug logs that
// matters: the steps of a reset's destroy, the writes of a creation up to
// a label that claims a namespace without an info block (which the next
// boot must complete in place), a devdax that is ready, an fsdax namespace
// marked format-pending, a file system made but not mounted. The cut points are
// the same at every run.
func TestPowerCutAtSteps(t *testing.T) {
	r := prepare(t, 1)
	defer r.report(t)
	for _, marker := range []string{
		"/holder_class = \"\"",        // victim's destroy begun: its claim class cleared
		"/size = \"0\"",               // victim's destroy: space freed, info block zeroed
		"victim: destroyed for reset", // old victim gone, new one not made
		"/alt_name = ",                // new victim's label not yet committed
		"/holder_class = \"dax\"",     // fresh: claim class set, no size: no label yet
		"/size = \"67108864\"",        // fresh: label committed, claimed, no info block
		"/align = ",                   // fresh's dax seed half configured
		"fresh: created devdax",       // devdax done, logs not begun
		"logs: marked format-pending", // logs: label committed and marked, no info block
		"logs: made ext4",             // formatted, not mounted
	} {
		t.Run(strings.Trim(marker, "/= :\""), func(t *testing.T) {
			r.cycle(t, []string{"ramdax.debug"}, func(t *testing.T, opts []Option) string { return cutAt(t, marker, opts) })
		})
	}
}

// cutAt boots and kills QEMU as soon as the console shows marker.
func cutAt(t *testing.T, marker string, opts []Option) string {
	t.Helper()
	vm := Start(t, "cut", opts...)
	seen, err := vm.Console.ExpectString(marker)
	if err != nil {
		t.Fatalf("console never showed the cut point %q: %v", marker, err)
	}
	if err := vm.Kill(); err != nil {
		t.Fatalf("cut: %v", err)
	}
	phase := cutPhase(vm, seen)
	vm.Wait()
	return phase
}

// TestPowerCutRandom cuts power at random moments of the cut boot, up to
// 1.2 s after the kernel starts /init: under TCG, ramdaxinit's setup of
// this layout takes about 0.7 s, so most cuts hit it and some hit the
// moments around it. The log tallies where they hit. RAMDAX_FAULT_CUTS sets
// the number of cuts (default 5; `make test-faults` runs 50) and
// RAMDAX_FAULT_SEED replays a run; the seed is logged first.
func TestPowerCutRandom(t *testing.T) {
	cuts := envInt(t, "RAMDAX_FAULT_CUTS", 5)
	seed := int64(envInt(t, "RAMDAX_FAULT_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("%d cuts, seed %d (RAMDAX_FAULT_SEED=%d replays them)", cuts, seed, seed)
	rng := rand.New(rand.NewSource(seed))
	r := prepare(t, seed)
	defer r.report(t)
	for i := range cuts {
		delay := time.Duration(rng.Int63n(int64(1200 * time.Millisecond)))
		t.Run(fmt.Sprintf("cut%d-after-%v", i, delay.Round(time.Millisecond)), func(t *testing.T) {
			r.cycle(t, nil, func(t *testing.T, opts []Option) string { return cutAfter(t, delay, opts) })
		})
	}
}

// cutAfter boots and kills QEMU delay after the kernel starts /init.
func cutAfter(t *testing.T, delay time.Duration, opts []Option) string {
	t.Helper()
	vm := Start(t, "cut", opts...)
	seen, err := vm.Console.ExpectString("Run /init as init process")
	if err != nil {
		t.Fatalf("no /init: %v", err)
	}
	time.Sleep(delay)
	vm.Kill()
	phase := cutPhase(vm, seen)
	vm.Wait()
	return phase
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}
