/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the front-ends (vpcd.c, vscard.c) share: one command through the
 * card library, with its line in the log and in the demonstration log.
 * The transport around it (framing, T=0 pieces) is the front-end's.
 */
#ifndef SMCHAN_VCARD_FRONTEND_H
#define SMCHAN_VCARD_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vcard;

/* --demo-log: for demonstrations only, NULL otherwise.  One line per
 * APDU with the bytes the card library saw and a fingerprint of the
 * session key. */
extern FILE *vcard_demo_log;

/*
 * vcard_process() and the log lines ("N ins=XX sw=XXXX mode=M [n=N]
 * [inner_sw=XXXX]", N counted in *count); returns the response length.
 */
size_t frontend_apdu(struct vcard *c, const uint8_t *cmd, size_t len,
		     uint8_t *rsp, FILE *log, uint64_t *count);

#endif
