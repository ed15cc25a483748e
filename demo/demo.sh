#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the patent's walk-through through the real chain, on a fresh
# Debian 12 machine as root. Installs the Debian packages it needs, builds
# (or reuses) the UML kernel, smchan.ko and the tools, then runs
# demo/walkthrough.sh inside UML (tests/uml-run): a private pcscd with the
# vpcd driver, smchan-vcard behind it, a channel with a fresh master key
# in the kernel keyring, smchanctl relay, and 28 commands through
# /dev/smchan in the four modes; then, as a closing act, opensc-tool sends
# the same walk-through to the smchan PC/SC reader (userspace/ifd).
#
# demo/demo.sh --usb (make demo-usb): the same walk-through on Debian's own
# 6.12 kernel in qemu (tests/qemu-run), through qemu's USB CCID reader: the
# guest's xhci_hcd, pcscd with libccid, and smchan-vcard --vscard on the
# host behind ccid-card-passthru. Installs the kernel image and headers,
# qemu and libccid first if they are missing.
set -euo pipefail
usb=
case ${1:-} in
--usb) usb=1 ;;
'') ;;
*) echo "usage: demo/demo.sh [--usb]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

pkgs="pcscd vsmartcard-vpcd libpcsclite-dev libnl-3-dev libnl-genl-3-dev
	libssl-dev keyutils pkg-config gcc make python3 opensc"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "demo: installing$missing"
	[ "$(id -u)" = 0 ] || { echo "demo: run as root (apt-get)" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq -o DPkg::Lock::Timeout=300 $missing >/dev/null
fi
if [ -n "$usb" ]; then
	tests/qemu/deps.sh 6.12 >/dev/null
	userspace/tests/deps.sh	# libnl, libpcsclite, libcacard-dev...
	make -s -C userspace all >/dev/null
	echo "demo: Debian's 6.12 kernel in qemu (TCG), with qemu's USB CCID reader..."
	exec tests/qemu-run --kernel 6.12 --usb 1 -- demo/walkthrough.sh
fi
# The UML kernel's own packages (linux-source-6.1, bison, flex...).
tests/uml/deps.sh >/dev/null

if [ ! -e build/uml/normal/linux ]; then
	echo "demo: building the User Mode Linux kernel once (about 3-6 minutes on 2 cores)..."
fi
# The closing act's smchan PC/SC reader (opensc-tool through it).
make -s -C userspace/ifd >/dev/null
exec tests/uml-run -- demo/walkthrough.sh
