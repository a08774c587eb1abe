package layout

import (
	"strings"
	"testing"
)

// Each rule, with the whole message it gives: the parameter and the value
// seen, what is wrong, and how to fix it.
func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		rule, line, want string
	}{
		{"size not a number", "ramdax.ns=db:fsdax:12X", `ramdax.ns="db:fsdax:12X": SIZE "12X": want a number with K, M, G or T (like 512M) or "rest"`},
		{"size not multiple", "ramdax.ns=db:fsdax:500M", `ramdax.ns="db:fsdax:500M": SIZE 500M is not a multiple of 16M (the region align); use 496M or 512M`},
		{"size below align", "ramdax.ns=db:raw:4M", `ramdax.ns="db:raw:4M": SIZE 4M is below 16M, the smallest namespace; use 16M`},
		{"size zero", "ramdax.ns=db:raw:0", `ramdax.ns="db:raw:0": SIZE 0 is below 16M, the smallest namespace; use 16M`},
		{"size overflow", "ramdax.ns=db:raw:99999999999T", `ramdax.ns="db:raw:99999999999T": SIZE "99999999999T": want a number with K, M, G or T (like 512M) or "rest"`},
		{"too few fields", "ramdax.ns=db:fsdax", `ramdax.ns="db:fsdax": want NAME:MODE:SIZE[:KEY=VALUE…]; like ramdax.ns=db:fsdax:2G:fs=ext4`},
		{"no value", "ramdax.ns", `ramdax.ns: want NAME:MODE:SIZE[:KEY=VALUE…]; like ramdax.ns=db:fsdax:2G:fs=ext4`},
		{"empty name", "ramdax.ns=:fsdax:1G", `ramdax.ns=":fsdax:1G": NAME is empty; use 1 to 63 of A-Z a-z 0-9 . _ -`},
		{"long name", "ramdax.ns=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:fsdax:1G", `ramdax.ns="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:fsdax:1G": NAME "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" has 64 characters, more than a label holds; use 1 to 63 of A-Z a-z 0-9 . _ -`},
		{"bad name char", "ramdax.ns=my/db:fsdax:1G", `ramdax.ns="my/db:fsdax:1G": NAME "my/db" holds '/'; use 1 to 63 of A-Z a-z 0-9 . _ -`},
		{"dotdot name", "ramdax.ns=..:fsdax:1G", `ramdax.ns="..:fsdax:1G": NAME ".." is a path element; pick another name`},
		{"bad mode", "ramdax.ns=db:dax:1G", `ramdax.ns="db:dax:1G": MODE "dax": want fsdax, devdax, raw, sector or system-ram`},
		{"unknown key", "ramdax.ns=db:fsdax:1G:size=2G", `ramdax.ns="db:fsdax:1G:size=2G": unknown key "size=2G"; want region, node, align, map, sector, fs or mount`},
		{"duplicate key", "ramdax.ns=db:fsdax:1G:fs=ext4:fs=xfs", `ramdax.ns="db:fsdax:1G:fs=ext4:fs=xfs": fs= given twice; keep one`},
		{"sector on fsdax", "ramdax.ns=db:fsdax:1G:sector=512", `ramdax.ns="db:fsdax:1G:sector=512": sector= does not apply to fsdax; remove it (it is for raw and sector only)`},
		{"align on raw", "ramdax.ns=db:raw:1G:align=2M", `ramdax.ns="db:raw:1G:align=2M": align= does not apply to raw; remove it (it is for fsdax, devdax and system-ram only)`},
		{"map on sector", "ramdax.ns=db:sector:1G:map=mem", `ramdax.ns="db:sector:1G:map=mem": map= does not apply to sector; remove it (it is for fsdax, devdax and system-ram only)`},
		{"fs on devdax", "ramdax.ns=db:devdax:1G:fs=ext4", `ramdax.ns="db:devdax:1G:fs=ext4": fs= does not apply to devdax; remove it (it is for fsdax only)`},
		{"mount on raw", "ramdax.ns=db:raw:1G:mount=/srv", `ramdax.ns="db:raw:1G:mount=/srv": mount= does not apply to raw; remove it (it is for fsdax only)`},
		{"bad align", "ramdax.ns=db:devdax:1G:align=4M", `ramdax.ns="db:devdax:1G:align=4M": align=4M: want 4K, 2M or 1G`},
		{"bad map", "ramdax.ns=db:devdax:1G:map=ram", `ramdax.ns="db:devdax:1G:map=ram": map=ram: want mem or dev`},
		{"bad sector", "ramdax.ns=db:sector:1G:sector=1024", `ramdax.ns="db:sector:1G:sector=1024": sector=1024: want 512 or 4096`},
		{"bad fs", "ramdax.ns=db:fsdax:1G:fs=btrfs", `ramdax.ns="db:fsdax:1G:fs=btrfs": fs=btrfs: want ext4 or xfs`},
		{"relative mount", "ramdax.ns=db:fsdax:1G:mount=srv/db", `ramdax.ns="db:fsdax:1G:mount=srv/db": mount=srv/db: want a clean absolute path other than /; like mount=/srv/db`},
		{"unclean mount", "ramdax.ns=db:fsdax:1G:mount=/srv/../db", `ramdax.ns="db:fsdax:1G:mount=/srv/../db": mount=/srv/../db: want a clean absolute path other than /; like mount=/db`},
		{"root mount", "ramdax.ns=db:fsdax:1G:mount=/", `ramdax.ns="db:fsdax:1G:mount=/": mount=/: want a clean absolute path other than /; like mount=/srv/db`},
		{"bad region", "ramdax.ns=db:fsdax:1G:region=x", `ramdax.ns="db:fsdax:1G:region=x": region=x: want a region number from 0 to 4096; region N is the N-th memmap=SIZE!START by start address, from 0`},
		{"negative region", "ramdax.ns=db:fsdax:1G:region=-1", `ramdax.ns="db:fsdax:1G:region=-1": region=-1: want a region number from 0 to 4096; region N is the N-th memmap=SIZE!START by start address, from 0`},
		{"bad node", "ramdax.ns=db:fsdax:1G:node=one", `ramdax.ns="db:fsdax:1G:node=one": node=one: want a NUMA node number from 0 to 1023; node N is the NUMA node whose memory holds the carveout, as the region's numa_node in sysfs shows it`},
		{"negative node", "ramdax.ns=db:fsdax:1G:node=-1", `ramdax.ns="db:fsdax:1G:node=-1": node=-1: want a NUMA node number from 0 to 1023; node N is the NUMA node whose memory holds the carveout, as the region's numa_node in sysfs shows it`},
		{"node beyond MAX_NUMNODES", "ramdax.ns=db:fsdax:1G:node=1024", `ramdax.ns="db:fsdax:1G:node=1024": node=1024: want a NUMA node number from 0 to 1023; node N is the NUMA node whose memory holds the carveout, as the region's numa_node in sysfs shows it`},
		{"signed node", "ramdax.ns=db:fsdax:1G:node=+1", `ramdax.ns="db:fsdax:1G:node=+1": node=+1: want a NUMA node number from 0 to 1023; node N is the NUMA node whose memory holds the carveout, as the region's numa_node in sysfs shows it`},
		{"region and node", "ramdax.ns=db:fsdax:1G:node=1:region=0", `ramdax.ns="db:fsdax:1G:node=1:region=0": region= and node= both pick the region; keep one: region=N is the N-th memmap=SIZE!START by start address, node=N the region on NUMA node N`},
		{"two rest on a node", "ramdax.ns=a:fsdax:rest:node=1 ramdax.ns=b:devdax:rest:node=1", `ramdax.ns="b:devdax:rest:node=1": node 1 already has a namespace of SIZE rest; give one of them a size`},
		{"size not multiple of align", "ramdax.ns=db:devdax:1536M:align=1G", `ramdax.ns="db:devdax:1536M:align=1G": SIZE 1536M is not a multiple of align=1G; use 1G or 2G`},
		{"duplicate name", "ramdax.ns=db:fsdax:1G ramdax.ns=db:devdax:1G", `ramdax.ns="db:devdax:1G": NAME "db" is already taken by an earlier ramdax.ns; give each namespace its own name`},
		{"two rest", "ramdax.ns=a:fsdax:rest ramdax.ns=b:devdax:rest", `ramdax.ns="b:devdax:rest": region0 already has a namespace of SIZE rest; give one of them a size`},
		{"unknown ramdax param", "ramdax.namespace=db:fsdax:1G", `ramdax.namespace="db:fsdax:1G": unknown parameter; want ramdax.ns, ramdax.reset, ramdax.then, ramdax.boot, ramdax.debug or ramdax.svc.NAME`},
		{"service bad name", "ramdax.svc.a/b=-x", `ramdax.svc.a/b="-x": service name "a/b" is not a command name; write ramdax.svc.NAME=ARGS, NAME made of letters, digits, '-', '_' and '.'`},
		{"service no args", "ramdax.svc.counter", `ramdax.svc.counter: no arguments; write ramdax.svc.counter=ARGS, quoted when there are spaces: ramdax.svc.counter="-a 1 -b 2"`},
		{"rootwait not seconds", "rootwait=soon", `rootwait="soon": not a whole number of seconds; write rootwait=SECONDS, like rootwait=10`},
		{"bad then", "ramdax.then=halt", `ramdax.then="halt": want shell, poweroff, reboot, switch_root or kexec`},
		{"bad debug", "ramdax.debug=maybe", `ramdax.debug="maybe": want no value, 1, 0, true or false`},
		{"reset bad name", "ramdax.reset=a,,b", `ramdax.reset="a,,b": NAME is empty; use 1 to 63 of A-Z a-z 0-9 . _ -; the form is NAME[,NAME…] or all`},
		{"reset undeclared", "ramdax.ns=db:fsdax:1G ramdax.reset=dB", `ramdax.reset="dB": no ramdax.ns declares "dB"; did you mean db? names are case-sensitive`},
		{"root undeclared", "root=ramdax:db", `root="ramdax:db": no ramdax.ns declares "db"; declare it, like ramdax.ns=db:fsdax:2G:fs=ext4`},
		{"root not fsdax", "ramdax.ns=db:devdax:1G root=ramdax:db", `root="ramdax:db": db is devdax, and only fsdax holds a filesystem; make it fsdax with fs=`},
		{"root no fs", "ramdax.ns=db:fsdax:1G root=ramdax:db ramdax.then=switch_root", `root="ramdax:db": db has neither fs= nor mount=, so there may be no filesystem to switch to; add fs=ext4 or fs=xfs` + "\n" + `ramdax.then="switch_root": no usable root=, so the appliance starts a shell instead; add root=ramdax:NAME naming a fsdax namespace with fs= or mount=`},
		{"switch_root no root", "ramdax.then=switch_root", `ramdax.then="switch_root": no usable root=, so the appliance starts a shell instead; add root=ramdax:NAME naming a fsdax namespace with fs= or mount=`},
		{"memmap zero size", "memmap=0!4G", `memmap="0!4G": SIZE is 0, so the kernel makes no carveout; write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`},
		{"memmap bad size", "memmap=big!4G", `memmap="big!4G": SIZE "big": want a number with K, M, G or T (like 512M); the kernel makes no carveout; write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`},
		{"memmap bad start", "memmap=1G!foo", `memmap="1G!foo": START "foo": want an address with K, M, G or T (like 4G); the kernel carves memmap=1G!0; write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`},
		{"memmap trailing", "memmap=1G!4Gx", `memmap="1G!4Gx": text "x" after START: the kernel carves memmap=1G!4G and ignores it; remove "x"`},
		{"memmap low start", "memmap=1G!512K", `memmap="1G!512K": START 512K is below 1M, where the BIOS and the kernel's real-mode code live; start at 1M or higher, like memmap=1G!4G`},
		{"memmap unaligned", "memmap=1G!0x100000800", `memmap="1G!0x100000800": START and SIZE must be multiples of 4K (a page); use memmap=1G!4194308K`},
		{"memmap overlap", "memmap=1G!4G memmap=1G!4608M", `memmap="1G!4608M": overlaps memmap=1G!4G (which ends at 5G); start it at 5G or later`},
		{"memmap wraps", "memmap=16E!1", `memmap="16E!1": SIZE "16E": too large for 64 bits; the kernel makes no carveout; write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`},
		{"region missing", "memmap=2097280K!4G ramdax.ns=logs:fsdax:1G:region=1", `ramdax.ns="logs:fsdax:1G:region=1": region1 does not exist (1 region: region0); use region=0, or add a memmap=SIZE!START`},
		{"does not fit", "memmap=1048704K!4G ramdax.ns=web:fsdax:768M ramdax.ns=db:fsdax:512M", `ramdax.ns="db:fsdax:512M": needs 512M but region0 has 256M left of 1G (web 768M); shrink it to 256M or grow region0's memmap=`},
		{"rest empty", "memmap=1048704K!4G ramdax.ns=web:fsdax:1G ramdax.ns=logs:fsdax:rest", `ramdax.ns="logs:fsdax:rest": SIZE rest gets nothing: region0 has 0 bytes left of 1G (web 1G); shrink the others or grow region0's memmap=`},
		{"memmap no start", "memmap=1G!", `memmap="1G!": START "": want an address with K, M, G or T (like 4G); the kernel carves memmap=1G!0; write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`},
		{"memmap typo size", "memmap=1X!4G", `memmap="1X!4G": SIZE "1X": want a number with K, M, G or T (like 512M); the kernel makes no carveout; write memmap=SIZE!START, like memmap=2097280K!4G (2G plus the label area)`},
		{"reset with all and names", "ramdax.reset=all,db", `ramdax.reset="all,db": all cannot be mixed with names; write ramdax.reset=all alone, or list the names`},
		{"root and reset name a rejected namespace", "ramdax.ns=db:fsdax:12X:fs=ext4 root=ramdax:db ramdax.reset=db", `ramdax.ns="db:fsdax:12X:fs=ext4": SIZE "12X": want a number with K, M, G or T (like 512M) or "rest"` + "\n" +
			`ramdax.reset="db": the ramdax.ns for "db" has a problem (see above); fix that ramdax.ns` + "\n" +
			`root="ramdax:db": the ramdax.ns for "db" has a problem (see above); fix that ramdax.ns`},
		{"quote in mount", `ramdax.ns=x:fsdax:1G:mount=/a"b`, `ramdax.ns="x:fsdax:1G:mount=/a\"b": mount="/a\"b": want a path without quotes or control characters; like mount=/srv/db`},
		{"root with a bad name", "root=ramdax:no/name", `root="ramdax:no/name": no ramdax.ns declares "no/name"; declare it, like ramdax.ns=NAME:fsdax:2G:fs=ext4`},
	} {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := Parse(tt.line)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want\n%s", tt.line, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) error:\n got %s\nwant %s", tt.line, got, tt.want)
			}
			for _, e := range AsErrors(err) {
				checkActionable(t, e)
			}
		})
	}
}

// checkActionable insists that a message names its parameter and says
// what would be right.
func checkActionable(t *testing.T, e *ParamError) {
	t.Helper()
	if e.Param == "" {
		t.Errorf("%q names no parameter", e)
	}
	if e.Hint == "" && !strings.Contains(e.Reason, "want") {
		t.Errorf("%q says neither what is wanted nor how to fix it", e)
	}
}
