#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/deps.sh [6.1|6.12...]: install what tests/qemu-run needs, if
# anything is missing (dpkg-query and /boot only when all is there):
# qemu-system-x86, busybox-static, and pcscd, libccid and udev for the
# guest's USB CCID readers; and for each kernel line (default
# both) Debian's headers and the kernel image of the SAME ABI:
#   6.1   linux-headers-amd64 (bookworm) -> linux-image-6.1.0-N-amd64
#   6.12  linux-headers-6.12-amd64 (bookworm-security)
#                                  -> linux-image-6.12.N+deb12-amd64
# --no-install-recommends, and INITRD=No: the guest boots our own
# initramfs, so update-initramfs need not build Debian's (saves ~30 s).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(6.1 6.12)

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -qx 'install ok installed'
}

apt_install() {
	[ "$(id -u)" -eq 0 ] || die "missing packages: $* (run as root, or apt-get install them)"
	say DEPS "installing $*"
	export DEBIAN_FRONTEND=noninteractive INITRD=No
	if [ -z "${updated:-}" ]; then
		run_logged "$CHECK/qemu-deps.log" apt-get -o DPkg::Lock::Timeout=600 update ||
			die "apt-get update failed"
		updated=1
	fi
	run_logged "$CHECK/qemu-deps.install.log" apt-get -o DPkg::Lock::Timeout=600 \
		install -y --no-install-recommends "$@" </dev/null ||
		die "apt-get install $* failed"
}

missing=()
for p in qemu-system-x86 busybox-static cpio kmod python3 rsync xz-utils zstd pcscd libccid udev; do
	installed "$p" || missing+=("$p")
done
# One apt-get run for everything: the headers' meta-package brings its
# image's meta-package along, of the same version.
for l in "${lines[@]}"; do
	qemu_line_ok "$l" || die "unknown kernel line '$l' (6.1, 6.12)"
	if abi=$(qemu_abi "$l"); then
		[ -r "/boot/vmlinuz-$abi" ] && [ -e "/lib/modules/$abi/modules.dep" ] ||
			missing+=("linux-image-$abi")
	else
		case $l in
		6.1) missing+=(linux-headers-amd64 linux-image-amd64) ;;
		6.12) missing+=(linux-headers-6.12-amd64 linux-image-6.12-amd64) ;;
		esac
	fi
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

for l in "${lines[@]}"; do
	abi=$(qemu_abi "$l") || die "no /usr/src/linux-headers-$l.*-amd64 after the install"
	[ -r "/boot/vmlinuz-$abi" ] || die "no /boot/vmlinuz-$abi after the install"
done
