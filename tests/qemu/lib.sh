# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by tests/qemu-run and tests/qemu/*.sh: tests/uml/lib.sh (paths,
# the build/ lock, run_logged, result) plus the Debian kernel lines that
# qemu boots. Cache: build/qemu/<abi>/{vmlinux,initrd.cpio.gz,key};
# the module built against <abi>'s headers in build/mod-qemu-<abi>/.

# shellcheck source=../uml/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../uml" && pwd)/lib.sh"
# shellcheck disable=SC2034 # for the scripts that source this file
QEMUDIR=$TOP/tests/qemu

qemu_line_ok() {
	case $1 in
	6.1 | 6.12) return 0 ;;
	esac
	return 1
}

# qemu_abi LINE: the kernel ABI name (6.1.0-57-amd64, 6.12.118+deb12-amd64)
# of the highest installed headers of LINE. The image of that ABI is what
# boots (tests/qemu/deps.sh installs it).
qemu_abi() {
	local pat d
	case $1 in
	6.1) pat='linux-headers-6.1.*-amd64' ;;
	6.12) pat='linux-headers-6.12.*+deb12-amd64' ;;
	*) return 1 ;;
	esac
	d=$(find /usr/src -maxdepth 1 -name "$pat" -type d 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || return 1
	echo "${d##*/linux-headers-}"
}
