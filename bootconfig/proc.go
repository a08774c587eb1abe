package bootconfig

import (
	"fmt"
	"strings"
)

// ProcFile is where the kernel lists the bootconfig it loaded. It exists
// only on a kernel built with CONFIG_BOOT_CONFIG.
const ProcFile = "/proc/bootconfig"

// ParseProc reads the kernel's listing of its bootconfig: one
// `KEY = "VALUE"` line per key, an array as `KEY = "A", "B"`, a value
// holding " in single quotes, and comments for what the boot loader
// added. A key listed as = "" is returned with no values, since the
// kernel lists a key written alone that way.
func ParseProc(text string) ([]KeyValue, error) {
	var kvs []KeyValue
	for line := 1; text != ""; line++ {
		if text[0] == '\n' || text[0] == '#' {
			_, text, _ = strings.Cut(text, "\n")
			continue
		}
		key, rest, ok := strings.Cut(text, " = ")
		if !ok || strings.Contains(key, "\n") {
			return nil, fmt.Errorf("%s line %d: no \" = \" after the key", ProcFile, line)
		}
		values, rest, err := procValues(rest)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: key %s: %w", ProcFile, line, key, err)
		}
		if len(values) == 1 && values[0].Text == "" {
			values = nil
		}
		kvs = append(kvs, KeyValue{Key: key, Values: values})
		line += strings.Count(text[:len(text)-len(rest)], "\n") - 1
		text = rest
	}
	return kvs, nil
}

// procValues reads `"A", 'B'` and the newline after it, and returns the
// values and what follows. A quoted value may hold a newline.
func procValues(s string) ([]Value, string, error) {
	var values []Value
	for {
		if s == "" || (s[0] != '"' && s[0] != '\'') {
			return nil, "", fmt.Errorf("want a quoted value at %.20q", s)
		}
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return nil, "", fmt.Errorf("no closing %c", s[0])
		}
		values = append(values, Value{Text: s[1 : end+1]})
		s = s[end+2:]
		if rest, ok := strings.CutPrefix(s, "\n"); ok || s == "" {
			return values, rest, nil
		}
		var ok bool
		if s, ok = strings.CutPrefix(s, ", "); !ok {
			return nil, "", fmt.Errorf("want , or a newline after a value at %.20q", s)
		}
	}
}
