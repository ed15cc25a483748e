// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: whole sessions. The eight session vector files byte for byte, the
 * patent's own key sequences, 1,000 random commands per mode and suite
 * against the card model, and the wiping of old keys.
 */

#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "harness.h"

static const char label_enc[] = "smchan-enc";
static const char label_mac[] = "smchan-mac";

/* All records of one section name over the eight session files. */
static const void *session_params(const char *section, const void *prev,
				  char *desc)
{
	const struct smchan_tv_record *r = prev;
	unsigned int i, j;
	bool found = !prev;

	for (i = 0; i < smchan_tv_nsections; i++) {
		const struct smchan_tv_section *s = &smchan_tv_sections[i];

		if (strncmp(s->file, "session-", 8) ||
		    strcmp(s->section, section))
			continue;
		for (j = 0; j < s->nrecords; j++) {
			if (found) {
				r = &s->records[j];
				snprintf(desc, KUNIT_PARAM_DESC_SIZE,
					 "%s:%u", r->file, r->line);
				return r;
			}
			found = &s->records[j] == prev;
		}
	}
	return NULL;
}

static const void *init_gen_params(const void *prev, char *desc)
{
	return session_params("session", prev, desc);
}

static const void *pair_gen_params(const void *prev, char *desc)
{
	return session_params("pair", prev, desc);
}

/* Eight files (four modes, two suites), each a session and 13 pairs. */
static void session_files_test(struct kunit *test)
{
	static const char * const modes[] = { "xor", "list", "opkey",
					      "ratchet" };
	const struct smchan_tv_section *s;
	char file[32];
	unsigned int m, k;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		for (k = 128; k <= 256; k += 128) {
			snprintf(file, sizeof(file), "session-%s-aes%u",
				 modes[m], k);
			s = tv_section(test, file, "session");
			KUNIT_EXPECT_EQ(test, s->nrecords, 1U);
			s = tv_section(test, file, "pair");
			KUNIT_EXPECT_EQ(test, s->nrecords, 13U);
		}
	}
}

static void kdf(struct kunit *test, struct smchan_crypto *c, const u8 *key,
		size_t klen, const char *label, u8 *out)
{
	KUNIT_ASSERT_EQ(test, smchan_crypto_kdf(c, key, klen, label, NULL, 0,
						out, klen), 0);
}

static void cmac(struct kunit *test, struct smchan_crypto *c, const u8 *key,
		 size_t klen, const u8 *msg, size_t len, u8 *mac)
{
	struct kvec v = { .iov_base = (void *)msg, .iov_len = len };

	KUNIT_ASSERT_EQ(test, smchan_crypto_cmac(c, key, klen, &v, 1, mac), 0);
}

/* [session]: the initialisation, every intermediate value recomputed. */
static void session_init_test(struct kunit *test)
{
	const struct smchan_tv_record *s = tv_param(test);
	struct harness *h = test->priv;
	u8 enc[SMCHAN_KEY_MAX], mac[SMCHAN_KEY_MAX], b[SMCHAN_BLOCK];
	const u8 *mkey, *rc, *rt, *kb, *ct, *tti, *apdu, *k1;
	u32 klen, kblen, ctlen, ttilen, alen, hdr, n;
	u8 *buf;

	/* Arrange, act: the whole exchange; harness_start() checks it. */
	harness_start(h, s);

	/* Assert: each value of the record from the ones before it. */
	mkey = tv_bytes(test, s, "mkey", &klen);
	rc = tv_bytes_len(test, s, "rc", SMCHAN_CHALLENGE_LEN);
	rt = tv_bytes_len(test, s, "rt", SMCHAN_CHALLENGE_LEN);
	KUNIT_EXPECT_STREQ(test, tv_text(test, s, "suite_name"),
			   klen == 16 ? "aes128" : "aes256");
	TV_EXPECT_FIELD(test, s, "get_challenge", smchan_get_challenge, 5);
	buf = kunit_kzalloc(test, 2048, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, rc, SMCHAN_CHALLENGE_LEN);
	put_unaligned_be16(SMCHAN_SW_OK, buf + SMCHAN_CHALLENGE_LEN);
	TV_EXPECT_FIELD(test, s, "get_challenge_response", buf,
			SMCHAN_CHALLENGE_LEN + 2);

	kdf(test, &h->crypto, mkey, klen, label_enc, enc);
	kdf(test, &h->crypto, mkey, klen, label_mac, mac);
	TV_EXPECT_FIELD(test, s, "enc_mkey", enc, klen);
	TV_EXPECT_FIELD(test, s, "mac_mkey", mac, klen);

	/* key_block = [N]_8 || the keys of the record */
	n = tv_has(s, "g00") ? tv_u32(test, s, "N") : 2;
	if (!tv_has(s, "g00"))
		KUNIT_EXPECT_EQ(test, tv_u32(test, s, "N"), 2U);
	kb = tv_bytes(test, s, "key_block", &kblen);
	KUNIT_ASSERT_EQ(test, kblen, 1 + n * klen);
	KUNIT_EXPECT_EQ(test, kb[0], n);
	k1 = tv_has(s, "g00") ? tv_bytes(test, s, "g00", &alen) :
				tv_bytes(test, s, "k1", &alen);
	KUNIT_EXPECT_EQ(test, memcmp(kb + 1 + (tv_has(s, "g00") ? 0 : klen),
				     k1, klen), 0);

	/* CT = CBC(ENC(MKEY), RT, pad(KB)) */
	memcpy(buf, kb, kblen);
	buf[kblen] = 0x80;
	ctlen = (kblen / 16 + 1) * 16;
	KUNIT_ASSERT_EQ(test, smchan_crypto_cbc(&h->crypto, true, enc, klen,
						rt, buf, ctlen), 0);
	TV_EXPECT_FIELD(test, s, "ct", buf, ctlen);
	ct = tv_bytes(test, s, "ct", &ctlen);

	/* TT over B(3,0) || 80 8A P1 P2 || RC || RT || CT, at the APDU's end */
	apdu = tv_bytes(test, s, "init_apdu", &alen);
	hdr = apdu[4] ? 5 : 7;
	KUNIT_ASSERT_EQ(test, alen, hdr + 32 + ctlen + (hdr == 5 ? 1 : 2));
	KUNIT_EXPECT_EQ(test, memcmp(apdu + hdr, rt, 16), 0);
	KUNIT_EXPECT_EQ(test, memcmp(apdu + hdr + 16, ct, ctlen), 0);
	counter_block_for_test(b, 3, 0);
	memcpy(buf, b, 16);
	memcpy(buf + 16, apdu, 4);
	memcpy(buf + 20, rc, 16);
	memcpy(buf + 36, rt, 16);
	memcpy(buf + 52, ct, ctlen);
	TV_EXPECT_FIELD(test, s, "tt_input", buf, 52 + ctlen);
	tti = tv_bytes(test, s, "tt_input", &ttilen);
	cmac(test, &h->crypto, mac, klen, tti, ttilen, b);
	TV_EXPECT_FIELD(test, s, "tt", b, 16);
	KUNIT_EXPECT_EQ(test, memcmp(apdu + hdr + 16 + ctlen, b, 16), 0);

	/* CC = CMAC(MAC(K_1), B(3,1) || RT || RC) */
	kdf(test, &h->crypto, k1, klen, label_mac, mac);
	counter_block_for_test(buf, 3, 1);
	memcpy(buf + 16, rt, 16);
	memcpy(buf + 32, rc, 16);
	cmac(test, &h->crypto, mac, klen, buf, 48, b);
	TV_EXPECT_FIELD(test, s, "cc", b, 16);
	if (tv_has(s, "g00")) {
		char name[4];
		u32 i;

		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "g%02u", i);
			TV_EXPECT_FIELD(test, s, name, kb + 1 + i * klen,
					klen);
		}
	} else {
		TV_EXPECT_FIELD(test, s, "k0", kb + 1, klen);
	}
	memzero_explicit(enc, sizeof(enc));
	memzero_explicit(mac, sizeof(mac));
	tv_expect_all_used(test, s);
}

/* The [session] record of @p's file, then pairs 1 .. n-1 of it. */
static void replay_to(struct harness *h, const struct smchan_tv_record *p)
{
	const struct smchan_tv_section *pairs;
	unsigned int i;

	harness_start(h, tv_section(h->test, p->file, "session")->records);
	pairs = tv_section(h->test, p->file, "pair");
	for (i = 0; i < pairs->nrecords && &pairs->records[i] != p; i++)
		harness_pair(h, &pairs->records[i]);
	KUNIT_ASSERT_LT(h->test, i, pairs->nrecords);
}

/* [pair]: one pair, every intermediate value recomputed. */
static void session_pair_test(struct kunit *test)
{
	const struct smchan_tv_record *p = tv_param(test);
	struct harness *h = test->priv;
	u8 enc[SMCHAN_KEY_MAX], mac[SMCHAN_KEY_MAX], b[SMCHAN_BLOCK];
	const u8 *k_n, *pa, *pr, *dp, *data;
	u32 klen, palen, prlen, dplen, n, mlen;
	struct smchan_apdu prot, plain;
	bool sel;
	u8 *buf;
	int ret;

	/* Arrange */
	replay_to(h, p);
	sel = h->sm->mode == SMCHAN_MODE_LIST ||
	      h->sm->mode == SMCHAN_MODE_OPKEY;
	n = tv_u32(test, p, "n");
	k_n = tv_bytes(test, p, "k_n", &klen);

	/* Act */
	harness_pair(h, p);

	/* Assert: the record's intermediate values. */
	tv_text(test, p, "desc");
	kdf(test, &h->crypto, k_n, klen, label_enc, enc);
	kdf(test, &h->crypto, k_n, klen, label_mac, mac);
	TV_EXPECT_FIELD(test, p, "enc_k", enc, klen);
	TV_EXPECT_FIELD(test, p, "mac_k", mac, klen);
	buf = kunit_kzalloc(test, SMCHAN_PROT_APDU_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);

	if (!sel) {
		/* The update rule, from K_{n-1}, K_n to K_{n+1} */
		const u8 *kp = tv_bytes_len(test, p, "k_prev", klen);
		struct kvec ctx[2] = {
			{ .iov_base = (void *)k_n, .iov_len = klen },
			{ .iov_base = b, .iov_len = 8 },
		};
		unsigned int i;

		if (h->sm->mode == SMCHAN_MODE_XOR) {
			for (i = 0; i < klen; i++)
				buf[i] = kp[i] ^ k_n[i];
		} else {
			put_unaligned_be64(n, b);
			ret = smchan_crypto_kdf(&h->crypto, kp, klen,
						"smchan-ratchet", ctx, 2, buf,
						klen);
			KUNIT_ASSERT_EQ(test, ret, 0);
		}
		TV_EXPECT_FIELD(test, p, "k_next", buf, klen);
	}

	/* D' = [s_n] || Data, the IV, and DO87 decrypting to pad(D') */
	pa = tv_bytes(test, p, "plain_apdu", &palen);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&plain, pa, palen), 0);
	if (sel)
		buf[0] = tv_u32(test, p, "selector");
	if (plain.nc)
		memcpy(buf + sel, plain.data, plain.nc);
	TV_EXPECT_FIELD(test, p, "cmd_dprime", buf, plain.nc + sel);
	dp = tv_bytes(test, p, "cmd_dprime", &dplen);
	counter_block_for_test(b, 1, n);
	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(&h->crypto, enc, klen, b, b),
			0);
	TV_EXPECT_FIELD(test, p, "cmd_iv", b, 16);

	pa = tv_bytes(test, p, "protected_apdu", &palen);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&prot, pa, palen), 0);
	data = prot.data;
	if (dplen) {
		u32 clen = (dplen / 16 + 1) * 16, off = clen + 1 >= 128 ?
			   (clen + 1 >= 256 ? 5 : 4) : 3;

		KUNIT_ASSERT_EQ(test, data[0], 0x87);
		memcpy(buf, data + off, clen);
		KUNIT_ASSERT_EQ(test, smchan_crypto_cbc(&h->crypto, false, enc,
							klen, b, buf, clen), 0);
		KUNIT_EXPECT_EQ(test, memcmp(buf, dp, dplen), 0);
		KUNIT_EXPECT_EQ(test, buf[dplen], 0x80);
	}

	/* The command MAC: B(1,n) || CLA' INS P1 P2 || body before DO8E */
	counter_block_for_test(buf, 1, n);
	memcpy(buf + 16, pa, 4);
	memcpy(buf + 20, data, prot.nc - 10);
	TV_EXPECT_FIELD(test, p, "cmd_mac_input", buf, 20 + prot.nc - 10);
	cmac(test, &h->crypto, mac, klen, buf, 20 + prot.nc - 10, b);
	TV_EXPECT_FIELD(test, p, "cmd_mac", b, 8);
	KUNIT_EXPECT_EQ(test, memcmp(data + prot.nc - 8, b, 8), 0);

	/* The response: IV, MAC over B(2,n) || DO87 || DO99 */
	counter_block_for_test(b, 2, n);
	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(&h->crypto, enc, klen, b, b),
			0);
	TV_EXPECT_FIELD(test, p, "rsp_iv", b, 16);
	pr = tv_bytes(test, p, "protected_response", &prlen);
	mlen = prlen - 12;
	counter_block_for_test(buf, 2, n);
	memcpy(buf + 16, pr, mlen);
	TV_EXPECT_FIELD(test, p, "rsp_mac_input", buf, 16 + mlen);
	cmac(test, &h->crypto, mac, klen, buf, 16 + mlen, b);
	TV_EXPECT_FIELD(test, p, "rsp_mac", b, 8);
	KUNIT_EXPECT_EQ(test, memcmp(pr + mlen + 2, b, 8), 0);

	/* A short command whose protected response exceeds 256 bytes */
	if (!prot.extended && prlen > 258)
		KUNIT_EXPECT_GT(test, h->pieces, 1U);
	else
		KUNIT_EXPECT_EQ(test, h->pieces, 1U);

	memzero_explicit(enc, sizeof(enc));
	memzero_explicit(mac, sizeof(mac));
	tv_expect_all_used(test, p);
}

/*
 * The patent's embodiments: install its keys, run pairs with its selectors
 * through terminal and card, and compare the keys each side moves to.
 */
static void patent_run(struct kunit *test, const struct smchan_tv_record *r,
		       enum smchan_mode mode, const char *prefix)
{
	static const u8 select_mf[] = { 0x00, 0xa4, 0x00, 0x0c };
	struct harness *h = test->priv;
	unsigned int i, n = 2, klen;
	struct smchan_apdu plain;
	u8 mkey[SMCHAN_KEY_MAX], rt[16], *keys;
	char name[8];

	klen = strcmp(tv_text(test, r, "suite_name"), "aes128") ? 32 : 16;
	if (mode != SMCHAN_MODE_XOR)
		n = tv_u32(test, r, "N");
	keys = kunit_kzalloc(test, n * klen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, keys);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), mode == SMCHAN_MODE_XOR ? "%s%u" :
			 "%s%02u", prefix, i);
		memcpy(keys + i * klen, tv_bytes_len(test, r, name, klen),
		       klen);
	}

	get_random_bytes(mkey, sizeof(mkey));
	get_random_bytes(rt, sizeof(rt));
	KUNIT_ASSERT_EQ(test, card_model_init(&h->card, mkey, klen,
					      card_exec_reference, h), 0);
	KUNIT_ASSERT_EQ(test, smchan_init_load(&h->ini, mode, klen, n, rt,
					       keys), 0);
	harness_establish(h, mkey, klen);
	memzero_explicit(mkey, sizeof(mkey));

	TV_EXPECT_FIELD(test, r, "k1", h->sm->k, klen);
	smchan_apdu_parse(&plain, select_mf, sizeof(select_mf));
	for (i = 1; ; i++) {
		u8 s = 0;

		snprintf(name, sizeof(name), "k%u", i + 1);
		if (!tv_has(r, name))
			break;

		if (mode != SMCHAN_MODE_XOR) {
			snprintf(name, sizeof(name), "s%u", i);
			s = tv_u32(test, r, name);
		}
		KUNIT_ASSERT_EQ(test, harness_roundtrip(h, &plain, s), 2);
		snprintf(name, sizeof(name), "k%u", i + 1);
		TV_EXPECT_FIELD(test, r, name, h->sm->k, klen);
		TV_EXPECT_FIELD(test, r, name, h->card.sm->k, klen);
	}
	KUNIT_EXPECT_GE(test, i, 4U);
	kunit_kfree(test, keys);
}

SMCHAN_TV_PARAMS(xor_patent, "patent", "embodiment1");
SMCHAN_TV_PARAMS(list_patent, "patent", "embodiment2");
SMCHAN_TV_PARAMS(opkey_patent, "patent", "embodiment3");

/* Embodiment 1: K_{n+1} = K_{n-1} XOR K_n repeats with period 3. */
static void patent_xor_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);
	u32 klen;
	const u8 *k0 = tv_bytes(test, r, "k0", &klen);

	patent_run(test, r, SMCHAN_MODE_XOR, "k");
	/* The weakness, asserted: K3 = K0, K4 = K1, K5 = K2, K6 = K0. */
	KUNIT_EXPECT_EQ(test, memcmp(tv_bytes_len(test, r, "k3", klen), k0,
				     klen), 0);
	KUNIT_EXPECT_EQ(test, memcmp(tv_bytes_len(test, r, "k4", klen),
				     tv_bytes_len(test, r, "k1", klen), klen),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(tv_bytes_len(test, r, "k5", klen),
				     tv_bytes_len(test, r, "k2", klen), klen),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(tv_bytes_len(test, r, "k6", klen), k0,
				     klen), 0);
	tv_expect_all_used(test, r);
}

/* Embodiment 2: K_{n+1} = G[s_n]. */
static void patent_list_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);

	patent_run(test, r, SMCHAN_MODE_LIST, "g");
	tv_expect_all_used(test, r);
}

/* Embodiment 3: XOR, AND, then XOR of two operation keys. */
static void patent_opkey_test(struct kunit *test)
{
	const struct smchan_tv_record *r = tv_param(test);

	patent_run(test, r, SMCHAN_MODE_OPKEY, "e");
	tv_expect_all_used(test, r);
}

/*
 * Random sessions: per mode and suite, 1,000 commands of random class,
 * header, data and Ne, answered by an application that echoes a function
 * of the command with a random status word; after every pair both sides
 * hold the same n and keys, the terminal returns exactly what the
 * application answered, and the old K_n is gone.
 */
struct random_app {
	u8 *r;
	size_t rlen;
	u16 sw;
	u32 commands;
};

static size_t exec_random(struct card_model *c, const struct smchan_apdu *cmd,
			  u8 *r, u16 *sw)
{
	static const u16 sws[] = { 0x9000, 0x6a82, 0x6b00, 0x6282, 0x6d00,
				   0x6982, 0x9000, 0x9000 };
	struct harness *h = c->priv;
	struct random_app *app = h->app;
	size_t i, len;

	len = get_random_u32_below(8) ? get_random_u32_below(300) :
	      get_random_u32_below(SMCHAN_RDATA_MAX + 1);
	for (i = 0; i < len; i++)
		r[i] = (cmd->nc ? cmd->data[i % cmd->nc] : cmd->ins) ^ i;
	*sw = sws[get_random_u32_below(ARRAY_SIZE(sws))];
	app->rlen = min3(len, (size_t)cmd->ne, (size_t)SMCHAN_RDATA_MAX);
	memcpy(app->r, r, app->rlen);
	app->sw = *sw;
	app->commands++;
	return len;
}

struct random_case {
	enum smchan_mode mode;
	unsigned int klen;
};

static const struct random_case random_cases[] = {
	{ SMCHAN_MODE_XOR, 16 }, { SMCHAN_MODE_XOR, 32 },
	{ SMCHAN_MODE_LIST, 16 }, { SMCHAN_MODE_LIST, 32 },
	{ SMCHAN_MODE_OPKEY, 16 }, { SMCHAN_MODE_OPKEY, 32 },
	{ SMCHAN_MODE_RATCHET, 16 }, { SMCHAN_MODE_RATCHET, 32 },
};

static void random_desc(const struct random_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s aes%u",
		 smchan_mode_name(c->mode), c->klen * 8);
}

KUNIT_ARRAY_PARAM(random, random_cases, random_desc);

static const u8 plain_classes[] = { 0x00, 0x01, 0x02, 0x03, 0x10, 0x13,
				    0x80, 0x83, 0x90, 0x93 };

static u32 random_len(u32 max)
{
	switch (get_random_u32_below(16)) {
	case 0:
		return 0;
	case 1:
		return max;
	case 2:
		return get_random_u32_below(max + 1);
	default:
		return get_random_u32_below(min_t(u32, max, 300) + 1);
	}
}

static void random_session_test(struct kunit *test)
{
	const struct random_case *rc = test->param_value;
	struct harness *h = test->priv;
	struct random_app app = {};
	u8 mkey[SMCHAN_KEY_MAX], old[SMCHAN_KEY_MAX], s;
	struct smchan_apdu plain = {};
	unsigned int i, group = 2 + get_random_u32_below(31);
	u8 *data;
	int len;

	/* Arrange */
	data = kunit_kmalloc(test, SMCHAN_DPRIME_MAX, GFP_KERNEL);
	app.r = kunit_kmalloc(test, SMCHAN_RDATA_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, app.r);
	h->app = &app;
	get_random_bytes(mkey, rc->klen);
	KUNIT_ASSERT_EQ(test, card_model_init(&h->card, mkey, rc->klen,
					      exec_random, h), 0);
	KUNIT_ASSERT_EQ(test, smchan_init_prepare(&h->ini, rc->mode, rc->klen,
						  group), 0);
	harness_establish(h, mkey, rc->klen);
	memzero_explicit(mkey, sizeof(mkey));

	for (i = 0; i < 1000; i++) {
		bool sel = h->sm->mode == SMCHAN_MODE_LIST ||
			   h->sm->mode == SMCHAN_MODE_OPKEY;

		/* Arrange: a random plain command */
		plain.cla = plain_classes[get_random_u32_below(10)];
		plain.ins = get_random_u32();
		plain.p1 = get_random_u32();
		plain.p2 = get_random_u32();
		plain.nc = random_len(SMCHAN_DPRIME_MAX - sel);
		get_random_bytes(data, plain.nc);
		plain.data = plain.nc ? data : NULL;
		plain.ne = random_len(65536);
		KUNIT_ASSERT_EQ(test, smchan_sm_draw_selector(h->sm, &s), 0);
		memcpy(old, h->sm->k, sizeof(old));

		/* Act */
		len = harness_roundtrip(h, &plain, s);

		/* Assert */
		KUNIT_ASSERT_EQ_MSG(test, len, (int)app.rlen + 2,
				    "command %u", i);
		KUNIT_EXPECT_EQ(test, memcmp(h->out, app.r, app.rlen), 0);
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(h->out + app.rlen),
				app.sw);
		KUNIT_ASSERT_TRUE(test, h->sm->established);
		KUNIT_ASSERT_TRUE(test, h->card.sm->established);
		KUNIT_ASSERT_EQ(test, h->sm->n, (u64)i + 2);
		KUNIT_ASSERT_EQ(test, h->card.sm->n, h->sm->n);
		KUNIT_ASSERT_EQ(test, memcmp(h->sm->k, h->card.sm->k,
					     rc->klen), 0);
		KUNIT_ASSERT_EQ(test, memcmp(h->sm->k_next, h->card.sm->k_next,
					     rc->klen), 0);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(h->sm->enc, 0, 32) &&
				  !memchr_inv(h->sm->mac, 0, 32));
		/* xor and ratchet hold no key that protected traffic */
		if (!sel) {
			KUNIT_EXPECT_NE(test, memcmp(h->sm->k, old, rc->klen),
					0);
			KUNIT_EXPECT_NE(test, memcmp(h->sm->k_next, old,
						     rc->klen), 0);
		}
	}
	KUNIT_EXPECT_EQ(test, app.commands, 1000U);
	memzero_explicit(old, sizeof(old));
	h->app = NULL;
}

/* Ending a session, or a failed check, leaves no key behind. */
static void wipe_on_end_test(struct kunit *test)
{
	const struct smchan_tv_record *s;
	struct harness *h = test->priv;
	int len;

	s = tv_section(test, "session-list-aes256", "session")->records;
	harness_start(h, s);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(&h->ini, 0, sizeof(h->ini)));
	KUNIT_ASSERT_FALSE(test, harness_sm_wiped(h->sm));

	/* Act: a response with a wrong MAC ends the terminal's session */
	harness_pair(h, tv_section(test, s->file, "pair")->records);
	len = smchan_sm_protect_command(h->sm, &(struct smchan_apdu){
					.cla = 0, .ins = 0xb0, .ne = 16 }, 1,
					h->cmd, SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(test, len, 0);
	len = harness_transmit(h, h->cmd, len);
	h->rsp[len - 3] ^= 1;
	memset(h->out, 0, 512);
	KUNIT_EXPECT_EQ(test, smchan_sm_unprotect_response(h->sm, h->rsp, len,
							   h->out, 512),
			-EBADMSG);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));
	KUNIT_EXPECT_EQ(test, h->sm->end_reason, SMCHAN_END_VERIFY);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(h->out, 0, 512));

	/* The card's session ends on the next unprotected command */
	KUNIT_ASSERT_FALSE(test, harness_sm_wiped(h->card.sm));
	harness_transmit(h, smchan_get_challenge, 5);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->card.sm));
}

/* The rekey limit ends the session after that many pairs. */
static void rekey_limit_test(struct kunit *test)
{
	const struct smchan_tv_record *s, *p3;
	struct harness *h = test->priv;
	const struct smchan_tv_section *pairs;
	struct smchan_apdu plain;
	const u8 *apdu;
	u32 alen;
	int len;

	s = tv_section(test, "session-ratchet-aes128", "session")->records;
	pairs = tv_section(test, s->file, "pair");
	h->sm->rekey_limit = 3;
	harness_start(h, s);
	harness_pair(h, &pairs->records[0]);
	harness_pair(h, &pairs->records[1]);
	KUNIT_EXPECT_TRUE(test, h->sm->established);

	/* Act: pair 3 completes, and with it the session */
	p3 = &pairs->records[2];
	apdu = tv_bytes(test, p3, "plain_apdu", &alen);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&plain, apdu, alen), 0);
	h->expect = p3;
	len = harness_roundtrip(h, &plain, 0);
	h->expect = NULL;

	/* Assert: the response is delivered, then nothing is left */
	KUNIT_ASSERT_GT(test, len, 0);
	TV_EXPECT_FIELD(test, p3, "plain_response", h->out, len);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));
	KUNIT_EXPECT_EQ(test, h->sm->end_reason, SMCHAN_END_LIMIT);
	len = smchan_sm_protect_command(h->sm, &plain, 0, h->cmd,
					SMCHAN_PROT_APDU_MAX);
	KUNIT_EXPECT_EQ(test, len, -ENOTCONN);
}

static int protect(struct harness *h, const struct smchan_apdu *a, u8 s,
		   size_t size)
{
	return smchan_sm_protect_command(h->sm, a, s, h->cmd, size);
}

/* The terminal refuses what it must not send; the session goes on. */
static void refuse_command_test(struct kunit *test)
{
	const size_t max = SMCHAN_PROT_APDU_MAX;
	const struct smchan_tv_record *s;
	struct harness *h = test->priv;
	struct smchan_apdu a = { .cla = 0x00, .ins = 0xd6 };
	u8 *data;

	s = tv_section(test, "session-opkey-aes128", "session")->records;
	harness_start(h, s);
	data = kunit_kzalloc(test, 65535, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	a.data = data;

	a.nc = SMCHAN_DPRIME_MAX;	/* + the selector: one too many */
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, max), -EMSGSIZE);
	a.nc = SMCHAN_DPRIME_MAX - 1;
	a.cla = 0x0c;
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, max), -EINVAL);
	a.cla = 0x40;
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, max), -EINVAL);
	a.cla = 0x00;
	a.ne = 65537;
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, max), -EINVAL);
	a.ne = 0;
	KUNIT_EXPECT_EQ(test, protect(h, &a, 18, max), -ERANGE);
	/* s_1 = 0 would make K_2 = K_1 XOR E[0] = 0 */
	KUNIT_EXPECT_EQ(test, protect(h, &a, 0, max), -ERANGE);
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, 100), -EMSGSIZE);
	KUNIT_EXPECT_TRUE(test, h->sm->established);
	KUNIT_EXPECT_FALSE(test, h->sm->pending);

	/* The largest command goes through and the session goes on. */
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, max), max - 4);
	KUNIT_EXPECT_EQ(test, protect(h, &a, 11, max), -EBUSY);
	KUNIT_EXPECT_TRUE(test, h->sm->established);
}

/* 61 xx reassembly: pieces, the GET RESPONSE to send, and the limits. */
static void chain_feed_test(struct kunit *test)
{
	static const u8 p1[] = { 1, 2, 3, 0x61, 0x00 };
	static const u8 p2[] = { 4, 5, 0x61, 0x02 };
	static const u8 p3[] = { 6, 7, 0x90, 0x00 };
	static const u8 whole[] = { 1, 2, 3, 4, 5, 6, 7, 0x90, 0x00 };
	u8 buf[16], gr[5];
	struct smchan_chain ch = { .buf = buf, .size = sizeof(buf) };

	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p1, sizeof(p1), gr), 1);
	KUNIT_EXPECT_EQ(test, memcmp(gr, "\x00\xc0\x00\x00\x00", 5), 0);
	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p2, sizeof(p2), gr), 1);
	KUNIT_EXPECT_EQ(test, gr[4], 0x02);
	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p3, sizeof(p3), gr), 0);
	KUNIT_ASSERT_EQ(test, ch.len, sizeof(whole));
	KUNIT_EXPECT_EQ(test, memcmp(buf, whole, sizeof(whole)), 0);

	/* A bare status word is a whole answer; a truncated one is not. */
	ch.len = 0;
	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p3 + 2, 2, gr), 0);
	KUNIT_EXPECT_EQ(test, ch.len, 2UL);
	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p3, 1, gr), -EPROTO);
	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p3, 0, gr), -EPROTO);

	/* More than the buffer holds */
	ch.len = sizeof(buf) - 2;
	KUNIT_EXPECT_EQ(test, smchan_chain_feed(&ch, p1, sizeof(p1), gr),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, ch.len, sizeof(buf) - 2);
}

/*
 * The key group is held only by list and opkey sessions, at its size
 * (N x key length), and goes with the session: a channel in xor or
 * ratchet carries none (Documentation/performance.rst, "Scale").
 */
static const u8 group_mkey[16] = { 0x3c, 0x11, 0x9a, 0x04, 0x6e, 0xd2, 0x57,
				   0x80, 0x2b, 0xf3, 0x48, 0xc5, 0x19, 0x7d,
				   0xa6, 0x0e };

static void group_card(struct harness *h)
{
	KUNIT_ASSERT_EQ(h->test, card_model_init(&h->card, group_mkey,
						 sizeof(group_mkey),
						 card_exec_reference, h), 0);
}

/* A session in @mode with N = @n and AES-128, then SELECT MF in it. */
static void group_session(struct harness *h, enum smchan_mode mode,
			  unsigned int n)
{
	struct smchan_apdu plain = { .ins = 0xa4, .p2 = 0x0c };
	u8 s;

	KUNIT_ASSERT_EQ(h->test, smchan_init_prepare(&h->ini, mode, 16, n), 0);
	harness_establish(h, group_mkey, sizeof(group_mkey));
	KUNIT_ASSERT_EQ(h->test, smchan_sm_draw_selector(h->sm, &s), 0);
	KUNIT_ASSERT_EQ(h->test, harness_roundtrip(h, &plain, s), 2);
	KUNIT_EXPECT_EQ(h->test, get_unaligned_be16(h->out), SMCHAN_SW_OK);
	KUNIT_ASSERT_TRUE(h->test, h->sm->established);
}

static void expect_group(struct kunit *test, struct smchan_sm *sm,
			 unsigned int n)
{
	KUNIT_ASSERT_NOT_NULL(test, sm->group);
	KUNIT_EXPECT_GE(test, ksize(sm->group), (size_t)n * sm->klen);
	KUNIT_EXPECT_LE(test, ksize(sm->group),
			roundup_pow_of_two(n * sm->klen));
}

static void group_test(struct kunit *test)
{
	struct harness *h = test->priv;
	unsigned int n;

	group_card(h);

	/* Act, assert: none in xor and ratchet, on either side */
	group_session(h, SMCHAN_MODE_RATCHET, 0);
	KUNIT_EXPECT_NULL(test, h->sm->group);
	KUNIT_EXPECT_NULL(test, h->card.sm->group);
	group_session(h, SMCHAN_MODE_XOR, 0);
	KUNIT_EXPECT_NULL(test, h->sm->group);
	KUNIT_EXPECT_NULL(test, h->card.sm->group);

	/* list and opkey: N keys, the same on both sides */
	for (n = SMCHAN_GROUP_MIN; n <= SMCHAN_GROUP_MAX; n += 15) {
		group_session(h, n & 1 ? SMCHAN_MODE_OPKEY : SMCHAN_MODE_LIST,
			      n);
		expect_group(test, h->sm, n);
		expect_group(test, h->card.sm, n);
		KUNIT_EXPECT_EQ(test, memcmp(h->sm->group, h->card.sm->group,
					     n * 16), 0);
	}

	/* Back to ratchet: the new session drops the group */
	group_session(h, SMCHAN_MODE_RATCHET, 0);
	KUNIT_EXPECT_NULL(test, h->sm->group);
	KUNIT_EXPECT_NULL(test, h->card.sm->group);

	/* and so does any end of a list session */
	group_session(h, SMCHAN_MODE_LIST, 18);
	expect_group(test, h->sm, 18);
	smchan_sm_end(h->sm, SMCHAN_END_LOCAL);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));
	KUNIT_EXPECT_EQ(test, h->sm->end_reason, SMCHAN_END_LOCAL);
}

/* GET CHALLENGE and INITIALIZE SESSION: the length of the card's answer. */
static int group_init(struct harness *h, enum smchan_mode mode,
		      unsigned int n)
{
	int len;

	KUNIT_ASSERT_EQ(h->test, smchan_init_prepare(&h->ini, mode, 16, n), 0);
	len = harness_transmit(h, smchan_get_challenge,
			       sizeof(smchan_get_challenge));
	len = smchan_init_command(h->sm, &h->ini, group_mkey,
				  sizeof(group_mkey), h->rsp, len, h->cmd,
				  SMCHAN_PROT_APDU_MAX);
	KUNIT_ASSERT_GT(h->test, len, 0);
	return harness_transmit(h, h->cmd, len);
}

/*
 * No memory for the group: the session set-up fails with -ENOMEM on the
 * terminal (the card's 6F 00 on the card), nothing is left half set up,
 * and the next set-up works.
 */
static void group_nomem_test(struct kunit *test)
{
	const struct smchan_apdu select_mf = { .ins = 0xa4, .p2 = 0x0c };
	struct harness *h = test->priv;
	int len;

	group_card(h);
	group_session(h, SMCHAN_MODE_LIST, 4);

	/* Act: the terminal's allocation fails */
	h->sm->fail_group_alloc = true;
	len = group_init(h, SMCHAN_MODE_OPKEY, 5);

	/* Assert */
	KUNIT_EXPECT_EQ(test, smchan_init_complete(h->sm, &h->ini, h->rsp,
						   len), -ENOMEM);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(&h->ini, 0, sizeof(h->ini)));
	len = smchan_sm_protect_command(h->sm, &select_mf, 0, h->cmd,
					SMCHAN_PROT_APDU_MAX);
	KUNIT_EXPECT_EQ(test, len, -ENOTCONN);

	/* Act: the card's allocation fails */
	h->card.sm->fail_group_alloc = true;
	len = group_init(h, SMCHAN_MODE_LIST, 6);

	/* Assert: the card refused, and kept nothing */
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(h->rsp), 0x6f00);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->card.sm));
	KUNIT_EXPECT_EQ(test, smchan_init_complete(h->sm, &h->ini, h->rsp,
						   len), -ECONNRESET);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(h->sm));

	/* The next set-up allocates again */
	group_session(h, SMCHAN_MODE_OPKEY, 5);
	expect_group(test, h->sm, 5);
	expect_group(test, h->card.sm, 5);
}

static struct kunit_case smchan_session_cases[] = {
	KUNIT_CASE(chain_feed_test),
	KUNIT_CASE(session_files_test),
	KUNIT_CASE_PARAM(session_init_test, init_gen_params),
	KUNIT_CASE_PARAM(session_pair_test, pair_gen_params),
	KUNIT_CASE_PARAM(patent_xor_test, xor_patent_gen_params),
	KUNIT_CASE_PARAM(patent_list_test, list_patent_gen_params),
	KUNIT_CASE_PARAM(patent_opkey_test, opkey_patent_gen_params),
	KUNIT_CASE_PARAM(random_session_test, random_gen_params),
	KUNIT_CASE(wipe_on_end_test),
	KUNIT_CASE(rekey_limit_test),
	KUNIT_CASE(refuse_command_test),
	KUNIT_CASE(group_test),
	KUNIT_CASE(group_nomem_test),
	{}
};

static struct kunit_suite smchan_session_suite = {
	.name = "smchan_session",
	.init = harness_init,
	.exit = harness_exit,
	.test_cases = smchan_session_cases,
};

kunit_test_suite(smchan_session_suite);
