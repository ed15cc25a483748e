// SPDX-License-Identifier: GPL-2.0
/*
 * A terminal and a card model for the KUnit suites. See harness.h.
 */

#include <linux/slab.h>
#include <linux/string.h>

#include "harness.h"

void counter_block_for_test(u8 b[SMCHAN_BLOCK], u8 dir, u64 n)
{
	memset(b, 0, SMCHAN_BLOCK);
	b[0] = dir;
	put_unaligned_be64(n, b + 8);
}

/* The card application: check the plain command, answer from the pair. */
static size_t exec_expected(struct card_model *c,
			    const struct smchan_apdu *cmd, u8 *r, u16 *sw)
{
	struct harness *h = c->priv;
	const struct smchan_tv_record *p = h->expect;
	const u8 *resp;
	size_t len;
	u32 rlen;

	if (!p)
		return card_exec_reference(c, cmd, r, sw);
	len = smchan_apdu_encode(cmd, h->out, SMCHAN_APDU_MAX);
	TV_EXPECT_FIELD(h->test, p, "plain_apdu", h->out, len);
	resp = tv_bytes(h->test, p, "plain_response", &rlen);
	KUNIT_ASSERT_GE(h->test, rlen, 2);
	memcpy(r, resp, rlen - 2);
	*sw = get_unaligned_be16(resp + rlen - 2);
	return rlen - 2;
}

int harness_init(struct kunit *test)
{
	struct harness *h;
	int ret;

	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->test = test;
	h->cmd = kunit_kzalloc(test, SMCHAN_PROT_APDU_MAX, GFP_KERNEL);
	h->piece = kunit_kzalloc(test, CARD_RSP_MAX, GFP_KERNEL);
	h->rsp = kunit_kzalloc(test, CARD_RSP_MAX, GFP_KERNEL);
	h->out = kunit_kzalloc(test, SMCHAN_APDU_MAX, GFP_KERNEL);
	if (!h->cmd || !h->piece || !h->rsp || !h->out)
		return -ENOMEM;
	h->sm = smchan_sm_alloc();
	if (IS_ERR(h->sm)) {
		ret = PTR_ERR(h->sm);
		h->sm = NULL;
		return ret;
	}
	test->priv = h;
	return smchan_crypto_init(&h->crypto);
}

void harness_exit(struct kunit *test)
{
	struct harness *h = test->priv;

	if (!h)
		return;
	smchan_sm_free(h->sm);
	card_model_free(&h->card);
	smchan_crypto_free(&h->crypto);
	smchan_init_wipe(&h->ini);
}

/* One APDU to the card; its answer is in h->piece. */
size_t harness_send(struct harness *h, const u8 *apdu, size_t len)
{
	return card_model_process(&h->card, apdu, len, h->piece);
}

/*
 * The transport: one APDU to the card, then GET RESPONSE while the card
 * answers 61 xx; the whole answer is in h->rsp.
 */
size_t harness_transmit(struct harness *h, const u8 *apdu, size_t len)
{
	struct smchan_chain ch = { .buf = h->rsp, .size = CARD_RSP_MAX };
	u8 get_response[5];
	size_t n;
	int ret;

	h->pieces = 0;
	n = harness_send(h, apdu, len);
	for (;;) {
		h->pieces++;
		ret = smchan_chain_feed(&ch, h->piece, n, get_response);
		KUNIT_ASSERT_GE(h->test, ret, 0);
		if (!ret)
			return ch.len;
		KUNIT_ASSERT_LT(h->test, h->pieces, 300U);
		n = harness_send(h, get_response, sizeof(get_response));
	}
}

static enum smchan_mode record_mode(struct harness *h,
				    const struct smchan_tv_record *s)
{
	const u8 *p1 = tv_bytes_len(h->test, s, "p1", 1);

	KUNIT_EXPECT_STREQ(h->test, tv_text(h->test, s, "mode"),
			   smchan_mode_name(p1[0]));
	return p1[0];
}

/*
 * The initial keys of a [session] record, K_0 || K_1 or the group, in a
 * buffer the test frees. Returns N.
 */
static unsigned int record_keys(struct harness *h,
				const struct smchan_tv_record *s,
				enum smchan_mode mode, unsigned int klen,
				u8 **keys)
{
	unsigned int i, n = 2;
	char name[4];

	if (mode == SMCHAN_MODE_LIST || mode == SMCHAN_MODE_OPKEY)
		n = tv_u32(h->test, s, "N");
	KUNIT_ASSERT_LE(h->test, n, (unsigned int)SMCHAN_GROUP_MAX);
	*keys = kunit_kzalloc(h->test, n * klen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(h->test, *keys);
	for (i = 0; i < n; i++) {
		if (n == 2 && mode != SMCHAN_MODE_LIST &&
		    mode != SMCHAN_MODE_OPKEY)
			snprintf(name, sizeof(name), "k%u", i);
		else
			snprintf(name, sizeof(name), "g%02u", i);
		memcpy(*keys + i * klen, tv_bytes_len(h->test, s, name, klen),
		       klen);
	}
	return n;
}

static void card_begin(struct harness *h, const struct smchan_tv_record *s,
		       const char *mkey_field)
{
	const u8 *mkey, *rc;
	u32 klen;

	mkey = tv_bytes(h->test, s, mkey_field, &klen);
	KUNIT_ASSERT_EQ(h->test, card_model_init(&h->card, mkey, klen,
						 exec_expected, h), 0);
	rc = tv_bytes_len(h->test, s, "rc", SMCHAN_CHALLENGE_LEN);
	h->card.next_rc = rc;
}

/**
 * harness_card_start() - a card in the session of a [session] record
 * @h: the harness
 * @s: the record: mkey, rc, init_apdu, init_response
 *
 * The card gets GET CHALLENGE and the record's INITIALIZE SESSION and must
 * answer the record's CC.
 */
void harness_card_start(struct harness *h, const struct smchan_tv_record *s)
{
	const u8 *apdu;
	size_t n;
	u32 len;

	card_begin(h, s, "mkey");
	n = harness_transmit(h, smchan_get_challenge,
			     sizeof(smchan_get_challenge));
	KUNIT_ASSERT_EQ(h->test, n, SMCHAN_CHALLENGE_LEN + 2);
	apdu = tv_bytes(h->test, s, "init_apdu", &len);
	n = harness_transmit(h, apdu, len);
	TV_EXPECT_FIELD(h->test, s, "init_response", h->rsp, n);
	KUNIT_ASSERT_TRUE(h->test, h->card.sm->established);
}

/**
 * harness_start() - terminal and card in the session of a [session] record
 * @h: the harness
 * @s: the record: mode, p1, p2, mkey, rc, rt, the keys, init_apdu,
 *	init_response
 *
 * The terminal builds INITIALIZE SESSION from the record's RT and keys,
 * which must give the record's APDU; the card answers the record's CC,
 * which the terminal accepts.
 */
void harness_start(struct harness *h, const struct smchan_tv_record *s)
{
	enum smchan_mode mode = record_mode(h, s);
	const u8 *mkey, *rt, *p2;
	unsigned int n;
	u32 klen;
	u8 *keys;
	int len;

	mkey = tv_bytes(h->test, s, "mkey", &klen);
	p2 = tv_bytes_len(h->test, s, "p2", 1);
	KUNIT_EXPECT_EQ(h->test, p2[0], klen == 16 ? SMCHAN_SUITE_AES128 :
			SMCHAN_SUITE_AES256);
	rt = tv_bytes_len(h->test, s, "rt", SMCHAN_CHALLENGE_LEN);
	n = record_keys(h, s, mode, klen, &keys);
	card_begin(h, s, "mkey");

	KUNIT_ASSERT_EQ(h->test, smchan_init_load(&h->ini, mode, klen, n, rt,
						  keys), 0);
	len = harness_transmit(h, smchan_get_challenge,
			       sizeof(smchan_get_challenge));
	len = smchan_init_command(h->sm, &h->ini, mkey, klen, h->rsp, len,
				  h->cmd, SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(h->test, len, 0);
	TV_EXPECT_FIELD(h->test, s, "init_apdu", h->cmd, len);
	len = harness_transmit(h, h->cmd, len);
	TV_EXPECT_FIELD(h->test, s, "init_response", h->rsp, len);
	KUNIT_ASSERT_EQ(h->test, smchan_init_complete(h->sm, &h->ini, h->rsp,
						      len), 0);
	KUNIT_ASSERT_TRUE(h->test, h->sm->established);
	KUNIT_ASSERT_TRUE(h->test, h->card.sm->established);
	KUNIT_EXPECT_EQ(h->test, h->sm->n, 1ULL);
	KUNIT_EXPECT_EQ(h->test, h->sm->mode, mode);
	kunit_kfree(h->test, keys);
}

/**
 * harness_establish() - open a session from the initialisation in h->ini
 * @h: the harness; its card holds @mkey
 * @mkey: the terminal's master key
 * @klen: its length
 *
 * GET CHALLENGE, INITIALIZE SESSION, and the CC check, all asserted.
 */
void harness_establish(struct harness *h, const u8 *mkey, unsigned int klen)
{
	int len;

	len = harness_transmit(h, smchan_get_challenge,
			       sizeof(smchan_get_challenge));
	len = smchan_init_command(h->sm, &h->ini, mkey, klen, h->rsp, len,
				  h->cmd, SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(h->test, len, 0);
	len = harness_transmit(h, h->cmd, len);
	KUNIT_ASSERT_EQ(h->test, smchan_init_complete(h->sm, &h->ini, h->rsp,
						      len), 0);
}

/**
 * harness_roundtrip() - one command from the terminal through the card
 * @h: the harness, with a session
 * @plain: the plain command
 * @selector: s_n (list, opkey)
 *
 * Return: what smchan_sm_unprotect_response() returns; R || SW is in
 * h->out.
 */
int harness_roundtrip(struct harness *h, const struct smchan_apdu *plain,
		      u8 selector)
{
	int len;

	len = smchan_sm_protect_command(h->sm, plain, selector, h->cmd,
					SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(h->test, len, 0);
	len = harness_transmit(h, h->cmd, len);
	return smchan_sm_unprotect_response(h->sm, h->rsp, len, h->out,
					    SMCHAN_RESPONSE_MAX);
}

/**
 * harness_card_pair() - the card gets a pair's protected command
 * @h: the harness
 * @p: the pair: n, plain_apdu, plain_response, protected_apdu,
 *	protected_response, k_n, k_next
 */
void harness_card_pair(struct harness *h, const struct smchan_tv_record *p)
{
	const u8 *apdu;
	size_t n;
	u32 len;

	KUNIT_ASSERT_EQ(h->test, h->card.sm->n, (u64)tv_u32(h->test, p, "n"));
	TV_EXPECT_FIELD(h->test, p, "k_n", h->card.sm->k, h->card.sm->klen);
	h->expect = p;
	apdu = tv_bytes(h->test, p, "protected_apdu", &len);
	n = harness_transmit(h, apdu, len);
	h->expect = NULL;
	TV_EXPECT_FIELD(h->test, p, "protected_response", h->rsp, n);
	TV_EXPECT_FIELD(h->test, p, "k_next", h->card.sm->k,
			h->card.sm->klen);
}

/**
 * harness_pair() - one pair between terminal and card, checked against @p
 * @h: the harness
 * @p: the pair: n, selector (list, opkey), k_n, plain_apdu,
 *	protected_apdu, plain_response, protected_response, k_next
 *
 * The terminal protects the plain command with the pair's selector; the
 * card must see the plain command and answer the protected response (in
 * pieces when it is long); the terminal must return the plain response;
 * both must then hold k_next.
 */
void harness_pair(struct harness *h, const struct smchan_tv_record *p)
{
	struct smchan_sm *sm = h->sm;
	struct smchan_apdu plain;
	const u8 *apdu;
	u8 selector = 0;
	u32 len;
	int n;

	KUNIT_ASSERT_TRUE(h->test, sm->established);
	KUNIT_ASSERT_EQ(h->test, sm->n, (u64)tv_u32(h->test, p, "n"));
	TV_EXPECT_FIELD(h->test, p, "k_n", sm->k, sm->klen);
	TV_EXPECT_FIELD(h->test, p, "k_n", h->card.sm->k, sm->klen);
	if (sm->mode == SMCHAN_MODE_LIST || sm->mode == SMCHAN_MODE_OPKEY)
		selector = tv_u32(h->test, p, "selector");

	apdu = tv_bytes(h->test, p, "plain_apdu", &len);
	KUNIT_ASSERT_EQ(h->test, smchan_apdu_parse(&plain, apdu, len), 0);
	n = smchan_sm_protect_command(sm, &plain, selector, h->cmd,
				      SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(h->test, n, 0);
	TV_EXPECT_FIELD(h->test, p, "protected_apdu", h->cmd, n);

	h->expect = p;
	n = harness_transmit(h, h->cmd, n);
	h->expect = NULL;
	TV_EXPECT_FIELD(h->test, p, "protected_response", h->rsp, n);

	n = smchan_sm_unprotect_response(sm, h->rsp, n, h->out,
					 SMCHAN_RESPONSE_MAX);
	KUNIT_ASSERT_GE(h->test, n, 2);
	TV_EXPECT_FIELD(h->test, p, "plain_response", h->out, n);
	TV_EXPECT_FIELD(h->test, p, "k_next", sm->k, sm->klen);
	TV_EXPECT_FIELD(h->test, p, "k_next", h->card.sm->k, sm->klen);
	KUNIT_EXPECT_EQ(h->test, sm->n, h->card.sm->n);
}

/**
 * harness_sm_wiped() - does @sm hold no key at all?
 * @sm: a session object
 *
 * Return: true if every key buffer is zero and no session is established.
 */
bool harness_sm_wiped(const struct smchan_sm *sm)
{
	return !sm->established &&
	       !memchr_inv(sm->k, 0, sizeof(sm->k)) &&
	       !memchr_inv(sm->k_next, 0, sizeof(sm->k_next)) &&
	       !memchr_inv(sm->enc, 0, sizeof(sm->enc)) &&
	       !memchr_inv(sm->mac, 0, sizeof(sm->mac)) &&
	       !sm->group;
}
