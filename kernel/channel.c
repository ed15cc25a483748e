// SPDX-License-Identifier: GPL-2.0
/*
 * Channels: the card sessions smchan keeps, the commands that run on them
 * and the relay of their APDUs to a userspace transport.
 *
 * A command runs with the channel's lock held, from the workqueue of the
 * channel (device writes, in arrival order) or from a netlink request
 * (session start). Each APDU goes to the bound transport as a netlink
 * message with a request id and waits, for at most the channel's timeout,
 * for the one answer that id allows; the transport's death, a timeout or
 * the channel's deletion complete the request instead. Exactly one of them
 * does: whoever clears @ch->req under @ch->relay_lock completes it, while
 * still holding the lock, since the request lives on the waiter's stack.
 *
 * Lock order: smchan_channels_lock, then a channel's lock, then its
 * relay_lock (a spinlock: never held across anything that sleeps).
 */

#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "channel.h"
#include "netlink.h"

static DEFINE_MUTEX(smchan_channels_lock);
static LIST_HEAD(smchan_channels);

/* Most pieces a chained response may come in: 65525 / 256, and some. */
#define CHAIN_PIECES_MAX	300

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

	if (ch->wq)
		destroy_workqueue(ch->wq);
	smchan_sm_free(ch->sm);
	mutex_destroy(&ch->lock);
	kfree_sensitive(ch);
}

/**
 * smchan_channel_put() - drop a reference
 * @ch: the channel, or NULL
 *
 * Context: process context; the last reference frees the channel and its
 * workqueue, so it must not be dropped from that workqueue.
 */
void smchan_channel_put(struct smchan_channel *ch)
{
	if (ch)
		kref_put(&ch->ref, channel_free);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_put);

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
 * @prev: the channel returned last (its reference is dropped), or NULL to
 *	start
 *
 * Return: the next channel with a reference, or NULL at the end (or when
 * @prev has been deleted meanwhile).
 */
struct smchan_channel *smchan_channel_next(struct smchan_channel *prev)
{
	struct smchan_channel *ch = NULL;

	mutex_lock(&smchan_channels_lock);
	if (!prev)
		ch = list_first_entry_or_null(&smchan_channels,
					      struct smchan_channel, node);
	else if (!list_empty(&prev->node) &&
		 !list_is_last(&prev->node, &smchan_channels))
		ch = list_next_entry(prev, node);
	if (ch)
		kref_get(&ch->ref);
	mutex_unlock(&smchan_channels_lock);
	smchan_channel_put(prev);
	return ch;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_next);

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
	smchan_nl_event(ch->name, SMCHAN_EVENT_SESSION_DOWN, why);
}

/*
 * Apply @fn to a copy of the settings and install the result. The copy
 * lives on the heap since it holds a key.
 */
static int config_apply(struct smchan_channel *ch, smchan_config_fn fn,
			void *arg)
{
	struct smchan_config *cfg;
	int ret;

	lockdep_assert_held(&ch->lock);
	cfg = kmemdup(&ch->cfg, sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	ret = fn(cfg, arg);
	if (!ret)
		ret = config_check(cfg);
	if (!ret) {
		session_end(ch, SMCHAN_END_LOCAL, false);
		spin_lock(&ch->relay_lock);
		memcpy(&ch->cfg, cfg, sizeof(*cfg));
		spin_unlock(&ch->relay_lock);
		ch->sm->rekey_limit = cfg->rekey_limit;
	}
	kfree_sensitive(cfg);
	return ret;
}

static bool name_valid(const char *name)
{
	size_t len = strnlen(name, SMCHAN_NAME_SIZE);

	return len && len < SMCHAN_NAME_SIZE && !strchr(name, '/');
}

/**
 * smchan_channel_add() - create a channel
 * @name: 1 to 15 bytes, no '/'
 * @fn: called on the default settings to change them (e.g. from netlink
 *	attributes), under the new channel's lock; its error is returned
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

	if (!name_valid(name))
		return -EINVAL;
	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return -ENOMEM;
	kref_init(&ch->ref);
	INIT_LIST_HEAD(&ch->node);
	strscpy(ch->name, name, sizeof(ch->name));
	mutex_init(&ch->lock);
	spin_lock_init(&ch->relay_lock);
	ch->state = SMCHAN_STATE_IDLE;
	smchan_config_default(&ch->cfg);

	ch->sm = smchan_sm_alloc();
	if (IS_ERR(ch->sm)) {
		ret = PTR_ERR(ch->sm);
		ch->sm = NULL;
		goto err_put;
	}
	ch->wq = alloc_ordered_workqueue("smchan-%s", 0, name);
	if (!ch->wq) {
		ret = -ENOMEM;
		goto err_put;
	}

	mutex_lock(&ch->lock);
	ret = config_apply(ch, fn, arg);
	mutex_unlock(&ch->lock);
	if (ret)
		goto err_put;

	mutex_lock(&smchan_channels_lock);
	if (find(name)) {
		mutex_unlock(&smchan_channels_lock);
		ret = -EEXIST;
		goto err_put;
	}
	list_add_tail(&ch->node, &smchan_channels);
	kref_get(&ch->ref);		/* the list's */
	mutex_unlock(&smchan_channels_lock);

	smchan_nl_event(ch->name, SMCHAN_EVENT_CHANNEL_NEW, SMCHAN_END_NONE);
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
 * A change ends the session in progress.
 *
 * Return: 0; -ENODEV if the channel was deleted; -EINVAL for settings that
 * do not fit together; or the error of @fn.
 */
int smchan_channel_set(struct smchan_channel *ch, smchan_config_fn fn,
		       void *arg)
{
	int ret = -ENODEV;

	mutex_lock(&ch->lock);
	if (!ch->dead)
		ret = config_apply(ch, fn, arg);
	mutex_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_set);

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

/**
 * smchan_channel_del() - delete a channel
 * @ch: the channel (the caller's reference stays the caller's)
 *
 * The command in flight fails with -ENODEV, the session ends, the key is
 * wiped; files attached to the channel get -ENODEV from then on.
 */
void smchan_channel_del(struct smchan_channel *ch)
{
	bool listed;

	mutex_lock(&smchan_channels_lock);
	listed = !list_empty(&ch->node);
	list_del_init(&ch->node);
	mutex_unlock(&smchan_channels_lock);
	if (!listed)
		return;

	spin_lock(&ch->relay_lock);
	WRITE_ONCE(ch->dead, true);
	ch->portid = 0;
	fail_request(ch, -ENODEV);
	spin_unlock(&ch->relay_lock);

	mutex_lock(&ch->lock);
	session_end(ch, SMCHAN_END_LOCAL, false);
	spin_lock(&ch->relay_lock);
	memzero_explicit(ch->cfg.mkey, sizeof(ch->cfg.mkey));
	ch->cfg.mkey_len = 0;
	ch->cfg.key_source = SMCHAN_KEY_NONE;
	spin_unlock(&ch->relay_lock);
	mutex_unlock(&ch->lock);

	smchan_nl_event(ch->name, SMCHAN_EVENT_CHANNEL_DEL, SMCHAN_END_NONE);
	smchan_channel_put(ch);		/* the list's */
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_del);

/**
 * smchan_channel_del_all() - delete every channel (module exit)
 */
void smchan_channel_del_all(void)
{
	struct smchan_channel *ch;

	while ((ch = smchan_channel_next(NULL))) {
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
	strscpy(info->name, ch->name, sizeof(info->name));
	spin_lock(&ch->relay_lock);
	info->cfg = ch->cfg;
	info->transport = ch->portid;
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
 * One APDU to the transport and its answer in *@rsp (kmalloc'd), or
 * -EPIPE (no transport, or it went away), -ETIMEDOUT, -ENODEV (channel
 * deleted), -EINTR (killed), or the transport's own error.
 */
static int relay(struct smchan_channel *ch, const u8 *apdu, size_t len,
		 u8 **rsp)
{
	unsigned long timeout = msecs_to_jiffies(ch->cfg.timeout_ms);
	struct smchan_request req = {};
	long left;
	u32 portid;
	int ret;

	lockdep_assert_held(&ch->lock);
	init_completion(&req.done);
	spin_lock(&ch->relay_lock);
	portid = ch->portid;
	if (portid) {
		req.id = ++ch->next_id;
		ch->req = &req;
	}
	spin_unlock(&ch->relay_lock);
	if (!portid)
		return -EPIPE;

	if (ch->transmit)
		ret = ch->transmit(ch, portid, req.id, apdu, len);
	else
		ret = smchan_nl_transmit(portid, ch->name, req.id, apdu, len);
	if (ret)
		left = 0;
	else
		left = wait_for_completion_killable_timeout(&req.done, timeout);

	spin_lock(&ch->relay_lock);
	if (ch->req == &req)
		fail_request(ch, ret ? -EPIPE : left ? -EINTR : -ETIMEDOUT);
	spin_unlock(&ch->relay_lock);

	if (req.err) {
		kfree_sensitive(req.rsp);
		return req.err;
	}
	*rsp = req.rsp;
	return req.len;
}

/*
 * A command and its whole answer: pieces chained with 61 xx are fetched
 * with GET RESPONSE and joined. Returns the length of *@rsp.
 */
static int exchange(struct smchan_channel *ch, const u8 *apdu, size_t len,
		    u8 **rsp)
{
	struct smchan_chain chain = { .size = SMCHAN_PROT_RSP_MAX };
	u8 get_response[5], *piece;
	unsigned int pieces;
	int ret, n;

	n = relay(ch, apdu, len, &piece);
	if (n < 0)
		return n;
	if (n < 2 || piece[n - 2] != 0x61) {
		*rsp = piece;
		return n;
	}

	chain.buf = kmalloc(chain.size, GFP_KERNEL);
	if (!chain.buf) {
		kfree_sensitive(piece);
		return -ENOMEM;
	}
	for (pieces = 1; ; pieces++) {
		ret = smchan_chain_feed(&chain, piece, n, get_response);
		kfree_sensitive(piece);
		if (ret < 0 || (ret && pieces == CHAIN_PIECES_MAX))
			ret = -EBADMSG;	/* not a response section 5 allows */
		if (ret <= 0)
			break;
		n = relay(ch, get_response, sizeof(get_response), &piece);
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
static int establish(struct smchan_channel *ch)
{
	struct smchan_config *cfg = &ch->cfg;
	unsigned int klen = cfg->suite == SMCHAN_SUITE_AES128 ? 16 : 32;
	struct smchan_init *ini;
	u8 *cmd = NULL, *rsp = NULL;
	u64 gen;
	int ret, n;

	lockdep_assert_held(&ch->lock);
	smchan_sm_end(ch->sm, SMCHAN_END_NONE);
	if (!cfg->mkey_len)
		return -ENOKEY;
	WRITE_ONCE(ch->state, SMCHAN_STATE_ESTABLISHING);
	spin_lock(&ch->relay_lock);
	gen = ch->transport_gen;
	spin_unlock(&ch->relay_lock);

	ini = kzalloc(sizeof(*ini), GFP_KERNEL);
	cmd = kmalloc(SMCHAN_INIT_APDU_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!ini || !cmd)
		goto out;
	ret = smchan_init_prepare(ini, cfg->mode, klen, cfg->group_n);
	if (ret)
		goto out;

	n = exchange(ch, smchan_get_challenge, sizeof(smchan_get_challenge),
		     &rsp);
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
	n = exchange(ch, cmd, n, &rsp);
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
	if (ret) {
		smchan_sm_end(ch->sm, SMCHAN_END_NONE);
		WRITE_ONCE(ch->state, SMCHAN_STATE_FAILED);
		return ret;
	}
	ch->sm->rekey_limit = cfg->rekey_limit;
	ch->session_gen = gen;
	WRITE_ONCE(ch->state, SMCHAN_STATE_ESTABLISHED);
	WRITE_ONCE(ch->stats.sessions, ch->stats.sessions + 1);
	smchan_nl_event(ch->name, SMCHAN_EVENT_SESSION_UP, SMCHAN_END_NONE);
	return 0;
}

/*
 * Make sure a session is there for the next command: end one whose
 * transport or card went away, start one if allowed.
 */
/* End a session whose transport or card went away since it started. */
static void end_if_lost(struct smchan_channel *ch)
{
	enum smchan_end_reason lost = SMCHAN_END_NONE;

	lockdep_assert_held(&ch->lock);
	spin_lock(&ch->relay_lock);
	if (ch->sm->established && ch->session_gen != ch->transport_gen)
		lost = ch->lost_reason;
	spin_unlock(&ch->relay_lock);
	if (lost)
		session_end(ch, lost, false);
}

static int need_session(struct smchan_channel *ch)
{
	lockdep_assert_held(&ch->lock);
	if (ch->dead)
		return -ENODEV;
	end_if_lost(ch);

	if (ch->sm->established)
		return 0;
	if (ch->rekey_due) {
		/* The rekey limit: section 6 again, whatever auto-establish. */
		WRITE_ONCE(ch->stats.reinits, ch->stats.reinits + 1);
		smchan_nl_event(ch->name, SMCHAN_EVENT_REKEY, SMCHAN_END_LIMIT);
		return establish(ch);
	}
	if (!ch->cfg.auto_establish)
		return -ENOTCONN;
	return establish(ch);
}

/**
 * smchan_channel_check() - can this command be queued?
 * @ch: the channel
 * @apdu: the parsed plain command
 *
 * The checks write() makes before queueing; smchan_channel_command()
 * makes them again when the command runs.
 *
 * Return: 0; -ENODEV channel deleted; -EINVAL class not plain; -EMSGSIZE
 * data too large for the mode; -EPIPE no transport; -ENOTCONN no session
 * and auto-establish off.
 */
int smchan_channel_check(struct smchan_channel *ch,
			 const struct smchan_apdu *apdu)
{
	enum smchan_mode mode;
	bool transport, autoest;

	spin_lock(&ch->relay_lock);
	mode = ch->cfg.mode;
	transport = ch->portid;
	autoest = ch->cfg.auto_establish;
	spin_unlock(&ch->relay_lock);

	if (READ_ONCE(ch->dead))
		return -ENODEV;
	if (smchan_cla_class(apdu->cla) != SMCHAN_CLA_PLAIN)
		return -EINVAL;
	if (apdu->nc + (mode == SMCHAN_MODE_LIST ||
			mode == SMCHAN_MODE_OPKEY) > SMCHAN_DPRIME_MAX)
		return -EMSGSIZE;
	if (!transport)
		return -EPIPE;
	if (!autoest && READ_ONCE(ch->state) != SMCHAN_STATE_ESTABLISHED)
		return -ENOTCONN;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_check);

/**
 * smchan_channel_command() - run one plain command under SM
 * @ch: the channel
 * @apdu: the plain command APDU
 * @len: its length
 * @rsp: on success, R || SW1 SW2 (kmalloc'd; the caller wipes and frees it)
 *
 * Establishes a session first if there is none and that is allowed.
 *
 * Context: process context; sleeps for up to the channel's timeout per
 * APDU relayed.
 * Return: the length of *@rsp, or a negative errno: -EINVAL malformed APDU
 * or class not plain; -EMSGSIZE too large; -ENOTCONN no session and
 * auto-establish off; -ENOKEY no master key; -EKEYREJECTED the card
 * refused the session; -EPIPE no transport, or it went away; -ETIMEDOUT;
 * -EBADMSG the response failed verification or the card refused the
 * command (its outcome is unknown: the session has ended); -ENODEV the
 * channel was deleted; or the transport's error.
 */
int smchan_channel_command(struct smchan_channel *ch, const u8 *apdu,
			   size_t len, u8 **rsp)
{
	struct smchan_apdu plain;
	u8 *cmd = NULL, *prsp = NULL, *out = NULL;
	enum smchan_end_reason why;
	int ret, n;
	u8 s;

	ret = smchan_apdu_parse(&plain, apdu, len);
	if (ret)
		return ret;

	mutex_lock(&ch->lock);
	ret = smchan_channel_check(ch, &plain);
	if (ret == -ENOTCONN || ret == -EPIPE)
		ret = 0;		/* need_session() decides */
	if (!ret)
		ret = need_session(ch);
	if (!ret)
		ret = smchan_sm_draw_selector(ch->sm, &s);
	if (ret)
		goto out_unlock;

	ret = -ENOMEM;
	cmd = kmalloc(plain.nc + 64, GFP_KERNEL);
	if (!cmd)
		goto out_unlock;
	ret = smchan_sm_protect_command(ch->sm, &plain, s, cmd,
					plain.nc + 64);
	if (ret < 0)
		goto out_unlock;

	n = exchange(ch, cmd, ret, &prsp);
	if (n < 0) {
		/* The command's outcome on the card is unknown. */
		ret = n;
		why = ret == -ENODEV ? SMCHAN_END_LOCAL :
		      ret == -EBADMSG ? SMCHAN_END_VERIFY : SMCHAN_END_TRANSPORT;
		session_end(ch, why, true);
		goto out_unlock;
	}

	ret = -ENOMEM;
	out = kmalloc(n, GFP_KERNEL);
	if (!out) {
		session_end(ch, SMCHAN_END_LOCAL, true);
		goto out_unlock;
	}
	ret = smchan_sm_unprotect_response(ch->sm, prsp, n, out, n);
	if (ret < 0) {
		why = ch->sm->end_reason;
		WRITE_ONCE(ch->stats.sm_failures, ch->stats.sm_failures + 1);
		smchan_nl_event(ch->name, SMCHAN_EVENT_SM_FAILURE, why);
		session_end(ch, why, true);
		ret = -EBADMSG;
		goto out_unlock;
	}
	WRITE_ONCE(ch->stats.commands, ch->stats.commands + 1);
	if (!ch->sm->established) {
		/* The rekey limit, or no next key: the pair still counts. */
		why = ch->sm->end_reason;
		session_end(ch, why, why != SMCHAN_END_LIMIT);
		ch->rekey_due = why == SMCHAN_END_LIMIT;
	}
	*rsp = out;
	out = NULL;
	/* A card removed or a transport lost meanwhile: the session too. */
	end_if_lost(ch);

out_unlock:
	mutex_unlock(&ch->lock);
	kfree_sensitive(cmd);
	kfree_sensitive(prsp);
	kfree_sensitive(out);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_command);

/**
 * smchan_session_start() - establish a new session now
 * @ch: the channel
 *
 * Any session in progress ends first.
 *
 * Return: 0, or an error of smchan_channel_command() about establishment.
 */
int smchan_session_start(struct smchan_channel *ch)
{
	int ret = -ENODEV;

	mutex_lock(&ch->lock);
	if (!ch->dead) {
		session_end(ch, SMCHAN_END_LOCAL, false);
		ret = establish(ch);
	}
	mutex_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_session_start);

/**
 * smchan_session_stop() - end the session
 * @ch: the channel
 * @why: the reason reported
 */
void smchan_session_stop(struct smchan_channel *ch,
			 enum smchan_end_reason why)
{
	mutex_lock(&ch->lock);
	session_end(ch, why, false);
	mutex_unlock(&ch->lock);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_session_stop);

/**
 * smchan_transport_bind() - the netlink socket @portid relays @ch
 * @ch: the channel
 * @portid: the transport's socket
 *
 * Return: 0 (also when already bound to @portid), -EBUSY when another
 * transport is bound, -ENODEV if the channel was deleted.
 */
int smchan_transport_bind(struct smchan_channel *ch, u32 portid)
{
	int ret = 0;

	spin_lock(&ch->relay_lock);
	if (ch->dead)
		ret = -ENODEV;
	else if (ch->portid && ch->portid != portid)
		ret = -EBUSY;
	else if (!ch->portid)
		ch->portid = portid;
	else
		ret = 1;
	spin_unlock(&ch->relay_lock);
	if (!ret)
		smchan_nl_event(ch->name, SMCHAN_EVENT_TRANSPORT_UP,
				SMCHAN_END_NONE);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_bind);

/*
 * End the session now unless a command holds the channel: that command
 * ends it when it is over (end_if_lost()). Never waits, since the caller
 * may be the transport a running command waits for.
 */
static void end_if_idle(struct smchan_channel *ch, enum smchan_end_reason why)
{
	if (!mutex_trylock(&ch->lock))
		return;
	session_end(ch, why, false);
	mutex_unlock(&ch->lock);
}

/* Unbind under relay_lock: the session in progress is over. */
static void unbind(struct smchan_channel *ch, int err)
{
	lockdep_assert_held(&ch->relay_lock);
	ch->portid = 0;
	ch->transport_gen++;
	ch->lost_reason = SMCHAN_END_TRANSPORT;
	fail_request(ch, err);
}

/**
 * smchan_transport_unbind() - stop relaying @ch
 * @ch: the channel
 * @portid: the socket asking, which must be the bound one
 *
 * Return: 0, or -ENOTCONN when @portid does not relay @ch.
 */
int smchan_transport_unbind(struct smchan_channel *ch, u32 portid)
{
	int ret = -ENOTCONN;

	spin_lock(&ch->relay_lock);
	if (portid && ch->portid == portid) {
		unbind(ch, -EPIPE);
		ret = 0;
	}
	spin_unlock(&ch->relay_lock);
	if (!ret) {
		smchan_nl_event(ch->name, SMCHAN_EVENT_TRANSPORT_DOWN,
				SMCHAN_END_TRANSPORT);
		end_if_idle(ch, SMCHAN_END_TRANSPORT);
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_unbind);

/**
 * smchan_transport_release() - a netlink socket closed
 * @portid: its port
 *
 * Every channel it relayed is unbound and its command in flight fails
 * with -EPIPE.
 */
void smchan_transport_release(u32 portid)
{
	struct smchan_channel *ch;
	bool was;

	if (!portid)
		return;
	mutex_lock(&smchan_channels_lock);
	list_for_each_entry(ch, &smchan_channels, node) {
		spin_lock(&ch->relay_lock);
		was = ch->portid == portid;
		if (was)
			unbind(ch, -EPIPE);
		spin_unlock(&ch->relay_lock);
		if (was) {
			smchan_nl_event(ch->name, SMCHAN_EVENT_TRANSPORT_DOWN,
					SMCHAN_END_TRANSPORT);
			end_if_idle(ch, SMCHAN_END_TRANSPORT);
		}
	}
	mutex_unlock(&smchan_channels_lock);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_transport_release);

/**
 * smchan_transport_done() - the transport's answer to request @id
 * @ch: the channel
 * @portid: the answering socket, which must be the bound one
 * @id: the request id
 * @rsp: the card's answer, or NULL with @err
 * @len: its length
 * @err: 0, or the transport's negative errno
 *
 * Return: 0; -EPERM when @portid is not the channel's transport; -ESRCH
 * when no request @id is waiting (answered already, timed out, or never
 * sent); -ENOMEM.
 */
int smchan_transport_done(struct smchan_channel *ch, u32 portid, u64 id,
			  const u8 *rsp, size_t len, int err)
{
	struct smchan_request *req;
	u8 *copy = NULL;
	int ret = 0;

	if (!err) {
		copy = kmemdup(rsp, len, GFP_KERNEL);
		if (!copy)
			err = -ENOMEM;
	}

	spin_lock(&ch->relay_lock);
	req = ch->req;
	if (!portid || ch->portid != portid) {
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

/*
 * The session of @ch is over for @why: fail the request in flight with
 * @err and make the next command start afresh; end the session now if
 * @wait or if nothing holds the channel.
 */
static void lose_session(struct smchan_channel *ch, enum smchan_end_reason why,
			 int err, bool wait)
{
	spin_lock(&ch->relay_lock);
	ch->transport_gen++;
	ch->lost_reason = why;
	fail_request(ch, err);
	spin_unlock(&ch->relay_lock);

	if (!wait) {
		end_if_idle(ch, why);
		return;
	}
	mutex_lock(&ch->lock);
	session_end(ch, why, false);
	mutex_unlock(&ch->lock);
}

/**
 * smchan_card_status() - the transport reports the card inserted or gone
 * @ch: the channel
 * @portid: the reporting socket, which must be the bound one
 * @present: the card is there
 *
 * A removed card ends the session: at once if no command is running, else
 * when the running command is over (its request fails with -ENXIO). The
 * transport's own thread calls this, so it must not wait for a command
 * that waits for the transport.
 *
 * Return: 0, or -EPERM when @portid is not the channel's transport.
 */
int smchan_card_status(struct smchan_channel *ch, u32 portid, bool present)
{
	bool ours;

	spin_lock(&ch->relay_lock);
	ours = portid && ch->portid == portid;
	spin_unlock(&ch->relay_lock);
	if (!ours)
		return -EPERM;
	if (!present)
		lose_session(ch, SMCHAN_END_CARD_REMOVED, -ENXIO, false);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_card_status);

/**
 * smchan_channel_end_all() - end every session now and wipe its keys
 * @why: the reason reported
 *
 * For suspend and VM fork: a copy of memory must not hold keys that
 * another copy goes on using. A command in flight fails with -ECANCELED.
 */
void smchan_channel_end_all(enum smchan_end_reason why)
{
	struct smchan_channel *ch = NULL;

	while ((ch = smchan_channel_next(ch)))
		lose_session(ch, why, -ECANCELED, true);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_channel_end_all);
