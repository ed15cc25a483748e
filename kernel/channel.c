// SPDX-License-Identifier: GPL-2.0
/*
 * Channels: the card sessions smchan keeps, the commands that run on them
 * and the relay of their APDUs to a userspace transport.
 *
 * Nobody waits for a card but the channel's worker. Files queue commands
 * (smchan_channel_submit()) and an administrator queues a session start
 * (smchan_session_start()); the worker, a delayed work item on the
 * freezable smchan workqueue, runs them one at a time with @ch->lock
 * held, and reports each outcome by a callback or an event. Commands
 * are queued per user and taken round robin, so that one user's many
 * files cannot starve another's; a file may hold the channel for a
 * sequence of commands (smchan_channel_hold()), for a bounded time.
 *
 * Each APDU goes to the bound transport as a netlink message with a
 * request id and waits, for at most the channel's timeout, for the one
 * answer that id allows; the transport's death, a timeout, the loss of
 * the session or the channel's deletion complete the request instead.
 * Exactly one of them does: whoever clears @ch->req under @ch->relay_lock
 * completes it, while still holding the lock, or (an answer copied into
 * the waiter's buffer, smchan_transport_done()) right after the copy; the
 * request lives on the waiter's stack, and the waiter always waits for
 * that completion before it returns.
 *
 * Whatever ends a session from outside (the transport gone, the card
 * removed, new settings, a stop, suspend) never waits for the worker: it
 * bumps @ch->gen under @ch->relay_lock (and @ch->abort_gen when the
 * operation in progress must fail now), and the worker ends the session
 * before its next operation. Only deletion and suspend then take
 * @ch->lock, which is free again as soon as the aborted relay returns.
 *
 * The transport is its socket, held from bind to unbind, not its port
 * number: netlink frees the number before it tells us that the socket is
 * gone, and hands it out again.
 *
 * Lock order: smchan_channels_lock, then a channel's cfg_lock, then its
 * lock, then its queue_lock or relay_lock (spinlocks, never nested, never
 * held across anything that sleeps).
 */

#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "channel.h"

static DEFINE_MUTEX(smchan_channels_lock);
static LIST_HEAD(smchan_channels);
/* Under smchan_channels_lock: the last id given, and a change count. */
static u64 smchan_channels_last_id;
static unsigned long smchan_channels_changes;

static struct workqueue_struct *smchan_wq;
/* Between PM_SUSPEND_PREPARE and the resume: no operation starts. */
static bool smchan_suspended;
static const struct smchan_channel_ops *smchan_ops;

/* Most pieces a chained response may come in: 65525 / 256, and some. */
#define CHAIN_PIECES_MAX	300

/**
 * struct smchan_user - one user's queued commands on a channel
 * @node: in the channel's @users, in round-robin order
 * @uid: the user
 * @cmds: its commands, in arrival order
 * @n: how many
 */
struct smchan_user {
	struct list_head node;
	kuid_t uid;
	struct list_head cmds;
	unsigned int n;
};

/**
 * smchan_config_default() - the settings of a new channel
 * @cfg: filled in: ratchet, AES-128, N = 18, rekey limit 4096, timeout
 *	5 s, auto-establish on, no key
 */
void smchan_config_default(struct smchan_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SMCHAN_MODE_RATCHET;
	cfg->suite = SMCHAN_SUITE_AES128;
	cfg->group_n = 18;
	cfg->rekey_limit = 4096;
	cfg->timeout_ms = 5000;
	cfg->auto_establish = true;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_config_default);

static void channel_free(struct kref *ref)
{
	struct smchan_channel *ch = container_of(ref, struct smchan_channel,
						 ref);

	WARN_ON(!list_empty(&ch->users) || ch->tsk);
	smchan_sm_free(ch->sm);
	mutex_destroy(&ch->lock);
	mutex_destroy(&ch->cfg_lock);
	kfree_sensitive(ch);
}

/**
 * smchan_channel_put() - drop a reference
 * @ch: the channel, or NULL
 *
 * Context: process context, no spinlock held.
 */
void smchan_channel_put(struct smchan_channel *ch)
{
	if (ch)
		kref_put(&ch->ref, channel_free);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_put);

/* Run the worker now (it takes a reference while queued). */
static void kick(struct smchan_channel *ch)
{
	kref_get(&ch->ref);
	if (mod_delayed_work(smchan_wq, &ch->run, 0))
		smchan_channel_put(ch);	/* it was queued: that one counts */
}

/* Run the worker in @delay jiffies, unless it is queued already. */
static void kick_later(struct smchan_channel *ch, unsigned long delay)
{
	kref_get(&ch->ref);
	if (!queue_delayed_work(smchan_wq, &ch->run, delay))
		smchan_channel_put(ch);
}

/**
 * smchan_channel_flush() - wait until the worker has nothing left to do
 * @ch: the channel
 *
 * For tests (module exit relies on destroy_workqueue()). Context: may
 * sleep.
 */
void smchan_channel_flush(struct smchan_channel *ch)
{
	flush_delayed_work(&ch->run);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_flush);

static struct smchan_channel *find(const char *name)
{
	struct smchan_channel *ch;

	lockdep_assert_held(&smchan_channels_lock);
	list_for_each_entry(ch, &smchan_channels, node)
		if (!strcmp(ch->name, name))
			return ch;
	return NULL;
}

/**
 * smchan_channel_get() - look a channel up by name
 * @name: its name
 *
 * Return: the channel with a reference the caller puts, or NULL.
 */
struct smchan_channel *smchan_channel_get(const char *name)
{
	struct smchan_channel *ch;

	mutex_lock(&smchan_channels_lock);
	ch = find(name);
	if (ch)
		kref_get(&ch->ref);
	mutex_unlock(&smchan_channels_lock);
	return ch;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_get);

/**
 * smchan_channel_next() - walk the channels in creation order
 * @pos: 0 to start; then the id of the channel returned last, which the
 *	call advances
 *
 * The walk survives deletions, of the channel returned last too, and may
 * sleep between steps: it resumes after @pos, not from a list node.
 *
 * Return: the next channel with a reference the caller puts, or NULL at
 * the end.
 */
struct smchan_channel *smchan_channel_next(u64 *pos)
{
	struct smchan_channel *ch, *found = NULL;

	mutex_lock(&smchan_channels_lock);
	list_for_each_entry(ch, &smchan_channels, node) {
		if (ch->id > *pos) {
			found = ch;
			kref_get(&ch->ref);
			*pos = ch->id;
			break;
		}
	}
	mutex_unlock(&smchan_channels_lock);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_next);

/**
 * smchan_channels_seq() - changes to the list so far, for dump checks
 *
 * Return: a number that changes whenever a channel is added or deleted.
 */
unsigned long smchan_channels_seq(void)
{
	unsigned long seq;

	mutex_lock(&smchan_channels_lock);
	seq = smchan_channels_changes;
	mutex_unlock(&smchan_channels_lock);
	return seq;
}

/* The configuration rules that do not depend on how it was given. */
static int config_check(const struct smchan_config *cfg)
{
	if (cfg->mode < SMCHAN_MODE_XOR || cfg->mode > SMCHAN_MODE_RATCHET ||
	    (cfg->suite != SMCHAN_SUITE_AES128 &&
	     cfg->suite != SMCHAN_SUITE_AES256) ||
	    cfg->group_n < SMCHAN_GROUP_MIN ||
	    cfg->group_n > SMCHAN_GROUP_MAX || !cfg->timeout_ms)
		return -EINVAL;
	if (cfg->mkey_len &&
	    cfg->mkey_len != (cfg->suite == SMCHAN_SUITE_AES128 ? 16 : 32))
		return -EINVAL;
	return 0;
}

/*
 * End the session (the engine may have ended it already: its reason then
 * stands) and say so, if there was one.
 */
static void session_end(struct smchan_channel *ch, enum smchan_end_reason why,
			bool failed)
{
	lockdep_assert_held(&ch->lock);
	smchan_sm_end(ch->sm, why);
	ch->rekey_due = false;
	if (ch->state != SMCHAN_STATE_ESTABLISHED)
		return;
	WRITE_ONCE(ch->state, failed ? SMCHAN_STATE_FAILED : SMCHAN_STATE_IDLE);
	ch->ops->event(ch->name, SMCHAN_EVENT_SESSION_DOWN, why);
}

/* Fail the request in flight with @err. Caller holds relay_lock. */
static void fail_request(struct smchan_channel *ch, int err)
{
	struct smchan_request *req = ch->req;

	lockdep_assert_held(&ch->relay_lock);
	if (!req)
		return;
	ch->req = NULL;
	req->err = err;
	complete(&req->done);
}

/*
 * The session is over for @why (caller holds relay_lock): the worker ends
 * it before its next operation. With @err, the operation in progress
 * fails too, its request in flight and every later relay with @err.
 */
static void lose(struct smchan_channel *ch, enum smchan_end_reason why,
		 int err)
{
	lockdep_assert_held(&ch->relay_lock);
	ch->gen++;
	ch->lost_reason = why;
	if (err) {
		ch->abort_gen++;
		ch->lost_err = err;
		fail_request(ch, err);
	}
}

/* End a session lost since it started. Caller holds the lock. */
static void end_if_lost(struct smchan_channel *ch)
{
	enum smchan_end_reason lost = SMCHAN_END_NONE;

	lockdep_assert_held(&ch->lock);
	spin_lock(&ch->relay_lock);
	if (ch->sm->established && ch->session_gen != ch->gen)
		lost = ch->lost_reason;
	ch->op_gen = ch->abort_gen;
	spin_unlock(&ch->relay_lock);
	if (lost)
		session_end(ch, lost, false);
}

/*
 * End a lost session now if the worker is not running an operation (it
 * ends it itself when it is), else make sure it runs.
 */
static void end_lost_soon(struct smchan_channel *ch)
{
	if (mutex_trylock(&ch->lock)) {
		end_if_lost(ch);
		mutex_unlock(&ch->lock);
	} else {
		kick(ch);
	}
}

/*
 * Apply @fn to a copy of the settings and install the result; the
 * session in progress is over. The copy lives on the heap since it holds
 * a key.
 */
static int config_apply(struct smchan_channel *ch, smchan_config_fn fn,
			void *arg)
{
	struct smchan_config *cfg;
	int ret;

	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	mutex_lock(&ch->cfg_lock);
	spin_lock(&ch->relay_lock);
	*cfg = ch->cfg;
	spin_unlock(&ch->relay_lock);
	ret = fn(cfg, arg);
	if (!ret)
		ret = config_check(cfg);
	if (!ret) {
		spin_lock(&ch->relay_lock);
		if (ch->dead) {
			ret = -ENOENT;
		} else {
			ch->cfg = *cfg;
			ch->want_session = false;
			lose(ch, SMCHAN_END_LOCAL, 0);
		}
		spin_unlock(&ch->relay_lock);
	}
	mutex_unlock(&ch->cfg_lock);
	kfree_sensitive(cfg);
	return ret;
}

/**
 * smchan_channel_name_valid() - is @name a good channel name?
 * @name: a NUL-terminated string
 *
 * A name smchanctl can print and a shell can pass: 1 to 15 ASCII
 * letters, digits and "-_.:@+", not starting with '-'.
 *
 * Return: true if it is.
 */
bool smchan_channel_name_valid(const char *name)
{
	size_t i, len = strnlen(name, SMCHAN_NAME_SIZE);

	if (!len || len == SMCHAN_NAME_SIZE || name[0] == '-')
		return false;
	/* ASCII only: the kernel's isalnum() takes Latin-1 letters too. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("-_.:@+", name[i])))
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_name_valid);

static void run(struct work_struct *work);

/**
 * smchan_channel_add() - create a channel
 * @name: 1 to 15 bytes: ASCII letters, digits and "-_.:@+", not starting
 *	with '-'
 * @fn: called on the default settings to change them (e.g. from netlink
 *	attributes); its error is returned
 * @arg: for @fn
 * @chp: the new channel, with a reference the caller puts
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a bad name or settings; -EEXIST if the name is
 * taken; -ENOMEM; or the error of @fn.
 */
int smchan_channel_add(const char *name, smchan_config_fn fn, void *arg,
		       struct smchan_channel **chp)
{
	struct smchan_channel *ch;
	int ret;

	if (!smchan_channel_name_valid(name))
		return -EINVAL;
	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return -ENOMEM;
	kref_init(&ch->ref);
	INIT_LIST_HEAD(&ch->node);
	strscpy(ch->name, name, sizeof(ch->name));
	INIT_DELAYED_WORK(&ch->run, run);
	mutex_init(&ch->lock);
	mutex_init(&ch->cfg_lock);
	spin_lock_init(&ch->queue_lock);
	INIT_LIST_HEAD(&ch->users);
	init_waitqueue_head(&ch->hold_wait);
	spin_lock_init(&ch->relay_lock);
	ch->state = SMCHAN_STATE_IDLE;
	ch->ops = smchan_ops;
	smchan_config_default(&ch->cfg);

	ch->sm = smchan_sm_alloc();
	if (IS_ERR(ch->sm)) {
		ret = PTR_ERR(ch->sm);
		ch->sm = NULL;
		goto err_put;
	}
	ret = config_apply(ch, fn, arg);
	if (ret)
		goto err_put;

	mutex_lock(&smchan_channels_lock);
	if (find(name)) {
		mutex_unlock(&smchan_channels_lock);
		ret = -EEXIST;
		goto err_put;
	}
	ch->id = ++smchan_channels_last_id;
	smchan_channels_changes++;
	list_add_tail(&ch->node, &smchan_channels);
	kref_get(&ch->ref);		/* the list's */
	mutex_unlock(&smchan_channels_lock);

	ch->ops->event(ch->name, SMCHAN_EVENT_CHANNEL_NEW, SMCHAN_END_NONE);
	*chp = ch;
	return 0;

err_put:
	smchan_channel_put(ch);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_add);

/**
 * smchan_channel_set() - change a channel's settings
 * @ch: the channel
 * @fn: called on a copy of the settings to change them; its error is
 *	returned and nothing changes
 * @arg: for @fn
 *
 * A change ends the session: at once if no command is running, else as
 * soon as the running one is over. Never waits for the card.
 *
 * Return: 0; -ENOENT if the channel was deleted (as for a name that does
 * not exist: this is an administrator's request); -EINVAL for settings
 * that do not fit together; -ENOMEM; or the error of @fn.
 */
int smchan_channel_set(struct smchan_channel *ch, smchan_config_fn fn,
		       void *arg)
{
	int ret = config_apply(ch, fn, arg);

	if (!ret)
		end_lost_soon(ch);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_set);

/* Unbind under relay_lock; the caller puts the socket returned. */
static struct sock *unbind(struct smchan_channel *ch)
{
	struct sock *sk = ch->tsk;

	lockdep_assert_held(&ch->relay_lock);
	ch->tsk = NULL;
	ch->portid = 0;
	ch->card = false;
	ch->atr_len = 0;
	lose(ch, SMCHAN_END_TRANSPORT, -EPIPE);
	return sk;
}

/**
 * smchan_channel_del() - delete a channel
 * @ch: the channel (the caller's reference stays the caller's)
 *
 * The command in flight fails with -ENODEV, so do the queued ones; the
 * session ends and the key is wiped before this returns; files attached
 * to the channel get -ENODEV from then on.
 *
 * Context: may sleep, but not for the card: only for the worker to see
 * its relay fail.
 * Return: 0, or -ENOENT when the channel was deleted already (two
 * requests that both found it: one deletes it).
 */
int smchan_channel_del(struct smchan_channel *ch)
{
	struct sock *sk = NULL;
	bool listed;

	mutex_lock(&smchan_channels_lock);
	listed = !list_empty(&ch->node);
	list_del_init(&ch->node);
	if (listed)
		smchan_channels_changes++;
	mutex_unlock(&smchan_channels_lock);
	if (!listed)
		return -ENOENT;

	spin_lock(&ch->relay_lock);
	WRITE_ONCE(ch->dead, true);
	ch->want_session = false;
	if (ch->tsk)
		sk = unbind(ch);
	fail_request(ch, -ENODEV);
	spin_unlock(&ch->relay_lock);
	if (sk)
		sock_put(sk);

	spin_lock(&ch->queue_lock);
	ch->holder = NULL;
	ch->start_id = 0;
	spin_unlock(&ch->queue_lock);
	wake_up_all(&ch->hold_wait);

	mutex_lock(&ch->lock);
	session_end(ch, SMCHAN_END_LOCAL, false);
	spin_lock(&ch->relay_lock);
	memzero_explicit(ch->cfg.mkey, sizeof(ch->cfg.mkey));
	ch->cfg.mkey_len = 0;
	ch->cfg.key_source = SMCHAN_KEY_NONE;
	spin_unlock(&ch->relay_lock);
	mutex_unlock(&ch->lock);

	kick(ch);	/* fails what is still queued with -ENODEV */
	ch->ops->event(ch->name, SMCHAN_EVENT_CHANNEL_DEL, SMCHAN_END_NONE);
	smchan_channel_put(ch);		/* the list's */
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_del);

/**
 * smchan_channel_del_all() - delete every channel (module exit)
 */
void smchan_channel_del_all(void)
{
	struct smchan_channel *ch;
	u64 pos = 0;

	while ((ch = smchan_channel_next(&pos))) {
		smchan_channel_del(ch);
		smchan_channel_put(ch);
	}
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_del_all);

/**
 * smchan_channel_info() - a channel's settings and state, without its key
 * @ch: the channel
 * @info: filled in
 *
 * Does not wait for a command in progress: the counters are read as they
 * are.
 */
void smchan_channel_info(struct smchan_channel *ch,
			 struct smchan_channel_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = ch->id;
	strscpy(info->name, ch->name, sizeof(info->name));
	spin_lock(&ch->relay_lock);
	info->cfg = ch->cfg;
	info->transport = ch->tsk;
	info->last_err = ch->last_err;
	info->card = ch->card;
	info->atr_len = ch->atr_len;
	memcpy(info->atr, ch->atr, ch->atr_len);
	spin_unlock(&ch->relay_lock);
	memzero_explicit(info->cfg.mkey, sizeof(info->cfg.mkey));
	info->state = READ_ONCE(ch->state);
	info->n = READ_ONCE(ch->sm->n);
	info->commands = READ_ONCE(ch->stats.commands);
	info->sm_failures = READ_ONCE(ch->stats.sm_failures);
	info->sessions = READ_ONCE(ch->stats.sessions);
	info->reinits = READ_ONCE(ch->stats.reinits);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_info);

/*
 * One APDU to the transport and its answer in *@rsp: @buf when it fits its
 * @size bytes (@buf may be @apdu's, which the transport has copied by
 * then), else a kmalloc'd copy that the caller frees. Or -EPIPE (no
 * transport, or it went away), -ETIMEDOUT, -ENODEV (channel deleted), what
 * the loss of the session since the operation began says (-EPIPE, -ENXIO
 * card removed, -ECANCELED suspend), or the transport's own error.
 */
static int relay(struct smchan_channel *ch, const u8 *apdu, size_t len,
		 u8 *buf, size_t size, u8 **rsp)
{
	struct smchan_request req = { .buf = buf, .size = size };
	u32 portid = 0, tmo;
	long left = 0;
	int ret;

	lockdep_assert_held(&ch->lock);
	init_completion(&req.done);
	spin_lock(&ch->relay_lock);
	tmo = ch->cfg.timeout_ms;
	if (ch->dead)
		ret = -ENODEV;
	else if (ch->abort_gen != ch->op_gen)
		ret = ch->lost_err;
	else if (!ch->tsk || sock_flag(ch->tsk, SOCK_DEAD))
		ret = -EPIPE;	/* closing: its port may be someone else's */
	else
		ret = 0;
	if (!ret) {
		portid = ch->portid;
		req.id = ++ch->next_id;
		ch->req = &req;
	}
	spin_unlock(&ch->relay_lock);
	if (ret)
		return ret;

	ret = ch->ops->transmit(ch, portid, req.id, apdu, len, tmo);
	/*
	 * Killable, as the caller may be an application's write() (the
	 * request then fails with -EINTR, and the session with it), and so
	 * that a long timeout is not a hung task.
	 */
	if (!ret) {
		left = msecs_to_jiffies(tmo);
		left = wait_for_completion_killable_timeout(&req.done, left);
		if (left < 0)
			ret = -EINTR;
	}

	/*
	 * Not sent: a full receive queue or no memory is not a lost
	 * transport (-ENOBUFS); a socket gone is (-EPIPE).
	 */
	if (ret == -ENOMEM || ret == -ENOBUFS || ret == -EAGAIN)
		ret = -ENOBUFS;
	else if (ret && ret != -EINTR)
		ret = -EPIPE;
	spin_lock(&ch->relay_lock);
	if (ch->req == &req)
		fail_request(ch, ret ?: -ETIMEDOUT);
	spin_unlock(&ch->relay_lock);
	/* Completed by now, or next by an answer being copied into @buf. */
	if (left <= 0)
		wait_for_completion(&req.done);

	if (req.err) {
		if (req.rsp != buf)
			kfree_sensitive(req.rsp);
		return req.err;
	}
	*rsp = req.rsp;
	return req.len;
}

/* A piece relay() gave: the caller's @buf stays, a copy goes. */
static void put_piece(u8 *piece, const u8 *buf)
{
	if (piece != buf)
		kfree_sensitive(piece);
}

/* @chain in a new buffer of @size bytes: its bytes moved, the old one wiped. */
static int chain_resize(struct smchan_chain *chain, size_t size)
{
	u8 *buf = kmalloc(size, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	if (chain->len)
		memcpy(buf, chain->buf, chain->len);
	kfree_sensitive(chain->buf);
	chain->buf = buf;
	chain->size = size;
	return 0;
}

/*
 * A command and its whole answer: pieces chained with 61 xx are fetched
 * with GET RESPONSE and joined, in a buffer of @want bytes (what the
 * answer may be), or of SMCHAN_PROT_RSP_MAX if the card sends more. Each
 * piece lands in @buf when it fits (see relay()). Returns the length of
 * *@rsp, which is @buf or a kmalloc'd buffer.
 */
static int exchange(struct smchan_channel *ch, const u8 *apdu, size_t len,
		    u8 *buf, size_t size, size_t want, u8 **rsp)
{
	struct smchan_chain chain = {};
	u8 get_response[5], *piece;
	unsigned int pieces;
	int ret, n;

	n = relay(ch, apdu, len, buf, size, &piece);
	if (n < 0)
		return n;
	if (n < 2 || piece[n - 2] != 0x61) {
		*rsp = piece;
		return n;
	}

	ret = chain_resize(&chain, min_t(size_t, max_t(size_t, want, n),
					 SMCHAN_PROT_RSP_MAX));
	if (ret) {
		put_piece(piece, buf);
		return ret;
	}
	for (pieces = 1; ; pieces++) {
		ret = smchan_chain_feed(&chain, piece, n, get_response);
		if (ret == -EMSGSIZE && chain.size < SMCHAN_PROT_RSP_MAX) {
			/* A card that sends more than Ne allows. */
			ret = chain_resize(&chain, SMCHAN_PROT_RSP_MAX);
			if (!ret)
				ret = smchan_chain_feed(&chain, piece, n,
							get_response);
		}
		put_piece(piece, buf);
		if (ret == -ENOMEM)
			break;
		if (ret < 0 || (ret && pieces == CHAIN_PIECES_MAX))
			ret = -EBADMSG;	/* not a response section 5 allows */
		if (ret <= 0)
			break;
		n = relay(ch, get_response, sizeof(get_response), buf, size,
			  &piece);
		if (n < 0) {
			ret = n;
			break;
		}
	}
	if (ret) {
		kfree_sensitive(chain.buf);
		return ret;
	}
	*rsp = chain.buf;
	return chain.len;
}

/*
 * GET CHALLENGE, INITIALIZE SESSION and the CC check. Returns 0, -ENOKEY
 * without a master key, -EKEYREJECTED when the card refuses our key block
 * or its CC is wrong (the two sides do not share MKEY), or the transport's
 * error.
 */
static int establish(struct smchan_channel *ch, u64 start_id)
{
	struct smchan_config *cfg;
	struct smchan_init *ini;
	u8 *cmd = NULL, *rsp = NULL;
	u64 gen;
	int ret, n;

	lockdep_assert_held(&ch->lock);
	smchan_sm_end(ch->sm, SMCHAN_END_NONE);
	WRITE_ONCE(ch->state, SMCHAN_STATE_ESTABLISHING);
	/* The settings of this session: a change later ends it. */
	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	ini = kzalloc(sizeof(*ini), GFP_KERNEL);
	cmd = kmalloc(SMCHAN_INIT_APDU_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!cfg || !ini || !cmd)
		goto out;
	spin_lock(&ch->relay_lock);
	*cfg = ch->cfg;
	gen = ch->gen;
	spin_unlock(&ch->relay_lock);
	ret = -ENOKEY;
	if (!cfg->mkey_len)
		goto out;

	ret = smchan_init_prepare(ini, cfg->mode,
				  cfg->suite == SMCHAN_SUITE_AES128 ? 16 : 32,
				  cfg->group_n);
	if (ret)
		goto out;

	n = exchange(ch, smchan_get_challenge, sizeof(smchan_get_challenge),
		     NULL, 0, 0, &rsp);
	ret = n;
	if (n < 0)
		goto out;
	n = smchan_init_command(ch->sm, ini, cfg->mkey, cfg->mkey_len, rsp, n,
				cmd, SMCHAN_INIT_APDU_MAX);
	kfree_sensitive(rsp);
	rsp = NULL;
	ret = n;
	if (n < 0)
		goto out_refused;
	n = exchange(ch, cmd, n, NULL, 0, 0, &rsp);
	ret = n;
	if (n < 0)
		goto out;
	ret = smchan_init_complete(ch->sm, ini, rsp, n);

out_refused:
	if (ret == -EBADMSG || ret == -ECONNRESET || ret == -EREMOTEIO ||
	    ret == -EPROTO)
		ret = -EKEYREJECTED;
out:
	if (ini) {
		smchan_init_wipe(ini);
		kfree(ini);
	}
	kfree_sensitive(cmd);
	kfree_sensitive(rsp);
	if (!ret)
		ch->sm->rekey_limit = cfg->rekey_limit;
	kfree_sensitive(cfg);
	spin_lock(&ch->relay_lock);
	ch->last_err = ret;
	spin_unlock(&ch->relay_lock);
	if (ret) {
		smchan_sm_end(ch->sm, SMCHAN_END_NONE);
		WRITE_ONCE(ch->state, SMCHAN_STATE_FAILED);
		ch->ops->session_event(ch->name, SMCHAN_EVENT_SESSION_FAILED,
					start_id, ret);
		return ret;
	}
	ch->session_gen = gen;
	WRITE_ONCE(ch->state, SMCHAN_STATE_ESTABLISHED);
	WRITE_ONCE(ch->stats.sessions, ch->stats.sessions + 1);
	ch->ops->session_event(ch->name, SMCHAN_EVENT_SESSION_UP, start_id, 0);
	return 0;
}

static int need_session(struct smchan_channel *ch)
{
	bool want;

	lockdep_assert_held(&ch->lock);
	spin_lock(&ch->relay_lock);
	want = ch->cfg.auto_establish || ch->want_session;
	spin_unlock(&ch->relay_lock);

	if (ch->sm->established)
		return 0;
	if (ch->rekey_due) {
		/* The rekey limit: section 6 again, whatever auto-establish. */
		WRITE_ONCE(ch->stats.reinits, ch->stats.reinits + 1);
		ch->ops->event(ch->name, SMCHAN_EVENT_REKEY, SMCHAN_END_LIMIT);
		return establish(ch, 0);
	}
	if (!want)
		return -ENOTCONN;
	return establish(ch, 0);
}

/*
 * The length of the protected command for Nc bytes of D' and Le (sm.c,
 * PROTOCOL.md section 5): DO87 with its padding, DO97, DO8E, and Lc and
 * Le, extended when the body or Le needs it. It must fit a netlink
 * attribute: so with Le > 256, Nc is at most 65487 (xor, ratchet) or
 * 65486 (list, opkey, which add a selector byte), not 65503 and 65502.
 */
static size_t protected_len(size_t dlen, u32 ne)
{
	size_t clen = (dlen / SMCHAN_BLOCK + 1) * SMCHAN_BLOCK, body = 0;
	bool ext;

	if (dlen)
		body = 1 + (1 + clen < 0x80 ? 1 : 1 + clen < 0x100 ? 2 : 3) +
		       1 + clen;
	body += 2 + 8;
	if (ne)
		body += ne <= 256 ? 3 : 4;
	ext = body > 255 || ne > 256;
	return 4 + (ext ? 3 : 1) + body + (ext ? 2 : 1);
}

/**
 * smchan_channel_check() - can this command be queued?
 * @ch: the channel
 * @apdu: the parsed plain command
 *
 * The checks write() makes before queueing; the worker makes them again
 * when the command runs.
 *
 * Return: 0; -ENODEV channel deleted; -EINVAL class not plain; -EMSGSIZE
 * data too large for the mode or for the relay; -EPIPE no transport;
 * -ENOTCONN no session and auto-establish off.
 */
int smchan_channel_check(struct smchan_channel *ch,
			 const struct smchan_apdu *apdu)
{
	bool transport, autoest, dead, sel;
	enum smchan_mode mode;

	spin_lock(&ch->relay_lock);
	mode = ch->cfg.mode;
	transport = ch->tsk;
	autoest = ch->cfg.auto_establish || ch->want_session;
	dead = ch->dead;
	spin_unlock(&ch->relay_lock);

	if (dead)
		return -ENODEV;
	if (smchan_cla_class(apdu->cla) != SMCHAN_CLA_PLAIN)
		return -EINVAL;
	sel = mode == SMCHAN_MODE_LIST || mode == SMCHAN_MODE_OPKEY;
	if (apdu->nc + sel > SMCHAN_DPRIME_MAX ||
	    protected_len(apdu->nc + sel, apdu->ne) > SMCHAN_NL_DATA_MAX)
		return -EMSGSIZE;
	if (!transport)
		return -EPIPE;
	if (!autoest && READ_ONCE(ch->state) != SMCHAN_STATE_ESTABLISHED)
		return -ENOTCONN;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_check);

/*
 * The longest protected answer to a command with Ne = @ne: DO87 over
 * min(Ne, 65503) bytes, DO99, DO8E, 90 00. The command's buffer takes
 * at most ANSWER_INLINE_MAX of it: a longer answer gets a buffer of its
 * own size from relay().
 */
#define ANSWER_INLINE_MAX	1024

static size_t answer_size(u32 ne)
{
	size_t r = min_t(size_t, ne, SMCHAN_RDATA_MAX), size = 4 + 10 + 2;

	if (r)
		size += 1 + 3 + 1 + (r / SMCHAN_BLOCK + 1) * SMCHAN_BLOCK;
	return size;
}

/*
 * One plain command under SM, with the lock held: the length of *@rsp
 * (R || SW1 SW2, kmalloc'd), or a negative errno (see
 * Documentation/userspace-api.rst): -EINVAL, -EMSGSIZE, -ENOTCONN,
 * -ENOKEY, -EKEYREJECTED, -EPIPE, -ETIMEDOUT, -EBADMSG (the outcome is
 * unknown, the session has ended), -ENODEV, -ECANCELED, or the
 * transport's error.
 */
static int command(struct smchan_channel *ch, const u8 *apdu, size_t len,
		   u8 **rsp)
{
	struct smchan_apdu plain;
	u8 *cmd = NULL, *prsp = NULL;
	enum smchan_end_reason why;
	size_t size, want;
	int ret, n;
	u8 s;

	lockdep_assert_held(&ch->lock);
	ret = smchan_apdu_parse(&plain, apdu, len);
	if (ret)
		return ret;
	ret = smchan_channel_check(ch, &plain);
	if (ret == -ENOTCONN || ret == -EPIPE)
		ret = 0;		/* need_session() decides */
	if (!ret)
		ret = need_session(ch);
	if (!ret)
		ret = smchan_sm_draw_selector(ch->sm, &s);
	if (ret)
		return ret;

	/*
	 * One buffer per command: the protected command, then the protected
	 * answer over it, then R || SW1 SW2 decrypted in place, handed to the
	 * caller. Only an answer longer than the buffer is copied elsewhere.
	 */
	want = answer_size(plain.ne);
	size = max(plain.nc + 64, min_t(size_t, want, ANSWER_INLINE_MAX));
	ret = -ENOMEM;
	cmd = kmalloc(size, GFP_KERNEL);
	if (!cmd) {
		session_end(ch, SMCHAN_END_LOCAL, true);
		goto out;
	}
	ret = smchan_sm_protect_command(ch->sm, &plain, s, cmd, size);
	if (ret < 0) {
		/* The engine has ended its session: say so. */
		session_end(ch, ch->sm->end_reason, true);
		goto out;
	}

	n = exchange(ch, cmd, ret, cmd, size, want, &prsp);
	if (n < 0) {
		/* The command's outcome on the card is unknown. */
		ret = n;
		why = ret == -ENODEV ? SMCHAN_END_LOCAL :
		      ret == -EBADMSG ? SMCHAN_END_VERIFY : SMCHAN_END_TRANSPORT;
		session_end(ch, why, true);
		goto out;
	}

	ret = smchan_sm_unprotect_response(ch->sm, prsp, n, prsp, n);
	if (ret < 0) {
		why = ch->sm->end_reason;
		WRITE_ONCE(ch->stats.sm_failures, ch->stats.sm_failures + 1);
		ch->ops->event(ch->name, SMCHAN_EVENT_SM_FAILURE, why);
		session_end(ch, why, true);
		ret = -EBADMSG;
		goto out;
	}
	WRITE_ONCE(ch->stats.commands, ch->stats.commands + 1);
	if (!ch->sm->established) {
		/* The rekey limit, or no next key: the pair still counts. */
		why = ch->sm->end_reason;
		session_end(ch, why, why != SMCHAN_END_LIMIT);
		ch->rekey_due = why == SMCHAN_END_LIMIT;
	}
	*rsp = prsp;
	if (prsp == cmd)
		cmd = NULL;
	prsp = NULL;
	/* A card removed or a transport lost meanwhile: the session too. */
	end_if_lost(ch);

out:
	put_piece(prsp, cmd);
	kfree_sensitive(cmd);
	return ret;
}

/* The session start asked for as @id: a new session now. */
static void run_start(struct smchan_channel *ch, u64 id)
{
	bool dead;
	int ret;

	lockdep_assert_held(&ch->lock);
	session_end(ch, SMCHAN_END_LOCAL, false);
	spin_lock(&ch->relay_lock);
	dead = ch->dead;
	spin_unlock(&ch->relay_lock);
	if (dead) {
		ch->ops->session_event(ch->name, SMCHAN_EVENT_SESSION_FAILED,
					id, -ENODEV);
		return;
	}
	ret = establish(ch, id);
	spin_lock(&ch->relay_lock);
	ch->want_session = !ret && !ch->dead;
	spin_unlock(&ch->relay_lock);
}

/*
 * The next command to run, under queue_lock: the holder's, if a file
 * holds the channel; else the oldest of the user whose turn it is, who
 * then goes to the back. NULL if none may run now; *@retry then says in
 * how many jiffies a hold ends that keeps others waiting.
 */
static struct smchan_command *next_cmd(struct smchan_channel *ch,
				       unsigned long *retry)
{
	struct smchan_user *u;
	struct smchan_command *cmd;

	lockdep_assert_held(&ch->queue_lock);
	if (ch->holder && time_after_eq(jiffies, ch->hold_until)) {
		ch->holder = NULL;
		wake_up_all(&ch->hold_wait);
	}
	list_for_each_entry(u, &ch->users, node) {
		list_for_each_entry(cmd, &u->cmds, node) {
			if (ch->holder && cmd->owner != ch->holder)
				continue;
			list_del_init(&cmd->node);
			if (--u->n) {
				list_move_tail(&u->node, &ch->users);
			} else {
				list_del(&u->node);
				kfree(u);
			}
			return cmd;
		}
	}
	if (ch->holder && !list_empty(&ch->users))
		*retry = ch->hold_until - jiffies;
	return NULL;
}

/*
 * The worker: session starts first, then commands, one at a time, until
 * none may run. Nothing starts while the system suspends (the workqueue
 * is freezable, and this stops it short of the freezer), except on a
 * deleted channel, whose commands fail without touching the card: the
 * resume kicks only the channels still listed.
 */
static void run(struct work_struct *work)
{
	struct smchan_channel *ch = container_of(to_delayed_work(work),
						 struct smchan_channel, run);
	struct smchan_command *cmd;
	unsigned long retry;
	u64 start;
	u8 *rsp;
	int ret;

	while (!READ_ONCE(smchan_suspended) || READ_ONCE(ch->dead)) {
		retry = 0;
		mutex_lock(&ch->lock);
		end_if_lost(ch);
		spin_lock(&ch->queue_lock);
		start = ch->start_id;
		ch->start_id = 0;
		cmd = start ? NULL : next_cmd(ch, &retry);
		spin_unlock(&ch->queue_lock);
		if (start) {
			run_start(ch, start);
			mutex_unlock(&ch->lock);
			continue;
		}
		if (!cmd) {
			mutex_unlock(&ch->lock);
			if (retry)
				kick_later(ch, retry);
			break;
		}
		rsp = NULL;
		ret = command(ch, cmd->apdu, cmd->len, &rsp);
		mutex_unlock(&ch->lock);
		cmd->done(cmd, ret, rsp);
		cond_resched();
	}
	smchan_channel_put(ch);
}

/**
 * smchan_channel_submit() - queue a plain command
 * @ch: the channel
 * @cmd: the command, with @uid, @owner, @apdu, @len and @done set; the
 *	caller keeps it (and what @done needs) alive until @done, or until
 *	smchan_channel_cancel() returns true
 *
 * A zero return means that exactly one call of @cmd->done follows, unless
 * smchan_channel_cancel() takes the command back.
 *
 * Return: 0; -ENODEV channel deleted; -EAGAIN the user has
 * %SMCHAN_QUEUE_MAX commands queued; -ENOMEM.
 */
int smchan_channel_submit(struct smchan_channel *ch, struct smchan_command *cmd)
{
	struct smchan_user *u, *nu;
	int ret = 0;

	nu = kmalloc(sizeof(*nu), GFP_KERNEL);
	if (!nu)
		return -ENOMEM;
	spin_lock(&ch->queue_lock);
	list_for_each_entry(u, &ch->users, node)
		if (uid_eq(u->uid, cmd->uid))
			goto found;
	u = nu;
	nu = NULL;
	u->uid = cmd->uid;
	u->n = 0;
	INIT_LIST_HEAD(&u->cmds);
	list_add_tail(&u->node, &ch->users);
found:
	if (READ_ONCE(ch->dead)) {
		ret = -ENODEV;
	} else if (u->n >= SMCHAN_QUEUE_MAX) {
		ret = -EAGAIN;
	} else {
		list_add_tail(&cmd->node, &u->cmds);
		u->n++;
	}
	if (!u->n) {
		list_del(&u->node);
		kfree(u);
	}
	spin_unlock(&ch->queue_lock);
	kfree(nu);
	if (!ret)
		kick(ch);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_submit);

/*
 * Takes the lock if the channel is idle for @owner's command: no
 * operation running, nothing queued, no session start asked for, no hold
 * by another file, not deleted, not suspended.
 */
static bool lock_idle(struct smchan_channel *ch, const void *owner)
{
	bool idle;

	if (!mutex_trylock(&ch->lock))
		return false;
	spin_lock(&ch->queue_lock);
	idle = list_empty(&ch->users) && !ch->start_id &&
	       (!ch->holder || ch->holder == owner) &&
	       !READ_ONCE(ch->dead) && !READ_ONCE(smchan_suspended);
	spin_unlock(&ch->queue_lock);
	if (!idle)
		mutex_unlock(&ch->lock);
	return idle;
}

/**
 * smchan_channel_run() - run a plain command in the caller's context
 * @ch: the channel
 * @cmd: as for smchan_channel_submit()
 *
 * When the channel is idle, runs @cmd here and calls @cmd->done before
 * returning, without the worker's two context switches; otherwise queues
 * it behind the others, as smchan_channel_submit() does. Commands queued
 * meanwhile wait for the worker, which waits for this one.
 *
 * Context: process context; may sleep for up to the channel's timeout per
 * card exchange (killable).
 * Return: as smchan_channel_submit().
 */
int smchan_channel_run(struct smchan_channel *ch, struct smchan_command *cmd)
{
	u8 *rsp = NULL;
	int ret;

	if (!lock_idle(ch, cmd->owner))
		return smchan_channel_submit(ch, cmd);
	end_if_lost(ch);
	ret = command(ch, cmd->apdu, cmd->len, &rsp);
	mutex_unlock(&ch->lock);
	cmd->done(cmd, ret, rsp);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_run);

/**
 * smchan_channel_cancel() - take back a command that has not started
 * @ch: the channel
 * @cmd: a command smchan_channel_submit() queued
 *
 * Return: true if it was still queued: its @done will not be called;
 * false if it runs or has run: @done is called, or has been.
 */
bool smchan_channel_cancel(struct smchan_channel *ch, struct smchan_command *cmd)
{
	struct smchan_user *u;
	bool queued = false;

	spin_lock(&ch->queue_lock);
	list_for_each_entry(u, &ch->users, node) {
		if (!uid_eq(u->uid, cmd->uid) || list_empty(&cmd->node))
			continue;
		list_del_init(&cmd->node);
		queued = true;
		if (!--u->n) {
			list_del(&u->node);
			kfree(u);
		}
		break;
	}
	spin_unlock(&ch->queue_lock);
	return queued;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_cancel);

/* Can @owner take the hold? Under queue_lock. */
static bool hold_free(struct smchan_channel *ch, const void *owner)
{
	if (ch->holder && time_after_eq(jiffies, ch->hold_until))
		ch->holder = NULL;
	return !ch->holder || ch->holder == owner || READ_ONCE(ch->dead);
}

static bool hold_ready(struct smchan_channel *ch, const void *owner)
{
	bool ready;

	spin_lock(&ch->queue_lock);
	ready = hold_free(ch, owner);
	spin_unlock(&ch->queue_lock);
	return ready;
}

/**
 * smchan_channel_hold() - hold the channel for @owner's commands
 * @ch: the channel
 * @owner: the file
 * @ms: for how long, 1..%SMCHAN_HOLD_MAX_MS (a hold @owner has already
 *	is renewed for @ms)
 * @nonblock: do not wait for another holder
 *
 * While @owner holds the channel, only its commands run; the command
 * running when the hold begins finishes first.
 *
 * Return: 0; -EINVAL for @ms out of range; -EAGAIN another file holds it
 * and @nonblock; -ERESTARTSYS a signal came while waiting; -ENODEV the
 * channel was deleted.
 */
int smchan_channel_hold(struct smchan_channel *ch, const void *owner,
			unsigned int ms, bool nonblock)
{
	unsigned long left;
	int ret;

	if (!ms || ms > SMCHAN_HOLD_MAX_MS)
		return -EINVAL;
	spin_lock(&ch->queue_lock);
	while (!hold_free(ch, owner)) {
		left = ch->hold_until - jiffies;
		spin_unlock(&ch->queue_lock);
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible_timeout(ch->hold_wait,
						     hold_ready(ch, owner),
						     left) < 0)
			return -ERESTARTSYS;
		spin_lock(&ch->queue_lock);
	}
	if (READ_ONCE(ch->dead)) {
		ret = -ENODEV;
	} else {
		ch->holder = owner;
		ch->hold_until = jiffies + msecs_to_jiffies(ms);
		ret = 0;
	}
	spin_unlock(&ch->queue_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_hold);

/**
 * smchan_channel_unhold() - end @owner's hold
 * @ch: the channel
 * @owner: the file
 *
 * Return: 0, or -ETIMEDOUT when @owner did not hold the channel (its
 * hold had run out: other files' commands may have run meanwhile).
 */
int smchan_channel_unhold(struct smchan_channel *ch, const void *owner)
{
	int ret = -ETIMEDOUT;

	spin_lock(&ch->queue_lock);
	if (ch->holder == owner) {
		ret = time_after_eq(jiffies, ch->hold_until) ? -ETIMEDOUT : 0;
		ch->holder = NULL;
	}
	spin_unlock(&ch->queue_lock);
	wake_up_all(&ch->hold_wait);
	kick(ch);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_unhold);

/**
 * smchan_session_start() - queue the establishment of a new session
 * @ch: the channel
 * @id: the start's id, which its SESSION_UP or SESSION_FAILED event
 *	quotes (a start already queued is not queued twice: both callers
 *	get its id)
 *
 * Any session in progress ends first. Never waits for the card: the
 * outcome comes by event, and in the channel's state and last error.
 *
 * Return: 0 (queued), -ENOENT deleted, -EPIPE no transport, -ENOKEY no
 * master key.
 */
int smchan_session_start(struct smchan_channel *ch, u64 *id)
{
	u64 new = 0;
	int ret = 0;

	spin_lock(&ch->relay_lock);
	if (ch->dead)
		ret = -ENOENT;
	else if (!ch->tsk)
		ret = -EPIPE;
	else if (!ch->cfg.mkey_len)
		ret = -ENOKEY;
	else
		new = ++ch->next_id;
	spin_unlock(&ch->relay_lock);
	if (ret)
		return ret;

	spin_lock(&ch->queue_lock);
	if (!ch->start_id)
		ch->start_id = new;
	*id = ch->start_id;
	spin_unlock(&ch->queue_lock);
	kick(ch);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_session_start);

/**
 * smchan_session_stop() - end the session
 * @ch: the channel
 * @why: the reason reported
 *
 * At once if no command is running, else as soon as it is over. Never
 * waits for the card.
 */
void smchan_session_stop(struct smchan_channel *ch,
			 enum smchan_end_reason why)
{
	spin_lock(&ch->relay_lock);
	ch->want_session = false;
	lose(ch, why, 0);
	spin_unlock(&ch->relay_lock);
	end_lost_soon(ch);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_session_stop);

/**
 * smchan_transport_bind() - the netlink socket @sk relays @ch
 * @ch: the channel
 * @sk: the transport's socket, held while bound
 * @portid: its port
 *
 * A socket that is closing gives way to the new one.
 *
 * Return: 0 (also when already bound to @sk), -EBUSY when another
 * transport is bound, -ENOENT if the channel was deleted.
 */
int smchan_transport_bind(struct smchan_channel *ch, struct sock *sk,
			  u32 portid)
{
	struct sock *old = NULL;
	int ret = 0;

	spin_lock(&ch->relay_lock);
	if (ch->dead) {
		ret = -ENOENT;
	} else if (ch->tsk == sk) {
		ret = 1;
	} else if (ch->tsk && !sock_flag(ch->tsk, SOCK_DEAD)) {
		ret = -EBUSY;
	} else {
		if (ch->tsk)
			old = unbind(ch);
		sock_hold(sk);
		ch->tsk = sk;
		ch->portid = portid;
	}
	spin_unlock(&ch->relay_lock);
	if (old) {
		sock_put(old);
		ch->ops->event(ch->name, SMCHAN_EVENT_TRANSPORT_DOWN,
				SMCHAN_END_TRANSPORT);
		end_lost_soon(ch);
	}
	if (!ret)
		ch->ops->event(ch->name, SMCHAN_EVENT_TRANSPORT_UP,
				SMCHAN_END_NONE);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_bind);

/* Unbind @ch from its transport if @match says so; say so. */
static bool unbind_if(struct smchan_channel *ch,
		      bool (*match)(struct sock *tsk, u32 portid, void *arg),
		      void *arg)
{
	struct sock *sk = NULL;

	spin_lock(&ch->relay_lock);
	if (ch->tsk && match(ch->tsk, ch->portid, arg))
		sk = unbind(ch);
	spin_unlock(&ch->relay_lock);
	if (!sk)
		return false;
	sock_put(sk);
	ch->ops->event(ch->name, SMCHAN_EVENT_TRANSPORT_DOWN,
			SMCHAN_END_TRANSPORT);
	end_lost_soon(ch);
	return true;
}

static bool is_sock(struct sock *tsk, u32 portid, void *arg)
{
	return tsk == arg;
}

/**
 * smchan_transport_unbind() - stop relaying @ch
 * @ch: the channel
 * @sk: the socket asking, which must be the bound one
 *
 * Return: 0, or -ENOTCONN when @sk does not relay @ch.
 */
int smchan_transport_unbind(struct smchan_channel *ch, struct sock *sk)
{
	return unbind_if(ch, is_sock, sk) ? 0 : -ENOTCONN;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_unbind);

/* The closing socket of port *@arg: netlink has orphaned it already. */
static bool is_closing(struct sock *tsk, u32 portid, void *arg)
{
	return portid == *(u32 *)arg && sock_flag(tsk, SOCK_DEAD);
}

/**
 * smchan_transport_release() - a netlink socket closed
 * @portid: its port
 *
 * Every channel it relayed is unbound and its command in flight fails
 * with -EPIPE. A live socket that has the port now is not touched.
 */
void smchan_transport_release(u32 portid)
{
	struct smchan_channel *ch;
	u64 pos = 0;

	if (!portid)
		return;
	while ((ch = smchan_channel_next(&pos))) {
		unbind_if(ch, is_closing, &portid);
		smchan_channel_put(ch);
	}
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_release);

/*
 * What a transport may say went wrong: the rest (kernel-internal codes
 * such as ERESTARTSYS, or EAGAIN, which a blocking read() must never
 * return) becomes -EIO.
 */
static int transport_errno(int err)
{
	switch (err) {
	case -EIO:
	case -ENXIO:
	case -ENOMEDIUM:
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -EPROTO:
	case -EMSGSIZE:
	case -EBUSY:
	case -EACCES:
		return err;
	default:
		return -EIO;
	}
}

/**
 * smchan_transport_done() - the transport's answer to request @id
 * @ch: the channel
 * @sk: the answering socket, which must be the bound one
 * @id: the request id
 * @rsp: the card's answer, or NULL with @err
 * @len: its length
 * @err: 0, or the transport's negative errno (outside the documented
 *	set: -EIO)
 *
 * Return: 0; -EPERM when @sk is not the channel's transport; -ESRCH
 * when no request @id is waiting (answered already, timed out, or never
 * sent); -ENOMEM.
 */
int smchan_transport_done(struct smchan_channel *ch, struct sock *sk, u64 id,
			  const u8 *rsp, size_t len, int err)
{
	struct smchan_request *req = NULL;
	u8 *copy = NULL;
	int ret = 0;

	/*
	 * An answer that fits the waiter's buffer: take the request, so that
	 * nothing else completes it, and copy outside the lock; the waiter
	 * waits for @done whatever its own wait said.
	 */
	if (!err) {
		spin_lock(&ch->relay_lock);
		if (sk && ch->tsk == sk && ch->req && ch->req->id == id &&
		    ch->req->buf && len <= ch->req->size) {
			req = ch->req;
			ch->req = NULL;
		}
		spin_unlock(&ch->relay_lock);
	}
	if (req) {
		memcpy(req->buf, rsp, len);
		req->rsp = req->buf;
		req->len = len;
		complete(&req->done);
		return 0;
	}

	if (!err) {
		copy = kmemdup(rsp, len, GFP_KERNEL);
		if (!copy)
			err = -ENOMEM;
	} else {
		err = transport_errno(err);
	}

	spin_lock(&ch->relay_lock);
	req = ch->req;
	if (!sk || ch->tsk != sk) {
		ret = -EPERM;
	} else if (!req || req->id != id) {
		ret = -ESRCH;
	} else {
		req->rsp = copy;
		req->len = len;
		copy = NULL;
		fail_request(ch, err);
	}
	spin_unlock(&ch->relay_lock);
	kfree_sensitive(copy);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_done);

/**
 * smchan_card_status() - the transport reports the card inserted or gone
 * @ch: the channel
 * @sk: the reporting socket, which must be the bound one
 * @present: the card is there
 * @atr: its ATR (public: the card sends it to anyone at reset), or NULL
 * @atr_len: the length of @atr, 0 or 2..%SMCHAN_ATR_MAX
 *
 * A removed card ends the session: at once if no command is running, else
 * when the running command is over (its request fails with -ENXIO), and
 * its ATR is forgotten. A present card's report replaces the ATR kept.
 * The transport's own thread calls this, so it must not wait for a
 * command that waits for the transport.
 *
 * Return: 0, -EINVAL for an ATR with a removed card or of a bad length,
 * or -EPERM when @sk is not the channel's transport.
 */
int smchan_card_status(struct smchan_channel *ch, struct sock *sk,
		       bool present, const u8 *atr, size_t atr_len)
{
	int ret = 0;

	if (atr_len == 1 || atr_len > SMCHAN_ATR_MAX || (atr_len && !present))
		return -EINVAL;
	spin_lock(&ch->relay_lock);
	if (!sk || ch->tsk != sk) {
		ret = -EPERM;
	} else {
		ch->card = present;
		ch->atr_len = atr_len;
		memcpy(ch->atr, atr, atr_len);
		if (!present)
			lose(ch, SMCHAN_END_CARD_REMOVED, -ENXIO);
	}
	spin_unlock(&ch->relay_lock);
	if (!ret && !present)
		end_lost_soon(ch);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_card_status);

/**
 * smchan_channel_suspend() - the system suspends, or has resumed
 * @suspend: true at PM_*_PREPARE, false after the resume
 *
 * While suspended, no operation starts, so that no session is established
 * after the keys were wiped (smchan_channel_end_all()); queued commands
 * wait and run after the resume, with a new session.
 */
void smchan_channel_suspend(bool suspend)
{
	struct smchan_channel *ch;
	u64 pos = 0;

	WRITE_ONCE(smchan_suspended, suspend);
	if (suspend)
		return;
	while ((ch = smchan_channel_next(&pos))) {
		kick(ch);
		smchan_channel_put(ch);
	}
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_suspend);

/**
 * smchan_channel_end_all() - end every session now and wipe its keys
 * @why: the reason reported
 *
 * For suspend and VM fork: a copy of memory must not hold keys that
 * another copy goes on using. A command in flight fails with -ECANCELED.
 * Every channel is visited, whatever is deleted meanwhile. The master
 * keys stay: they are the channels' settings.
 */
void smchan_channel_end_all(enum smchan_end_reason why)
{
	struct smchan_channel *ch;
	u64 pos = 0;

	while ((ch = smchan_channel_next(&pos))) {
		spin_lock(&ch->relay_lock);
		lose(ch, why, -ECANCELED);
		spin_unlock(&ch->relay_lock);
		/* Not for the card: the relay in progress has failed. */
		mutex_lock(&ch->lock);
		end_if_lost(ch);
		mutex_unlock(&ch->lock);
		smchan_channel_put(ch);
	}
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_end_all);

/**
 * smchan_channels_init() - the workqueue of the channels' workers
 * @ops: the transport and events of every channel
 *
 * Return: 0 or -ENOMEM.
 */
int smchan_channels_init(const struct smchan_channel_ops *ops)
{
	smchan_ops = ops;
	smchan_wq = alloc_workqueue("smchan", WQ_UNBOUND | WQ_FREEZABLE, 0);
	return smchan_wq ? 0 : -ENOMEM;
}

/**
 * smchan_channels_exit() - wait for the last worker, free the workqueue
 *
 * ORDER: after smchan_channel_del_all().
 */
void smchan_channels_exit(void)
{
	destroy_workqueue(smchan_wq);
}
