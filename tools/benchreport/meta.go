package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// meta is what the report says about the run besides the numbers.
type meta struct {
	Command, Date, Commit, Machine, QEMU, Load string
	BuiltinKernel, DistroKernel                string
	Quick                                      bool
	Wall                                       time.Duration // 0 when unknown
}

func gatherMeta(c *config, now time.Time) meta {
	m := meta{
		Command: c.command,
		Date:    now.UTC().Format("2006-01-02 15:04 UTC"),
		Commit:  commit(),
		Machine: machine(),
		QEMU:    firstLine("qemu-system-x86_64", "--version"),
		Load:    loadAverage(),
		Quick:   c.quick,
		BuiltinKernel: kernelLine(filepath.Join(c.build, "kernel", "manifest"),
			"built-in"),
		DistroKernel: kernelLine(filepath.Join(c.build, "distro", "manifest"), "Debian cloud"),
	}
	if c.started > 0 {
		m.Wall = now.Sub(time.Unix(c.started, 0)).Round(time.Second)
	}
	return m
}

// commit is the short hash of HEAD, marked when the tree has changes.
func commit() string {
	hash := firstLine("git", "rev-parse", "--short", "HEAD")
	if hash == "" {
		return "unknown"
	}
	if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
		hash += " with uncommitted changes"
	}
	return hash
}

// machine describes the CPU, its cores and the RAM, from /proc.
func machine() string {
	model, cores := "unknown CPU", 0
	forEachLine("/proc/cpuinfo", func(k, v string) {
		switch k {
		case "model name":
			model = v
		case "processor":
			cores++
		}
	})
	mem := "unknown"
	forEachLine("/proc/meminfo", func(k, v string) {
		if k == "MemTotal" {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64)
			mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	})
	return fmt.Sprintf("%s, %d cores, %s RAM", model, cores, mem)
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages: how busy
// the machine was with other work while the benchmarks ran.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// kernelLine names a kernel from the manifest build.sh or distro.sh wrote.
func kernelLine(path, what string) string {
	var release, version string
	forEachLine(path, func(k, v string) {
		switch k {
		case "release":
			release = v
		case "version":
			version = v
		}
	})
	if release == "" {
		return what + ": unknown (no " + path + ")"
	}
	return fmt.Sprintf("%s %s (Debian source %s)", what, release, version)
}

// forEachLine calls f with each "key: value" line of a file; /proc uses
// tabs before the colon.
func forEachLine(path string, f func(k, v string)) {
	file, err := os.Open(path)
	if err != nil {
		return
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok {
			f(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
}

func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
