// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target "nl": libsmchan's parsing of what the kernel sends
 * (userspace/lib/smchan.c, included here so that its statics are in
 * reach): replies and dumps of CHANNEL_GET (request(), parse_extack(),
 * parse_info()), TRANSMIT requests (queue_transmit(), parse_transmit(),
 * drain(), transmit_done()) and events (family_notice(), parse_event()).
 * As in userspace/tests/lib-test.c the socket is faked: nl_recv() hands out
 * the input's datagrams, and once they run out an ACK of the last request,
 * so that every call ends; nothing reaches a kernel.
 *
 * Input: OP, then datagrams [len_hi len_lo] bytes (clipped). Requests get
 * the sequence numbers 1, 2, ...; the family id is FAMILY (0x20).
 *   OP % 5: 0 smchan_channel_get(), 1 smchan_channel_dump(),
 *   2 smchan_transport_poll(), 3 the same, answering every request
 *   (smchan_transport_reply()), 4 smchan_events_recv()
 * Oracles: names and strings handed out are NUL-terminated within their
 * arrays; an APDU handed out lies inside the message.
 *
 * smchan_channel_get() gets an info full of 0xaa, as smchanctl's callers
 * leave theirs: the library must not depend on it (it did until 943bff5:
 * regress/nl/get-ack-without-reply; regress/nl/extack-short-error is the
 * other bug nl found, fixed there too).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#define FAMILY 0x20
static const uint8_t *in_p;
static size_t in_left;
static uint32_t seq;

static int fuzz_nl_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
			unsigned char **buf, struct ucred **creds)
{
	struct ack { struct nlmsghdr h; struct nlmsgerr e; } *a;
	size_t n;

	(void)sk;
	(void)creds;
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	if (in_left >= 2) {
		n = (size_t)in_p[0] << 8 | in_p[1];
		in_p += 2;
		in_left -= 2;
		if (n > in_left)
			n = in_left;
		*buf = malloc(n ? n : 1);	/* its exact size: overreads show */
		memcpy(*buf, in_p, n);
		in_p += n;
		in_left -= n;
		return (int)n;
	}
	a = calloc(1, sizeof(*a));
	a->h.nlmsg_len = sizeof(*a);
	a->h.nlmsg_type = NLMSG_ERROR;
	a->h.nlmsg_flags = NLM_F_CAPPED;
	a->h.nlmsg_seq = seq;
	*buf = (unsigned char *)a;
	return sizeof(*a);
}

static int fuzz_nl_send_auto(struct nl_sock *sk, struct nl_msg *msg)
{
	(void)sk;
	nlmsg_hdr(msg)->nlmsg_seq = ++seq;
	return (int)nlmsg_hdr(msg)->nlmsg_len;
}

static int fuzz_nl_sendto(struct nl_sock *sk, void *buf, size_t size)
{
	(void)sk;
	((struct nlmsghdr *)buf)->nlmsg_seq = ++seq;
	return (int)size;
}

static int fuzz_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	(void)timeout;
	if (n == 1 && in_left >= 2)
		fds[0].revents = POLLIN;
	return n == 1 && in_left >= 2;
}

static int fuzz_add_membership(struct nl_sock *sk, int group)
{
	(void)sk;
	return group == 0x7fff ? -NLE_PERM : 0;
}

#define nl_recv(a, b, c, d) fuzz_nl_recv(a, b, c, d)
#define nl_send_auto(a, b) fuzz_nl_send_auto(a, b)
#define nl_sendto(a, b, c) fuzz_nl_sendto(a, b, c)
#define poll(a, b, c) fuzz_poll(a, b, c)
#define nl_socket_add_membership(a, b) fuzz_add_membership(a, b)
#include "../../userspace/lib/smchan.c"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)
#define TERMINATED(a) CHECK(memchr(a, 0, sizeof(a)))

static void check_info(const struct smchan_channel_info *i)
{
	TERMINATED(i->name);
	TERMINATED(i->reader);
	TERMINATED(i->keyring);
}

static int dump_fn(const struct smchan_channel_info *i, void *arg)
{
	(void)arg;
	check_info(i);
	return 0;
}

static volatile uint8_t sink;

static int transmit_fn(struct smchan_nl *h, const struct smchan_transmit *t, void *arg)
{
	size_t i;

	TERMINATED(t->channel);
	CHECK(t->apdu && t->apdu_len >= 4);
	for (i = 0; i < t->apdu_len; i++)	/* ASan: inside the message */
		sink ^= t->apdu[i];
	if (arg)
		return smchan_transport_reply(h, t->channel, t->request_id,
					      t->apdu, t->apdu_len) < 0 ? 0 : 0;
	return 0;
}

static int event_fn(const struct smchan_event_msg *ev, void *arg)
{
	(void)arg;
	TERMINATED(ev->channel);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nl_sock *sk;
	struct smchan_channel_info info;
	struct smchan_nl h;
	struct pending *p;
	int i;

	if (!size)
		return 0;
	if (!sk)
		sk = nl_socket_alloc();
	memset(&h, 0, sizeof(h));
	h.sk = sk;
	h.family = FAMILY;
	h.tail = &h.head;
	h.events = data[0] % 5 == 4;
	in_p = data + 1;
	in_left = size - 1;
	seq = 0;
	switch (data[0] % 5) {
	case 0:
		memset(&info, 0xaa, sizeof(info));
		if (!smchan_channel_get(&h, "ch0", &info))
			check_info(&info);
		break;
	case 1:
		smchan_channel_dump(&h, dump_fn, NULL);
		break;
	case 2:
	case 3:
		for (i = 0; i < 4 && in_left >= 2; i++)
			smchan_transport_poll(&h, 0, transmit_fn,
					      data[0] % 5 == 3 ? &h : NULL);
		break;
	case 4:
		for (i = 0; i < 4 && in_left >= 2; i++)
			smchan_events_recv(&h, 0, event_fn, NULL);
		break;
	}
	TERMINATED(h.errmsg);
	while ((p = h.head)) {
		h.head = p->next;
		free(p);
	}
	return 0;
}
