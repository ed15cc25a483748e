/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vpcd front-end: connects to vsmartcard's vpcd reader driver and
 * serves the card over its framing (2-byte big-endian length, then the
 * payload; 1-byte payloads are control messages: 00 power off, 01 power on,
 * 02 reset, 04 get ATR).
 */
#ifndef SMCHAN_VCARD_VPCD_H
#define SMCHAN_VCARD_VPCD_H

#include <signal.h>
#include <stdio.h>

struct vcard;

/* Serves c until *stop is set; reconnects whenever vpcd goes away.
 * Returns 0 when stopped. */
int vpcd_serve(struct vcard *c, const char *host, int port, FILE *log,
	       volatile sig_atomic_t *stop);

/* The ATR: T=1, IFSC 254, card capabilities with extended Lc/Le. */
extern const unsigned char vcard_atr[];
extern const unsigned int vcard_atr_len;

#endif
