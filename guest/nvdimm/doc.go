// Package nvdimm holds in-guest tests of package nvdimm against the real
// kernel: taking e820_pmem over for ramdax, creating and destroying
// namespaces in every mode, the errors of a full region, refusing to
// destroy what is in use, and devdax to system-ram and back.
//
// The tests carry the vmguest build tag; vmtest/nvdimm_test.go runs them in
// QEMU with two carveouts, memmap=528M!1G and memmap=272M!1600M.
package nvdimm
