package fleet

import (
	"net"
	"strings"
	"testing"
)

const (
	dbLayout  = "memmap=278656K!1G ramdax.ns=dbdata:fsdax:192M:fs=ext4:mount=/srv/db ramdax.ns=dblog:devdax:rest"
	labLayout = "memmap=147584K!1G ramdax.ns=scratch:raw:rest"
)

func mustParse(t *testing.T, text string) *Inventory {
	t.Helper()
	inv, err := Parse("test.inventory", strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return inv
}

func mac(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseExampleInventory(t *testing.T) {
	inv, err := Load("example.inventory")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Classes) != 2 || len(inv.Nodes) != 3 || inv.Default == nil || inv.Default.Class != "cache" {
		t.Fatalf("example inventory: got %d classes, %d nodes, default %+v", len(inv.Classes), len(inv.Nodes), inv.Default)
	}
	if len(inv.Warnings) != 0 {
		t.Errorf("the example earns warnings:\n%s", strings.Join(inv.Warnings, "\n"))
	}
}

func TestParseResolvesClassesAndDefault(t *testing.T) {
	inv := mustParse(t, `
# Classes may come after the nodes that use them.
node db1 52:54:00:AA:00:01 db
node lab7 52-54-00-aa-00-07 `+labLayout+`
	class   db	`+dbLayout+`
default db
`)
	db1, lab7 := inv.Nodes[0], inv.Nodes[1]
	if db1.Class != "db" || db1.Layout != dbLayout || db1.Line != 3 || db1.MAC.String() != "52:54:00:aa:00:01" {
		t.Errorf("db1: %+v", db1)
	}
	if lab7.Class != "" || lab7.Layout != labLayout || lab7.MAC.String() != "52:54:00:aa:00:07" {
		t.Errorf("lab7: %+v", lab7)
	}
	for _, tc := range []struct{ mac, want string }{
		{"52:54:00:aa:00:07", labLayout},
		{"52:54:00:aa:00:01", dbLayout},
		{"52:54:00:aa:00:99", dbLayout}, // unlisted: the default
	} {
		if got, ok := inv.Boots(mac(t, tc.mac)); !ok || got != tc.want {
			t.Errorf("Boots(%s) = %q, %v; want %q", tc.mac, got, ok, tc.want)
		}
	}
}

func TestBootsNothingWithoutDefault(t *testing.T) {
	inv := mustParse(t, "node lab7 52:54:00:aa:00:07 "+labLayout+"\n")
	if lay, ok := inv.Boots(mac(t, "52:54:00:aa:00:99")); ok {
		t.Errorf("an unlisted machine boots %q without a default", lay)
	}
}

// Each problem is reported with the file, the line, the entry and a fix.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"layout parse error", "node n4 52:54:00:fe:00:04 memmap=278656K!1G ramdax.ns=bad:fsdax:100M",
			`test.inventory:1: node n4 (52:54:00:fe:00:04): ramdax.ns="bad:fsdax:100M": SIZE 100M is not a multiple of 16M (the region align); use 96M or 112M`},
		{"no carveout", "class small ramdax.ns=a:raw:16M",
			"test.inventory:1: class small: no memmap=SIZE!START carveout, so ramdaxinit would have nothing to set up; add one, like memmap=2097280K!4G (2G at 4G)"},
		{"malformed MAC", "node n1 52:54:00:fe:00 " + labLayout,
			`test.inventory:1: node n1 (52:54:00:fe:00): MAC "52:54:00:fe:00": not a MAC address; write six bytes with colons, like 52:54:00:12:34:56`},
		{"long MAC", "node n1 00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01 " + labLayout,
			"20 bytes, want 6"},
		{"duplicate MAC", "node n1 52:54:00:fe:00:01 " + labLayout + "\nnode n2 52-54-00-FE-00-01 " + labLayout,
			"test.inventory:2: node n2 (52:54:00:fe:00:01): MAC 52:54:00:fe:00:01 is already node n1 on line 1; a MAC boots one layout, so remove one of them"},
		{"unknown class", "class db " + dbLayout + "\nnode n1 52:54:00:fe:00:01 dbb",
			"test.inventory:2: node n1 (52:54:00:fe:00:01): no class \"dbb\"; define it with `class dbb LAYOUT`, or check the spelling (known: db)"},
		{"unknown default class", "default big", `test.inventory:1: default: no class "big"`},
		{"iPXE would read it", "class q memmap=278656K!1G ramdax.ns=a:fsdax:64M:mount=/srv/${x}",
			`test.inventory:1: class q: '$' would be read by iPXE, not passed to the kernel`},
		{"duplicate class", "class db " + dbLayout + "\nclass db " + labLayout,
			"test.inventory:2: class db: class db is already defined on line 1"},
		{"duplicate node", "node n1 52:54:00:fe:00:01 " + labLayout + "\nnode n1 52:54:00:fe:00:02 " + labLayout,
			"test.inventory:2: node n1 (52:54:00:fe:00:02): node n1 is already defined on line 1"},
		{"bad name", "node -n1 52:54:00:fe:00:01 " + labLayout,
			`name "-n1": use 1 to 63 of A-Z a-z 0-9 . _ -, starting with a letter or a digit`},
		{"two defaults", "default " + labLayout + "\ndefault " + labLayout, "test.inventory:2: default: the default is already set on line 1; keep one"},
		{"too few fields", "node n1 52:54:00:fe:00:01", "test.inventory:1: node: too few fields; want `class NAME LAYOUT`"},
		{"unknown entry", "host n1 52:54:00:fe:00:01 db", `test.inventory:1: unknown entry "host"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Parse("test.inventory", strings.NewReader(tc.text))
			if inv != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q):\n got %v\nwant an error with %s", tc.text, err, tc.want)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("test.inventory", strings.NewReader(
		"node n1 52:54:00:fe:00:01 nope\nnode n2 bad-mac "+labLayout+"\nclass c ramdax.ns=a:raw:100M\n"))
	es, ok := err.(Errors)
	if !ok || len(es) != 4 {
		t.Fatalf("want 4 problems (unknown class, bad MAC, size, no carveout), got %v", err)
	}
	for i, line := range []int{1, 2, 3, 3} {
		if es[i].Line != line {
			t.Errorf("problem %d on line %d, want %d: %v", i, es[i].Line, line, es[i])
		}
	}
}

func TestParseWarns(t *testing.T) {
	inv := mustParse(t, "class c memmap=512M!1G ramdax.ns=a:raw:rest\nnode n1 52:54:00:fe:00:01 "+labLayout+" ramdax.reset=scratch\n")
	want := []string{
		"test.inventory:1: class c: hint: memmap=512M!1G wastes 15.9 MiB to alignment",
		"test.inventory:2: node n1 (52:54:00:fe:00:01): ramdax.reset= destroys its namespaces at every boot of this node",
	}
	if len(inv.Warnings) != len(want) {
		t.Fatalf("warnings:\n%s", strings.Join(inv.Warnings, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(inv.Warnings[i], w) {
			t.Errorf("warning %d:\n got %s\nwant %s…", i, inv.Warnings[i], w)
		}
	}
}
