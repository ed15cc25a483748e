# SPDX-License-Identifier: GPL-2.0
#
# tests/report.sh, sourced by the host-side wrappers of the suites that run
# in a guest (tests/relay/run.sh, tests/load/run.sh...):
#
#   report NAME TAG LOG RC
#
# shows LOG's "TAG: ok|FAIL|SKIP" lines as "  NAME: ...", reads its last
# "TAG: RESULT P F [S]" line, counts a non-zero RC (the guest's status)
# without a failure as one, appends "NAME P F S" to $SMCHAN_RESULTS when
# it is set, names LOG on a failure, and returns 0 only when nothing
# failed.
report() {
	local name=$1 tag=$2 log=$3 rc=$4 p f s
	grep -sE "^$tag: (ok|FAIL|SKIP)" "$log" | sed "s/^$tag: /  $name: /"
	read -r p f s < <(awk -v t="$tag: RESULT" 'index($0, t) == 1 { p = $3; f = $4; s = $5 }
		END { print p + 0, f + 0, s + 0 }' "$log" 2>/dev/null || echo 0 0 0)
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	[ "$p$f" != 00 ] || f=1
	[ -z "${SMCHAN_RESULTS:-}" ] || echo "$name $p $f $s" >>"$SMCHAN_RESULTS"
	[ "$f" = 0 ] || echo "  $name: log in $log"
	[ "$f" = 0 ]
}
