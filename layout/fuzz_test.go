package layout

import (
	"reflect"
	"testing"
)

// FuzzParse checks that no command line makes Parse, Format, Hints or Plan
// panic, that every problem names its parameter, and that a line which
// parses cleanly survives Format and Parse unchanged. Seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, line := range []string{exampleDB, exampleRoot, exampleScratch} {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := Parse(line)
		if l == nil {
			t.Fatalf("Parse(%q) returned no layout", line)
		}
		for _, e := range AsErrors(err) {
			if e.Param == "" || e.Reason == "" {
				t.Errorf("Parse(%q): %q lacks a parameter or a reason", line, e)
			}
		}
		exercise(l)
		if err != nil {
			return
		}
		formatted := Format(l)
		again, err := Parse(formatted)
		if err != nil {
			t.Fatalf("Parse(%q) is clean, but Parse of its Format %q: %v", line, formatted, err)
		}
		if !reflect.DeepEqual(l, again) {
			t.Fatalf("round trip of %q through %q:\n got %+v\nwant %+v", line, formatted, again, l)
		}
		if twice := Format(again); twice != formatted {
			t.Fatalf("Format is not stable for %q: %q, then %q", line, formatted, twice)
		}
	})
}

// exercise calls what callers call on a parsed layout, for panics.
func exercise(l *Layout) {
	_ = l.Hints()
	_, _ = l.RootNamespace()
	available := map[int]uint64{}
	for i, c := range l.Carveouts {
		available[i] = c.Usable()
	}
	_, _ = plan(l.Namespaces, available)
	_, _ = Parse(Format(l))
}
