#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink family's errors, and who may do what.
#
#   smchan-nl (root, or nobody via setpriv) --genl "smchan"--> smchan.ko
#   smchan-loopback --TRANSPORT_BIND/TRANSMIT_DONE--> smchan.ko
#
# EEXIST a second CHANNEL_NEW        ENOENT get/set/del/start/bind unknown
# ERANGE attribute values outside the policy's range (mode, suite, group)
# EINVAL a key that does not fit the suite; no channel name
# EPIPE  SESSION_START with no transport   ENOKEY ... with no key
# EKEYREJECTED the card has another master key (start, and a command)
# EBUSY  TRANSPORT_BIND of a channel another live socket has bound
# EPERM  TRANSMIT_DONE from a socket that is not the transport
# ENOTCONN TRANSPORT_UNBIND from a socket that is not the transport
# ESRCH  a request answered twice, or an unknown request id
# EPERM  every command but CHANNEL_GET without CAP_NET_ADMIN (as nobody);
#        get and dump work unprivileged; /dev/smchan is 0600 root

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

K=$E2E_TMP/key
K32=$E2E_TMP/key32
mkkey "$K"
mkkey "$K32" 32
nl() { smchan-nl "$@" >>"$E2E_TMP/nl.log" 2>&1 || { cat "$E2E_TMP/nl.log"; fail "smchan-nl $*"; }; }

# --- creation --------------------------------------------------------------
new_channel n-a key-file "$K"
nl --expect EEXIST new n-a key-file "$K"
nl --expect ENOENT get n-nosuch
nl --expect ENOENT del n-nosuch
nl --expect ENOENT set n-nosuch timeout 100
nl --expect ENOENT start n-nosuch
nl --expect ENOENT stop n-nosuch
nl --expect ENOENT bind n-nosuch
# CHANNEL_SET answers with the channel as it is now.
out=$(smchan-nl set n-a timeout 1234)
case $out in
*"channel n-a "*"timeout=1234"*) ;;
*) fail "CHANNEL_SET did not reply with the new settings: '$out'" ;;
esac
nl set n-a timeout 5000
# Names are what a shell passes and a terminal prints as they are.
for bad in 'n b' '-n' 'n%d' "$(printf 'n\033[1m')" "$(printf 'n\nx')"; do
	nl --expect EINVAL new "$bad" key-file "$K"
done
nl --expect ERANGE new n-b mode 9
nl --expect ERANGE new n-b mode 0
nl --expect ERANGE new n-b suite 3
nl --expect ERANGE new n-b mode list group 1
nl --expect ERANGE new n-b mode list group 33
nl --expect ERANGE new n-b auto 2
nl --expect EINVAL new n-b suite aes256 key-file "$K"
nl --expect EINVAL new n-b suite aes128 key-file "$K32"
nl --expect EINVAL new "" key-file "$K"
nl --expect ENOENT get n-b

# Defaults, and the suite implied by the key.
expect_field n-a mode ratchet
expect_field n-a suite aes128
expect_field n-a group 18
expect_field n-a rekey 4096
expect_field n-a timeout 5000
expect_field n-a auto 1
expect_field n-a state idle
expect_field n-a transport 0
new_channel n-c key-file "$K32" reader "Virtual PCD 00 00"
expect_field n-c suite aes256
grep -q 'reader=Virtual PCD 00 00' <<<"$(smchan-nl get n-c)" || fail "reader not reported"
new_channel n-nokey
expect_field n-nokey key none

# --- sessions ---------------------------------------------------------------
nl --expect EPIPE start n-a
start_loopback "$E2E_TMP/lb.log" n-nokey="$K" n-a="$K"
main_lb=$LOOPBACK_PID
nl --expect ENOKEY start n-nokey
smchan-dev open attach:n-nokey err:ENOKEY "xfer:$SELECT_0101" >>"$E2E_TMP/dev.log" ||
	fail "a command on a channel without a key"
nl start n-a
expect_field n-a state established
expect_field n-a transport 1
nl stop n-a
expect_field n-a state idle
# CHANNEL_SET ends the session.
nl start n-a
nl set n-a timeout 2000
expect_field n-a state idle
expect_field n-a timeout 2000

# A card with another master key refuses the session.
mkkey "$E2E_TMP/other"
new_channel n-wrong key-file "$K"
start_loopback "$E2E_TMP/wrong.log" n-wrong="$E2E_TMP/other"
nl --expect EKEYREJECTED start n-wrong
smchan-dev open attach:n-wrong err:EKEYREJECTED "xfer:$SELECT_0101" >>"$E2E_TMP/dev.log" ||
	fail "a command through a card with another key"
stop_pid "$LOOPBACK_PID"

# --- the relay --------------------------------------------------------------
nl --expect EBUSY bind n-a
nl --expect EPERM "done" n-a 1 9000
nl --expect EPERM "done" n-a 1 error:EIO
nl --expect ENOTCONN unbind n-a
stop_pid "$main_lb"
expect_field n-a transport 0
# A second answer to the same request, an unknown request id.
start_loopback "$E2E_TMP/twice.log" --answer-twice 1 --bogus-reply 2 n-a="$K"
nl start n-a
grep -q 'second answer: ESRCH' "$E2E_TMP/twice.log" ||
	{ cat "$E2E_TMP/twice.log"; fail "answering twice is not ESRCH"; }
grep -q 'bogus request id: ESRCH' "$E2E_TMP/twice.log" ||
	{ cat "$E2E_TMP/twice.log"; fail "an unknown request id is not ESRCH"; }
expect_field n-a state established
stop_pid "$LOOPBACK_PID"

# --- unprivileged ------------------------------------------------------------
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all "$@"
}
as_nobody smchan-nl --expect EPERM new n-x >>"$E2E_TMP/nl.log" || fail "nobody: new"
as_nobody smchan-nl --expect EPERM new n-x key-file - <"$K" >>"$E2E_TMP/nl.log" ||
	fail "nobody: new with a key"
as_nobody smchan-nl --expect EPERM set n-a timeout 1 >>"$E2E_TMP/nl.log" || fail "nobody: set"
as_nobody smchan-nl --expect EPERM del n-a >>"$E2E_TMP/nl.log" || fail "nobody: del"
as_nobody smchan-nl --expect EPERM start n-a >>"$E2E_TMP/nl.log" || fail "nobody: start"
as_nobody smchan-nl --expect EPERM stop n-a >>"$E2E_TMP/nl.log" || fail "nobody: stop"
as_nobody smchan-nl --expect EPERM bind n-a >>"$E2E_TMP/nl.log" || fail "nobody: bind"
as_nobody smchan-nl --expect EPERM unbind n-a >>"$E2E_TMP/nl.log" || fail "nobody: unbind"
as_nobody smchan-nl --expect EPERM card n-a 0 >>"$E2E_TMP/nl.log" || fail "nobody: card"
as_nobody smchan-nl --expect EPERM "done" n-a 1 9000 >>"$E2E_TMP/nl.log" || fail "nobody: done"
grep -q '^channel n-a ' <<<"$(as_nobody smchan-nl get n-a)" || fail "nobody cannot get"
grep -q '^channel n-a ' <<<"$(as_nobody smchan-nl dump)" || fail "nobody cannot dump"
smchan-nl get n-a >/dev/null
[ "$(stat -c %a /dev/smchan)" = 600 ] || fail "/dev/smchan is not 0600"
as_nobody smchan-dev err:EACCES open >>"$E2E_TMP/dev.log" || fail "nobody opened /dev/smchan"
say ok
