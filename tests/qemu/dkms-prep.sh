#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/dkms-prep.sh ABI: on the host, the module index that depmod
# makes once DKMS's smchan.ko (build/check/packaging/dkms-installed/ABI/,
# from tests/packaging.sh) sits in /lib/modules/ABI/updates/dkms/: depmod
# -b over a symlink copy of the installed tree, into
# build/check/packaging/dkms-installed/ABI/index/. tests/qemu/dkms-load.sh
# installs the module and this index in the guest's overlay and runs
# modprobe: a depmod there would decompress every module of the kernel
# under TCG (6.12's are xz: about five minutes).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
abi=${1:?usage: dkms-prep.sh ABI}
d=$CHECK/packaging/dkms-installed/$abi
ko=$(ls "$d"/smchan.ko* 2>/dev/null | head -n 1)
[ -n "$ko" ] || die "no DKMS-built module in $d (tests/packaging.sh)"
rm -rf "$d/root" "$d/index"
mkdir -p "$d/root/lib/modules"
cp -rs "/lib/modules/$abi" "$d/root/lib/modules/"
mkdir -p "$d/root/lib/modules/$abi/updates/dkms"
cp "$ko" "$d/root/lib/modules/$abi/updates/dkms/"
depmod -b "$d/root" "$abi"
mkdir -p "$d/index"
cp "$d/root/lib/modules/$abi"/modules.* "$d/index/"
rm -rf "$d/root"
