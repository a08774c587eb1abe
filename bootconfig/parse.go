// Package bootconfig reads and writes the kernel's boot configuration
// (Documentation/admin-guide/bootconfig.rst): the key/value text appended
// to the initrd, its footer, and the /proc/bootconfig listing.
//
// Parse follows the kernel's own parser (lib/bootconfig.c) rule for rule,
// so that a file it accepts at build time is one the kernel accepts at
// boot, with the same limits.
package bootconfig

import (
	"fmt"
	"strings"
)

// The kernel's limits (include/linux/bootconfig.h).
const (
	MaxData   = 32767 // bytes, with the NUL and the footer's padding
	MaxNodes  = 8192  // key words and values
	MaxKeyLen = 256   // a whole key, its dots and a NUL
	MaxDepth  = 16    // key words in one key, and nested braces
)

// Value is one value of a key, with the line it was written on (0 when
// it came from /proc/bootconfig, which has no lines of the source).
type Value struct {
	Text string
	Line int
}

// KeyValue is a key with all its values: one, an array's in order, or
// none for a key written alone.
type KeyValue struct {
	Key    string
	Values []Value
}

// SyntaxError is a place the kernel's parser would refuse.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return "bootconfig: " + e.Msg
	}
	return fmt.Sprintf("bootconfig line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// node is one key word. A key's value, when it has one, is held apart
// from its subkeys, as the kernel keeps it as the first child.
type node struct {
	word     string
	values   []Value
	hasValue bool
	children []*node
}

func (n *node) child(word string) *node {
	for _, c := range n.children {
		if c.word == word {
			return c
		}
	}
	c := &node{word: word}
	n.children = append(n.children, c)
	return c
}

// parser walks the text the way xbc_parse_tree does: it cuts at the next
// of { } = + ; : newline or #, and the delimiter says what came before.
type parser struct {
	text  string
	pos   int
	root  node
	stack []*node // open braces
	nodes int
}

// Parse reads bootconfig text and returns every key that has a value or
// is a leaf, in the order the kernel lists them in /proc/bootconfig.
func Parse(text string) ([]KeyValue, error) {
	if size := len(text) + 1; size > MaxData {
		return nil, &SyntaxError{Msg: fmt.Sprintf("%d bytes, more than the kernel's %d", size, MaxData)}
	}
	p := &parser{text: text}
	if err := p.parse(); err != nil {
		return nil, err
	}
	if len(p.stack) > 0 {
		return nil, p.errorAt(len(text), fmt.Sprintf("the brace after %q is not closed", p.stack[len(p.stack)-1].word))
	}
	if len(p.root.children) == 0 {
		return nil, &SyntaxError{Msg: "empty config: no key"}
	}
	var kvs []KeyValue
	if err := p.collect(&p.root, "", 0, &kvs); err != nil {
		return nil, err
	}
	return kvs, nil
}

func (p *parser) parse() error {
	for {
		start := p.pos
		i := strings.IndexAny(p.text[start:], "{}=+;:\n#")
		if i < 0 {
			if strings.TrimSpace(p.text[start:]) != "" {
				return p.errorAt(start, "no delimiter after the last key: end it with a newline or ;")
			}
			return nil
		}
		q := start + i
		word, c := p.text[start:q], p.text[q]
		p.pos = q + 1
		var err error
		switch c {
		case ':', '+':
			if p.pos >= len(p.text) || p.text[p.pos] != '=' {
				return p.errorAt(q, fmt.Sprintf("%q must be followed by =", c))
			}
			p.pos++
			err = p.keyValue(word, start, c)
		case '=':
			err = p.keyValue(word, start, c)
		case '{':
			err = p.openBrace(word, start)
		case '#':
			p.skipComment()
			err = p.bareKey(word, start)
		case ';', '\n':
			err = p.bareKey(word, start)
		case '}':
			if err = p.bareKey(word, start); err == nil {
				err = p.closeBrace(q)
			}
		}
		if err != nil {
			return err
		}
	}
}

// parent is the key a new key is under: the innermost open brace.
func (p *parser) parent() *node {
	if len(p.stack) == 0 {
		return &p.root
	}
	return p.stack[len(p.stack)-1]
}

// key finds or adds the key written as words (a.b.c) under the parent.
func (p *parser) key(words string, at int) (*node, error) {
	n := p.parent()
	for _, w := range strings.Split(strings.TrimSpace(words), ".") {
		if !validWord(w) {
			return nil, p.errorAt(at, fmt.Sprintf("invalid key %q: key words are letters, digits, - and _, joined by dots", strings.TrimSpace(words)))
		}
		n = n.child(w)
	}
	return n, nil
}

func validWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (p *parser) bareKey(words string, at int) error {
	if strings.TrimSpace(words) == "" {
		return nil
	}
	_, err := p.key(words, at)
	return err
}

func (p *parser) openBrace(words string, at int) error {
	n, err := p.key(words, at)
	if err != nil {
		return err
	}
	if len(p.stack) >= MaxDepth {
		return p.errorAt(at, fmt.Sprintf("more than %d nested braces", MaxDepth))
	}
	p.stack = append(p.stack, n)
	return nil
}

func (p *parser) closeBrace(at int) error {
	if len(p.stack) == 0 {
		return p.errorAt(at, "a closing brace with no open one")
	}
	p.stack = p.stack[:len(p.stack)-1]
	return nil
}

// keyValue reads the value, or the array, after KEY =, += or :=.
func (p *parser) keyValue(words string, at int, op byte) error {
	n, err := p.key(words, at)
	if err != nil {
		return err
	}
	values, delim, err := p.values()
	if err != nil {
		return err
	}
	switch {
	case n.hasValue && op == '=':
		return p.errorAt(at, fmt.Sprintf("%s is given a value twice: use += to add to it, or := to replace it", strings.TrimSpace(words)))
	case op == '+':
		n.values = append(n.values, values...)
	default:
		n.values = values
	}
	n.hasValue = true
	if delim == '}' {
		return p.closeBrace(p.pos - 1)
	}
	return nil
}

// values reads one value, and more while each ends with a comma. It
// returns the delimiter that ended the last one.
func (p *parser) values() ([]Value, byte, error) {
	rest := p.text[p.pos:]
	trimmed := strings.TrimLeft(rest, " \t\r\v\f")
	p.pos += len(rest) - len(trimmed)
	if strings.HasPrefix(trimmed, "#") {
		// A comment right after = leaves the key an empty value.
		p.skipComment()
		return []Value{{Text: "", Line: p.line(p.pos - 1)}}, '\n', nil
	}
	var values []Value
	for {
		v, delim, err := p.value()
		if err != nil {
			return nil, 0, err
		}
		values = append(values, v)
		if delim != ',' {
			return values, delim, nil
		}
		p.skipToNextValue()
	}
}

// skipToNextValue passes the spaces, empty lines and comments between an
// array's comma and its next value.
func (p *parser) skipToNextValue() {
	for {
		rest := p.text[p.pos:]
		trimmed := strings.TrimLeft(rest, " \t\n\r\v\f")
		p.pos += len(rest) - len(trimmed)
		if !strings.HasPrefix(trimmed, "#") {
			return
		}
		p.skipComment()
	}
}

// value reads one value from p.pos, quoted or not, as __xbc_parse_value.
func (p *parser) value() (Value, byte, error) {
	start := p.pos
	line := p.line(start)
	if start < len(p.text) && (p.text[start] == '"' || p.text[start] == '\'') {
		return p.quoted(start, line)
	}
	for i := start; i < len(p.text); i++ {
		c := p.text[i]
		if err := p.printable(i); err != nil {
			return Value{}, 0, err
		}
		if strings.IndexByte(",;\n#}", c) >= 0 {
			p.pos = i + 1
			if c == '#' {
				p.skipComment()
				c = '\n'
			}
			return Value{Text: strings.TrimSpace(p.text[start:i]), Line: line}, c, nil
		}
	}
	p.pos = len(p.text)
	return Value{Text: strings.TrimSpace(p.text[start:]), Line: line}, 0, nil
}

func (p *parser) quoted(start, line int) (Value, byte, error) {
	q := p.text[start]
	end := strings.IndexByte(p.text[start+1:], q)
	if end < 0 {
		return Value{}, 0, p.errorAt(start, fmt.Sprintf("no closing %c", q))
	}
	end += start + 1
	for i := start + 1; i < end; i++ {
		if err := p.printable(i); err != nil {
			return Value{}, 0, err
		}
	}
	v := Value{Text: p.text[start+1 : end], Line: line}
	i := end + 1
	for i < len(p.text) && isSpace(p.text[i]) && p.text[i] != '\n' {
		i++
	}
	if i == len(p.text) {
		p.pos = i
		return v, 0, nil
	}
	c := p.text[i]
	if strings.IndexByte(",;\n#}", c) < 0 {
		return Value{}, 0, p.errorAt(i, "no delimiter after the quoted value: want , ; } or a newline")
	}
	p.pos = i + 1
	if c == '#' {
		p.skipComment()
		c = '\n'
	}
	return v, c, nil
}

func (p *parser) printable(i int) error {
	c := p.text[i]
	if (c < 0x20 || c == 0x7f) && !isSpace(c) {
		return p.errorAt(i, fmt.Sprintf("a non-printable byte %#x in a value", c))
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// skipComment moves past the end of the line.
func (p *parser) skipComment() {
	if i := strings.IndexByte(p.text[p.pos:], '\n'); i >= 0 {
		p.pos += i + 1
		return
	}
	p.pos = len(p.text)
}

// collect lists the keys with values depth first, as the kernel does, and
// checks the limits on the whole tree.
func (p *parser) collect(n *node, prefix string, depth int, kvs *[]KeyValue) error {
	for _, c := range n.children {
		key := c.word
		if prefix != "" {
			key = prefix + "." + c.word
		}
		p.nodes += 1 + len(c.values)
		switch {
		case p.nodes > MaxNodes:
			return &SyntaxError{Msg: fmt.Sprintf("more than the kernel's %d nodes (key words and values): split the layout, or use fewer keys", MaxNodes)}
		case len(key)+1 > MaxKeyLen:
			return &SyntaxError{Msg: fmt.Sprintf("key %q is longer than the kernel's %d bytes", key, MaxKeyLen-1)}
		case depth+1 > MaxDepth:
			return &SyntaxError{Msg: fmt.Sprintf("key %q has more than %d words", key, MaxDepth)}
		}
		// A leaf without a value is listed too, as /proc/bootconfig lists
		// it: as key = "". A key of MaxDepth words is not: the kernel
		// cannot compose it, and stops its listing there.
		if (c.hasValue || len(c.children) == 0) && depth+1 < MaxDepth {
			*kvs = append(*kvs, KeyValue{Key: key, Values: c.values})
		}
		if err := p.collect(c, key, depth+1, kvs); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) line(at int) int { return strings.Count(p.text[:at], "\n") + 1 }

func (p *parser) errorAt(at int, msg string) error {
	line := p.line(at)
	col := at - strings.LastIndexByte(p.text[:at], '\n')
	return &SyntaxError{Line: line, Col: col, Msg: msg}
}
