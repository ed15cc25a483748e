#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh: install the Debian packages the build and tests need, if any is
# missing. Quiet and quick (dpkg-query only) when all are installed;
# `apt-get update` runs only when something has to be installed.

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
	export DEBIAN_FRONTEND=noninteractive
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
