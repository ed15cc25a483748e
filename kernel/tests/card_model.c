// SPDX-License-Identifier: GPL-2.0
/*
 * The KUnit card model: the card side of PROTOCOL.md over the engine's card
 * role. See card_model.h.
 */

#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "card_model.h"

/* Bytes of a chained response sent per piece (section 5). */
#define PIECE	256

static size_t put_sw(u8 *rsp, u16 sw)
{
	put_unaligned_be16(sw, rsp);
	return 2;
}

/* Exactly 00 C0 00 00 Le, case 2 short (section 5). */
static bool is_get_response(const u8 *apdu, size_t len)
{
	return len == 5 && apdu[0] == 0x00 && apdu[1] == 0xc0 &&
	       apdu[2] == 0x00 && apdu[3] == 0x00;
}

static void drop_pending(struct card_model *c)
{
	if (c->pend_len)
		memzero_explicit(c->pend, c->pend_len);
	c->pend_len = 0;
	c->pend_off = 0;
}

/* Send the next piece of @c->pend: at most Ne bytes, then 61 xx or 90 00. */
static size_t serve_piece(struct card_model *c, u32 ne, u8 *rsp)
{
	size_t left = c->pend_len - c->pend_off, n = min_t(size_t, ne, left);

	memcpy(rsp, c->pend + c->pend_off, n);
	c->pend_off += n;
	left -= n;
	if (!left) {
		drop_pending(c);
		return n + put_sw(rsp + n, SMCHAN_SW_OK);
	}
	rsp[n] = 0x61;
	rsp[n + 1] = left >= 256 ? 0 : left;
	return n + 2;
}

/**
 * card_exec_reference() - the answers of the reference file system that
 * the vectors' plain commands rely on
 * @c: the card
 * @cmd: the command
 * @r: unused: no answer carries data
 * @sw: the status word
 *
 * The proprietary class, command chaining and logical channels are refused
 * as the reference card does (6D 00, 68 84, 68 81); SELECT by FID without
 * FCP (P1 00, P2 0C) finds the files of the default image (none for
 * SELECT with no data: the MF); any other instruction is not supported
 * (6D 00).
 *
 * Return: 0.
 */
size_t card_exec_reference(struct card_model *c,
			   const struct smchan_apdu *cmd, u8 *r, u16 *sw)
{
	static const u16 fids[] = { 0x3f00, 0x0001, 0x0101, 0x0102, 0x0103,
				    0x5f00 };
	unsigned int i;

	if (smchan_cla_proprietary(cmd->cla)) {
		*sw = SMCHAN_SW_INS_UNSUPPORTED;
	} else if (cmd->cla & 0x10) {
		*sw = 0x6884;
	} else if (cmd->cla & 0x03) {
		*sw = 0x6881;
	} else if (cmd->ins == 0xa4 && !cmd->p1 && cmd->p2 == 0x0c) {
		*sw = cmd->nc ? 0x6a82 : SMCHAN_SW_OK;
		for (i = 0; cmd->nc == 2 && i < ARRAY_SIZE(fids); i++)
			if (get_unaligned_be16(cmd->data) == fids[i])
				*sw = SMCHAN_SW_OK;
	} else {
		*sw = SMCHAN_SW_INS_UNSUPPORTED;
	}
	return 0;
}

static size_t get_challenge(struct card_model *c,
			    const struct smchan_apdu *cmd, u8 *rsp)
{
	if (cmd->p1 || cmd->p2)
		return put_sw(rsp, SMCHAN_SW_WRONG_P1P2);
	if (cmd->nc || cmd->ne != SMCHAN_CHALLENGE_LEN)
		return put_sw(rsp, SMCHAN_SW_WRONG_LENGTH);
	if (c->next_rc) {
		memcpy(c->rc, c->next_rc, SMCHAN_CHALLENGE_LEN);
		c->next_rc = NULL;
	} else {
		get_random_bytes(c->rc, SMCHAN_CHALLENGE_LEN);
	}
	c->rc_fresh = true;
	memcpy(rsp, c->rc, SMCHAN_CHALLENGE_LEN);
	return SMCHAN_CHALLENGE_LEN +
	       put_sw(rsp + SMCHAN_CHALLENGE_LEN, SMCHAN_SW_OK);
}

static size_t init_session(struct card_model *c,
			   const struct smchan_apdu *cmd, bool rc_fresh,
			   u8 *rsp)
{
	int sw;

	sw = smchan_card_init_session(c->sm, c->mkey, c->mkey_len,
				      rc_fresh ? c->rc : NULL, cmd, rsp);
	memzero_explicit(c->rc, sizeof(c->rc));
	if (sw < 0)
		return put_sw(rsp, 0x6f00);
	if (sw != SMCHAN_SW_OK)
		return put_sw(rsp, sw);
	return SMCHAN_BLOCK + put_sw(rsp + SMCHAN_BLOCK, SMCHAN_SW_OK);
}

static size_t sm_command(struct card_model *c, const struct smchan_apdu *cmd,
			 u8 *rsp)
{
	struct smchan_apdu plain;
	size_t rlen;
	int ret;
	u16 sw;

	ret = smchan_sm_unprotect_command(c->sm, cmd, &plain, c->data,
					  SMCHAN_APDU_MAX);
	if (ret < 0)
		return put_sw(rsp, 0x6f00);
	if (ret != SMCHAN_SW_OK)
		return put_sw(rsp, ret);

	rlen = c->exec(c, &plain, c->r, &sw);
	ret = smchan_sm_protect_response(c->sm, c->r, rlen, sw, plain.ne,
					 c->pend, CARD_RSP_MAX);
	memzero_explicit(c->r, rlen);
	if (ret < 0)
		return put_sw(rsp, 0x6f00);

	/* The body is sent in pieces; the trailer 90 00 ends the last one. */
	c->pend_len = ret - 2;
	c->pend_off = 0;
	/* A short command gets a long response in pieces (section 5). */
	return serve_piece(c, cmd->extended ? CARD_RSP_MAX : PIECE, rsp);
}

/**
 * card_model_process() - the card's answer to one APDU
 * @c: the card
 * @apdu: the command as received
 * @len: its length
 * @rsp: the answer (CARD_RSP_MAX bytes)
 *
 * Return: the length of the answer.
 */
size_t card_model_process(struct card_model *c, const u8 *apdu, size_t len,
			  u8 *rsp)
{
	bool rc_fresh = c->rc_fresh, fetching = c->pend_len;
	enum smchan_cla_class cls;
	struct smchan_apdu cmd;
	u16 sw;

	/* RC is valid for the next command only, whatever it is. */
	c->rc_fresh = false;
	if (fetching && is_get_response(apdu, len))
		return serve_piece(c, apdu[4] ? apdu[4] : 256, rsp);
	drop_pending(c);

	cls = len ? smchan_cla_class(apdu[0]) : SMCHAN_CLA_PLAIN;
	if (cls == SMCHAN_CLA_UNSUPPORTED) {
		smchan_sm_end(c->sm, SMCHAN_END_VERIFY);
		return put_sw(rsp, SMCHAN_SW_CLA_UNSUPPORTED);
	}
	if (smchan_apdu_parse(&cmd, apdu, len)) {
		smchan_sm_end(c->sm, SMCHAN_END_VERIFY);
		return put_sw(rsp, cls == SMCHAN_CLA_PLAIN ?
			      SMCHAN_SW_WRONG_LENGTH : SMCHAN_SW_SM_INCORRECT);
	}
	if (cls == SMCHAN_CLA_PROTECTED)
		return sm_command(c, &cmd, rsp);

	/* An unprotected command ends the session, then is executed. */
	smchan_sm_end(c->sm, SMCHAN_END_LOCAL);
	if (cmd.cla == 0x00 && cmd.ins == 0x84)
		return get_challenge(c, &cmd, rsp);
	if (cmd.ins == 0x8a) {
		if (cmd.cla == 0x80)
			return init_session(c, &cmd, rc_fresh, rsp);
		return put_sw(rsp, SMCHAN_SW_INS_UNSUPPORTED);
	}
	if (is_get_response(apdu, len))
		return put_sw(rsp, SMCHAN_SW_NO_CHALLENGE);

	len = c->exec(c, &cmd, rsp, &sw);
	return len + put_sw(rsp + len, sw);
}

/**
 * card_model_reset() - power the card off and on: no session, no RC
 * @c: the card
 */
void card_model_reset(struct card_model *c)
{
	drop_pending(c);
	c->rc_fresh = false;
	memzero_explicit(c->rc, sizeof(c->rc));
	smchan_sm_end(c->sm, SMCHAN_END_LOCAL);
}

/**
 * card_model_init() - a card with @mkey, just reset
 * @c: zeroed
 * @mkey: the master key
 * @mkey_len: 16 or 32
 * @exec: the application
 * @priv: for @exec
 *
 * Return: 0 or -errno; on error card_model_free() is still safe.
 */
int card_model_init(struct card_model *c, const u8 *mkey, size_t mkey_len,
		    card_exec_t exec, void *priv)
{
	struct smchan_sm *sm;

	memcpy(c->mkey, mkey, mkey_len);
	c->mkey_len = mkey_len;
	c->exec = exec;
	c->priv = priv;
	c->pend = kzalloc(CARD_RSP_MAX, GFP_KERNEL);
	c->data = kzalloc(SMCHAN_APDU_MAX, GFP_KERNEL);
	c->r = kzalloc(SMCHAN_RDATA_MAX, GFP_KERNEL);
	if (!c->pend || !c->data || !c->r)
		return -ENOMEM;
	sm = smchan_sm_alloc();
	if (IS_ERR(sm))
		return PTR_ERR(sm);
	c->sm = sm;
	return 0;
}

/**
 * card_model_free() - wipe and free the card
 * @c: the card
 */
void card_model_free(struct card_model *c)
{
	smchan_sm_free(c->sm);
	kfree_sensitive(c->pend);
	kfree_sensitive(c->data);
	kfree_sensitive(c->r);
	memzero_explicit(c, sizeof(*c));
}
