// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libsmchan: the generic netlink family "smchan" over libnl-genl-3.
 * smchan.h documents the API.
 *
 * libnl builds and sends the messages, resolves the family and receives
 * the datagrams (nl_recv); this file walks the messages itself instead of
 * using nl_recvmsgs(), because a transport socket receives unsolicited
 * TRANSMIT requests (sequence number 0) in the middle of its own request
 * and ACK exchanges: those are queued, never dropped, and handed out by
 * smchan_transport_poll().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "smchan.h"

#ifndef SMCHAN_IOC_ATTACH
#error "the project's uapi header must come first: -I kernel/include/uapi"
#endif

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct pending {
	struct pending *next;
	size_t len;
	unsigned char msg[];	/* one whole netlink message */
};

struct smchan_nl {
	struct nl_sock *sk;
	int family;
	char errmsg[256];
	smchan_trace_fn trace;
	void *trace_arg;
	struct pending *head, **tail;	/* TRANSMITs not handed out yet */
};

/* --- Errors ------------------------------------------------------------- */

static int nlerr(int nle)
{
	if (nle < 0)
		nle = -nle;
	return -(SMCHAN_ELIBNL + nle);
}

const char *smchan_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= SMCHAN_ELIBNL)
		return nl_geterror(err - SMCHAN_ELIBNL);
	return strerror(err);
}

#define E(x) { x, #x }
static const struct { int no; const char *name; } errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(ENODEV), E(ENOTDIR), E(EINVAL), E(ENOSPC), E(ESPIPE),
	E(EROFS), E(EPIPE), E(ERANGE), E(ENOTTY), E(EMSGSIZE), E(ENOTCONN),
	E(ETIMEDOUT), E(EBADMSG), E(ENOKEY), E(EBADFD), E(EOPNOTSUPP),
	E(ENOBUFS), E(EKEYREVOKED), E(EKEYEXPIRED), E(EKEYREJECTED),
	E(ECONNRESET), E(ECONNREFUSED), E(EPROTO), E(ENOSYS), E(ENODATA),
	E(ENOMSG), E(EALREADY), E(EINPROGRESS), E(ECANCELED), E(ENOLINK),
	E(EHOSTDOWN), E(ESHUTDOWN), E(EBADR), E(EBADE), E(ENOTBLK),
	E(EADDRINUSE), E(EDESTADDRREQ), E(EISCONN), E(EOVERFLOW),
	E(ENOTRECOVERABLE), E(EOWNERDEAD), E(ENOMEDIUM), E(EREMOTEIO),
	E(ENOTUNIQ), E(EILSEQ), E(ENOEXEC), E(ECHILD), E(EDOM), E(EMFILE),
	E(ENFILE), E(EFBIG), E(EISDIR), E(ENAMETOOLONG), E(ELOOP),
	E(ENOTSOCK), E(EPROTONOSUPPORT), E(EAFNOSUPPORT), E(ENOPROTOOPT),
	E(ENOCSI), E(ETIME), E(ENOSR), E(ENOSTR), E(ESTALE), E(EUNATCH),
};
#undef E

const char *smchan_errname(int err)
{
	static char buf[32];
	size_t i;

	if (err < 0)
		err = -err;
	if (err >= SMCHAN_ELIBNL) {
		snprintf(buf, sizeof(buf), "ELIBNL(%d)", err - SMCHAN_ELIBNL);
		return buf;
	}
	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].no == err)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

int smchan_errno_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].no;
	return 0;
}

const char *smchan_nl_last_error(const struct smchan_nl *h)
{
	return h->errmsg;
}

void smchan_nl_set_trace(struct smchan_nl *h, smchan_trace_fn fn, void *arg)
{
	h->trace = fn;
	h->trace_arg = arg;
}

int smchan_nl_fd(const struct smchan_nl *h)
{
	return nl_socket_get_fd(h->sk);
}

/* --- Sockets ------------------------------------------------------------ */

static struct smchan_nl *nl_open(bool events)
{
	struct smchan_nl *h;
	int one = 1, err, grp;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->tail = &h->head;
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		err = ENOMEM;
		goto fail;
	}
	nl_socket_disable_auto_ack(h->sk);
	nl_socket_disable_seq_check(h->sk);
	nl_socket_enable_msg_peek(h->sk);
	err = genl_connect(h->sk);
	if (err < 0) {
		err = err == -NLE_PERM ? EPERM : EPROTO;
		goto fail;
	}
	/* Big APDUs (65 KiB) and bursts of events. */
	nl_socket_set_buffer_size(h->sk, 1 << 20, 1 << 20);
	if (setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0 ||
	    setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one)) < 0) {
		err = errno;
		goto fail;
	}
	h->family = genl_ctrl_resolve(h->sk, SMCHAN_FAMILY_NAME);
	if (h->family < 0) {
		err = h->family == -NLE_OBJ_NOTFOUND ? ENOENT : EPROTO;
		goto fail;
	}
	if (events) {
		grp = genl_ctrl_resolve_grp(h->sk, SMCHAN_FAMILY_NAME,
					    SMCHAN_MCGRP_EVENTS);
		if (grp < 0) {
			err = ENOENT;
			goto fail;
		}
		err = nl_socket_add_membership(h->sk, grp);
		if (err < 0) {
			err = err == -NLE_PERM ? EPERM : EPROTO;
			goto fail;
		}
	}
	return h;
fail:
	if (h->sk)
		nl_socket_free(h->sk);
	free(h);
	errno = err;
	return NULL;
}

struct smchan_nl *smchan_nl_open(void)
{
	return nl_open(false);
}

struct smchan_nl *smchan_events_open(void)
{
	return nl_open(true);
}

void smchan_nl_close(struct smchan_nl *h)
{
	struct pending *p;

	if (!h)
		return;
	while ((p = h->head)) {
		h->head = p->next;
		smchan_wipe(p->msg, p->len);
		free(p);
	}
	nl_socket_free(h->sk);
	free(h);
}

/* --- Receiving ---------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits until the socket is readable: 1, 0 on timeout, or -errno. */
static int wait_readable(struct smchan_nl *h, long long deadline)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(h->sk), .events = POLLIN };
	int t, r;

	for (;;) {
		if (deadline < 0) {
			t = -1;
		} else {
			long long left = deadline - now_ms();

			t = left < 0 ? 0 : (int)left;
		}
		r = poll(&pfd, 1, t);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -errno;
	}
}

/* Receives one datagram (which may hold several messages). */
static int recv_one(struct smchan_nl *h, unsigned char **buf)
{
	struct sockaddr_nl nla;
	int n;

	n = nl_recv(h->sk, &nla, buf, NULL);
	if (n == -NLE_NOMEM && errno == ENOBUFS)
		return -ENOBUFS;
	if (n < 0)
		return nlerr(n);
	if (nla.nl_pid != 0) {		/* only the kernel talks to us */
		free(*buf);
		*buf = NULL;
		return 0;
	}
	return n;
}

static bool is_cmd(const struct smchan_nl *h, const struct nlmsghdr *nlh,
		   int cmd)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != h->family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return false;
	g = nlmsg_data(nlh);
	return g->cmd == cmd;
}

static void queue_transmit(struct smchan_nl *h, const struct nlmsghdr *nlh)
{
	struct pending *p = malloc(sizeof(*p) + nlh->nlmsg_len);

	if (!p)
		return;		/* the kernel times the request out */
	p->next = NULL;
	p->len = nlh->nlmsg_len;
	memcpy(p->msg, nlh, nlh->nlmsg_len);
	*h->tail = p;
	h->tail = &p->next;
}

/* The extended ACK of an NLMSG_ERROR or NLMSG_DONE into h->errmsg. */
static void parse_extack(struct smchan_nl *h, const struct nlmsghdr *nlh)
{
	const unsigned char *p = NLMSG_DATA(nlh);
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;
	size_t off;

	h->errmsg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	} else {
		off = sizeof(int);
	}
	p += NLMSG_ALIGN(off);
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const void *)p;
		size_t alen = a->nla_len;

		if (alen < sizeof(*a) || p + alen > end)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG) {
			size_t l = alen - sizeof(*a);

			if (l >= sizeof(h->errmsg))
				l = sizeof(h->errmsg) - 1;
			memcpy(h->errmsg, p + sizeof(*a), l);
			h->errmsg[l] = '\0';
			h->errmsg[strcspn(h->errmsg, "\n")] = '\0';
		}
#ifdef NLMSGERR_ATTR_MISS_TYPE
		else if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE &&
			 alen >= sizeof(*a) + 4 && !h->errmsg[0]) {
			uint32_t t;

			memcpy(&t, p + sizeof(*a), 4);
			snprintf(h->errmsg, sizeof(h->errmsg),
				 "missing attribute %u", t);
		}
#endif
		p += NLA_ALIGN(alen);
	}
}

typedef int (*reply_fn)(struct smchan_nl *h, struct nlmsghdr *nlh, void *arg);

/*
 * Sends msg (consumed) as a request and processes everything until its
 * ACK, error or NLMSG_DONE; fn sees each reply message of the family.
 */
enum { REQ_DO = 0, REQ_DUMP = 1, REQ_WIPE = 2 };

static int request(struct smchan_nl *h, struct nl_msg *msg, int flags,
		   reply_fn fn, void *arg)
{
	bool dump = flags & REQ_DUMP;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	unsigned char *buf = NULL;
	uint32_t seq;
	int rc = 0, n;
	bool done = false;

	hdr->nlmsg_flags |= NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	h->errmsg[0] = '\0';
	n = nl_send_auto(h->sk, msg);
	seq = hdr->nlmsg_seq;
	if (flags & REQ_WIPE)	/* it held a key */
		smchan_wipe(hdr, hdr->nlmsg_len);
	nlmsg_free(msg);
	if (n < 0)
		return n == -NLE_PERM ? -EPERM : nlerr(n);

	while (!done) {
		struct nlmsghdr *nlh;

		n = wait_readable(h, -1);
		if (n < 0)
			return n;
		n = recv_one(h, &buf);
		if (n < 0)
			return n;
		for (nlh = (void *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
			if (h->trace)
				h->trace(nlh, nlh->nlmsg_len, h->trace_arg);
			if (nlh->nlmsg_seq == 0 && is_cmd(h, nlh, SMCHAN_CMD_TRANSMIT)) {
				queue_transmit(h, nlh);
				continue;
			}
			if (nlh->nlmsg_seq != seq)
				continue;	/* stale, or an event */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = nlmsg_data(nlh);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int))) {
					rc = nlerr(NLE_MSG_TRUNC);
				} else if (e->error) {
					parse_extack(h, nlh);
					rc = e->error < 0 ? e->error : -e->error;
				}
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&e, nlmsg_data(nlh), sizeof(e));
				if (e && !rc) {
					parse_extack(h, nlh);
					rc = e < 0 ? e : -e;
				}
				done = true;
			} else if (nlh->nlmsg_type == h->family && fn && !rc) {
				rc = fn(h, nlh, arg);
			}
		}
		free(buf);
		buf = NULL;
		/* A dump ends with NLMSG_DONE; a do with its ACK. */
	}
	return rc;
}

static struct nl_msg *new_msg(struct smchan_nl *h, int cmd, size_t extra)
{
	struct nl_msg *msg = nlmsg_alloc_size(extra + 1024);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, 0, cmd,
			 SMCHAN_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A command with the channel name only. */
static int simple(struct smchan_nl *h, int cmd, const char *name)
{
	struct nl_msg *msg = new_msg(h, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, SMCHAN_A_CHANNEL, name) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(h, msg, REQ_DO, NULL, NULL);
}

/* --- Channels ----------------------------------------------------------- */

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t l = nla_len(a);

	if (l >= size)
		l = size - 1;
	memcpy(dst, nla_data(a), l);
	dst[l] = '\0';
}

#define HAVE(tb, t, sz) ((tb)[t] && nla_len((tb)[t]) >= (int)(sz))

static int parse_info(struct nlmsghdr *nlh, struct smchan_channel_info *info)
{
	struct nlattr *tb[SMCHAN_A_MAX + 1];
	int err;

	memset(info, 0, sizeof(*info));
	err = genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL);
	if (err < 0)
		return nlerr(err);
	if (!tb[SMCHAN_A_CHANNEL])
		return -EPROTO;
	copy_str(info->name, sizeof(info->name), tb[SMCHAN_A_CHANNEL]);
	if (HAVE(tb, SMCHAN_A_MODE, 1)) {
		info->mode = nla_get_u8(tb[SMCHAN_A_MODE]);
		info->present |= SMCHAN_INFO_MODE;
	}
	if (HAVE(tb, SMCHAN_A_SUITE, 1)) {
		info->suite = nla_get_u8(tb[SMCHAN_A_SUITE]);
		info->present |= SMCHAN_INFO_SUITE;
	}
	if (HAVE(tb, SMCHAN_A_GROUP_SIZE, 1)) {
		info->group_size = nla_get_u8(tb[SMCHAN_A_GROUP_SIZE]);
		info->present |= SMCHAN_INFO_GROUP_SIZE;
	}
	if (HAVE(tb, SMCHAN_A_REKEY_LIMIT, 4)) {
		info->rekey_limit = nla_get_u32(tb[SMCHAN_A_REKEY_LIMIT]);
		info->present |= SMCHAN_INFO_REKEY_LIMIT;
	}
	if (HAVE(tb, SMCHAN_A_TIMEOUT_MS, 4)) {
		info->timeout_ms = nla_get_u32(tb[SMCHAN_A_TIMEOUT_MS]);
		info->present |= SMCHAN_INFO_TIMEOUT_MS;
	}
	if (HAVE(tb, SMCHAN_A_AUTO_ESTABLISH, 1)) {
		info->auto_establish = nla_get_u8(tb[SMCHAN_A_AUTO_ESTABLISH]);
		info->present |= SMCHAN_INFO_AUTO_ESTABLISH;
	}
	if (HAVE(tb, SMCHAN_A_KEY_SOURCE, 1)) {
		info->key_source = nla_get_u8(tb[SMCHAN_A_KEY_SOURCE]);
		info->present |= SMCHAN_INFO_KEY_SOURCE;
	}
	if (tb[SMCHAN_A_KEYRING]) {
		copy_str(info->keyring, sizeof(info->keyring), tb[SMCHAN_A_KEYRING]);
		info->present |= SMCHAN_INFO_KEYRING;
	}
	if (tb[SMCHAN_A_READER]) {
		copy_str(info->reader, sizeof(info->reader), tb[SMCHAN_A_READER]);
		info->present |= SMCHAN_INFO_READER;
	}
	info->weak = tb[SMCHAN_A_WEAK] != NULL;
	if (HAVE(tb, SMCHAN_A_STATE, 1)) {
		info->state = nla_get_u8(tb[SMCHAN_A_STATE]);
		info->present |= SMCHAN_INFO_STATE;
	}
	if (HAVE(tb, SMCHAN_A_N, 8)) {
		info->n = nla_get_u64(tb[SMCHAN_A_N]);
		info->present |= SMCHAN_INFO_N;
	}
	if (HAVE(tb, SMCHAN_A_TRANSPORT, 1)) {
		info->transport = nla_get_u8(tb[SMCHAN_A_TRANSPORT]);
		info->present |= SMCHAN_INFO_TRANSPORT;
	}
	if (tb[SMCHAN_A_MKEY])
		info->present |= SMCHAN_INFO_MKEY;
	if (tb[SMCHAN_A_STATS]) {
		struct nlattr *st[SMCHAN_STAT_MAX + 1];

		err = nla_parse_nested(st, SMCHAN_STAT_MAX, tb[SMCHAN_A_STATS], NULL);
		if (err < 0)
			return nlerr(err);
		if (HAVE(st, SMCHAN_STAT_COMMANDS, 8))
			info->stats.commands = nla_get_u64(st[SMCHAN_STAT_COMMANDS]);
		if (HAVE(st, SMCHAN_STAT_SM_FAILURES, 8))
			info->stats.sm_failures = nla_get_u64(st[SMCHAN_STAT_SM_FAILURES]);
		if (HAVE(st, SMCHAN_STAT_SESSIONS, 8))
			info->stats.sessions = nla_get_u64(st[SMCHAN_STAT_SESSIONS]);
		if (HAVE(st, SMCHAN_STAT_REINITS, 8))
			info->stats.reinits = nla_get_u64(st[SMCHAN_STAT_REINITS]);
		info->present |= SMCHAN_INFO_STATS;
	}
	return 0;
}

static int info_cb(struct smchan_nl *h, struct nlmsghdr *nlh, void *arg)
{
	(void)h;
	if (!is_cmd(h, nlh, SMCHAN_CMD_CHANNEL_GET) &&
	    !is_cmd(h, nlh, SMCHAN_CMD_CHANNEL_NEW) &&
	    !is_cmd(h, nlh, SMCHAN_CMD_CHANNEL_SET))
		return 0;
	return arg ? parse_info(nlh, arg) : 0;
}

static int put_cfg(struct nl_msg *msg, const struct smchan_channel_cfg *c)
{
	unsigned int p = c->present;

	if (nla_put_string(msg, SMCHAN_A_CHANNEL, c->name) < 0 ||
	    ((p & SMCHAN_CFG_MODE) && nla_put_u8(msg, SMCHAN_A_MODE, c->mode) < 0) ||
	    ((p & SMCHAN_CFG_SUITE) && nla_put_u8(msg, SMCHAN_A_SUITE, c->suite) < 0) ||
	    ((p & SMCHAN_CFG_GROUP_SIZE) &&
	     nla_put_u8(msg, SMCHAN_A_GROUP_SIZE, c->group_size) < 0) ||
	    ((p & SMCHAN_CFG_REKEY_LIMIT) &&
	     nla_put_u32(msg, SMCHAN_A_REKEY_LIMIT, c->rekey_limit) < 0) ||
	    ((p & SMCHAN_CFG_TIMEOUT_MS) &&
	     nla_put_u32(msg, SMCHAN_A_TIMEOUT_MS, c->timeout_ms) < 0) ||
	    ((p & SMCHAN_CFG_AUTO_ESTABLISH) &&
	     nla_put_u8(msg, SMCHAN_A_AUTO_ESTABLISH, c->auto_establish) < 0) ||
	    ((p & SMCHAN_CFG_MKEY) &&
	     (c->mkey_len > sizeof(c->mkey) ||
	      nla_put(msg, SMCHAN_A_MKEY, (int)c->mkey_len, c->mkey) < 0)) ||
	    ((p & SMCHAN_CFG_KEYRING) &&
	     nla_put_string(msg, SMCHAN_A_KEYRING, c->keyring) < 0) ||
	    ((p & SMCHAN_CFG_READER) &&
	     nla_put_string(msg, SMCHAN_A_READER, c->reader) < 0))
		return -EMSGSIZE;
	return 0;
}

static int new_or_set(struct smchan_nl *h, int cmd,
		      const struct smchan_channel_cfg *cfg,
		      struct smchan_channel_info *info)
{
	struct nl_msg *msg = new_msg(h, cmd, 0);
	int err;

	if (!msg)
		return -ENOMEM;
	err = put_cfg(msg, cfg);
	if (err) {
		smchan_wipe(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		return err;
	}
	return request(h, msg, REQ_WIPE, info_cb, info);
}

int smchan_channel_new(struct smchan_nl *h, const struct smchan_channel_cfg *cfg,
		       struct smchan_channel_info *info)
{
	return new_or_set(h, SMCHAN_CMD_CHANNEL_NEW, cfg, info);
}

int smchan_channel_set(struct smchan_nl *h, const struct smchan_channel_cfg *cfg,
		       struct smchan_channel_info *info)
{
	return new_or_set(h, SMCHAN_CMD_CHANNEL_SET, cfg, info);
}

int smchan_channel_del(struct smchan_nl *h, const char *name)
{
	return simple(h, SMCHAN_CMD_CHANNEL_DEL, name);
}

int smchan_channel_get(struct smchan_nl *h, const char *name,
		       struct smchan_channel_info *info)
{
	struct nl_msg *msg = new_msg(h, SMCHAN_CMD_CHANNEL_GET, 0);
	struct smchan_channel_info tmp;
	int err;

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, SMCHAN_A_CHANNEL, name) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	memset(&tmp, 0, sizeof(tmp));
	err = request(h, msg, REQ_DO, info_cb, info ? info : &tmp);
	if (!err && info && !info->name[0])
		err = -EPROTO;		/* an ACK without the reply */
	return err;
}

struct dump_ctx {
	smchan_channel_fn fn;
	void *arg;
};

static int dump_cb(struct smchan_nl *h, struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *d = arg;
	struct smchan_channel_info info;
	int err;

	if (!is_cmd(h, nlh, SMCHAN_CMD_CHANNEL_GET))
		return 0;
	err = parse_info(nlh, &info);
	if (err)
		return err;
	return d->fn(&info, d->arg);
}

int smchan_channel_dump(struct smchan_nl *h, smchan_channel_fn fn, void *arg)
{
	struct nl_msg *msg = new_msg(h, SMCHAN_CMD_CHANNEL_GET, 0);
	struct dump_ctx d = { fn, arg };

	if (!msg)
		return -ENOMEM;
	return request(h, msg, REQ_DUMP, dump_cb, &d);
}

/* --- Sessions and transport --------------------------------------------- */

int smchan_session_start(struct smchan_nl *h, const char *name)
{
	return simple(h, SMCHAN_CMD_SESSION_START, name);
}

int smchan_session_stop(struct smchan_nl *h, const char *name)
{
	return simple(h, SMCHAN_CMD_SESSION_STOP, name);
}

int smchan_transport_bind(struct smchan_nl *h, const char *name)
{
	return simple(h, SMCHAN_CMD_TRANSPORT_BIND, name);
}

int smchan_transport_unbind(struct smchan_nl *h, const char *name)
{
	return simple(h, SMCHAN_CMD_TRANSPORT_UNBIND, name);
}

int smchan_card_status(struct smchan_nl *h, const char *name, bool present)
{
	struct nl_msg *msg = new_msg(h, SMCHAN_CMD_CARD_STATUS, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, SMCHAN_A_CHANNEL, name) < 0 ||
	    nla_put_u8(msg, SMCHAN_A_CARD_PRESENT, present) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(h, msg, REQ_DO, NULL, NULL);
}

static int transmit_done(struct smchan_nl *h, const char *channel,
			 uint64_t id, const uint8_t *rsp, size_t len,
			 uint32_t err)
{
	struct nl_msg *msg = new_msg(h, SMCHAN_CMD_TRANSMIT_DONE, len);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, SMCHAN_A_CHANNEL, channel) < 0 ||
	    nla_put_u64(msg, SMCHAN_A_REQUEST_ID, id) < 0 ||
	    (rsp && nla_put(msg, SMCHAN_A_RESPONSE, (int)len, rsp) < 0) ||
	    (!rsp && nla_put_u32(msg, SMCHAN_A_ERROR, err) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(h, msg, REQ_DO, NULL, NULL);
}

int smchan_transport_reply(struct smchan_nl *h, const char *channel,
			   uint64_t request_id, const uint8_t *rsp, size_t len)
{
	static const uint8_t empty[1];

	return transmit_done(h, channel, request_id, rsp ? rsp : empty, len, 0);
}

int smchan_transport_error(struct smchan_nl *h, const char *channel,
			   uint64_t request_id, uint32_t err)
{
	return transmit_done(h, channel, request_id, NULL, 0, err);
}

static int parse_transmit(struct smchan_nl *h, struct nlmsghdr *nlh,
			  struct smchan_transmit *t)
{
	struct nlattr *tb[SMCHAN_A_MAX + 1];

	(void)h;
	if (genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL) < 0 ||
	    !tb[SMCHAN_A_CHANNEL] || !HAVE(tb, SMCHAN_A_REQUEST_ID, 8) ||
	    !tb[SMCHAN_A_APDU])
		return -EPROTO;
	copy_str(t->channel, sizeof(t->channel), tb[SMCHAN_A_CHANNEL]);
	t->request_id = nla_get_u64(tb[SMCHAN_A_REQUEST_ID]);
	t->apdu = nla_data(tb[SMCHAN_A_APDU]);
	t->apdu_len = nla_len(tb[SMCHAN_A_APDU]);
	return 0;
}

/* Hands out the queued requests. */
static int drain(struct smchan_nl *h, smchan_transmit_fn fn, void *arg, int *count)
{
	struct pending *p;
	int r = 0;

	while (!r && (p = h->head)) {
		struct smchan_transmit t;

		h->head = p->next;
		if (!h->head)
			h->tail = &h->head;
		if (!parse_transmit(h, (struct nlmsghdr *)p->msg, &t)) {
			(*count)++;
			r = fn(h, &t, arg);
		}
		free(p);
	}
	return r;
}

int smchan_transport_poll(struct smchan_nl *h, int timeout_ms,
			  smchan_transmit_fn fn, void *arg)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int count = 0, r, n;

	for (;;) {
		unsigned char *buf = NULL;
		struct nlmsghdr *nlh;

		r = drain(h, fn, arg, &count);
		if (r)
			return r;
		if (count)
			return count;
		n = wait_readable(h, deadline);
		if (n <= 0)
			return n;
		n = recv_one(h, &buf);
		if (n < 0)
			return n;
		for (nlh = (void *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
			if (h->trace)
				h->trace(nlh, nlh->nlmsg_len, h->trace_arg);
			if (is_cmd(h, nlh, SMCHAN_CMD_TRANSMIT))
				queue_transmit(h, nlh);
		}
		free(buf);
	}
}

/* --- Events ------------------------------------------------------------- */

int smchan_events_recv(struct smchan_nl *h, int timeout_ms,
		       smchan_event_fn fn, void *arg)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int count = 0, n, r = 0;

	while (!count) {
		unsigned char *buf = NULL;
		struct nlmsghdr *nlh;

		n = wait_readable(h, deadline);
		if (n <= 0)
			return n;
		n = recv_one(h, &buf);
		if (n < 0)
			return n;
		for (nlh = (void *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
			struct nlattr *tb[SMCHAN_A_MAX + 1];
			struct smchan_event_msg ev;

			if (h->trace)
				h->trace(nlh, nlh->nlmsg_len, h->trace_arg);
			if (r || !is_cmd(h, nlh, SMCHAN_CMD_EVENT))
				continue;
			if (genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL) < 0 ||
			    !HAVE(tb, SMCHAN_A_EVENT, 1))
				continue;
			memset(&ev, 0, sizeof(ev));
			if (tb[SMCHAN_A_CHANNEL])
				copy_str(ev.channel, sizeof(ev.channel),
					 tb[SMCHAN_A_CHANNEL]);
			ev.event = nla_get_u8(tb[SMCHAN_A_EVENT]);
			if (HAVE(tb, SMCHAN_A_END_REASON, 1)) {
				ev.has_end_reason = true;
				ev.end_reason = nla_get_u8(tb[SMCHAN_A_END_REASON]);
			}
			count++;
			r = fn(&ev, arg);
		}
		free(buf);
		if (r)
			return r;
	}
	return count;
}

/* --- Names -------------------------------------------------------------- */

static const char *const modes[] = {
	[SMCHAN_MODE_XOR] = "xor", [SMCHAN_MODE_LIST] = "list",
	[SMCHAN_MODE_OPKEY] = "opkey", [SMCHAN_MODE_RATCHET] = "ratchet",
};
static const char *const suites[] = {
	[SMCHAN_SUITE_AES128] = "aes128", [SMCHAN_SUITE_AES256] = "aes256",
};
static const char *const states[] = {
	[SMCHAN_STATE_IDLE] = "idle",
	[SMCHAN_STATE_ESTABLISHING] = "establishing",
	[SMCHAN_STATE_ESTABLISHED] = "established",
	[SMCHAN_STATE_FAILED] = "failed",
};
static const char *const events[] = {
	[SMCHAN_EVENT_SESSION_UP] = "session-up",
	[SMCHAN_EVENT_SESSION_DOWN] = "session-down",
	[SMCHAN_EVENT_REKEY] = "rekey",
	[SMCHAN_EVENT_TRANSPORT_UP] = "transport-up",
	[SMCHAN_EVENT_TRANSPORT_DOWN] = "transport-down",
	[SMCHAN_EVENT_SM_FAILURE] = "sm-failure",
	[SMCHAN_EVENT_CHANNEL_NEW] = "channel-new",
	[SMCHAN_EVENT_CHANNEL_DEL] = "channel-del",
};
static const char *const reasons[] = {
	[SMCHAN_END_NONE] = "none", [SMCHAN_END_LOCAL] = "local",
	[SMCHAN_END_VERIFY] = "verify", [SMCHAN_END_CARD] = "card",
	[SMCHAN_END_LIMIT] = "limit", [SMCHAN_END_KEYS] = "keys",
	[SMCHAN_END_CRYPTO] = "crypto", [SMCHAN_END_TRANSPORT] = "transport",
	[SMCHAN_END_CARD_REMOVED] = "card-removed",
};
static const char *const key_sources[] = {
	[SMCHAN_KEY_NONE] = "none", [SMCHAN_KEY_NETLINK] = "netlink",
	[SMCHAN_KEY_KEYRING] = "keyring",
};

#define NAME(tab, v) \
	((v) < sizeof(tab) / sizeof(tab[0]) && tab[v] ? tab[v] : "?")

const char *smchan_mode_name(unsigned int v) { return NAME(modes, v); }
const char *smchan_suite_name(unsigned int v) { return NAME(suites, v); }
const char *smchan_state_name(unsigned int v) { return NAME(states, v); }
const char *smchan_event_name(unsigned int v) { return NAME(events, v); }
const char *smchan_end_reason_name(unsigned int v) { return NAME(reasons, v); }
const char *smchan_key_source_name(unsigned int v) { return NAME(key_sources, v); }

static unsigned int parse_name(const char *const *tab, size_t n, const char *s)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (tab[i] && !strcmp(tab[i], s))
			return i;
	return 0;
}

unsigned int smchan_mode_parse(const char *s)
{
	return parse_name(modes, sizeof(modes) / sizeof(modes[0]), s);
}

unsigned int smchan_suite_parse(const char *s)
{
	return parse_name(suites, sizeof(suites) / sizeof(suites[0]), s);
}

/* --- Keys --------------------------------------------------------------- */

void smchan_wipe(void *p, size_t len)
{
	explicit_bzero(p, len);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

int smchan_parse_key_hex(const char *text, size_t n, uint8_t key[32], size_t *len)
{
	size_t a = 0, b = n, digits, i;

	while (a < b && is_space(text[a]))
		a++;
	while (b > a && is_space(text[b - 1]))
		b--;
	digits = b - a;
	if (digits != 32 && digits != 64)
		return -EINVAL;
	for (i = 0; i < digits; i += 2) {
		int hi = hexval(text[a + i]), lo = hexval(text[a + i + 1]);

		if (hi < 0 || lo < 0) {
			smchan_wipe(key, 32);
			return -EINVAL;
		}
		key[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = digits / 2;
	return 0;
}

int smchan_read_key_file(const char *path, uint8_t key[32], size_t *len)
{
	char buf[4096];
	size_t n = 0;
	FILE *f;
	int err;

	f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	if (!f)
		return -errno;
	/* No stdio buffering of the secret beyond buf. */
	setvbuf(f, NULL, _IONBF, 0);
	while (n < sizeof(buf)) {
		size_t r = fread(buf + n, 1, sizeof(buf) - n, f);

		if (!r)
			break;
		n += r;
	}
	err = ferror(f) ? -EIO : 0;
	if (!err && n == sizeof(buf))
		err = -EINVAL;		/* far too long for a key file */
	if (f != stdin)
		fclose(f);
	if (!err)
		err = smchan_parse_key_hex(buf, n, key, len);
	smchan_wipe(buf, sizeof(buf));
	return err;
}
