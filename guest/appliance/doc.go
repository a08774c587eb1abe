// Package appliance holds in-guest checks of ramdaxinit. The host suite
// boots a guest whose kernel command line carries the layout under test
// (ramdax.*) and what to check (ramdaxtest.*):
//
//	ramdaxtest.expect=NAME:STATE,...   states status.json must report
//	ramdaxtest.write=NAME,...          fill these namespaces with known data
//	ramdaxtest.verify=NAME,...         check the known data is still there
//	ramdaxtest.empty=NAME,...          check the known data is gone
//
// The test runs /bbin/ramdaxinit as a child, which sets up and returns
// (only as PID 1 does it hand over), then checks status.json, the device
// nodes and the data.
//
// Its tests carry the vmguest build tag, like every in-guest test.
package appliance
