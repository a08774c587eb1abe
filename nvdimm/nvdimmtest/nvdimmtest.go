// Package nvdimmtest builds fake libnvdimm sysfs trees and attribute
// writers for tests of code that uses package nvdimm.
//
// A fake tree holds files and symlinks only: it shows a state, it does not
// react like the kernel. Tests that need a reaction (a bind that creates a
// block device) script it with Writer.OnWrite.
package nvdimmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Tree is a fake sysfs tree under a temporary directory.
type Tree struct {
	Root string
	t    testing.TB
	// nextResource is where the next fake namespace starts.
	nextResource uint64
}

// carveoutStart is the physical address of the fake carveout, memmap=...!1G.
const carveoutStart = 1 << 30

// NewTree returns an empty tree in a temporary directory.
func NewTree(t testing.TB) *Tree {
	return &Tree{Root: t.TempDir(), t: t, nextResource: carveoutStart}
}

// File writes a file at the path below the root, creating directories.
func (tr *Tree) File(path, content string) {
	tr.t.Helper()
	p := filepath.Join(tr.Root, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

// Dir creates a directory below the root.
func (tr *Tree) Dir(path string) {
	tr.t.Helper()
	if err := os.MkdirAll(filepath.Join(tr.Root, path), 0o755); err != nil {
		tr.t.Fatal(err)
	}
}

// ND sets attributes of an nd bus device: attrs alternate name and value,
// and values get the kernel's trailing newline.
func (tr *Tree) ND(dev string, attrs ...string) {
	tr.t.Helper()
	for i := 0; i+1 < len(attrs); i += 2 {
		tr.File(filepath.Join("bus/nd/devices", dev, attrs[i]), attrs[i+1]+"\n")
	}
	tr.Dir(filepath.Join("bus/nd/devices", dev))
}

// Bind links the device directory dir (below the root) to driver, as the
// driver core's "driver" symlink does.
func (tr *Tree) Bind(dir, driver string) {
	tr.t.Helper()
	link := filepath.Join(tr.Root, dir, "driver")
	_ = os.Remove(link)
	tr.Dir(dir)
	if err := os.Symlink("../../drivers/"+driver, link); err != nil {
		tr.t.Fatal(err)
	}
}

// Unbind removes the driver link of dir.
func (tr *Tree) Unbind(dir string) {
	_ = os.Remove(filepath.Join(tr.Root, dir, "driver"))
}

// Drivers creates the bind and unbind files of drivers on a bus.
func (tr *Tree) Drivers(bus string, drivers ...string) {
	tr.t.Helper()
	for _, d := range drivers {
		for _, f := range []string{"bind", "unbind", "new_id", "remove_id"} {
			tr.File(filepath.Join("bus", bus, "drivers", d, f), "")
		}
	}
}

// Ramdax returns a tree as a booted ramdax system shows it: ndbus0, nmem0,
// region0 (528 MiB with 112 MiB free) and four namespaces:
//
//	namespace0.0  fsdax   via pfn0.0, /dev/pmem0
//	namespace0.1  devdax  via dax0.0, /dev/dax0.1, bound to kmem
//	namespace0.2  raw     /dev/pmem0.2
//	namespace0.3  sector  via btt0.0, /dev/pmem0.3s
//
// plus the idle seeds namespace0.4, pfn0.1, dax0.1 and btt0.1.
func Ramdax(t testing.TB) *Tree {
	tr := NewTree(t)
	tr.Drivers("nd", "nd_pmem", "dax_pmem", "nd_region", "nvdimm", "nd_bus")
	tr.Drivers("dax", "device_dax", "kmem")
	tr.Drivers("platform", "e820_pmem", "ramdax")
	tr.File("bus/platform/devices/e820_pmem/driver_override", "(null)\n")
	tr.Bind("bus/platform/devices/e820_pmem", "ramdax")

	tr.ND("ndbus0", "provider", "ramdax", "wait_probe", "1")
	tr.ND("nmem0", "available_slots", "505", "flags", "label ")
	tr.Bind("bus/nd/devices/nmem0", "nvdimm")
	tr.ND("region0", "size", "553648128", "align", "0x1000000",
		"available_size", "117440512", "max_available_extent", "117440512",
		"set_cookie", "0xcafebeefcafebeef", "mappings", "1", "resource", "0x40000000",
		"mapping0", "nmem0,0,553517056,0", "namespace_seed", "namespace0.4",
		"pfn_seed", "pfn0.1", "dax_seed", "dax0.1", "btt_seed", "btt0.1",
		"init_namespaces", "4/5")
	tr.Bind("bus/nd/devices/region0", "nd_region")

	tr.namespace("namespace0.0", "134217728", "fs", "pfn0.0", "pfn", "512 4096 ")
	tr.ND("pfn0.0", "uuid", "00000000-0000-4000-8000-0000000000f0", "mode", "pmem",
		"align", "2097152", "size", "130023424", "namespace", "namespace0.0")
	tr.Bind("bus/nd/devices/pfn0.0", "nd_pmem")
	tr.block("bus/nd/devices/pfn0.0", "pmem0", "259:0")

	tr.namespace("namespace0.1", "268435456", "dd", "dax0.0", "dax", "512 4096 ")
	tr.ND("dax0.0", "uuid", "00000000-0000-4000-8000-0000000000d0", "mode", "ram",
		"align", "2097152", "size", "266338304", "namespace", "namespace0.1")
	tr.Bind("bus/nd/devices/dax0.0", "dax_pmem")
	tr.Dir("bus/nd/devices/dax0.0/dax0.1")
	tr.Dir("bus/nd/devices/dax0.0/dax_region")
	tr.File("bus/dax/devices/dax0.1/resource", "0x50200000\n")
	tr.File("bus/dax/devices/dax0.1/size", "266338304\n")
	tr.File("bus/dax/devices/dax0.1/dev", "252:1\n")
	tr.Bind("bus/dax/devices/dax0.1", "kmem")

	tr.namespace("namespace0.2", "16777216", "", "", "", "512 [4096] ")
	tr.Bind("bus/nd/devices/namespace0.2", "nd_pmem")
	tr.block("bus/nd/devices/namespace0.2", "pmem0.2", "259:1")

	tr.namespace("namespace0.3", "16777216", "sec", "btt0.0", "btt", "512 4096 ")
	tr.ND("btt0.0", "uuid", "00000000-0000-4000-8000-0000000000b0",
		"sector_size", "512 520 528 [4096] 4104 4160 4224 ", "size", "15728640",
		"namespace", "namespace0.3")
	tr.Bind("bus/nd/devices/btt0.0", "nd_pmem")
	tr.block("bus/nd/devices/btt0.0", "pmem0.3s", "259:2")

	tr.ND("namespace0.4", "size", "0", "uuid", "", "alt_name", "", "holder", "",
		"holder_class", "", "sector_size", "512 4096 ", "force_raw", "0")
	for _, seed := range []string{"pfn0.1", "dax0.1"} {
		tr.ND(seed, "uuid", "", "mode", "none", "align", "2097152", "namespace", "",
			"supported_alignments", "4096 2097152 ")
	}
	tr.ND("btt0.1", "uuid", "", "sector_size", "512 520 528 4096 4104 4160 4224 ", "namespace", "")

	tr.File("devices/system/memory/block_size_bytes", "8000000\n")
	for _, b := range []string{"memory11", "memory12"} {
		tr.File("devices/system/memory/"+b+"/state", "online\n")
	}
	return tr
}

// NUMA shows region's numa_node and target_node as a kernel with
// CONFIG_NUMA does. A negative targetNode stays hidden, as the kernel hides
// NUMA_NO_NODE; numa_node is shown even then. Trees start without either,
// as a kernel without CONFIG_NUMA shows them.
func (tr *Tree) NUMA(region string, numaNode, targetNode int) {
	tr.t.Helper()
	tr.ND(region, "numa_node", strconv.Itoa(numaNode))
	if targetNode >= 0 {
		tr.ND(region, "target_node", strconv.Itoa(targetNode))
	}
}

// namespace writes the attributes of a namespace whose uuid ends in its
// device number. Namespaces are laid out back to back from the carveout's
// start, as the kernel allocates them in an empty region.
func (tr *Tree) namespace(dev, size, name, holder, class, sectorSize string) {
	uuid := "00000000-0000-4000-8000-00000000000" + dev[len(dev)-1:]
	tr.ND(dev, "size", size, "uuid", uuid, "alt_name", name, "holder", holder,
		"holder_class", class, "sector_size", sectorSize, "force_raw", "0",
		"mode", "raw", "resource", fmt.Sprintf("%#x", tr.nextResource))
	n, err := strconv.ParseUint(size, 10, 64)
	if err != nil {
		tr.t.Fatalf("fake namespace %s: size %q: %v", dev, size, err)
	}
	tr.nextResource += n
}

// block adds a gendisk under a device directory and in /sys/class/block.
func (tr *Tree) block(dir, name, devNum string) {
	tr.Dir(filepath.Join(dir, "block", name))
	tr.File(filepath.Join("class/block", name, "dev"), devNum+"\n")
}

// Writer records attribute writes, fails those listed in Fail, and
// otherwise writes the files of the tree, so that reads see the value.
type Writer struct {
	// Root is the tree's root; recorded paths are relative to it.
	Root string
	// Writes are "path=value" in order, paths relative to Root.
	Writes []string
	// Fail maps a path suffix ("namespace0.4/size") to the error that a
	// write to it returns.
	Fail map[string]error
	// OnWrite, when set, runs after each successful write, to script
	// what the kernel would do (a bind creating a device).
	OnWrite func(rel, value string)
}

// WriteAttr implements nvdimm.AttrWriter.
func (w *Writer) WriteAttr(path, value string) error {
	rel := strings.TrimPrefix(path, w.Root+"/")
	w.Writes = append(w.Writes, rel+"="+value)
	for suffix, err := range w.Fail {
		if strings.HasSuffix(rel, suffix) {
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
	}
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return err
	}
	if w.OnWrite != nil {
		w.OnWrite(rel, value)
	}
	return nil
}

// Kernel returns a Writer over tr that scripts the kernel reactions that
// creating, completing and destroying namespaces depend on: a seed that
// names a namespace claims it; a bind links the driver and gives the device
// a block device "pmem-DEV", with a node in dev of 64 KiB of zeros unless
// the node exists; an unbind removes the link.
func (tr *Tree) Kernel(dev string) *Writer {
	w := &Writer{Root: tr.Root}
	w.OnWrite = func(rel, value string) {
		nd := "bus/nd/devices/" + value
		switch {
		case strings.HasSuffix(rel, "/namespace") && value != "":
			tr.ND(value, "holder", filepath.Base(filepath.Dir(rel)))
		case strings.HasPrefix(rel, "bus/nd/drivers/") && strings.HasSuffix(rel, "/bind"):
			tr.Bind(nd, filepath.Base(filepath.Dir(rel)))
			tr.Dir(nd + "/block/pmem-" + value)
			node := filepath.Join(dev, "pmem-"+value)
			if _, err := os.Stat(node); err != nil {
				if err := os.WriteFile(node, make([]byte, 64<<10), 0o600); err != nil {
					tr.t.Fatal(err)
				}
			}
		case strings.HasSuffix(rel, "/unbind"):
			tr.Unbind(nd)
			_ = os.RemoveAll(filepath.Join(tr.Root, nd, "block"))
		}
	}
	return w
}
