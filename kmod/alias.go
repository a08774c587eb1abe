package kmod

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Aliases is a parsed modules.alias: which modules claim which device
// modaliases. depmod writes one "alias PATTERN MODULE" line per id-table
// entry of every module; PATTERN is a glob matched as modprobe matches it,
// with fnmatch(3) and no flags.
type Aliases struct {
	// byBus holds the patterns whose literal start names the bus ("pci",
	// "usb", ...): only a modalias on that bus can match them. The ""
	// entry holds the rest, such as "acpi*:PNP0501:*" or "dmi*:...",
	// which every modalias is tried against.
	byBus map[string][]alias
}

type alias struct {
	pattern string
	module  string
	// literal is the pattern's start before its first wildcard, which a
	// modalias must start with: most patterns are ruled out by it alone
	// (pci:v00008086d000010D3sv*...).
	literal string
}

// ReadAliases reads dir's modules.alias.
func ReadAliases(dir string) (*Aliases, error) {
	a := &Aliases{byBus: map[string][]alias{}}
	if err := readFile(filepath.Join(dir, "modules.alias"), a.parse); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Aliases) parse(r io.Reader) error {
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		f := strings.Fields(s.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 || f[0] != "alias" {
			return fmt.Errorf("line %d: want \"alias PATTERN MODULE\", got %q", n, s.Text())
		}
		lit := literal(f[1])
		bus := patternBus(lit)
		a.byBus[bus] = append(a.byBus[bus], alias{f[1], ModName(f[2]), lit})
	}
	return s.Err()
}

// literal returns the start of pattern before its first wildcard.
func literal(pattern string) string {
	if end := strings.IndexAny(pattern, `*?[\`); end >= 0 {
		return pattern[:end]
	}
	return pattern
}

// patternBus returns the bus a pattern's literal start limits it to: the
// text before the first colon; "" if the literal start has no colon.
func patternBus(literal string) string {
	bus, _, ok := strings.Cut(literal, ":")
	if !ok {
		return ""
	}
	return bus
}

// Match returns the modules whose aliases match modalias, in
// modules.alias order, each once.
func (a *Aliases) Match(modalias string) []string {
	bus, _, _ := strings.Cut(modalias, ":")
	var mods []string
	seen := map[string]bool{}
	for _, set := range [][]alias{a.byBus[bus], a.byBus[""]} {
		for _, al := range set {
			if strings.HasPrefix(modalias, al.literal) && !seen[al.module] && fnmatch(al.pattern, modalias) {
				seen[al.module] = true
				mods = append(mods, al.module)
			}
		}
	}
	return mods
}

// fnmatch reports whether name matches the shell glob pattern the way
// fnmatch(3) without flags does: '*' matches any run of bytes, '?' any one
// byte, "[...]" a set (with '!' or '^' to negate, and ranges), and '\'
// quotes the next byte. path.Match is not that: its '*' stops at '/', and
// DMI modaliases hold dates such as "bd04/01/2014" that patterns like
// "dmi*:svnLENOVO*:*" must match across.
func fnmatch(pattern, name string) bool {
	p, n := 0, 0
	// Where the last '*' was, and the byte of name it swallows up to: on
	// a mismatch, that star takes one more byte and matching resumes.
	star, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				star, starN = p, n
				p++
				continue
			case '?':
				p, n = p+1, n+1
				continue
			case '[':
				ok, width, valid := matchSet(pattern[p:], name[n])
				if !valid && name[n] == '[' {
					p, n = p+1, n+1
					continue
				}
				if valid && ok {
					p, n = p+width, n+1
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					c = pattern[p+1]
					p++
				}
				if c == name[n] {
					p, n = p+1, n+1
					continue
				}
			default:
				if c == name[n] {
					p, n = p+1, n+1
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		starN++
		p, n = star+1, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchSet matches c against the "[...]" set that set starts with. It
// returns whether c is in it, the set's length in pattern bytes, and
// whether it is a set at all: a '[' without its ']' is a plain byte.
func matchSet(set string, c byte) (ok bool, width int, valid bool) {
	i := 1
	negate := i < len(set) && (set[i] == '!' || set[i] == '^')
	if negate {
		i++
	}
	in := false
	for first := true; i < len(set); first = false {
		if set[i] == ']' && !first {
			return in != negate, i + 1, true
		}
		lo, next := setByte(set, i)
		hi := lo
		if next+1 < len(set) && set[next] == '-' && set[next+1] != ']' {
			hi, next = setByte(set, next+1)
		}
		if lo <= c && c <= hi {
			in = true
		}
		i = next
	}
	return false, 0, false
}

// setByte returns the byte at set[i], or the one after it when set[i]
// quotes it, and the index after that byte.
func setByte(set string, i int) (byte, int) {
	if set[i] == '\\' && i+1 < len(set) {
		return set[i+1], i + 2
	}
	return set[i], i + 1
}
