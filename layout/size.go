package layout

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Binary units, as the kernel's memparse and ndctl use them.
const (
	KiB uint64 = 1 << 10
	MiB uint64 = 1 << 20
	GiB uint64 = 1 << 30
	TiB uint64 = 1 << 40
)

// RegionAlign is the granularity of namespace sizes: the kernel rounds a
// region's available space down to 16 MiB for regions of 16 MiB or more.
const RegionAlign = 16 * MiB

// LabelArea is the space at the end of each carveout that ramdax keeps for
// namespace labels; the region is the carveout minus this.
const LabelArea = 128 * KiB

// unitShift maps the suffixes our SIZE accepts to their power of two.
var unitShift = map[byte]uint{'k': 10, 'm': 20, 'g': 30, 't': 40}

// parseSize reads a ramdax.ns SIZE: decimal digits with an optional K, M,
// G or T (either case). Unlike the kernel's memparse it takes no hex or
// octal, because a SIZE is written by people, and "010G" meaning 8 GiB
// would surprise them.
func parseSize(s string) (uint64, bool) {
	digits, shift := s, uint(0)
	if s != "" {
		if sh, ok := unitShift[lower(s[len(s)-1])]; ok {
			digits, shift = s[:len(s)-1], sh
		}
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || bits.LeadingZeros64(n) < int(shift) {
		return 0, false
	}
	return n << shift, true
}

// memparse mirrors the kernel's memparse (lib/cmdline.c): a number in C
// notation (0x… hex, 0… octal, else decimal) and an optional K, M, G, T,
// P or E. It returns the number and what follows it. With no digits, n is
// 0 and rest is s, as in the kernel; overflow, which the kernel turns into
// nonsense, is an error here.
func memparse(s string) (n uint64, rest string, err error) {
	base, digits := 10, s
	switch {
	case len(s) > 2 && s[0] == '0' && lower(s[1]) == 'x' && isHexDigit(s[2]):
		base, digits = 16, s[2:]
	case len(s) > 0 && s[0] == '0':
		base = 8
	}
	end := 0
	for end < len(digits) && digitValue(digits[end]) < base {
		end++
	}
	if end == 0 {
		return 0, s, errNoDigits
	}
	n, err = strconv.ParseUint(digits[:end], base, 64)
	if err != nil {
		return 0, s, errOverflow
	}
	rest = digits[end:]
	if rest != "" {
		if shift, found := memparseShift(rest[0]); found {
			if bits.LeadingZeros64(n) < int(shift) {
				return 0, s, errOverflow
			}
			n, rest = n<<shift, rest[1:]
		}
	}
	return n, rest, nil
}

var (
	errNoDigits = errors.New("want a number with K, M, G or T (like 512M)")
	errOverflow = errors.New("too large for 64 bits")
)

func memparseShift(c byte) (uint, bool) {
	switch lower(c) {
	case 'e':
		return 60, true
	case 'p':
		return 50, true
	}
	sh, ok := unitShift[lower(c)]
	return sh, ok
}

// FormatSize writes n in the largest unit that divides it exactly, the
// form both ramdax.ns SIZE and memmap= accept: 512M, 2G, 508032K, 4097.
func FormatSize(n uint64) string {
	for _, u := range []struct {
		size   uint64
		suffix string
	}{{TiB, "T"}, {GiB, "G"}, {MiB, "M"}, {KiB, "K"}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatUint(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10)
}

// formatMiB writes an amount of waste for people: "15.9 MiB".
func formatMiB(n uint64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/float64(MiB))
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isHexDigit(c byte) bool { return digitValue(c) < 16 }

// digitValue is c's value as a digit in bases up to 16, or 99.
func digitValue(c byte) int {
	switch c = lower(c); {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return 99
}
