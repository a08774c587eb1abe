//go:build vmguest

package kernel

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"testing"
)

func TestRAMDAXDriverRegistered(t *testing.T) {
	if _, err := os.Stat("/sys/bus/platform/drivers/ramdax"); err != nil {
		t.Fatalf("ramdax platform driver: %v", err)
	}
}

func TestNoModulesLoaded(t *testing.T) {
	mods, err := os.ReadFile("/proc/modules")
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read /proc/modules: %v", err)
	}
	if len(mods) > 0 {
		t.Errorf("modules loaded, want none:\n%s", mods)
	}
}

func TestConfigHasRAMDAXBuiltin(t *testing.T) {
	config := readConfig(t)
	for _, want := range []string{"CONFIG_RAMDAX=y", "CONFIG_LIBNVDIMM=y", "CONFIG_X86_PMEM_LEGACY=y"} {
		if !config[want] {
			t.Errorf("/proc/config.gz lacks %s", want)
		}
	}
}

// TestCarveoutIsPersistentMemory checks that memmap=512M!1G became an e820
// persistent-memory range on the e820_pmem platform device.
func TestCarveoutIsPersistentMemory(t *testing.T) {
	iomem, err := os.ReadFile("/proc/iomem")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(iomem), "40000000-5fffffff : Persistent Memory (legacy)") {
		t.Errorf("/proc/iomem has no legacy persistent-memory range at 1G:\n%s", iomem)
	}
	if _, err := os.Stat("/sys/bus/platform/devices/e820_pmem"); err != nil {
		t.Errorf("e820_pmem platform device: %v", err)
	}
}

func readConfig(t *testing.T) map[string]bool {
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		t.Fatalf("open /proc/config.gz (needs IKCONFIG_PROC): %v", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	s := bufio.NewScanner(z)
	for s.Scan() {
		lines[s.Text()] = true
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
