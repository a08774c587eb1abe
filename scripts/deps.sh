#!/usr/bin/env bash
# deps.sh installs what building the kernel, the image and running the QEMU
# suites needs on a Debian machine: it is idempotent and quiet when nothing
# is missing.
set -euo pipefail

packages=(
	# QEMU for the suites and `make run`; the e1000's iPXE ROM for PXE boots
	# and OVMF for UEFI boots of the ISO.
	qemu-system-x86 qemu-utils ipxe-qemu ovmf
	# The kernel build (tinyconfig plus the fragment, zstd-compressed bzImage).
	build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils zstd
	# The initramfs's compressor (image/compress.go).
	lz4
	# depmod for Debian's modular kernel; dpkg-deb and apt-get come with Debian.
	kmod ca-certificates
	# mkfs.ext4 and mkfs.xfs, packed into the image with their libraries.
	e2fsprogs xfsprogs
	# Debian's ndctl, which the nvdimm suite cross-checks against.
	ndctl
	# The hybrid BIOS/UEFI ISO: grub-mkrescue and what it runs; faketime
	# freezes the clock it stamps the ISO with, for reproducible ISOs.
	grub-pc-bin grub-efi-amd64-bin xorriso mtools faketime
	# Fleets: `make pxe-config` hands PXE firmware ipxe's undionly.kpxe and
	# ipxe.efi; the fleet suite runs dnsmasq (the binary alone, no system
	# service) in a network namespace made with iproute2's ip.
	ipxe dnsmasq-base iproute2
	# The server suite reads the screen's screenshots as an operator would,
	# with OCR.
	tesseract-ocr
	# The installed OS the appliance kexecs into (scripts/os-image.sh):
	# mmdebstrap builds Debian sid in a directory (gpg for the suite's
	# signed-by), and fdisk's sfdisk writes the disk image's GPT.
	mmdebstrap gpg fdisk
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: the machine's own toolchain; Debian's golang-go as a last resort, which
# then fetches the version go.mod asks for through the module proxy.
export PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null; then
	echo "deps: installing golang-go" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi
go mod download
