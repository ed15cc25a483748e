/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the session and negative suites share: a terminal (the engine) and a
 * card model joined by a transport that reassembles 61 xx chains, set up
 * from the vectors' [session] records and driven pair by pair.
 */
#ifndef _SMCHAN_TESTS_HARNESS_H
#define _SMCHAN_TESTS_HARNESS_H

#include <kunit/test.h>

#include "../sm.h"
#include "card_model.h"
#include "tv.h"

/**
 * struct harness - a terminal and a card, in test->priv
 * @test: the running test
 * @sm: the terminal's session
 * @card: the card
 * @ini: the terminal's initialisation
 * @crypto: transforms for the tests' own computations
 * @cmd: a protected command
 * @piece: the card's answer to one APDU
 * @rsp: a whole (reassembled) response
 * @out: the terminal's plain response
 * @expect: the pair whose plain command the card application expects, and
 *	whose plain response it answers; NULL: card_exec_reference()
 * @app: state of a test's own card application
 * @pieces: how many pieces the last transmit() took
 */
struct harness {
	struct kunit *test;
	struct smchan_sm *sm;
	struct card_model card;
	struct smchan_init ini;
	struct smchan_crypto crypto;
	u8 *cmd;
	u8 *piece;
	u8 *rsp;
	u8 *out;
	const struct smchan_tv_record *expect;
	void *app;
	unsigned int pieces;
};

int harness_init(struct kunit *test);
void harness_exit(struct kunit *test);

size_t harness_send(struct harness *h, const u8 *apdu, size_t len);
size_t harness_transmit(struct harness *h, const u8 *apdu, size_t len);
void harness_card_start(struct harness *h, const struct smchan_tv_record *s);
void harness_start(struct harness *h, const struct smchan_tv_record *s);
void harness_establish(struct harness *h, const u8 *mkey, unsigned int klen);
int harness_roundtrip(struct harness *h, const struct smchan_apdu *plain,
		      u8 selector);
void harness_card_pair(struct harness *h, const struct smchan_tv_record *p);
void harness_pair(struct harness *h, const struct smchan_tv_record *p);

bool harness_sm_wiped(const struct smchan_sm *sm);
void counter_block_for_test(u8 b[SMCHAN_BLOCK], u8 dir, u64 n);

#endif /* _SMCHAN_TESTS_HARNESS_H */
