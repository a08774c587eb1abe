// flakysvc is a service for the supervision suite: it fails at once for
// its first runs, then stays up, and kills itself with SIGKILL when the
// suite asks.
//
// Synopsis:
//
//	flakysvc [-fail N] [-exit CODE] [-say WORDS]
//
// Description:
//
//	Each run counts itself in /run/flakysvc.runs. Runs 1 to N print a
//	line and exit with CODE. Later runs print that they are up, with
//	what $RAMDAX_STATUS says, and wait; creating /run/flakysvc.die makes
//	the running one remove it and kill itself.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ramdax/appliance/status"
)

const (
	runsFile = "/run/flakysvc.runs"
	dieFile  = "/run/flakysvc.die"
)

func main() {
	fail := flag.Int("fail", 3, "exit at once on the first `n` runs")
	code := flag.Int("exit", 3, "exit `code` of a failing run")
	say := flag.String("say", "", "`words` to print on every run")
	flag.Parse()
	run := countRun()
	if *say != "" {
		fmt.Println(*say)
	}
	if run <= *fail {
		fmt.Printf("run %d: failing with exit code %d\n", run, *code)
		os.Exit(*code)
	}
	st, err := status.Read(os.Getenv("RAMDAX_STATUS"))
	if err != nil {
		fmt.Printf("run %d: %v\n", run, err)
		os.Exit(1)
	}
	fmt.Printf("run %d: up; status says ready=%v with %d namespaces\n", run, st.Ready, len(st.Namespaces))
	for {
		if err := os.Remove(dieFile); err == nil {
			fmt.Printf("run %d: killing myself\n", run)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countRun adds one to the run count and returns it.
func countRun() int {
	data, _ := os.ReadFile(runsFile)
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	n++
	os.WriteFile(runsFile, []byte(strconv.Itoa(n)), 0o644)
	return n
}
