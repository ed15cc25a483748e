// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: channels. Commands run through the channel code exactly as from
 * /dev/smchan, but the transport is a seam (seam_ops) that answers each
 * APDU in-kernel from the card model, or fails it the ways a transport can:
 * an error, silence (timeout), death, a corrupted answer, a double answer.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#if IS_ENABLED(CONFIG_TRACEPOINTS)
#include <trace/events/kmem.h>
#endif

#include "../channel.h"
#include "card_model.h"
#include "harness.h"

enum behaviour {
	ANSWER,		/* the card model answers */
	ERROR,		/* the transport reports @error (-ENXIO) */
	SILENT,		/* no answer: the request times out */
	RELEASE,	/* the transport's socket closes */
	SEND_FAILS,	/* the message cannot be queued */
	ANSWER_REMOVE,	/* answers, and reports the card removed after
			 * answering APDU @remove_at
			 */
	LONG_ANSWER,	/* answers with 2000 bytes more before the SW */
	LONG_CHAINED,	/* answers LONG_PIECES pieces of 256 bytes chained
			 * with 61 00, whatever the command
			 */
};

#define LONG_PIECES	9

/**
 * struct chan_test - one test's channel and card
 * @ch: the channel, deleted in .exit
 * @card: the card behind the seam
 * @rsp: the card's answer
 * @behaviour: what the transport does
 * @calls: APDUs relayed so far
 * @corrupt_at: flip a MAC bit in the answer to this APDU (1-based), or 0
 * @last_id: the last request id seen
 * @remove_at: the APDU (1-based) after whose answer ANSWER_REMOVE reports
 *	the card removed
 * @chain_from: @calls before LONG_CHAINED's first piece
 * @error: what ERROR reports
 * @max_len: the longest APDU relayed
 * @sock: the transports' sockets, bound to ports PORT and PORT + 1
 * @events: the events announced, by type
 */
struct chan_test {
	struct smchan_channel *ch;
	struct card_model card;
	u8 *rsp;
	enum behaviour behaviour;
	unsigned int calls;
	unsigned int corrupt_at;
	u64 last_id;
	unsigned int remove_at;
	unsigned int chain_from;
	int error;
	size_t max_len;
	struct socket *sock[2];
	unsigned int events[16];
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

/* The socket of the transport at @portid. */
static struct sock *sk_of(struct chan_test *t, u32 portid)
{
	struct socket *sock = t->sock[portid == PORT + 1];

	return sock ? sock->sk : NULL;
}

static int seam(struct smchan_channel *ch, u32 portid, u64 id,
		const u8 *apdu, size_t len, u32 timeout_ms)
{
	struct chan_test *t = running;
	struct sock *sk = sk_of(t, portid);
	size_t n;
	int ret;

	t->calls++;
	t->last_id = id;
	t->max_len = max(t->max_len, len);
	switch (t->behaviour) {
	case ANSWER:
	case ANSWER_REMOVE:
		n = card_model_process(&t->card, apdu, len, t->rsp);
		if (t->calls == t->corrupt_at && n > 2)
			t->rsp[n - 3] ^= 1;
		ret = smchan_transport_done(ch, sk, id, t->rsp, n, 0);
		if (t->behaviour == ANSWER_REMOVE && t->calls == t->remove_at)
			smchan_card_status(ch, sk, false, NULL, 0);
		return ret;
	case LONG_ANSWER:
		n = card_model_process(&t->card, apdu, len, t->rsp);
		memset(t->rsp + n - 2, 0x5a, 2000);
		put_unaligned_be16(SMCHAN_SW_OK, t->rsp + n + 1998);
		return smchan_transport_done(ch, sk, id, t->rsp, n + 2000, 0);
	case LONG_CHAINED:
		memset(t->rsp, 0x5a, 256);
		t->rsp[256] = t->calls - t->chain_from < LONG_PIECES ? 0x61 : 0x90;
		t->rsp[257] = 0x00;
		return smchan_transport_done(ch, sk, id, t->rsp, 258, 0);
	case ERROR:
		return smchan_transport_done(ch, sk, id, NULL, 0,
					     t->error ?: -ENXIO);
	case RELEASE:
		/* The real thing: netlink tells smchan_transport_release(). */
		sock_release(t->sock[portid == PORT + 1]);
		t->sock[portid == PORT + 1] = NULL;
		return 0;
	case SEND_FAILS:
		return -EAGAIN;
	case SILENT:
		break;
	}
	return 0;
}

static void seam_event(const char *name, enum smchan_event event,
		       enum smchan_end_reason why)
{
	if (running && event < ARRAY_SIZE(running->events))
		running->events[event]++;
}

static void seam_session_event(const char *name, enum smchan_event event,
			       u64 id, int err)
{
	seam_event(name, event, SMCHAN_END_NONE);
}

/* The transport is the seam; events are counted. */
static const struct smchan_channel_ops seam_ops = {
	.transmit = seam,
	.event = seam_event,
	.session_event = seam_session_event,
};

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

/* A netlink socket bound to @portid, as a transport's would be. */
static int open_port(u32 portid, struct socket **sockp)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_pid = portid };
	int ret;

	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW,
			       NETLINK_GENERIC, sockp);
	if (ret)
		return ret;
	ret = kernel_bind(*sockp, (struct sockaddr *)&addr, sizeof(addr));
	if (ret) {
		sock_release(*sockp);
		*sockp = NULL;
	}
	return ret;
}

static void close_port(struct chan_test *t, int i)
{
	if (t->sock[i])
		sock_release(t->sock[i]);
	t->sock[i] = NULL;
}

static int chan_init(struct kunit *test)
{
	struct chan_test *t;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->rsp = kunit_kzalloc(test, CARD_RSP_MAX, GFP_KERNEL);
	if (!t->rsp)
		return -ENOMEM;
	test->priv = t;
	running = t;
	ret = open_port(PORT, &t->sock[0]);
	if (!ret)
		ret = open_port(PORT + 1, &t->sock[1]);
	if (ret)
		return ret;
	return card_model_init(&t->card, mkey, sizeof(mkey), exec_pattern, t);
}

static void chan_exit(struct kunit *test)
{
	struct chan_test *t = test->priv;

	if (!t)
		return;
	smchan_channel_suspend(false);	/* whatever a failed test left */
	if (t->ch) {
		smchan_channel_del(t->ch);
		smchan_channel_flush(t->ch);
		smchan_channel_put(t->ch);
	}
	close_port(t, 0);
	close_port(t, 1);
	card_model_free(&t->card);
	running = NULL;
}

static int bind_port(struct chan_test *t, struct smchan_channel *ch,
		     u32 portid)
{
	return smchan_transport_bind(ch, sk_of(t, portid), portid);
}

/* A channel named after the test, bound to the seam. */
static struct smchan_channel *make(struct kunit *test, struct settings *s,
				   bool bind)
{
	struct chan_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, smchan_channel_add("kunit0", apply, s, &t->ch),
			0);
	t->ch->ops = &seam_ops;
	if (bind)
		KUNIT_ASSERT_EQ(test, bind_port(t, t->ch, PORT), 0);
	return t->ch;
}

/**
 * struct sync_cmd - a command as a file queues it, and its outcome
 * @cmd: what smchan_channel_submit() queues
 * @done: completed by @cmd.done
 * @ret: the outcome
 * @rsp: the answer
 * @order: when it completed, counted by @counter
 * @counter: the test's completion count
 * @task: who completed it
 */
struct sync_cmd {
	struct smchan_command cmd;
	struct completion done;
	int ret;
	u8 *rsp;
	unsigned int order;
	atomic_t *counter;
	struct task_struct *task;
};

static void sync_done(struct smchan_command *cmd, int ret, u8 *rsp)
{
	struct sync_cmd *sc = container_of(cmd, struct sync_cmd, cmd);

	sc->ret = ret;
	sc->rsp = rsp;
	sc->task = current;
	if (sc->counter)
		sc->order = atomic_inc_return(sc->counter);
	complete(&sc->done);
}

static void sync_init(struct sync_cmd *sc, const void *owner, u32 uid,
		      const u8 *apdu, size_t len)
{
	memset(sc, 0, sizeof(*sc));
	INIT_LIST_HEAD(&sc->cmd.node);
	init_completion(&sc->done);
	sc->cmd.uid = KUIDT_INIT(uid);
	sc->cmd.owner = owner;
	sc->cmd.apdu = apdu;
	sc->cmd.len = len;
	sc->cmd.done = sync_done;
}

/* Queue @apdu from @owner as @uid; the outcome comes in @sc. */
static int submit(struct smchan_channel *ch, struct sync_cmd *sc,
		  const void *owner, u32 uid, const u8 *apdu, size_t len)
{
	sync_init(sc, owner, uid, apdu, len);
	return smchan_channel_submit(ch, &sc->cmd);
}

/* As a blocking write() runs it: here if the channel is idle. */
static int run_here(struct smchan_channel *ch, struct sync_cmd *sc,
		    const void *owner, const u8 *apdu, size_t len)
{
	sync_init(sc, owner, 0, apdu, len);
	return smchan_channel_run(ch, &sc->cmd);
}

/* A command through the queue and the worker, as from /dev/smchan. */
static int command(struct smchan_channel *ch, const u8 *apdu, size_t len,
		   u8 **rsp)
{
	struct sync_cmd sc;
	int ret;

	*rsp = NULL;
	ret = submit(ch, &sc, NULL, 0, apdu, len);
	if (ret)
		return ret;
	wait_for_completion(&sc.done);
	*rsp = sc.rsp;
	return sc.ret;
}

/* A session start as SESSION_START asks for it, and its outcome. */
static int start(struct smchan_channel *ch)
{
	struct smchan_channel_info info;
	u64 id;
	int ret;

	ret = smchan_session_start(ch, &id);
	if (ret)
		return ret;
	smchan_channel_flush(ch);
	smchan_channel_info(ch, &info);
	return info.last_err;
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
	KUNIT_EXPECT_EQ(test, start(ch), -EPIPE);
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
	KUNIT_ASSERT_EQ(test, start(ch), 0);
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

	KUNIT_ASSERT_EQ(test, start(ch), 0);
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
	t->behaviour = SEND_FAILS;	/* a full queue: not a lost transport */
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENOBUFS);
	KUNIT_EXPECT_TRUE(test, info_of(test, ch)->transport);
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
	KUNIT_EXPECT_EQ(test, smchan_transport_done(ch, sk_of(t, PORT),
						    t->last_id, sw, 2, 0),
			-ESRCH);
	KUNIT_EXPECT_EQ(test, smchan_transport_done(ch, sk_of(t, PORT + 1),
						    t->last_id, sw, 2, 0),
			-EPERM);
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
	KUNIT_ASSERT_EQ(test, bind_port(t, ch, PORT + 1), 0);
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

/* Only the bound socket may answer, unbind or report the card. */
static void binding_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct sock *sk0 = sk_of(t, PORT), *sk1 = sk_of(t, PORT + 1);

	KUNIT_EXPECT_EQ(test, bind_port(t, ch, PORT), 0);
	KUNIT_EXPECT_EQ(test, bind_port(t, ch, PORT + 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, smchan_transport_unbind(ch, sk1), -ENOTCONN);
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk1, false, NULL, 0),
			-EPERM);
	KUNIT_EXPECT_EQ(test, smchan_transport_done(ch, sk0, 1, NULL, 0,
						    -EIO), -ESRCH);
	KUNIT_EXPECT_EQ(test, smchan_transport_unbind(ch, sk0), 0);
	KUNIT_EXPECT_FALSE(test, info_of(test, ch)->transport);
	KUNIT_EXPECT_EQ(test, bind_port(t, ch, PORT + 1), 0);
}

/*
 * The transport is its socket, not its port number: a release notice for
 * the port of a live socket unbinds nothing, and once the socket is gone
 * a new socket with the same port is not unbound by the old one's late
 * notice, nor may an old socket's number answer for it.
 */
static void socket_identity_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;

	expect_pattern(test, ch, read16, 5, 16);
	smchan_transport_release(PORT);		/* not this socket's */
	KUNIT_EXPECT_TRUE(test, info_of(test, ch)->transport);
	expect_pattern(test, ch, read16, 5, 16);

	close_port(t, 0);			/* netlink tells us */
	KUNIT_EXPECT_FALSE(test, info_of(test, ch)->transport);
	KUNIT_ASSERT_EQ(test, open_port(PORT, &t->sock[0]), 0);
	KUNIT_ASSERT_EQ(test, bind_port(t, ch, PORT), 0);
	smchan_transport_release(PORT);		/* the old socket's, late */
	KUNIT_EXPECT_TRUE(test, info_of(test, ch)->transport);
	card_model_reset(&t->card);
	expect_pattern(test, ch, read16, 5, 16);
}

/* A removed card ends the session; the next command starts another. */
static void card_removed_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;

	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_ASSERT_EQ(test, smchan_card_status(ch, sk_of(t, PORT), false,
						 NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_FALSE(test, ch->sm->established);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_CARD_REMOVED);
	card_model_reset(&t->card);
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

/*
 * The card's ATR: kept from the bound transport's report of a present
 * card, replaced by the next, forgotten with the card or the transport;
 * bad lengths, an ATR with a removed card and another socket's report
 * change nothing.
 */
static void atr_test(struct kunit *test)
{
	static const u8 atr1[] = { 0x3B, 0x85, 0x81, 0x11, 0xFE, 0x80,
				   0x73, 0x80, 0x01, 0xC0, 0x59 };
	static const u8 atr2[] = { 0x3B, 0x00 };
	u8 big[SMCHAN_ATR_MAX + 1] = { 0x3B };
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct sock *sk = sk_of(t, PORT);
	struct smchan_channel_info *info;
	int i;

	info = info_of(test, ch);
	KUNIT_EXPECT_FALSE(test, info->card);
	KUNIT_EXPECT_EQ(test, info->atr_len, 0);

	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, true, atr1,
						 sizeof(atr1)), 0);
	info = info_of(test, ch);
	KUNIT_EXPECT_TRUE(test, info->card);
	KUNIT_ASSERT_EQ(test, info->atr_len, sizeof(atr1));
	KUNIT_EXPECT_EQ(test, memcmp(info->atr, atr1, sizeof(atr1)), 0);

	/* Refused: nothing changes. */
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, true, big, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, true, big,
						 sizeof(big)), -EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, false, atr2,
						 sizeof(atr2)), -EINVAL);
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk_of(t, PORT + 1), true,
						 atr2, sizeof(atr2)), -EPERM);
	info = info_of(test, ch);
	KUNIT_EXPECT_TRUE(test, info->card);
	KUNIT_ASSERT_EQ(test, info->atr_len, sizeof(atr1));
	KUNIT_EXPECT_EQ(test, memcmp(info->atr, atr1, sizeof(atr1)), 0);

	/* The largest ATR; then another card, without an ATR. */
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, true, big,
						 SMCHAN_ATR_MAX), 0);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->atr_len, SMCHAN_ATR_MAX);
	KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, true, NULL, 0), 0);
	info = info_of(test, ch);
	KUNIT_EXPECT_TRUE(test, info->card);
	KUNIT_EXPECT_EQ(test, info->atr_len, 0);

	/* Removal forgets it; so does the transport's going. */
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, true, atr2,
							 sizeof(atr2)), 0);
		if (i == 0)
			KUNIT_EXPECT_EQ(test, smchan_card_status(ch, sk, false,
								 NULL, 0), 0);
		else
			KUNIT_EXPECT_EQ(test, smchan_transport_unbind(ch, sk),
					0);
		info = info_of(test, ch);
		KUNIT_EXPECT_FALSE(test, info->card);
		KUNIT_EXPECT_EQ(test, info->atr_len, 0);
	}
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
	KUNIT_ASSERT_EQ(test, smchan_transport_unbind(ch, sk_of(t, PORT)), 0);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_TRANSPORT);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));

	KUNIT_ASSERT_EQ(test, bind_port(t, ch, PORT), 0);
	t->behaviour = ANSWER_REMOVE;
	t->remove_at = t->calls + 3;	/* GET CHALLENGE, INITIALIZE, this */
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	KUNIT_EXPECT_EQ(test, ch->sm->end_reason, SMCHAN_END_CARD_REMOVED);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));
}

/*
 * A deleted channel: gone by name; -ENODEV for the files still attached
 * to it, and -ENOENT, as for a name never made, for an administrator's
 * request that found it just before the deletion (the netlink API
 * documents ENOENT only), a second deletion included: of two CHANNEL_DELs
 * that both found the channel, one deletes it.
 */
static void delete_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct smchan_apdu a;
	u8 *rsp;

	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, smchan_channel_del(ch), 0);
	KUNIT_EXPECT_NULL(test, smchan_channel_get("kunit0"));
	KUNIT_EXPECT_EQ(test, smchan_channel_del(ch), -ENOENT);
	KUNIT_ASSERT_EQ(test, smchan_apdu_parse(&a, read16, 5), 0);
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -ENODEV);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENODEV);
	KUNIT_EXPECT_EQ(test, start(ch), -ENOENT);
	KUNIT_EXPECT_EQ(test, bind_port(test->priv, ch, PORT), -ENOENT);
	KUNIT_EXPECT_EQ(test, smchan_channel_set(ch, apply, &s), -ENOENT);
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
	KUNIT_EXPECT_EQ(test, start(ch), -ENOKEY);
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

/* The session's key group, read under the channel's lock. */
static bool has_group(struct smchan_channel *ch)
{
	bool ret;

	mutex_lock(&ch->lock);
	ret = ch->sm->group;
	mutex_unlock(&ch->lock);
	return ret;
}

/*
 * Only list and opkey hold a key group: set between sessions, the mode
 * brings it with the next session and takes it away again.
 */
static void group_test(struct kunit *test)
{
	struct settings ratchet = { .mode = SMCHAN_MODE_RATCHET };
	struct settings list = { .mode = SMCHAN_MODE_LIST, .group_n = 18 };
	struct smchan_channel *ch = make(test, &ratchet, true);

	expect_pattern(test, ch, read16, sizeof(read16), 16);
	KUNIT_EXPECT_FALSE(test, has_group(ch));

	/* Act, assert: list, then ratchet again */
	KUNIT_ASSERT_EQ(test, smchan_channel_set(ch, apply, &list), 0);
	expect_pattern(test, ch, read16, sizeof(read16), 16);
	KUNIT_EXPECT_TRUE(test, has_group(ch));
	KUNIT_ASSERT_EQ(test, smchan_channel_set(ch, apply, &ratchet), 0);
	expect_pattern(test, ch, read16, sizeof(read16), 16);
	KUNIT_EXPECT_FALSE(test, has_group(ch));
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 3ULL);
}

/* Make the next key group allocation of @ch's session fail. */
static void fail_group_alloc(struct smchan_channel *ch)
{
	mutex_lock(&ch->lock);
	ch->sm->fail_group_alloc = true;
	mutex_unlock(&ch->lock);
}

/*
 * No memory for the key group: the command or the session start that
 * needed the session fails with -ENOMEM, and the next one works.
 */
static void group_nomem_test(struct kunit *test)
{
	struct settings s = { .mode = SMCHAN_MODE_OPKEY };
	struct smchan_channel *ch = make(test, &s, true);
	struct smchan_channel_info *info;
	u8 *rsp;

	/* Act: a command that sets the session up */
	fail_group_alloc(ch);
	KUNIT_EXPECT_EQ(test, command(ch, read16, sizeof(read16), &rsp),
			-ENOMEM);
	KUNIT_EXPECT_NULL(test, rsp);

	/* Assert */
	info = info_of(test, ch);
	KUNIT_EXPECT_EQ(test, info->state, SMCHAN_STATE_FAILED);
	KUNIT_EXPECT_EQ(test, info->last_err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, info->sessions, 0ULL);
	KUNIT_EXPECT_FALSE(test, has_group(ch));

	/* Act, assert: a session start, then one that works */
	fail_group_alloc(ch);
	KUNIT_EXPECT_EQ(test, start(ch), -ENOMEM);
	KUNIT_EXPECT_EQ(test, start(ch), 0);
	KUNIT_EXPECT_TRUE(test, has_group(ch));
	expect_pattern(test, ch, read16, sizeof(read16), 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 1ULL);
}

/*
 * The kmalloc() calls one task makes, and the most it asked for, from the
 * kmalloc tracepoint.
 */
struct kmalloc_count {
	struct task_struct *task;
	unsigned int n;
	size_t largest;
};

#if IS_ENABLED(CONFIG_TRACEPOINTS)
static void count_kmalloc(void *data, unsigned long call_site,
			  const void *ptr, size_t bytes_req,
			  size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	struct kmalloc_count *c = data;

	if (current == c->task) {
		c->n++;
		c->largest = max(c->largest, bytes_req);
	}
}
#endif

#if IS_ENABLED(CONFIG_TRACEPOINTS)
/* @times commands @apdu, each answered with @want bytes, counted in @c. */
static void run_counted(struct kunit *test, struct smchan_channel *ch,
			const u8 *apdu, size_t len, int want,
			unsigned int times, struct kmalloc_count *c)
{
	struct sync_cmd sc;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, register_trace_kmalloc(count_kmalloc, c), 0);
	for (i = 0; i < times; i++) {
		KUNIT_EXPECT_EQ(test, run_here(ch, &sc, NULL, apdu, len), 0);
		KUNIT_EXPECT_EQ(test, sc.ret, want);
		kfree_sensitive(sc.rsp);
	}
	unregister_trace_kmalloc(count_kmalloc, c);
	tracepoint_synchronize_unregister();
}
#endif

/*
 * One kmalloc() per command once the session is up: the buffer that
 * takes the protected command, then the card's answer (copied into it by
 * smchan_transport_done()), then R || SW1 SW2 decrypted in place. The
 * command runs in this task (smchan_channel_run() on an idle channel, the
 * seam answering inline), so the task's kmalloc events are the command's.
 * Needs tracepoints: the debug UML kernel has them, the normal one not.
 */
static void kmallocs_test(struct kunit *test)
{
#if IS_ENABLED(CONFIG_TRACEPOINTS)
	struct settings s = { .mode = *(enum smchan_mode *)test->param_value };
	struct smchan_channel *ch = make(test, &s, true);
	struct kmalloc_count c = { .task = current };

	expect_pattern(test, ch, read16, sizeof(read16), 16);

	run_counted(test, ch, read16, sizeof(read16), 18, 10, &c);

	kunit_info(test, "%u kmalloc() for 10 commands", c.n);
	KUNIT_EXPECT_EQ(test, c.n, 10U);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->commands, 11ULL);
#else
	kunit_skip(test, "no tracepoints in this kernel");
#endif
}

/*
 * An answer chained with 61 xx is joined in a buffer sized for what Ne
 * allows (293 bytes for Ne = 256, in kmalloc-512), not in one for the
 * longest answer of all (64 KiB, an order-4 page allocation that a
 * fragmented machine may refuse): two kmalloc() per command, the
 * command's buffer and the joined answer, none of over 512 bytes.
 */
static void chained_kmallocs_test(struct kunit *test)
{
#if IS_ENABLED(CONFIG_TRACEPOINTS)
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct kmalloc_count c = { .task = current };
	unsigned int calls;

	expect_pattern(test, ch, read16, sizeof(read16), 16);
	calls = t->calls;

	run_counted(test, ch, read256, sizeof(read256), 258, 5, &c);

	kunit_info(test, "%u kmalloc() for 5 commands, the largest of %zu bytes",
		   c.n, c.largest);
	KUNIT_EXPECT_EQ(test, t->calls - calls, 10U);	/* chained: 2 each */
	KUNIT_EXPECT_EQ(test, c.n, 10U);
	KUNIT_EXPECT_LE(test, c.largest, 512);
#else
	kunit_skip(test, "no tracepoints in this kernel");
#endif
}

/*
 * A chained answer longer than Ne allows (a card that does not cut R to
 * Ne): all of its pieces are fetched and joined, and it fails verification.
 */
static void long_chained_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	u8 *rsp;

	expect_pattern(test, ch, read16, sizeof(read16), 16);
	t->behaviour = LONG_CHAINED;
	t->chain_from = t->calls;

	KUNIT_EXPECT_EQ(test, command(ch, read16, sizeof(read16), &rsp),
			-EBADMSG);
	KUNIT_EXPECT_NULL(test, rsp);
	KUNIT_EXPECT_EQ(test, t->calls - t->chain_from, LONG_PIECES);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sm_failures, 1ULL);
}

/*
 * An answer longer than the command's buffer (a card that sends more than
 * Ne allows) is copied into a buffer of its own, and fails verification.
 */
static void long_answer_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	u8 *rsp;

	expect_pattern(test, ch, read16, sizeof(read16), 16);
	t->behaviour = LONG_ANSWER;

	KUNIT_EXPECT_EQ(test, command(ch, read16, sizeof(read16), &rsp),
			-EBADMSG);
	KUNIT_EXPECT_NULL(test, rsp);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sm_failures, 1ULL);
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
	/* With Le > 256 the protected command must still fit netlink. */
	a.ne = 257;
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -EMSGSIZE);
	a.nc = 65486;
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), 0);
	a.nc = 65487;
	KUNIT_EXPECT_EQ(test, smchan_channel_check(ch, &a), -EMSGSIZE);
}

/* UPDATE BINARY with @nc bytes and Le = 257, extended: its length. */
static size_t update_apdu(u8 *apdu, size_t nc)
{
	memset(apdu, 0, 7 + nc + 2);
	apdu[1] = 0xd6;
	apdu[5] = nc >> 8;
	apdu[6] = nc & 0xff;
	apdu[7 + nc] = 0x01;
	apdu[8 + nc] = 0x01;
	return 9 + nc;
}

/*
 * The largest command each mode allows, with the largest Le that takes
 * the extended form, goes through whole: the protected APDU fits a
 * netlink attribute. One byte more is refused before anything is sent.
 */
static void largest_command_test(struct kunit *test)
{
	struct settings s = { .mode = *(enum smchan_mode *)test->param_value };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	size_t nc = s.mode == SMCHAN_MODE_LIST ||
		    s.mode == SMCHAN_MODE_OPKEY ? 65486 : 65487;
	u8 *apdu, *rsp;
	int n;

	apdu = kunit_kzalloc(test, 7 + nc + 1 + 2, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, apdu);
	n = command(ch, apdu, update_apdu(apdu, nc), &rsp);
	KUNIT_EXPECT_EQ(test, n, 257 + 2);
	kfree_sensitive(rsp);
	KUNIT_EXPECT_LE(test, t->max_len, (size_t)SMCHAN_NL_DATA_MAX);
	KUNIT_EXPECT_GT(test, t->max_len, (size_t)65500);

	KUNIT_EXPECT_EQ(test, command(ch, apdu, update_apdu(apdu, nc + 1),
				      &rsp), -EMSGSIZE);
}

/*
 * What a transport reports goes to the application only from the
 * documented set: a kernel-internal code such as ERESTARTSYS (which would
 * make a read() restart after its answer was consumed) or EAGAIN (from a
 * blocking read) becomes EIO.
 */
static void transport_errno_test(struct kunit *test)
{
	static const struct {
		int in, out;
	} cases[] = {
		{ -ENXIO, -ENXIO }, { -ENOMEDIUM, -ENOMEDIUM },
		{ -ETIMEDOUT, -ETIMEDOUT }, { -EIO, -EIO },
		{ -ERESTARTSYS, -EIO }, { -EAGAIN, -EIO }, { -EINTR, -EIO },
		{ -ENODEV, -EIO }, { -4095, -EIO },
	};
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	unsigned int i;
	u8 *rsp;

	t->behaviour = ERROR;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		t->error = cases[i].in;
		KUNIT_EXPECT_EQ_MSG(test, command(ch, read16, 5, &rsp),
				    cases[i].out, "transport error %d",
				    cases[i].in);
	}
}

/* A walk over the channels goes on past one deleted under it. */
static void walk_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *a, *b, *c, *ch;
	u64 pos = 0;

	KUNIT_ASSERT_EQ(test, smchan_channel_add("kunit-a", apply, &s, &a), 0);
	KUNIT_ASSERT_EQ(test, smchan_channel_add("kunit-b", apply, &s, &b), 0);
	KUNIT_ASSERT_EQ(test, smchan_channel_add("kunit-c", apply, &s, &c), 0);

	do {
		ch = smchan_channel_next(&pos);
		KUNIT_ASSERT_NOT_NULL(test, ch);
		smchan_channel_put(ch);
	} while (ch != a);
	smchan_channel_del(a);			/* the one just returned */
	ch = smchan_channel_next(&pos);
	KUNIT_EXPECT_PTR_EQ(test, ch, b);
	smchan_channel_put(ch);
	smchan_channel_del(b);
	smchan_channel_del(c);			/* and the next one */
	KUNIT_EXPECT_NULL(test, smchan_channel_next(&pos));
	smchan_channel_put(a);
	smchan_channel_put(b);
	smchan_channel_put(c);
}

/*
 * A session start is queued and answered at once, even when the card
 * will never answer; its outcome comes later, in the channel's state and
 * last error.
 */
static void async_start_test(struct kunit *test)
{
	struct settings s = { .timeout_ms = 200 };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct smchan_channel_info *info;
	unsigned long t0 = jiffies;
	u64 id, id2;

	t->behaviour = SILENT;
	KUNIT_ASSERT_EQ(test, smchan_session_start(ch, &id), 0);
	KUNIT_EXPECT_LT(test, jiffies - t0, msecs_to_jiffies(100));
	KUNIT_EXPECT_NE(test, id, 0ULL);
	msleep(20);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state,
			SMCHAN_STATE_ESTABLISHING);
	/* Another start while this one runs is queued after it. */
	KUNIT_ASSERT_EQ(test, smchan_session_start(ch, &id2), 0);
	KUNIT_EXPECT_GT(test, id2, id);
	smchan_channel_flush(ch);
	info = info_of(test, ch);
	KUNIT_EXPECT_EQ(test, info->state, SMCHAN_STATE_FAILED);
	KUNIT_EXPECT_EQ(test, info->last_err, -ETIMEDOUT);

	t->behaviour = ANSWER;
	KUNIT_EXPECT_EQ(test, start(ch), 0);
	info = info_of(test, ch);
	KUNIT_EXPECT_EQ(test, info->state, SMCHAN_STATE_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, info->last_err, 0);
}

/*
 * An administrator's session comes back after a failure even with
 * auto-establish off: one user's timeout does not leave every user with
 * -ENOTCONN. A stop ends that.
 */
static void want_session_test(struct kunit *test)
{
	struct settings s = { .no_auto = true, .timeout_ms = 50 };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	u8 *rsp;

	KUNIT_ASSERT_EQ(test, start(ch), 0);
	expect_pattern(test, ch, read16, 5, 16);
	t->behaviour = SILENT;
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ETIMEDOUT);
	t->behaviour = ANSWER;
	card_model_reset(&t->card);
	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
	smchan_session_stop(ch, SMCHAN_END_LOCAL);
	KUNIT_EXPECT_EQ(test, command(ch, read16, 5, &rsp), -ENOTCONN);
}

/*
 * Round robin by user: one user's ten queued commands do not keep
 * another user's waiting behind all of them; one user may queue
 * SMCHAN_QUEUE_MAX commands, and the next user still gets in.
 */
static void fairness_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct sync_cmd *many, other;
	atomic_t counter = ATOMIC_INIT(0);
	int i;

	many = kunit_kcalloc(test, SMCHAN_QUEUE_MAX + 1, sizeof(*many),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, many);
	expect_pattern(test, ch, read16, 5, 16);

	mutex_lock(&ch->lock);		/* the worker waits: fill the queue */
	for (i = 0; i < 10; i++) {
		KUNIT_ASSERT_EQ(test, submit(ch, &many[i], &many[i], 1000,
					     read16, 5), 0);
		many[i].counter = &counter;
	}
	KUNIT_ASSERT_EQ(test, submit(ch, &other, &other, 1001, read16, 5), 0);
	other.counter = &counter;
	mutex_unlock(&ch->lock);
	for (i = 0; i < 10; i++)
		wait_for_completion(&many[i].done);
	wait_for_completion(&other.done);
	KUNIT_EXPECT_EQ(test, other.ret, 18);
	KUNIT_EXPECT_LE(test, other.order, 2U);
	for (i = 0; i < 10; i++) {
		KUNIT_EXPECT_EQ(test, many[i].ret, 18);
		kfree_sensitive(many[i].rsp);
	}
	kfree_sensitive(other.rsp);

	mutex_lock(&ch->lock);
	for (i = 0; i < SMCHAN_QUEUE_MAX; i++)
		KUNIT_ASSERT_EQ(test, submit(ch, &many[i], &many[i], 1000,
					     read16, 5), 0);
	KUNIT_EXPECT_EQ(test, submit(ch, &many[i], &many[i], 1000, read16, 5),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, submit(ch, &other, &other, 1001, read16, 5), 0);
	/* A command not started yet can be taken back; then not twice. */
	KUNIT_EXPECT_TRUE(test, smchan_channel_cancel(ch, &many[0].cmd));
	KUNIT_EXPECT_FALSE(test, smchan_channel_cancel(ch, &many[0].cmd));
	mutex_unlock(&ch->lock);
	for (i = 1; i < SMCHAN_QUEUE_MAX; i++) {
		wait_for_completion(&many[i].done);
		kfree_sensitive(many[i].rsp);
	}
	wait_for_completion(&other.done);
	kfree_sensitive(other.rsp);
	KUNIT_EXPECT_FALSE(test, completion_done(&many[0].done));
}

/*
 * A hold keeps the channel for one owner's commands: another's wait
 * until the release, or until the hold runs out.
 */
static void hold_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	int a, b;
	struct sync_cmd mine, theirs;

	expect_pattern(test, ch, read16, 5, 16);
	KUNIT_ASSERT_EQ(test, smchan_channel_hold(ch, &a, 10000, true), 0);
	KUNIT_EXPECT_EQ(test, smchan_channel_hold(ch, &b, 10000, true),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, smchan_channel_hold(ch, &a, 0, true), -EINVAL);
	KUNIT_ASSERT_EQ(test, submit(ch, &theirs, &b, 0, read16, 5), 0);
	KUNIT_ASSERT_EQ(test, submit(ch, &mine, &a, 0, read16, 5), 0);
	wait_for_completion(&mine.done);
	KUNIT_EXPECT_EQ(test, mine.ret, 18);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&theirs.done));
	KUNIT_EXPECT_EQ(test, smchan_channel_unhold(ch, &a), 0);
	wait_for_completion(&theirs.done);
	KUNIT_EXPECT_EQ(test, theirs.ret, 18);
	kfree_sensitive(mine.rsp);
	kfree_sensitive(theirs.rsp);

	/* A hold that runs out lets the others in, and says so. */
	KUNIT_ASSERT_EQ(test, smchan_channel_hold(ch, &a, 100, true), 0);
	KUNIT_ASSERT_EQ(test, submit(ch, &theirs, &b, 0, read16, 5), 0);
	KUNIT_EXPECT_EQ(test, wait_for_completion_timeout(&theirs.done,
							  msecs_to_jiffies(5000)) > 0,
			true);
	kfree_sensitive(theirs.rsp);
	KUNIT_EXPECT_EQ(test, smchan_channel_unhold(ch, &a), -ETIMEDOUT);
}

struct killed_run {
	struct smchan_channel *ch;
	struct sync_cmd sc;
	struct completion started;
};

static int run_killable(void *arg)
{
	struct killed_run *k = arg;

	allow_signal(SIGKILL);
	complete(&k->started);
	smchan_channel_run(k->ch, &k->sc.cmd);
	return 0;
}

/*
 * A fatal signal ends the wait of a caller that runs its command, at
 * once: -EINTR, and the session ends (the command's fate is unknown).
 */
static void run_killed_test(struct kunit *test)
{
	struct settings s = { .timeout_ms = 10000 };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct killed_run k = { .ch = ch };
	struct task_struct *task;
	unsigned long t0;

	expect_pattern(test, ch, read16, 5, 16);
	t->behaviour = SILENT;
	sync_init(&k.sc, &k, 0, read16, 5);
	init_completion(&k.started);
	task = kthread_run(run_killable, &k, "smchan-kunit-run");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&k.started);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&k.sc.done));
	t0 = jiffies;
	send_sig(SIGKILL, task, 1);
	wait_for_completion(&k.sc.done);
	KUNIT_EXPECT_LT(test, jiffies - t0, msecs_to_jiffies(1000));
	KUNIT_EXPECT_EQ(test, k.sc.ret, -EINTR);
	KUNIT_EXPECT_PTR_EQ(test, k.sc.task, task);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_FAILED);
}

/*
 * From the suspend notification on, nothing starts: a queued command
 * waits for the resume, and then runs in a new session. A blocking
 * write's caller (@here) does not run it either.
 */
static void suspended(struct kunit *test, bool here)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct sync_cmd sc;

	expect_pattern(test, ch, read16, 5, 16);
	smchan_channel_suspend(true);
	smchan_channel_end_all(SMCHAN_END_LOCAL);
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));
	if (here)
		KUNIT_ASSERT_EQ(test, run_here(ch, &sc, &sc, read16, 5), 0);
	else
		KUNIT_ASSERT_EQ(test, submit(ch, &sc, &sc, 0, read16, 5), 0);
	smchan_channel_flush(ch);
	KUNIT_EXPECT_FALSE(test, completion_done(&sc.done));
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->state, SMCHAN_STATE_IDLE);
	card_model_reset(&t->card);
	smchan_channel_suspend(false);
	wait_for_completion(&sc.done);
	KUNIT_EXPECT_EQ(test, sc.ret, 18);
	kfree_sensitive(sc.rsp);
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->sessions, 2ULL);
}

static void suspend_test(struct kunit *test)
{
	suspended(test, false);
}

static void run_suspended_test(struct kunit *test)
{
	suspended(test, true);
}

/* Suspend during a command: it fails at once, keys wiped, not later. */
static void end_all_in_flight_test(struct kunit *test)
{
	struct settings s = { .timeout_ms = 10000 };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	unsigned long t0;
	struct sync_cmd sc;

	expect_pattern(test, ch, read16, 5, 16);
	t->behaviour = SILENT;
	KUNIT_ASSERT_EQ(test, submit(ch, &sc, &sc, 0, read16, 5), 0);
	msleep(20);
	t0 = jiffies;
	smchan_channel_end_all(SMCHAN_END_LOCAL);
	KUNIT_EXPECT_LT(test, jiffies - t0, msecs_to_jiffies(1000));
	KUNIT_EXPECT_TRUE(test, harness_sm_wiped(ch->sm));
	wait_for_completion(&sc.done);
	KUNIT_EXPECT_EQ(test, sc.ret, -ECANCELED);
}

/* On an idle channel the caller runs its command, done before return. */
static void run_idle_test(struct kunit *test)
{
	struct settings s = {};
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct sync_cmd sc;
	unsigned int calls;
	int i;

	for (i = 0; i < 3; i++) {	/* the first establishes a session */
		calls = t->calls;
		KUNIT_ASSERT_EQ(test, run_here(ch, &sc, &sc, read16, 5), 0);
		KUNIT_EXPECT_TRUE(test, completion_done(&sc.done));
		KUNIT_EXPECT_PTR_EQ(test, sc.task, current);
		KUNIT_EXPECT_EQ(test, sc.ret, 18);
		KUNIT_EXPECT_EQ(test, t->calls - calls, i ? 1U : 3U);
		kfree_sensitive(sc.rsp);
	}
	KUNIT_EXPECT_EQ(test, info_of(test, ch)->commands, 3ULL);
	KUNIT_EXPECT_EQ(test, t->events[SMCHAN_EVENT_SESSION_UP], 1U);
}

/*
 * The caller does not overtake: with a command running, one queued, or
 * another file's hold, its command queues behind and the worker runs it
 * in order.
 */
static void run_busy_test(struct kunit *test)
{
	struct settings s = { .timeout_ms = 300 };
	struct smchan_channel *ch = make(test, &s, true);
	struct chan_test *t = test->priv;
	struct sync_cmd first, second, mine;
	atomic_t order = ATOMIC_INIT(0);
	int a, b;

	expect_pattern(test, ch, read16, 5, 16);

	/* the worker runs a command (no answer: it times out) */
	t->behaviour = SILENT;
	KUNIT_ASSERT_EQ(test, submit(ch, &first, &first, 0, read16, 5), 0);
	msleep(50);
	KUNIT_ASSERT_EQ(test, run_here(ch, &mine, &mine, read16, 5), 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&mine.done));
	t->behaviour = ANSWER;
	wait_for_completion(&first.done);
	KUNIT_EXPECT_EQ(test, first.ret, -ETIMEDOUT);
	wait_for_completion(&mine.done);
	KUNIT_EXPECT_EQ(test, mine.ret, 18);	/* in a new session */
	KUNIT_EXPECT_PTR_NE(test, mine.task, current);
	kfree_sensitive(mine.rsp);

	/* another file holds it: queued, in order behind its commands */
	KUNIT_ASSERT_EQ(test, smchan_channel_hold(ch, &b, 10000, true), 0);
	KUNIT_ASSERT_EQ(test, submit(ch, &first, &a, 0, read16, 5), 0);
	first.counter = &order;
	KUNIT_ASSERT_EQ(test, run_here(ch, &second, &a, read16, 5), 0);
	second.counter = &order;
	KUNIT_EXPECT_FALSE(test, completion_done(&second.done));
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&first.done));
	KUNIT_EXPECT_EQ(test, smchan_channel_unhold(ch, &b), 0);
	wait_for_completion(&first.done);
	wait_for_completion(&second.done);
	KUNIT_EXPECT_EQ(test, first.ret, 18);
	KUNIT_EXPECT_EQ(test, second.ret, 18);
	KUNIT_EXPECT_LT(test, first.order, second.order);
	kfree_sensitive(first.rsp);
	kfree_sensitive(second.rsp);

	/* the holder's own command runs here */
	KUNIT_ASSERT_EQ(test, smchan_channel_hold(ch, &a, 10000, true), 0);
	KUNIT_ASSERT_EQ(test, run_here(ch, &mine, &a, read16, 5), 0);
	KUNIT_EXPECT_TRUE(test, completion_done(&mine.done));
	KUNIT_EXPECT_EQ(test, mine.ret, 18);
	kfree_sensitive(mine.rsp);
	KUNIT_EXPECT_EQ(test, smchan_channel_unhold(ch, &a), 0);
}

/* Names smchanctl can print and a shell can pass. */
static void name_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, smchan_channel_name_valid("card0"));
	KUNIT_EXPECT_TRUE(test, smchan_channel_name_valid("a-b_c.d:e@f+1"));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid(""));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid("-x"));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid("a b"));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid("a\nb"));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid("100%"));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid("a/b"));
	KUNIT_EXPECT_FALSE(test, smchan_channel_name_valid("\x1b[31m"));
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
	KUNIT_CASE(atr_test),
	KUNIT_CASE(end_all_test),
	KUNIT_CASE(lost_while_idle_test),
	KUNIT_CASE(delete_test),
	KUNIT_CASE(config_test),
	KUNIT_CASE(check_test),
	KUNIT_CASE(memory_test),
	KUNIT_CASE(group_test),
	KUNIT_CASE(group_nomem_test),
	KUNIT_CASE_PARAM(kmallocs_test, mode_gen_params),
	KUNIT_CASE(chained_kmallocs_test),
	KUNIT_CASE(long_answer_test),
	KUNIT_CASE(long_chained_test),
	KUNIT_CASE(socket_identity_test),
	KUNIT_CASE_PARAM(largest_command_test, mode_gen_params),
	KUNIT_CASE(transport_errno_test),
	KUNIT_CASE(walk_test),
	KUNIT_CASE(async_start_test),
	KUNIT_CASE(want_session_test),
	KUNIT_CASE(fairness_test),
	KUNIT_CASE(run_idle_test),
	KUNIT_CASE(run_busy_test),
	KUNIT_CASE(run_killed_test),
	KUNIT_CASE(run_suspended_test),
	KUNIT_CASE(hold_test),
	KUNIT_CASE(suspend_test),
	KUNIT_CASE(end_all_in_flight_test),
	KUNIT_CASE(name_test),
	{}
};

static struct kunit_suite smchan_channel_suite = {
	.name = "smchan_channel",
	.init = chan_init,
	.exit = chan_exit,
	.test_cases = smchan_channel_cases,
};

kunit_test_suite(smchan_channel_suite);
