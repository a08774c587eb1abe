package layout

import "testing"

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"512M", 512 * MiB, true},
		{"512m", 512 * MiB, true},
		{"2G", 2 * GiB, true},
		{"1T", TiB, true},
		{"16384k", 16 * MiB, true},
		{"16777216", 16 * MiB, true},
		{"0", 0, true},
		{"", 0, false},
		{"M", 0, false},
		{"12X", 0, false},
		{"1.5G", 0, false},
		{"-1G", 0, false},
		{"+1G", 0, false},
		{"0x10M", 0, false},
		{"1P", 0, false},
		{"16777216T", 0, false}, // 2^64
		{"18446744073709551616", 0, false},
	} {
		got, ok := parseSize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMemparse(t *testing.T) {
	for _, tt := range []struct {
		in, rest string
		want     uint64
		err      error
	}{
		{"512M!4G", "!4G", 512 * MiB, nil},
		{"0x100000000", "", 4 * GiB, nil},
		{"0X1g", "", GiB, nil},
		{"010", "", 8, nil}, // octal, as in C
		{"08", "8", 0, nil}, // octal stops at 8
		{"0x", "x", 0, nil}, // no hex digit: the 0 is octal
		{"1e", "", 1 << 60, nil},
		{"4p", "", 4 << 50, nil},
		{"16E", "16E", 0, errOverflow},
		{"!4G", "!4G", 0, errNoDigits},
		{"", "", 0, errNoDigits},
		{"99999999999999999999", "99999999999999999999", 0, errOverflow},
	} {
		got, rest, err := memparse(tt.in)
		if got != tt.want || rest != tt.rest || err != tt.err {
			t.Errorf("memparse(%q) = %d, %q, %v; want %d, %q, %v", tt.in, got, rest, err, tt.want, tt.rest, tt.err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[uint64]string{
		0:                    "0",
		4097:                 "4097",
		512 * MiB:            "512M",
		496*MiB + LabelArea:  "508032K",
		2 * GiB:              "2G",
		1536 * MiB:           "1536M",
		TiB:                  "1T",
		1 << 63:              "8388608T",
		4*GiB + 2*MiB + 4096: "4196356K",
	} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
}
