package vmtest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/Netflix/go-expect"
	"github.com/hugelgupf/vmtest/qemu"
	"github.com/u-root/mkuimage/uimage"

	"github.com/ramdax/appliance/image"
	"github.com/ramdax/appliance/invariant"
	"github.com/ramdax/appliance/layout"
)

// Two carveouts below the top of 2 GiB of guest RAM (a carveout past it
// gets a region whose writes are lost). Both are N*16M+128K, so no space
// goes to alignment; the second starts on a 128 MiB memory block so that a
// system-ram namespace there can online whole blocks.
var twoRegions = []Option{
	WithCarveout("540800K", "1G"),    // region0: 528 MiB usable
	WithCarveout("278656K", "1664M"), // region1: 272 MiB usable
}

// checkRamdaxinit boots a guest with the layout in cmdline, runs ramdaxinit
// in it and checks the result as the ramdaxtest.* parameters say (see
// guest/appliance). It returns the fingerprints the guest printed
// of every namespace after the checks.
func checkRamdaxinit(t *testing.T, name string, cmdline []string, opts ...Option) map[string]invariant.Print {
	t.Helper()
	console := runRamdaxinit(t, name, cmdline, opts...)
	prints, err := invariant.ParsePrints(console)
	if err != nil {
		t.Fatal(err)
	}
	return prints
}

// runRamdaxinit is checkRamdaxinit's boot: it returns the console.
func runRamdaxinit(t *testing.T, name string, cmdline []string, opts ...Option) string {
	t.Helper()
	opts = append(opts, WithName(name), WithCmdline(cmdline...), WithUimage(
		uimage.WithBusyboxCommands(image.ApplianceCommands...),
		uimage.WithFiles(image.FilesystemTools...),
	))
	return RunGuestTests(t, []string{"github.com/ramdax/appliance/guest/appliance"}, opts...)
}

// TestRamdaxinitAllModes lays every mode over two regions, with "rest",
// file systems and mounts, and writes and reads data on each.
func TestRamdaxinitAllModes(t *testing.T) {
	forEachKernel(t, func(t *testing.T, kernel []Option) {
		testAllModes(t, kernel)
	})
}

func testAllModes(t *testing.T, kernel []Option) {
	checkRamdaxinit(t, "all-modes", []string{
		"ramdax.ns=logs:fsdax:320M:fs=xfs:mount=/mnt/logs",
		"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db",
		"ramdax.ns=cache:devdax:64M",
		"ramdax.ns=journal:sector:rest",
		"ramdax.ns=mem:system-ram:256M:region=1",
		"ramdax.ns=scratch:raw:rest:region=1",
		"ramdaxtest.expect=logs:created,db:created,cache:created,journal:created,mem:created,scratch:created",
		"ramdaxtest.write=logs,db,cache,journal,scratch",
	}, append(kernel, twoRegions...)...)
}

// TestRamdaxinitSecondBoot boots five times over the same file-backed RAM,
// as after warm resets: what exists is kept with its data, a namespace can
// be added, a conflicting size is reported and leaves the data alone, and
// only ramdax.reset recreates a namespace. At every boot, the namespaces
// that boot was not asked to touch (kept and not mounted, in conflict, or
// unmanaged) keep the uuid, size and first and last 4 KiB they had at the
// boot before; a mounted file system rewrites its superblock, so db is
// held to its data instead.
func TestRamdaxinitSecondBoot(t *testing.T) {
	forEachKernel(t, testSecondBoot)
}

func testSecondBoot(t *testing.T, kernel []Option) {
	ram := WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))
	base := []string{"ramdax.ns=cache:devdax:64M"}
	boots := []struct {
		name      string
		cmdline   []string
		untouched []string
	}{
		{"first", []string{"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db",
			"ramdaxtest.expect=db:created,cache:created", "ramdaxtest.write=db,cache"}, nil},
		{"kept-and-added", []string{"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=extra:raw:64M",
			"ramdaxtest.expect=db:kept,cache:kept,extra:created", "ramdaxtest.verify=db,cache"}, []string{"cache"}},
		{"conflict", []string{"ramdax.ns=db:fsdax:256M:fs=ext4:mount=/mnt/db",
			"ramdaxtest.expect=db:conflict,cache:kept,extra:unmanaged", "ramdaxtest.verify=db,cache"}, []string{"cache", "extra"}},
		{"reset", []string{"ramdax.ns=db:fsdax:256M:fs=ext4:mount=/mnt/db", "ramdax.reset=db",
			"ramdaxtest.expect=db:created,cache:kept,extra:unmanaged", "ramdaxtest.empty=db", "ramdaxtest.verify=cache",
			"ramdaxtest.write=db"}, []string{"cache", "extra"}},
		// Same size, same place: the old file system must not come back.
		{"reset-same-size", []string{"ramdax.ns=db:fsdax:256M:fs=ext4:mount=/mnt/db", "ramdax.reset=db",
			"ramdaxtest.expect=db:created,cache:kept,extra:unmanaged", "ramdaxtest.empty=db", "ramdaxtest.verify=cache"},
			[]string{"cache", "extra"}},
	}
	var before map[string]invariant.Print
	for _, b := range boots {
		t.Run(b.name, func(t *testing.T) {
			after := checkRamdaxinit(t, b.name, append(base, b.cmdline...), append(append(kernel, twoRegions...), ram)...)
			for _, err := range invariant.Untouched(before, after, b.untouched) {
				t.Error(err)
			}
			before = after
		})
		if t.Failed() {
			return
		}
	}
}

// TestApplianceConsole boots the appliance image itself, ramdaxinit as
// PID 1, and reads the console: the status table and the ready line.
func TestApplianceConsole(t *testing.T) {
	initramfs := applianceImage(t, "")
	vm := Start(t, "appliance", append(twoRegions, WithInitramfs(initramfs), WithCmdline(
		"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M", "ramdax.then=poweroff"))...)
	expectLines(t, vm,
		"ramdax: db: made ext4 on /dev/pmem0",
		"ramdax: checked 2 namespaces: names unique, no overlaps, status agrees with sysfs",
		"ramdax: ready 2 namespaces (2 created, 0 kept, 0 conflicts, 0 unmanaged)")
	expectRows(t, vm, tableRow("db", "fsdax", "", "/dev/pmem0", "/mnt/db", "created"),
		tableRow("cache", "devdax", "", "/dev/dax0.1", "-", "created"))
	if err := vm.Wait(); err != nil {
		t.Errorf("VM: %v", err)
	}
}

// applianceImage builds the appliance initramfs for a kernel flavour
// (modulesDir "" for the built-in kernel), with extra modifiers; without
// them it checks that the image holds only what is declared.
func applianceImage(t testing.TB, modulesDir string, extra ...uimage.Modifier) string {
	t.Helper()
	out := ApplianceInitramfs(t, modulesDir, extra...)
	if len(extra) == 0 {
		checkDeclared(t, out, modulesDir != "")
	}
	return out
}

// checkDeclared fails t for any file of the appliance image beyond the
// declared set: a new command, library or key must be declared on purpose.
func checkDeclared(t testing.TB, archive string, modular bool) {
	t.Helper()
	extra, err := image.Undeclared(archive, image.Declared(modular))
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) > 0 {
		t.Errorf("the appliance image holds files beyond the declared set (image.Declared): %q", extra)
	}
}

// invariantsHeld is ramdaxinit's line, before the ready line, saying that
// its check of the labels and status.json after setup found nothing
// broken; a broken invariant replaces it with errors.
const invariantsHeld = "no overlaps, status agrees with sysfs"

// expectLines waits for each line on the console, in order.
func expectLines(t *testing.T, vm *qemu.VM, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := vm.Console.ExpectString(l); err != nil {
			t.Fatalf("console never showed %q: %v", strings.TrimSpace(l), err)
		}
	}
}

// tableRow matches a namespace's row of the status table that follows
// the ready line: "ramdax: NAME", then the columns given (MODE, SIZE,
// DEVICE, MOUNT, STATE), in order, each padded; "" stands for any value.
// Setup logs what it creates only to the kernel log, and to the console
// under ramdax.debug: the table shows it.
func tableRow(name string, cols ...string) *regexp.Regexp {
	pattern := regexp.QuoteMeta("ramdax: " + name)
	for _, c := range cols {
		col := `\S+`
		if c != "" {
			col = regexp.QuoteMeta(c)
		}
		pattern += ` +` + col
	}
	return regexp.MustCompile(pattern + `[ \r\n]`)
}

// expectRows waits for each row in turn.
func expectRows(t *testing.T, vm *qemu.VM, rows ...*regexp.Regexp) {
	t.Helper()
	for _, r := range rows {
		if _, err := vm.Console.Expect(expect.Regexp(r)); err != nil {
			t.Fatalf("console never showed a row like %q: %v", r, err)
		}
	}
}

// TestApplianceDistroKernel boots Debian's cloud kernel, which has RAMDAX
// and friends as modules, with the appliance image for it: ramdaxinit
// loads the modules, sets the layout up, and a second boot over the same
// RAM keeps it.
func TestApplianceDistroKernel(t *testing.T) {
	vmlinuz, modulesDep := DistroKernel(t)
	initramfs := applianceImage(t, filepath.Dir(modulesDep))
	opts := append(twoRegions, WithKernel(vmlinuz), WithInitramfs(initramfs),
		WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram")),
		WithCmdline("ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M:region=1", "ramdax.then=poweroff"))
	for _, want := range []string{
		"ramdax: ready 2 namespaces (2 created, 0 kept, 0 conflicts, 0 unmanaged)",
		"ramdax: ready 2 namespaces (0 created, 2 kept, 0 conflicts, 0 unmanaged)",
	} {
		vm := Start(t, "distro", opts...)
		expectLines(t, vm, invariantsHeld, want)
		if err := vm.Wait(); err != nil {
			t.Errorf("VM: %v", err)
		}
	}
}

// TestApplianceBadInput boots command lines with malformed parameters:
// each is reported on the console as layout.Parse words it, the valid rest
// of the layout is applied, and the console shell still answers.
func TestApplianceBadInput(t *testing.T) {
	initramfs := applianceImage(t, "")
	for _, tc := range []struct {
		name    string
		cmdline []string
		also    []string         // further console lines to expect, after the errors
		rows    []*regexp.Regexp // then rows of the status table
	}{
		{"malformed", []string{"ramdax.ns=db:fsdax:12X", "ramdax.ns=ok:raw:64M", "ramdax.ns=bad-mode:fast:64M",
			"ramdax.nss=typo:raw:16M", "ramdax.then=sideways", "ramdax.ns=mis:fsdax:20M"},
			[]string{"ramdax: ready 1 namespaces (1 created"}, []*regexp.Regexp{tableRow("ok", "raw", "64M", "/dev/pmem0", "-", "created")}},
		{"no-carveout", []string{"ramdax.ns=db:fsdax:64M"},
			[]string{"ramdax: no memmap=SIZE!START carveout on the command line: nothing to set up"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Machine{}
			opts := []Option{WithInitramfs(initramfs), WithCmdline(tc.cmdline...)}
			if tc.name != "no-carveout" {
				opts = append(opts, twoRegions...)
			}
			for _, o := range opts {
				o(m)
			}
			_, err := layout.Parse(m.KernelCmdline())
			var want []string
			for _, e := range layout.AsErrors(err) {
				want = append(want, "ramdax: error: "+e.Error())
			}
			vm := Start(t, tc.name, opts...)
			defer vm.Wait()
			defer vm.Kill()
			expectLines(t, vm, append(want, tc.also...)...)
			expectRows(t, vm, tc.rows...)
			expectShell(t, vm)
		})
	}
}

// expectShell waits for the shell's plain prompt, types a command and
// waits for its output: the quotes keep the echoed input from matching.
// On the way it checks that nothing sent the terminal queries (colours,
// cursor position) that a serial console never answers.
func expectShell(t *testing.T, vm *qemu.VM) {
	t.Helper()
	seen, err := vm.Console.ExpectString(shellPrompt)
	if err != nil {
		t.Fatalf("console never showed the shell prompt %q: %v", shellPrompt, err)
	}
	for _, q := range terminalQueries {
		if strings.Contains(seen, q) {
			t.Errorf("the console got the terminal query %q, which a serial console never answers", q)
		}
	}
	runCommand(t, vm, `echo shell-"alive"`)
}

// expectPrompt waits for the prompt after a command's output. The next
// line may only be typed then: typed earlier, the terminal echoes part of
// it before the prompt and part after, and the echo sendLine waits for
// never comes whole (seen on a loaded CI machine).
func expectPrompt(t *testing.T, vm *qemu.VM) {
	t.Helper()
	if _, err := vm.Console.ExpectString(shellPrompt); err != nil {
		t.Fatalf("console never showed the shell prompt %q after a command: %v", shellPrompt, err)
	}
}

// shellPrompt is gosh's plain prompt, at the start of a line.
const shellPrompt = "\n$ "

// terminalQueries are what an editing shell asks a terminal: foreground
// and background colours, and the cursor position.
var terminalQueries = []string{"\x1b]10;?", "\x1b]11;?", "\x1b[6n"}

// TestApplianceKexec sets a layout up, writes a file, then kexecs into the
// same kernel, image and command line from the console: the RAM, and so
// the namespaces and the file, must come through. The booted image carries
// the kernel and a copy of the plain appliance image for that.
func TestApplianceKexec(t *testing.T) {
	t.Run("builtin", func(t *testing.T) { testKexec(t, BuiltinKernel(t), "") })
	t.Run("distro", func(t *testing.T) {
		vmlinuz, modulesDep := DistroKernel(t)
		testKexec(t, vmlinuz, filepath.Dir(modulesDep))
	})
}

func testKexec(t *testing.T, kernel, modulesDir string) {
	inner := applianceImage(t, modulesDir)
	outer := applianceImage(t, modulesDir, uimage.WithFiles(kernel+":boot/kernel", inner+":boot/initramfs.cpio"))
	vm := Start(t, "kexec", append(twoRegions, WithKernel(kernel), WithInitramfs(outer),
		WithCmdline("ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=cache:devdax:64M"))...)
	defer vm.Wait()
	defer vm.Kill()
	expectLines(t, vm, invariantsHeld, "ramdax: ready 2 namespaces (2 created, 0 kept, 0 conflicts, 0 unmanaged)")
	expectShell(t, vm)
	// kexec does not sync: ext4 metadata still in the page cache would be
	// lost, as on any reboot that skips the file systems.
	runCommand(t, vm, `echo kept-across-kexec > /mnt/db/proof && sync`)
	sendLine(t, vm, `kexec --reuse-cmdline -i /boot/initramfs.cpio /boot/kernel`)
	expectLines(t, vm, "Linux version", invariantsHeld, "ramdax: ready 2 namespaces (0 created, 2 kept, 0 conflicts, 0 unmanaged)")
	expectShell(t, vm)
	sendLine(t, vm, `cat /mnt/db/pro""of`)
	expectLines(t, vm, "kept-across-kexec")
}

// TestApplianceSwitchRoot puts an init on an fsdax namespace at a first
// boot, then boots with root=ramdax:NAME and ramdax.then=switch_root over
// the same RAM: ramdaxinit must switch to it and run its /sbin/init. That
// init is the image's busybox under the name init, so it is u-root's init.
func TestApplianceSwitchRoot(t *testing.T) {
	initramfs := applianceImage(t, "")
	ram := WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))
	first := Start(t, "populate", append(twoRegions, ram, WithInitramfs(initramfs),
		WithCmdline("ramdax.ns=root:fsdax:64M:fs=ext4:mount=/mnt/root"))...)
	expectLines(t, first, invariantsHeld, "ramdax: ready 1 namespaces (1 created")
	expectShell(t, first)
	runCommand(t, first, `mkdir -p /mnt/root/sbin && cp /bbin/bb /mnt/root/sbin/init && sync`)
	first.Kill()
	first.Wait()

	second := Start(t, "switch_root", append(twoRegions, ram, WithInitramfs(initramfs),
		WithCmdline("ramdax.ns=root:fsdax:64M:fs=ext4", "root=ramdax:root", "ramdax.then=switch_root"))...)
	defer second.Wait()
	defer second.Kill()
	expectLines(t, second, invariantsHeld, "ramdax: ready 1 namespaces (0 created, 1 kept",
		"ramdax: switch_root to /dev/pmem0 (ext4, read-write), exec /sbin/init", "Welcome to u-root!")
}

// runCommand types cmd at the console shell and waits until it has
// succeeded and the shell is back at its prompt: gosh drops what is typed
// while a command runs.
func runCommand(t *testing.T, vm *qemu.VM, cmd string) {
	t.Helper()
	commandOutput(t, vm, cmd+" &&")
}

// shellOutput runs cmd at the console shell and returns what it printed,
// whether or not it succeeded.
func shellOutput(t *testing.T, vm *qemu.VM, cmd string) string {
	t.Helper()
	return commandOutput(t, vm, cmd+";")
}

// commandOutput types cmd followed by an end marker, waits for the marker
// and the prompt after it, and returns what came between the typed line
// and the marker. The quotes keep the typed line from matching the marker.
func commandOutput(t *testing.T, vm *qemu.VM, cmd string) string {
	t.Helper()
	sendLine(t, vm, cmd+` echo command-"end"`)
	seen, err := vm.Console.ExpectString("command-end")
	if err != nil {
		t.Fatalf("%s: the shell never finished: %v", cmd, err)
	}
	expectPrompt(t, vm)
	_, out, _ := strings.Cut(seen, "\n")
	return strings.TrimSuffix(out, "command-end")
}

// sendLine types a line at the console shell.
func sendLine(t *testing.T, vm *qemu.VM, line string) {
	t.Helper()
	if _, err := vm.Console.Send(line); err != nil {
		t.Fatal(err)
	}
	// gosh was seen to drop an Enter that came while it still drew the
	// line: wait for the line's end to be echoed first. Only the end,
	// because a long line may wrap.
	if _, err := vm.Console.ExpectString(line[max(0, len(line)-12):]); err != nil {
		t.Fatalf("the shell never echoed %q: %v", line, err)
	}
	if _, err := vm.Console.Send("\r"); err != nil {
		t.Fatal(err)
	}
}
