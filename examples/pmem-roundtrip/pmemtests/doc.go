// Package pmemtests runs inside the guest (build tag vmguest): it writes
// known data through mmap on the fsdax and devdax namespaces, or reads it
// back, as the host side's roundtrip.phase parameter says.
package pmemtests
