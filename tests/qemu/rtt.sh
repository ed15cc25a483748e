#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/rtt.sh [N]: the APDU round trip through qemu's USB CCID reader
# beside the vpcd path, in ONE guest (tests/qemu-run --usb 1 -- this):
# one pcscd serving vpcd's reader (the card on the guest's loopback) and
# the USB reader (guest xhci_hcd, libusb, libccid; the card on the host
# behind ccid-card-passthru), the same card program on both, and plain
# SELECT MF (00 A4 00 0C 02 3F 00), N times each (default 500), through
# SCardTransmit (tests/qemu/rtt.py), then the same through /dev/smchan
# (protected: ratchet) on each reader. Prints one line per path.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
[ -n "$USB" ] || rfail "needs a USB reader: tests/qemu-run --usb 1 -- $0"
trap relay_cleanup EXIT
n=${1:-500}
start_pcscd	# udevd; no reader.conf reader in USB mode: add vpcd's
stop_pcscd
cat >"$R_TMP/reader.conf" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$VPCD_PORT
LIBPATH      $VPCD_DRIVER
CONF
pcscd -f -c "$R_TMP/reader.conf" >>"$R_TMP/pcscd.log" 2>&1 &
PCSCD_PID=$!
R_PIDS+=("$PCSCD_PID")
wait_for 10 test -S /run/pcscd/pcscd.comm || rfail "pcscd did not start"
new_card u 16
new_card v 16
start_card u 0
smchan-vcard --image "$R_TMP/v.img" --port "$VPCD_PORT" --log "$R_TMP/v.log" 2>>"$R_TMP/v.err" &
R_PIDS+=($!)
sleep 3
echo "kernel $(uname -r), qemu TCG; $n commands each, after 20 not counted"
/usr/bin/python3 "$top/tests/qemu/rtt.py" "Virtual PCD 00 00" "$n" | sed 's/^/plain  /'
/usr/bin/python3 "$top/tests/qemu/rtt.py" "$(reader_name 0)" "$n" | sed 's/^/plain  /'
start_relay
smchanctl channel add cu reader "$(reader_name 0)" key-file "$R_TMP/u.key" >/dev/null
smchanctl channel add cv reader "Virtual PCD 00 00" key-file "$R_TMP/v.key" >/dev/null
R_CHANNELS+=(cu cv)
ready cu
ready cv
for ch in cv cu; do
	t0=$(date +%s%N)
	# shellcheck disable=SC2046
	smchanctl apdu "$ch" $(yes 00A4000C023F00 | head -n "$n") >/dev/null || rfail "$ch"
	t1=$(date +%s%N)
	echo "smchan $ch ($(smchanctl show "$ch" --json | sed -n 's/.*"reader": "\([^"]*\)".*/\1/p')): mean_us=$(((t1 - t0) / 1000 / n)) over $n (one smchanctl apdu run)"
done
