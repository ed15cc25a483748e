#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The patent's walk-through, for real: runs inside UML (demo/demo.sh boots
# it through tests/uml-run) with smchan.ko loaded.
#
#   app (smchanctl apdu) -> /dev/smchan -> smchan.ko (a new key per command)
#     -> smchanctl relay -> pcscd -> vpcd "Virtual PCD 00 00" -> smchan-vcard
#
# Or (make demo-usb) in qemu on Debian's own kernel, where the reader is
# qemu's USB CCID reader, driven by the guest's xhci_hcd and by libccid in
# pcscd, and the card is smchan-vcard --vscard behind it on the host
# (tests/relay/lib.sh, tests/qemu-run --usb 1).
#
# For each mode it sends SELECT FILE, WRITE BINARY, READ BINARY and more
# through /dev/smchan, and prints each plain command, the protected APDU
# as it crossed the reader, the answer the application got, and a
# fingerprint of the session key the card used (from smchan-vcard
# --demo-log: the kernel never lets a key or anything derived from one
# out). At the end it reads the data back from the card's image file.
set -euo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top/tests/relay/lib.sh"
trap relay_cleanup EXIT

if [ -t 1 ] || [ -n "${SMCHAN_COLOR:-}" ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' Y=$'\e[33m' C=$'\e[36m' N=$'\e[0m'
else
	B='' D='' G='' Y='' C='' N=''
fi
SHOWN=16	# bytes shown of a protected APDU

# -- setup -------------------------------------------------------------
echo "${B}smchan demo${N}: application -> /dev/smchan -> kernel (a new key per command)"
echo "            -> smchanctl relay -> pcscd -> reader -> card"
echo "app > the plain command    wire > < the protected bytes the reader carried"
echo "key K_n #xxxxxxxx: the session key the card used (SHA-256 fingerprint, from"
echo "the virtual card's demo log; the kernel never lets a key out)"
echo
step() { printf '%s\n' "${D}# $*${N}"; }
reader=$(reader_name 0)
if [ -n "$USB" ]; then
	step "kernel $(uname -r) in qemu; a private pcscd with libccid and qemu's USB CCID reader"
else
	step "a private pcscd with the vpcd virtual reader driver"
fi
start_pcscd
# SMCHAN_DEMO_KEYLEN=32: an AES-256 master key (the suite follows it).
klen=${SMCHAN_DEMO_KEYLEN:-16}
step "a fresh $((klen * 8))-bit master key; a virtual card made with it (smchan-vcard${USB:+ --vscard, behind the USB reader})"
new_card demo "$klen"
start_card demo 0 --demo-log "$R_TMP/demo.wire"
step "the same key in the kernel keyring: smchanctl key add smchan:demo key-file demo.key"
smchanctl key add smchan:demo key-file "$R_TMP/demo.key" >/dev/null
step "smchanctl channel add demo reader '$reader' keyring smchan:demo"
smchanctl channel add demo reader "$reader" keyring smchan:demo
R_CHANNELS+=(demo)
step "smchanctl relay (the transport to PC/SC)"
start_relay
wait_for 20 is_bound demo || rfail "the relay did not bind the channel: $(tail -3 "$R_TMP/relay.log")"
wait_for 20 grep -q 'card present' "$R_TMP/relay.log" ||
	rfail "the card did not appear in the reader: $(tail -3 "$R_TMP/relay.log")"
echo

# -- the transcript ----------------------------------------------------
wire_lines=0
declare -A seen_fp
count_ok=0

# show PREFIX HEX: the bytes, spaced; long ones cut, with their length.
show() {
	local hex=$2 n=$((${#2} / 2)) more=
	if [ "${#hex}" -gt $((2 * SHOWN)) ]; then
		hex=${hex:0:$((2 * SHOWN))}
		more=" ... ($n bytes)"
	fi
	printf '%s%s%s%s\n' "$1" "$(sed 's/../& /g; s/ $//' <<<"$hex")" "$more" "${3:-}"
}

# The card's demo log lines written since the last call (the card writes
# its line before it answers, so none is missing once a command is done).
new_wire() {
	local total
	total=$(wc -l <"$R_TMP/demo.wire")
	wire=$(tail -n +"$((wire_lines + 1))" "$R_TMP/demo.wire" | head -n "$((total - wire_lines))")
	wire_lines=$total
}

field() {	# field NAME LINE
	local f
	for f in $2; do
		case $f in "$1="*) echo "${f#*=}"; return ;; esac
	done
}

# run TITLE HEX: one plain command through /dev/smchan.
run() {
	local title=$1 apdu=$2 out rc=0 line ins n fp cmd rsp note
	printf '%s\n' "${B}$title${N}"
	show "    app  > " "$apdu"
	out=$(smchanctl apdu demo "$apdu" 2>&1) || rc=$?
	new_wire
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		ins=$(field ins "$line")
		cmd=$(field cmd "$line")
		rsp=$(field rsp "$line")
		case $ins in
		84) printf '    %s\n' "${Y}(no session yet: the kernel runs GET CHALLENGE, then INITIALIZE SESSION)${N}" ;;
		8A) printf '    %s\n' "${Y}(mode ${cmd:4:2}, suite ${cmd:6:2}: fresh first keys sent encrypted under the master key; card: ${rsp: -4})${N}" ;;
		*)
			n=$(field n "$line")
			fp=$(field key-fp "$line")
			note=
			if [ -n "$fp" ] && [ -n "${seen_fp[$fp]:-}" ]; then
				note=" ${Y}= K_${seen_fp[$fp]}'s: weak${N}"
			fi
			[ -z "$fp" ] || seen_fp[$fp]=$n
			show "    wire > " "$cmd" "   ${C}key K_$n #${fp:-?}${N}$note"
			show "    wire < " "$rsp"
			;;
		esac
	done <<<"$wire"
	if [ $rc = 0 ]; then
		show "    app  < " "$(tr -d ' ' <<<"$out")"
		[ "${#out}" -le 6 ] || printf '           %s\n' "${D}\"$(hex2text "$(tr -d ' ' <<<"${out% *}")")\"${N}"
		count_ok=$((count_ok + 1))
	else
		printf '    %s\n' "app  < error: $out"
	fi
}

hex2text() {
	local h=$1 s='' i c
	for ((i = 0; i < ${#h}; i += 2)); do
		c=$((16#${h:i:2}))
		if ((c >= 32 && c < 127)); then s+=$(printf '%b' "\\x${h:i:2}"); else s+=.; fi
	done
	printf '%s' "$s"
}

text_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }

idx=0
for mode in ratchet xor list opkey; do
	off=$(printf '%02X' $((idx * 32)))
	case $mode in
	ratchet) about="the default: each key a one-way KDF of the two before it" ;;
	xor) about="the patent's embodiment 1, K(n+1) = K(n-1) XOR K(n): weak" ;;
	list) about="the patent's embodiment 2, keys drawn from a list: weak" ;;
	opkey) about="the patent's embodiment 3, XOR/AND with a key group: weak" ;;
	esac
	echo
	echo "${G}${B}== mode $mode ==${N} ${G}$about${N}"
	smchanctl channel set demo mode "$mode" 2>/dev/null
	seen_fp=()
	t1=$(printf "%-16.16s" "hi from $mode")
	t2="written $(date +%H:%M:%S)"
	run "SELECT FILE EF 0103 (readable under SM only)" 00A4000C020103
	run "WRITE BINARY at $off: \"$t1\"" "00D000${off}10$(text_hex "$t1")"
	run "READ BINARY 16 bytes at $off" "00B000${off}10"
	run "UPDATE BINARY at $(printf '%02X' $((idx * 32 + 16))): \"$t2\"" \
		"00D600$(printf '%02X' $((idx * 32 + 16)))10$(text_hex "$t2")"
	run "READ BINARY 32 bytes at $off" "00B000${off}20"
	run "SELECT FILE by path 3F00/5F00/5F02" 00A4080C045F005F02
	run "READ BINARY 4 bytes at 1000 (the file's byte i is i mod 251)" 00B0100004
	idx=$((idx + 1))
done

# -- what it shows -----------------------------------------------------
echo
echo "${B}Plaintext on the wire?${N}"
leaks=0
for mode in ratchet xor list opkey; do
	h=$(text_hex "$(printf "%-16.16s" "hi from $mode")")
	if grep -q "$h" "$R_TMP/demo.wire"; then
		echo "  \"hi from $mode\" crossed the reader in clear"
		leaks=$((leaks + 1))
	fi
done
[ $leaks = 0 ] && echo "  none of the written texts appears in the bytes that crossed the reader"

echo
echo "${B}The card image on disk, EF 0103 (read back from $(basename "$R_TMP")/demo.img):${N}"
/usr/bin/python3 - "$R_TMP/demo.img" <<'PY'
import struct, sys
img = open(sys.argv[1], 'rb').read()
assert img[:8] == b'SMCHANVC', 'not a card image'
p = 12
while p < len(img) - 4:
    fid, parent, typ, acc, size = struct.unpack('>HHBBI', img[p:p + 10])
    data = img[p + 10:p + 10 + size]
    p += 10 + size
    if fid == 0x0103:
        for off in range(0, 128, 32):
            row = data[off:off + 32]
            print('  %04X  %s  %s' % (off, row[:16].hex(' ').upper(),
                  ''.join(chr(b) if 32 <= b < 127 else '.' for b in row)))
PY
# -- closing act: an unmodified PC/SC program ---------------------------
# opensc-tool sends the same walk-through to the smchan reader
# (libifdsmchan.so): pcscd -> /dev/smchan -> the kernel -> the relay ->
# pcscd -> the physical reader. Skipped without the driver or OpenSC.
IFD=$top/userspace/build/ifd/libifdsmchan.so
act=skipped
if [ -z "$USB" ] && [ -f "$IFD" ] && command -v opensc-tool >/dev/null; then
	echo
	echo "${G}${B}== closing act: opensc-tool, unmodified, through the smchan reader ==${N}"
	step "reader.conf: FRIENDLYNAME \"smchan demo\", DEVICENAME smchan:demo, LIBPATH libifdsmchan.so"
	step "pcscd restarted: it reads reader.conf at its start"
	step "smchanctl channel set demo mode ratchet (back to the default)"
	smchanctl channel set demo mode ratchet >/dev/null
	printf 'FRIENDLYNAME "smchan demo"\nDEVICENAME   smchan:demo\nLIBPATH      %s\n' "$IFD" >"$R_TMP/smchan.conf"
	stop_pcscd
	PCSCD_EXTRA_CONF=$R_TMP/smchan.conf start_pcscd
	export HOME=$R_TMP OPENSC_CONF=/dev/null
	rdr() { opensc-tool -l 2>/dev/null | awk -v n="$1" '$1 ~ /^[0-9]+$/ && index($0, n) { print $1; exit }'; }
	has() { opensc-tool -l 2>/dev/null | grep -Eq "^[0-9]+ +Yes +.*$1"; }
	wait_for 30 has "smchan demo" && wait_for 30 has "$reader" || :
	step "opensc-tool --list-readers"
	opensc-tool -l 2>&1 | sed 's/^/    /'
	S=$(rdr "smchan demo")
	step "opensc-tool -r $S --atr: $(opensc-tool -r "$S" -a 2>&1) (the physical card's)"
	new_wire
	t1="hi from opensc  "
	cmds=(00A4000C020103 "00D0000010$(text_hex "$t1")" 00B0000010 00A4080C045F005F02 00B0100004)
	args=()
	for c in "${cmds[@]}"; do args+=(-s "$c"); done
	step "opensc-tool -r $S -c default$(printf ' -s %s' "${cmds[@]}")"
	out=$(opensc-tool -r "$S" -c default "${args[@]}" 2>&1) || :
	sed 's/^/    /' <<<"$out"
	new_wire
	echo "    ${B}what crossed the physical reader meanwhile${N} (the card's demo log):"
	prot=0 plain=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		cmd=$(field cmd "$line")
		if [ -n "$(field n "$line")" ]; then
			prot=$((prot + 1))
			show "    wire > " "$cmd" "   ${C}protected, key K_$(field n "$line")${N}"
		else
			case $(field ins "$line") in
			84 | 8A | C0) show "    wire > " "$cmd" "   ${Y}(session set-up)${N}" ;;
			*) plain=$((plain + 1)); show "    wire > " "$cmd" "   plain!" ;;
			esac
		fi
	done <<<"$wire"
	if [ "$(grep -c 'SW1=0x90, SW2=0x00' <<<"$out")" = ${#cmds[@]} ] && [ $plain = 0 ] &&
		[ $prot -ge ${#cmds[@]} ] && ! grep -q "$(text_hex "$t1")" <<<"$wire"; then
		act=ok
		echo "${G}opensc-tool's ${#cmds[@]} commands: answered 90 00; the card saw $prot protected commands and no plain one.${N}"
	else
		act=failed
		echo "closing act FAILED: $prot protected, $plain plain commands on the wire" >&2
	fi
fi

echo
smchanctl show demo | sed -n '/commands:/s/^ */  kernel counters: /p'
echo
if [ "$count_ok" = 28 ] && [ $leaks = 0 ] && [ "$act" != failed ]; then
	echo "${G}${B}demo complete${N}: 28 commands in 4 modes, a new session key for every one."
	[ "$act" != ok ] || echo "And opensc-tool, unmodified, got the same through the smchan PC/SC reader."
	echo "The kernel holds the keys; the relay and pcscd saw only protected bytes."
else
	echo "demo FAILED: $count_ok of 28 commands answered, $leaks leaks (logs: KEEP_LOGS=1)" >&2
	exit 1
fi
