#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The smchan PC/SC reader (userspace/ifd, libifdsmchan.so) with Debian's
# unmodified PC/SC programs, inside UML (tests/ifd/run.sh boots it). One
# pcscd serves both the physical reader (vpcd slot 0, an smchan-vcard
# card) and the smchan reader of channel c0, whose relay uses that
# physical reader through the same pcscd:
#
#   opensc-tool / pcsc_scan / pyscard -> pcscd -> libifdsmchan -> /dev/smchan
#     -> smchan.ko -> smchanctl relay -> pcscd -> vpcd -> smchan-vcard
#
#   1. the reader in reader.conf is there from pcscd's start, empty until
#      the channel exists and its relay reports the card;
#   2. opensc-tool --list-readers and --atr: the ATR is the physical card's;
#      pcsc_scan shows the reader and the ATR;
#   3. opensc-tool -s: the walk-through of demo/walkthrough.sh (SELECT,
#      WRITE, READ, UPDATE, READ, SELECT by path, READ), answers and the
#      card image checked;
#   4. classes smchan cannot protect: 6E 00 at once;
#   5. pyscard writes and reads EF 5F02; the image holds what it wrote;
#   6. the card's log: every command since the first through the smchan
#      reader was protected (or GET CHALLENGE / INITIALIZE SESSION);
#   7. the physical reader refuses a direct connection while the relay
#      holds the card;
#   8. the card removed: the smchan reader shows it gone; back: it works;
#   9. the channel deleted and added again: no pcscd restart.
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
trap relay_finish EXIT
IFD=${SMCHAN_IFD:-$top/userspace/build/ifd/libifdsmchan.so}
PCSC=$top/tests/ifd/pcsc.py
[ -f "$IFD" ] || rfail "no $IFD: make -C userspace/ifd"
for p in opensc-tool pcsc_scan; do
	command -v "$p" >/dev/null || rfail "no $p: apt-get install opensc pcsc-tools"
done
/usr/bin/python3 -c 'import smartcard' 2>/dev/null || rfail "no pyscard: apt-get install python3-pyscard"
# OpenSC keeps a file cache and reads a configuration: ours alone.
export HOME=$R_TMP OPENSC_CONF=/dev/null
t_start=$SECONDS

# Seconds since the start, for the log.
step() { rsay "[$((SECONDS - t_start)) s] $*"; }

# state NAME: "present ATR" or "empty" of the reader whose name starts
# with NAME.
state() {
	/usr/bin/python3 "$PCSC" state 2>/dev/null | awk -F'\t' -v n="$1" \
		'index($1, n) == 1 { print $2 ($3 != "" ? " " $3 : ""); exit }'
}
is_state() { [ "$(state "$1")" = "$2" ]; }
# nr NAME: opensc-tool's number of the reader whose name starts with NAME.
nr() {
	opensc-tool -l 2>/dev/null | awk -v n="$1" \
		'$1 ~ /^[0-9]+$/ { s = $0; sub(/^[0-9]+ +(Yes|No) +/, "", s); if (index(s, n) == 1) { print $1; exit } }'
}
# ef FID: the card image's elementary file FID (4 hex digits), in hex.
ef() {
	/usr/bin/python3 - "$R_TMP/c0.img" "$1" <<'PY'
import struct, sys
img, fid = open(sys.argv[1], 'rb').read(), int(sys.argv[2], 16)
p = 12
while p < len(img) - 4:
    f, _, _, _, size = struct.unpack('>HHBBI', img[p:p + 10])
    if f == fid:
        print(img[p + 10:p + 10 + size].hex().upper())
    p += 10 + size
PY
}
text_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }
# sw OUTPUT: the status words opensc-tool -s printed, one per line ("9000").
sw() { sed -n 's/.*SW1=0x\(..\), SW2=0x\(..\).*/\1\2/p' <<<"$1" | tr a-f A-F; }

# One pcscd: the physical reader (vpcd) and the smchan reader of c0.
printf 'FRIENDLYNAME "smchan c0"\nDEVICENAME   smchan:c0\nLIBPATH      %s\n' "$IFD" >"$R_TMP/smchan.conf"
PCSCD_EXTRA_CONF=$R_TMP/smchan.conf start_pcscd
new_card c0 16
start_card c0 0 --demo-log "$R_TMP/c0.wire"
PHYS="Virtual PCD 00 00"
has_card() { [[ $(state "$1") == "present "* ]]; }
wait_for 10 has_card "$PHYS" || rfail "no card in $PHYS: $(state "$PHYS")"
ATR=$(state "$PHYS" | cut -d' ' -f2)

# 1. The reader, there before its channel.
step 1
if wait_for 10 is_state "smchan c0" empty; then
	SM=$(/usr/bin/python3 "$PCSC" state | awk -F'\t' 'index($1, "smchan c0") == 1 { print $1 }')
	ok "reader \`$SM' is there, empty without the channel"
else
	rfail "no empty smchan reader: $(/usr/bin/python3 "$PCSC" state | tr '\t\n' ' ;') $(tail -5 "$R_TMP/pcscd.log")"
fi
start_relay
add_channel c0 0
if wait_for 20 is_state "$SM" "present $ATR"; then
	ok "channel c0 added and relayed: the smchan reader shows a card with the physical card's ATR $ATR"
else
	bad "smchan reader: $(state "$SM"), physical: present $ATR"
fi

# 2. OpenSC and pcsc-tools see the same card.
step 2
list=$(opensc-tool -l 2>&1)
P=$(nr "$PHYS")
S=$(nr "$SM")
if [ -n "$P" ] && [ -n "$S" ] && grep -Eq "^$S +Yes +.*smchan c0" <<<"$list" &&
	grep -Eq "^$P +Yes +.*$PHYS" <<<"$list"; then
	ok "opensc-tool --list-readers: $PHYS (#$P) and $SM (#$S), both with a card"
else
	bad "opensc-tool --list-readers: $list"
fi
atr_p=$(opensc-tool -r "$P" -a 2>&1)
lines0=$(wc -l <"$R_TMP/c0.wire")
atr_s=$(opensc-tool -r "$S" -a 2>&1)
want=$(sed 's/../&:/g; s/:$//' <<<"$ATR" | tr A-F a-f)
if [ "$atr_s" = "$want" ] && [ "$atr_p" = "$want" ]; then
	ok "opensc-tool --atr: the smchan reader and the physical reader agree: $atr_s"
else
	bad "opensc-tool --atr: smchan $atr_s, physical $atr_p, want $want"
fi
scan=$(timeout 20 pcsc_scan -n -t 2 2>&1)
if grep -q "$SM" <<<"$scan" && grep -q "ATR: $(sed 's/../& /g; s/ $//' <<<"$ATR")" <<<"$scan"; then
	ok "pcsc_scan shows $SM and its ATR"
else
	bad "pcsc_scan: $(head -c 600 <<<"$scan")"
fi

# 3. The walk-through through the smchan reader.
step 3
t1="hi from opensc  "
t2="written $(date +%H:%M:%S)"
out=$(timeout 60 opensc-tool -r "$S" -c default \
	-s 00A4000C020103 \
	-s "00D0000010$(text_hex "$t1")" \
	-s 00B0000010 \
	-s "00D6001010$(text_hex "$t2")" \
	-s 00B0000020 \
	-s 00A4080C045F005F02 \
	-s 00B0100004 2>&1)
sws=$(sw "$out" | tr '\n' ' ')
f0103=$(ef 0103)
if [ "$sws" = "9000 9000 9000 9000 9000 9000 9000 " ] &&
	grep -q "$(sed 's/../& /g; s/ $//' <<<"$(text_hex "$t1")" | cut -c1-23)" <<<"$out" &&
	grep -q "^50 51 52 53 " <<<"$out" &&
	[ "${f0103:0:64}" = "$(text_hex "$t1$t2")" ]; then
	ok "opensc-tool -s: the walk-through (7 commands) answered 90 00, read back what it wrote; the image holds it"
else
	bad "the walk-through: SWs $sws; image ${f0103:0:64}; $(head -c 1500 <<<"$out")"
fi

# 4. Classes smchan cannot protect: a clear answer, at once.
step 4
t0=$SECONDS
out=$(timeout 20 opensc-tool -r "$S" -c default -s 0CB0000004 -s E0B0000004 -s FFCA000000 2>&1)
if [ "$(sw "$out" | tr '\n' ' ')" = "6E00 6E00 6E00 " ] && [ $((SECONDS - t0)) -lt 10 ]; then
	ok "CLA 0C, E0, FF (not plain): 6E 00 each, in $((SECONDS - t0)) s"
else
	bad "unprotectable classes: $(sw "$out" | tr '\n' ' ') after $((SECONDS - t0)) s: $(head -c 600 <<<"$out")"
fi

# 5. pyscard writes and reads a file.
step 5
if got=$(timeout 60 /usr/bin/python3 "$PCSC" rw "$SM" $RANDOM 2>&1); then
	off=${got%% *}
	data=${got#* }
	img=$(ef 5F02)
	if [ "${img:$((2 * off)):${#data}}" = "$data" ]; then
		ok "pyscard: UPDATE BINARY of $((${#data} / 2)) bytes at $off read back; the image holds them"
	else
		bad "pyscard: the image does not hold what it wrote at $off"
	fi
else
	bad "pyscard: $got"
fi

# 6. What the card saw since the first command through the smchan reader.
step 6
new=$(tail -n +"$((lines0 + 1))" "$R_TMP/c0.wire")
plain=$(grep ' mode=plain' <<<"$new" | grep -Ev ' ins=(84|8A|C0) ')
nprot=$(grep -c ' n=' <<<"$new")
if [ -z "$plain" ] && [ "$nprot" -ge 10 ]; then
	ok "the card's log: $nprot protected commands, no plain one but GET CHALLENGE / INITIALIZE SESSION / GET RESPONSE"
else
	bad "the card's log: $nprot protected; plain: $(head -5 <<<"$plain" | tr '\n' ';')"
fi

# 7. No way around: the relay holds the card.
step 7
lines=$(wc -l <"$R_TMP/c0.wire")
if out=$(timeout 20 opensc-tool -r "$P" -c default -s 00B0000010 2>&1); then
	bad "a plain command through the physical reader worked while the channel is bound: $out"
elif [ "$(wc -l <"$R_TMP/c0.wire")" != "$lines" ]; then
	bad "the physical reader's command reached the card"
else
	ok "the physical reader refuses a direct connection while the relay holds the card ($(grep -m1 -i 'fail\|error\|in use' <<<"$out"))"
fi

# 8. The card removed, seen through the smchan reader, and back.
step 8
remove_card c0
if wait_for 10 is_state "$SM" empty; then
	out=$(timeout 20 opensc-tool -r "$S" -c default -s 00A4000C020103 2>&1) &&
		bad "a command worked without the card: $out"
	ok "card removed: the smchan reader shows it gone; opensc-tool fails ($(grep -m1 -i 'not present\|fail\|error' <<<"$out"))"
else
	bad "card removed: the smchan reader says $(state "$SM")"
fi
start_card c0 0 --demo-log "$R_TMP/c0.wire"
if wait_for 20 is_state "$SM" "present $ATR" &&
	out=$(timeout 60 opensc-tool -r "$S" -c default -s 00A4000C020103 -s 00B0000010 2>&1) &&
	[ "$(sw "$out" | tr '\n' ' ')" = "9000 9000 " ] && grep -q "68 69 20 66" <<<"$out"; then
	ok "card back: present again with its ATR, a new session, the walk-through's text read back"
else
	bad "card back: $(state "$SM"); $(head -c 600 <<<"${out:-}")"
fi

# 9. The channel deleted and added again, pcscd untouched.
step 9
smchanctl channel del c0
if wait_for 10 is_state "$SM" empty; then
	add_channel c0 0
	if wait_for 20 is_state "$SM" "present $ATR" &&
		out=$(timeout 60 opensc-tool -r "$S" -c default -s 00A4000C020103 -s 00B0000004 2>&1) &&
		[ "$(sw "$out" | tr '\n' ' ')" = "9000 9000 " ]; then
		ok "channel deleted: reader empty; added again: it works, without a pcscd restart"
	else
		bad "channel added again: $(state "$SM"); $(head -c 600 <<<"${out:-}")"
	fi
else
	bad "channel deleted: the smchan reader says $(state "$SM")"
fi
if grep -q 'ifd-smchan: .*command failed' "$R_TMP/pcscd.log"; then
	rsay "pcscd log: $(grep 'ifd-smchan: ' "$R_TMP/pcscd.log" | sort | uniq -c | head -5 | tr '\n' ';')"
fi
rsay "took $((SECONDS - t_start)) s"
