package vmtest

import "testing"

// TestNvdimm runs package nvdimm's in-guest tests (nvdimm/guesttest) on the
// built-in kernel with two carveouts inside guest RAM: region0 of 528 MiB
// (512 MiB usable) and region1 of 272 MiB (256 MiB usable).
func TestNvdimm(t *testing.T) {
	RunGuestTests(t, "nvdimm", []string{"github.com/ramdax/appliance/nvdimm/guesttest"},
		WithCarveout("528M", "1G"), WithCarveout("272M", "1600M"))
}
