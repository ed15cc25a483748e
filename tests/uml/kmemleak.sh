# SPDX-License-Identifier: GPL-2.0
#
# Sourced inside a debug UML guest by tests that end with a leak check
# (tests/load, tests/random, tests/faults); the caller defines ok and bad.
#
# kmemleak_check: after the module is gone, one check: kmemleak found
# nothing. It reports objects older than 5 s, and its first scan holds
# back objects whose checksum changed: wait, then scan twice. Returns 1
# without a check when the kernel has no kmemleak.
kmemleak_check() {
	local k=/sys/kernel/debug/kmemleak
	[ -w "$k" ] || return 1
	sleep 6
	echo scan >"$k"
	echo scan >"$k"
	if [ -s "$k" ]; then
		bad "kmemleak: $(grep -c '^unreferenced' "$k") objects ($(head -n 12 "$k" | tr '\n' ';'))"
	else
		ok "kmemleak: nothing leaked"
	fi
}
