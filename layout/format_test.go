package layout

import (
	"reflect"
	"testing"
)

func TestNamespaceString(t *testing.T) {
	for _, tt := range []struct {
		ns   Namespace
		want string
	}{
		{Namespace{Name: "db", Mode: FSDAX, Size: 2 * GiB}, "db:fsdax:2G"},
		{Namespace{Name: "c", Mode: DevDAX, Rest: true, Region: 1, Align: GiB, Map: MapMem}, "c:devdax:rest:region=1:align=1G:map=mem"},
		{Namespace{Name: "n", Mode: FSDAX, Size: GiB, Node: 0, OnNode: true, FS: "ext4"}, "n:fsdax:1G:node=0:fs=ext4"},
		{Namespace{Name: "s", Mode: Sector, Size: 1536 * MiB, Sector: 4096}, "s:sector:1536M:sector=4096"},
		{Namespace{Name: "r", Mode: FSDAX, Size: TiB, FS: "xfs", Mount: "/srv/r"}, "r:fsdax:1T:fs=xfs:mount=/srv/r"},
	} {
		if got := tt.ns.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

// Parse(Format(l)) gives l back, and Format is stable.
func TestRoundTrip(t *testing.T) {
	for _, line := range []string{
		"",
		exampleDB,
		exampleRoot,
		exampleScratch,
		"memmap=0x100000000!0x200000000,1G!4G ramdax.ns=a:fsdax:rest:region=1:align=1G:map=dev:fs=xfs:mount=/a ramdax.ns=b:raw:16777216:sector=512",
		"ramdax.ns=a:raw:1G ramdax.reset=all ramdax.debug=1 ramdax.then=reboot",
		"memmap=1G!4G memmap=1G!8G ramdax.ns=a:fsdax:rest:node=0:fs=xfs ramdax.ns=b:devdax:1G:node=1023:align=1G ramdax.ns=c:raw:rest:region=1",
		`root="weird root" ramdax.then=switch_root`,
		`root=/dev/disk/by-label/x ramdax.debug=0`,
	} {
		l, err := Parse(line)
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		formatted := Format(l)
		again, err := Parse(formatted)
		if err != nil {
			t.Fatalf("Parse(Format(Parse(%q))) = Parse(%q): %v", line, formatted, err)
		}
		if !reflect.DeepEqual(l, again) {
			t.Errorf("round trip of %q through %q:\n got %+v\nwant %+v", line, formatted, again, l)
		}
		if twice := Format(again); twice != formatted {
			t.Errorf("Format is not stable: %q, then %q", formatted, twice)
		}
	}
}

func TestFormat(t *testing.T) {
	l, err := Parse(`memmap=1G!8G memmap=512M!4G ramdax.debug=yes "ramdax.ns=m:fsdax:512M:region=1:mount=/my data" root=ramdax:m ramdax.then=switch_root`)
	if err != nil {
		t.Fatal(err)
	}
	want := `memmap=512M!4G memmap=1G!8G ramdax.ns="m:fsdax:512M:region=1:mount=/my data" ramdax.then=switch_root ramdax.debug root=ramdax:m`
	if got := Format(l); got != want {
		t.Errorf("Format\n got %s\nwant %s", got, want)
	}
}
