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
 *
 * A TRANSMIT that does not parse is answered (EPROTO, or EMSGSIZE for an
 * attribute cut short) whenever its channel and request id can be read:
 * otherwise the kernel would wait out its timeout and end the session.
 * Each request is stamped with the last time the socket was seen empty,
 * a time no later than the kernel's sending: with SMCHAN_A_TIMEOUT_MS
 * that gives the earliest possible deadline, so a transport that was busy
 * for a while never starts a command the kernel has given up on.
 *
 * Keys: a message that may hold one (CHANNEL_NEW, CHANNEL_SET) is written
 * with nl_sendto(), never nl_send(): with NLCB=debug libnl's nl_send()
 * prints every message it sends, attribute bytes included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
	int64_t queued_ms;	/* the socket was last seen empty then */
	size_t len;
	unsigned char msg[];	/* one whole netlink message */
};

struct smchan_nl {
	struct nl_sock *sk;
	int family;		/* -1 while the family is unregistered */
	bool events;		/* joined "events" (and nlctrl's "notify") */
	int64_t empty_ms;	/* CLOCK_MONOTONIC: the socket was empty */
	struct smchan_bad_requests bad;
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

/*
 * A send or receive that failed: the system call's errno, which libnl
 * leaves in errno (its NLE_ code says less: NLE_NOMEM stands for ENOMEM
 * and ENOBUFS alike); libnl's own code when no system call failed. The
 * caller zeroes errno before the call.
 */
static int io_err(int nle)
{
	if (errno)
		return -errno;
	return nle == -NLE_PERM ? -EPERM : nlerr(nle);
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

static long long now_ms(void);

static struct smchan_nl *nl_open(bool events)
{
	struct smchan_nl *h;
	int one = 1, err, grp;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->tail = &h->head;
	h->events = events;
	h->empty_ms = now_ms();	/* nothing can be older than the socket */
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
		/* The family's life: NEWFAMILY and DELFAMILY.  Without it the
		 * handle still works, it just cannot follow a reload. */
		grp = genl_ctrl_resolve_grp(h->sk, "nlctrl", "notify");
		if (grp >= 0)
			nl_socket_add_membership(h->sk, grp);
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

int smchan_nl_reresolve(struct smchan_nl *h)
{
	struct nl_sock *sk = nl_socket_alloc();
	int family, grp = -1, err;

	if (!sk)
		return -ENOMEM;
	err = genl_connect(sk);
	if (err < 0) {
		nl_socket_free(sk);
		return err == -NLE_PERM ? -EPERM : nlerr(err);
	}
	family = genl_ctrl_resolve(sk, SMCHAN_FAMILY_NAME);
	if (family >= 0 && h->events)
		grp = genl_ctrl_resolve_grp(sk, SMCHAN_FAMILY_NAME, SMCHAN_MCGRP_EVENTS);
	nl_socket_free(sk);
	if (family < 0)
		return family == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr(family);
	h->family = family;
	if (!h->events)
		return 0;
	if (grp < 0)
		return grp == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr(grp);
	err = nl_socket_add_membership(h->sk, grp);
	if (err < 0)
		return err == -NLE_PERM ? -EPERM : nlerr(err);
	return 0;
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

/* Waits until the socket is readable: 1, 0 on timeout, or -errno.  A look
 * first that does not wait: if the socket is empty now, whatever comes
 * next was sent after now (h->empty_ms). */
static int wait_readable(struct smchan_nl *h, long long deadline)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(h->sk), .events = POLLIN };
	long long t0 = now_ms();
	int t, r;

	r = poll(&pfd, 1, 0);
	if (r > 0)
		return r;
	if (r == 0)
		h->empty_ms = t0;
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

	errno = 0;
	n = nl_recv(h->sk, &nla, buf, NULL);
	if (n < 0)
		return io_err(n);
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

	if (!p) {
		h->bad.dropped++;	/* the kernel times the request out */
		return;
	}
	p->next = NULL;
	p->queued_ms = h->empty_ms;
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

		/* A short error, or an echoed request shorter than its own
		 * header: no attributes to trust. */
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
				return;
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		}
	} else {
		off = sizeof(int);
	}
	/* The attributes start after the header and what it echoes, all
	 * within the message. */
	if (off > (size_t)(end - p) || NLMSG_ALIGN(off) > (size_t)(end - p))
		return;
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
	bool done = false, intr = false;

	hdr->nlmsg_flags |= NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	h->errmsg[0] = '\0';
	errno = 0;
	if (flags & REQ_WIPE) {
		/* It may hold a key: past libnl's debug printers. */
		nl_complete_msg(h->sk, msg);
		n = nl_sendto(h->sk, hdr, hdr->nlmsg_len);
	} else {
		n = nl_send_auto(h->sk, msg);
	}
	if (n < 0)
		n = io_err(n);
	seq = hdr->nlmsg_seq;
	if (flags & REQ_WIPE)	/* it held a key */
		smchan_wipe(hdr, hdr->nlmsg_len);
	nlmsg_free(msg);
	if (n < 0)
		return n;

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
			if (dump && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
				intr = true;	/* the list changed meanwhile */
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
	return rc ? rc : intr ? -EINTR : 0;
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
	if (HAVE(tb, SMCHAN_A_CARD_PRESENT, 1)) {
		info->card_present = nla_get_u8(tb[SMCHAN_A_CARD_PRESENT]);
		info->present |= SMCHAN_INFO_CARD_PRESENT;
	}
	/* An ATR of another length is not one: ignored. */
	if (HAVE(tb, SMCHAN_A_ATR, 2) &&
	    nla_len(tb[SMCHAN_A_ATR]) <= SMCHAN_ATR_MAX) {
		info->atr_len = nla_len(tb[SMCHAN_A_ATR]);
		memcpy(info->atr, nla_data(tb[SMCHAN_A_ATR]), info->atr_len);
		info->present |= SMCHAN_INFO_ATR;
	}
	if (tb[SMCHAN_A_MKEY])
		info->present |= SMCHAN_INFO_MKEY;
	if (HAVE(tb, SMCHAN_A_ERROR, 4)) {
		info->error = nla_get_u32(tb[SMCHAN_A_ERROR]);
		info->present |= SMCHAN_INFO_ERROR;
	}
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
	struct nl_msg *msg;
	int err;

	/* At most 127 bytes and a NUL, as the kernel takes them. */
	if (((cfg->present & SMCHAN_CFG_READER) &&
	     strnlen(cfg->reader, sizeof(cfg->reader)) == sizeof(cfg->reader)) ||
	    ((cfg->present & SMCHAN_CFG_KEYRING) &&
	     strnlen(cfg->keyring, sizeof(cfg->keyring)) == sizeof(cfg->keyring))) {
		snprintf(h->errmsg, sizeof(h->errmsg),
			 "reader and keyring names are at most %d bytes",
			 SMCHAN_READER_MAX - 1);
		return -ENAMETOOLONG;
	}
	msg = new_msg(h, cmd, 0);
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
	/* Zeroed here, not by the caller: an empty name after the request
	 * is how an ACK without the reply shows. */
	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	err = request(h, msg, REQ_DO, info_cb, info);
	if (!err && !info->name[0])
		err = -EPROTO;		/* an ACK without the reply */
	return err;
}

/* The channels of one dump, collected before anyone sees them. */
struct dump_ctx {
	struct smchan_channel_info *v;
	size_t n, size;
};

static int dump_cb(struct smchan_nl *h, struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *d = arg;

	if (!is_cmd(h, nlh, SMCHAN_CMD_CHANNEL_GET))
		return 0;
	if (d->n == d->size) {
		size_t size = d->size ? 2 * d->size : 64;
		void *v = realloc(d->v, size * sizeof(*d->v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->size = size;
	}
	return parse_info(nlh, &d->v[d->n++]);
}

/* Dumps the kernel flagged NLM_F_DUMP_INTR are taken again this often. */
#define DUMP_TRIES 8

int smchan_channel_dump(struct smchan_nl *h, smchan_channel_fn fn, void *arg)
{
	struct dump_ctx d;
	struct nl_msg *msg;
	int tries, rc;
	size_t i;

	for (tries = 1; ; tries++) {
		memset(&d, 0, sizeof(d));
		msg = new_msg(h, SMCHAN_CMD_CHANNEL_GET, 0);
		if (!msg)
			return -ENOMEM;
		rc = request(h, msg, REQ_DUMP, dump_cb, &d);
		if (rc != -EINTR || tries == DUMP_TRIES)
			break;
		free(d.v);	/* channels came or went: a consistent one */
	}
	for (i = 0; !rc && i < d.n; i++)
		rc = fn(&d.v[i], arg);
	free(d.v);
	return rc;
}

/* --- Sessions and transport --------------------------------------------- */

static void parse_event(struct nlattr **tb, struct smchan_event_msg *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (tb[SMCHAN_A_CHANNEL])
		copy_str(ev->channel, sizeof(ev->channel), tb[SMCHAN_A_CHANNEL]);
	ev->event = nla_get_u8(tb[SMCHAN_A_EVENT]);
	if (HAVE(tb, SMCHAN_A_END_REASON, 1)) {
		ev->has_end_reason = true;
		ev->end_reason = nla_get_u8(tb[SMCHAN_A_END_REASON]);
	}
	if (HAVE(tb, SMCHAN_A_REQUEST_ID, 8)) {
		ev->has_request_id = true;
		ev->request_id = nla_get_u64(tb[SMCHAN_A_REQUEST_ID]);
	}
	if (HAVE(tb, SMCHAN_A_ERROR, 4)) {
		ev->has_error = true;
		ev->error = nla_get_u32(tb[SMCHAN_A_ERROR]);
	}
}

struct start_ctx {
	bool have_id, done;
	uint64_t id;
	int result;
};

/* The reply of an asynchronous SESSION_START: the request id. */
static int start_reply_cb(struct smchan_nl *h, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[SMCHAN_A_MAX + 1];
	struct start_ctx *c = arg;

	if (!is_cmd(h, nlh, SMCHAN_CMD_SESSION_START) ||
	    genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL) < 0 ||
	    !HAVE(tb, SMCHAN_A_REQUEST_ID, 8))
		return 0;
	c->have_id = true;
	c->id = nla_get_u64(tb[SMCHAN_A_REQUEST_ID]);
	return 0;
}

static int start_event_cb(const struct smchan_event_msg *ev, void *arg)
{
	struct start_ctx *c = arg;

	if (ev->family == SMCHAN_FAMILY_GONE) {
		c->done = true;
		c->result = -ENODEV;
		return 0;
	}
	if (c->done || !ev->has_request_id || ev->request_id != c->id)
		return 0;
	if (ev->event == SMCHAN_EVENT_SESSION_UP) {
		c->done = true;
		c->result = 0;
	} else if (ev->event == SMCHAN_EVENT_SESSION_FAILED) {
		c->done = true;
		c->result = ev->has_error && ev->error && ev->error < SMCHAN_ELIBNL ?
			    -(int)ev->error : -EIO;
	}
	return 0;
}

/*
 * ORDER: the events socket joins before the start is sent, so that the
 * outcome cannot come before anyone listens.
 */
int smchan_session_start(struct smchan_nl *h, const char *name)
{
	struct smchan_channel_info info;
	struct start_ctx c = { 0 };
	long long bound = 30000, deadline;
	struct smchan_nl *ev;
	struct nl_msg *msg;
	int err;

	if (!smchan_channel_get(h, name, &info) &&
	    (info.present & SMCHAN_INFO_TIMEOUT_MS))
		bound = (long long)info.timeout_ms * 4 + 2000;
	ev = nl_open(true);
	if (!ev)
		return -errno;
	msg = new_msg(h, SMCHAN_CMD_SESSION_START, 0);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	if (nla_put_string(msg, SMCHAN_A_CHANNEL, name) < 0) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto out;
	}
	err = request(h, msg, REQ_DO, start_reply_cb, &c);
	if (err || !c.have_id)
		goto out;	/* refused at once, or a synchronous kernel */
	deadline = now_ms() + bound;
	while (!c.done) {
		long long left = deadline - now_ms();

		if (left <= 0) {
			err = -ETIMEDOUT;
			snprintf(h->errmsg, sizeof(h->errmsg),
				 "no outcome of the session start within %lld ms", bound);
			goto out;
		}
		err = smchan_events_recv(ev, (int)left, start_event_cb, &c);
		if (err == -ENOBUFS) {
			/* Our event may be among the lost: the state tells. */
			if (!smchan_channel_get(h, name, &info) &&
			    info.state == SMCHAN_STATE_ESTABLISHED) {
				c.done = true;
				c.result = 0;
			}
			continue;
		}
		if (err < 0 && err != -EINTR)
			goto out;
	}
	err = c.result;
out:
	smchan_nl_close(ev);
	return err;
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
	return smchan_card_status_atr(h, name, present, NULL, 0);
}

int smchan_card_status_atr(struct smchan_nl *h, const char *name, bool present,
			   const uint8_t *atr, size_t atr_len)
{
	struct nl_msg *msg;

	if ((atr_len && (!atr || !present)) || atr_len == 1 ||
	    atr_len > SMCHAN_ATR_MAX) {
		snprintf(h->errmsg, sizeof(h->errmsg),
			 "an ATR of %zu bytes%s", atr_len,
			 present ? "" : " with no card");
		return -EINVAL;
	}
	msg = new_msg(h, SMCHAN_CMD_CARD_STATUS, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, SMCHAN_A_CHANNEL, name) < 0 ||
	    nla_put_u8(msg, SMCHAN_A_CARD_PRESENT, present) < 0 ||
	    (atr_len && nla_put(msg, SMCHAN_A_ATR, (int)atr_len, atr) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return request(h, msg, REQ_DO, NULL, NULL);
}

static int transmit_done(struct smchan_nl *h, const char *channel,
			 uint64_t id, const uint8_t *rsp, size_t len,
			 uint32_t err)
{
	struct nl_msg *msg;

	/* nla_len is 16 bits and counts its header: a longer answer would
	 * wrap and the kernel would see another, shorter one. */
	if (rsp && len > SMCHAN_NL_DATA_MAX) {
		snprintf(h->errmsg, sizeof(h->errmsg),
			 "an answer of %zu bytes: at most %d fit", len,
			 SMCHAN_NL_DATA_MAX);
		return -EMSGSIZE;
	}
	msg = new_msg(h, SMCHAN_CMD_TRANSMIT_DONE, len);
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

void smchan_transport_bad_requests(const struct smchan_nl *h,
				   struct smchan_bad_requests *out)
{
	*out = h->bad;
}

/*
 * Walks the attributes itself, so that a message libnl would refuse, or
 * whose end it would silently drop, still yields its channel and request
 * id.  Returns 0, -EPROTO or -EMSGSIZE (then t->channel and t->request_id
 * are set if can_answer), or -EBADMSG (not even those).
 */
static int parse_transmit(const struct nlmsghdr *nlh, int64_t queued_ms,
			  struct smchan_transmit *t, bool *can_answer)
{
	const unsigned char *p, *end = (const unsigned char *)nlh + nlh->nlmsg_len;
	bool have_ch = false, have_id = false, cut = false, bad = false;
	const struct nlattr *apdu = NULL;

	memset(t, 0, sizeof(*t));
	*can_answer = false;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	p = (const unsigned char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
	while (p < end) {
		const struct nlattr *a = (const void *)p;
		size_t alen, dlen;

		if ((size_t)(end - p) < sizeof(*a)) {
			cut = true;
			break;
		}
		alen = a->nla_len;
		if (alen < sizeof(*a)) {
			bad = true;
			break;
		}
		if (alen > (size_t)(end - p)) {
			cut = true;
			break;
		}
		dlen = alen - NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case SMCHAN_A_CHANNEL:
			if (!dlen || dlen > sizeof(t->channel) ||
			    memchr(p + NLA_HDRLEN, '\0', dlen) == NULL) {
				bad = true;
				break;
			}
			memcpy(t->channel, p + NLA_HDRLEN, dlen);
			have_ch = true;
			break;
		case SMCHAN_A_REQUEST_ID:
			if (dlen != 8) {
				bad = true;
				break;
			}
			memcpy(&t->request_id, p + NLA_HDRLEN, 8);
			have_id = true;
			break;
		case SMCHAN_A_APDU:
			apdu = a;
			break;
		case SMCHAN_A_TIMEOUT_MS:
			if (dlen != 4) {
				bad = true;
				break;
			}
			memcpy(&t->timeout_ms, p + NLA_HDRLEN, 4);
			break;
		}
		p += NLA_ALIGN(alen);
	}
	*can_answer = have_ch && have_id;
	if (!*can_answer)
		return -EBADMSG;
	if (cut)
		return -EMSGSIZE;
	if (bad || !apdu || nla_len(apdu) < 4)	/* CLA INS P1 P2 at least */
		return -EPROTO;
	t->apdu = nla_data(apdu);
	t->apdu_len = (size_t)nla_len(apdu);
	t->queued_ms = queued_ms;
	t->deadline_ms = t->timeout_ms ? queued_ms + t->timeout_ms : 0;
	return 0;
}

/* Hands out the queued requests; answers those that do not parse. */
static int drain(struct smchan_nl *h, smchan_transmit_fn fn, void *arg, int *count)
{
	struct pending *p;
	int r = 0;

	while (!r && (p = h->head)) {
		struct smchan_transmit t;
		bool can_answer;
		int err;

		h->head = p->next;
		if (!h->head)
			h->tail = &h->head;
		err = parse_transmit((struct nlmsghdr *)p->msg, p->queued_ms, &t,
				     &can_answer);
		if (!err) {
			(*count)++;
			r = fn(h, &t, arg);
		} else if (can_answer) {
			h->bad.answered++;
			transmit_done(h, t.channel, t.request_id, NULL, 0,
				      (uint32_t)-err);
		} else {
			h->bad.dropped++;
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

/*
 * nlctrl's notifications about the smchan family: on NEWFAMILY (and
 * NEWMCAST_GRP) the handle takes the new id and joins the new "events"
 * group.  Returns SMCHAN_FAMILY_* (SAME: not about smchan), or a negative
 * error when the new group cannot be joined.
 */
static int family_notice(struct smchan_nl *h, struct nlmsghdr *nlh)
{
	/*
	 * No policy: the names are compared with nla_strcmp(), which stays
	 * within the attribute (a name without its NUL is not ours).
	 */
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
	const struct genlmsghdr *gh = nlmsg_data(nlh);
	int rem, err;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    nla_strcmp(tb[CTRL_ATTR_FAMILY_NAME], SMCHAN_FAMILY_NAME))
		return SMCHAN_FAMILY_SAME;
	if (gh->cmd == CTRL_CMD_DELFAMILY) {
		h->family = -1;
		return SMCHAN_FAMILY_GONE;
	}
	if (gh->cmd != CTRL_CMD_NEWFAMILY && gh->cmd != CTRL_CMD_NEWMCAST_GRP)
		return SMCHAN_FAMILY_SAME;
	if (!HAVE(tb, CTRL_ATTR_FAMILY_ID, 2))
		return SMCHAN_FAMILY_SAME;
	h->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (h->events && tb[CTRL_ATTR_MCAST_GROUPS]) {
		nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
			struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];

			if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, g, NULL) < 0 ||
			    !gb[CTRL_ATTR_MCAST_GRP_NAME] ||
			    !HAVE(gb, CTRL_ATTR_MCAST_GRP_ID, 4) ||
			    nla_strcmp(gb[CTRL_ATTR_MCAST_GRP_NAME], SMCHAN_MCGRP_EVENTS))
				continue;
			err = nl_socket_add_membership(h->sk,
					(int)nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]));
			if (err < 0)
				return err == -NLE_PERM ? -EPERM : nlerr(err);
		}
	}
	return gh->cmd == CTRL_CMD_NEWFAMILY ? SMCHAN_FAMILY_BACK : SMCHAN_FAMILY_SAME;
}

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
			int fam;

			if (h->trace)
				h->trace(nlh, nlh->nlmsg_len, h->trace_arg);
			if (r)
				continue;
			fam = family_notice(h, nlh);
			if (fam < 0) {
				r = fam;
				continue;
			}
			if (fam != SMCHAN_FAMILY_SAME) {
				memset(&ev, 0, sizeof(ev));
				ev.family = (uint8_t)fam;
				count++;
				r = fn(&ev, arg);
				continue;
			}
			if (!is_cmd(h, nlh, SMCHAN_CMD_EVENT))
				continue;
			if (genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL) < 0 ||
			    !HAVE(tb, SMCHAN_A_EVENT, 1))
				continue;
			parse_event(tb, &ev);
			count++;
			r = fn(&ev, arg);
		}
		free(buf);
		if (r)
			return r;
	}
	return count;
}

/* --- APDUs -------------------------------------------------------------- */

uint8_t smchan_get_response_cla(uint8_t cla)
{
	if (cla & 0x40)		/* further interindustry: channels 4..19 */
		return 0x40 | (cla & 0x0F);
	return cla & 0x03;	/* first interindustry: channels 0..3 */
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
	[SMCHAN_EVENT_SESSION_FAILED] = "session-failed",
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
	ssize_t r;
	int fd, err = 0;

	/* read(2) into buf only: no stdio buffer ever holds the key. */
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return -errno;
	while (n < sizeof(buf)) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (!r)
			break;
		n += r;
	}
	if (!err && n == sizeof(buf))
		err = -EINVAL;		/* far too long for a key file */
	if (fd)
		close(fd);
	if (!err)
		err = smchan_parse_key_hex(buf, n, key, len);
	smchan_wipe(buf, sizeof(buf));
	return err;
}
