// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the primitives behind smchan_crypto_*() (crypto.c).
 *
 * The KDF of PROTOCOL.md section 2 against kdf.txt ([kdf], [subkeys],
 * [ratchet]; one case per record, every field checked), and AES, AES-CBC and
 * AES-CMAC against their published examples (FIPS-197 appendix C, SP 800-38A
 * F.2.1, RFC 4493), before and after smchan_crypto_scrub().
 *
 * The transforms are allocated in .init and freed in .exit, which also runs
 * when an assertion aborts a case (6.1 has no kunit_add_action()).
 */

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "../crypto.h"
#include "tv.h"

static int crypto_test_init(struct kunit *test)
{
	struct smchan_crypto *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	test->priv = c;
	return smchan_crypto_init(c);
}

static void crypto_test_exit(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;

	if (c)
		smchan_crypto_free(c);
}

static struct kvec kv(const void *p, size_t len)
{
	return (struct kvec){ .iov_base = (void *)p, .iov_len = len };
}

SMCHAN_TV_PARAMS(kdf, "kdf", "kdf");

/*
 * [kdf]: KDF(key, label, context, L) = output. The vector's fixed_input must
 * be label || 00 || context || [8L]_32 (label_hex being the label's bytes),
 * and output must also be CMAC(key, [i]_32 || fixed_input) for i = 1, 2, ...
 * computed block by block: the KDF is checked both whole and from its
 * definition.
 */
static void kdf_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	const struct smchan_tv_record *r = tv_param(test);
	u32 klen, clen, olen, flen, i;
	const u8 *key = tv_bytes(test, r, "key", &klen);
	const char *label = tv_text(test, r, "label");
	const u8 *context = tv_bytes(test, r, "context", &clen);
	struct kvec ctx = kv(context, clen), msg[2];
	size_t llen = strlen(label);
	u8 *fixed, *out, *blocks;
	__be32 bits, counter;

	/* Arrange */
	olen = tv_u32(test, r, "L");
	KUNIT_ASSERT_GT(test, olen, 0);
	TV_EXPECT_FIELD(test, r, "label_hex", label, llen);
	flen = llen + 1 + clen + sizeof(bits);
	fixed = kunit_kzalloc(test, flen, GFP_KERNEL);
	out = kunit_kzalloc(test, olen, GFP_KERNEL);
	blocks = kunit_kzalloc(test, round_up(olen, SMCHAN_BLOCK), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fixed);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, out);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blocks);
	bits = cpu_to_be32(olen * 8);
	memcpy(fixed, label, llen);
	memcpy(fixed + llen + 1, context, clen);
	memcpy(fixed + llen + 1 + clen, &bits, sizeof(bits));
	TV_EXPECT_FIELD(test, r, "fixed_input", fixed, flen);

	/* Act */
	KUNIT_ASSERT_EQ(test, smchan_crypto_kdf(c, key, klen, label, &ctx, 1,
						out, olen), 0);
	msg[1] = kv(fixed, flen);
	for (i = 0; i * SMCHAN_BLOCK < olen; i++) {
		counter = cpu_to_be32(i + 1);
		msg[0] = kv(&counter, sizeof(counter));
		KUNIT_ASSERT_EQ(test,
				smchan_crypto_cmac(c, key, klen, msg, 2,
						   blocks + i * SMCHAN_BLOCK),
				0);
	}

	/* Assert */
	TV_EXPECT_FIELD(test, r, "output", out, olen);
	TV_EXPECT_FIELD(test, r, "output", blocks, olen);
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(subkeys, "kdf", "subkeys");

/* [subkeys]: ENC(X) = KDF(X, "smchan-enc", "", |X|), MAC(X) likewise. */
static void subkeys_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	const struct smchan_tv_record *r = tv_param(test);
	u8 enc[SMCHAN_KEY_MAX], mac[SMCHAN_KEY_MAX];
	u32 klen;
	const u8 *key = tv_bytes(test, r, "key", &klen);

	/* Arrange */
	KUNIT_ASSERT_TRUE_MSG(test, klen == 16 || klen == 32,
			      "%s.txt:%u: key of %u bytes", r->file, r->line,
			      klen);

	/* Act */
	KUNIT_ASSERT_EQ(test, smchan_crypto_kdf(c, key, klen, "smchan-enc",
						NULL, 0, enc, klen), 0);
	KUNIT_ASSERT_EQ(test, smchan_crypto_kdf(c, key, klen, "smchan-mac",
						NULL, 0, mac, klen), 0);

	/* Assert */
	TV_EXPECT_FIELD(test, r, "enc", enc, klen);
	TV_EXPECT_FIELD(test, r, "mac", mac, klen);
	tv_expect_all_used(test, r);
}

SMCHAN_TV_PARAMS(ratchet, "kdf", "ratchet");

/*
 * [ratchet]: k_next = KDF(k_prev, "smchan-ratchet", k_n || [n]_64, |K|),
 * the context in two pieces as the engine passes it.
 */
static void ratchet_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	const struct smchan_tv_record *r = tv_param(test);
	u8 next[SMCHAN_KEY_MAX];
	u32 klen, nlen;
	const u8 *k_prev = tv_bytes(test, r, "k_prev", &klen);
	const u8 *k_n = tv_bytes(test, r, "k_n", &nlen);
	__be64 n = cpu_to_be64(tv_u64(test, r, "n"));
	struct kvec ctx[2] = { kv(k_n, nlen), kv(&n, sizeof(n)) };

	/* Arrange */
	KUNIT_ASSERT_TRUE_MSG(test, klen == 16 || klen == 32,
			      "%s.txt:%u: key of %u bytes", r->file, r->line,
			      klen);
	KUNIT_ASSERT_EQ(test, nlen, klen);

	/* Act */
	KUNIT_ASSERT_EQ(test, smchan_crypto_kdf(c, k_prev, klen,
						"smchan-ratchet", ctx, 2,
						next, klen), 0);

	/* Assert */
	TV_EXPECT_FIELD(test, r, "k_next", next, klen);
	tv_expect_all_used(test, r);
}

/* RFC 4493 section 4: AES-128 key and the first block of the examples. */
static const u8 rfc4493_key[16] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
};

static const u8 rfc4493_m16[16] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
	0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
};

/* Example 1: the empty message. */
static const u8 rfc4493_t0[16] = {
	0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28,
	0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75, 0x67, 0x46,
};

/* Example 2: rfc4493_m16. */
static const u8 rfc4493_t16[16] = {
	0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
	0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c,
};

static void cmac_rfc4493_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	struct kvec whole = kv(rfc4493_m16, 16);
	struct kvec pieces[3] = {
		kv(rfc4493_m16, 5), kv(rfc4493_m16 + 5, 0),
		kv(rfc4493_m16 + 5, 11),
	};
	u8 mac[16];

	/* Example 2, in one piece and in three. */
	KUNIT_ASSERT_EQ(test, smchan_crypto_cmac(c, rfc4493_key, 16, &whole,
						 1, mac), 0);
	TV_EXPECT_MEMEQ(test, mac, rfc4493_t16, 16);
	memset(mac, 0, sizeof(mac));
	KUNIT_ASSERT_EQ(test, smchan_crypto_cmac(c, rfc4493_key, 16, pieces,
						 3, mac), 0);
	TV_EXPECT_MEMEQ(test, mac, rfc4493_t16, 16);

	/* Example 1: no pieces at all. */
	KUNIT_ASSERT_EQ(test, smchan_crypto_cmac(c, rfc4493_key, 16, NULL, 0,
						 mac), 0);
	TV_EXPECT_MEMEQ(test, mac, rfc4493_t0, 16);
}

/* SP 800-38A F.2.1 CBC-AES128.Encrypt, first block; F.2.2 decrypts it. */
static const u8 sp38a_iv[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static const u8 sp38a_c1[16] = {
	0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
	0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
};

static void cbc_sp800_38a_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	u8 *buf;

	/* Arrange: the buffer goes into a scatterlist, so kmalloc'd. */
	buf = kunit_kmalloc(test, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, rfc4493_m16, 16);

	/* Act, Assert: encrypt, then decrypt back, in place. */
	KUNIT_ASSERT_EQ(test, smchan_crypto_cbc(c, true, rfc4493_key, 16,
						sp38a_iv, buf, 16), 0);
	TV_EXPECT_MEMEQ(test, buf, sp38a_c1, 16);
	KUNIT_ASSERT_EQ(test, smchan_crypto_cbc(c, false, rfc4493_key, 16,
						sp38a_iv, buf, 16), 0);
	TV_EXPECT_MEMEQ(test, buf, rfc4493_m16, 16);

	/* Not a whole number of blocks: refused, the buffer untouched. */
	KUNIT_EXPECT_EQ(test, smchan_crypto_cbc(c, true, rfc4493_key, 16,
						sp38a_iv, buf, 15), -EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_crypto_cbc(c, true, rfc4493_key, 16,
						sp38a_iv, buf, 0), -EINVAL);
	TV_EXPECT_MEMEQ(test, buf, rfc4493_m16, 16);
}

/* FIPS-197 appendix C.1 (AES-128) and C.3 (AES-256). */
static const u8 fips197_key[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const u8 fips197_in[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

static const u8 fips197_out128[16] = {
	0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
	0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a,
};

static const u8 fips197_out256[16] = {
	0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf,
	0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89,
};

static void aes_fips197_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	u8 out[16];

	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(c, fips197_key, 16,
						fips197_in, out), 0);
	TV_EXPECT_MEMEQ(test, out, fips197_out128, 16);
	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(c, fips197_key, 32,
						fips197_in, out), 0);
	TV_EXPECT_MEMEQ(test, out, fips197_out256, 16);

	/* In place. */
	memcpy(out, fips197_in, 16);
	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(c, fips197_key, 16, out, out),
			0);
	TV_EXPECT_MEMEQ(test, out, fips197_out128, 16);
}

/* After a scrub the transforms work again with the next key. */
static void scrub_test(struct kunit *test)
{
	struct smchan_crypto *c = test->priv;
	struct kvec m = kv(rfc4493_m16, 16);
	u8 out[16];

	/* Arrange: leave a key schedule in both transforms. */
	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(c, fips197_key, 32,
						fips197_in, out), 0);
	KUNIT_ASSERT_EQ(test, smchan_crypto_cmac(c, fips197_key, 32, &m, 1,
						 out), 0);

	/* Act */
	KUNIT_ASSERT_EQ(test, smchan_crypto_scrub(c), 0);

	/* Assert: new keys, known answers. */
	KUNIT_ASSERT_EQ(test, smchan_crypto_cmac(c, rfc4493_key, 16, &m, 1,
						 out), 0);
	TV_EXPECT_MEMEQ(test, out, rfc4493_t16, 16);
	KUNIT_ASSERT_EQ(test, smchan_crypto_aes(c, fips197_key, 16,
						fips197_in, out), 0);
	TV_EXPECT_MEMEQ(test, out, fips197_out128, 16);
	KUNIT_EXPECT_EQ(test, smchan_crypto_scrub(c), 0);
	KUNIT_EXPECT_EQ(test, smchan_crypto_scrub(c), 0);
}

/* A bad key length is an error, and the output is wiped, not left over. */
static void bad_key_test(struct kunit *test)
{
	static const u8 zero[16];
	struct smchan_crypto *c = test->priv;
	struct kvec m = kv(rfc4493_m16, 16);
	u8 out[16];

	memset(out, 0xa5, sizeof(out));
	KUNIT_EXPECT_NE(test, smchan_crypto_cmac(c, fips197_key, 17, &m, 1,
						 out), 0);
	TV_EXPECT_MEMEQ(test, out, zero, 16);

	memset(out, 0xa5, sizeof(out));
	KUNIT_EXPECT_NE(test, smchan_crypto_aes(c, fips197_key, 17,
						fips197_in, out), 0);
	TV_EXPECT_MEMEQ(test, out, zero, 16);

	memset(out, 0xa5, sizeof(out));
	KUNIT_EXPECT_NE(test, smchan_crypto_kdf(c, fips197_key, 17,
						"smchan-enc", NULL, 0, out,
						16), 0);
	TV_EXPECT_MEMEQ(test, out, zero, 16);
}

static struct kunit_case smchan_crypto_cases[] = {
	KUNIT_CASE_PARAM(kdf_test, kdf_gen_params),
	KUNIT_CASE_PARAM(subkeys_test, subkeys_gen_params),
	KUNIT_CASE_PARAM(ratchet_test, ratchet_gen_params),
	KUNIT_CASE(cmac_rfc4493_test),
	KUNIT_CASE(cbc_sp800_38a_test),
	KUNIT_CASE(aes_fips197_test),
	KUNIT_CASE(scrub_test),
	KUNIT_CASE(bad_key_test),
	{}
};

static struct kunit_suite smchan_crypto_suite = {
	.name = "smchan_crypto",
	.init = crypto_test_init,
	.exit = crypto_test_exit,
	.test_cases = smchan_crypto_cases,
};

kunit_test_suite(smchan_crypto_suite);
