# run.sh: the uinit of the setup benchmarks' images (bench/),
# run by Debian's dash after u-root's init has mounted /proc, /sys and /dev.
#
# It reads from the kernel command line the tool to run, bench.tool=ndctl
# (the default) or ramdaxinit, and, for ndctl, the layout, in ramdax.ns=
# form or as bench.raw=N: N namespaces of 16M called ns0, ns1, ..., raw
# unless bench.mode= names another mode
# (256 of them would not fit on x86's 2048-byte command line); ramdaxinit
# reads the command line itself. Then it runs TOOL-setup.sh with the
# layout, writes "bench: ready" and the tool's
# summary to the kernel log, runs the program bench.then= names, if any
# (guest/daxbench), and powers off.
#
# The setup scripts mark the start and the end of the tool's work with
# "bench: start" and "bench: end" in the kernel log, which stamps them
# with the kernel's clock; the console shows them. Between the marks is
# only the tool's work: no harness step, no process of the harness.

tool=ndctl then= mode=raw raw=0
read -r cmdline </proc/cmdline
specs=
for arg in $cmdline; do
	case $arg in
	bench.tool=*) tool=${arg#bench.tool=} ;;
	bench.then=*) then=${arg#bench.then=} ;;
	ramdax.ns=*) specs="$specs ${arg#ramdax.ns=}" ;;
	bench.mode=*) mode=${arg#bench.mode=} ;;
	bench.raw=*) raw=${arg#bench.raw=} ;;
	esac
done
i=0
while [ "$i" -lt "$raw" ]; do
	specs="$specs ns$i:$mode:16M"
	i=$((i + 1))
done

[ "$tool" = ramdaxinit ] && specs=
# $specs is split into one argument per namespace on purpose.
# shellcheck disable=SC2086
if summary=$(dash "/etc/bench/$tool-setup.sh" $specs); then
	echo "bench: ready $summary" >/dev/kmsg
	if [ -n "$then" ]; then
		"$then"
	fi
else
	echo "bench: failed $tool: $summary" >/dev/kmsg
fi
poweroff
