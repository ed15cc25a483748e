// SPDX-License-Identifier: GPL-2.0
/*
 * The "smchan" generic netlink family (Documentation/netlink/specs/smchan.yaml):
 * channel control for administrators (CAP_NET_ADMIN), a multicast group of
 * events, and the relay to the transport: SMCHAN_CMD_TRANSMIT messages to
 * the bound socket and its SMCHAN_CMD_TRANSMIT_DONE answers, in the manner
 * of the net/handshake upcall.
 *
 * No message ever carries a key or anything derived from one: the master
 * key goes in (and is wiped from the request at once), never out.
 *
 * No handler waits for the card or for userspace: every doit runs under
 * genl's cb_lock, which a family being registered anywhere waits for, and
 * the transport's answers need it too. A session start is queued and its
 * outcome comes by event. Each handler looks its channel up, holds a
 * reference, and relies on the channel's own locks. The transport is the
 * socket a request came from (NETLINK_CB(skb).sk), not its port number.
 */

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <keys/user-type.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "channel.h"
#include "netlink.h"

static struct genl_family smchan_family;
/* Cleared before the family goes: channels deleted at exit send nothing. */
static bool smchan_family_up;

static int validate_mkey(const struct nlattr *attr,
			 struct netlink_ext_ack *extack)
{
	if (nla_len(attr) != 16 && nla_len(attr) != 32) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a master key is 16 or 32 bytes");
		return -EINVAL;
	}
	return 0;
}

static int validate_response(const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	if (nla_len(attr) < 2) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a response has at least SW1 SW2");
		return -EINVAL;
	}
	return 0;
}

static int validate_atr(const struct nlattr *attr,
			struct netlink_ext_ack *extack)
{
	if (nla_len(attr) < 2) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "an ATR has at least TS and T0");
		return -EINVAL;
	}
	return 0;
}

static struct netlink_range_validation timeout_range = {
	.min = 1,
	.max = 600000,
};

static struct netlink_range_validation errno_range = {
	.min = 1,
	.max = MAX_ERRNO,
};

static const struct nla_policy smchan_policy[SMCHAN_A_MAX + 1] = {
	[SMCHAN_A_CHANNEL] = { .type = NLA_NUL_STRING,
			       .len = SMCHAN_NAME_SIZE - 1 },
	[SMCHAN_A_MODE] = NLA_POLICY_RANGE(NLA_U8, SMCHAN_MODE_XOR,
					   SMCHAN_MODE_RATCHET),
	[SMCHAN_A_SUITE] = NLA_POLICY_RANGE(NLA_U8, SMCHAN_SUITE_AES128,
					    SMCHAN_SUITE_AES256),
	[SMCHAN_A_GROUP_SIZE] = NLA_POLICY_RANGE(NLA_U8, SMCHAN_GROUP_MIN,
						 SMCHAN_GROUP_MAX),
	[SMCHAN_A_REKEY_LIMIT] = { .type = NLA_U32 },
	[SMCHAN_A_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[SMCHAN_A_AUTO_ESTABLISH] = NLA_POLICY_MAX(NLA_U8, 1),
	[SMCHAN_A_MKEY] = NLA_POLICY_VALIDATE_FN(NLA_BINARY, validate_mkey,
						 SMCHAN_KEY_MAX),
	[SMCHAN_A_KEYRING] = { .type = NLA_NUL_STRING,
			       .len = SMCHAN_KEYDESC_MAX - 1 },
	[SMCHAN_A_KEY_SOURCE] = { .type = NLA_REJECT },
	[SMCHAN_A_READER] = { .type = NLA_NUL_STRING,
			      .len = SMCHAN_READER_MAX - 1 },
	[SMCHAN_A_WEAK] = { .type = NLA_REJECT },
	[SMCHAN_A_STATE] = { .type = NLA_REJECT },
	[SMCHAN_A_N] = { .type = NLA_REJECT },
	[SMCHAN_A_TRANSPORT] = { .type = NLA_REJECT },
	[SMCHAN_A_STATS] = { .type = NLA_REJECT },
	[SMCHAN_A_REQUEST_ID] = { .type = NLA_U64 },
	[SMCHAN_A_APDU] = { .type = NLA_REJECT },
	/* At least a status word; at most what an attribute holds. */
	[SMCHAN_A_RESPONSE] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
						     validate_response,
						     SMCHAN_NL_DATA_MAX),
	[SMCHAN_A_ERROR] = NLA_POLICY_FULL_RANGE(NLA_U32, &errno_range),
	[SMCHAN_A_EVENT] = { .type = NLA_REJECT },
	[SMCHAN_A_END_REASON] = { .type = NLA_REJECT },
	[SMCHAN_A_CARD_PRESENT] = NLA_POLICY_MAX(NLA_U8, 1),
	[SMCHAN_A_PAD] = { .type = NLA_REJECT },
	[SMCHAN_A_ATR] = NLA_POLICY_VALIDATE_FN(NLA_BINARY, validate_atr,
						SMCHAN_ATR_MAX),
};

/*
 * -ENOENT, said: the channel named is not there (never made, or deleted,
 * also between a lookup and the operation, which then says -ENOENT too).
 */
static int no_channel(struct genl_info *info)
{
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMCHAN_A_CHANNEL],
			    "no such channel");
	return -ENOENT;
}

/*
 * The channel named in the request, with a reference: -EINVAL without
 * the attribute, -ENOENT when there is no such channel.
 */
static struct smchan_channel *lookup(struct genl_info *info)
{
	struct smchan_channel *ch;

	if (GENL_REQ_ATTR_CHECK(info, SMCHAN_A_CHANNEL))
		return ERR_PTR(-EINVAL);
	ch = smchan_channel_get(nla_data(info->attrs[SMCHAN_A_CHANNEL]));
	return ch ?: ERR_PTR(no_channel(info));
}

/* The transport: the socket the request came from. */
static struct sock *sender(struct sk_buff *skb)
{
	return NETLINK_CB(skb).sk;
}

/*
 * A logon key's payload, by its length alone: exactly 16 or 32 bytes are
 * the raw key (what "smchanctl key add" stores); anything else must be
 * 32 or 64 hex digits with white space around them (a key file, newline
 * included, added with "keyctl padd").
 */
static int key_payload(const u8 *data, size_t len, u8 *mkey,
		       unsigned int *mkey_len)
{
	const u8 *p = data;
	size_t n = len;

	if (len == 16 || len == 32) {
		memcpy(mkey, data, len);
		*mkey_len = len;
		return 0;
	}
	while (n && isspace(p[n - 1]))
		n--;
	while (n && isspace(p[0])) {
		p++;
		n--;
	}
	if ((n == 32 || n == 64) && !hex2bin(mkey, p, n / 2)) {
		*mkey_len = n / 2;
		return 0;
	}
	memzero_explicit(mkey, SMCHAN_KEY_MAX);
	return -EINVAL;
}

static int mkey_from_keyring(const char *desc, struct smchan_config *cfg,
			     struct netlink_ext_ack *extack)
{
	const struct user_key_payload *payload;
	struct key *key;
	int ret;

	key = request_key(&key_type_logon, desc, NULL);
	if (IS_ERR(key)) {
		NL_SET_ERR_MSG(extack, "no such logon key");
		return PTR_ERR(key);
	}
	down_read(&key->sem);
	payload = user_key_payload_locked(key);
	if (!payload)
		ret = -EKEYREVOKED;
	else
		ret = key_payload(payload->data, payload->datalen, cfg->mkey,
				  &cfg->mkey_len);
	up_read(&key->sem);
	key_put(key);
	if (ret == -EINVAL)
		NL_SET_ERR_MSG(extack,
			       "the logon key is not 16 or 32 raw bytes, or 32 or 64 hex digits and white space");
	return ret;
}

/**
 * struct attrs_arg - a CHANNEL_NEW or CHANNEL_SET request
 * @info: the request
 * @mkey: SMCHAN_A_MKEY, copied out of the request (which is wiped at once)
 * @mkey_len: its length
 */
struct attrs_arg {
	struct genl_info *info;
	u8 mkey[SMCHAN_KEY_MAX];
	unsigned int mkey_len;
};

/*
 * The request's settings, with the master key copied out of the request
 * and wiped there, first, whatever happens next (NULL: no memory).
 */
static struct attrs_arg *take_attrs(struct genl_info *info)
{
	struct nlattr *a = info->attrs[SMCHAN_A_MKEY];
	struct attrs_arg *arg;

	arg = kzalloc(sizeof(*arg), GFP_KERNEL);
	if (arg) {
		arg->info = info;
		if (a) {
			arg->mkey_len = min_t(unsigned int, nla_len(a),
					      SMCHAN_KEY_MAX);
			memcpy(arg->mkey, nla_data(a), arg->mkey_len);
		}
	}
	if (a)
		memzero_explicit(nla_data(a), nla_len(a));
	return arg;
}

/* smchan_config_fn: the settings a CHANNEL_NEW or CHANNEL_SET gives. */
static int apply_attrs(struct smchan_config *cfg, void *varg)
{
	struct attrs_arg *arg = varg;
	struct genl_info *info = arg->info;
	struct nlattr **a = info->attrs;
	int ret;

	if (a[SMCHAN_A_MKEY] && a[SMCHAN_A_KEYRING]) {
		NL_SET_ERR_MSG(info->extack,
			       "give the master key or a keyring key, not both");
		return -EINVAL;
	}
	if (a[SMCHAN_A_MODE])
		cfg->mode = nla_get_u8(a[SMCHAN_A_MODE]);
	if (a[SMCHAN_A_SUITE])
		cfg->suite = nla_get_u8(a[SMCHAN_A_SUITE]);
	if (a[SMCHAN_A_GROUP_SIZE])
		cfg->group_n = nla_get_u8(a[SMCHAN_A_GROUP_SIZE]);
	if (a[SMCHAN_A_REKEY_LIMIT])
		cfg->rekey_limit = nla_get_u32(a[SMCHAN_A_REKEY_LIMIT]);
	if (a[SMCHAN_A_TIMEOUT_MS])
		cfg->timeout_ms = nla_get_u32(a[SMCHAN_A_TIMEOUT_MS]);
	if (a[SMCHAN_A_AUTO_ESTABLISH])
		cfg->auto_establish = nla_get_u8(a[SMCHAN_A_AUTO_ESTABLISH]);
	if (a[SMCHAN_A_READER])
		nla_strscpy(cfg->reader, a[SMCHAN_A_READER],
			    sizeof(cfg->reader));

	if (a[SMCHAN_A_MKEY]) {
		memzero_explicit(cfg->mkey, sizeof(cfg->mkey));
		cfg->mkey_len = arg->mkey_len;
		memcpy(cfg->mkey, arg->mkey, arg->mkey_len);
		cfg->key_source = SMCHAN_KEY_NETLINK;
		cfg->keydesc[0] = '\0';
	}
	if (a[SMCHAN_A_KEYRING]) {
		memzero_explicit(cfg->mkey, sizeof(cfg->mkey));
		cfg->mkey_len = 0;
		ret = mkey_from_keyring(nla_data(a[SMCHAN_A_KEYRING]), cfg,
					info->extack);
		if (ret)
			return ret;
		cfg->key_source = SMCHAN_KEY_KEYRING;
		nla_strscpy(cfg->keydesc, a[SMCHAN_A_KEYRING],
			    sizeof(cfg->keydesc));
	}
	if ((a[SMCHAN_A_MKEY] || a[SMCHAN_A_KEYRING]) && !a[SMCHAN_A_SUITE])
		cfg->suite = cfg->mkey_len == 16 ? SMCHAN_SUITE_AES128 :
						   SMCHAN_SUITE_AES256;
	if (cfg->mkey_len &&
	    cfg->mkey_len != (cfg->suite == SMCHAN_SUITE_AES128 ? 16 : 32)) {
		NL_SET_ERR_MSG(info->extack,
			       "the suite does not match the master key's length");
		return -EINVAL;
	}
	return 0;
}

static int put_stats(struct sk_buff *skb,
		     const struct smchan_channel_info *info)
{
	struct nlattr *nest = nla_nest_start(skb, SMCHAN_A_STATS);

	if (!nest ||
	    nla_put_u64_64bit(skb, SMCHAN_STAT_COMMANDS, info->commands,
			      SMCHAN_STAT_PAD) ||
	    nla_put_u64_64bit(skb, SMCHAN_STAT_SM_FAILURES, info->sm_failures,
			      SMCHAN_STAT_PAD) ||
	    nla_put_u64_64bit(skb, SMCHAN_STAT_SESSIONS, info->sessions,
			      SMCHAN_STAT_PAD) ||
	    nla_put_u64_64bit(skb, SMCHAN_STAT_REINITS, info->reinits,
			      SMCHAN_STAT_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * One channel's description: its settings and state, nothing secret.
 * @info is scratch space for it.
 */
static int fill_channel(struct sk_buff *skb, struct smchan_channel *ch,
			struct smchan_channel_info *info, u32 portid, u32 seq,
			int flags, u8 cmd, struct netlink_callback *cb)
{
	const struct smchan_config *cfg;
	void *hdr;

	smchan_channel_info(ch, info);
	cfg = &info->cfg;

	hdr = genlmsg_put(skb, portid, seq, &smchan_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_string(skb, SMCHAN_A_CHANNEL, info->name) ||
	    nla_put_u8(skb, SMCHAN_A_MODE, cfg->mode) ||
	    nla_put_u8(skb, SMCHAN_A_SUITE, cfg->suite) ||
	    nla_put_u8(skb, SMCHAN_A_GROUP_SIZE, cfg->group_n) ||
	    nla_put_u32(skb, SMCHAN_A_REKEY_LIMIT, cfg->rekey_limit) ||
	    nla_put_u32(skb, SMCHAN_A_TIMEOUT_MS, cfg->timeout_ms) ||
	    nla_put_u8(skb, SMCHAN_A_AUTO_ESTABLISH, cfg->auto_establish) ||
	    nla_put_u8(skb, SMCHAN_A_KEY_SOURCE, cfg->key_source) ||
	    (cfg->key_source == SMCHAN_KEY_KEYRING &&
	     nla_put_string(skb, SMCHAN_A_KEYRING, cfg->keydesc)) ||
	    (cfg->reader[0] &&
	     nla_put_string(skb, SMCHAN_A_READER, cfg->reader)) ||
	    (smchan_mode_weak(cfg->mode) &&
	     nla_put_flag(skb, SMCHAN_A_WEAK)) ||
	    nla_put_u8(skb, SMCHAN_A_STATE, info->state) ||
	    (info->last_err &&
	     nla_put_u32(skb, SMCHAN_A_ERROR, -info->last_err)) ||
	    nla_put_u64_64bit(skb, SMCHAN_A_N, info->n, SMCHAN_A_PAD) ||
	    nla_put_u8(skb, SMCHAN_A_TRANSPORT, info->transport) ||
	    nla_put_u8(skb, SMCHAN_A_CARD_PRESENT, info->card) ||
	    (info->atr_len &&
	     nla_put(skb, SMCHAN_A_ATR, info->atr_len, info->atr)) ||
	    put_stats(skb, info)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * The buffers of a reply that describes a channel, taken before the
 * request changes anything: once a channel is made or its settings are
 * changed, no failure for want of memory may tell the caller that it
 * was not.
 */
struct channel_reply {
	struct sk_buff *msg;
	struct smchan_channel_info *info;
};

static void channel_reply_free(struct channel_reply *r)
{
	nlmsg_free(r->msg);
	kfree(r->info);
}

static int channel_reply_alloc(struct channel_reply *r)
{
	r->msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	r->info = kmalloc(sizeof(*r->info), GFP_KERNEL);
	if (r->msg && r->info)
		return 0;
	channel_reply_free(r);
	r->msg = NULL;
	r->info = NULL;
	return -ENOMEM;
}

/* Sends @ch's description in @r->msg, which it consumes. */
static int reply_channel(struct smchan_channel *ch, struct genl_info *info,
			 u8 cmd, struct channel_reply *r)
{
	struct sk_buff *msg = r->msg;
	int ret;

	r->msg = NULL;
	ret = fill_channel(msg, ch, r->info, info->snd_portid, info->snd_seq,
			   0, cmd, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int channel_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct channel_reply r = {};
	struct smchan_channel *ch;
	struct attrs_arg *arg;
	int ret;

	arg = take_attrs(info);
	if (!arg)
		return -ENOMEM;
	ret = channel_reply_alloc(&r);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (GENL_REQ_ATTR_CHECK(info, SMCHAN_A_CHANNEL))
		goto out;
	if (!smchan_channel_name_valid(nla_data(info->attrs[SMCHAN_A_CHANNEL]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMCHAN_A_CHANNEL],
				    "a name is 1..15 letters, digits or -_.:@+, not first -");
		goto out;
	}
	ret = smchan_channel_add(nla_data(info->attrs[SMCHAN_A_CHANNEL]),
				 apply_attrs, arg, &ch);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMCHAN_A_CHANNEL],
				    "a channel of that name exists");
	if (ret)
		goto out;
	ret = reply_channel(ch, info, SMCHAN_CMD_CHANNEL_NEW, &r);
	smchan_channel_put(ch);
out:
	channel_reply_free(&r);
	kfree_sensitive(arg);
	return ret;
}

static int channel_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct channel_reply r = {};
	struct smchan_channel *ch;
	struct attrs_arg *arg;
	int ret;

	arg = take_attrs(info);
	if (!arg)
		return -ENOMEM;
	ret = channel_reply_alloc(&r);
	if (ret)
		goto out;
	ch = lookup(info);
	if (IS_ERR(ch)) {
		ret = PTR_ERR(ch);
		goto out;
	}
	ret = smchan_channel_set(ch, apply_attrs, arg);
	if (!ret)
		ret = reply_channel(ch, info, SMCHAN_CMD_CHANNEL_SET, &r);
	else if (ret == -ENOENT)
		no_channel(info);
	smchan_channel_put(ch);
out:
	channel_reply_free(&r);
	kfree_sensitive(arg);
	return ret;
}

static int channel_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smchan_channel *ch = lookup(info);
	int ret;

	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = smchan_channel_del(ch) ? no_channel(info) : 0;
	smchan_channel_put(ch);
	return ret;
}

static int channel_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smchan_channel *ch = lookup(info);
	struct channel_reply r;
	int ret;

	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = channel_reply_alloc(&r);
	if (!ret)
		ret = reply_channel(ch, info, SMCHAN_CMD_CHANNEL_GET, &r);
	channel_reply_free(&r);
	smchan_channel_put(ch);
	return ret;
}

/*
 * cb->args[0]: the id of the last channel given, so that a dump resumes
 * after it whatever was deleted meanwhile; cb->seq: the list's change
 * count, so that userspace learns (NLM_F_DUMP_INTR) of a change.
 */
static int channel_get_dumpit(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	struct smchan_channel_info *info;
	struct smchan_channel *ch;
	u64 pos = cb->args[0], last = pos;
	int ret;

	/* An error, not an empty part: that would end the dump early. */
	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	cb->seq = smchan_channels_seq() + 1;
	while ((ch = smchan_channel_next(&pos))) {
		ret = fill_channel(skb, ch, info, NETLINK_CB(cb->skb).portid,
				   cb->nlh->nlmsg_seq, NLM_F_MULTI,
				   SMCHAN_CMD_CHANNEL_GET, cb);
		smchan_channel_put(ch);
		if (ret)
			break;
		last = pos;
	}
	kfree(info);
	cb->args[0] = last;
	return skb->len;
}

/*
 * The reply to SESSION_START in @msg (taken before the start: a session
 * started must not be reported as not): the id its outcome event will
 * quote.
 */
static int reply_start(struct sk_buff *msg, struct genl_info *info,
		       const char *name, u64 id)
{
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &smchan_family, 0,
				SMCHAN_CMD_SESSION_START);
	if (!hdr || nla_put_string(msg, SMCHAN_A_CHANNEL, name) ||
	    nla_put_u64_64bit(msg, SMCHAN_A_REQUEST_ID, id, SMCHAN_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int session_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smchan_channel *ch = lookup(info);
	struct sk_buff *msg;
	u64 id;
	int ret;

	if (IS_ERR(ch))
		return PTR_ERR(ch);
	msg = genlmsg_new(nla_total_size(SMCHAN_NAME_SIZE) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	ret = -ENOMEM;
	if (msg)
		ret = smchan_session_start(ch, &id);
	if (!ret)
		ret = reply_start(msg, info, ch->name, id);
	else
		nlmsg_free(msg);
	smchan_channel_put(ch);
	if (ret == -ENOENT)
		no_channel(info);
	else if (ret == -EPIPE)
		NL_SET_ERR_MSG(info->extack, "no transport is bound");
	else if (ret == -ENOKEY)
		NL_SET_ERR_MSG(info->extack, "the channel has no master key");
	return ret;
}

static int session_stop_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smchan_channel *ch = lookup(info);

	if (IS_ERR(ch))
		return PTR_ERR(ch);
	smchan_session_stop(ch, SMCHAN_END_LOCAL);
	smchan_channel_put(ch);
	return 0;
}

static int transport_bind_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smchan_channel *ch = lookup(info);
	int ret;

	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = smchan_transport_bind(ch, sender(skb), info->snd_portid);
	smchan_channel_put(ch);
	if (ret == -ENOENT)
		no_channel(info);
	else if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "another transport relays this channel");
	return ret;
}

static int transport_unbind_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smchan_channel *ch = lookup(info);
	int ret;

	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = smchan_transport_unbind(ch, sender(skb));
	smchan_channel_put(ch);
	return ret;
}

static int transmit_done_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *rsp = info->attrs[SMCHAN_A_RESPONSE];
	struct nlattr *err = info->attrs[SMCHAN_A_ERROR];
	struct smchan_channel *ch;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, SMCHAN_A_REQUEST_ID))
		return -EINVAL;
	if (!rsp == !err) {
		NL_SET_ERR_MSG(info->extack,
			       "give either the response or an error");
		return -EINVAL;
	}
	ch = lookup(info);
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = smchan_transport_done(ch, sender(skb),
				    nla_get_u64(info->attrs[SMCHAN_A_REQUEST_ID]),
				    rsp ? nla_data(rsp) : NULL,
				    rsp ? nla_len(rsp) : 0,
				    err ? -(int)nla_get_u32(err) : 0);
	smchan_channel_put(ch);
	if (ret == -ESRCH)
		NL_SET_ERR_MSG(info->extack, "no such request is waiting");
	else if (ret == -EPERM)
		NL_SET_ERR_MSG(info->extack,
			       "this socket is not the channel's transport");
	return ret;
}

static int card_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *atr = info->attrs[SMCHAN_A_ATR];
	struct smchan_channel *ch;
	bool present;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, SMCHAN_A_CARD_PRESENT))
		return -EINVAL;
	present = nla_get_u8(info->attrs[SMCHAN_A_CARD_PRESENT]);
	if (atr && !present) {
		NL_SET_ERR_MSG_ATTR(info->extack, atr,
				    "an ATR comes with a present card only");
		return -EINVAL;
	}
	ch = lookup(info);
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = smchan_card_status(ch, sender(skb), present,
				 atr ? nla_data(atr) : NULL,
				 atr ? nla_len(atr) : 0);
	smchan_channel_put(ch);
	return ret;
}

static const struct genl_ops smchan_ops[] = {
	{
		.cmd = SMCHAN_CMD_CHANNEL_NEW,
		.doit = channel_new_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_CHANNEL_SET,
		.doit = channel_set_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_CHANNEL_DEL,
		.doit = channel_del_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_CHANNEL_GET,
		.doit = channel_get_doit,
		.dumpit = channel_get_dumpit,
	},
	{
		.cmd = SMCHAN_CMD_SESSION_START,
		.doit = session_start_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_SESSION_STOP,
		.doit = session_stop_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_TRANSPORT_BIND,
		.doit = transport_bind_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_TRANSPORT_UNBIND,
		.doit = transport_unbind_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_TRANSMIT_DONE,
		.doit = transmit_done_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SMCHAN_CMD_CARD_STATUS,
		.doit = card_status_doit,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group smchan_mcgrps[] = {
	{ .name = SMCHAN_MCGRP_EVENTS, },
};

static struct genl_family smchan_family __ro_after_init = {
	.name = SMCHAN_FAMILY_NAME,
	.version = SMCHAN_FAMILY_VERSION,
	.maxattr = SMCHAN_A_MAX,
	.policy = smchan_policy,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = smchan_ops,
	.n_ops = ARRAY_SIZE(smchan_ops),
	.mcgrps = smchan_mcgrps,
	.n_mcgrps = ARRAY_SIZE(smchan_mcgrps),
};

/*
 * smchan_nl_ops.transmit: a TRANSMIT request to a transport.
 * @ch: the channel
 * @portid: the transport's socket
 * @id: the request id it must answer with
 * @apdu: the APDU (protected, or a plain GET CHALLENGE, INITIALIZE SESSION
 *	or GET RESPONSE)
 * @len: its length, at most %SMCHAN_NL_DATA_MAX
 * @timeout_ms: how long the kernel waits for the answer from now
 *
 * Return: 0, or a negative errno when the message could not be queued to
 * the socket: -ECONNREFUSED it is gone, -EAGAIN its receive queue is
 * full, -ENOMEM, -EMSGSIZE.
 */
static int nl_transmit(struct smchan_channel *ch, u32 portid, u64 id,
		       const u8 *apdu, size_t len, u32 timeout_ms)
{
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(smchan_family_up))
		return -ECONNREFUSED;
	if (WARN_ON_ONCE(len > SMCHAN_NL_DATA_MAX))
		return -EMSGSIZE;
	msg = genlmsg_new(nla_total_size(SMCHAN_NAME_SIZE) +
			  nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(sizeof(u32)) +
			  nla_total_size(len), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &smchan_family, 0, SMCHAN_CMD_TRANSMIT);
	if (!hdr || nla_put_string(msg, SMCHAN_A_CHANNEL, ch->name) ||
	    nla_put_u64_64bit(msg, SMCHAN_A_REQUEST_ID, id, SMCHAN_A_PAD) ||
	    nla_put_u32(msg, SMCHAN_A_TIMEOUT_MS, timeout_ms) ||
	    nla_put(msg, SMCHAN_A_APDU, len, apdu)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_unicast(&init_net, msg, portid);
}

/* One event on the "events" group: the attributes that are not 0. */
static void send_event(const char *channel, enum smchan_event event,
		       enum smchan_end_reason why, u64 id, int err)
{
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(smchan_family_up) ||
	    !genl_has_listeners(&smchan_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &smchan_family, 0, SMCHAN_CMD_EVENT);
	if (!hdr || nla_put_string(msg, SMCHAN_A_CHANNEL, channel) ||
	    nla_put_u8(msg, SMCHAN_A_EVENT, event) ||
	    (why && nla_put_u8(msg, SMCHAN_A_END_REASON, why)) ||
	    (id && nla_put_u64_64bit(msg, SMCHAN_A_REQUEST_ID, id,
				     SMCHAN_A_PAD)) ||
	    (err && nla_put_u32(msg, SMCHAN_A_ERROR, -err))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&smchan_family, msg, 0, 0, GFP_KERNEL);
}

/*
 * smchan_nl_ops.event: an event on the "events" group.
 * @channel: the channel's name
 * @event: what happened
 * @why: for %SMCHAN_EVENT_SESSION_DOWN and %SMCHAN_EVENT_SM_FAILURE, why;
 *	else %SMCHAN_END_NONE
 *
 * Context: process context. Best effort: nobody listening, or no memory,
 * loses the event.
 */
static void nl_event(const char *channel, enum smchan_event event,
		     enum smchan_end_reason why)
{
	send_event(channel, event, why, 0, 0);
}

/*
 * smchan_nl_ops.session_event: a session start's outcome.
 * @channel: the channel's name
 * @event: %SMCHAN_EVENT_SESSION_UP or %SMCHAN_EVENT_SESSION_FAILED
 * @id: the id SESSION_START replied with, or 0 when a command started it
 * @err: for %SMCHAN_EVENT_SESSION_FAILED, why (a negative errno)
 *
 * Context: process context. Best effort, as nl_event().
 */
static void nl_session_event(const char *channel, enum smchan_event event,
			     u64 id, int err)
{
	send_event(channel, event, SMCHAN_END_NONE, id, err);
}

const struct smchan_channel_ops smchan_nl_ops = {
	.transmit = nl_transmit,
	.event = nl_event,
	.session_event = nl_session_event,
};

/* A generic netlink socket closed: if it was a transport, unbind it. */
static int smchan_nl_release(struct notifier_block *nb, unsigned long state,
			     void *ptr)
{
	struct netlink_notify *n = ptr;

	if (state == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		smchan_transport_release(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block smchan_nl_notifier = {
	.notifier_call = smchan_nl_release,
};

/**
 * smchan_genl_init() - register the family and the socket notifier
 *
 * Return: 0 or the error of the registration.
 */
int smchan_genl_init(void)
{
	int ret;

	ret = netlink_register_notifier(&smchan_nl_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&smchan_family);
	if (ret)
		netlink_unregister_notifier(&smchan_nl_notifier);
	else
		WRITE_ONCE(smchan_family_up, true);
	return ret;
}

/**
 * smchan_genl_exit() - unregister them
 */
void smchan_genl_exit(void)
{
	WRITE_ONCE(smchan_family_up, false);
	genl_unregister_family(&smchan_family);
	netlink_unregister_notifier(&smchan_nl_notifier);
}
