#!/usr/bin/env bash
# build.sh builds the appliance kernel: Debian's newest linux-source-7.x from
# sid, configured as tinyconfig plus ramdax.fragment, built reproducibly.
#
# The result is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/ramdax-appliance/kernel
# keyed by the source version and the hash of the fragment and this script,
# and copied to OUT (default build/kernel): bzImage, config, manifest, and
# the kernel's bootconfig tool with its samples.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/kernel}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ramdax-appliance
fragment=$here/ramdax.fragment
jobs=${JOBS:-$(nproc)}
start=$SECONDS

log() { echo "kernel: $*" >&2; }

pkg=${RAMDAX_KERNEL_SOURCE:-$("$here/debian.sh" newest '^linux-source-7\.[0-9]+$')}
pkgver=$("$here/debian.sh" version "$pkg")
inputs_hash=$(cat "$fragment" "$0" | sha256sum | cut -c1-12)
key=$pkgver-$inputs_hash
result=$cache/kernel/$key

if [ -f "$result/manifest" ]; then
	log "cached: $pkg $pkgver, inputs $inputs_hash"
else
	log "building $pkg $pkgver (inputs $inputs_hash) into $result"

	# Unpack the source once per version.
	src=$cache/src/$pkg-$pkgver
	if [ ! -f "$src/.unpacked" ]; then
		deb=$("$here/debian.sh" download "$cache/debs" "$pkg")
		log "unpacking $(basename "$deb")"
		rm -rf "$src" && mkdir -p "$src"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
			tar -xJ -C "$src" --strip-components=1
		touch "$src/.unpacked"
	fi

	# One build tree per source version: a changed fragment rebuilds incrementally.
	obj=$cache/kernel/obj-$pkgver
	# The manifest says whether this was a cold build, from an empty tree,
	# so that a benchmark does not take an incremental one for it.
	tree=reused
	[ -f "$obj/vmlinux" ] || tree=fresh
	mkdir -p "$obj"
	kmake() { make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" "$@"; }
	export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=ramdax \
		KBUILD_BUILD_HOST=appliance KBUILD_BUILD_VERSION=1

	kmake -s tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null
	kmake -s olddefconfig >/dev/null

	# Every option the fragment asks for must survive olddefconfig.
	missing=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF -- "$line" "$obj/.config" || missing+=("$line") ;;
		"# CONFIG_"*" is not set") name=${line#\# }; name=${name%% *}
			grep -q "^$name=[ym]" "$obj/.config" && missing+=("$line") ;;
		esac
	done <"$fragment"
	if [ ${#missing[@]} -gt 0 ]; then
		log "these options from $(basename "$fragment") did not survive olddefconfig (check their dependencies):"
		printf '  %s\n' "${missing[@]}" >&2
		exit 1
	fi

	# Build, printing a progress line every 20 seconds instead of make's output.
	buildlog=$obj/build.log
	log "make -j$jobs bzImage (log: $buildlog)"
	kmake bzImage >"$buildlog" 2>&1 &
	mk=$!
	while kill -0 "$mk" 2>/dev/null; do
		sleep 20 & wait $! || true
		kill -0 "$mk" 2>/dev/null &&
			log "$(grep -c '^  CC ' "$buildlog" || true) files compiled, $((SECONDS - start)) s elapsed"
	done
	if ! wait "$mk"; then
		tail -n 40 "$buildlog" >&2
		log "build failed; full log in $buildlog"
		exit 1
	fi

	mkdir -p "$result.tmp"
	cp "$obj/arch/x86/boot/bzImage" "$result.tmp/bzImage"
	# The kernel's own bootconfig tool and its samples, built from the
	# same lib/bootconfig.c: the tests check the Go parser against them.
	cc -O2 -o "$result.tmp/bootconfig" -I "$src/tools/bootconfig/include" \
		"$src/tools/bootconfig/main.c" "$src/lib/bootconfig.c"
	cp -r "$src/tools/bootconfig/samples" "$result.tmp/bootconfig-samples"
	cp "$obj/.config" "$result.tmp/config"
	{
		echo "package: $pkg"
		echo "version: $pkgver"
		echo "release: $(cat "$obj/include/config/kernel.release")"
		echo "inputs: $inputs_hash"
		echo "config-sha256: $(sha256sum <"$obj/.config" | cut -d' ' -f1)"
		echo "bzImage-sha256: $(sha256sum <"$result.tmp/bzImage" | cut -d' ' -f1)"
		echo "bzImage-bytes: $(stat -c %s "$result.tmp/bzImage")"
		echo "build-seconds: $((SECONDS - start))"
		echo "build-tree: $tree"
		echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >"$result.tmp/manifest"
	rm -rf "$result" && mv "$result.tmp" "$result"
fi

mkdir -p "$out"
cp "$result/bzImage" "$result/config" "$result/manifest" "$result/bootconfig" "$out/"
rm -rf "$out/bootconfig-samples" && cp -r "$result/bootconfig-samples" "$out/"
log "done in $((SECONDS - start)) s: $out/bzImage"
cat "$out/manifest"
