package fleet

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/ramdax/appliance/layout"
	"github.com/ramdax/appliance/release"
)

// Inventory is which layout each machine of a fleet boots.
type Inventory struct {
	// File is where the inventory was read from, for messages and the
	// headers of generated files.
	File    string
	Classes []Class // in file order
	Nodes   []Node  // in file order
	// Default is what machines the inventory does not list boot; nil
	// when they boot nothing from here.
	Default *Default
	// Warnings are accepted oddities worth a look, one line each, like
	// errors: a carveout that wastes space, a ramdax.reset= that
	// destroys data at every boot.
	Warnings []string
}

// Class is a named layout, for machines of one hardware kind.
type Class struct {
	Name   string
	Layout string
	Line   int
}

// Node is one machine, by the MAC address it PXE-boots from.
type Node struct {
	Name string
	MAC  net.HardwareAddr
	// Class is the class the node boots, "" when it has a layout of its own.
	Class string
	// Layout is what the node boots: its class's layout, or its own.
	Layout string
	Line   int
}

// Default is what machines the inventory does not list boot.
type Default struct {
	Class  string // "" when Layout is its own
	Layout string
	Line   int
}

// Boots returns the layout the machine with mac boots: its node's, or the
// default for a machine the inventory does not list. It returns false
// when the machine boots nothing from here.
func (inv *Inventory) Boots(mac net.HardwareAddr) (string, bool) {
	if n, ok := inv.Node(mac); ok {
		return n.Layout, true
	}
	if inv.Default != nil {
		return inv.Default.Layout, true
	}
	return "", false
}

// Node returns the node with mac.
func (inv *Inventory) Node(mac net.HardwareAddr) (Node, bool) {
	for _, n := range inv.Nodes {
		if n.MAC.String() == mac.String() {
			return n, true
		}
	}
	return Node{}, false
}

// Error is one problem with one inventory entry.
type Error struct {
	File  string
	Line  int
	Entry string // "node n4 (52:54:00:0f:00:04)", "class db", "default"
	Msg   string // what is wrong and how to fix it
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Entry, e.Msg)
}

// Errors is every problem of an inventory, in line order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads and checks the inventory at path.
func Load(path string) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads and checks an inventory; file names it in messages. The
// error, when there is one, is an Errors with every problem found.
func Parse(file string, r io.Reader) (*Inventory, error) {
	p := &parser{inv: &Inventory{File: file}}
	s := bufio.NewScanner(r)
	for line := 1; s.Scan(); line++ {
		p.entry(line, strings.Fields(s.Text()))
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("inventory %s: %w", file, err)
	}
	p.resolve()
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, p.errs
	}
	return p.inv, nil
}

// parser reads in two passes: entries line by line, then the class
// references, so that classes may be defined anywhere in the file.
type parser struct {
	inv  *Inventory
	errs Errors
}

func (p *parser) fail(line int, entry, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.inv.File, Line: line, Entry: entry, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(line int, entry, msg string) {
	p.inv.Warnings = append(p.inv.Warnings, (&Error{File: p.inv.File, Line: line, Entry: entry, Msg: msg}).Error())
}

const forms = "want `class NAME LAYOUT`, `node NAME MAC CLASS|LAYOUT` or `default CLASS|LAYOUT`"

func (p *parser) entry(line int, fields []string) {
	if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return
	}
	switch kind, args := fields[0], fields[1:]; {
	case kind == "class" && len(args) >= 2:
		p.class(line, args[0], strings.Join(args[1:], " "))
	case kind == "node" && len(args) >= 3:
		p.node(line, args[0], args[1], args[2:])
	case kind == "default" && len(args) >= 1:
		p.defaultEntry(line, args)
	case kind == "class" || kind == "node" || kind == "default":
		p.fail(line, "", "%s: too few fields; %s", kind, forms)
	default:
		p.fail(line, "", "unknown entry %q; %s", kind, forms)
	}
}

func (p *parser) class(line int, name, lay string) {
	entry := "class " + name
	if p.checkName(line, entry, name) {
		for _, c := range p.inv.Classes {
			if c.Name == name {
				p.fail(line, entry, "class %s is already defined on line %d; give each class its own name", name, c.Line)
				return
			}
		}
	}
	p.checkLayout(line, entry, lay)
	p.checkLength(line, entry, classID(name), lay)
	p.inv.Classes = append(p.inv.Classes, Class{Name: name, Layout: lay, Line: line})
}

func (p *parser) node(line int, name, macText string, target []string) {
	mac, macErr := parseMAC(macText)
	n := Node{Name: name, MAC: mac, Line: line}
	entry := n.entry()
	if macErr != nil {
		entry = fmt.Sprintf("node %s (%s)", name, macText)
		p.fail(line, entry, "MAC %q: %v; write six bytes with colons, like 52:54:00:12:34:56", macText, macErr)
	}
	for _, other := range p.inv.Nodes {
		switch {
		case other.Name == name:
			p.fail(line, entry, "node %s is already defined on line %d; give each node its own name", name, other.Line)
		case macErr == nil && other.MAC.String() == mac.String():
			p.fail(line, entry, "MAC %s is already node %s on line %d; a MAC boots one layout, so remove one of them", mac, other.Name, other.Line)
		}
	}
	p.checkName(line, entry, name)
	n.Class, n.Layout = p.target(line, entry, target)
	if n.Class == "" {
		p.checkLength(line, entry, nodeID(name), n.Layout)
	}
	p.inv.Nodes = append(p.inv.Nodes, n)
}

// entry names the node in messages.
func (n Node) entry() string {
	if n.MAC == nil {
		return "node " + n.Name
	}
	return fmt.Sprintf("node %s (%s)", n.Name, n.MAC)
}

func (p *parser) defaultEntry(line int, target []string) {
	if d := p.inv.Default; d != nil {
		p.fail(line, "default", "the default is already set on line %d; keep one", d.Line)
		return
	}
	d := &Default{Line: line}
	d.Class, d.Layout = p.target(line, "default", target)
	if d.Class == "" {
		p.checkLength(line, "default", defaultID, d.Layout)
	}
	p.inv.Default = d
}

// target reads what a node or the default boots: one word without "="
// names a class, anything else is a layout.
func (p *parser) target(line int, entry string, fields []string) (class, lay string) {
	if len(fields) == 1 && !strings.Contains(fields[0], "=") {
		return fields[0], "" // resolved once every class is known
	}
	lay = strings.Join(fields, " ")
	p.checkLayout(line, entry, lay)
	return "", lay
}

// resolve gives nodes and the default their class's layout.
func (p *parser) resolve() {
	classes := map[string]string{}
	for _, c := range p.inv.Classes {
		if _, dup := classes[c.Name]; !dup {
			classes[c.Name] = c.Layout
		}
	}
	lookup := func(line int, entry, class string) string {
		lay, ok := classes[class]
		if !ok {
			p.fail(line, entry, "no class %q; define it with `class %s LAYOUT`, or check the spelling (known: %s)", class, class, p.classNames())
		}
		return lay
	}
	for i := range p.inv.Nodes {
		if n := &p.inv.Nodes[i]; n.Class != "" {
			n.Layout = lookup(n.Line, n.entry(), n.Class)
		}
	}
	if d := p.inv.Default; d != nil && d.Class != "" {
		d.Layout = lookup(d.Line, "default", d.Class)
	}
}

func (p *parser) classNames() string {
	if len(p.inv.Classes) == 0 {
		return "none"
	}
	names := make([]string, len(p.inv.Classes))
	for i, c := range p.inv.Classes {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// checkName reports whether name is usable as a file name and a Matchbox
// id, and says why not.
func (p *parser) checkName(line int, entry, name string) bool {
	ok := name != "" && len(name) <= 63 && isAlnum(rune(name[0]))
	for _, r := range name {
		ok = ok && (isAlnum(r) || r == '.' || r == '_' || r == '-')
	}
	if !ok {
		p.fail(line, entry, "name %q: use 1 to 63 of A-Z a-z 0-9 . _ -, starting with a letter or a digit", name)
	}
	return ok
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// parseMAC reads an EUI-48 address, the kind a NIC PXE-boots with.
func parseMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil {
		return nil, fmt.Errorf("not a MAC address")
	}
	if len(mac) != 6 {
		return nil, fmt.Errorf("%d bytes, want 6", len(mac))
	}
	return mac, nil
}

// checkLayout checks lay as ramdaxinit will read it at boot, and as iPXE
// and Matchbox's templates will pass it on.
func (p *parser) checkLayout(line int, entry, lay string) {
	if i := strings.IndexAny(lay, release.LoaderSpecial); i >= 0 {
		p.fail(line, entry, "%q would be read by iPXE, not passed to the kernel; remove it (mount points cannot hold spaces here)", lay[i])
		return
	}
	l, err := layout.Parse(lay)
	for _, e := range layout.AsErrors(err) {
		p.fail(line, entry, "%s", e)
	}
	if err != nil && layout.AsErrors(err) == nil {
		p.fail(line, entry, "%v", err)
	}
	if len(l.Carveouts) == 0 {
		p.fail(line, entry, "no memmap=SIZE!START carveout, so ramdaxinit would have nothing to set up; add one, like memmap=2097280K!4G (2G at 4G)")
	}
	for _, h := range l.Hints() {
		p.warn(line, entry, "hint: "+h)
	}
	if l.ResetAll || len(l.Reset) > 0 {
		p.warn(line, entry, "ramdax.reset= destroys its namespaces at every boot of this node; remove it after one boot")
	}
}
