#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/prepare.sh LINE: everything a qemu boot of Debian's kernel
# line LINE (6.1, 6.12) needs, built or reused:
#   build/qemu/<abi>/vmlinux         the ELF inside /boot/vmlinuz-<abi>
#   build/qemu/<abi>/initrd.cpio.gz  busybox-static, tests/qemu/init, the
#                                    9p + virtio modules of <abi>
#   build/mod-qemu-<abi>/kernel/smchan.ko  against <abi>'s headers, and
#                                    smchan_genl_probe.ko (tests/e2e)
# Each cached file is rebuilt when what it is made of is newer or its key
# (the sources' checksums) changed. Prints the ABI name.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

line=${1:?usage: prepare.sh 6.1|6.12}
abi=$(qemu_abi "$line") || die "no linux-headers for $line (tests/qemu/deps.sh $line)"
img=$BUILD/qemu/$abi
mkdir -p "$img"

# vmlinux
if [ ! -s "$img/vmlinux" ] || [ "/boot/vmlinuz-$abi" -nt "$img/vmlinux" ]; then
	"$PYTHON" "$QEMUDIR/extract-vmlinux.py" "/boot/vmlinuz-$abi" "$img/vmlinux" ||
		die "cannot extract vmlinux from /boot/vmlinuz-$abi"
fi

# initramfs, keyed by its inputs.
key=$({
	cat "$QEMUDIR/init" "$QEMUDIR/modprobe-host" "$0"
	dpkg-query -W -f='${Version}\n' busybox-static
	ls -l --time-style=+%s "/lib/modules/$abi/modules.dep"
} | sha256sum | cut -c1-16)
if [ ! -s "$img/initrd.cpio.gz" ] || [ "$(cat "$img/initrd.key" 2>/dev/null)" != "$key" ]; then
	root=$(mktemp -d "$img/root.XXXXXX")
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,host,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	cp "$QEMUDIR/init" "$root/init"
	cp "$QEMUDIR/modprobe-host" "$root/sbin/modprobe-host"
	: >"$root/modules.list"
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -S "$abi" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		n=${ko##*/}
		case $n in
		*.xz) xz -dc "$ko" >"$root/lib/modules/${n%.xz}" ;;
		*.zst) zstd -qdc "$ko" >"$root/lib/modules/${n%.zst}" ;;
		*) cp "$ko" "$root/lib/modules/$n" ;;
		esac
		n=${n%.xz}
		echo "/lib/modules/${n%.zst}" >>"$root/modules.list"
	done
	[ -s "$root/modules.list" ] || die "no 9p modules for $abi"
	(cd "$root" && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$img/initrd.tmp"
	mv "$img/initrd.tmp" "$img/initrd.cpio.gz"
	echo "$key" >"$img/initrd.key"
	rm -rf "$root"
fi

# The module, against this kernel's own headers, in its own copy of the
# tree (module.sh does the same for UML).
moddir=$BUILD/mod-qemu-$abi
kdir=/usr/src/linux-headers-$abi
sync_module_tree "$moddir"
run_logged "$CHECK/module-qemu-$abi.log" make -C "$kdir" M="$moddir" -j"$JOBS" modules >&2 ||
	die "smchan.ko did not build against $kdir ($CHECK/module-qemu-$abi.log)"
# tests/e2e/genl-stall.sh wants smchan_genl_probe.ko next to smchan.ko;
# kernel/Kbuild builds it only with KUnit, which Debian's kernels lack.
gp=$moddir/genl-probe
mkdir -p "$gp"
cmp -s "$TOP/kernel/tests/genl_probe.c" "$gp/genl_probe.c" ||
	cp "$TOP/kernel/tests/genl_probe.c" "$gp/genl_probe.c"
printf 'obj-m := smchan_genl_probe.o\nsmchan_genl_probe-y := genl_probe.o\n' >"$gp/Kbuild"
run_logged "$CHECK/module-qemu-$abi-genl.log" make -C "$kdir" M="$gp" -j"$JOBS" modules >&2 ||
	die "smchan_genl_probe.ko did not build ($CHECK/module-qemu-$abi-genl.log)"
cp "$gp/smchan_genl_probe.ko" "$moddir/kernel/smchan_genl_probe.ko"
echo "$abi"
