# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by guest-side tests that install things (tests/qemu/install.sh,
# tests/qemu/dkms-load.sh): a writable copy of the host's root for a
# qemu guest, as root. overlay_up mounts an overlay (the read-only 9p root
# below, tmpfs above) on $OV_ROOT with its own proc, sys, dev, tmp and
# run, so make install, depmod, DKMS and modprobe write where they would on
# a real machine and nothing reaches the host; in_root CMD runs CMD there
# (bash -c, in $OV_CWD); overlay_down undoes it all.

# devtmpfs has no /dev/fd; bash's <(...) needs it.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd 2>/dev/null || :
OV=
OV_ROOT=
OV_CWD=/

overlay_up() {
	OV=$(mktemp -d /tmp/smchan-overlay.XXXXXX)
	OV_ROOT=$OV/root
	mkdir -p "$OV/up" "$OV/work" "$OV_ROOT"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$OV/up,workdir=$OV/work" "$OV_ROOT" ||
		return 1
	mount -t proc proc "$OV_ROOT/proc" &&
		mount --rbind /sys "$OV_ROOT/sys" &&
		mount --rbind /dev "$OV_ROOT/dev" &&
		mount -t tmpfs tmpfs "$OV_ROOT/tmp" &&
		mount -t tmpfs tmpfs "$OV_ROOT/run"
}

in_root() {
	chroot "$OV_ROOT" /bin/bash -c "cd $OV_CWD && $1"
}

overlay_down() {
	[ -n "$OV" ] || return 0
	chroot "$OV_ROOT" rmmod smchan 2>/dev/null
	umount -R "$OV_ROOT" 2>/dev/null || umount -l "$OV_ROOT" 2>/dev/null
	rm -rf "$OV"
	OV=
}
