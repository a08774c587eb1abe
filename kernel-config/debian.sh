#!/usr/bin/env bash
# debian.sh fetches packages from Debian's sid suite without touching the
# system's apt state: it keeps its own source list and package lists in the
# cache and only ever runs `apt-get download`.
#
#   debian.sh newest REGEX      print the newest package name matching REGEX
#   debian.sh version PKG       print PKG's candidate version
#   debian.sh download DIR PKG  download PKG's .deb into DIR (once) and print its path
#   debian.sh mirror            print the mirror URI (no package lists needed)
#
# The mirror is the one already configured on this machine; no host name is
# written here.
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/ramdax-appliance/debian
suite=${RAMDAX_DEBIAN_SUITE:-sid}
mkdir -p "$cache/lists/partial"

log() { echo "debian: $*" >&2; }

mirror() {
	local uri
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ]; then
		uri=$(awk '$1 == "deb" && $2 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	fi
	[ -n "$uri" ] || { log "no Debian mirror configured in /etc/apt"; exit 1; }
	echo "$uri"
}

aptopts=(
	-o "Dir::Etc::SourceList=$cache/sources.list"
	-o Dir::Etc::SourceParts=/nonexistent
	-o "Dir::State::Lists=$cache/lists"
	-o Dir::State::Status=/dev/null
	-o Debug::NoLocking=1
	-o APT::Sandbox::User=root
)

# update refreshes the package lists at most once per hour; when the mirror is
# out of reach it keeps using the lists it already has.
update() {
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) $suite main" >"$cache/sources.list"
	local stamp=$cache/lists/.updated
	if [ -n "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
		return
	fi
	log "updating $suite package lists"
	if apt-get -qq "${aptopts[@]}" update >&2; then
		touch "$stamp"
	elif compgen -G "$cache/lists/*Packages*" >/dev/null; then
		log "update failed; using the lists from $(date -r "$cache/lists" +%F)"
	else
		log "update failed and no lists are cached"
		exit 1
	fi
}

cmd=${1:-}
shift || true
if [ "$cmd" = mirror ]; then
	mirror
	exit
fi
update
case $cmd in
newest)
	name=$(apt-cache "${aptopts[@]}" search --names-only "$1" | awk '{ print $1 }' | sort -V | tail -n 1)
	[ -n "$name" ] || { log "no package in $suite matches $1"; exit 1; }
	echo "$name"
	;;
version)
	apt-cache "${aptopts[@]}" show "$1" | awk '/^Version:/ { print $2; exit }'
	;;
download)
	dir=$1 pkg=$2
	mkdir -p "$dir"
	ver=$(apt-cache "${aptopts[@]}" show "$pkg" | awk '/^Version:/ { print $2; exit }')
	deb=$(ls "$dir/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		log "downloading $pkg $ver"
		(cd "$dir" && apt-get -qq "${aptopts[@]}" download "$pkg=$ver" >&2 2>/dev/null) ||
			(cd "$dir" && apt-get -q "${aptopts[@]}" download "$pkg=$ver" >&2)
		deb=$(ls "$dir/${pkg}_${ver//:/%3a}_"*.deb | head -n 1)
	fi
	echo "$deb"
	;;
*)
	echo "usage: debian.sh newest REGEX | version PKG | download DIR PKG | mirror" >&2
	exit 2
	;;
esac
