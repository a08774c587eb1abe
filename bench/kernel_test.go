package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramdax/appliance/vmtest"
)

// ColdEnv, set to 1, makes the kernel benchmark time a cold build into an
// empty, temporary cache: about six minutes on two idle cores.
const ColdEnv = "BENCH_COLD"

// benchKernelBuild times kernel-config/build.sh as `make kernel` runs it,
// from the cache (the median of three runs), and reports the cold build:
// timed now into an empty cache with BENCH_COLD=1, or else as the cache
// recorded it when the entry was built (build.sh writes build-seconds,
// build-tree and built into each entry's manifest).
func benchKernelBuild(b *testing.B) {
	var runs []float64
	var manifest map[string]string
	for range 3 {
		var secs float64
		secs, manifest = runBuildScript(b, filepath.Join(b.TempDir(), "kernel"), nil)
		runs = append(runs, secs)
	}
	secs := median(runs, func(s float64) float64 { return s })
	recordRow(b, Row{Section: Kernel, Name: "cached", Samples: len(runs),
		Values: map[string]float64{"seconds": secs},
		Text:   map[string]string{"inputs": manifest["inputs"], "version": manifest["version"]}})
	b.ReportMetric(secs, "s-cached")
	cold := coldBuildRow(b, manifest)
	recordRow(b, cold)
	b.Logf("bench: kernel build: cached %.1f s, cold %.0f s (%s)", secs, cold.Values["seconds"], cold.Text["source"])
	b.ReportMetric(cold.Values["seconds"], "s-cold")
}

// coldBuildRow times a cold build with BENCH_COLD=1, or finds the newest
// recorded one for the current source version.
func coldBuildRow(b *testing.B, current map[string]string) Row {
	row := Row{Section: Kernel, Name: "cold", Samples: 1, Values: map[string]float64{}, Text: map[string]string{}}
	if os.Getenv(ColdEnv) == "1" {
		secs, m := runBuildScript(b, filepath.Join(b.TempDir(), "kernel"), emptyCache(b))
		row.Values["seconds"] = secs
		row.Text = map[string]string{"built": m["built"], "tree": m["build-tree"], "source": "timed by this run (BENCH_COLD=1)"}
		return row
	}
	rec, err := coldRecord(vmtest.CacheDir(b), current["version"])
	if err != nil {
		b.Logf("bench: no cold kernel build on record: %v", err)
		row.Text["source"] = "none on record: run make bench BENCH_COLD=1"
		return row
	}
	row.Values["seconds"] = seconds(rec)
	row.Text = map[string]string{"built": rec["built"], "tree": rec["build-tree"], "inputs": rec["inputs"],
		"source": "recorded in the kernel cache when " + rec["inputs"] + " was built"}
	return row
}

// runBuildScript runs kernel-config/build.sh OUT with extra environment
// and returns its wall time and the manifest it wrote.
func runBuildScript(tb testing.TB, out string, env []string) (float64, map[string]string) {
	root := vmtest.RepoRoot(tb)
	cmd := exec.Command(filepath.Join(root, "kernel-config", "build.sh"), out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("kernel-config/build.sh: %v\n%s", err, b)
	}
	secs := time.Since(start).Seconds()
	m, err := readManifest(filepath.Join(out, "manifest"))
	if err != nil {
		tb.Fatal(err)
	}
	return secs, m
}

// emptyCache is an environment whose kernel cache is empty but for the
// Debian package lists and downloads, which it shares with the real one:
// a cold build, without timing the network.
func emptyCache(tb testing.TB) []string {
	tmp := tb.TempDir()
	real := vmtest.CacheDir(tb)
	dir := filepath.Join(tmp, "ramdax-appliance")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, shared := range []string{"debian", "debs"} {
		if err := os.Symlink(filepath.Join(real, shared), filepath.Join(dir, shared)); err != nil {
			tb.Fatal(err)
		}
	}
	return []string{"XDG_CACHE_HOME=" + tmp}
}

// coldRecord returns the manifest of the newest entry of the kernel cache
// in cache for version
// built from an empty tree. Entries made before build.sh recorded the
// tree say nothing of it; failing a recorded cold build, it returns the
// slowest of those, as the likeliest cold one, with build-tree "not
// recorded" and the manifest's time as built.
func coldRecord(cache, version string) (map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(cache, "kernel", version+"-*", "manifest"))
	if err != nil {
		return nil, err
	}
	var cold, legacy []map[string]string
	for _, p := range paths {
		m, err := readManifest(p)
		switch {
		case err != nil:
		case m["build-tree"] == "fresh":
			cold = append(cold, m)
		case m["build-tree"] == "" && m["build-seconds"] != "":
			if fi, err := os.Stat(p); err == nil {
				m["built"] = fi.ModTime().UTC().Format(time.RFC3339)
			}
			m["build-tree"] = "not recorded"
			legacy = append(legacy, m)
		}
	}
	sort.Slice(cold, func(i, j int) bool { return cold[i]["built"] > cold[j]["built"] })
	sort.Slice(legacy, func(i, j int) bool { return seconds(legacy[i]) > seconds(legacy[j]) })
	switch {
	case len(cold) > 0:
		return cold[0], nil
	case len(legacy) > 0:
		return legacy[0], nil
	}
	return nil, errors.New("no cache entry of " + version + " records its build time")
}

func seconds(m map[string]string) float64 {
	s, _ := strconv.ParseFloat(m["build-seconds"], 64)
	return s
}

// readManifest reads build.sh's "key: value" lines.
func readManifest(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kernel manifest: %w", err)
	}
	defer f.Close()
	m := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ": "); ok {
			m[k] = v
		}
	}
	return m, s.Err()
}
