// Package kernel holds in-guest checks of the appliance kernel: that RAMDAX
// and the nvdimm stack are built in and see the memmap= carveout.
//
// Its tests carry the vmguest build tag: vmtest.RunGuestTests compiles them
// and runs them inside QEMU; on the host they are not compiled at all.
package kernel
