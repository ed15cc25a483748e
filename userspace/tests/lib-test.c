// SPDX-License-Identifier: GPL-2.0
/*
 * lib-test: the parts of libsmchan that need no kernel module: the key-file
 * reader, the names, the error numbering, and opening the family where it
 * is not registered.  Prints "RESULT <passed> <failed>".
 *
 * And the netlink side against a fake kernel: the Makefile links this
 * program with -Wl,--wrap for the libnl and libc calls that resolve the
 * family, send and receive (the __wrap_* functions below).  With `fake'
 * set they answer from per-socket queues that the tests fill with the
 * messages a kernel would send, and record every message the library
 * sends; otherwise they call the real ones.  The fake family id is one no
 * kernel has, so a message that reaches a real kernel gets ENOENT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "../lib/smchan.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
	}								\
} while (0)

static int parse(const char *s, uint8_t *key, size_t *len)
{
	return smchan_parse_key_hex(s, strlen(s), key, len);
}

static void keys(void)
{
	static const char *const bad[] = {
		"", "   \n", "00112233445566778899aabbccddeef",	/* 31 */
		"00112233445566778899aabbccddeeff0",			/* 33 */
		"00112233445566778899aabbccddeegf",			/* g */
		"0011223344556677 8899aabbccddeeff",			/* inner space */
		"0x00112233445566778899aabbccddeeff",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00",
	};
	uint8_t key[32];
	size_t len = 0, i;
	char path[] = "/tmp/smchan-lib-test.XXXXXX";
	FILE *f;
	int fd;

	CHECK(!parse("00112233445566778899aabbccddeeff", key, &len) && len == 16 &&
	      key[0] == 0x00 && key[15] == 0xff, "128-bit key");
	CHECK(!parse("  \t\n00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n\n",
		     key, &len) && len == 32 && key[10] == 0xaa && key[31] == 0xff,
	      "256-bit key, upper case, white space around");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(parse(bad[i], key, &len) == -EINVAL, "bad key %zu refused", i);

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fputs("\n  000102030405060708090a0b0c0d0e0f\n", f);
	fclose(f);
	CHECK(!smchan_read_key_file(path, key, &len) && len == 16 && key[15] == 0x0f,
	      "key file");
	f = fopen(path, "w");
	fputs("000102030405060708090a0b0c0d0e0f0\n", f);
	fclose(f);
	CHECK(smchan_read_key_file(path, key, &len) == -EINVAL, "odd key file refused");
	unlink(path);
	CHECK(smchan_read_key_file(path, key, &len) == -ENOENT, "missing key file");
	smchan_wipe(key, sizeof(key));
	for (i = 0; i < sizeof(key); i++)
		if (key[i])
			break;
	CHECK(i == sizeof(key), "smchan_wipe");
}

static void names(void)
{
	CHECK(!strcmp(smchan_mode_name(SMCHAN_MODE_RATCHET), "ratchet"), "mode name");
	CHECK(!strcmp(smchan_mode_name(0), "?") && !strcmp(smchan_mode_name(99), "?"),
	      "unknown mode");
	CHECK(smchan_mode_parse("opkey") == SMCHAN_MODE_OPKEY && !smchan_mode_parse("x"),
	      "mode parse");
	CHECK(smchan_suite_parse("aes256") == SMCHAN_SUITE_AES256, "suite parse");
	CHECK(!strcmp(smchan_state_name(SMCHAN_STATE_ESTABLISHED), "established"),
	      "state name");
	CHECK(!strcmp(smchan_event_name(SMCHAN_EVENT_CHANNEL_DEL), "channel-del"),
	      "event name");
	CHECK(!strcmp(smchan_end_reason_name(SMCHAN_END_CARD_REMOVED), "card-removed"),
	      "end reason name");
	CHECK(!strcmp(smchan_key_source_name(SMCHAN_KEY_KEYRING), "keyring"),
	      "key source name");
	CHECK(!strcmp(smchan_errname(-EBADMSG), "EBADMSG") &&
	      smchan_errno_parse("ENOKEY") == ENOKEY && !smchan_errno_parse("EFOO"),
	      "errno names");
	CHECK(!strcmp(smchan_errname(-(SMCHAN_ELIBNL + NLE_NOMEM)), "ELIBNL(5)") ||
	      NLE_NOMEM != 5, "libnl errors kept apart");
	CHECK(strstr(smchan_strerror(-EPERM), "not permitted") != NULL, "strerror");
	CHECK(strcmp(smchan_strerror(-(SMCHAN_ELIBNL + NLE_NOMEM)),
		     strerror(NLE_NOMEM)) != 0, "libnl strerror");
}

static void family(void)
{
	struct smchan_nl *h = smchan_nl_open();

	if (h) {
		printf("info: the smchan family is registered here: open not checked\n");
		smchan_nl_close(h);
		return;
	}
	CHECK(errno == ENOENT, "open without the module: ENOENT, got %s",
	      strerror(errno));
}


/* --- A fake kernel ------------------------------------------------------ */

#define FAKE_FAMILY	0x7ff0
#define FAKE_FAMILY2	0x7ff2	/* after a "reload" */
#define FAKE_GROUP	0x7ff1
#define FAKE_GROUP2	0x7ff3

struct fmsg {
	struct fmsg *next;
	size_t len;
	unsigned char data[];
};

struct fsock {
	struct nl_sock *sk;
	bool events;		/* joined the fake "events" group */
	int group;
	struct fmsg *head, **tail;
};

static bool fake, fake_resolve;
/* The next send (receive) fails as the system call would, with this errno. */
static int fail_send, fail_recv;
static struct fsock fsocks[32];
static struct fmsg *sent[256];	/* what the library sent, in order */
static int nsent;
/* How the fake kernel answers a request (default: an ACK). */
static void (*responder)(struct fsock *f, const struct nlmsghdr *req);

int __real_genl_ctrl_resolve(struct nl_sock *sk, const char *name);
int __real_genl_ctrl_resolve_grp(struct nl_sock *sk, const char *family,
				 const char *grp);
int __real_nl_socket_add_membership(struct nl_sock *sk, int group);
int __real_nl_send_auto(struct nl_sock *sk, struct nl_msg *msg);
int __real_nl_sendto(struct nl_sock *sk, void *buf, size_t size);
int __real_nl_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		   unsigned char **buf, struct ucred **creds);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);

static struct fsock *fs_find(struct nl_sock *sk, bool add)
{
	size_t i;

	for (i = 0; i < sizeof(fsocks) / sizeof(fsocks[0]); i++)
		if (fsocks[i].sk == sk)
			return &fsocks[i];
	if (!add)
		return NULL;
	for (i = 0; i < sizeof(fsocks) / sizeof(fsocks[0]); i++)
		if (!fsocks[i].sk) {
			fsocks[i].sk = sk;
			fsocks[i].head = NULL;
			fsocks[i].tail = &fsocks[i].head;
			return &fsocks[i];
		}
	abort();
}

static void fake_reset(void)
{
	size_t i;

	for (i = 0; i < sizeof(fsocks) / sizeof(fsocks[0]); i++) {
		while (fsocks[i].head) {
			struct fmsg *m = fsocks[i].head;

			fsocks[i].head = m->next;
			free(m);
		}
	}
	memset(fsocks, 0, sizeof(fsocks));
	while (nsent)
		free(sent[--nsent]);
	responder = NULL;
}

static void push_raw(struct fsock *f, const void *p, size_t len)
{
	struct fmsg *m = malloc(sizeof(*m) + len);

	if (!m)
		abort();
	m->next = NULL;
	m->len = len;
	memcpy(m->data, p, len);
	*f->tail = m;
	f->tail = &m->next;
}

static void push(struct fsock *f, struct nl_msg *msg)
{
	push_raw(f, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
}

/* A message of the family, or of nlctrl (type GENL_ID_CTRL). */
static struct nl_msg *kmsg(int type, uint32_t seq, int cmd)
{
	struct nl_msg *msg = nlmsg_alloc_size(70000);

	if (!msg || !genlmsg_put(msg, 0, seq, type, 0, 0, cmd, 1))
		abort();
	return msg;
}

/* A TRANSMIT for channel c0: request id (none if 0) and an APDU. */
static struct nl_msg *tx_msg(uint64_t id, bool with_apdu)
{
	static const uint8_t apdu[] = { 0x0C, 0xB0, 0x00, 0x00, 0x10 };
	struct nl_msg *m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_TRANSMIT);

	nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
	if (id)
		nla_put_u64(m, SMCHAN_A_REQUEST_ID, id);
	if (with_apdu)
		nla_put(m, SMCHAN_A_APDU, sizeof(apdu), apdu);
	return m;
}

static void ack(struct fsock *f, const struct nlmsghdr *req, int err)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} a;

	memset(&a, 0, sizeof(a));
	a.h.nlmsg_len = sizeof(a);
	a.h.nlmsg_type = NLMSG_ERROR;
	a.h.nlmsg_flags = NLM_F_CAPPED;
	a.h.nlmsg_seq = req->nlmsg_seq;
	a.e.error = err;
	a.e.msg = *req;
	push_raw(f, &a, sizeof(a));
}

static void on_sent(struct nl_sock *sk, const void *p, size_t len)
{
	struct fmsg *m = malloc(sizeof(*m) + len);
	struct fsock *f = fs_find(sk, true);

	if (!m || nsent == (int)(sizeof(sent) / sizeof(sent[0])))
		abort();
	m->next = NULL;
	m->len = len;
	memcpy(m->data, p, len);
	sent[nsent++] = m;
	if (responder)
		responder(f, (const void *)m->data);
	else
		ack(f, (const void *)m->data, 0);
}

int __wrap_genl_ctrl_resolve(struct nl_sock *sk, const char *name)
{
	if (fake_resolve && !strcmp(name, SMCHAN_FAMILY_NAME)) {
		fs_find(sk, true);
		return FAKE_FAMILY;
	}
	return __real_genl_ctrl_resolve(sk, name);
}

int __wrap_genl_ctrl_resolve_grp(struct nl_sock *sk, const char *family,
				 const char *grp)
{
	if (fake_resolve && !strcmp(family, SMCHAN_FAMILY_NAME))
		return FAKE_GROUP;
	return __real_genl_ctrl_resolve_grp(sk, family, grp);
}

int __wrap_nl_socket_add_membership(struct nl_sock *sk, int group)
{
	if (fake_resolve && (group == FAKE_GROUP || group == FAKE_GROUP2)) {
		struct fsock *f = fs_find(sk, true);

		f->events = true;
		f->group = group;
		return 0;
	}
	return __real_nl_socket_add_membership(sk, group);
}

/* libnl's own way: the NLE_ code of the errno, which it leaves in errno. */
static int failed_call(int *e)
{
	errno = *e;
	*e = 0;
	return -nl_syserr2nlerr(errno);
}

int __wrap_nl_send_auto(struct nl_sock *sk, struct nl_msg *msg)
{
	if (!fake)
		return __real_nl_send_auto(sk, msg);
	nl_complete_msg(sk, msg);
	if (fail_send)
		return failed_call(&fail_send);
	on_sent(sk, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	return (int)nlmsg_hdr(msg)->nlmsg_len;
}

int __wrap_nl_sendto(struct nl_sock *sk, void *buf, size_t size)
{
	if (!fake)
		return __real_nl_sendto(sk, buf, size);
	if (fail_send)
		return failed_call(&fail_send);
	on_sent(sk, buf, size);
	return (int)size;
}

int __wrap_nl_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		   unsigned char **buf, struct ucred **creds)
{
	struct fsock *f = fs_find(sk, false);
	struct fmsg *m;

	if (!fake || !f || !f->head)
		return __real_nl_recv(sk, nla, buf, creds);
	m = f->head;
	f->head = m->next;
	if (!f->head)
		f->tail = &f->head;
	if (fail_recv) {	/* the datagram is lost, as recvmsg's EFAULT loses it */
		free(m);
		return failed_call(&fail_recv);
	}
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	*buf = malloc(m->len);
	memcpy(*buf, m->data, m->len);
	free(m);
	return (int)((struct nlmsghdr *)*buf)->nlmsg_len;
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	size_t i;

	if (fake && n == 1)
		for (i = 0; i < sizeof(fsocks) / sizeof(fsocks[0]); i++)
			if (fsocks[i].sk && fsocks[i].head &&
			    nl_socket_get_fd(fsocks[i].sk) == fds[0].fd) {
				fds[0].revents = POLLIN;
				return 1;
			}
	return __real_poll(fds, n, timeout);
}

/* The last message the library sent, parsed; NULL if none. */
static struct nlmsghdr *last_sent(struct nlattr **tb)
{
	struct nlmsghdr *nlh;

	if (!nsent)
		return NULL;
	nlh = (void *)sent[nsent - 1]->data;
	if (genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL) < 0)
		return NULL;
	return nlh;
}

static int sent_cmd(int i)
{
	struct nlmsghdr *nlh = (void *)sent[i]->data;

	return ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

static struct smchan_nl *fake_open(bool events)
{
	struct smchan_nl *h;

	fake = fake_resolve = true;
	h = events ? smchan_events_open() : smchan_nl_open();
	if (!h) {
		printf("fake open: %s\n", strerror(errno));
		abort();
	}
	return h;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* --- Requests the library cannot parse (issue 10 item 1) ---------------- */

struct seen {
	int calls;
	uint64_t id;
	struct smchan_transmit t;
};

static int on_tx(struct smchan_nl *h, const struct smchan_transmit *t, void *arg)
{
	struct seen *s = arg;

	(void)h;
	s->calls++;
	s->id = t->request_id;
	s->t = *t;
	s->t.apdu = NULL;
	return 0;
}

static void bad_transmits(void)
{
	static const uint8_t apdu[] = { 0x0C, 0xB0, 0x00, 0x00, 0x10 };
	struct smchan_nl *h = fake_open(false);
	struct fsock *f = fs_find(NULL, false);
	struct nlattr *tb[SMCHAN_A_MAX + 1];
	struct nl_msg *m;
	struct seen s = { 0 };
	int r, i, answered = 0;

	for (i = 0; i < 32; i++)
		if (fsocks[i].sk && !fsocks[i].events)
			f = &fsocks[i];
	push(f, tx_msg(7, false));	/* no APDU */
	/* an APDU attribute that runs past the end of the message */
	m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_TRANSMIT);
	nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
	nla_put_u64(m, SMCHAN_A_REQUEST_ID, 8);
	nla_put(m, SMCHAN_A_APDU, sizeof(apdu), apdu);
	{
		struct nlmsghdr *nlh = nlmsg_hdr(m);
		struct nlattr *a = (void *)((char *)nlh + nlh->nlmsg_len -
					    NLA_ALIGN(nla_attr_size(sizeof(apdu))));

		a->nla_len = 200;
	}
	push(f, m);
	push(f, tx_msg(0, true));	/* no request id: nothing to answer */
	push(f, tx_msg(9, true));	/* and a good one */

	for (i = 0; i < 4 && s.calls == 0; i++) {
		r = smchan_transport_poll(h, 100, on_tx, &s);
		if (r < 0)
			break;
	}
	CHECK(s.calls == 1 && s.id == 9, "only the good request reaches the handler (%d calls, id %llu)",
	      s.calls, (unsigned long long)s.id);
	for (i = 0; i < nsent; i++) {
		struct nlmsghdr *nlh = (void *)sent[i]->data;

		if (sent_cmd(i) != SMCHAN_CMD_TRANSMIT_DONE ||
		    genlmsg_parse(nlh, 0, tb, SMCHAN_A_MAX, NULL) < 0 ||
		    !tb[SMCHAN_A_REQUEST_ID] || !tb[SMCHAN_A_ERROR] || !tb[SMCHAN_A_CHANNEL])
			continue;
		if (nla_get_u64(tb[SMCHAN_A_REQUEST_ID]) == 7 &&
		    nla_get_u32(tb[SMCHAN_A_ERROR]) == EPROTO &&
		    !strcmp(nla_get_string(tb[SMCHAN_A_CHANNEL]), "c0"))
			answered |= 1;
		if (nla_get_u64(tb[SMCHAN_A_REQUEST_ID]) == 8 &&
		    nla_get_u32(tb[SMCHAN_A_ERROR]) == EMSGSIZE)
			answered |= 2;
	}
	CHECK(answered & 1, "a TRANSMIT without an APDU is answered with EPROTO");
	CHECK(answered & 2, "a TRANSMIT with a truncated attribute is answered with EMSGSIZE");
#ifndef LIB_TEST_OLD
	{
		struct smchan_bad_requests b;

		smchan_transport_bad_requests(h, &b);
		CHECK(b.answered == 2 && b.dropped == 1,
		      "bad requests counted: %lu answered, %lu dropped", b.answered, b.dropped);
	}
#endif
	smchan_nl_close(h);
	fake_reset();
}

/* --- Answers that do not fit an attribute (item 2) ---------------------- */

static void big_answers(void)
{
	struct smchan_nl *h = fake_open(false);
	struct nlattr *tb[SMCHAN_A_MAX + 1];
	uint8_t *big = calloc(1, 70000);
	int n0, r;

	big[65530] = 0x90;
	n0 = nsent;
	r = smchan_transport_reply(h, "c0", 1, big, 65532);
	CHECK(r == -EMSGSIZE && nsent == n0,
	      "an answer of 65532 bytes is refused with EMSGSIZE, nothing sent (got %d, %d sent)",
	      r, nsent - n0);
	r = smchan_transport_reply(h, "c0", 2, big, 70000);
	CHECK(r == -EMSGSIZE && nsent == n0, "70000 bytes refused (got %d)", r);
	r = smchan_transport_reply(h, "c0", 3, big, 65531);
	CHECK(r == 0 && nsent == n0 + 1 && last_sent(tb) && tb[SMCHAN_A_RESPONSE] &&
	      nla_len(tb[SMCHAN_A_RESPONSE]) == 65531 &&
	      ((uint8_t *)nla_data(tb[SMCHAN_A_RESPONSE]))[65530] == 0x90,
	      "an answer of 65531 bytes (SMCHAN_NL_DATA_MAX) goes whole (got %d)", r);
	free(big);
	smchan_nl_close(h);
	fake_reset();
}

/* --- CARD_STATUS and the ATR --------------------------------------------- */
#ifndef LIB_TEST_OLD
static void card_status(void)
{
	static const uint8_t atr[SMCHAN_ATR_MAX] = { 0x3B, 0x00 };
	struct smchan_nl *h = fake_open(false);
	struct nlattr *tb[SMCHAN_A_MAX + 1];
	int r, n0;

	n0 = nsent;
	r = smchan_card_status_atr(h, "c0", true, atr, 2);
	CHECK(r == 0 && nsent == n0 + 1 && last_sent(tb) && tb[SMCHAN_A_ATR] &&
	      nla_len(tb[SMCHAN_A_ATR]) == 2 && tb[SMCHAN_A_CARD_PRESENT] &&
	      nla_get_u8(tb[SMCHAN_A_CARD_PRESENT]) == 1,
	      "a present card's ATR of 2 bytes is sent (got %d)", r);
	r = smchan_card_status_atr(h, "c0", true, atr, SMCHAN_ATR_MAX);
	CHECK(r == 0 && nsent == n0 + 2 && last_sent(tb) && tb[SMCHAN_A_ATR] &&
	      nla_len(tb[SMCHAN_A_ATR]) == SMCHAN_ATR_MAX,
	      "an ATR of 33 bytes is sent (got %d)", r);
	r = smchan_card_status(h, "c0", false);
	CHECK(r == 0 && nsent == n0 + 3 && last_sent(tb) && !tb[SMCHAN_A_ATR] &&
	      tb[SMCHAN_A_CARD_PRESENT] && nla_get_u8(tb[SMCHAN_A_CARD_PRESENT]) == 0,
	      "a removal carries no ATR (got %d)", r);
	n0 = nsent;
	r = smchan_card_status_atr(h, "c0", true, atr, 1);
	CHECK(r == -EINVAL && nsent == n0, "an ATR of 1 byte is refused (got %d)", r);
	r = smchan_card_status_atr(h, "c0", true, atr, SMCHAN_ATR_MAX + 1);
	CHECK(r == -EINVAL && nsent == n0, "an ATR of 34 bytes is refused (got %d)", r);
	r = smchan_card_status_atr(h, "c0", false, atr, 2);
	CHECK(r == -EINVAL && nsent == n0, "an ATR with no card is refused (got %d)", r);
	smchan_nl_close(h);
	fake_reset();
}
#endif

/* --- Name lengths -------------------------------------------------------- */

static void name_lengths(void)
{
	struct smchan_nl *h = fake_open(false);
	struct smchan_channel_cfg cfg;
	int r, n0;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "c0");
	cfg.present = SMCHAN_CFG_READER;
	memset(cfg.reader, 'r', 127);
	n0 = nsent;
	r = smchan_channel_new(h, &cfg, NULL);
	CHECK(r == 0 && nsent == n0 + 1, "a reader name of 127 bytes is sent (got %d)", r);
	CHECK(sizeof(cfg.reader) == 128 && sizeof(cfg.keyring) == 128,
	      "reader and keyring buffers are 128 bytes as in the kernel (%zu, %zu)",
	      sizeof(cfg.reader), sizeof(cfg.keyring));
	memset(cfg.reader, 'r', sizeof(cfg.reader));	/* no NUL */
	n0 = nsent;
	r = smchan_channel_new(h, &cfg, NULL);
	CHECK(r == -ENAMETOOLONG && nsent == n0,
	      "an unterminated reader name is refused with ENAMETOOLONG (got %d)", r);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "c0");
	cfg.present = SMCHAN_CFG_KEYRING;
	memset(cfg.keyring, 'k', sizeof(cfg.keyring));
	r = smchan_channel_set(h, &cfg, NULL);
	CHECK(r == -ENAMETOOLONG && nsent == n0,
	      "an unterminated keyring name is refused with ENAMETOOLONG (got %d)", r);
	smchan_nl_close(h);
	fake_reset();
}

/* --- Keys and NLCB=debug (item 12) -------------------------------------- */

static const uint8_t nlcb_key[16] = {
	0xc3, 0x7e, 0x19, 0xa4, 0x5d, 0x02, 0xe8, 0x6b,
	0x91, 0x3f, 0xd7, 0x24, 0x8a, 0x56, 0xbe, 0x0f,
};

/* Runs in a child with NLCB=debug: libnl reads it when it loads. */
static int nlcb_child(void)
{
	struct smchan_channel_cfg cfg;
	struct smchan_channel_info info;
	struct smchan_nl *h;
	int g, r;

	fake_resolve = true;	/* the real kernel answers: ENOENT */
	h = smchan_nl_open();
	if (!h)
		return 2;
	g = smchan_channel_get(h, "c0", &info);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "c0");
	cfg.present = SMCHAN_CFG_MKEY;
	memcpy(cfg.mkey, nlcb_key, sizeof(nlcb_key));
	cfg.mkey_len = sizeof(nlcb_key);
	r = smchan_channel_new(h, &cfg, NULL);
	fflush(stderr);
	printf("\nnlcb-child get=%d new=%d\n", g, r);
	fflush(stdout);
	smchan_nl_close(h);
	return 0;
}

static void nlcb_debug(const char *self)
{
	char out[1 << 16], hex1[64], hex2[64];
	int pfd[2], st, g = 1, r = 1;
	size_t n = 0, i;
	ssize_t k;
	pid_t pid;
	char *p;

	if (pipe(pfd))
		abort();
	pid = fork();
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		setenv("NLCB", "debug", 1);
		execl(self, self, "--nlcb-child", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (n < sizeof(out) - 1 && (k = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(pfd[0]);
	waitpid(pid, &st, 0);
	for (i = 0; i < n; i++)		/* a NUL would end the search early */
		if (!out[i])
			out[i] = '.';
	p = strstr(out, "nlcb-child get=");
	CHECK(p && sscanf(p, "nlcb-child get=%d new=%d", &g, &r) == 2,
	      "the NLCB=debug child ran: %.200s", out);
	CHECK(strstr(out, "Debug") != NULL,
	      "NLCB=debug is in effect (libnl printed the CHANNEL_GET)");
	/* The library either sent it (the kernel had no such family) or
	 * refused it with a clear error; never did libnl print the key. */
	CHECK(r == -ENOENT, "the key-bearing CHANNEL_NEW was sent and answered (got %d)", r);
	for (i = 0; i < 4; i++) {
		sprintf(hex1 + 3 * i, "%02x ", nlcb_key[i + 4]);
		sprintf(hex2 + 2 * i, "%02x", nlcb_key[i + 4]);
	}
	hex1[11] = '\0';
	CHECK(!strcasestr(out, hex1) && !strcasestr(out, hex2),
	      "libnl's debug output holds no key bytes (`%s')", hex1);
	(void)g;
}

#ifndef LIB_TEST_OLD
/* --- Session start: synchronous over the asynchronous kernel ------------ */

static int start_mode;		/* what the fake kernel does with a start */

static void start_responder(struct fsock *f, const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = nlmsg_data(req);
	struct nl_msg *m;
	size_t i;

	if (g->cmd == SMCHAN_CMD_CHANNEL_GET) {
		m = kmsg(FAKE_FAMILY, req->nlmsg_seq, SMCHAN_CMD_CHANNEL_GET);
		nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
		nla_put_u32(m, SMCHAN_A_TIMEOUT_MS, 100);
		nla_put_u8(m, SMCHAN_A_STATE, SMCHAN_STATE_ESTABLISHING);
		push(f, m);
		ack(f, req, 0);
		return;
	}
	if (g->cmd != SMCHAN_CMD_SESSION_START) {
		ack(f, req, 0);
		return;
	}
	if (start_mode == 3) {		/* the old, synchronous kernel */
		ack(f, req, 0);
		return;
	}
	if (start_mode == 4) {
		ack(f, req, -EPIPE);
		return;
	}
	m = kmsg(FAKE_FAMILY, req->nlmsg_seq, SMCHAN_CMD_SESSION_START);
	nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
	nla_put_u64(m, SMCHAN_A_REQUEST_ID, 42);
	push(f, m);
	ack(f, req, 0);
	for (i = 0; i < 32; i++) {
		if (!fsocks[i].sk || !fsocks[i].events)
			continue;
		/* another start's outcome first */
		m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_EVENT);
		nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
		nla_put_u8(m, SMCHAN_A_EVENT, SMCHAN_EVENT_SESSION_UP);
		nla_put_u64(m, SMCHAN_A_REQUEST_ID, 41);
		push(&fsocks[i], m);
		if (start_mode == 5)
			continue;	/* ours never comes */
		m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_EVENT);
		nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
		nla_put_u64(m, SMCHAN_A_REQUEST_ID, 42);
		if (start_mode == 1) {
			nla_put_u8(m, SMCHAN_A_EVENT, SMCHAN_EVENT_SESSION_FAILED);
			nla_put_u32(m, SMCHAN_A_ERROR, EKEYREJECTED);
		} else {
			nla_put_u8(m, SMCHAN_A_EVENT, SMCHAN_EVENT_SESSION_UP);
		}
		push(&fsocks[i], m);
	}
}

static void session_start(void)
{
	static const struct { int mode, want; const char *what; } t[] = {
		{ 1, -EKEYREJECTED, "SESSION_FAILED(EKEYREJECTED) with our id" },
		{ 2, 0, "SESSION_UP with our id" },
		{ 3, 0, "a synchronous kernel's ACK" },
		{ 4, -EPIPE, "an immediate error (EPIPE)" },
		{ 5, -ETIMEDOUT, "no outcome within timeout_ms * 4 + 2 s" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct smchan_nl *h = fake_open(false);
		long long t0 = mono_ms();
		int r;

		start_mode = t[i].mode;
		responder = start_responder;
		r = smchan_session_start(h, "c0");
		CHECK(r == t[i].want, "session start, %s: want %d, got %d", t[i].what,
		      t[i].want, r);
		if (t[i].mode == 5)
			CHECK(mono_ms() - t0 >= 2400 && mono_ms() - t0 < 6000,
			      "the wait is bounded (%lld ms)", mono_ms() - t0);
		smchan_nl_close(h);
		fake_reset();
	}
}

/* --- What the library parses of the kernel's messages ------------------- */

static int keep_event(const struct smchan_event_msg *ev, void *arg)
{
	*(struct smchan_event_msg *)arg = *ev;
	return 0;
}

static void parsing(void)
{
	struct smchan_nl *h = fake_open(true);
	struct smchan_event_msg ev;
	struct smchan_channel_info info;
	struct fsock *f = NULL;
	struct seen s;
	struct nl_msg *m, *g;
	struct nlattr *nest, *grp;
	long long t0;
	int i, r;

	for (i = 0; i < 32; i++)
		if (fsocks[i].sk && fsocks[i].events)
			f = &fsocks[i];
	if (!f) {
		CHECK(0, "the events handle joined the group");
		return;
	}
	m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_EVENT);
	nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
	nla_put_u8(m, SMCHAN_A_EVENT, SMCHAN_EVENT_SESSION_FAILED);
	nla_put_u64(m, SMCHAN_A_REQUEST_ID, 1234);
	nla_put_u32(m, SMCHAN_A_ERROR, ETIMEDOUT);
	push(f, m);
	memset(&ev, 0, sizeof(ev));
	r = smchan_events_recv(h, 100, keep_event, &ev);
	CHECK(r == 1 && ev.event == SMCHAN_EVENT_SESSION_FAILED && ev.has_request_id &&
	      ev.request_id == 1234 && ev.has_error && ev.error == ETIMEDOUT &&
	      !strcmp(smchan_event_name(ev.event), "session-failed"),
	      "SESSION_FAILED: request id and error parsed");

	/* The module unloaded and loaded again, with new ids. */
	m = kmsg(GENL_ID_CTRL, 0, CTRL_CMD_DELFAMILY);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "other");
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, 0x7777);
	push(f, m);
	m = kmsg(GENL_ID_CTRL, 0, CTRL_CMD_DELFAMILY);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, SMCHAN_FAMILY_NAME);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY);
	push(f, m);
	memset(&ev, 0, sizeof(ev));
	r = smchan_events_recv(h, 100, keep_event, &ev);
	CHECK(r == 1 && ev.family == SMCHAN_FAMILY_GONE,
	      "nlctrl DELFAMILY of smchan: family gone (r %d, family %d)", r, ev.family);
	g = kmsg(GENL_ID_CTRL, 0, CTRL_CMD_NEWFAMILY);
	nla_put_string(g, CTRL_ATTR_FAMILY_NAME, SMCHAN_FAMILY_NAME);
	nla_put_u16(g, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY2);
	nest = nla_nest_start(g, CTRL_ATTR_MCAST_GROUPS);
	grp = nla_nest_start(g, 1);
	nla_put_string(g, CTRL_ATTR_MCAST_GRP_NAME, SMCHAN_MCGRP_EVENTS);
	nla_put_u32(g, CTRL_ATTR_MCAST_GRP_ID, FAKE_GROUP2);
	nla_nest_end(g, grp);
	nla_nest_end(g, nest);
	push(f, g);
	memset(&ev, 0, sizeof(ev));
	r = smchan_events_recv(h, 100, keep_event, &ev);
	CHECK(r == 1 && ev.family == SMCHAN_FAMILY_BACK && f->group == FAKE_GROUP2,
	      "nlctrl NEWFAMILY: family back, new group joined (r %d, family %d, group %#x)",
	      r, ev.family, f->group);
	m = kmsg(FAKE_FAMILY2, 0, SMCHAN_CMD_EVENT);
	nla_put_string(m, SMCHAN_A_CHANNEL, "c1");
	nla_put_u8(m, SMCHAN_A_EVENT, SMCHAN_EVENT_CHANNEL_NEW);
	push(f, m);
	memset(&ev, 0, sizeof(ev));
	r = smchan_events_recv(h, 100, keep_event, &ev);
	CHECK(r == 1 && ev.event == SMCHAN_EVENT_CHANNEL_NEW && !strcmp(ev.channel, "c1"),
	      "events of the family's new id are received");
	smchan_nl_close(h);
	fake_reset();

	/* CHANNEL_GET of a failed channel: why it failed. */
	h = fake_open(false);
	f = NULL;
	for (i = 0; i < 32; i++)
		if (fsocks[i].sk)
			f = &fsocks[i];
	responder = NULL;
	m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_CHANNEL_GET);
	nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
	nla_put_u8(m, SMCHAN_A_STATE, SMCHAN_STATE_FAILED);
	nla_put_u32(m, SMCHAN_A_ERROR, EKEYREJECTED);
	{
		/* the reply must carry the request's sequence number: the
		 * library sends next with seq 1 more than the last */
		struct nlmsghdr *nlh = nlmsg_hdr(m);

		nlh->nlmsg_seq = nl_socket_use_seq(f->sk) + 1;
		push(f, m);
	}
	r = smchan_channel_get(h, "c0", &info);
	CHECK(r == 0 && (info.present & SMCHAN_INFO_ERROR) && info.error == EKEYREJECTED,
	      "CHANNEL_GET: the failed start's errno (r %d, error %u)", r, info.error);
	CHECK(r == 0 && !(info.present & (SMCHAN_INFO_CARD_PRESENT | SMCHAN_INFO_ATR)) &&
	      !info.card_present && !info.atr_len,
	      "CHANNEL_GET without card attributes: none reported");

	/* CHANNEL_GET of a channel with a card: its presence and ATR; an
	 * ATR longer than SMCHAN_ATR_MAX is not taken. */
	for (i = 0; i < 2; i++) {
		static const uint8_t atr[] = { 0x3B, 0x85, 0x81, 0x11, 0xFE, 0x80,
					       0x73, 0x80, 0x01, 0xC0, 0x59 };
		uint8_t big[SMCHAN_ATR_MAX + 1];
		struct nlmsghdr *nlh;

		memset(big, 0x3B, sizeof(big));
		m = kmsg(FAKE_FAMILY, 0, SMCHAN_CMD_CHANNEL_GET);
		nla_put_string(m, SMCHAN_A_CHANNEL, "c0");
		nla_put_u8(m, SMCHAN_A_CARD_PRESENT, 1);
		if (i == 0)
			nla_put(m, SMCHAN_A_ATR, sizeof(atr), atr);
		else
			nla_put(m, SMCHAN_A_ATR, sizeof(big), big);
		nlh = nlmsg_hdr(m);
		nlh->nlmsg_seq = nl_socket_use_seq(f->sk) + 1;
		push(f, m);
		r = smchan_channel_get(h, "c0", &info);
		if (i == 0)
			CHECK(r == 0 && (info.present & SMCHAN_INFO_CARD_PRESENT) &&
			      info.card_present == 1 && (info.present & SMCHAN_INFO_ATR) &&
			      info.atr_len == sizeof(atr) && !memcmp(info.atr, atr, sizeof(atr)),
			      "CHANNEL_GET: card present and its ATR (r %d, atr_len %zu)", r,
			      info.atr_len);
		else
			CHECK(r == 0 && info.card_present == 1 &&
			      !(info.present & SMCHAN_INFO_ATR) && !info.atr_len,
			      "CHANNEL_GET: an ATR of 34 bytes is ignored (r %d, atr_len %zu)", r,
			      info.atr_len);
	}

	/* TRANSMIT: the kernel's timeout and the deadline. */
	t0 = mono_ms();
	m = tx_msg(5, true);
	nla_put_u32(m, SMCHAN_A_TIMEOUT_MS, 150);
	push(f, m);
	sleep_ms(300);	/* the request waits in the socket */
	memset(&s, 0, sizeof(s));
	r = smchan_transport_poll(h, 100, on_tx, &s);
	CHECK(r == 1 && s.t.timeout_ms == 150 && s.t.queued_ms <= t0 &&
	      s.t.deadline_ms == s.t.queued_ms + 150 && s.t.deadline_ms < mono_ms(),
	      "a request that waited 300 ms of its 150: its deadline has passed (timeout %u, queued %lld, deadline %lld, now %lld)",
	      s.t.timeout_ms, (long long)(s.t.queued_ms - t0), (long long)(s.t.deadline_ms - t0),
	      mono_ms() - t0);
	r = smchan_transport_poll(h, 0, on_tx, &s);	/* sees it empty */
	t0 = mono_ms();
	m = tx_msg(6, true);
	nla_put_u32(m, SMCHAN_A_TIMEOUT_MS, 5000);
	push(f, m);
	memset(&s, 0, sizeof(s));
	r = smchan_transport_poll(h, 100, on_tx, &s);
	CHECK(r == 1 && s.id == 6 && s.t.deadline_ms >= t0 + 4900,
	      "a fresh request: its deadline is ahead");
	push(f, tx_msg(7, true));
	memset(&s, 0, sizeof(s));
	r = smchan_transport_poll(h, 100, on_tx, &s);
	CHECK(r == 1 && s.t.timeout_ms == 0 && s.t.deadline_ms == 0 && s.t.queued_ms > 0,
	      "an old kernel's TRANSMIT: no timeout, no deadline");
	smchan_nl_close(h);
	fake_reset();
}

static void get_response_cla(void)
{
	static const uint8_t t[][2] = {
		{ 0x00, 0x00 }, { 0x0C, 0x00 }, { 0x01, 0x01 }, { 0x0D, 0x01 },
		{ 0x03, 0x03 }, { 0x1F, 0x03 }, { 0x80, 0x00 }, { 0x84, 0x00 },
		{ 0x86, 0x02 }, { 0x40, 0x40 }, { 0x61, 0x41 }, { 0x6F, 0x4F },
		{ 0x4A, 0x4A }, { 0xC5, 0x45 }, { 0xE3, 0x43 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(smchan_get_response_cla(t[i][0]) == t[i][1],
		      "GET RESPONSE for CLA %02X: want %02X, got %02X", t[i][0], t[i][1],
		      smchan_get_response_cla(t[i][0]));
}
#endif
/*
 * A system call that fails comes back as -errno, as smchan.h says, not as
 * libnl's code for it (NLE_NOMEM stands for ENOMEM and ENOBUFS alike, and
 * NLE_INVAL for EFAULT among others).
 */
static void syscall_errors(void)
{
	static const int errs[] = { ENOMEM, ENOBUFS, EFAULT, EAGAIN };
	struct smchan_channel_info info;
	struct smchan_nl *h;
	size_t i;
	int r;

	fake_reset();
	h = fake_open(false);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fail_send = errs[i];
		r = smchan_channel_get(h, "c0", &info);
		CHECK(r == -errs[i], "a send that fails with %s: %s", strerror(errs[i]),
		      smchan_errname(r));
		fail_recv = errs[i];
		r = smchan_channel_del(h, "c0");
		CHECK(r == -errs[i], "a receive that fails with %s: %s", strerror(errs[i]),
		      smchan_errname(r));
		fake_reset();
		fake = fake_resolve = true;
	}
	/* And the handle works on. */
	CHECK(smchan_channel_del(h, "c0") == 0, "the next request after the failures");
	smchan_nl_close(h);
	fake_reset();
	fake = fake_resolve = false;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--nlcb-child"))
		return nlcb_child();
	keys();
	names();
	family();
	bad_transmits();
	big_answers();
	name_lengths();
	nlcb_debug(argv[0]);
#ifndef LIB_TEST_OLD
	card_status();
	session_start();
	parsing();
	get_response_cla();
	syscall_errors();
#endif
	printf("RESULT %d %d\n", passed, failed);
	return failed != 0;
}
