/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small terminal model for the tests: the terminal side of PROTOCOL.md
 * (INITIALIZE SESSION, protecting commands, checking protected responses),
 * written from the protocol text and checked by the vectors.  The real
 * terminal is the kernel module; this one only drives the card in tests.
 */
#ifndef SMCHAN_TESTS_TERMINAL_H
#define SMCHAN_TESTS_TERMINAL_H

#include <stddef.h>
#include <stdint.h>

#include "../card/sm.h"

struct term {
	struct vc_session s;	/* same key schedule as the card's */
	uint8_t mkey[VC_MAX_KEY];
	size_t klen;
	uint8_t rt[16], rc[16];
};

/* Intermediate values, for comparing with the vectors. */
struct term_trace {
	uint8_t enc_k[VC_MAX_KEY], mac_k[VC_MAX_KEY];
	uint8_t dprime[65536];
	size_t dprime_len;
	uint8_t iv[16];
	uint8_t mac_input[70000];
	size_t mac_input_len;
	uint8_t mac[8];
	/* initialisation */
	uint8_t key_block[1 + VC_MAX_GROUP * VC_MAX_KEY];
	size_t key_block_len;
	uint8_t ct[1100];
	size_t ct_len;
	uint8_t tt_input[1200];
	size_t tt_input_len;
	uint8_t tt[16];
};

/*
 * Builds INITIALIZE SESSION for mode/klen with the keys (N keys of klen
 * bytes), RT and the card's RC; installs the session in t (not yet
 * confirmed).  Returns the APDU length.
 */
size_t term_init(struct term *t, uint8_t mode, const uint8_t *mkey,
		 size_t klen, const uint8_t *rc, const uint8_t *rt,
		 const uint8_t *keys, unsigned int N, int extended_always,
		 uint8_t *apdu, struct term_trace *tr);
/* Checks CC || 9000; returns NULL or a reason (card-error, trailer,
 * format, cc). */
const char *term_check_cc(struct term *t, const uint8_t *rsp, size_t len);

/* Protects plain apdu as command n with selector sel (list/opkey) and
 * computes the candidate K_{n+1}.  Returns the length, 0 if refused. */
size_t term_protect(struct term *t, const uint8_t *plain, size_t len, int sel,
		    uint8_t *out, struct term_trace *tr);
/*
 * Checks a whole protected response (body || trailer); on success writes
 * R || SW to plain, advances the keys and returns NULL; otherwise returns
 * the reason: card-error, trailer, format, mac, padding.
 */
const char *term_unprotect(struct term *t, const uint8_t *rsp, size_t len,
			   uint8_t *plain, size_t *plain_len,
			   struct term_trace *tr);

#endif
