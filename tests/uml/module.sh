#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# module.sh [KDIR]: build smchan.ko (and smchan_kunit.ko where KDIR's
# kernel has KUnit) against KDIR, default the normal UML kernel (built
# first if needed). The sources are copied to a directory per kernel,
# because one module directory holds the objects of one kernel only:
#   build/uml/normal -> build/mod-uml/       build/uml/debug -> build/mod-uml-debug/
#   Debian's headers -> build/mod-debian/    any other KDIR  -> build/mod-kdir-HASH/
# SMCHAN_KVER=6.12: the default is the normal UML kernel of that line,
#   build/uml/normal-6.12 -> build/mod-uml-6.12/ (debug-6.12 -> mod-uml-6.12-debug/)

set -euo pipefail
. "$(dirname "$0")/lib.sh"

normal=$BUILD/uml/$(uml_link normal) debug=$BUILD/uml/$(uml_link debug)
kdir=${1:-$normal}
case $kdir in
"$normal") "$UMLDIR/kernel.sh" build normal ;;
"$debug") "$UMLDIR/kernel.sh" build debug ;;
esac
[ -e "$kdir/Makefile" ] || die "KDIR=$kdir has no Makefile"
real=$(realpath "$kdir")
if [ "$real" = "$(realpath -m "$normal")" ]; then
	moddir=$BUILD/mod-uml$KVER_SUFFIX
elif [ "$real" = "$(realpath -m "$debug")" ]; then
	moddir=$BUILD/mod-uml$KVER_SUFFIX-debug
elif [ "$real" = "$(debian_kdir 2>/dev/null || :)" ]; then
	moddir=$BUILD/mod-debian
else
	moddir=$BUILD/mod-kdir-$(echo "$real" | sha256sum | cut -c1-8)
fi

sync_module_tree "$moddir"
log=$CHECK/module-${moddir##*/mod-}.log
# shellcheck disable=SC2046 # ARCH=um or nothing
run_logged "$log" make -C "$kdir" $(kbuild_arch "$kdir") M="$moddir" \
	-j"$JOBS" modules || die "module build failed (${log#"$TOP"/})"
for ko in "$moddir"/kernel/*.ko; do
	say MODULE "${ko#"$TOP"/}"
done
