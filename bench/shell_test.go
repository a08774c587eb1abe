package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ramdax/appliance/vmtest"

	"github.com/Netflix/go-expect"
	"github.com/u-root/mkuimage/uimage"
)

// shellPromptTime boots the appliance image at initramfs to its console
// shell and returns the host time between the ready line's arrival and
// that of prompt: how long an operator at the serial console waits,
// after the ready line, before typing is taken.
func shellPromptTime(tb testing.TB, name, initramfs, prompt string) float64 {
	tb.Helper()
	vm := vmtest.Start(tb, name, vmtest.WithCarveout("540800K", "1G"), vmtest.WithInitramfs(initramfs), vmtest.WithCmdline(
		"ramdax.ns=data:fsdax:256M:fs=ext4:mount=/mnt/data"))
	defer vm.Wait()
	defer vm.Kill()
	if _, err := vm.Console.Expect(expect.Regexp(ramdaxReady)); err != nil {
		tb.Fatalf("%s: no ready line: %v", name, err)
	}
	ready := time.Now()
	if _, err := vm.Console.ExpectString(prompt); err != nil {
		tb.Fatalf("%s: no shell prompt %q: %v", name, prompt, err)
	}
	return time.Since(ready).Seconds()
}

// withoutBuildTag drops tag from the image's Go build tags.
func withoutBuildTag(tag string) uimage.Modifier {
	return func(o *uimage.Opts) error {
		o.Env.BuildTags = slices.DeleteFunc(o.Env.BuildTags, func(t string) bool { return t == tag })
		return nil
	}
}

// plainShellPrompt is the prompt of gosh's plain line reader, the
// appliance's shell.
const plainShellPrompt = "\n$ "

// editingShellPrompt is what gosh's full line editor shows once it has
// given up waiting for the terminal's answers.
const editingShellPrompt = "toggle key help"

// benchShellPrompt times ready to prompt for the appliance's shell, gosh's
// plain reader, and beside it for gosh's full editor, the median of boots.
func benchShellPrompt(b *testing.B, boots int) {
	plain := vmtest.ApplianceInitramfs(b, "")
	// The same image with gosh's default build, the editor.
	editing := vmtest.ApplianceInitramfs(b, "", withoutBuildTag("goshsmall"))
	var plainTimes, editingTimes []float64
	for i := range boots {
		plainTimes = append(plainTimes, shellPromptTime(b, fmt.Sprintf("shell-plain-%d", i), plain, plainShellPrompt))
		editingTimes = append(editingTimes, shellPromptTime(b, fmt.Sprintf("shell-editing-%d", i), editing, editingShellPrompt))
	}
	id := func(x float64) float64 { return x }
	p, e := median(plainTimes, id), median(editingTimes, id)
	b.ReportMetric(p, "ready-to-prompt-s")
	b.Logf("serial console, ready line to shell prompt, median of %d boots: %.2f s plain (the image's), %.2f s with gosh's editor", boots, p, e)
	recordRow(b, Row{Section: Note, Name: "shell-prompt", Samples: boots,
		Values: map[string]float64{"plain_s": p, "editing_s": e},
		Text:   map[string]string{"note": fmt.Sprintf("Serial console, ready line to shell prompt (median of %d boots): %.2f s with the image's shell, gosh's plain line reader, which sends no terminal queries; %.2f s with gosh's line editor, which waits for answers a serial console never sends.", boots, p, e)}})
}
