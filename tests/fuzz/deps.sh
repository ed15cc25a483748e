#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages the fuzz targets need, only if one is
# missing (dpkg -s first; apt-get update + install only then), as
# userspace/tests/deps.sh does. Works non-interactively as root; as
# another user it only reports.
set -e
pkgs="clang-14 libfuzzer-14-dev make python3 pkg-config libssl-dev libnl-3-dev libnl-genl-3-dev libpcsclite-dev"
missing=
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install)" >&2
	exit 0
fi
echo "  APT    $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null >/dev/null
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing \
	</dev/null >/dev/null
