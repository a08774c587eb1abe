// runvm boots a kernel and initramfs in QEMU with the console in this
// terminal: the engine behind `make run`.
//
// Synopsis:
//
//	runvm [-kernel FILE] [-initrd FILE] [-m SIZE] [-memmap 'SIZE!START ...'] [-append ARGS]
//
// Description:
//
//	runvm uses KVM when a trial boot shows that it works, TCG otherwise. Each
//	word of -memmap becomes a memmap= carveout; -append adds kernel
//	parameters. Quit QEMU with Ctrl-A X.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/ramdax/appliance/accel"
)

func run(stdout io.Writer, args []string) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	kernel := fs.String("kernel", "build/kernel/bzImage", "kernel `image`")
	initrd := fs.String("initrd", "build/initramfs.cpio.lz4", "initramfs `file`")
	mem := fs.String("m", "2G", "guest RAM `size`")
	memmap := fs.String("memmap", "540800K!1G", "carveouts, space-separated `SIZE!START` words")
	extra := fs.String("append", "", "extra kernel `parameters`")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return fmt.Errorf("%w: run `make deps`", err)
	}
	accel := accel.Detect(*kernel)
	// -cpu max gives the guest RDRAND, which seeds its random pool at once.
	argv := []string{qemu, "-accel", accel, "-cpu", "max", "-m", *mem, "-nographic", "-no-reboot",
		"-kernel", *kernel, "-initrd", *initrd, "-append", cmdline(*memmap, *extra)}
	fmt.Fprintf(stdout, "runvm: %s with %s, memmap %s; quit with Ctrl-A X\n", *kernel, accel, *memmap)
	return syscall.Exec(qemu, argv, os.Environ())
}

// cmdline is the kernel command line: the serial console, one memmap= per
// carveout, then the caller's parameters.
func cmdline(memmap, extra string) string {
	args := []string{"console=ttyS0"}
	for _, m := range strings.Fields(memmap) {
		args = append(args, "memmap="+m)
	}
	return strings.TrimSpace(strings.Join(args, " ") + " " + extra)
}

func main() {
	if err := run(os.Stdout, os.Args); err != nil {
		log.Fatalf("runvm: %v", err)
	}
}
