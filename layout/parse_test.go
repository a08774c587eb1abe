package layout

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// The three command lines of the package documentation.
const (
	exampleDB      = `memmap=2097280K!4G ramdax.ns=db:fsdax:1G:fs=ext4:mount=/srv/db ramdax.ns=cache:devdax:rest:align=2M`
	exampleRoot    = `memmap=1048704K!12G memmap=4194432K!4G ramdax.ns=root:fsdax:3G:fs=xfs ramdax.ns=more:system-ram:rest ramdax.ns=journal:sector:512M:region=1:sector=4096 root=ramdax:root ramdax.then=switch_root`
	exampleScratch = `memmap=1G!4G ramdax.ns=scratch:raw:256M "ramdax.ns=media:fsdax:512M:fs=ext4:mount=/srv/my media" ramdax.reset=scratch ramdax.then=poweroff ramdax.debug`
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, line string
		want       Layout
	}{
		{"empty", "", Layout{Then: ThenShell}},
		{"other parameters only", "console=ttyS0 quiet init=/init root=/dev/vda1 ro", Layout{Then: ThenShell, Root: "/dev/vda1", RootOptions: RootOptions{Init: "/init", Access: "ro"}}},
		{"root options", "root=LABEL=noderoot rootfstype=ext4 rootflags=noatime ro rw rootwait=5 rootdelay=2 init=/lib/systemd/systemd", Layout{Then: ThenShell,
			Root: "LABEL=noderoot", RootOptions: RootOptions{FSType: "ext4", Flags: "noatime", Access: "rw", Wait: 5 * time.Second, Delay: 2 * time.Second, Init: "/lib/systemd/systemd"}}},
		{"rootwait without a value", "rootwait", Layout{Then: ThenShell, RootOptions: RootOptions{Wait: -1}}},
		{"service arguments add up", `ramdax.svc.counter="-listen :8080 -ns counter" ramdax.svc.counter=-v ramdax.svc.other=x`, Layout{Then: ThenShell,
			ServiceArgs: map[string][]string{"counter": {"-listen", ":8080", "-ns", "counter", "-v"}, "other": {"x"}}}},
		{"doc example: db and cache", exampleDB, Layout{
			Carveouts: []Carveout{{Start: 4 * GiB, Size: 2*GiB + LabelArea}},
			Namespaces: []Namespace{
				{Name: "db", Mode: FSDAX, Size: GiB, FS: "ext4", Mount: "/srv/db"},
				{Name: "cache", Mode: DevDAX, Rest: true, Align: 2 * MiB},
			},
			Then: ThenShell,
		}},
		{"doc example: switch_root, region0 is the lower carveout", exampleRoot, Layout{
			Carveouts: []Carveout{{Start: 4 * GiB, Size: 4*GiB + LabelArea}, {Start: 12 * GiB, Size: GiB + LabelArea}},
			Namespaces: []Namespace{
				{Name: "root", Mode: FSDAX, Size: 3 * GiB, FS: "xfs"},
				{Name: "more", Mode: SystemRAM, Rest: true},
				{Name: "journal", Mode: Sector, Size: 512 * MiB, Region: 1, Sector: 4096},
			},
			Then: ThenSwitchRoot,
			Root: "ramdax:root",
		}},
		{"doc example: quoted parameter, reset, debug", exampleScratch, Layout{
			Carveouts: []Carveout{{Start: 4 * GiB, Size: GiB}},
			Namespaces: []Namespace{
				{Name: "scratch", Mode: Raw, Size: 256 * MiB},
				{Name: "media", Mode: FSDAX, Size: 512 * MiB, FS: "ext4", Mount: "/srv/my media"},
			},
			Reset: []string{"scratch"},
			Then:  ThenPoweroff,
			Debug: true,
		}},
		{"quoted value", `ramdax.ns="m:fsdax:1G:mount=/a b"`, Layout{
			Namespaces: []Namespace{{Name: "m", Mode: FSDAX, Size: GiB, Mount: "/a b"}},
			Then:       ThenShell,
		}},
		{"comma list and other memmap forms", "memmap=exactmap memmap=640K@0,1G!8G,64M$0x1000000 memmap=16M#0x2000000 memmap=1G!4G memmap=2G", Layout{
			Carveouts: []Carveout{{Start: 4 * GiB, Size: GiB}, {Start: 8 * GiB, Size: GiB}},
			Then:      ThenShell,
		}},
		{"all keys", "ramdax.ns=a:fsdax:2G:region=3:align=1G:map=mem:fs=xfs:mount=/srv/a ramdax.ns=b:raw:16M:sector=512 ramdax.ns=c:system-ram:rest:align=4K:map=dev", Layout{
			Namespaces: []Namespace{
				{Name: "a", Mode: FSDAX, Size: 2 * GiB, Region: 3, Align: GiB, Map: MapMem, FS: "xfs", Mount: "/srv/a"},
				{Name: "b", Mode: Raw, Size: 16 * MiB, Sector: 512},
				{Name: "c", Mode: SystemRAM, Rest: true, Align: 4 * KiB, Map: MapDev},
			},
			Then: ThenShell,
		}},
		{"sizes in every unit", "ramdax.ns=a:raw:16777216 ramdax.ns=b:raw:32768k ramdax.ns=c:raw:48m ramdax.ns=d:raw:1g ramdax.ns=e:raw:1t", Layout{
			Namespaces: []Namespace{
				{Name: "a", Mode: Raw, Size: 16 * MiB},
				{Name: "b", Mode: Raw, Size: 32 * MiB},
				{Name: "c", Mode: Raw, Size: 48 * MiB},
				{Name: "d", Mode: Raw, Size: GiB},
				{Name: "e", Mode: Raw, Size: TiB},
			},
			Then: ThenShell,
		}},
		{"node= is kept for boot, rest per node and per region", "memmap=1G!4G ramdax.ns=a:raw:rest ramdax.ns=b:raw:rest:node=0 ramdax.ns=c:fsdax:4G:node=1", Layout{
			Carveouts: []Carveout{{Start: 4 * GiB, Size: GiB}},
			Namespaces: []Namespace{{Name: "a", Mode: Raw, Rest: true}, {Name: "b", Mode: Raw, Rest: true, OnNode: true},
				{Name: "c", Mode: FSDAX, Size: 4 * GiB, Node: 1, OnNode: true}},
			Then: ThenShell,
		}},
		{"one rest per region", "ramdax.ns=a:raw:rest ramdax.ns=b:raw:rest:region=1", Layout{
			Namespaces: []Namespace{{Name: "a", Mode: Raw, Rest: true}, {Name: "b", Mode: Raw, Rest: true, Region: 1}},
			Then:       ThenShell,
		}},
		{"last then and root win, resets add up", "ramdax.ns=a:fsdax:1G:fs=ext4 ramdax.ns=b:raw:1G ramdax.then=reboot root=/dev/sda ramdax.then=switch_root root=ramdax:a ramdax.reset=a ramdax.reset=b,a", Layout{
			Namespaces: []Namespace{{Name: "a", Mode: FSDAX, Size: GiB, FS: "ext4"}, {Name: "b", Mode: Raw, Size: GiB}},
			Reset:      []string{"a", "b"},
			Then:       ThenSwitchRoot,
			Root:       "ramdax:a",
		}},
		{"switch_root to another root", "ramdax.then=switch_root root=/dev/vda1", Layout{Then: ThenSwitchRoot, Root: "/dev/vda1"}},
		{"reset all wins over names", "ramdax.ns=a:raw:1G ramdax.reset=a ramdax.reset=all", Layout{
			Namespaces: []Namespace{{Name: "a", Mode: Raw, Size: GiB}},
			ResetAll:   true,
			Then:       ThenShell,
		}},
		{"debug values", "ramdax.debug=1 ramdax.debug=false ramdax.debug=TRUE", Layout{Then: ThenShell, Debug: true}},
		{"debug off", "ramdax.debug ramdax.debug=0", Layout{Then: ThenShell}},
		{"init's arguments after -- are not ours", "ramdax.ns=a:raw:1G -- ramdax.ns=b:raw:1G memmap=1G!4G", Layout{
			Namespaces: []Namespace{{Name: "a", Mode: Raw, Size: GiB}},
			Then:       ThenShell,
		}},
		{"names are case-sensitive", "ramdax.ns=db:raw:1G ramdax.ns=DB:raw:1G", Layout{
			Namespaces: []Namespace{{Name: "db", Mode: Raw, Size: GiB}, {Name: "DB", Mode: Raw, Size: GiB}},
			Then:       ThenShell,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.line, *got, tt.want)
			}
		})
	}
}

// A bad parameter costs only itself: early boot can bring up the rest.
func TestParseKeepsWhatIsValid(t *testing.T) {
	l, err := Parse(`memmap=1048704K!4G ramdax.ns="db:fsdax:12X" ramdax.ns=web:fsdax:256M ramdax.tehn=reboot ramdax.ns=logs:devdax:rest ramdax.then=poweroff`)
	es := AsErrors(err)
	if len(es) != 2 || es[0].Param != "ramdax.ns" || es[1].Param != "ramdax.tehn" {
		t.Fatalf("errors = %v, want one for ramdax.ns and one for ramdax.tehn", err)
	}
	var names []string
	for _, ns := range l.Namespaces {
		names = append(names, ns.Name)
	}
	if !reflect.DeepEqual(names, []string{"web", "logs"}) || l.Then != ThenPoweroff {
		t.Errorf("kept namespaces %v and then=%s, want [web logs] and poweroff", names, l.Then)
	}
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Value != "db:fsdax:12X" {
		t.Errorf("errors.As found %v, want the ramdax.ns error", pe)
	}
}

func TestHints(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []string
	}{
		{"memmap=2097280K!4G", nil},
		{"memmap=512M!4G", []string{"memmap=512M!4G wastes 15.9 MiB to alignment: memmap=508032K!4G gives the same 496M, memmap=524416K!4G gives 512M"}},
		{"memmap=272M!512M", []string{"memmap=272M!512M wastes 15.9 MiB to alignment: memmap=262272K!512M gives the same 256M, memmap=278656K!512M gives 272M"}},
		{"memmap=8M!4G", []string{"memmap=8M!4G leaves no room for a namespace (128K label area, 16M align): memmap=16512K!4G gives 16M"}},
		{"memmap=16M!4G memmap=540800K!8G", []string{"memmap=16M!4G leaves no room for a namespace (128K label area, 16M align): memmap=16512K!4G gives 16M"}},
	} {
		l, _ := Parse(tt.line)
		if got := l.Hints(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q).Hints()\n got %q\nwant %q", tt.line, got, tt.want)
		}
	}
}

func TestCarveoutUsable(t *testing.T) {
	// Sizes seen on real boots (shared README, section 6).
	for size, want := range map[uint64]uint64{
		512 * MiB:              496 * MiB,
		272 * MiB:              256 * MiB,
		33*16*MiB + 128*KiB:    33 * 16 * MiB,
		16*MiB + LabelArea:     16 * MiB,
		16*MiB + LabelArea - 1: 0,
		LabelArea:              0,
		4 * KiB:                0,
	} {
		if got := (Carveout{Start: 4 * GiB, Size: size}).Usable(); got != want {
			t.Errorf("Usable of %s = %s, want %s", FormatSize(size), FormatSize(got), FormatSize(want))
		}
	}
}

func TestAsErrors(t *testing.T) {
	if got := AsErrors(nil); got != nil {
		t.Errorf("AsErrors(nil) = %v, want nil", got)
	}
	if got := AsErrors(errors.New("other")); got != nil {
		t.Errorf("AsErrors(other) = %v, want nil", got)
	}
	pe := &ParamError{Param: "ramdax.then", Value: "x", Reason: "want shell"}
	if got := AsErrors(pe); len(got) != 1 || got[0] != pe {
		t.Errorf("AsErrors(%v) = %v, want it alone", pe, got)
	}
	if _, err := Parse("ramdax.debug"); err != nil {
		t.Errorf("a clean line gives %#v, want a nil error", err)
	}
}
