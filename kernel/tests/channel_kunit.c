// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: channels. Commands run through the channel code exactly as from
 * /dev/smchan, but the relay's transmit seam answers each APDU in-kernel
 * from the card model, or fails it the ways a transport can: an error,
 * silence (timeout), death, a corrupted answer, a double answer.
 */

#include <linux/slab.h>
#include <linux/string.h>

#include "../channel.h"
#include "card_model.h"
#include "harness.h"

enum behaviour {
	ANSWER,		/* the card model answers */
	ERROR,		/* the transport reports -ENXIO */
	SILENT,		/* no answer: the request times out */
	RELEASE,	/* the transport's socket closes */
	SEND_FAILS,	/* the message cannot be queued */
	ANSWER_REMOVE,	/* answers, then reports the card removed */
};

/**
 * struct chan_test - one test's channel and card
 * @ch: the channel, deleted in .exit
 * @card: the card behind the seam
 * @rsp: the card's answer
 * @behaviour: what the transport does
 * @calls: APDUs relayed so far
 * @corrupt_at: flip a MAC bit in the answer to this APDU (1-based), or 0
 * @last_id: the last request id seen
 */
struct chan_test {
	struct smchan_channel *ch;
	struct card_model card;
	u8 *rsp;
	enum behaviour behaviour;
	unsigned int calls;
	unsigned int corrupt_at;
	u64 last_id;
};

static struct chan_test *running;

static const u8 mkey[16] = { 0x5c, 0x3a, 0x01, 0x99, 0x17, 0x42, 0xee, 0x08,
			     0x6d, 0x21, 0xc4, 0x7f, 0x30, 0x0b, 0x88, 0x52 };
static const u8 read16[] = { 0x00, 0xb0, 0x00, 0x00, 0x10 };
static const u8 read256[] = { 0x00, 0xb0, 0x00, 0x00, 0x00 };

#define PORT	4242

/* The card application: Ne bytes of i & 0xff, 90 00. */
static size_t exec_pattern(struct card_model *c,
			   const struct smchan_apdu *cmd, u8 *r, u16 *sw)
{
	size_t i;

	for (i = 0; i < cmd->ne; i++)
		r[i] = i;
	*sw = SMCHAN_SW_OK;
	return cmd->ne;
}

static int seam(struct smchan_channel *ch, u32 portid, u64 id,
		const u8 *apdu, size_t len)
{
	struct chan_test *t = running;
	size_t n;
	int ret;

	t->calls++;
	t->last_id = id;
	switch (t->behaviour) {
	case ANSWER:
	case ANSWER_REMOVE:
		n = card_model_process(&t->card, apdu, len, t->rsp);
		if (t->calls == t->corrupt_at && n > 2)
			t->rsp[n - 3] ^= 1;
		ret = smchan_transport_done(ch, portid, id, t->rsp, n, 0);
		if (t->behaviour == ANSWER_REMOVE)
			smchan_card_status(ch, portid, false);
		return ret;
	case ERROR:
		return smchan_transport_done(ch, portid, id, NULL, 0, -ENXIO);
	case RELEASE:
		smchan_transport_release(portid);
		return 0;
	case SEND_FAILS:
		return -EAGAIN;
	case SILENT:
		break;
	}
	return 0;
}

struct settings {
	enum smchan_mode mode;
	bool no_auto;
	u32 rekey_limit;
	u32 timeout_ms;
	bool no_key;
	bool suite_mismatch;
	unsigned int group_n;
};

static int apply(struct smchan_config *cfg, void *arg)
{
	const struct settings *s = arg;

	if (s->mode)
		cfg->mode = s->mode;
	cfg->auto_establish = !s->no_auto;
	cfg->rekey_limit = s->rekey_limit;
	if (s->timeout_ms)
		cfg->timeout_ms = s->timeout_ms;
	if (s->group_n)
		cfg->group_n = s->group_n;
	if (!s->no_key) {
		memcpy(cfg->mkey, mkey, sizeof(mkey));
		cfg->mkey_len = sizeof(mkey);
		cfg->key_source = SMCHAN_KEY_NETLINK;
	}
	cfg->suite = s->suite_mismatch ? SMCHAN_SUITE_AES256 :
					 SMCHAN_SUITE_AES128;
	return 0;
}

static int chan_init(struct kunit *test)
{
	struct chan_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->rsp = kunit_kzalloc(test, CARD_RSP_MAX, GFP_KERNEL);
	if (!t->rsp)
		return -ENOMEM;
	test->priv = t;
	running = t;
	return card_model_init(&t->card, mkey, sizeof(mkey), exec_pattern, t);
}

static void chan_exit(struct kunit *test)
{
	struct chan_test *t = test->priv;

	if (!t)
		return;
	if (t->ch) {
		smchan_channel_del(t->ch);
		smchan_channel_put(t->ch);
	}
	card_model_free(&t->card);
	running = NULL;
}

/* A channel named after the test, bound to the seam. */
static struct smchan_channel *make(struct kunit *test, struct settings *s,
				   bool bind)
{
	struct chan_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, smchan_channel_add("kunit0", apply, s, &t->ch),
			0);
	t->ch->transmit = seam;
	if (bind)
		KUNIT_ASSERT_EQ(test, smchan_transport_bind(t->ch, PORT), 0);
	return t->ch;
}

static int command(struct smchan_channel *ch, const u8 *apdu, size_t len,
		   u8 **rsp)
{
	*rsp = NULL;
	return smchan_channel_command(ch, apdu, len, rsp);
}

static void expect_pattern(struct kunit *test, struct smchan_channel *ch,
			   const u8 *apdu, size_t len, size_t ne)
{
	size_t i;
	u8 *rsp;
	int n;

	n = command(ch, apdu, len, &rsp);
	KUNIT_ASSERT_EQ(test, n, (int)ne + 2);
	for (i = 0; i < ne; i++)
		KUNIT_ASSERT_EQ(test, rsp[i], (u8)i);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(rsp + ne), SMCHAN_SW_OK);
	kfree_sensitive(rsp);
}

static struct smchan_channel_info *info_of(struct kunit *test,
					   struct smchan_channel *ch)
{
	struct smchan_channel_info *info;

	info = kunit_kzalloc(test, sizeof(*info), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, info);
	smchan_channel_info(ch, info);
	return info;
}

static const enum smchan_mode modes[] = {
	SMCHAN_MODE_XOR, SMCHAN_MODE_LIST, SMCHAN_MODE_OPKEY,
	SMCHAN_MODE_RATCHET,
};

static void mode_desc(const enum smchan_mode *m, char *desc)
{
	strscpy(desc, smchan_mode_name(*m), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mode, modes, mode_desc);

/* A first command establishes the session; later ones use it. */
static void auto_session_test(struct kunit *test)
{
	struct settings s = { .mode = *(enum smchan_mode *)test->param_value };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct smchan_channel_info *info;
	int i;

	for (i = 0; i < 5; i++)
		expect_pattern(test, ch, read16, sizeof(read16), 16);

	info = info_of(test, ch);
	KUNIT_EXPECT_EQ(test, info->state, SMCHAN_STATE_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, info->sessions, 1ULL);
	KUNIT_EXPECT_EQ(test, info->commands, 5ULL);
	KUNIT_EXPECT_EQ(test, info->n, 6ULL);
	KUNIT_EXPECT_TRUE(test, info->transport);
	KUNIT_EXPECT_EQ(test, t->calls, 7U);	/* GET CHALLENGE, INIT, 5 */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(info->cfg.mkey, 0,
					    sizeof(info->cfg.mkey)));
	KUNIT_EXPECT_EQ(test, info->cfg.key_source, SMCHAN_KEY_NETLINK);
}

/* A long answer to a short command comes in 61 xx pieces, joined. */
static void chained_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;

	expect_pattern(test, ch, read256, sizeof(read256), 256);
	KUNIT_EXPECT_EQ(test, t->calls, 4U);	/* + GET RESPONSE */
}

static void no_transport_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, false);
	struct smchan_apdu a;
	u8 *rsp;

	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&a, read16, 5), 0);
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -EPIPE);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -EPIPE);
	KUNIT_EXPECT_EQ(test, smchan_session_start(ch), -EPIPE);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_FAILED);
}

/* Without auto-establish, only an explicit start opens a session. */
static void auto_off_test(struct kunit *test)
{
	struct settings s = { .no_auto = true };
	struct smchan_channel *ch = make(test, &s, true);
	struct smchan_apdu a;
	u8 *rsp;

	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&a, read16, 5), 0);
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -ENOTCONN);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENOTCONN);
	KUNIT_ASSERT_EQ(test, smchan_session_start(ch), 0);
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), 0);
	expect_pattern(test, ch, read16, 5, 16);
	smchan_session_stop(ch, SMCHAN_END_LOCAL);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENOTCONN);
}

/* At the rekey limit the next command starts a new session, even with
 * auto-establish off.
 */
static void rekey_limit_test(struct kunit *test)
{
	struct settings s = { .rekey_limit = 3, .no_auto = true };
	struct smchan_channel *ch = make(test, &s, true);
	struct smchan_channel_info *info;
	int i;

	KUNIT_ASSERT_EQ(test, smchan_session_start(ch), 0);
	for (i = 0; i < 7; i++)
		expect_pattern(test, ch, read16, 5, 16);
	info = info_of(test, ch);
	KUNIT_EXPECT_EQ(test, info->sessions, 3ULL);
	KUNIT_EXPECT_EQ(test, info->reinits, 2ULL);
	KUNIT_EXPECT_EQ(test, info->commands, 7ULL);
	KUNIT_EXPECT_EQ(test, info->n, 2ULL);
}

/* A transport error fails the command and ends the session; a later
 * command starts a new one.
 */
static void transport_error_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	u8 *rsp;

	expect_pattern(test, ch, read16, 5, 16);
	t->behaviour = ERROR;
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENXIO);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_FAILED);
	KUNIT_EXPECT_FALSE(test, ch->sm->established);
	t->behaviour = SEND_FAILS;
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -EPIPE);
	t->behaviour = ANSWER;
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

/* Silence times out; the late answer is refused; nothing is answered
 * twice.
 */
static void timeout_test(struct kunit *test)
{
	struct settings s = { .timeout_ms = 20 };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	u8 *rsp, sw[2] = { 0x90, 0x00 };

	expect_pattern(test, ch, read16, 5, 16);
	t->behaviour = SILENT;
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, smchan_transport_done(ch, PORT, t->last_id, sw,
						    2, 0), -ESRCH);
	KUNIT_EXPECT_EQ(test, smchan_transport_done(ch, PORT + 1, t->last_id,
						    sw, 2, 0), -EPERM);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_FAILED);
}

/* A response that fails verification: -EBADMSG, counted, session over. */
static void corrupt_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct smchan_channel_info *info;
	u8 *rsp;

	t->corrupt_at = 4;		/* the second command */
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -EBADMSG);
	KUNIT_EXPECT_NULL(test, rsp);
	info = info_of(test, ch);
	KUNIT_EXPECT_EQ(test, info->sm_failures, 1ULL);
	KUNIT_EXPECT_EQ(test, info->state, SMCHAN_STATE_FAILED);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_VERIFY);
}

/* A card with another master key refuses the session. */
static void wrong_key_test(struct kunit *test)
{
	struct settings s = {};
	struct chan_test *t = test->priv;
	struct smchan_channel *ch;
	u8 *rsp;

	t->card.mkey[0] ^= 1;
	ch = make(test, &s, true);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_FAILED);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 0ULL);
}

/* The transport dies mid-command: -EPIPE, unbound; a new one takes over. */
static void release_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	u8 *rsp;

	expect_pattern(test, ch, read16, 5, 16);
	t->behaviour = RELEASE;
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -EPIPE);
	KUNIT_EXPECT_FALSE(test, info_of(test, ch)->transport);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -EPIPE);

	t->behaviour = ANSWER;
	KUNIT_ASSERT_EQ(test, smchan_transport_bind(ch, PORT + 1), 0);
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

/* Only the bound socket may answer, unbind or report the card. */
static void binding_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);

	KUNIT_EXPECT_EQ(test, smchan_transport_bind(ch, PORT), 0);
	KUNIT_EXPECT_EQ(test, smchan_transport_bind(ch, PORT + 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, smchan_transport_unbind(ch, PORT + 1),
			-ENOTCONN);
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, PORT + 1, false), -EPERM);
	KUNIT_EXPECT_EQ(test, smchan_transport_done(ch, PORT, 1, NULL, 0,
						    -EIO), -ESRCH);
	KUNIT_EXPECT_EQ(test, smchan_transport_unbind(ch, PORT), 0);
	KUNIT_EXPECT_FALSE(test, info_of(test, ch)->transport);
	KUNIT_EXPECT_EQ(test, smchan_transport_bind(ch, PORT + 1), 0);
}

/* A removed card ends the session; the next command starts another. */
static void card_removed_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;

	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_ASSERT_EQ(test, smchan_card_status(ch, PORT, false), 0);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_FALSE(test, ch->sm->established);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_CARD_REMOVED);
	card_model_reset(&t->card);
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

/* Suspend and VM fork end every session and wipe its keys at once. */
static void end_all_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;

	expect_pattern(test, ch, read16, 5, 16);
	smchan_channel_end_all(SMCHAN_END_LOCAL);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	card_model_reset(&t->card);
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

/*
 * The transport goes while the channel is idle, or the card goes while a
 * command completes: the session ends then, not at the next command.
 */
static void lost_while_idle_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;

	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_ASSERT_EQ(test, smchan_transport_unbind(ch, PORT), 0);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_TRANSPORT);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));

	KUNIT_ASSERT_EQ(test, smchan_transport_bind(ch, PORT), 0);
	t->behaviour = ANSWER_REMOVE;
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_CARD_REMOVED);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));
}

/* A deleted channel: gone by name, -ENODEV for whoever still holds it. */
static void delete_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct smchan_apdu a;
	u8 *rsp;

	expect_pattern(test, ch, read16, 5, 16);
	smchan_channel_del(ch);
	KUNIT_EXPECT_NULL(test, smchan_channel_get("kunit0"));
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&a, read16, 5), 0);
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -ENODEV);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENODEV);
	KUNIT_EXPECT_EQ(test, smchan_session_start(ch), -ENODEV);
	KUNIT_EXPECT_EQ(test, smchan_transport_bind(ch, PORT), -ENODEV);
	KUNIT_EXPECT_EQ(test, ch->cfg.mkey_len, 0U);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(ch->cfg.mkey, 0,
					    sizeof(ch->cfg.mkey)));
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));
}

/* Settings that do not fit are refused, and nothing is created. */
static void config_test(struct kunit *test)
{
	struct settings s = {}, bad = { .suite_mismatch = true };
	struct settings nokey = { .no_key = true }, group = { .group_n = 1 };
	struct smchan_channel *ch;

	KUNIT_EXPECT_EQ(test, smchan_channel_add("", apply, &s, &ch), -EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_channel_add("a/b", apply, &s, &ch),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_channel_add("sixteen-bytes-xx", apply, &s,
						 &ch), -EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_channel_add("kunit0", apply, &bad, &ch),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_channel_add("kunit0", apply, &group, &ch),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, smchan_channel_get("kunit0"));

	ch = make(test, &nokey, true);
	KUNIT_EXPECT_EQ(test, smchan_session_start(ch), -ENOKEY);
	KUNIT_EXPECT_EQ(test, smchan_channel_add("kunit0", apply, &s, &ch),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, smchan_channel_set(ch, apply, &bad), -EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_channel_set(ch, apply, &s), 0);
	expect_pattern(test, ch, read16, 5, 16);
}

/*
 * Memory per channel stays small (Documentation/userspace-api.rst gives
 * these numbers): the channel and its session, besides the two crypto
 * transforms.
 */
static void memory_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);

	kunit_info(test, "channel %zu bytes, session %zu bytes", sizeof(*ch),
		   sizeof(*ch->sm));
	KUNIT_EXPECT_LT(test, sizeof(*ch) + sizeof(*ch->sm), (size_t)4096);
}

/* What write() refuses before queueing. */
static void check_test(struct kunit *test)
{
	struct settings s = { .mode = SMCHAN_MODE_LIST };
	struct smchan_channel *ch = make(test, &s, true);
	struct smchan_apdu a = { .cla = 0x0c, .ins = 0xb0 };

	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -EINVAL);
	a.cla = 0x40;
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -EINVAL);
	a.cla = 0x93;
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), 0);
	a.nc = SMCHAN_DPRIME_MAX;	/* plus the selector */
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -EMSGSIZE);
	a.nc = SMCHAN_DPRIME_MAX - 1;
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), 0);
}

static struct kunit_case smchan_channel_cases[] = {
	KUNIT_CASE_PARAM(auto_session_test, mode_gen_params),
	KUNIT_CASE(chained_test),
	KUNIT_CASE(no_transport_test),
	KUNIT_CASE(auto_off_test),
	KUNIT_CASE(rekey_limit_test),
	KUNIT_CASE(transport_error_test),
	KUNIT_CASE(timeout_test),
	KUNIT_CASE(corrupt_test),
	KUNIT_CASE(wrong_key_test),
	KUNIT_CASE(release_test),
	KUNIT_CASE(binding_test),
	KUNIT_CASE(card_removed_test),
	KUNIT_CASE(end_all_test),
	KUNIT_CASE(lost_while_idle_test),
	KUNIT_CASE(delete_test),
	KUNIT_CASE(config_test),
	KUNIT_CASE(check_test),
	KUNIT_CASE(memory_test),
	{}
};

static struct kunit_suite smchan_channel_suite = {
	.name = "smchan_channel",
	.init = chan_init,
	.exit = chan_exit,
	.test_cases = smchan_channel_cases,
};

kunit_test_suite(smchan_channel_suite);
