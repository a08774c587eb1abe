package layout

import "strings"

// arg is one kernel command-line parameter, split the way the kernel
// splits it.
type arg struct {
	param    string
	value    string
	hasValue bool   // "ramdax.debug" has none; "ramdax.debug=" has an empty one
	source   string // empty for the command line; else where in a bootconfig
}

// onCommandLine says whether a came from the command line.
func (a arg) onCommandLine() bool { return a.source == "" }

// where names a's source for a message.
func (a arg) where() string {
	if a.onCommandLine() {
		return "on the command line"
	}
	return "in " + a.source
}

// splitArgs splits a command line into parameters exactly as the kernel's
// parse_args and next_arg (lib/cmdline.c) do, stopping at "--" like the
// kernel: what follows it belongs to init, not to the kernel.
//
// u-root's pkg/cmdline is not used here for three reasons: its map keeps
// only the last of repeated keys (memmap= and ramdax.ns= repeat), it
// treats ' and Unicode quotation marks as quotes where the kernel knows
// only ", and its dequote panics on a value that is a lone quote.
func splitArgs(line string) []arg {
	// The kernel sees a C string: nothing after a NUL byte exists.
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	var args []arg
	rest := skipSpaces(line)
	for rest != "" {
		var a arg
		a, rest = nextArg(rest)
		if !a.hasValue && a.param == "--" {
			break
		}
		args = append(args, a)
	}
	return args
}

// nextArg is a transcription of the kernel's next_arg. Double quotes group
// words, may enclose the whole parameter ("p=v") or the value (p="v"),
// and are dropped only in those two places; a quote elsewhere stays in
// the value but still toggles grouping. s must not start with a space.
func nextArg(s string) (arg, string) {
	quoted := s[0] == '"'
	if quoted {
		s = s[1:]
	}
	inQuote := quoted
	equals := 0 // the kernel uses 0 for "none", so an '=' at index 0 is not a separator
	i := 0
	for ; i < len(s); i++ {
		if isSpace(s[i]) && !inQuote {
			break
		}
		if equals == 0 && s[i] == '=' {
			equals = i
		}
		if s[i] == '"' {
			inQuote = !inQuote
		}
	}
	rest := ""
	if i < len(s) {
		rest = skipSpaces(s[i+1:])
	}

	// end is where the kernel writes its terminating NUL.
	end := i
	if quoted && i > 0 && s[i-1] == '"' {
		end = i - 1
	}
	if equals == 0 {
		return arg{param: s[:end]}, rest
	}
	a := arg{param: s[:equals], hasValue: true}
	start := equals + 1
	if start < i && s[start] == '"' {
		start++
		if s[i-1] == '"' {
			end = i - 1
		}
	}
	if start < end {
		a.value = s[start:end]
	}
	return a, rest
}

func skipSpaces(s string) string {
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	return s
}

// isSpace is the kernel's isspace (lib/ctype.c). It includes 0xA0, Latin-1's
// no-break space, so the kernel also splits inside UTF-8 characters that
// contain that byte; quote such values.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0xA0:
		return true
	}
	return false
}
