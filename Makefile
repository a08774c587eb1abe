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
DISTRO    := build/distro/vmlinuz
INITRAMFS := build/initramfs.cpio

.PHONY: all deps kernel distro-kernel image run test vet bench clean

all: image

## deps: install QEMU, the kernel build dependencies and the Go modules.
deps:
	@scripts/deps.sh

## kernel: build (or take from the cache) the kernel with RAMDAX built in.
kernel: deps
	@kernel-config/build.sh build/kernel

## distro-kernel: unpack Debian's cloud kernel, which has RAMDAX as a module.
distro-kernel: deps
	@kernel-config/distro.sh build/distro

## image: build the appliance initramfs (FLAVOUR=builtin or distro).
image: deps
	@$(GO) run ./cmds/mkimage -o $(INITRAMFS)

## run: boot the appliance in QEMU with a default layout, console in this terminal.
run: kernel image
	@$(GO) run ./cmds/runvm -kernel $(KERNEL) -initrd $(INITRAMFS) -m $(MEM) -memmap '$(MEMMAP)' -append '$(CMDLINE)'

## vet: gofmt and go vet.
vet:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	@$(GO) vet ./...

## test: the unit tests and the QEMU suites.
test: deps kernel distro-kernel vet
	$(GO) test -count=1 -timeout 80m ./...

## bench: benchmarks that print numbers (boot time to /init, ...).
bench: deps kernel distro-kernel
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x -timeout 30m ./vmtest/...

clean:
	rm -rf build
