/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VSCard front-end: serves the card to qemu's ccid-card-passthru
 * device (behind its emulated usb-ccid reader) over a unix socket on
 * which this program listens and qemu connects.  The protocol is
 * libcacard's <cacard/vscard_common.h>; qemu's reader speaks T=0 only, so
 * this front-end is also the card's T=0 transport layer (vscard.c says
 * which rules it follows).
 */
#ifndef SMCHAN_VCARD_VSCARD_H
#define SMCHAN_VCARD_VSCARD_H

#include <signal.h>
#include <stdio.h>

struct vcard;

/*
 * Listens on the unix socket path (mode 0600; a stale socket is replaced,
 * anything else there is refused) and serves one qemu at a time until
 * *stop is set or "quit" arrives on the control FIFO (NULL: none; created
 * with mode 0600 if missing), which also takes "remove" and "insert".
 * Returns 0 when stopped, -1 (with a message) if it could not start.
 */
int vscard_serve(struct vcard *c, const char *path, const char *control,
		 FILE *log, volatile sig_atomic_t *stop);

/* The ATR: T=0 only, card capabilities without extended Lc/Le. */
extern const unsigned char vscard_atr[];
extern const unsigned int vscard_atr_len;

#endif
