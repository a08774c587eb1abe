#!/usr/bin/env bash
# os-image.sh builds a small real Debian system on a raw disk image: the
# installed operating system that the appliance kexecs into in the QEMU
# suites (ramdax.then=kexec). It is Debian sid, the suite debian.sh reads,
# with systemd, udev and Debian's newest 7.x cloud kernel and its
# initramfs-tools initrd, made with mmdebstrap as root and laid as ext4 on
# one GPT partition of a sparse file: sfdisk and mke2fs -d work on a plain
# file, so no loop device is needed.
#
#   os-image.sh [OUT]
#
# Output in OUT (default build/os): disk.img, a copy of the cached image
# that may be written to; vmlinuz and initrd.img, the copies of the
# image's /boot/vmlinuz-REL and /boot/initrd.img-REL; boot.log, the serial
# console of the boot that checked the image; and manifest (key: value
# lines): the cache key, suite, kernel, the fixed UUIDs and label and the
# root partition's offset, which `debugfs -w 'disk.img?offset=N'` takes.
#
# The filesystem UUID, the PARTUUID and the label are fixed, so that the
# tests can name the root. The system has no project binary or unit in it:
# the tests write theirs into a copy with debugfs. root logs in on ttyS0
# without a password (autologin). /boot/grub/grub.cfg is written here in
# grub-mkconfig's format, as grub-mkconfig cannot probe a device from
# inside a chroot.
#
# The image is cached under ~/.cache/ramdax-appliance/os/KEY, KEY being the
# hash of this script, the suite, the packages and the kernel's version: a
# new kernel in sid or an edit here builds a new one (about a minute, half
# of it the boot check; the .debs are cached apart), anything else copies
# the cached one (seconds). RAMDAX_OS_KERNEL=linux-image-REL picks another
# kernel. A build is checked by booting a copy of it under QEMU up to
# root's shell before it goes into the cache (RAMDAX_OS_BOOT_CHECK=0 skips
# that), and goes in with a rename, so an interrupted build leaves nothing
# half made.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ramdax-appliance
suite=${RAMDAX_DEBIAN_SUITE:-sid}

# What the tests name the root by.
fs_uuid=5241d0a5-05e0-4f5a-8000-000000000001
part_uuid=5241d0a5-05e0-4f5a-8000-000000000002
disk_uuid=5241d0a5-05e0-4f5a-8000-000000000000
label=ramdax-os
hostname=ramdax-os
# A 2 GiB sparse disk, the partition from 1 MiB to 2 MiB before the end,
# clear of the backup GPT.
disk_mib=2048
part_offset=$((1024 * 1024))
part_mib=$((disk_mib - 2))

# On top of minbase (Essential: yes, apt): the init, device manager,
# modprobe, findmnt and fsck.ext4 that a booting system needs, and the
# initrd's builder with zstd, its default compressor; the kernel is added
# below.
packages=(systemd-sysv udev kmod util-linux e2fsprogs initramfs-tools zstd)

log() { echo "os-image: $*" >&2; }

# mmdebstrap's root mode, and reading the tree it makes (/etc/shadow is
# root's alone), need root: sudo when not run as root, as deps.sh does.
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)

# customize runs as mmdebstrap's customize hook, in the finished chroot with
# /dev, /proc and /sys mounted: the system's configuration, root's login, the
# initrd and the boot entry.
customize() {
	local root=$1 release=$2
	echo "$hostname" >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$hostname" >"$root/etc/hosts"
	printf '# <file system>\t<mount point>\t<type>\t<options>\t<dump>\t<pass>\nUUID=%s\t/\text4\terrors=remount-ro\t0\t1\n' "$fs_uuid" >"$root/etc/fstab"
	# The host's resolv.conf, copied in for the build.
	rm -f "$root/etc/resolv.conf"

	# root: no password, and logged in on the serial console at once. The
	# drop-in is this systemd's own agetty line with --autologin root.
	chroot "$root" passwd -q -d root
	local unit line
	for unit in "$root"/usr/lib/systemd/system/serial-getty@.service "$root"/lib/systemd/system/serial-getty@.service; do
		[ -f "$unit" ] && break
	done
	line=$(grep -m 1 '^ExecStart=.*agetty ' "$unit") || { log "no agetty ExecStart in $unit"; exit 1; }
	mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
	printf '[Service]\nExecStart=\n%s\n' "${line/agetty /agetty --autologin root }" \
		>"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
	# Nothing to wait for: no network is configured and there is no swap;
	# and no apt run of its own in a test.
	local masked
	for masked in systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer; do
		ln -sfn /dev/null "$root/etc/systemd/system/$masked"
	done

	# The initrd, made again now that the system is configured. Debian's
	# MODULES=most; nvme and ext4 must be in it or built in. The root's
	# type is given, as the fsck hook cannot find the device in a chroot,
	# and there is no swap to resume from.
	printf 'FSTYPE=ext4\nRESUME=none\n' >"$root/etc/initramfs-tools/conf.d/ramdax-os"
	if [ -e "$root/boot/initrd.img-$release" ]; then
		chroot "$root" update-initramfs -u -k "$release" >&2
	else
		chroot "$root" update-initramfs -c -k "$release" >&2
	fi
	local mod
	for mod in nvme ext4; do
		grep -q "/$mod\.ko" "$root/usr/lib/modules/$release/modules.builtin" ||
			chroot "$root" lsinitramfs "/boot/initrd.img-$release" | grep -q "/$mod\.ko" ||
			{ log "$mod is neither built into $release nor in its initrd"; exit 1; }
	done
	# /boot/vmlinuz-REL as a file of its own, whatever links the kernel's
	# hooks made.
	if [ ! -f "$root/boot/vmlinuz-$release" ] || [ -L "$root/boot/vmlinuz-$release" ]; then
		rm -f "$root/boot/vmlinuz-$release"
		cp "$root/usr/lib/modules/$release/vmlinuz" "$root/boot/vmlinuz-$release"
	fi
	if [ -L "$root/boot/initrd.img-$release" ]; then
		cp --remove-destination "$(readlink -f "$root/boot/initrd.img-$release")" "$root/boot/initrd.img-$release"
	fi

	mkdir -p "$root/boot/grub"
	grub_cfg "$release" >"$root/boot/grub/grub.cfg"
}

# grub_cfg prints what Debian's grub-mkconfig writes for this system, with
# a serial terminal and the root on the first GPT partition.
grub_cfg() {
	local release=$1
	cat <<-'EOF'
		#
		# DO NOT EDIT THIS FILE
		#
		# It is automatically generated by grub-mkconfig using templates
		# from /etc/grub.d and settings from /etc/default/grub
		#

		### BEGIN /etc/grub.d/00_header ###
		if [ -s $prefix/grubenv ]; then
		  set have_grubenv=true
		  load_env
		fi
		if [ "${next_entry}" ] ; then
		   set default="${next_entry}"
		   set next_entry=
		   save_env next_entry
		   set boot_once=true
		else
		   set default="0"
		fi

		if [ x"${feature_menuentry_id}" = xy ]; then
		  menuentry_id_option="--id"
		else
		  menuentry_id_option=""
		fi

		export menuentry_id_option

		if [ "${prev_saved_entry}" ]; then
		  set saved_entry="${prev_saved_entry}"
		  save_env saved_entry
		  set prev_saved_entry=
		  save_env prev_saved_entry
		  set boot_once=true
		fi

		function savedefault {
		  if [ -z "${boot_once}" ]; then
		    saved_entry="${chosen}"
		    save_env saved_entry
		  fi
		}
		function load_video {
		  if [ x$feature_all_video_module = xy ]; then
		    insmod all_video
		  else
		    insmod efi_gop
		    insmod efi_uga
		    insmod ieee1275_fb
		    insmod vbe
		    insmod vga
		    insmod video_bochs
		    insmod video_cirrus
		  fi
		}

		serial --unit=0 --speed=115200 --stop=1
		terminal_input serial
		terminal_output serial
		if [ "${recordfail}" = 1 ] ; then
		  set timeout=30
		else
		  if [ x$feature_timeout_style = xy ] ; then
		    set timeout_style=menu
		    set timeout=5
		  # Fallback normal timeout code in case the timeout_style feature is
		  # unavailable.
		  else
		    set timeout=5
		  fi
		fi
		### END /etc/grub.d/00_header ###

		### BEGIN /etc/grub.d/10_linux ###
		function gfxmode {
	EOF
	# shellcheck disable=SC2016 # grub's variable.
	printf '\tset gfxpayload="${1}"\n}\nset linux_gfx_mode=\nexport linux_gfx_mode\n'
	grub_entry "" "Debian GNU/Linux" "gnulinux-simple-$fs_uuid" "$release" ""
	printf "submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-%s' {\n" "$fs_uuid"
	grub_entry $'\t' "Debian GNU/Linux, with Linux $release" "gnulinux-$release-advanced-$fs_uuid" "$release" ""
	grub_entry $'\t' "Debian GNU/Linux, with Linux $release (recovery mode)" "gnulinux-$release-recovery-$fs_uuid" "$release" "single "
	printf '}\n\n### END /etc/grub.d/10_linux ###\n'
}

# grub_entry prints one menuentry, indented by INDENT.
grub_entry() {
	local i=$1 title=$2 id=$3 release=$4 extra=$5
	printf "%smenuentry '%s' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option '%s' {\n" "$i" "$title" "$id"
	# shellcheck disable=SC2016 # grub's variables, for grub to expand.
	printf '%s\t%s\n' \
		"$i" load_video \
		"$i" 'insmod gzio' \
		"$i" 'if [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi' \
		"$i" 'insmod part_gpt' \
		"$i" 'insmod ext2' \
		"$i" "set root='hd0,gpt1'" \
		"$i" 'if [ x$feature_platform_search_hint = xy ]; then' \
		"$i" "  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,gpt1 --hint-efi=hd0,gpt1 --hint-baremetal=ahci0,gpt1  $fs_uuid" \
		"$i" 'else' \
		"$i" "  search --no-floppy --fs-uuid --set=root $fs_uuid" \
		"$i" 'fi' \
		"$i" "echo	'Loading Linux $release ...'" \
		"$i" "linux	/boot/vmlinuz-$release root=UUID=$fs_uuid ro ${extra}console=ttyS0" \
		"$i" "echo	'Loading initial ramdisk ...'" \
		"$i" "initrd	/boot/initrd.img-$release"
	printf '%s}\n' "$i"
}

if [ "${1:-}" = --customize ]; then
	customize "$2" "$3"
	exit 0
fi
case ${1:-} in
-*)
	echo "usage: os-image.sh [OUT]" >&2
	exit 2
	;;
esac
out=${1:-build/os}
start=$SECONDS

# The mirror is the machine's own, read from its apt configuration: no
# host name is written here.
mirror=$("$here/../kernel-config/debian.sh" mirror)

# Debian's 7.x cloud kernel: linux-image-REL pulls the signed image
# (linux-binary-REL), the modules and the hooks that make the initrd.
kernel=${RAMDAX_OS_KERNEL:-$("$here/../kernel-config/debian.sh" newest "^linux-image-7\.[0-9.]+\+deb[0-9]+-cloud-amd64\$")}
release=${kernel#linux-image-}
kver=$("$here/../kernel-config/debian.sh" version "$kernel")
[ -n "$kver" ] || { log "$kernel has no version in $suite"; exit 1; }
hash=$({
	sha256sum <"$self" | cut -d' ' -f1
	echo "$suite"
	echo "${packages[*]}"
	echo "$kernel=$kver"
} | sha256sum | cut -c1-12)
key=$release-$kver-$hash
entry=$cache/os/$key
mkdir -p "$cache/os"

# One build at a time; a second run of the same key waits and then finds it.
exec 9>"$cache/os/.lock"
flock 9

tmp=
cleanup() {
	[ -n "$tmp" ] || return 0
	[ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null
	# mmdebstrap unmounts what it mounted; never follow a mount left behind.
	if findmnt -rno TARGET | grep -q "^$tmp/"; then
		log "mounts left under $tmp; not removing it"
		return 0
	fi
	rm -rf --one-file-system "$tmp"
}
# On a signal the shell waits for mmdebstrap, which unmounts what it
# mounted, before it cleans up.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# boot_check boots a copy of the image with its own kernel and initrd under
# TCG, as the suites attach it, waits for root's shell on ttyS0 and runs a
# few checks there. It sets login to the seconds from QEMU's start to the
# login prompt and leaves the console in DIR/boot.log.
boot_check() {
	local dir=$1 cmdline=$2 t0
	cp --sparse=always "$dir/disk.img" "$dir/check.img"
	mkfifo "$dir/console.in"
	exec 8<>"$dir/console.in"
	t0=$(date +%s%N)
	timeout 300 qemu-system-x86_64 -accel tcg,thread=single -machine q35 -m 2G -smp 2 \
		-display none -monitor none -serial stdio -no-reboot \
		-kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$cmdline" \
		-drive "file=$dir/check.img,if=none,id=d0,format=raw" -device nvme,drive=d0,serial=os0 \
		<&8 >"$dir/boot.log" 2>&1 &
	qpid=$!
	login=
	while kill -0 "$qpid" 2>/dev/null; do
		if [ -z "$login" ] && grep -q 'login:' "$dir/boot.log"; then
			login=$((($(date +%s%N) - t0) / 1000000000))
			log "login prompt after ${login}s"
		fi
		grep -q "root@$hostname:" "$dir/boot.log" && break
		sleep 1
	done
	if ! kill -0 "$qpid" 2>/dev/null; then
		log "the image did not boot to root's shell; the end of its console:"
		tail -n 40 "$dir/boot.log" >&2
		exit 1
	fi
	log "root's shell after $((($(date +%s%N) - t0) / 1000000000))s; checking the system"
	# One line, so that the echo of what is typed cannot mix with the
	# answers; $c keeps "check:" itself out of that echo.
	# shellcheck disable=SC2016 # for the guest's shell to expand.
	printf '%s\n' 'c=check; echo "$c: root $(findmnt -no SOURCE,FSTYPE,OPTIONS /)"; echo "$c: state $(timeout 120 systemctl is-system-running --wait)"; echo "$c: failed units: $(systemctl --failed --no-legend --plain | cut -d" " -f1 | tr "\n" " ")"; echo "$c: kernel $(uname -r)"; poweroff' >&8
	wait "$qpid" || true
	qpid=
	exec 8>&-
	rm -f "$dir/check.img" "$dir/console.in"
	# The shell's answers, after the escape sequences systemd's profile
	# prints before each prompt and command.
	grep -a -o $'check: [^\r]*' "$dir/boot.log" >"$dir/checks"
	grep -q "^check: kernel $release\$" "$dir/checks" || { log "the checks did not run; the console is in $dir/boot.log"; exit 1; }
	sed 's/^/os-image: /' "$dir/checks" >&2
}

if [ -f "$entry/manifest" ]; then
	log "cached: $entry"
else
	# Builds left by a killed run (its pid gone).
	for old in "$cache"/os/.tmp-*; do
		[ -d "$old" ] || continue
		kill -0 "${old##*-}" 2>/dev/null || { findmnt -rno TARGET | grep -q "^$old/" || rm -rf --one-file-system "$old"; }
	done
	tmp=$cache/os/.tmp-$key-$$
	mkdir -p "$tmp" "$cache/os/debs"
	log "building $key: Debian $suite with $kernel $kver"
	# The .debs are kept apart (only the last build's), so that a build for
	# an edit of this script downloads nothing. The mirror may be a frozen
	# snapshot whose Release is past its Valid-Until: the signature is
	# still checked.
	# shellcheck disable=SC2016 # $1 is the chroot, for mmdebstrap's hooks.
	"${as_root[@]}" mmdebstrap --mode=root --variant=minbase --format=directory \
		--include="$(IFS=,; echo "${packages[*]},$kernel=$kver")" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-include=/usr/share/locale/locale.alias' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/lintian/*' \
		--aptopt='Acquire::Languages "none"' \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Sandbox::User "root"' \
		--skip=essential/unlink \
		--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
		--setup-hook="sync-in $(printf %q "$cache/os/debs") /var/cache/apt/archives" \
		--customize-hook="$(printf '%q ' "$self" --customize)\"\$1\" $(printf %q "$release")" \
		--customize-hook="rm -f $(printf %q "$cache/os/debs")/*.deb" \
		--customize-hook="sync-out /var/cache/apt/archives $(printf %q "$cache/os/debs")" \
		"$suite" "$tmp/root" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
	rm -f "$cache/os/debs/lock"
	rm -rf "$cache/os/debs/partial"

	cp "$tmp/root/boot/vmlinuz-$release" "$tmp/vmlinuz"
	cp "$tmp/root/boot/initrd.img-$release" "$tmp/initrd.img"
	used=$(du -sm --apparent-size "$tmp/root" | cut -f1)
	log "root filesystem: ${used} MiB; laying it on $disk_mib MiB disk"
	truncate -s "${disk_mib}M" "$tmp/disk.img"
	sfdisk -q "$tmp/disk.img" <<-EOF
		label: gpt
		label-id: $disk_uuid
		unit: sectors

		start=$((part_offset / 512)), size=$((part_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$part_uuid, name="$label"
	EOF
	"${as_root[@]}" mke2fs -q -F -t ext4 -L "$label" -U "$fs_uuid" -E "offset=$part_offset,root_owner=0:0" \
		-d "$tmp/root" "$tmp/disk.img" "${part_mib}M"
	"${as_root[@]}" rm -rf --one-file-system "$tmp/root"
	debugfs -R "ls -l /boot" "$tmp/disk.img?offset=$part_offset" 2>/dev/null | grep -q "vmlinuz-$release" ||
		{ log "debugfs does not find /boot/vmlinuz-$release in the image"; exit 1; }
	build=$((SECONDS - start))

	cmdline="root=UUID=$fs_uuid ro console=ttyS0"
	login=unchecked
	if [ "${RAMDAX_OS_BOOT_CHECK:-1}" != 0 ]; then
		log "booting a copy under QEMU (TCG) to check it"
		boot_check "$tmp" "$cmdline"
	fi
	{
		echo "key: $key"
		echo "suite: $suite"
		echo "packages: ${packages[*]}"
		echo "kernel-package: $kernel"
		echo "kernel-version: $kver"
		echo "kernel-release: $release"
		echo "vmlinuz: /boot/vmlinuz-$release"
		echo "initrd: /boot/initrd.img-$release"
		echo "grub-cfg: /boot/grub/grub.cfg"
		echo "cmdline: $cmdline"
		echo "fs-uuid: $fs_uuid"
		echo "partuuid: $part_uuid"
		echo "disk-uuid: $disk_uuid"
		echo "label: $label"
		echo "hostname: $hostname"
		echo "partition-offset: $part_offset"
		echo "partition-size: $((part_mib * 1024 * 1024))"
		echo "disk-size: $((disk_mib * 1024 * 1024))"
		echo "disk-used: $(du -B1 "$tmp/disk.img" | cut -f1)"
		echo "build-seconds: $build"
		echo "login-seconds: $login"
		if [ -f "$tmp/checks" ]; then
			sed 's/^check: /boot-check: /' "$tmp/checks"
			rm "$tmp/checks"
		fi
	} >"$tmp/manifest"
	mv -T "$tmp" "$entry"
	tmp=
	# The three newest images stay in the cache, older ones go.
	find "$cache/os" -mindepth 1 -maxdepth 1 -type d ! -name debs ! -name '.*' -printf '%T@ %p\n' |
		sort -rn | tail -n +4 | cut -d' ' -f2- | while read -r old; do
		log "removing the older $old"
		rm -rf --one-file-system "$old"
	done
	log "built $key in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s"
fi

# OUT's files are copies: the cached image is never written to.
mkdir -p "$out"
cp --sparse=always "$entry/disk.img" "$out/.disk.img.tmp"
mv -f "$out/.disk.img.tmp" "$out/disk.img"
rm -f "$out/boot.log"
for f in vmlinuz initrd.img manifest boot.log; do
	if [ -f "$entry/$f" ]; then cp "$entry/$f" "$out/$f"; fi
done
log "ready: $out/disk.img ($((disk_mib / 1024)) GiB sparse, $(du -m "$out/disk.img" | cut -f1) MiB used), in $((SECONDS - start))s"
cat "$out/manifest"
