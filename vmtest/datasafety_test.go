package vmtest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDataSafety boots, for each way setup could once lose data, a first
// time to write real data and a second time over the same RAM with the
// command line that used to destroy it. The data must come through byte
// for byte, with the error on the console and in status.json.
func TestDataSafety(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second []string
		// console lines the second boot must show, and rows of its
		// status table
		want []string
		rows []*regexp.Regexp
		// rawsum: compare these whole raw namespaces across the two boots
		rawsum []string
	}{{
		// A kept fsdax namespace with fs= that holds no such file
		// system is reported, never formatted.
		name:  "mkfs-on-kept",
		first: []string{"ramdax.ns=db:fsdax:128M", "ramdax.ns=keep:devdax:64M", "ramdaxtest.rawwrite=db", "ramdaxtest.write=keep"},
		second: []string{"ramdax.ns=db:fsdax:128M:fs=ext4:mount=/mnt/db", "ramdax.ns=keep:devdax:64M",
			"ramdaxtest.expect=db:failed,keep:kept", "ramdaxtest.rawverify=db", "ramdaxtest.verify=keep", "ramdaxtest.detail=db"},
		want: []string{"ramdax: error: db: /dev/pmem0 holds no ext4 file system",
			"detail db: /dev/pmem0 holds no ext4 file system (ramdaxinit formats only a namespace it creates): left as it is",
			"ramdax: ready 1 namespaces (0 created, 1 kept, 0 conflicts, 0 unmanaged, 1 not set up)"},
	}, {
		// A namespace whose info block the kernel refuses is a
		// conflict, left alone: no new info block, no wipe. A BTT
		// v2.0 info block, as a sector namespace on RAMDAX's v1.2
		// labels has, is at the namespace's start, not 4 KiB in.
		name: "info-block",
		first: []string{"ramdax.ns=cache:devdax:64M", "ramdax.ns=journal:sector:32M", "ramdaxtest.write=cache,journal",
			"ramdaxtest.corruptinfo=cache,journal"},
		second: []string{"ramdax.ns=cache:devdax:64M", "ramdax.ns=journal:sector:32M", "ramdaxtest.expect=cache:conflict,journal:conflict",
			"ramdaxtest.rawsum=cache,journal", "ramdaxtest.detail=cache"},
		want: []string{"ramdax: cache: conflict: namespace0.0 holds an info block the kernel did not accept (a dax info block)",
			"ramdax: journal: conflict: namespace0.1 holds an info block the kernel did not accept (a btt info block)",
			"ramdax: ready 2 namespaces (0 created, 0 kept, 2 conflicts, 0 unmanaged)"},
		rawsum: []string{"cache", "journal"},
	}, {
		// A power cut while the kernel writes an info block leaves its
		// start over zeroes. The claim uuid there is the one ramdaxinit
		// derives from the label's, so the creation is completed in
		// place, in every claimed mode.
		name: "torn-info",
		first: []string{"ramdax.ns=fresh:devdax:64M", "ramdax.ns=logs:fsdax:64M", "ramdax.ns=journal:sector:32M",
			"ramdaxtest.tearinfo=fresh@24,logs@48,journal@2048"},
		second: []string{"ramdax.ns=fresh:devdax:64M", "ramdax.ns=logs:fsdax:64M", "ramdax.ns=journal:sector:32M",
			"ramdaxtest.expect=fresh:created,logs:created,journal:created", "ramdaxtest.write=fresh,journal",
			"ramdaxtest.rawwrite=logs", "ramdaxtest.rawverify=logs"},
		want: []string{"ramdax: fresh: completed a creation cut short, at /dev/dax0.",
			"ramdax: logs: completed a creation cut short, at /dev/pmem0.",
			"ramdax: journal: completed a creation cut short, at /dev/pmem0.",
			"ramdax: ready 3 namespaces (3 created, 0 kept, 0 conflicts, 0 unmanaged)"},
	}, {
		// A reset whose new size cannot fit destroys nothing.
		name: "reset-fit",
		first: []string{"ramdax.ns=victim:raw:64M:region=1", "ramdax.ns=fill:raw:rest:region=1",
			"ramdaxtest.write=victim,fill"},
		second: []string{"ramdax.ns=victim:raw:128M:region=1", "ramdax.ns=fill:raw:rest:region=1", "ramdax.reset=victim",
			"ramdaxtest.expect=victim:failed,fill:kept", "ramdaxtest.verify=victim,fill", "ramdaxtest.detail=victim"},
		want: []string{"ramdax: error: victim: ramdax.reset cannot make it again: needs 128M in region1, whose largest free extent is 64M (counting victim 64M freed by ramdax.reset): 64M short; nothing was destroyed",
			"ramdax: ready 1 namespaces (0 created, 1 kept, 0 conflicts, 0 unmanaged, 1 not set up)"},
	}, {
		// A new namespace over an old partition table keeps no
		// partition of it.
		name:  "stale-partition",
		first: []string{"ramdax.ns=victim:raw:64M:region=1", "ramdax.ns=keep:devdax:64M", "ramdaxtest.write=keep", "ramdaxtest.mbr=victim@16M"},
		second: []string{"ramdax.ns=victim:raw:16M:region=1", "ramdax.reset=victim", "ramdax.ns=fresh:raw:32M:region=1",
			"ramdax.ns=keep:devdax:64M", "ramdaxtest.expect=victim:created,fresh:created,keep:kept",
			"ramdaxtest.nopart=victim,fresh", "ramdaxtest.verify=keep"},
		want: []string{"ramdax: ready 3 namespaces (2 created, 1 kept, 0 conflicts, 0 unmanaged)"},
		rows: []*regexp.Regexp{tableRow("fresh", "raw", "32M", "", "-", "created")},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ram := WithPersistentRAM(filepath.Join(t.TempDir(), "guest-ram"))
			first := runRamdaxinit(t, "first", tc.first, append(twoRegions, ram)...)
			second := runRamdaxinit(t, "second", tc.second, append(twoRegions, ram)...)
			for _, want := range tc.want {
				if !strings.Contains(second, want) {
					t.Errorf("the second boot's console lacks %q", want)
				}
			}
			for _, row := range tc.rows {
				if !row.MatchString(second) {
					t.Errorf("the second boot's console has no row like %q", row)
				}
			}
			for _, name := range tc.rawsum {
				before, after := rawSumOf(first, name), rawSumOf(second, name)
				if before == "" || before != after {
					t.Errorf("%s: the raw namespace changed: sha256 %s at the first boot, %s at the second", name, before, after)
				}
			}
		})
	}
}

// rawSumOf is the last sha256 of name's raw namespace a guest printed.
func rawSumOf(console, name string) string {
	m := regexp.MustCompile(`rawsum `+regexp.QuoteMeta(name)+` ([0-9a-f]{64})`).FindAllStringSubmatch(console, -1)
	if m == nil {
		return ""
	}
	return m[len(m)-1][1]
}
