#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/guide-commands.sh SECTION: the commands of one section of
# Documentation/admin-guide.rst ("Install", "DKMS"): the indented lines of
# its literal blocks (those after a paragraph that ends in "::", not an
# indented table cell), continuation lines joined, comments dropped. The
# tests that follow the guide (tests/packaging.sh on the host,
# tests/qemu/install.sh in a guest) run what this prints, so the guide
# cannot drift from the code.
exec awk -v want="${1:?usage: guide-commands.sh SECTION}" '
	$0 == want { getline; if ($0 ~ /^(=+|-+)$/) { on = 1; next } }
	on && /^(=+|-+)$/ { exit }
	on && /::$/ { lit = 1; next }
	on && /^[^ \t]/ { lit = 0 }
	on && lit && /^    [^ ]/ || on && lit && /^        / {
		line = substr($0, 5)
		sub(/[ \t]+#.*$/, "", line)
		if (line ~ /^[ \t]*(#.*)?$/) next
		cmd = cmd line
		if (cmd ~ /\\$/) { sub(/\\$/, "", cmd); next }
		print cmd; cmd = ""
	}' "$(dirname "$0")/../Documentation/admin-guide.rst"
