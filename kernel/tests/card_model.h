/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A card for the KUnit suites: the card side of PROTOCOL.md (classes,
 * framing, GET CHALLENGE, INITIALIZE SESSION, the SM checks, 61 xx
 * chaining, session end) over the engine's card role, with a pluggable
 * application standing in for the card's file system. The real reference
 * card, with its file system, is userspace/card/.
 */
#ifndef _SMCHAN_TESTS_CARD_MODEL_H
#define _SMCHAN_TESTS_CARD_MODEL_H

#include "../sm.h"

struct card_model;

/**
 * typedef card_exec_t - the card application: execute a plain command
 * @c: the card
 * @cmd: the command (under SM: after unprotection)
 * @r: response data, up to SMCHAN_RDATA_MAX bytes
 * @sw: the status word
 *
 * Return: the length of the response data.
 */
typedef size_t (*card_exec_t)(struct card_model *c,
			      const struct smchan_apdu *cmd, u8 *r, u16 *sw);

/**
 * struct card_model - one card
 * @sm: the card's session
 * @mkey: its master key
 * @mkey_len: 16 or 32
 * @rc: the last challenge
 * @rc_fresh: @rc may be used by the next command
 * @next_rc: if set, the RC the next GET CHALLENGE answers (for vectors)
 * @pend: a protected response being fetched with GET RESPONSE
 * @pend_len: its length
 * @pend_off: bytes of it already sent
 * @data: scratch for the decrypted command data
 * @r: scratch for the application's answer
 * @exec: the application
 * @priv: for the application
 */
struct card_model {
	struct smchan_sm *sm;
	u8 mkey[SMCHAN_KEY_MAX];
	size_t mkey_len;
	u8 rc[SMCHAN_CHALLENGE_LEN];
	bool rc_fresh;
	const u8 *next_rc;
	u8 *pend;
	size_t pend_len;
	size_t pend_off;
	u8 *data;
	u8 *r;
	card_exec_t exec;
	void *priv;
};

/* The largest answer card_model_process() gives. */
#define CARD_RSP_MAX	SMCHAN_PROT_RSP_MAX

int card_model_init(struct card_model *c, const u8 *mkey, size_t mkey_len,
		    card_exec_t exec, void *priv);
void card_model_free(struct card_model *c);
void card_model_reset(struct card_model *c);
size_t card_model_process(struct card_model *c, const u8 *apdu, size_t len,
			  u8 *rsp);
size_t card_exec_reference(struct card_model *c,
			   const struct smchan_apdu *cmd, u8 *r, u16 *sw);

#endif /* _SMCHAN_TESTS_CARD_MODEL_H */
