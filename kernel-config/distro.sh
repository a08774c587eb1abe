#!/usr/bin/env bash
# distro.sh unpacks Debian's newest 7.x kernel (image, modules and config)
# into the cache and runs depmod on it. That kernel ships RAMDAX and the
# nvdimm/dax drivers as modules, which is what kmod/ handles.
#
#   distro.sh [OUT] [VARIANT]
#
# VARIANT is `cloud` (the default: Debian's kernel for VMs, small, without
# most hardware drivers) or `generic` (the kernel Debian installs on real
# machines: NVMe, SATA and SAS HBAs, server NICs, xHCI, as modules).
# Output in OUT (default build/distro, build/distro-generic for generic):
# vmlinuz, config, manifest, and `modules`, a link to the unpacked
# /lib/modules/<release> tree. The cache keeps each release and version
# apart.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
variant=${2:-cloud}
case $variant in
cloud) flavour=cloud-amd64 default_out=build/distro ;;
generic) flavour=amd64 default_out=build/distro-generic ;;
*)
	echo "usage: distro.sh [OUT] [cloud|generic]" >&2
	exit 2
	;;
esac
out=${1:-$default_out}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ramdax-appliance

log() { echo "distro-kernel: $*" >&2; }

binary=${RAMDAX_DISTRO_KERNEL:-$("$here/debian.sh" newest "^linux-binary-unsigned-7\.[0-9.]+\+deb[0-9]+-$flavour\$")}
release=${binary#linux-binary-unsigned-}
pkgver=$("$here/debian.sh" version "$binary")
root=$cache/distro/$release-$pkgver

if [ ! -f "$root/.unpacked" ]; then
	rm -rf "$root" && mkdir -p "$root"
	for pkg in "$binary" "linux-modules-$release" "linux-base-$release"; do
		deb=$("$here/debian.sh" download "$cache/debs" "$pkg")
		log "unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$root"
	done
	log "depmod $release"
	depmod -b "$root/usr" "$release"
	touch "$root/.unpacked"
fi

moddir=$root/usr/lib/modules/$release
mkdir -p "$out"
cp "$moddir/vmlinuz.unsigned" "$out/vmlinuz"
cp "$moddir/config" "$out/config"
ln -sfn "$moddir" "$out/modules"
{
	echo "package: $binary"
	echo "version: $pkgver"
	echo "release: $release"
	echo "variant: $variant"
	echo "vmlinuz-sha256: $(sha256sum <"$out/vmlinuz" | cut -d' ' -f1)"
	echo "ramdax: $(grep '^CONFIG_RAMDAX=' "$out/config")"
} >"$out/manifest"
log "ready: $out/vmlinuz with modules in $moddir"
cat "$out/manifest"
