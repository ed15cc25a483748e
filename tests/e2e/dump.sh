#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Dumps that need several messages, while channels are deleted.
#
#   dump-slow.py: part 1, then    --CHANNEL_GET dump--> smchan.ko
#   deletes every t-N, the rest   --CHANNEL_DEL------->
#   smchan-nl dump (again and again), while a loop deletes
#
# 40 channels that stay (k-N) and 40 that go (t-N), created alternately,
# so that every deletion falls before some k-N in the list. Every dump must
# list every k-N: a dump resumes after the last channel it gave, not at a
# count of channels that deletions have shifted, and the kernel flags a
# dump the list changed under (libsmchan then takes it again).

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

N=40
for i in $(seq "$N"); do
	new_channel "k-$i"
	new_channel "t-$i"
done
[ "$(smchan-nl dump | grep -c '^channel k-')" = "$N" ] || fail "a dump without deletions missed channels"

# Deterministic: every t-N goes between the first part and the rest.
/usr/bin/python3 "$(dirname "$0")/dump-slow.py" k- t- "$N" ||
	fail "a dump lost channels that stayed, or was not flagged interrupted"
for i in $(seq "$N"); do
	new_channel "t-$i"
done

(for i in $(seq "$N"); do smchan-nl del "t-$i" >/dev/null; done; touch "$E2E_TMP/deleted") &
E2E_PIDS+=("$!")
dumps=0
while [ ! -e "$E2E_TMP/deleted" ]; do
	out=$(smchan-nl dump) || fail "dump failed: $out"
	n=$(grep -c '^channel k-' <<<"$out" || :)
	[ "$n" = "$N" ] || fail "a dump during deletions listed $n of the $N channels that stayed"
	dumps=$((dumps + 1))
done
say "$dumps dumps during $N deletions, each with all $N channels that stayed"
[ "$dumps" -ge 3 ] || fail "only $dumps dumps ran during the deletions"
