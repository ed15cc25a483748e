#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# style.sh: the static checks.
#
#  1. style/w1-sparse: a clean build of the module against Debian's own
#     headers (the highest installed /usr/src/linux-headers-6.1.*-amd64)
#     with W=1 and C=2 (sparse on every file) in build/mod-debian/. Any
#     compiler, sparse or modpost warning fails it. Debian's kernel has no
#     KUnit, so this builds smchan.ko only.
#  2. style/checkpatch: scripts/checkpatch.pl --strict --no-tree from the
#     extracted kernel source on kernel/*.c kernel/*.h kernel/tests/*.c,
#     leaving out generated files (git-ignored, or a "do not edit" /
#     "generated" banner in the first lines). Any ERROR, WARNING or CHECK
#     fails the file; each file counts as one result.
#
# Appends "style/w1-sparse 1 0" (or "0 1") and "style/checkpatch P F".

set -euo pipefail
. "$(dirname "$0")/lib.sh"

rc=0

# --- W=1 + sparse on Debian's headers -------------------------------------
kdir=$(debian_kdir) || {
	say FAIL "style: no linux-headers-6.1.*-amd64 in /usr/src (make deps)"
	result style/w1-sparse 0 1
	exit 1
}
moddir=$BUILD/mod-debian
# gcc and sparse "file:line:col: warning: ...", modpost "WARNING: ...".
warn_re='(^|: )(warning|error):'
log=$CHECK/style-w1-sparse.log
# Warnings only show when a file is compiled: always build from scratch.
rm -rf "$moddir"
sync_module_tree "$moddir"
start=$SECONDS
if ! make -C "$kdir" M="$moddir" W=1 C=2 -j"$JOBS" modules >"$log" 2>&1; then
	say FAIL "style: W=1 C=2 build against ${kdir##*/} failed (${log#"$TOP"/})"
	tail -n 40 "$log" | sed 's/^/    /'
	result style/w1-sparse 0 1
	rc=1
elif grep -Eiq "$warn_re" "$log"; then
	say FAIL "style: warnings from W=1 / sparse against ${kdir##*/}:"
	grep -Ei -A3 "$warn_re" "$log" | head -n 60 | sed 's/^/    /'
	result style/w1-sparse 0 1
	rc=1
else
	say STYLE "W=1 + sparse against ${kdir##*/}: clean ($((SECONDS - start)) s)"
	result style/w1-sparse 1 0
fi

# --- checkpatch -------------------------------------------------------------
checkpatch=$(ksrc_dir)/scripts/checkpatch.pl
[ -r "$checkpatch" ] || "$UMLDIR/kernel.sh" src
generated() {
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 &&
		git -C "$TOP" check-ignore -q "$1"; then
		return 0
	fi
	head -n 8 "$1" | grep -Eiq \
		'do not edit|auto-?generated|automatically generated|generated (file|by|from)|@generated'
}
log=$CHECK/style-checkpatch.log
: >"$log"
ok=0 bad=0 skipped=()
cd "$TOP"
for f in kernel/*.c kernel/*.h kernel/tests/*.c; do
	[ -e "$f" ] || continue
	if generated "$f"; then
		skipped+=("$f")
		continue
	fi
	if perl "$checkpatch" --strict --no-tree --no-summary --show-types \
		--quiet -f "$f" >>"$log" 2>&1; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
	fi
done
result style/checkpatch "$ok" "$bad"
note=
[ ${#skipped[@]} -eq 0 ] || note=", skipped as generated: ${skipped[*]}"
if [ "$bad" -eq 0 ]; then
	say STYLE "checkpatch --strict: $ok files clean$note"
else
	say FAIL "checkpatch --strict: $bad of $((ok + bad)) files have problems$note"
	head -n 80 "$log" | sed 's/^/    /'
	rc=1
fi
exit "$rc"
