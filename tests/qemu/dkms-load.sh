#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/dkms-load.sh: the module DKMS built on the host for this
# kernel while it was not running (tests/packaging.sh: dkms build + install
# -k <release>, kept in build/check/packaging/dkms-installed/<release>/),
# loaded the way a user's system loads it: installed in
# /lib/modules/<release>/updates/dkms/ of a writable copy of the root
# (tests/qemu/overlay.sh) with the module index depmod made for it on the
# host (tests/qemu/dkms-prep.sh: depmod here would decompress every module
# under TCG), then modprobe smchan. Checks that modprobe
# took that file, with DKMS's signature and this kernel's vermagic, that
# /dev/smchan answers, and that modprobe -r unloads it. In a qemu guest
# (tests/qemu-run --no-module). Prints "dkms-load: ok:"/"FAIL:" per check
# and "dkms-load: RESULT <passed> <failed>" last.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/qemu/overlay.sh"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "dkms-load: ok: $*"; }
bad() { failed=$((failed + 1)); echo "dkms-load: FAIL: $*"; }
cleanup() {
	overlay_down
	echo "dkms-load: RESULT $passed $failed"
}
trap cleanup EXIT
kver=$(uname -r)
d=$top/build/check/packaging/dkms-installed/$kver
ko=$(ls "$d/"smchan.ko* 2>/dev/null | head -n 1)
if [ -z "$ko" ] || [ ! -s "$d/index/modules.dep.bin" ]; then
	bad "no module DKMS built for $kver, or no index (tests/packaging.sh, tests/qemu/dkms-prep.sh)"
	exit 1
fi
grep -q '^smchan ' /proc/modules && rmmod smchan
overlay_up || { bad "no overlay over the 9p root"; exit 1; }
dir=/lib/modules/$kver/updates/dkms
mkdir -p "$OV_ROOT$dir"
cp "$ko" "$OV_ROOT$dir/"
cp "$d/index/"modules.* "$OV_ROOT/lib/modules/$kver/"
if ! in_root "modprobe smchan"; then
	bad "modprobe smchan failed"
	exit 1
fi
path=$(in_root "modinfo -n smchan")
case $path in
"$dir"/smchan.ko*) ok "modprobe smchan found DKMS's $path" ;;
*) bad "modinfo -n smchan: '$path', not in $dir" ;;
esac
signer=$(in_root "modinfo -F signer smchan")
vm=$(in_root "modinfo -F vermagic smchan")
if [ "$signer" = "DKMS module signing key" ] && [ "${vm%% *}" = "$kver" ]; then
	ok "signed by DKMS's key, vermagic $kver"
else
	bad "signer '$signer', vermagic '$vm'"
fi
if grep -q '^smchan ' /proc/modules && [ -c /dev/smchan ] && smchanctl show >/dev/null 2>&1; then
	ok "loaded; /dev/smchan and the netlink family answer"
else
	bad "smchan not loaded, or /dev/smchan or smchanctl show failed"
fi
if in_root "modprobe -r smchan" && ! grep -q '^smchan ' /proc/modules; then
	ok "modprobe -r smchan unloaded it"
else
	bad "modprobe -r smchan"
fi
[ "$failed" = 0 ]
