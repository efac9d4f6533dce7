#!/usr/bin/env bash
# QEMU user emulation for the multi-platform tests: Debian's qemu-user-static, the binfmt_misc
# handler of qemu-aarch64 registered with the F (fix binary) flag so that containers run arm64
# binaries without the interpreter in their root filesystem, and a static arm64 busybox (the
# base of the arm64 test images: nothing is pulled) in a cache folder. Exports
# IMAGEMAKE_BUSYBOX_ARM64 (its path). Sourced by test.sh; safe to run again: what is there is kept.
set -euo pipefail

QEMU_CACHE=${IMAGEMAKE_QEMU_CACHE:-/var/cache/imagemake/qemu}

install_qemu() {
	if [ -x /usr/bin/qemu-aarch64-static ] || [ -x /usr/bin/qemu-aarch64 ]; then
		return 0
	fi
	echo "qemu.sh: installing qemu-user-static" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
}

# register_binfmt mounts binfmt_misc and registers qemu-aarch64 as Debian's binfmt.d file
# describes it (its flags include F, so the interpreter is opened once, here, for every mount
# namespace).
register_binfmt() {
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	fi
	if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		return 0
	fi
	local conf
	for conf in /usr/lib/binfmt.d/qemu-aarch64.conf /usr/lib/binfmt.d/qemu-aarch64-static.conf; do
		if [ -f "$conf" ]; then
			grep -v '^#' "$conf" >/proc/sys/fs/binfmt_misc/register
			return 0
		fi
	done
	echo "qemu.sh: no binfmt.d file for qemu-aarch64 in /usr/lib/binfmt.d" >&2
	return 1
}

# fetch_busybox downloads Debian's busybox-static for arm64 (apt-get download: no install, no
# dependencies) and keeps its binary.
fetch_busybox() {
	local bin="$QEMU_CACHE/busybox-arm64"
	if [ -x "$bin" ]; then
		return 0
	fi
	echo "qemu.sh: fetching busybox-static:arm64" >&2
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	apt-get update -qq >/dev/null
	local tmp
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt-get download runs as _apt
	(cd "$tmp" && apt-get download -qq busybox-static:arm64 >/dev/null)
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/root"
	mkdir -p "$QEMU_CACHE"
	install -m 0755 "$tmp/root/bin/busybox" "$bin"
	rm -rf "$tmp"
}

install_qemu
register_binfmt
fetch_busybox
export IMAGEMAKE_BUSYBOX_ARM64="$QEMU_CACHE/busybox-arm64"
