// Package layout reads the appliance's persistent-memory layout from the
// kernel command line and checks it before anything touches sysfs.
//
// The kernel carves RAM out with memmap=; ramdax turns each carveout into a
// region; the ramdax.* parameters say which namespaces to make in them and
// what to do afterwards. Parse reads a whole command line and Format writes a
// Layout back; at boot, package reconcile turns "rest" into sizes once the
// free space of each region is known.
//
// # Parameters
//
//	memmap=SIZE!START
//
// The kernel's own: reserve SIZE bytes of RAM at physical address START as
// persistent memory. Repeat it, or separate ranges with commas, for more
// carveouts. Each carveout is one region, numbered by START address: region0
// is the carveout with the lowest START, whatever its place on the line,
// because that is the kernel's e820 order. The last 128K of each carveout
// holds the namespace labels (509 of them), and the rest is usable in steps
// of 16M, so a SIZE of N×16M+128K wastes nothing: memmap=2097280K!4G gives
// exactly 2G. Other memmap= forms (nn@ss, nn$ss, nn#ss, nn%ss, exactmap)
// are not carveouts and are left alone.
//
//	ramdax.ns=NAME:MODE:SIZE[:KEY=VALUE…]
//
// One namespace; repeat the parameter for more.
//
//   - NAME is the namespace's identity across boots (its label's alt_name):
//     1 to 63 of A-Z a-z 0-9 . _ -, and unique.
//   - MODE is fsdax, devdax, raw, sector or system-ram.
//   - SIZE is a multiple of 16M, written in bytes or with K, M, G or T (either
//     case): 512M, 2G, 1T. Or "rest": what the region has left once the other
//     namespaces have their sizes; at most one per region, and one per node=.
//
// Keys, each at most once:
//
//   - region=N: the region to use (default 0).
//   - node=N: the region on NUMA node N (0 to 1023), for a server whose
//     carveouts lie on several sockets' memory: the region whose numa_node
//     is N, found at boot. Not with region=. At boot, a node with no region
//     or with several (use region= then), or a kernel without NUMA, fails
//     the namespace and changes nothing; a kept namespace on another node
//     is a conflict.
//   - align=4K|2M|1G: page size of the mapping, for fsdax, devdax and
//     system-ram (the kernel's default is 2M). SIZE must be a multiple of it.
//   - map=mem|dev: where the page array lives, for fsdax, devdax and
//     system-ram. dev (the default) costs 64 bytes per 4K page of the
//     namespace; mem costs the same in RAM.
//   - sector=512|4096: the sector size, for sector and raw.
//   - fs=ext4|xfs: fsdax only. Make this filesystem when the namespace holds
//     none; an existing one is never touched.
//   - mount=/path: fsdax only. Mount the namespace there with -o dax. The path
//     is absolute, clean and not /. Without fs=, whatever filesystem is there
//     is mounted, and the mount fails when there is none.
//
// A key that does not apply to the MODE is an error, not a no-op.
//
//	ramdax.reset=NAME[,NAME…]|all
//
// Destroy the named namespaces, or all, and make them again from their
// ramdax.ns. This is the only way an existing namespace loses its data:
// without it, a namespace whose label is found is used as it is. Each NAME
// must be declared by a ramdax.ns. Repeated parameters add up.
//
//	ramdax.then=shell|poweroff|reboot|switch_root
//
// What to do once the namespaces are up. The default is shell. The last one
// on the line wins, so a boot loader can append an override.
//
//	root=ramdax:NAME
//
// With ramdax.then=switch_root, switch to the filesystem on namespace NAME,
// which must be a fsdax namespace with fs= or mount=. Other root= values are
// kept untouched for whoever switches root; the last root= wins.
//
//	ramdax.debug[=1|0|true|false]
//
// Ask for verbose logs. Present without a value means true.
//
// # Checks
//
// Parse names the parameter, shows the value it saw, and says what it
// wanted:
//
//	ramdax.ns="db:fsdax:12X": SIZE "12X": want a number with K, M, G or T (like 512M) or "rest"
//
// A parameter with a problem is left out of the Layout and the rest is kept,
// so early boot can still bring up what is valid. Bring up, not create: with
// one namespace left out, a rest namespace in its region would take its space,
// so a careful caller makes no new namespaces while Parse reports errors. Unknown ramdax.* parameters
// are errors, as they are most likely typos. When the line has carveouts,
// Parse also checks that each namespace's region exists and that the fixed
// sizes fit, except for node= namespaces, whose region only the firmware
// knows; reconcile.Plan checks all of them at boot against the real free
// space.
// Layout.Hints suggests carveout sizes that waste nothing.
//
// The line is split as the kernel splits it (lib/cmdline.c, next_arg):
// spaces separate parameters, double quotes group words, and both
// param="a b" and "param=a b" work. Parsing stops at "--", after which the
// parameters belong to init.
//
// # Examples
//
// One 2G carveout at 4G, with a database on ext4 and the rest as a devdax
// device for a cache:
//
//	memmap=2097280K!4G ramdax.ns=db:fsdax:1G:fs=ext4:mount=/srv/db ramdax.ns=cache:devdax:rest:align=2M
//
// Two carveouts, booting into an XFS root that lives in persistent memory.
// The carveout at 4G is region0 although it comes second; what is left of it
// becomes system RAM, and region1 holds a journal with 4K sectors:
//
//	memmap=1048704K!12G memmap=4194432K!4G ramdax.ns=root:fsdax:3G:fs=xfs ramdax.ns=more:system-ram:rest ramdax.ns=journal:sector:512M:region=1:sector=4096 root=ramdax:root ramdax.then=switch_root
//
// Wiping a scratch namespace on every boot, with a mount point that holds a
// space (note the quotes), debug logs, and power-off when done:
//
//	memmap=1G!4G ramdax.ns=scratch:raw:256M "ramdax.ns=media:fsdax:512M:fs=ext4:mount=/srv/my media" ramdax.reset=scratch ramdax.then=poweroff ramdax.debug
//
// The last line also earns a hint, because 1G is not 16M×N+128K:
//
//	memmap=1G!4G wastes 15.9 MiB to alignment: memmap=1032320K!4G gives the same 1008M, memmap=1048704K!4G gives 1G
package layout
