/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's cost per command: one terminal and one card session talking
 * to each other through kernel/sm.c, with no transport in between. Shared,
 * unchanged, by engine_bench_kunit.c (the kernel's crypto API) and by
 * tests/fuzz/engine-bench.c (the same sm.c and apdu.c over the OpenSSL
 * shim), so that both sides time the same calls on the same kind of bytes.
 *
 * One command of a case (mode, size) is what the channel does for a READ
 * BINARY of @size bytes (for size 0, SELECT FILE with P2 0C):
 *
 *	terminal: parse the plain APDU, draw the selector, protect  (timed)
 *	card:     parse, unprotect, protect the answer               (apart)
 *	terminal: verify the answer, decrypt it, key update          (timed)
 *
 * The includer defines eb_now_ns(), a monotonic clock in nanoseconds.
 * Nothing here asserts: a failure is returned and reported.
 */
#ifndef _SMCHAN_TESTS_ENGINE_BENCH_H
#define _SMCHAN_TESTS_ENGINE_BENCH_H

#include "../sm.h"

/* Large enough for every buffer of a 1,024-byte command or answer. */
#define EB_BUF		2048
#define EB_MAX_DATA	1024

static const unsigned int eb_sizes[] = { 0, 16, 128, 255, 1024 };

/**
 * struct eb_ctx - one terminal and one card in a session
 * @term: the terminal's session
 * @card: the card's session
 * @cmd: the plain command
 * @cmd_len: its length
 * @size: bytes the card answers
 * @prot: the protected command
 * @data: the card's decrypted command data
 * @rdata: the card's answer data
 * @rsp: the protected answer
 * @out: the terminal's R || SW
 */
struct eb_ctx {
	struct smchan_sm *term;
	struct smchan_sm *card;
	u8 cmd[8];
	size_t cmd_len;
	unsigned int size;
	u8 *prot;
	u8 *data;
	u8 *rdata;
	u8 *rsp;
	u8 *out;
};

/**
 * struct eb_result - the timed part of a batch of commands
 * @term_ns: the terminal's side: protect, then verify and key update
 * @card_ns: the card's side, for reference
 * @n: commands
 */
struct eb_result {
	u64 term_ns;
	u64 card_ns;
	unsigned int n;
};

static void eb_close(struct eb_ctx *c)
{
	if (c->term && !IS_ERR(c->term))
		smchan_sm_free(c->term);
	if (c->card && !IS_ERR(c->card))
		smchan_sm_free(c->card);
	kfree(c->prot);
	kfree(c->data);
	kfree(c->rdata);
	kfree(c->rsp);
	kfree(c->out);
	memset(c, 0, sizeof(*c));
}

/*
 * A session in @mode between a fresh terminal and card (AES-128; a group
 * of 18 keys in list and opkey, smchanctl's default), as INITIALIZE SESSION
 * sets it up. Return: 0 or a negative errno (then @c is closed).
 */
static int eb_open(struct eb_ctx *c, enum smchan_mode mode)
{
	struct smchan_init *ini = NULL;
	u8 mkey[16], chal[SMCHAN_CHALLENGE_LEN + 2], cc[SMCHAN_BLOCK];
	struct smchan_apdu cmd;
	int ret, n;

	memset(c, 0, sizeof(*c));
	c->term = smchan_sm_alloc();
	c->card = smchan_sm_alloc();
	c->prot = kzalloc(EB_BUF, GFP_KERNEL);
	c->data = kzalloc(EB_BUF, GFP_KERNEL);
	c->rdata = kzalloc(EB_BUF, GFP_KERNEL);
	c->rsp = kzalloc(EB_BUF, GFP_KERNEL);
	c->out = kzalloc(EB_BUF, GFP_KERNEL);
	ini = kzalloc(sizeof(*ini), GFP_KERNEL);
	ret = -ENOMEM;
	if (IS_ERR(c->term) || IS_ERR(c->card) || !c->prot || !c->data ||
	    !c->rdata || !c->rsp || !c->out || !ini)
		goto out;

	get_random_bytes(mkey, sizeof(mkey));
	get_random_bytes(chal, SMCHAN_CHALLENGE_LEN);
	chal[SMCHAN_CHALLENGE_LEN] = 0x90;
	chal[SMCHAN_CHALLENGE_LEN + 1] = 0x00;
	ret = smchan_init_prepare(ini, mode, sizeof(mkey), 18);
	if (ret)
		goto out;
	n = smchan_init_command(c->term, ini, mkey, sizeof(mkey), chal,
				sizeof(chal), c->prot, EB_BUF);
	ret = n < 0 ? n : smchan_apdu_parse(&cmd, c->prot, n);
	if (ret)
		goto out;
	ret = smchan_card_init_session(c->card, mkey, sizeof(mkey), chal,
				       &cmd, cc);
	if (ret != SMCHAN_SW_OK) {
		ret = ret < 0 ? ret : -EPROTO;
		goto out;
	}
	memcpy(c->rsp, cc, SMCHAN_BLOCK);
	c->rsp[SMCHAN_BLOCK] = 0x90;
	c->rsp[SMCHAN_BLOCK + 1] = 0x00;
	ret = smchan_init_complete(c->term, ini, c->rsp, SMCHAN_BLOCK + 2);
out:
	if (ini) {
		smchan_init_wipe(ini);
		kfree(ini);
	}
	memzero_explicit(mkey, sizeof(mkey));
	if (ret)
		eb_close(c);
	return ret;
}

/* The plain command of a case: SELECT FILE 0102 (P2 0C) or READ BINARY. */
static void eb_set_size(struct eb_ctx *c, unsigned int size)
{
	static const u8 select[] = { 0x00, 0xa4, 0x02, 0x0c, 0x02, 0x01, 0x02 };
	unsigned int i;

	c->size = size;
	for (i = 0; i < size; i++)
		c->rdata[i] = i;
	if (!size) {
		memcpy(c->cmd, select, sizeof(select));
		c->cmd_len = sizeof(select);
		return;
	}
	c->cmd[0] = 0x00;
	c->cmd[1] = 0xb0;
	c->cmd[2] = 0x00;
	c->cmd[3] = 0x00;
	if (size <= 256) {
		c->cmd[4] = size;
		c->cmd_len = 5;
	} else {
		c->cmd[4] = 0x00;
		c->cmd[5] = size >> 8;
		c->cmd[6] = size;
		c->cmd_len = 7;
	}
}

/* One command, timed into @r. Return: 0 or a negative errno. */
static int eb_step(struct eb_ctx *c, struct eb_result *r)
{
	struct smchan_apdu plain, prot, inner;
	u64 t0, t1, t2, t3;
	int n, m, ret;
	u8 sel;

	t0 = eb_now_ns();
	ret = smchan_apdu_parse(&plain, c->cmd, c->cmd_len);
	if (!ret)
		ret = smchan_sm_draw_selector(c->term, &sel);
	if (ret)
		return ret;
	n = smchan_sm_protect_command(c->term, &plain, sel, c->prot, EB_BUF);
	t1 = eb_now_ns();
	if (n < 0)
		return n;

	ret = smchan_apdu_parse(&prot, c->prot, n);
	if (ret)
		return ret;
	ret = smchan_sm_unprotect_command(c->card, &prot, &inner, c->data,
					  EB_BUF);
	if (ret != SMCHAN_SW_OK)
		return ret < 0 ? ret : -EPROTO;
	m = smchan_sm_protect_response(c->card, c->rdata, c->size,
				       SMCHAN_SW_OK, inner.ne, c->rsp, EB_BUF);
	t2 = eb_now_ns();
	if (m < 0)
		return m;

	ret = smchan_sm_unprotect_response(c->term, c->rsp, m, c->out, EB_BUF);
	t3 = eb_now_ns();
	if (ret < 0)
		return ret;
	if ((unsigned int)ret != c->size + 2 || !c->term->established)
		return -EBADMSG;
	r->term_ns += (t1 - t0) + (t3 - t2);
	r->card_ns += t2 - t1;
	r->n++;
	return 0;
}

/* @n commands of the case set last. Return: 0 or a negative errno. */
static int eb_batch(struct eb_ctx *c, unsigned int n, struct eb_result *r)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	while (!ret && n--)
		ret = eb_step(c, r);
	return ret;
}

#define EB_BATCHES	7

/**
 * struct eb_case - the figures of one case, per command
 * @term_med: the terminal's time, median over the batches, ns
 * @term_min: the fastest batch's, ns
 * @card_med: the card's, median over the batches, ns
 */
struct eb_case {
	u64 term_med;
	u64 term_min;
	u64 card_med;
};

static void eb_sort(u64 *v, unsigned int n)
{
	unsigned int i, j;
	u64 x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * A fresh session in @mode, @n / 4 commands of warm-up, then EB_BATCHES
 * batches of @n commands of @size bytes. Return: 0 or a negative errno.
 */
static int eb_case(enum smchan_mode mode, unsigned int size, unsigned int n,
		   struct eb_case *out)
{
	u64 term[EB_BATCHES], card[EB_BATCHES];
	struct eb_result r;
	struct eb_ctx c;
	unsigned int b;
	int ret;

	ret = eb_open(&c, mode);
	if (ret)
		return ret;
	eb_set_size(&c, size);
	ret = eb_batch(&c, n / 4 + 1, &r);
	for (b = 0; !ret && b < EB_BATCHES; b++) {
		ret = eb_batch(&c, n, &r);
		term[b] = r.term_ns / n;
		card[b] = r.card_ns / n;
	}
	eb_close(&c);
	if (ret)
		return ret;
	eb_sort(term, EB_BATCHES);
	eb_sort(card, EB_BATCHES);
	out->term_med = term[EB_BATCHES / 2];
	out->term_min = term[0];
	out->card_med = card[EB_BATCHES / 2];
	return 0;
}

/*
 * What the primitives cost, ns per call, over @n calls each, keyed anew
 * every call as the engine keys them: [0] KDF of 16 bytes, [1] CMAC of 48
 * bytes, [2] one AES block, [3] CBC of 32 bytes, [4] the scrub of both
 * transforms after a pair; each after a warm-up of @n calls. Return: 0 or
 * a negative errno.
 */
#define EB_NPRIMS	5
static const char *const eb_prim_names[EB_NPRIMS] = {
	"kdf16", "cmac48", "aes1", "cbc32", "scrub",
};

static int eb_prims(unsigned int n, u64 ns[EB_NPRIMS])
{
	struct smchan_sm *sm = smchan_sm_alloc();
	u8 key[16] = { 1 }, blk[SMCHAN_BLOCK] = { 2 }, *buf;
	struct kvec msg = { .iov_len = 48 };
	unsigned int p, i, pass;
	int ret = 0;
	u64 t0;

	if (IS_ERR(sm))
		return -ENOMEM;
	buf = kzalloc(64, GFP_KERNEL);
	if (!buf) {
		smchan_sm_free(sm);
		return -ENOMEM;
	}
	msg.iov_base = buf;
	for (p = 0; p < EB_NPRIMS * 2; p++) {
		pass = p % 2;
		t0 = eb_now_ns();
		for (i = 0; !ret && i < n; i++) {
			key[1] = i;
			if (p / 2 == 0)
				ret = smchan_crypto_kdf(&sm->crypto, key, 16,
							"smchan-enc", NULL, 0,
							blk, 16);
			else if (p / 2 == 1)
				ret = smchan_crypto_cmac(&sm->crypto, key, 16,
							 &msg, 1, blk);
			else if (p / 2 == 2)
				ret = smchan_crypto_aes(&sm->crypto, key, 16,
							blk, blk);
			else if (p / 2 == 3)
				ret = smchan_crypto_cbc(&sm->crypto, true, key,
							16, blk, buf, 32);
			else
				ret = smchan_crypto_scrub(&sm->crypto);
		}
		if (pass)
			ns[p / 2] = (eb_now_ns() - t0) / n;
	}
	kfree(buf);
	smchan_sm_free(sm);
	return ret;
}

#endif /* _SMCHAN_TESTS_ENGINE_BENCH_H */
