# The RAMDAX appliance. `make run` boots it, `make test` proves it; both set
# up what they need on a Debian machine first.

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

GO      ?= go
MEM     ?= 2G
# 528 MiB plus the 128 KiB label area: no space lost to the 16 MiB align.
MEMMAP  ?= 540800K!1G
CMDLINE ?= ramdax.ns=data:fsdax:256M:fs=ext4:mount=/mnt/data ramdax.ns=fast:devdax:128M ramdax.ns=scratch:raw:rest

KERNEL    := build/kernel/bzImage
# A module of its own that uses the public harness, vmtest, from outside.
EXAMPLE   := examples/pmem-roundtrip
# The Debian kernel FLAVOUR=distro uses: build/distro (cloud) or
# build/distro-generic (generic, for real machines); make distro-kernel
# unpacks both.
DISTRO_DIR ?= build/distro
DISTRO    := $(DISTRO_DIR)/vmlinuz
INITRAMFS := build/initramfs.cpio.lz4
# builtin (RAMDAX built in, build/kernel) or distro (a Debian kernel
# and its modules, DISTRO_DIR).
FLAVOUR   ?= builtin
ifeq ($(FLAVOUR),distro)
MKIMAGE   := $(GO) run ./cmds/mkimage -flavour distro -modules $(DISTRO_DIR)/modules -kernel $(DISTRO)
else
MKIMAGE   := $(GO) run ./cmds/mkimage -flavour builtin -kernel $(KERNEL)
endif
# The layout the ISO and the PXE bundle boot by default (memmap= and
# ramdax.*); empty for mkimage's, the same as `make run`'s.
LAYOUT    ?=
MKIMAGE   += $(if $(LAYOUT),-layout '$(LAYOUT)')
# A bootconfig of ramdax.* keys for layouts larger than the command line
# (see the README's "Large layouts").
LAYOUT_FILE ?=
MKIMAGE   += $(if $(LAYOUT_FILE),-layout-file '$(LAYOUT_FILE)')
# The node's own Go commands, built into the image and started as
# services (see the README's "Adding your own programs"), and a JSON file
# of their arguments and environment by name.
SERVICES ?=
MKIMAGE   += $(if $(SERVICES),-services '$(SERVICES)')
SERVICES_CONFIG ?=
MKIMAGE   += $(if $(SERVICES_CONFIG),-services-config '$(SERVICES_CONFIG)')
# The fleet `make pxe-config` serves (see the README's "Fleets"), and its
# boot network: dnsmasq's dhcp-range, optionally one interface, where the
# TFTP root will be served from (default build/fleet/tftp), and Matchbox's
# URL when iPXE should ask Matchbox instead of TFTP.
INVENTORY     ?= fleet/example.inventory
DHCP_RANGE    ?= 10.0.8.100,10.0.8.199,12h
PXE_INTERFACE ?=
TFTP_ROOT     ?=
MATCHBOX_URL  ?=

.PHONY: all deps kernel distro-kernel os-image install-os initramfs image iso pxe pxe-config reproducible run soak test test-faults test-fleet vet bench clean

all: image

## deps: install QEMU, the kernel build dependencies and the Go modules.
deps:
	@scripts/deps.sh

## kernel: build (or take from the cache) the kernel with RAMDAX built in.
kernel: deps
	@kernel-config/build.sh build/kernel

## distro-kernel: unpack Debian's kernels, which have RAMDAX as a module: the cloud one (build/distro) and the generic one for real machines (build/distro-generic).
distro-kernel: deps
	@kernel-config/distro.sh build/distro cloud
	@kernel-config/distro.sh build/distro-generic generic

## os-image: build (or take from the cache) the installed OS the appliance kexecs into: Debian sid with its cloud kernel on a GPT disk image, build/os/disk.img, and build/os/manifest.
os-image: deps
	@scripts/os-image.sh build/os

## install-os: install the OS side into DESTDIR (default /): ramdaxinit for `ramdaxinit apply`, ramdax.service (enabled) and the udev rule for /dev/ramdax/NAME.
install-os: DESTDIR ?= /
install-os:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(DESTDIR)/usr/local/sbin/ramdaxinit ./cmds/ramdaxinit
	install -D -m 644 image/os/ramdax.service $(DESTDIR)/etc/systemd/system/ramdax.service
	install -D -m 644 image/os/60-ramdax.rules $(DESTDIR)/etc/udev/rules.d/60-ramdax.rules
	mkdir -p $(DESTDIR)/etc/systemd/system/sysinit.target.wants
	ln -sfn ../ramdax.service $(DESTDIR)/etc/systemd/system/sysinit.target.wants/ramdax.service

## initramfs: build the appliance initramfs, build/initramfs.cpio.lz4 (FLAVOUR=builtin or distro).
initramfs: deps
	@$(MKIMAGE) -o build initramfs

## image: the initramfs, the kernel, cmdline.txt, the ISO, the PXE bundle and build/manifest.
image: deps kernel
	@$(MKIMAGE) -o build

## iso: the initramfs and the hybrid BIOS/UEFI ISO, build/ramdax.iso.
iso: deps kernel
	@$(MKIMAGE) -o build iso

## pxe: the initramfs and the PXE bundle, build/pxe/ (bzImage, initramfs, boot.ipxe).
pxe: deps kernel
	@$(MKIMAGE) -o build pxe

## pxe-config: check INVENTORY, then write dnsmasq, iPXE and Matchbox configuration for the fleet to build/fleet/.
pxe-config: deps kernel
	@$(GO) run ./cmds/pxeconfig -check $(INVENTORY)
	@$(MKIMAGE) -o build initramfs
	@$(GO) run ./cmds/pxeconfig -o build/fleet -kernel $(KERNEL) -initramfs $(INITRAMFS) -flavour $(FLAVOUR) -dhcp-range '$(DHCP_RANGE)' \
		$(if $(PXE_INTERFACE),-interface '$(PXE_INTERFACE)') $(if $(TFTP_ROOT),-tftp-root '$(TFTP_ROOT)') \
		$(if $(MATCHBOX_URL),-matchbox '$(MATCHBOX_URL)') $(INVENTORY)

## reproducible: build every artifact twice and compare the manifests.
reproducible: deps kernel
	@rm -rf build/repro-a build/repro-b
	@$(MKIMAGE) -o build/repro-a >/dev/null
	@$(MKIMAGE) -o build/repro-b >/dev/null
	@grep -H -E ' (initramfs.cpio.lz4|ramdax.iso)$$' build/repro-a/manifest build/repro-b/manifest
	@diff build/repro-a/manifest build/repro-b/manifest && echo "reproducible: the two builds are byte-identical"

## run: boot the appliance in QEMU with a default layout, console in this terminal.
run: kernel initramfs
	@$(GO) run ./tools/runvm -kernel $(KERNEL) -initrd $(INITRAMFS) -m $(MEM) -memmap '$(MEMMAP)' -append '$(CMDLINE)'

## vet: gofmt and go vet.
vet:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	@$(GO) vet ./...
	@cd $(EXAMPLE) && $(GO) vet ./... && $(GO) vet -tags vmguest ./...
	@cd examples/devdax-counter && $(GO) vet ./...

## test: the unit tests and the QEMU suites, then the example module's test, run as an outside project runs it.
test: deps kernel distro-kernel os-image vet
	$(GO) test -count=1 -timeout 80m ./...
	cd $(EXAMPLE) && $(GO) test -count=1 -timeout 20m ./...

## test-faults: the power-cut suites: 10 fixed cut points and 50 random ones (RAMDAX_FAULT_SEED=N replays a run).
test-faults: deps kernel
	set -o pipefail; RAMDAX_FAULT_CUTS=$${RAMDAX_FAULT_CUTS:-50} $(GO) test -count=1 -v -timeout 90m -run 'TestPowerCut' ./vmtest/ | grep -E '^(=== RUN|\s*--- |ok|FAIL|PASS)|powercut_test.go|durability_test.go|kept in'

## soak: 100 kexec cycles, each adding or removing a namespace and writing data (RAMDAX_SOAK_CYCLES=N).
soak: deps kernel
	set -o pipefail; $(GO) test -tags soak -count=1 -v -timeout 120m -run 'TestSoak' ./vmtest/ | grep -E '^(=== RUN|\s*--- |ok|FAIL|PASS)|soak_test.go|durability_test.go|kept in'

## test-fleet: the fleet suite: dnsmasq and three QEMU guests PXE-booting their own layouts, in a network namespace.
test-fleet: deps kernel
	set -o pipefail; $(GO) test -count=1 -v -timeout 20m -run '^TestFleet$$' ./vmtest/ | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|^ +--- |fleet_test.go|netns.go|kept in'

## bench: boot to ready, setup scaling, DAX bandwidth, sizes and kernel build time, against Debian's kernel and ndctl: one table, and BENCHMARKS.md (QUICK=1: one boot each, a few minutes; BENCH_COLD=1: time a cold kernel build too).
# The rows, the go test log, every boot's console and the images booted
# stay in build/bench/. The wall time counts from make's start.
bench: BENCH_START := $(shell date +%s)
bench: BENCH_QUICK = $(if $(filter-out 0 false no,$(QUICK)),1)
bench: deps kernel distro-kernel
	@mkdir -p build/bench && rm -rf build/bench/results.jsonl build/bench/consoles
	set -o pipefail; RAMDAX_BENCH_OUT=$(CURDIR)/build/bench/results.jsonl RAMDAX_BENCH_QUICK=$(BENCH_QUICK) BENCH_COLD=$(BENCH_COLD) \
		$(GO) test -count=1 -v -run '^$$' -bench . -benchtime 1x -timeout 100m ./bench/ 2>&1 | tee build/bench/go-test.log | \
		grep --line-buffered -E '^(Benchmark|ok|FAIL|PASS)|^\s*--- |[a-z_]+_test\.go:[0-9]+: '
	@$(GO) run ./tools/benchreport -in build/bench/results.jsonl -o BENCHMARKS.md -started $(BENCH_START) $(if $(BENCH_QUICK),-quick) \
		-command 'make bench$(if $(BENCH_QUICK), QUICK=1)$(if $(BENCH_COLD), BENCH_COLD=$(BENCH_COLD))'

clean:
	rm -rf build
