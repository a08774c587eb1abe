package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMountEarly(t *testing.T) {
	dir := t.TempDir()
	absent := earlyMount{source: "nofs", target: filepath.Join(dir, "absent"), fsType: "nofs", ifPresent: true}
	made := earlyMount{source: "nofs", target: filepath.Join(dir, "made", "here"), fsType: "ramdax-no-such-fs"}
	errs := mountEarly([]earlyMount{absent, made})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), made.target) {
		t.Fatalf("mountEarly = %v, want one error naming %s: a mount whose point the kernel did not make is skipped, the rest tried", errs, made.target)
	}
	if _, err := os.Stat(made.target); err != nil {
		t.Errorf("the mount point %s was not made: %v", made.target, err)
	}
}
