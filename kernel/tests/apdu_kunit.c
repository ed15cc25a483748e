// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: APDU framing (ISO/IEC 7816-3 cases 1-4, short and extended) and
 * the CLA classes of PROTOCOL.md section 4.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "../apdu.h"

struct frame_case {
	const char *desc;
	const u8 *buf;
	size_t len;
	int ret;
	u32 nc;
	u32 ne;
	bool extended;
};

#define FRAME(d, r, c, e, x, ...) {					\
	.desc = d, .buf = (const u8[]){ __VA_ARGS__ },			\
	.len = sizeof((const u8[]){ __VA_ARGS__ }),			\
	.ret = r, .nc = c, .ne = e, .extended = x }

static const struct frame_case frame_cases[] = {
	FRAME("too short 2", -EINVAL, 0, 0, false, 0x00, 0xa4),
	FRAME("too short 3", -EINVAL, 0, 0, false, 0x00, 0xa4, 0x00),
	FRAME("case 1", 0, 0, 0, false, 0x00, 0xa4, 0x00, 0x0c),
	FRAME("case 2S le 10", 0, 0, 16, false, 0x00, 0x84, 0x00, 0x00, 0x10),
	FRAME("case 2S le 00 = 256", 0, 0, 256, false, 0x00, 0xb0, 0, 0, 0),
	FRAME("case 3S", 0, 2, 0, false, 0x00, 0xa4, 0, 0x0c, 2, 0x3f, 0),
	FRAME("case 4S le 00", 0, 2, 256, false,
	      0x00, 0xa4, 0, 0, 2, 0x3f, 0, 0),
	FRAME("short lc mismatch", -EINVAL, 0, 0, false,
	      0x00, 0xa4, 0, 0x0c, 5, 0x3f, 0),
	FRAME("short lc one too many", -EINVAL, 0, 0, false,
	      0x00, 0xa4, 0, 0x0c, 1, 0x3f, 0, 0, 0),
	FRAME("6 bytes, 00 lc", -EINVAL, 0, 0, false, 0, 0xb0, 0, 0, 0, 1),
	FRAME("case 2E le 0011", 0, 0, 17, true, 0, 0x84, 0, 0, 0, 0, 0x11),
	FRAME("case 2E le 0000 = 65536", 0, 0, 65536, true,
	      0, 0xb0, 0, 0, 0, 0, 0),
	FRAME("case 3E", 0, 1, 0, true, 0, 0xd6, 0, 0, 0, 0, 1, 0xaa),
	FRAME("case 3E lc 0", -EINVAL, 0, 0, false,
	      0, 0xd6, 0, 0, 0, 0, 0, 0xaa),
	FRAME("case 4E", 0, 1, 16, true,
	      0, 0x84, 0, 0, 0, 0, 1, 0xaa, 0, 0x10),
	FRAME("case 4E le 0000", 0, 1, 65536, true,
	      0, 0x84, 0, 0, 0, 0, 1, 0xaa, 0, 0),
	FRAME("extended lc mismatch", -EINVAL, 0, 0, false,
	      0, 0xd6, 0, 0, 0, 0, 2, 0xaa),
	FRAME("extended one le byte", -EINVAL, 0, 0, false,
	      0, 0x84, 0, 0, 0, 0, 1, 0xaa, 0x10),
};

static void frame_desc(const struct frame_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(frame, frame_cases, frame_desc);

static void apdu_parse_test(struct kunit *test)
{
	const struct frame_case *c = test->param_value;
	struct smchan_apdu a;
	u8 out[32];
	size_t len;

	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&a, c->buf, c->len), c->ret);
	if (c->ret)
		return;
	KUNIT_EXPECT_EQ(test, a.cla, c->buf[0]);
	KUNIT_EXPECT_EQ(test, a.ins, c->buf[1]);
	KUNIT_EXPECT_EQ(test, a.nc, c->nc);
	KUNIT_EXPECT_EQ(test, a.ne, c->ne);
	KUNIT_EXPECT_EQ(test, a.extended, c->extended);

	/* Encoding the fields again gives the same bytes. */
	len = smchan_apdu_encode(&a, out, sizeof(out));
	KUNIT_ASSERT_EQ(test, len, c->len);
	KUNIT_EXPECT_EQ(test, memcmp(out, c->buf, len), 0);
	KUNIT_EXPECT_EQ(test, smchan_apdu_encode(&a, out, len - 1), 0);
}

static void cla_class_test(struct kunit *test)
{
	unsigned int cla, plain = 0, prot = 0;

	for (cla = 0; cla < 256; cla++) {
		enum smchan_cla_class k = smchan_cla_class(cla);

		plain += k == SMCHAN_CLA_PLAIN;
		prot += k == SMCHAN_CLA_PROTECTED;
	}
	/* 00-03, 10-13, 80-83, 90-93 and their 0C/84 counterparts. */
	KUNIT_EXPECT_EQ(test, plain, 16);
	KUNIT_EXPECT_EQ(test, prot, 16);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x13), SMCHAN_CLA_PLAIN);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x1f), SMCHAN_CLA_PROTECTED);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x94), SMCHAN_CLA_PROTECTED);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x04), SMCHAN_CLA_UNSUPPORTED);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x08), SMCHAN_CLA_UNSUPPORTED);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x40), SMCHAN_CLA_UNSUPPORTED);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0x8c), SMCHAN_CLA_UNSUPPORTED);
	KUNIT_EXPECT_EQ(test, smchan_cla_class(0xa0), SMCHAN_CLA_UNSUPPORTED);
}

/* The largest APDUs: Nc = 65535 and Ne = 65536 round-trip. */
static void apdu_extremes_test(struct kunit *test)
{
	struct smchan_apdu a = { .cla = 0, .ins = 0xd6, .nc = 65535,
				 .ne = 65536 }, b;
	u8 *data, *buf;
	size_t len;

	data = kunit_kzalloc(test, 65535, GFP_KERNEL);
	buf = kunit_kzalloc(test, SMCHAN_APDU_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	data[0] = 0x5a;
	data[65534] = 0xa5;
	a.data = data;

	len = smchan_apdu_encode(&a, buf, SMCHAN_APDU_MAX + 1);
	KUNIT_ASSERT_EQ(test, len, SMCHAN_APDU_MAX);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&b, buf, len), 0);
	KUNIT_EXPECT_EQ(test, b.nc, 65535);
	KUNIT_EXPECT_EQ(test, b.ne, 65536);
	KUNIT_EXPECT_EQ(test, b.data[0], 0x5a);
	KUNIT_EXPECT_EQ(test, b.data[65534], 0xa5);

	a.nc = 65536;
	KUNIT_EXPECT_EQ(test, smchan_apdu_encoded_len(&a), 0);
	a.nc = 1;
	a.ne = 65537;
	KUNIT_EXPECT_EQ(test, smchan_apdu_encoded_len(&a), 0);
}

static struct kunit_case smchan_apdu_cases[] = {
	KUNIT_CASE_PARAM(apdu_parse_test, frame_gen_params),
	KUNIT_CASE(cla_class_test),
	KUNIT_CASE(apdu_extremes_test),
	{}
};

static struct kunit_suite smchan_apdu_suite = {
	.name = "smchan_apdu",
	.test_cases = smchan_apdu_cases,
};

kunit_test_suite(smchan_apdu_suite);
