// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: every record of negative.txt. Tampered commands to a card in a
 * session (the card model over the engine's card role must answer the
 * exact status word and end the session), tampered responses to the
 * terminal (it must reject them for the listed reason and wipe its keys),
 * INITIALIZE SESSION on both sides, unprotected commands to a card just
 * reset, 61 xx chaining, the opkey selector rules, and a card whose
 * response to the last command was never built.
 */

#include <linux/slab.h>
#include <linux/string.h>

#include "harness.h"

#define NEG	"negative"

/* The engine's errno for each rejection reason of the vectors. */
static int reason_errno(struct kunit *test, const char *reason)
{
	static const struct {
		const char *reason;
		int err;
	} map[] = {
		{ "mac", -EBADMSG },
		{ "cc", -EBADMSG },
		{ "padding", -EILSEQ },
		{ "format", -EPROTO },
		{ "trailer", -EREMOTEIO },
		{ "card-error", -ECONNRESET },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(reason, map[i].reason))
			return map[i].err;
	KUNIT_FAIL(test, "unknown reason '%s'", reason);
	return 0;
}

static bool session_active(struct kunit *test, const struct smchan_tv_record *r)
{
	const char *s = tv_text(test, r, "session");

	KUNIT_ASSERT_TRUE_MSG(test, !strcmp(s, "active") || !strcmp(s, "ended"),
			      "session = %s", s);
	return !strcmp(s, "active");
}

/* Send a hex field to the card; expect the answer in another field. */
static void send_expect(struct harness *h, const struct smchan_tv_record *r,
			const char *apdu_field, const char *answer_field)
{
	const u8 *apdu;
	size_t n;
	u32 len;

	apdu = tv_bytes(h->test, r, apdu_field, &len);
	n = harness_send(h, apdu, len);
	TV_EXPECT_FIELD(h->test, r, answer_field, h->piece, n);
}

/* Send a hex field to the card; expect a bare status word. */
static void send_expect_sw(struct harness *h, const struct smchan_tv_record *r,
			   const char *apdu_field, const char *sw_field)
{
	const u8 *apdu;
	size_t n;
	u32 len;
	u16 sw = tv_sw(h->test, r, sw_field);

	apdu = tv_bytes(h->test, r, apdu_field, &len);
	n = harness_send(h, apdu, len);
	KUNIT_EXPECT_EQ_MSG(h->test, n, (size_t)2, "%s.txt:%u %s: answer of %zu bytes",
			    r->file, r->line, apdu_field, n);
	if (n >= 2)
		KUNIT_EXPECT_EQ_MSG(h->test, get_unaligned_be16(h->piece + n - 2),
				    sw, "%s.txt:%u %s", r->file, r->line,
				    sw_field);
}

/* The card in [session], after the valid pairs of the prefix section. */
static void card_at(struct harness *h, const char *session,
		    const char *prefix, unsigned int npairs)
{
	const struct smchan_tv_section *p = tv_section(h->test, NEG, prefix);
	unsigned int i;

	harness_card_start(h, tv_section(h->test, NEG, session)->records);
	KUNIT_ASSERT_LE(h->test, npairs, p->nrecords);
	for (i = 0; i < npairs; i++)
		harness_card_pair(h, &p->records[i]);
}

/* Terminal and card in [session], after the valid pairs of the prefix. */
static void both_at(struct harness *h, const char *session,
		    const char *prefix, unsigned int npairs)
{
	const struct smchan_tv_section *p = tv_section(h->test, NEG, prefix);
	unsigned int i;

	harness_start(h, tv_section(h->test, NEG, session)->records);
	KUNIT_ASSERT_LE(h->test, npairs, p->nrecords);
	for (i = 0; i < npairs; i++)
		harness_pair(h, &p->records[i]);
}

/*
 * A tampered command n, then the follow-up: the answers, and whether the
 * card's session went on.
 */
static void card_case(struct harness *h, const struct smchan_tv_record *r)
{
	bool active = session_active(h->test, r);

	send_expect_sw(h, r, "apdu", "sw");
	KUNIT_EXPECT_EQ(h->test, h->card.sm->established, active);
	if (!active)
		KUNIT_EXPECT_TRUE(h->test, harness_sm_wiped(h->card.sm));
	send_expect_sw(h, r, "then_apdu", "then_sw");
	tv_text(h->test, r, "desc");
	tv_text(h->test, r, "case");
}

SMCHAN_TV_PARAMS(card, NEG, "card");

/* [card]: tampered command 3 to a card in the ratchet session */
static void card_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	struct harness *h = test->priv;

	card_at(h, "session", "prefix", 2);
	card_case(h, r);
	tv_expect_all_used(test, r);
}

/* enc_k and mac_k of a pair: ENC(K_n), MAC(K_n) */
static void check_subkeys(struct harness *h, const struct smchan_tv_record *r)
{
	u8 key[SMCHAN_KEY_MAX];
	const u8 *k_n;
	u32 klen;

	k_n = tv_bytes(h->test, r, "k_n", &klen);
	KUNIT_ASSERT_EQ(h->test, smchan_crypto_kdf(&h->crypto, k_n, klen,
						   "smchan-enc", NULL, 0, key,
						   klen), 0);
	TV_EXPECT_FIELD(h->test, r, "enc_k", key, klen);
	KUNIT_ASSERT_EQ(h->test, smchan_crypto_kdf(&h->crypto, k_n, klen,
						   "smchan-mac", NULL, 0, key,
						   klen), 0);
	TV_EXPECT_FIELD(h->test, r, "mac_k", key, klen);
	memzero_explicit(key, sizeof(key));
}

/* [state]: the valid pair 3 that every [card] and [terminal] case replaces */
static void state_test(struct kunit *test)
{
	const struct smchan_tv_record *r;
	struct harness *h = test->priv;
	u8 next[SMCHAN_KEY_MAX];
	const u8 *k_n, *k_prev;
	struct kvec ctx[2];
	__be64 n;
	u32 klen;

	r = tv_section(test, NEG, "state")->records;
	tv_track(test, r);
	both_at(h, "session", "prefix", 2);
	harness_pair(h, r);

	k_n = tv_bytes(test, r, "k_n", &klen);
	k_prev = tv_bytes_len(test, r, "k_prev", klen);
	check_subkeys(h, r);
	n = cpu_to_be64(tv_u32(test, r, "n"));
	ctx[0].iov_base = (void *)k_n;
	ctx[0].iov_len = klen;
	ctx[1].iov_base = &n;
	ctx[1].iov_len = sizeof(n);
	KUNIT_ASSERT_EQ(test, smchan_crypto_kdf(&h->crypto, k_prev, klen,
						"smchan-ratchet", ctx, 2, next,
						klen), 0);
	TV_EXPECT_FIELD(test, r, "k_next", next, klen);
	tv_text(test, r, "desc");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(terminal, NEG, "terminal");

/* [terminal]: a tampered response to the terminal's command 3 */
static void terminal_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	const struct smchan_tv_record *st;
	struct harness *h = test->priv;
	struct smchan_apdu plain;
	const u8 *apdu, *rsp;
	u32 len, rlen;
	int ret;

	/* Arrange: the terminal has sent the valid command 3 */
	both_at(h, "session", "prefix", 2);
	st = tv_section(test, NEG, "state")->records;
	apdu = tv_bytes(test, st, "plain_apdu", &len);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&plain, apdu, len), 0);
	ret = smchan_sm_protect_command(h->sm, &plain, 0, h->cmd,
					SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(test, ret, 0);
	TV_EXPECT_FIELD(test, st, "protected_apdu", h->cmd, ret);

	/* Act */
	rsp = tv_bytes(test, r, "response", &rlen);
	memcpy(h->rsp, rsp, rlen);
	memset(h->out, 0xa5, SMCHAN_RESPONSE_MAX);
	ret = smchan_sm_unprotect_response(h->sm, h->rsp, rlen, h->out,
					   SMCHAN_RESPONSE_MAX);

	/* Assert: rejected for the reason given, no key and no data left */
	KUNIT_EXPECT_STREQ(test, tv_text(test, r, "verdict"), "reject");
	KUNIT_EXPECT_EQ(test, ret,
			reason_errno(test, tv_text(test, r, "reason")));
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));
	KUNIT_EXPECT_NE(test, h->sm->end_reason, SMCHAN_END_NONE);
	for (len = 0; len < rlen; len++)
		KUNIT_ASSERT_TRUE_MSG(test, h->out[len] == 0 ||
				      h->out[len] == 0xa5,
				      "plaintext left at %u", len);
	tv_text(test, r, "desc");
	tv_text(test, r, "case");
	tv_expect_all_used(test, r);
}

static const struct smchan_tv_record *init_fixture(struct kunit *test)
{
	const struct smchan_tv_record *f = tv_section(test, NEG, "init")->records;

	KUNIT_ASSERT_STREQ(test, tv_text(test, f, "case"), "fixture");
	return f;
}

/* The terminal's INITIALIZE SESSION from the fixture, compared to @apdu. */
static void fixture_terminal(struct harness *h,
			     const struct smchan_tv_record *f,
			     const struct smchan_tv_record *r,
			     const char *apdu_field)
{
	u8 keys[32], rsp[SMCHAN_CHALLENGE_LEN + 2];
	const u8 *mkey, *rc, *rt;
	int len, ret;

	mkey = tv_bytes_len(h->test, f, "init_mkey", 16);
	rc = tv_bytes_len(h->test, f, "rc", SMCHAN_CHALLENGE_LEN);
	memcpy(keys, tv_bytes_len(h->test, f, "k0", 16), 16);
	memcpy(keys + 16, tv_bytes_len(h->test, f, "k1", 16), 16);
	rt = tv_bytes_len(h->test, f, "rt", 16);
	ret = smchan_init_load(&h->ini, SMCHAN_MODE_RATCHET, 16, 2, rt, keys);
	KUNIT_ASSERT_EQ(h->test, ret, 0);
	memcpy(rsp, rc, SMCHAN_CHALLENGE_LEN);
	put_unaligned_be16(SMCHAN_SW_OK, rsp + SMCHAN_CHALLENGE_LEN);
	len = smchan_init_command(h->sm, &h->ini, mkey, 16, rsp, sizeof(rsp),
				  h->cmd, SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(h->test, len, 0);
	TV_EXPECT_FIELD(h->test, r, apdu_field, h->cmd, len);
	memzero_explicit(keys, sizeof(keys));
}

SMCHAN_TV_PARAMS(init, NEG, "init");

/* [init]: INITIALIZE SESSION cases to the card, and the fixture itself */
static void init_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test), *f;
	struct harness *h = test->priv;
	const u8 *rc, *mkey;
	u16 sw;
	u32 len;

	f = init_fixture(test);
	if (r == f) {
		/* The fixture gives the 'valid' case's APDU. */
		fixture_terminal(h, f, tv_section(test, NEG, "init")->records + 1,
				 "apdu");
		tv_expect_all_used(test, r);
		return;
	}

	/* Arrange: a card with MKEY that has (or has not) given RC */
	mkey = tv_bytes_len(test, f, "init_mkey", 16);
	KUNIT_ASSERT_EQ(test, card_model_init(&h->card, mkey, 16,
					      card_exec_reference, h), 0);
	rc = tv_bytes(test, r, "rc", &len);
	if (len) {
		KUNIT_ASSERT_EQ(test, len, SMCHAN_CHALLENGE_LEN);
		h->card.next_rc = rc;
		KUNIT_ASSERT_EQ(test, harness_send(h, smchan_get_challenge, 5),
				SMCHAN_CHALLENGE_LEN + 2);
		KUNIT_EXPECT_EQ(test, memcmp(h->piece, rc, len), 0);
	}
	if (tv_has(r, "before"))
		harness_send(h, tv_bytes(test, r, "before", &len), len);

	/* Act, assert */
	sw = tv_sw(test, r, "sw");
	if (tv_has(r, "response"))
		send_expect(h, r, "apdu", "response");
	else
		send_expect_sw(h, r, "apdu", "sw");
	KUNIT_EXPECT_EQ(test, h->card.sm->established, sw == SMCHAN_SW_OK);
	if (sw == SMCHAN_SW_OK)
		KUNIT_EXPECT_EQ(test, h->card.sm->n, 1ULL);
	tv_text(test, r, "desc");
	tv_text(test, r, "case");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(init_terminal, NEG, "init-terminal");

/* [init-terminal]: the card's answer to INITIALIZE SESSION, checked */
static void init_terminal_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	struct harness *h = test->priv;
	const u8 *rsp;
	bool accept;
	u32 len;
	int ret;

	fixture_terminal(h, init_fixture(test), r, "init_apdu");
	rsp = tv_bytes(test, r, "response", &len);
	ret = smchan_init_complete(h->sm, &h->ini, rsp, len);

	accept = !strcmp(tv_text(test, r, "verdict"), "accept");
	KUNIT_EXPECT_TRUE(test, !memchr_inv(&h->ini, 0, sizeof(h->ini)));
	KUNIT_EXPECT_EQ(test, h->sm->established, accept);
	if (accept) {
		KUNIT_EXPECT_EQ(test, ret, 0);
	} else {
		KUNIT_EXPECT_EQ(test, ret,
				reason_errno(test, tv_text(test, r, "reason")));
		KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));
	}
	tv_text(test, r, "desc");
	tv_text(test, r, "case");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(plain, NEG, "plain");

/* [plain]: a command to a card just reset */
static void plain_test(struct kunit *test)
{
	static const u8 mkey[16] = { 1 };
	const struct smchan_tv_record *r = tv_param(test);
	struct harness *h = test->priv;
	const u8 *apdu;
	size_t n;
	u32 len, want = 2;

	KUNIT_ASSERT_EQ(test, card_model_init(&h->card, mkey, 16,
					      card_exec_reference, h), 0);
	apdu = tv_bytes(test, r, "apdu", &len);
	n = harness_send(h, apdu, len);
	if (tv_has(r, "response_length"))
		want = tv_u32(test, r, "response_length");
	KUNIT_EXPECT_EQ(test, n, (size_t)want);
	KUNIT_ASSERT_GE(test, n, (size_t)2);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(h->piece + n - 2),
			tv_sw(test, r, "sw"));
	KUNIT_EXPECT_FALSE(test, h->card.sm->established);
	tv_text(test, r, "desc");
	tv_text(test, r, "case");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(opkey_card, NEG, "opkey-card");

/* [opkey-card]: a bad selector at n = 3 of the opkey session */
static void opkey_card_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	struct harness *h = test->priv;

	card_at(h, "opkey-session", "opkey-prefix", 2);
	card_case(h, r);
	tv_expect_all_used(test, r);
}

/* [opkey-state]: the valid pair 3, where s_3 must differ from s_2 */
static void opkey_state_test(struct kunit *test)
{
	const struct smchan_tv_record *r;
	struct harness *h = test->priv;
	struct smchan_apdu plain;
	const u8 *pa, *dp;
	u32 prev, s, len;

	r = tv_section(test, NEG, "opkey-state")->records;
	tv_track(test, r);
	both_at(h, "opkey-session", "opkey-prefix", 2);
	prev = tv_u32(test, r, "prev_selector");
	s = tv_u32(test, r, "selector");
	KUNIT_EXPECT_EQ(test, h->sm->s_prev, prev);
	KUNIT_EXPECT_FALSE(test, smchan_sm_selector_ok(h->sm, prev));
	KUNIT_EXPECT_TRUE(test, smchan_sm_selector_ok(h->sm, s));
	harness_pair(h, r);
	check_subkeys(h, r);

	/* D' = s_3 || the data of the plain command */
	pa = tv_bytes(test, r, "plain_apdu", &len);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&plain, pa, len), 0);
	dp = tv_bytes(test, r, "cmd_dprime", &len);
	KUNIT_ASSERT_EQ(test, len, plain.nc + 1);
	KUNIT_EXPECT_EQ(test, dp[0], s);
	KUNIT_EXPECT_EQ(test, memcmp(dp + 1, plain.data, plain.nc), 0);
	tv_text(test, r, "desc");
	tv_expect_all_used(test, r);
}

/* [fetch-state]: the chained response of a short READ, then command 4 */
static void fetch_state_test(struct kunit *test)
{
	const struct smchan_tv_record *r;
	struct harness *h = test->priv;
	struct smchan_apdu plain;
	const u8 *apdu;
	u32 len;
	int n;

	/* Arrange: terminal and card at n = 3 */
	r = tv_section(test, NEG, "fetch-state")->records;
	tv_track(test, r);
	both_at(h, "session", "prefix", 2);
	KUNIT_ASSERT_EQ(test, h->sm->n, (u64)tv_u32(test, r, "n"));
	TV_EXPECT_FIELD(test, r, "k_n", h->sm->k, h->sm->klen);

	/* Act: a short READ of 256 bytes */
	apdu = tv_bytes(test, r, "plain_apdu", &len);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&plain, apdu, len), 0);
	n = smchan_sm_protect_command(h->sm, &plain, 0, h->cmd,
				      SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(test, n, 0);
	TV_EXPECT_FIELD(test, r, "protected_apdu", h->cmd, n);
	h->expect = r;
	n = harness_transmit(h, h->cmd, n);
	h->expect = NULL;

	/* Assert: two pieces, the first 256 bytes then 61 xx */
	TV_EXPECT_FIELD(test, r, "protected_response", h->rsp, n);
	KUNIT_EXPECT_EQ(test, h->pieces, 2U);
	KUNIT_ASSERT_GT(test, n, 258);
	memcpy(h->piece, h->rsp, 256);
	h->piece[256] = 0x61;
	h->piece[257] = n - 2 - 256;
	TV_EXPECT_FIELD(test, r, "first_response", h->piece, 258);
	n = smchan_sm_unprotect_response(h->sm, h->rsp, n, h->out,
					 SMCHAN_RESPONSE_MAX);
	KUNIT_ASSERT_GT(test, n, 0);
	TV_EXPECT_FIELD(test, r, "plain_response", h->out, n);

	/* The session went on: the card answers command 4. */
	send_expect(h, r, "probe_apdu", "probe_response");
	tv_text(test, r, "desc");
	tv_text(test, r, "probe_desc");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(fetch, NEG, "fetch");

/* [fetch]: what a card does with each command while a response is pending */
static void fetch_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test), *st;
	struct harness *h = test->priv;
	bool active = session_active(test, r);
	const u8 *apdu;
	u32 len;
	size_t n;

	st = tv_section(test, NEG, "fetch-state")->records;
	card_at(h, "session", "prefix", 2);
	h->expect = st;
	apdu = tv_bytes(test, st, "protected_apdu", &len);
	n = harness_send(h, apdu, len);
	h->expect = NULL;
	TV_EXPECT_FIELD(test, st, "first_response", h->piece, n);

	send_expect(h, r, "apdu", "response");
	KUNIT_EXPECT_EQ(test, h->card.sm->established, active);
	send_expect(h, r, "then_apdu", "then_response");
	tv_text(test, r, "desc");
	tv_text(test, r, "case");
	tv_expect_all_used(test, r);
}

/*
 * The card in [session] has accepted the valid command 3 of [state] (checks
 * 1 to 6 passed) and owes its protected response; @prot is that command.
 */
static void card_accepted(struct harness *h, struct smchan_apdu *prot)
{
	const struct smchan_tv_record *st;
	struct smchan_apdu plain;
	const u8 *apdu;
	u32 len;

	card_at(h, "session", "prefix", 2);
	st = tv_section(h->test, NEG, "state")->records;
	apdu = tv_bytes(h->test, st, "protected_apdu", &len);
	KUNIT_ASSERT_EQ(h->test, smchan_apdu_parse(prot, apdu, len), 0);
	KUNIT_ASSERT_EQ(h->test,
			smchan_sm_unprotect_command(h->card.sm, prot, &plain,
						    h->card.data,
						    SMCHAN_APDU_MAX),
			SMCHAN_SW_OK);
	KUNIT_ASSERT_TRUE(h->test, h->card.sm->established);
	KUNIT_ASSERT_TRUE(h->test, h->card.sm->pending);
}

/*
 * The card's session has ended (section 4, check 1): no key left, and the
 * valid command 3 sent again gets a bare 69 88, as after any failed check.
 */
static void card_ended(struct harness *h)
{
	const struct smchan_tv_record *st;
	const u8 *apdu;
	size_t n;
	u32 len;

	KUNIT_EXPECT_FALSE(h->test, h->card.sm->established);
	KUNIT_EXPECT_FALSE(h->test, h->card.sm->pending);
	KUNIT_EXPECT_TRUE(h->test, harness_sm_wiped(h->card.sm));
	KUNIT_EXPECT_EQ(h->test, h->card.sm->end_reason, SMCHAN_END_VERIFY);

	st = tv_section(h->test, NEG, "state")->records;
	apdu = tv_bytes(h->test, st, "protected_apdu", &len);
	n = harness_send(h, apdu, len);
	KUNIT_ASSERT_EQ(h->test, n, (size_t)2);
	KUNIT_EXPECT_EQ(h->test, get_unaligned_be16(h->piece),
			SMCHAN_SW_SM_INCORRECT);
	KUNIT_EXPECT_FALSE(h->test, h->card.sm->established);
	KUNIT_EXPECT_TRUE(h->test, harness_sm_wiped(h->card.sm));
}

/* A protected command while the response to the last is unbuilt: 69 88, end */
static void card_pending_test(struct kunit *test)
{
	struct harness *h = test->priv;
	struct smchan_apdu prot, plain;
	int ret;

	/* Arrange: command 3 accepted, its response not yet built */
	card_accepted(h, &prot);

	/* Act: check 1 fails on the same, otherwise valid, command */
	memset(&plain, 0xa5, sizeof(plain));
	ret = smchan_sm_unprotect_command(h->card.sm, &prot, &plain,
					  h->card.data, SMCHAN_APDU_MAX);

	/* Assert */
	KUNIT_EXPECT_EQ(test, ret, SMCHAN_SW_SM_INCORRECT);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(&plain, 0, sizeof(plain)));
	card_ended(h);
}

/*
 * smchan_sm_protect_response() out of room: the session goes on for a
 * retry, but a protected command that comes instead ends it.
 */
static void card_lost_response_test(struct kunit *test)
{
	/* DO99 (4) || DO8E (10) || 90 00: one byte short */
	const size_t size = 4 + 10 + 2 - 1;
	struct harness *h = test->priv;
	struct smchan_apdu prot;
	const u8 *apdu;
	size_t n;
	u32 len;
	int ret;

	/* Arrange */
	card_accepted(h, &prot);
	ret = smchan_sm_protect_response(h->card.sm, NULL, 0, SMCHAN_SW_OK,
					 0, h->rsp, size);
	KUNIT_ASSERT_EQ(test, ret, -EMSGSIZE);
	KUNIT_EXPECT_TRUE(test, h->card.sm->established);
	KUNIT_EXPECT_TRUE(test, h->card.sm->pending);

	/* Act: the terminal, with no answer, sends command 3 again */
	apdu = tv_bytes(test, tv_section(test, NEG, "state")->records,
			"protected_apdu", &len);
	n = harness_send(h, apdu, len);

	/* Assert: 69 88 and the session ended; no response is built now */
	KUNIT_ASSERT_EQ(test, n, (size_t)2);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(h->piece),
			SMCHAN_SW_SM_INCORRECT);
	card_ended(h);
	ret = smchan_sm_protect_response(h->card.sm, NULL, 0, SMCHAN_SW_OK,
					 0, h->rsp, CARD_RSP_MAX);
	KUNIT_EXPECT_EQ(test, ret, -ENOTCONN);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->card.sm));
}

SMCHAN_TV_PARAMS(zero_prefix, NEG, "opkey-zero-prefix");

/*
 * [opkey-zero-prefix]: at each n the terminal never draws the selectors
 * that would give an all-zero key, and accepts all the others.
 */
static void zero_prefix_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	const struct smchan_tv_section *pre;
	struct harness *h = test->priv;
	u32 excluded[SMCHAN_GROUP_MAX];
	unsigned int i, nx, s;
	bool out;
	u8 drawn;

	pre = tv_section(test, NEG, "opkey-zero-prefix");
	both_at(h, "opkey-zero-session", "opkey-zero-prefix",
		r - pre->records);
	nx = tv_u32_list(test, r, "excluded", excluded, SMCHAN_GROUP_MAX);
	KUNIT_EXPECT_GT(test, nx, 0U);
	for (s = 0; s < h->sm->group_n; s++) {
		for (out = false, i = 0; i < nx; i++)
			out |= excluded[i] == s;
		KUNIT_EXPECT_EQ_MSG(test, smchan_sm_selector_ok(h->sm, s), !out,
				    "selector %u", s);
	}
	for (i = 0; i < 200; i++) {
		KUNIT_ASSERT_EQ(test, smchan_sm_draw_selector(h->sm, &drawn),
				0);
		KUNIT_EXPECT_TRUE(test, smchan_sm_selector_ok(h->sm, drawn));
	}
	harness_pair(h, r);
	tv_text(test, r, "desc");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(zero_card, NEG, "opkey-zero-card");

/* [opkey-zero-card]: a selector that gives an all-zero key: 69 88 */
static void zero_card_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	struct harness *h = test->priv;
	u32 n = tv_u32(test, r, "n"), s;

	KUNIT_ASSERT_GE(test, n, 1U);
	both_at(h, "opkey-zero-session", "opkey-zero-prefix", n - 1);
	s = tv_u32(test, r, "selector");
	KUNIT_EXPECT_FALSE(test, smchan_sm_selector_ok(h->sm, s));
	card_case(h, r);
	tv_expect_all_used(test, r);
}

/*
 * The fixtures: each session record sets terminal and card up, and each
 * prefix pair is replayed with every field checked.
 */
static const char * const fixture_sessions[] = {
	"session", "opkey-session", "opkey-zero-session",
};

static void fixture_desc(const char * const *name, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "[%s]", *name);
}

KUNIT_ARRAY_PARAM(fixture, fixture_sessions, fixture_desc);

static void fixture_session_test(struct kunit *test)
{
	const char * const *name = test->param_value;
	const struct smchan_tv_record *r;
	struct harness *h = test->priv;

	r = tv_section(test, NEG, *name)->records;
	tv_track(test, r);
	harness_start(h, r);
	KUNIT_EXPECT_EQ(test, tv_section(test, NEG, *name)->nrecords, 1U);
	tv_expect_all_used(test, r);
}

static void prefix_pair(struct kunit *test, const char *session,
			const char *prefix)
{
	const struct smchan_tv_record *r = tv_param(test);
	const struct smchan_tv_section *pre;
	struct harness *h = test->priv;

	pre = tv_section(test, NEG, prefix);
	both_at(h, session, prefix, r - pre->records);
	harness_pair(h, r);
	tv_text(test, r, "desc");
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(prefix, NEG, "prefix");
SMCHAN_TV_PARAMS(opkey_prefix, NEG, "opkey-prefix");

static void prefix_test(struct kunit *test)
{
	prefix_pair(test, "session", "prefix");
}

static void opkey_prefix_test(struct kunit *test)
{
	prefix_pair(test, "opkey-session", "opkey-prefix");
}

/* Every section is there, with the number of records README.md gives. */
static void negative_counts_test(struct kunit *test)
{
	static const struct {
		const char *section;
		unsigned int n;
	} want[] = {
		{ "card", 62 }, { "terminal", 31 }, { "init", 47 },
		{ "init-terminal", 5 }, { "plain", 32 }, { "opkey-card", 5 },
		{ "fetch", 9 }, { "opkey-zero-prefix", 4 },
		{ "opkey-zero-card", 6 }, { "prefix", 2 }, { "opkey-prefix", 2 },
	};
	const struct smchan_tv_section *sec;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		sec = tv_section(test, NEG, want[i].section);
		KUNIT_EXPECT_EQ_MSG(test, sec->nrecords, want[i].n, "[%s]",
				    want[i].section);
	}
}

static struct kunit_case smchan_negative_cases[] = {
	KUNIT_CASE(negative_counts_test),
	KUNIT_CASE_PARAM(fixture_session_test, fixture_gen_params),
	KUNIT_CASE_PARAM(prefix_test, prefix_gen_params),
	KUNIT_CASE_PARAM(opkey_prefix_test, opkey_prefix_gen_params),
	KUNIT_CASE(state_test),
	KUNIT_CASE_PARAM(card_test, card_gen_params),
	KUNIT_CASE_PARAM(terminal_test, terminal_gen_params),
	KUNIT_CASE_PARAM(init_test, init_gen_params),
	KUNIT_CASE_PARAM(init_terminal_test, init_terminal_gen_params),
	KUNIT_CASE_PARAM(plain_test, plain_gen_params),
	KUNIT_CASE(opkey_state_test),
	KUNIT_CASE_PARAM(opkey_card_test, opkey_card_gen_params),
	KUNIT_CASE(fetch_state_test),
	KUNIT_CASE_PARAM(fetch_test, fetch_gen_params),
	KUNIT_CASE(card_pending_test),
	KUNIT_CASE(card_lost_response_test),
	KUNIT_CASE_PARAM(zero_prefix_test, zero_prefix_gen_params),
	KUNIT_CASE_PARAM(zero_card_test, zero_card_gen_params),
	{}
};

static struct kunit_suite smchan_negative_suite = {
	.name = "smchan_negative",
	.init = harness_init,
	.exit = harness_exit,
	.test_cases = smchan_negative_cases,
};

kunit_test_suite(smchan_negative_suite);
