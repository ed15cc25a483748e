#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Keys: never in anything the kernel sends; from the keyring.
#
#   smchan-nl --raw FILE (new, get, dump, events) <--genl-- smchan.ko
#   keyctl padd logon smchan:NAME @u --> kernel keyring --> CHANNEL_NEW KEYRING
#   smchan-dev --> smchan.ko --> smchan-loopback (card with the same key)
#
# 1. Channels with netlink keys (both suites) in every mode, a session on
#    each; the raw bytes of every reply, dump and event must not hold the
#    master key (searched as bytes), and no reply carries SMCHAN_A_MKEY.
# 2. A "logon" key as hex text with white space, and as 32 raw bytes: the
#    channel reports key=keyring and the description, and a session works.
# 3. A missing logon key: ENOKEY; a payload of the wrong size: EINVAL.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

RAW=$E2E_TMP/raw
: >"$RAW"

smchan-nl --raw "$RAW" events timeout 60000 ready-file "$E2E_TMP/listening" \
	>"$E2E_TMP/events" 2>&1 &
E2E_PIDS+=("$!")
wait_until 5 test -e "$E2E_TMP/listening"

keys=()
args=()
for mode in xor list opkey ratchet; do
	for len in 16 32; do
		ch=k-$mode-$len
		mkkey "$E2E_TMP/$ch" "$len"
		keys+=("$E2E_TMP/$ch")
		smchan-nl --raw "$RAW" new "$ch" mode "$mode" key-file "$E2E_TMP/$ch" >/dev/null
		E2E_CHANNELS+=("$ch")
		args+=("$ch=$E2E_TMP/$ch")
	done
done
start_loopback "$E2E_TMP/lb.log" "${args[@]}"
for a in "${args[@]}"; do
	ch=${a%%=*}
	dev open "attach:$ch" "xfer:$SELECT_0101" sw:9000 "xfer:$(read_apdu 0 256)" len:258
	smchan-nl --raw "$RAW" set "$ch" timeout 4000 >/dev/null
	smchan-nl --raw "$RAW" get "$ch" >/dev/null
done
smchan-nl --raw "$RAW" dump >"$E2E_TMP/dump"
grep -q MKEY-RETURNED "$E2E_TMP/dump" && fail "a dump carries SMCHAN_A_MKEY"
[ "$(grep -c '^channel k-' "$E2E_TMP/dump")" = 8 ] || fail "the dump misses channels"
for a in "${args[@]}"; do smchan-nl --raw "$RAW" del "${a%%=*}"; done
sleep 0.5
[ -s "$RAW" ] || fail "no raw messages recorded"
/usr/bin/python3 - "$RAW" "${keys[@]}" <<'PY' || fail "key material in netlink messages"
import sys
raw = open(sys.argv[1], 'rb').read()
bad = 0
for k in sys.argv[2:]:
    key = bytes.fromhex(open(k).read().strip())
    # The key, and each half of it (a 32-byte key holds two AES blocks).
    for part in (key, key[:16], key[16:] or None):
        if part and part in raw:
            print(f"key bytes of {k} found in the raw messages", file=sys.stderr)
            bad = 1
print(f"{len(raw)} bytes of netlink messages searched for {len(sys.argv) - 2} keys")
sys.exit(bad)
PY
stop_pid "$LOOPBACK_PID"

# --- the keyring --------------------------------------------------------------
command -v keyctl >/dev/null || fail "keyctl missing (Debian package keyutils)"
mkkey "$E2E_TMP/khex" 32
printf '  %s\n\n' "$(cat "$E2E_TMP/khex")" | keyctl padd logon smchan:e2e-hex @u >/dev/null
head -c 16 /dev/urandom >"$E2E_TMP/kbin"
od -An -v -tx1 "$E2E_TMP/kbin" | tr -d ' \n' >"$E2E_TMP/kbin.hex"
keyctl padd logon smchan:e2e-bin @u <"$E2E_TMP/kbin" >/dev/null
head -c 20 /dev/urandom | keyctl padd logon smchan:e2e-bad @u >/dev/null

new_channel k-ring-hex keyring smchan:e2e-hex
new_channel k-ring-bin keyring smchan:e2e-bin
expect_field k-ring-hex key keyring
expect_field k-ring-hex keyring smchan:e2e-hex
expect_field k-ring-hex suite aes256
expect_field k-ring-bin suite aes128
start_loopback "$E2E_TMP/ring.log" k-ring-hex="$E2E_TMP/khex" k-ring-bin="$E2E_TMP/kbin.hex"
dev open attach:k-ring-hex "xfer:$SELECT_0101" sw:9000
dev open attach:k-ring-bin "xfer:$SELECT_0101" sw:9000
# The format follows from the length, never from the content: 32 raw
# bytes that happen to be hex digits are an AES-256 key, not 16 hex-coded
# bytes (which 32 hex digits *with* a newline are).
printf '0123456789abcdef0123456789ABCDEF' | keyctl padd logon smchan:e2e-hexchars @u >/dev/null
printf '0123456789abcdef0123456789ABCDEF\n' | keyctl padd logon smchan:e2e-hexline @u >/dev/null
new_channel k-ring-chars keyring smchan:e2e-hexchars
new_channel k-ring-line keyring smchan:e2e-hexline
expect_field k-ring-chars suite aes256
expect_field k-ring-line suite aes128
smchan-nl --expect ENOKEY new k-ring-none keyring smchan:e2e-nosuch >/dev/null
smchan-nl --expect EINVAL new k-ring-bad keyring smchan:e2e-bad >/dev/null
smchan-nl --expect EINVAL new k-ring-both keyring smchan:e2e-hex key-file "$E2E_TMP/khex" >/dev/null
grep -q 'k-ring-none\|k-ring-bad\|k-ring-both' <<<"$(smchan-nl dump)" && fail "a refused channel exists"
keyctl purge logon >/dev/null 2>&1 || :
say ok
