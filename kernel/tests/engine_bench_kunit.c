// SPDX-License-Identifier: GPL-2.0
/*
 * smchan_bench.ko: what the engine costs, in the kernel (issue 12, items 4
 * and 5). Opt-in: a module of its own, so that the default KUnit run
 * (smchan_kunit.ko, make check-quick) never carries it; tests/bench/
 * engine.sh loads it (SMCHAN_MODS=smchan,smchan_bench).
 *
 * It reports and never asserts on a figure: one "engine" line per mode and
 * size (engine_bench.h, the same code as tests/fuzz/engine-bench.c over
 * OpenSSL) and one "mem" line per allocation of a session. A case fails
 * only when the engine itself fails.
 */

#include <crypto/hash.h>
#include <crypto/internal/cipher.h>
#include <crypto/internal/hash.h>
#include <crypto/skcipher.h>
#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "../channel.h"

static u64 eb_now_ns(void)
{
	return ktime_get_ns();
}

#include "engine_bench.h"

/* Commands per batch; EB_BATCHES batches per case. */
#define EB_N	200

static void engine_mode_test(struct kunit *test, enum smchan_mode mode)
{
	struct eb_case r;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(eb_sizes); i++) {
		ret = eb_case(mode, eb_sizes[i], EB_N, &r);
		if (ret) {
			KUNIT_FAIL(test, "%s, %u bytes: the engine failed: %d",
				   smchan_mode_name(mode), eb_sizes[i], ret);
			return;
		}
		kunit_info(test,
			   "engine side=kernel mode=%s size=%u term_ns=%llu term_min_ns=%llu card_ns=%llu n=%u\n",
			   smchan_mode_name(mode), eb_sizes[i], r.term_med,
			   r.term_min, r.card_med, EB_BATCHES * EB_N);
	}
}

static void engine_xor_test(struct kunit *test)
{
	engine_mode_test(test, SMCHAN_MODE_XOR);
}

static void engine_list_test(struct kunit *test)
{
	engine_mode_test(test, SMCHAN_MODE_LIST);
}

static void engine_opkey_test(struct kunit *test)
{
	engine_mode_test(test, SMCHAN_MODE_OPKEY);
}

static void engine_ratchet_test(struct kunit *test)
{
	engine_mode_test(test, SMCHAN_MODE_RATCHET);
}

/* A channel with the default settings. */
static int engine_default_cfg(struct smchan_config *cfg, void *arg)
{
	return 0;
}

/*
 * The slab memory of one channel, allocation by allocation (ksize(): what
 * the allocator really gives): the channel, its session, the transforms.
 * cmac(aes) holds its cipher first in its context (crypto/cmac.c in 6.1
 * and 6.12); cbc(aes)'s child is not reached (its layout changed in 6.7):
 * in 6.1 it is an "aes" cipher like cmac's.
 */
static void engine_memory_test(struct kunit *test)
{
	struct crypto_cipher *cmac_child;
	struct smchan_channel *ch;
	struct smchan_sm *sm;
	size_t total;
	int ret;

	ret = smchan_channel_add("smchan-bench", engine_default_cfg, NULL, &ch);
	if (ret) {
		KUNIT_FAIL(test, "smchan_channel_add: %d", ret);
		return;
	}
	sm = ch->sm;
	kunit_info(test, "mem what=smchan_channel sizeof=%zu ksize=%zu\n",
		   sizeof(*ch), ksize(ch));
	cmac_child = *(struct crypto_cipher **)crypto_shash_ctx(sm->crypto.cmac);

	kunit_info(test, "mem what=smchan_sm sizeof=%zu ksize=%zu\n",
		   sizeof(*sm), ksize(sm));
	kunit_info(test, "mem what=cmac(aes) driver=%s ksize=%zu\n",
		   crypto_shash_driver_name(sm->crypto.cmac),
		   ksize(sm->crypto.cmac));
	kunit_info(test, "mem what=cmac-child driver=%s ksize=%zu\n",
		   crypto_tfm_alg_driver_name(crypto_cipher_tfm(cmac_child)),
		   ksize(cmac_child));
	kunit_info(test, "mem what=cbc(aes) driver=%s ksize=%zu\n",
		   crypto_skcipher_driver_name(&sm->crypto.cbc->base),
		   ksize(sm->crypto.cbc));
	kunit_info(test, "mem what=blk ksize=%zu\n", ksize(sm->crypto.blk));
	total = ksize(ch) + ksize(sm) + ksize(sm->crypto.cmac) +
		ksize(cmac_child) + ksize(sm->crypto.cbc) +
		ksize(sm->crypto.blk);
	kunit_info(test, "mem what=reached-total ksize=%zu\n", total);
	smchan_channel_del(ch);
	smchan_channel_put(ch);
}

/* The primitives one by one: where a command's time goes. */
static void engine_prims_test(struct kunit *test)
{
	u64 ns[EB_NPRIMS];
	unsigned int i;
	int ret;

	ret = eb_prims(2000, ns);
	if (ret) {
		KUNIT_FAIL(test, "a primitive failed: %d", ret);
		return;
	}
	for (i = 0; i < EB_NPRIMS; i++)
		kunit_info(test, "prim side=kernel what=%s ns=%llu\n",
			   eb_prim_names[i], ns[i]);
}

static struct kunit_case engine_bench_cases[] = {
	KUNIT_CASE(engine_memory_test),
	KUNIT_CASE(engine_prims_test),
	KUNIT_CASE(engine_xor_test),
	KUNIT_CASE(engine_list_test),
	KUNIT_CASE(engine_opkey_test),
	KUNIT_CASE(engine_ratchet_test),
	{}
};

static struct kunit_suite smchan_engine_bench_suite = {
	.name = "smchan_engine_bench",
	.test_cases = engine_bench_cases,
};

kunit_test_suite(smchan_engine_bench_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("smchan engine microbenchmark (KUnit, reports only)");
SMCHAN_IMPORT_KUNIT_NS();
