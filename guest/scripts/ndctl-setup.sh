# ndctl-setup.sh NAME:MODE:SIZE[:KEY=VALUE...]...
#
# The baseline of the benchmarks: the layout ramdaxinit sets up, set up
# instead the way an ndctl user would from an initramfs script, with
# Debian's ndctl, kmod and mke2fs. Each argument is a namespace in the
# appliance's ramdax.ns= form; SIZE "rest" leaves -s out, so ndctl takes
# what the region has left; the keys used are region=, align=, fs= and
# mount=. What it does:
#
#   1. Load the nvdimm drivers, if the kernel has them as modules, and move
#      the memmap= carveout from e820_pmem to ramdax: ramdax binds only
#      through driver_override.
#   2. List the namespaces once, then create each one not listed by name.
#   3. Make the file system of each new fsdax namespace and mount it with
#      -o dax. (Kept ones are not remounted: this script only serves the
#      benchmarks, whose kept layouts have no file systems.)
#
# "bench: start" and "bench: end" in the kernel log mark its work for the
# benchmarks' clock. On success it prints "N namespaces (C created, K
# kept)" on stdout.
set -eu

e820=/sys/bus/platform/devices/e820_pmem

take_over() {
	if [ -e $e820/driver ]; then
		echo e820_pmem >$e820/driver/unbind
	fi
	echo ramdax >$e820/driver_override
	read -r release </proc/sys/kernel/osrelease
	if [ -d "/lib/modules/$release" ]; then
		modprobe -a libnvdimm ramdax nd_pmem nd_btt dax_pmem device_dax
	fi
	if [ ! -e $e820/driver ]; then
		echo e820_pmem >/sys/bus/platform/drivers/ramdax/bind
	fi
	for bus in /sys/bus/nd/devices/ndbus*; do
		read -r _ <"$bus/wait_probe"
	done
}

# ensure NAME:MODE:SIZE[:KEY=VALUE...] creates the namespace unless the
# listing has it.
ensure() {
	IFS=:
	# shellcheck disable=SC2086
	set -- $1
	unset IFS
	name=$1 mode=$2 size=$3
	shift 3
	region=0 align= fs= mnt=
	for kv; do
		case $kv in
		region=*) region=${kv#region=} ;;
		align=*) align=${kv#align=} ;;
		fs=*) fs=${kv#fs=} ;;
		mount=*) mnt=${kv#mount=} ;;
		esac
	done
	case $existing in
	*"\"name\":\"$name\""*)
		kept=$((kept + 1))
		return
		;;
	esac
	[ "$size" = rest ] && size=
	out=$(ndctl create-namespace -r "region$region" -m "$mode" -n "$name" ${size:+-s "$size"} ${align:+-a "$align"})
	created=$((created + 1))
	[ -n "$fs" ] || return 0
	dev=${out#*\"blockdev\":\"}
	dev=/dev/${dev%%\"*}
	case $fs in
	ext4) mkfs.ext4 -q -F -b 4096 "$dev" ;;
	xfs) mkfs.xfs -q -f -m reflink=0 "$dev" ;;
	esac
	[ -n "$mnt" ] || return 0
	mkdir -p "$mnt"
	mount -t "$fs" -o dax "$dev" "$mnt"
}

echo "bench: start ndctl" >/dev/kmsg
take_over
existing=$(ndctl list -N)
created=0 kept=0
for spec; do
	ensure "$spec" >&2
done
echo "bench: end ndctl" >/dev/kmsg
echo "$# namespaces ($created created, $kept kept)"
