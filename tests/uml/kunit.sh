#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh FLAVOUR: run the smchan KUnit suites on the UML kernel FLAVOUR
# (normal, debug). SMCHAN_KVER=6.12: on the kernel built from
# linux-source-6.12 (stage kunit-FLAVOUR-6.12, modules in
# build/mod-uml-6.12[-debug]/, logs in build/check/kunit-FLAVOUR-6.12/).
#
#  1. build or reuse the kernel (kernel.sh build FLAVOUR);
#  2. copy the module sources to build/mod-uml[-debug]/ and build
#     smchan.ko and smchan_kunit.ko there;
#  3. boot (boot.sh) with kunit-job as the job: insmod smchan, then
#     smchan_kunit (its suites run at load), rmmod both, and on the debug
#     kernel a kmemleak scan;
#  4. cut the KTAP out of the console log, run `kunit.py parse` on it,
#     scan the whole log for kernel problems (scan-log.py).
#
# Appends "kunit-FLAVOUR PASSED FAILED SKIPPED" (the test cases) and
# "kunit-FLAVOUR/boot 1 0" or "... 0 1" (boot, insmod/rmmod, exit code,
# log scan) to the results file. Exits 1 if anything failed.
#
# Environment: SUITE=glob keeps only matching suites in the parsed KTAP
# (all suites still run); SMCHAN_MODS overrides the modules to load;
# SMCHAN_KMEMLEAK=0/1 overrides the leak scan (default: debug only);
# SMCHAN_TIMEOUT, SMCHAN_MEM go to boot.sh.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: [SMCHAN_KVER=6.1|6.12] kunit.sh normal|debug}
stage=kunit-$flavour$KVER_SUFFIX
case $flavour in
normal) moddir=$BUILD/mod-uml$KVER_SUFFIX kmemleak=${SMCHAN_KMEMLEAK:-0} ;;
debug)
	moddir=$BUILD/mod-uml$KVER_SUFFIX-debug kmemleak=${SMCHAN_KMEMLEAK:-1}
	# boot.sh gives the debug limits by name, and this one is debug-6.12.
	export SMCHAN_TIMEOUT=${SMCHAN_TIMEOUT:-900} SMCHAN_MEM=${SMCHAN_MEM:-1G}
	;;
*) die "unknown flavour '$flavour'" ;;
esac
mods=${SMCHAN_MODS:-smchan,smchan_kunit}
out=$CHECK/$stage

fail_stage() {
	echo "  FAIL     $stage: $*"
	result "$stage" 0 1
	exit 1
}

"$UMLDIR/kernel.sh" build "$flavour" || fail_stage "no UML kernel"
kdir=$BUILD/uml/$(uml_link "$flavour")

start=$SECONDS
sync_module_tree "$moddir"
mlog=module-uml-$flavour$KVER_SUFFIX.log
run_logged "$CHECK/$mlog" \
	make -C "$kdir" ARCH=um M="$moddir" -j"$JOBS" modules ||
	fail_stage "module build failed (build/check/$mlog)"
for m in $(echo "$mods" | tr , ' '); do
	[ -e "$moddir/kernel/$m.ko" ] || fail_stage "kernel/$m.ko was not built"
done

rm -rf "$out"
mkdir -p "$out"
rc=0
"$UMLDIR/boot.sh" "$(uml_link "$flavour")" "$out/console.log" "$UMLDIR/kunit-job" \
	SMCHAN_MODDIR="$moddir/kernel" SMCHAN_MODS="$mods" \
	SMCHAN_OUT="$out" SMCHAN_KMEMLEAK="$kmemleak" || rc=$?

# The KTAP: our header, then each module's indented suites. On 6.12
# a module with suites prints a top-level header and plan of its own
# ("KTAP version 1", "1..N"): keep our header only.
sed -n '/smchan-kunit: begin/,/smchan-kunit: end/p' "$out/console.log" |
	awk '/^KTAP version 1$/ && seen++ { next }
		/^1\.\.[0-9]+$/ { next }
		{ print }' >"$out/kunit.ktap"
if [ -n "${SUITE:-}" ]; then
	"$PYTHON" "$UMLDIR/ktap-filter.py" "$SUITE" <"$out/kunit.ktap" \
		>"$out/kunit-filtered.ktap"
	ktap=$out/kunit-filtered.ktap
else
	ktap=$out/kunit.ktap
fi
parse_rc=0
"$PYTHON" "$(ksrc_dir)/tools/testing/kunit/kunit.py" parse "$ktap" \
	>"$out/parsed.txt" 2>&1 || parse_rc=$?

# "Ran 20 tests: passed: 19, failed: 1" (kunit_parser.TestCounts).
count() {
	sed -n 's/.*Ran [0-9]* tests:.*[ :]'"$1"': \([0-9]*\).*/\1/p' \
		"$out/parsed.txt" | tail -n 1
}
passed=$(count passed) failed=$(count failed)
crashed=$(count crashed) skipped=$(count skipped) errors=$(count errors)
passed=${passed:-0} skipped=${skipped:-0}
failed=$((${failed:-0} + ${crashed:-0}))
# Parse errors (no KTAP, missing results after a crash) count once.
if [ "$failed" -eq 0 ] && { [ "${errors:-0}" -gt 0 ] || [ "$parse_rc" -ne 0 ]; }; then
	failed=1
fi
result "$stage" "$passed" "$failed" "$skipped"

problems=()
case $rc in
0) ;;
2) problems+=("insmod failed (UML exit 2)") ;;
3) problems+=("rmmod failed (UML exit 3)") ;;
124) problems+=("timeout (UML exit 124)") ;;
134) problems+=("kernel panic (UML exit 134)") ;;
*) problems+=("UML exit code $rc") ;;
esac
if ! "$PYTHON" "$UMLDIR/scan-log.py" "$out/console.log" >"$out/problems.txt"; then
	problems+=("kernel problems in the log (${out#"$TOP"/}/problems.txt)")
fi
if [ $((passed + failed + skipped)) -eq 0 ]; then
	problems+=("no KUnit test ran")
fi
if [ ${#problems[@]} -eq 0 ]; then
	result "$stage/boot" 1 0
else
	result "$stage/boot" 0 1
fi

summary="$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -eq 0 ] && [ ${#problems[@]} -eq 0 ]; then
	say KUNIT "$flavour$KVER_SUFFIX: $summary ($((SECONDS - start)) s)"
	exit 0
fi

say FAIL "$stage: $summary"
grep -v '^\s*$' "$out/parsed.txt" | grep -vF '[PASSED]' | tail -n 60 | sed 's/^/    /'
for p in "${problems[@]}"; do
	say FAIL "$stage: $p"
done
grep -v '^scan-log: ignored' "$out/problems.txt" | head -n 20 | sed 's/^/    /' || :
echo "    ---- last 30 lines of ${out#"$TOP"/}/console.log ----"
tail -n 30 "$out/console.log" | sed 's/^/    /'
exit 1
