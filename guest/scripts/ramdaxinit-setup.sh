# ramdaxinit-setup.sh
#
# Runs the appliance's ramdaxinit, /bin/ramdaxinit, as a child on the
# layout of the kernel command line, for the DAX benchmark, which runs
# daxbench after it. (The setup benchmark boots ramdaxinit as /init
# instead, with the layout as a bootconfig, which holds any N.)
# Not being PID 1, ramdaxinit returns once it has printed its ready line;
# its output goes to the console (stderr) as it would at boot.
#
# On success it prints "N namespaces (C created, K kept)" on stdout,
# counted in ramdaxinit's /run/ramdax/status.json.
set -eu

if [ $# -gt 0 ]; then
	echo "ramdaxinit-setup.sh takes no namespaces: ramdaxinit reads them from the command line" >&2
	exit 1
fi
echo "bench: start ramdaxinit" >/dev/kmsg
/bin/ramdaxinit >&2
echo "bench: end ramdaxinit" >/dev/kmsg
status=/run/ramdax/status.json
all=$(grep -c '"state":' $status || true)
created=$(grep -c '"state": "created"' $status || true)
kept=$(grep -c '"state": "kept"' $status || true)
echo "$all namespaces ($created created, $kept kept)"
