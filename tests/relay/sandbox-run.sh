#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sandbox of userspace/systemd/smchanctl-relay.service as a `make
# check` stage (results protocol: tests/README.md):
#
#   relay-sandbox/score  on the host: the unit as `make install` writes it
#       scores 2.0 or lower ("OK") on `systemd-analyze security
#       --offline=yes`, with no warning about the file; and it still has
#       the settings that smchan-syscall-filter emulates (else that
#       program must change with it). Skipped if there is no
#       systemd-analyze.
#   relay-sandbox        in UML: tests/relay/sandbox.sh, the relay under the
#       unit's seccomp filter, no_new_privs and capabilities.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
unit=${SANDBOX_UNIT:-$top/userspace/systemd/smchanctl-relay.service}
out=$top/build/check/relay-sandbox.log
MAX=2.0
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
result() { [ -z "${SMCHAN_RESULTS:-}" ] || echo "$*" >>"$SMCHAN_RESULTS"; }
say() { echo "  relay-sandbox: $*"; }

# The score. The unit as installed: @SBINDIR@ is replaced.
sp=0 sf=0 ss=0
if ! command -v systemd-analyze >/dev/null; then
	ss=1
	say "SKIPPED the score: no systemd-analyze (Debian package systemd)"
else
	tmp=$(mktemp -d)
	sed 's|@SBINDIR@|/usr/sbin|g' "$unit" >"$tmp/smchanctl-relay.service"
	systemd-analyze --no-pager security --offline=yes "$tmp/smchanctl-relay.service" \
		>"$tmp/out" 2>"$tmp/err"
	score=$(sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$tmp/out")
	if [ -z "$score" ]; then
		sf=$((sf + 1))
		say "FAIL: no score from systemd-analyze security:"
		sed 's/^/    /' "$tmp/err" "$tmp/out" | tail -20
	elif awk -v s="$score" -v m="$MAX" 'BEGIN { exit !(s <= m) }'; then
		sp=$((sp + 1))
		say "ok: systemd-analyze security: exposure $score (at most $MAX)"
	else
		sf=$((sf + 1))
		say "FAIL: systemd-analyze security: exposure $score, more than $MAX:"
		grep '✗' "$tmp/out" | sed 's/^/    /'
	fi
	if grep -q "$tmp" "$tmp/err"; then
		sf=$((sf + 1))
		say "FAIL: systemd-analyze warns about the unit:"
		sed 's/^/    /' "$tmp/err"
	else
		sp=$((sp + 1))
	fi
	rm -rf "$tmp"
fi
# What smchan-syscall-filter hard-codes must still be what the unit says.
missing=
for s in 'CapabilityBoundingSet=CAP_NET_ADMIN' 'NoNewPrivileges=yes' \
	'RestrictAddressFamilies=AF_NETLINK AF_UNIX' 'SystemCallErrorNumber=EPERM' \
	'SystemCallArchitectures=native' 'RestrictNamespaces=yes' 'MemoryDenyWriteExecute=yes' \
	'LockPersonality=yes' 'RestrictRealtime=yes' 'RestrictSUIDSGID=yes'; do
	grep -qxF "$s" "$unit" || missing="$missing '$s'"
done
if [ -n "$missing" ]; then
	sf=$((sf + 1))
	say "FAIL: the unit lost settings that userspace/tests/syscall-filter.c emulates:$missing"
else
	sp=$((sp + 1))
fi
result "relay-sandbox/score $sp $sf $ss"

# The relay in the sandbox, in UML.
if ! make -C "$top/userspace" -s --no-print-directory build/smchan-syscall-filter >"$out" 2>&1; then
	say "FAIL: building smchan-syscall-filter (libseccomp-dev?):"
	tail -n 20 "$out" | sed 's/^/    /'
	result "relay-sandbox 0 1"
	exit 1
fi
"$top/tests/uml-run" --strict --timeout 600 -- "$top/tests/relay/sandbox.sh" >>"$out" 2>&1
rc=$?
grep -E '^sandbox.sh: (ok|FAIL|SKIP)' "$out" | sed 's/^sandbox.sh: /  relay-sandbox: /'
read -r p f s < <(awk '/^sandbox.sh: RESULT /{p=$3; f=$4; s=$5} END{print p+0, f+0, s+0}' "$out")
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
result "relay-sandbox $p $f $s"
[ "$f" = 0 ] || say "log in $out"
[ "$f" = 0 ] && [ "$sf" = 0 ]
