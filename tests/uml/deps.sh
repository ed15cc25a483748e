#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh: install the Debian packages the build and tests need, if any is
# missing. Quiet and quick (dpkg-query only) when all are installed;
# `apt-get update` runs only when something has to be installed. The
# list covers every stage of `make check`, so a fresh machine runs apt-get
# once; the stages' own scripts (userspace/tests/deps.sh,
# tests/packaging.sh, tests/qemu/deps.sh) still check their part, and
# install it when run on their own.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(
	linux-source-6.1	# the source tarballs the UML kernels build from
	linux-source-6.12	# (SMCHAN_KVER; 6.12 is in bookworm-security)
	linux-headers-amd64	# Debian's headers: W=1 + sparse build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync
	python3			# kunit.py, scan-log.py, the vectors generator
	sparse			# C=2
	iproute2		# `ip link set lo up` inside UML
	# userspace (userspace/tests/deps.sh)
	gcc make pkg-config libpcsclite-dev pcscd vsmartcard-vpcd util-linux mount
	libnl-3-dev libnl-genl-3-dev libseccomp-dev systemd libcacard-dev
	# packaging (tests/packaging.sh): DKMS for both kernel lines
	dkms linux-headers-6.12-amd64 xz-utils openssl
	# qemu (tests/qemu/deps.sh): Debian's own kernels, the USB CCID chain
	qemu-system-x86 busybox-static zstd libccid udev
	linux-image-amd64 linux-image-6.12-amd64
	# the smchan PC/SC reader's tests (tests/ifd): unmodified PC/SC programs
	opensc pcsc-tools python3-pyscard
	# fuzzing (tests/fuzz/deps.sh): the short pass
	clang-14 libfuzzer-14-dev
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -qx 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] ||
		die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
	say DEPS "installing ${missing[*]}"
	log=$CHECK/deps.log
	# INITRD=No: the qemu guests boot our own initramfs, not Debian's.
	export DEBIAN_FRONTEND=noninteractive INITRD=No
	run_logged "$log" apt-get update ||
		die "apt-get update failed"
	run_logged "$log.install" apt-get install -y --no-install-recommends \
		"${missing[@]}" || die "apt-get install failed"
fi

debian_kdir >/dev/null ||
	die "no /usr/src/linux-headers-6.1.*-amd64 although linux-headers-amd64 is installed"
for v in $UML_KVERS; do
	[ -r "/usr/src/linux-source-$v.tar.xz" ] ||
		die "/usr/src/linux-source-$v.tar.xz missing"
done
