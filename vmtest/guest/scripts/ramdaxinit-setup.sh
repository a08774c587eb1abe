# ramdaxinit-setup.sh NAME:MODE:SIZE[:KEY=VALUE...]...
#
# Runs the appliance's ramdaxinit, /bin/ramdaxinit, for a layout that may
# be too long for the kernel command line: a copy of /proc/cmdline with the
# layout in place of its ramdax.ns= parameters is bound over the original
# while ramdaxinit runs.
# Not being PID 1, ramdaxinit returns once it has printed its ready line;
# its output goes to the console (stderr) as it would at boot.
#
# On success it prints "N namespaces (C created, K kept)" on stdout,
# counted in ramdaxinit's /run/ramdax/status.json.
set -eu

read -r words </proc/cmdline
cmdline=
for word in $words; do
	case $word in
	ramdax.ns=*) ;;
	*) cmdline="$cmdline $word" ;;
	esac
done
for spec; do
	cmdline="$cmdline ramdax.ns=$spec"
done
echo "$cmdline" >/tmp/cmdline
mount -t none -o bind /tmp/cmdline /proc/cmdline
echo "bench: start ramdaxinit" >/dev/kmsg
/bin/ramdaxinit >&2
echo "bench: end ramdaxinit" >/dev/kmsg
umount /proc/cmdline
status=/run/ramdax/status.json
created=$(grep -c '"state": "created"' $status || true)
kept=$(grep -c '"state": "kept"' $status || true)
echo "$# namespaces ($created created, $kept kept)"
