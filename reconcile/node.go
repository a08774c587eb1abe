package reconcile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/nvdimm"
)

// regionIndex returns the index in regions of the region w asks for:
// region=N as given (place reports one that does not exist), or the one
// region whose numa_node is node=N. The error says why node=N names no
// single region, in the parser's words, since it is the line that needs
// changing.
func regionIndex(w *layout.Namespace, regions []nvdimm.Region) (int, *layout.ParamError) {
	if !w.OnNode {
		return w.Region, nil
	}
	var on []int
	for i, r := range regions {
		if r.NumaNode == w.Node {
			on = append(on, i)
		}
	}
	if len(on) == 1 {
		return on[0], nil
	}
	e := &layout.ParamError{Param: "ramdax.ns", Value: w.String()}
	e.Reason, e.Hint = nodeProblem(w.Node, on, regions)
	return -1, e
}

// nodeProblem explains why node names no single region, with the nodes
// and regions that exist, and suggests a key that does.
func nodeProblem(node int, on []int, regions []nvdimm.Region) (reason, hint string) {
	switch {
	case len(regions) == 0:
		return fmt.Sprintf("no region on node %d (no regions)", node), fmt.Sprintf("add a memmap=SIZE!START in node %d's memory", node)
	case len(nodesOf(regions)) == 0:
		// numa_node is hidden without CONFIG_NUMA, so no node can be named.
		return "the kernel reports no NUMA nodes (no region has a numa_node: a kernel without CONFIG_NUMA)",
			"use " + orList(keys("region=", indices(len(regions))))
	case len(on) == 0:
		return fmt.Sprintf("no region on node %d (%s)", node, placesText(regions)), "use " + orList(keys("node=", nodesOf(regions)))
	}
	names := make([]string, len(on))
	for i, n := range on {
		names[i] = regions[n].Dev
	}
	return fmt.Sprintf("node %d has %d regions (%s)", node, len(on), strings.Join(names, ", ")), "use " + orList(keys("region=", on))
}

// placesText lists where the regions are: "region0 on node 0, region1 on node 1".
func placesText(regions []nvdimm.Region) string {
	where := make([]string, len(regions))
	for i, r := range regions {
		where[i] = r.Dev + " on node " + nodeText(r.NumaNode)
	}
	return strings.Join(where, ", ")
}

// nodesOf lists the NUMA nodes that hold regions, in order.
func nodesOf(regions []nvdimm.Region) []int {
	var nodes []int
	for _, r := range regions {
		if r.NumaNode != nvdimm.NoNode && !slices.Contains(nodes, r.NumaNode) {
			nodes = append(nodes, r.NumaNode)
		}
	}
	slices.Sort(nodes)
	return nodes
}

// nodeOf returns the NUMA node of the region named dev.
func nodeOf(dev string, regions []nvdimm.Region) int {
	i := slices.IndexFunc(regions, func(r nvdimm.Region) bool { return r.Dev == dev })
	if i < 0 {
		return nvdimm.NoNode
	}
	return regions[i].NumaNode
}

func nodeText(n int) string {
	if n == nvdimm.NoNode {
		return "unknown"
	}
	return strconv.Itoa(n)
}

func indices(n int) []int {
	is := make([]int, n)
	for i := range is {
		is[i] = i
	}
	return is
}

// keys writes "region=0", "region=1" for prefix "region=".
func keys(prefix string, ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = prefix + strconv.Itoa(n)
	}
	return out
}

// orList writes "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
