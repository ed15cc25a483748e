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
#include <time.h>

struct vcard;

/* --demo-log: for demonstrations only, NULL otherwise.  One line per
 * APDU with the bytes the card library saw and a fingerprint of the
 * session key. */
extern FILE *vcard_demo_log;

/* SMCHAN_VCARD_KEYLOG: a test facility (keylog.h), NULL otherwise. */
struct keylog;
extern struct keylog *vcard_keylog;

/*
 * vcard_process() and the log lines ("N ins=XX sw=XXXX mode=M [n=N]
 * [inner_sw=XXXX]", N counted in *count), and the key log's lines if there
 * is one; returns the response length.
 */
size_t frontend_apdu(struct vcard *c, const uint8_t *cmd, size_t len,
		     uint8_t *rsp, FILE *log, uint64_t *count);

/*
 * --latency: the timing of a real card, so that a benchmark sees what an
 * application would see with one.  Each exchange is answered no sooner
 * than the model says, counted from the moment the whole command was
 * received:
 *
 *   fixed_us                      for every command the card library runs
 *                                 (plain or protected alike);
 *   + the time a T=1 link of bps bit/s (1/etu) takes to carry the command
 *     and the answer: 12 etu per character (ISO/IEC 7816-3 11.2: CGT with
 *     N = 0, the ATR has no TC1), each block with its prologue and
 *     epilogue (NAD PCB LEN ... LRC: 4 characters) and at most 254 bytes
 *     (IFSC 254 of the ATR; IFSD 254 assumed), an R-block (4 characters)
 *     acknowledging every chained block, and a block guard time of 22 etu
 *     at every change of direction.
 *
 * bps 0: no transfer time.  The model "t1" is 1000 us and 445,000 bit/s.
 */
struct frontend_timing {
	uint32_t fixed_us;
	uint32_t bps;
};

/* All zeros (instant) unless main() set a model. */
extern struct frontend_timing vcard_timing;

/* "t1", "US" or "US,BPS" (US 0..10000000, BPS 0 or 1000..100000000);
 * 0, or -1 if it is none of them. */
int frontend_timing_parse(const char *model, struct frontend_timing *t);

/* Nanoseconds that t gives one exchange of cmd_len bytes in and rsp_len
 * out; ran: whether the card library ran the command (else the answer
 * came from the transport's memory: transfer time only). */
uint64_t frontend_timing_ns(const struct frontend_timing *t, size_t cmd_len,
			    size_t rsp_len, int ran);

/* Takes the time a command arrived (CLOCK_MONOTONIC). */
void frontend_arrived(struct timespec *at);

/* Waits until at + vcard_timing's time for the exchange (returns at once
 * when the model is instant; early on a signal: the card is stopping). */
void frontend_wait(const struct timespec *at, size_t cmd_len, size_t rsp_len,
		   int ran);

#endif
