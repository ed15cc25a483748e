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
#  1b. style/w1-sparse-uml: the same against the normal UML kernel (built
#     if needed), in build/mod-uml-style/, so that the KUnit code in
#     smchan_kunit.ko gets W=1 and sparse too.
#  1c. style/w1-sparse-6.12: the same against Debian 12's 6.12 headers
#     (linux-headers-6.12.*+deb12-amd64 from bookworm's security suite,
#     installed here if missing: it needs the matching kernel image), in
#     build/mod-debian-6.12/: the other kernel smchan targets.
#  2. style/checkpatch: scripts/checkpatch.pl --strict --no-tree from the
#     extracted kernel source on kernel/*.c kernel/*.h kernel/tests/*.c,
#     leaving out generated files (git-ignored, or a "do not edit" /
#     "generated" banner in the first lines). Any ERROR, WARNING or CHECK
#     fails the file; each file counts as one result.
#
# Appends "style/w1-sparse 1 0" (or "0 1"), the same for
# style/w1-sparse-uml, and "style/checkpatch P F".

set -euo pipefail
. "$(dirname "$0")/lib.sh"

rc=0

# gcc and sparse "file:line:col: warning: ...", modpost "WARNING: ...".
warn_re='(^|: )(warning|error):'

# w1_sparse NAME LABEL KDIR MODDIR [ARCH=um]: a clean W=1 C=2 build,
# one result.
w1_sparse() {
	local name=$1 label=$2 kdir=$3 moddir=$4 start=$SECONDS log
	shift 4
	log=$CHECK/style-${name#style/}.log
	# Warnings only show when a file is compiled: always from scratch.
	rm -rf "$moddir"
	sync_module_tree "$moddir"
	if ! make -C "$kdir" "$@" M="$moddir" W=1 C=2 -j"$JOBS" modules \
		>"$log" 2>&1; then
		say FAIL "W=1 C=2 build against $label failed (${log#"$TOP"/})"
		tail -n 40 "$log" | sed 's/^/    /'
	elif grep -Eiq "$warn_re" "$log"; then
		say FAIL "warnings from W=1 / sparse against $label:"
		grep -Ei -A3 "$warn_re" "$log" | head -n 60 | sed 's/^/    /'
	else
		say STYLE "W=1 + sparse against $label: clean ($((SECONDS - start)) s)"
		result "$name" 1 0
		return 0
	fi
	result "$name" 0 1
	return 1
}

# --- W=1 + sparse on Debian's headers: smchan.ko --------------------------
if kdir=$(debian_kdir); then
	w1_sparse style/w1-sparse "${kdir##*/}" "$kdir" "$BUILD/mod-debian" ||
		rc=1
else
	say FAIL "no linux-headers-6.1.*-amd64 in /usr/src (make deps)"
	result style/w1-sparse 0 1
	rc=1
fi

# --- W=1 + sparse on Debian's 6.12 headers: smchan.ko -----------------------
kdir612() {
	find /usr/src -maxdepth 1 -name 'linux-headers-6.12.*+deb12-amd64' |
		sort -V | tail -n 1
}
pkg612() {
	apt-cache search --names-only \
		'^linux-headers-6\.12\..*\+deb12-amd64$' 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -n 1
}
kdir=$(kdir612)
if [ -z "$kdir" ]; then
	pkg=$(pkg612)
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1 || :
		pkg=$(pkg612)
	fi
	if [ -n "$pkg" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "$pkg" \
			>"$CHECK/style-deps-6.12.log" 2>&1 || :
	fi
	kdir=$(kdir612)
fi
if [ -n "$kdir" ]; then
	w1_sparse style/w1-sparse-6.12 "${kdir##*/}" "$kdir" \
		"$BUILD/mod-debian-6.12" || rc=1
else
	say FAIL "no linux-headers-6.12.*+deb12-amd64 to be had (apt-cache search)"
	result style/w1-sparse-6.12 0 1
	rc=1
fi

# --- W=1 + sparse on the normal UML kernel: smchan.ko and the tests -------
if "$UMLDIR/kernel.sh" build normal; then
	w1_sparse style/w1-sparse-uml "the normal UML kernel" \
		"$(realpath "$BUILD/uml/normal")" \
		"$BUILD/mod-uml-style" ARCH=um || rc=1
else
	result style/w1-sparse-uml 0 1
	rc=1
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
