package layout

import (
	"reflect"
	"testing"
)

// The expectations follow the kernel's next_arg (lib/cmdline.c) step by step.
func TestSplitArgs(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []arg
	}{
		{"", nil},
		{"   ", nil},
		{"a b", []arg{{param: "a"}, {param: "b"}}},
		{"  a=1 \t b=2  ", []arg{{"a", "1", true, ""}, {"b", "2", true, ""}}},
		{"a\nb\rc\vd\fe", []arg{{param: "a"}, {param: "b"}, {param: "c"}, {param: "d"}, {param: "e"}}},
		{`a="x y" b`, []arg{{"a", "x y", true, ""}, {param: "b"}}},
		{`"a=x y" b`, []arg{{"a", "x y", true, ""}, {param: "b"}}},
		{`"a b" c`, []arg{{param: "a b"}, {param: "c"}}},
		{`a=x"y z"w`, []arg{{"a", `x"y z"w`, true, ""}}},
		{`a="x y"z`, []arg{{"a", `x y"z`, true, ""}}},
		{`a="unterminated b c`, []arg{{"a", "unterminated b c", true, ""}}},
		{`a=`, []arg{{"a", "", true, ""}}},
		{`a="`, []arg{{"a", "", true, ""}}},
		{`a=""`, []arg{{"a", "", true, ""}}},
		{`""`, []arg{{}}},
		{`"`, []arg{{}}},
		{`=x`, []arg{{param: "=x"}}},           // an '=' at index 0 is not a separator
		{`=x=y`, []arg{{"=x", "y", true, ""}}}, // but a later one is
		{`a=b=c`, []arg{{"a", "b=c", true, ""}}},
		{`a -- b=c`, []arg{{param: "a"}}},
		{`a --=1 b`, []arg{{param: "a"}, {"--", "1", true, ""}, {param: "b"}}},
		{"a\x00b c", []arg{{param: "a"}}},
		{"x=\xc3\xa0y", []arg{{"x", "\xc3", true, ""}, {param: "y"}}}, // 0xA0 is a kernel space
		{"x=\"\xc3\xa0y\"", []arg{{"x", "\xc3\xa0y", true, ""}}},
	} {
		if got := splitArgs(tt.line); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgs(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}
