// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-random: the interfaces under random use (issue 13, item 5;
 * Documentation/reliability.rst, "Random use of the interfaces").
 *
 * Run as root with smchan.ko loaded (tests/random/random.sh, in UML).
 * From a seed, for a bounded time, several threads issue random but
 * well-typed operations at once:
 *
 *   workers   raw generic netlink requests of every command (and some
 *             that do not exist) with random subsets of attributes: valid
 *             values, boundary values, wrong lengths, wrong types,
 *             unterminated and oversized strings, malformed attribute
 *             headers, trailing bytes, dumps; keys as raw bytes (MKEY)
 *             or by keyring description (logon keys this program adds:
 *             raw, hex text, malformed, missing); and /dev/smchan:
 *             open (blocking or not), attach to random names, hold,
 *             release, bogus ioctls, write (random APDUs of every case,
 *             wrong classes, wrong lengths, oversized), read (small and
 *             large buffers), poll, lseek, close;
 *   relays    fake transports: bind random channels over genl, report a
 *             card with random ATRs, answer relayed commands with the
 *             reference card (so sessions do get established), with
 *             random bytes, with random errors, twice, with wrong ids,
 *             or not at all; then unbind, or close the socket with
 *             requests pending (a transport's death);
 *   monitor   dumps the channels all along: no channel may ever appear
 *             half-made (an attribute of the documented description
 *             missing, or values that contradict each other);
 *   events    listens on "events": only known events, well formed;
 *   watchdog  no system call may take longer than a bound (a stuck
 *             reader or writer).
 *
 * Every system call's result is checked against the errnos that
 * Documentation/userspace-api.rst documents for it; anything else is a
 * failure, printed with the thread's last operations.  At the end every
 * channel is deleted, and then every file with a command in flight must
 * become readable within 3 s, its next read and write must say ENODEV,
 * no channel may be left, and the module's reference count must be back
 * to 0.  (random.sh then unloads the module and scans kmemleak.)
 *
 * Each thread's sequence of choices is a function of the seed alone; how
 * the threads interleave is not, so a seed replays the same operations,
 * not necessarily the same outcome.
 *
 * Output: "ok: ..." and "FAIL: ..." lines, then statistics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "../../userspace/card/vcard.h"
#include "../../userspace/lib/smchan.h"

#define MAX_THREADS	16
#define MAX_NAMES	16
#define FILES		4	/* open files per worker */
#define HISTORY		12	/* operations kept per thread for a report */
#define TIMEOUT_MAX	1000	/* the largest timeout-ms given (stuck bound) */
#define HOLD_MAX	400	/* the longest hold given */

/* --- Options, global state -------------------------------------------- */

static uint64_t seed;
static int run_s = 60, n_workers = 4, n_relays = 2, n_names = 6;
static int stuck_s = 60, verbose;
static int family;
static atomic_int stop;
static atomic_int failures;
static atomic_ulong n_ops, n_nl, n_relayed, n_dumps, n_events;
static atomic_ulong n_deaths, n_unbinds, n_binds, n_answers_card;
static atomic_ulong n_sessions_seen, n_reads_ok, n_reads_emsgsize;
static char names[MAX_NAMES][SMCHAN_NAME_SIZE];
static uint8_t key16[16], key32[32];	/* the cards' keys */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
/* Errnos seen, for the statistics. */
static atomic_ulong errno_seen[4096];

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- Random numbers: xorshift64*, one state per thread ----------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

/* 0..n-1 */
static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

/* true with probability pct % */
static int chance(struct rng *r, int pct)
{
	return (int)below(r, 100) < pct;
}

static void fill(struct rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = (uint8_t)rnd(r);
}

static void rng_init(struct rng *r, unsigned int stream)
{
	r->s = seed * 0x9E3779B97F4A7C15ULL + stream * 0xBF58476D1CE4E5B9ULL + 1;
	if (!r->s)
		r->s = 1;
	for (int i = 0; i < 8; i++)
		rnd(r);
}

/* --- Threads' history and failures ------------------------------------- */

struct thread {
	char tag[16];
	struct rng r;
	char hist[HISTORY][160];
	unsigned int nhist;
	/* For the watchdog: what runs since when (0: nothing). */
	_Atomic int64_t since;
	char doing[160];
	pthread_t tid;
};

static struct thread threads[MAX_THREADS];
static int n_threads;

static void note(struct thread *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct thread *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->doing, sizeof(t->doing), fmt, ap);
	va_end(ap);
	memcpy(t->hist[t->nhist++ % HISTORY], t->doing, sizeof(t->doing));
	if (verbose > 1) {
		pthread_mutex_lock(&out_lock);
		printf("  %s: %s\n", t->tag, t->doing);
		pthread_mutex_unlock(&out_lock);
	}
	atomic_store(&t->since, now_ms());
}

static void done(struct thread *t)
{
	atomic_store(&t->since, 0);
}

static void fail(struct thread *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct thread *t, const char *fmt, ...)
{
	va_list ap;
	unsigned int i, n;

	atomic_fetch_add(&failures, 1);
	pthread_mutex_lock(&out_lock);
	printf("FAIL: %s: ", t ? t->tag : "main");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (t) {
		n = t->nhist < HISTORY ? t->nhist : HISTORY;
		printf("  %s's last operations (oldest first):\n", t->tag);
		for (i = t->nhist - n; i < t->nhist; i++)
			printf("    %s\n", t->hist[i % HISTORY]);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void okay(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void okay(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	printf("ok: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* --- Errno sets --------------------------------------------------------- */

/* A set of errnos as a bitmap over 0..255 (every errno Linux has). */
struct eset {
	uint64_t w[4];
};

static struct eset mk(int first, ...)
{
	struct eset s = { { 0 } };
	va_list ap;
	int e = first;

	va_start(ap, first);
	while (e >= 0) {
		s.w[e / 64] |= 1ULL << (e % 64);
		e = va_arg(ap, int);
	}
	va_end(ap);
	return s;
}
#define SET(...) mk(0, __VA_ARGS__, -1)
/* The same, as a pointer (a compound literal: block scope only). */
#define ESETP(...) ((struct eset[]){ SET(__VA_ARGS__) })

static int in(const struct eset *s, int e)
{
	return e >= 0 && e < 256 && (s->w[e / 64] >> (e % 64) & 1);
}

static const char *ename(int e)
{
	return smchan_errname(-e);
}

/*
 * Check a result: @ret is 0 (or positive) or a negative errno. Returns
 * the errno (positive), 0 for success.
 */
static int check(struct thread *t, const char *what, int ret,
		 const struct eset *allowed)
{
	int e = ret < 0 ? -ret : 0;

	if (e < 4096)
		atomic_fetch_add(&errno_seen[e], 1);
	if (!in(allowed, e))
		fail(t, "%s: %s is not a documented answer", what,
		     e ? ename(e) : "success");
	return e;
}

/* --- Keys in the keyring ------------------------------------------------ */

static const char *const keydescs[] = {
	"smchan:rand-raw16",	/* key16, raw */
	"smchan:rand-raw32",	/* key32, raw */
	"smchan:rand-hex32",	/* key32 as hex text with white space */
	"smchan:rand-bad",	/* 20 bytes: neither raw nor hex: EINVAL */
	"smchan:rand-none",	/* not there: ENOKEY */
	"smchan:",		/* an empty description part */
	"nocolon",		/* not a valid logon description */
};

static int add_logon(const char *desc, const void *payload, size_t len)
{
	long r = syscall(SYS_add_key, "logon", desc, payload, len,
			 KEY_SPEC_USER_KEYRING);

	return r < 0 ? -errno : 0;
}

static int setup_keys(void)
{
	char hex[80];
	uint8_t bad[20];
	int i, n = 0;

	if (getrandom(key16, sizeof(key16), 0) != sizeof(key16) ||
	    getrandom(key32, sizeof(key32), 0) != sizeof(key32) ||
	    getrandom(bad, sizeof(bad), 0) != sizeof(bad))
		return -EIO;
	n += snprintf(hex, sizeof(hex), "  ");
	for (i = 0; i < 32; i++)
		n += snprintf(hex + n, sizeof(hex) - n, "%02x", key32[i]);
	n += snprintf(hex + n, sizeof(hex) - n, "\n\n");
	if (add_logon(keydescs[0], key16, 16) || add_logon(keydescs[1], key32, 32) ||
	    add_logon(keydescs[2], hex, n) || add_logon(keydescs[3], bad, 20))
		return -errno;
	smchan_wipe(hex, sizeof(hex));
	return 0;
}

/* --- Raw generic netlink ------------------------------------------------- */

struct nlreq {
	uint8_t buf[70000];
	size_t len;
};

static int nl_socket_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 10 };
	int one = 1, big = 1 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void nl_start(struct nlreq *q, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *n = (struct nlmsghdr *)q->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(n + 1);

	memset(q->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	n->nlmsg_type = family;
	n->nlmsg_flags = NLM_F_REQUEST | flags;
	g->cmd = cmd;
	g->version = SMCHAN_FAMILY_VERSION;
	q->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* An attribute of @len bytes whose header says @hdr_len (normally len + 4). */
static void nl_put_raw(struct nlreq *q, uint16_t type, const void *data,
		       size_t len, uint16_t hdr_len)
{
	struct nlattr *a = (struct nlattr *)(q->buf + q->len);

	if (q->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(q->buf))
		return;
	a->nla_type = type;
	a->nla_len = hdr_len;
	memcpy(a + 1, data, len);
	memset((uint8_t *)(a + 1) + len, 0, NLA_ALIGN(len) - len);
	q->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static void nl_put(struct nlreq *q, uint16_t type, const void *data, size_t len)
{
	nl_put_raw(q, type, data, len, (uint16_t)(NLA_HDRLEN + len));
}

/*
 * Send @q and wait for its answer: 0, a negative errno from the kernel's
 * ACK, or 1 when no answer came (-errno of a failed send or receive is
 * returned as is, below -4095 never). Replies and dump parts are skipped;
 * TRANSMITs (seq 0) that reach a socket a random request bound are too.
 * @dump: the request is a dump (ends at NLMSG_DONE).
 */
static int nl_call(int fd, struct nlreq *q, uint32_t seq, int dump,
		   int (*each)(struct nlmsghdr *, void *), void *arg)
{
	static __thread uint8_t rbuf[1 << 17];
	struct nlmsghdr *n = (struct nlmsghdr *)q->buf;
	ssize_t got;

	n->nlmsg_len = (uint32_t)q->len;
	n->nlmsg_seq = seq;
	if (send(fd, q->buf, q->len, 0) < 0)
		return -errno;
	for (;;) {
		got = recv(fd, rbuf, sizeof(rbuf), 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			/* a full queue (a bound socket's TRANSMITs): the
			 * answer may be lost with it */
			return errno == EAGAIN ? 1 : -errno;
		}
		for (struct nlmsghdr *m = (struct nlmsghdr *)rbuf;
		     NLMSG_OK(m, (size_t)got); m = NLMSG_NEXT(m, got)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);

				return e->error;
			}
			if (m->nlmsg_type == NLMSG_DONE && dump)
				return *(int *)NLMSG_DATA(m);
			if (each && each(m, arg))
				return 0;
		}
	}
}

/* --- The random netlink requests ---------------------------------------- */

static const char *pick_name(struct rng *r)
{
	static const char *const bad[] = {
		"", "-lead", "has space", "0123456789abcdef", "a/b", "\xff\xfe",
	};

	if (chance(r, 92))
		return names[below(r, n_names)];
	return bad[below(r, sizeof(bad) / sizeof(bad[0]))];
}

/* One attribute of @type, valid or not; returns a word for the log. */
static const char *put_attr(struct rng *r, struct nlreq *q, uint16_t type)
{
	static const uint32_t timeouts[] = { 1, 2, 50, 200, 500, TIMEOUT_MAX };
	uint8_t buf[600];
	uint32_t v32;
	uint64_t v64;
	size_t n;
	int how = (int)below(r, 100);

	/* wrong length, whatever the type */
	if (how < 6) {
		n = below(r, 40);
		fill(r, buf, n);
		nl_put(q, type, buf, n);
		return "junk";
	}
	/* a malformed header: a length shorter than the header, or past
	 * the end of the message */
	if (how < 8) {
		fill(r, buf, 4);
		nl_put_raw(q, type, buf, 4, chance(r, 50) ? 2 : 4000);
		return "badhdr";
	}
	switch (type) {
	case SMCHAN_A_CHANNEL:
		if (how < 12) {		/* unterminated or oversized */
			n = chance(r, 50) ? 5 : 16 + below(r, 300);
			memset(buf, 'x', n);
			nl_put(q, type, buf, n);
			return "name!";
		}
		{
			const char *nm = pick_name(r);

			nl_put(q, type, nm, strlen(nm) + 1);
		}
		return "name";
	case SMCHAN_A_MODE:
	case SMCHAN_A_SUITE:
	case SMCHAN_A_GROUP_SIZE:
	case SMCHAN_A_AUTO_ESTABLISH:
	case SMCHAN_A_CARD_PRESENT:
		if (how < 20)
			buf[0] = (uint8_t)rnd(r);
		else if (type == SMCHAN_A_MODE)
			buf[0] = 1 + below(r, 4);
		else if (type == SMCHAN_A_SUITE)
			buf[0] = 1 + below(r, 2);
		else if (type == SMCHAN_A_GROUP_SIZE)
			buf[0] = chance(r, 50) ? 2 + below(r, 31) :
				 (uint8_t[]){ 0, 1, 2, 32, 33, 255 }[below(r, 6)];
		else
			buf[0] = below(r, 2);
		nl_put(q, type, buf, 1);
		return "u8";
	case SMCHAN_A_REKEY_LIMIT:
	case SMCHAN_A_TIMEOUT_MS:
	case SMCHAN_A_ERROR:
		if (type == SMCHAN_A_TIMEOUT_MS)
			v32 = how < 25 ? (uint32_t[]){ 0, 600001, UINT32_MAX }[below(r, 3)] :
			      timeouts[below(r, 6)];
		else if (type == SMCHAN_A_REKEY_LIMIT)
			v32 = how < 40 ? below(r, 6) : (uint32_t)rnd(r);
		else
			v32 = how < 30 ? (uint32_t[]){ 0, 4095, 4096, UINT32_MAX }[below(r, 4)] :
			      1 + below(r, 140);
		nl_put(q, type, &v32, 4);
		return "u32";
	case SMCHAN_A_REQUEST_ID:
		v64 = how < 50 ? below(r, 64) : rnd(r);
		nl_put(q, type, &v64, 8);
		return "u64";
	case SMCHAN_A_MKEY:
		if (how < 20) {
			n = (size_t[]){ 0, 1, 15, 17, 31, 33, 64 }[below(r, 7)];
			fill(r, buf, n);
			nl_put(q, type, buf, n);
			return "mkey!";
		}
		if (how < 35) {		/* a key the card does not have */
			n = chance(r, 50) ? 16 : 32;
			fill(r, buf, n);
			nl_put(q, type, buf, n);
			return "mkey?";
		}
		if (chance(r, 50))
			nl_put(q, type, key16, 16);
		else
			nl_put(q, type, key32, 32);
		return "mkey";
	case SMCHAN_A_KEYRING:
	case SMCHAN_A_READER:
		if (how < 16) {
			n = 120 + below(r, 20);	/* around the 127-byte limit */
			memset(buf, 'k', n);
			buf[n] = 0;
			nl_put(q, type, buf, n + (chance(r, 70) ? 1 : 0));
			return "str!";
		}
		if (type == SMCHAN_A_KEYRING) {
			const char *d = keydescs[below(r, sizeof(keydescs) / sizeof(keydescs[0]))];

			nl_put(q, type, d, strlen(d) + 1);
			return "keyring";
		}
		nl_put(q, type, "Virtual PCD 00 00", 18);
		return "reader";
	case SMCHAN_A_RESPONSE:
	case SMCHAN_A_APDU:
	case SMCHAN_A_ATR:
		n = how < 30 ? below(r, 3) : below(r, type == SMCHAN_A_ATR ? 40 : 300);
		fill(r, buf, n);
		nl_put(q, type, buf, n);
		return "bin";
	case SMCHAN_A_STATS:
		nl_put(q, type | NLA_F_NESTED, NULL, 0);
		return "nest";
	default:		/* flags, reports-only, unknown types */
		n = below(r, 9);
		fill(r, buf, n);
		nl_put(q, type, buf, n);
		return "other";
	}
}

/* What each command may answer (Documentation/userspace-api.rst). */
static struct eset nl_allowed(uint8_t cmd, int dump)
{
	/* Policy: ERANGE out of range, EINVAL malformed or missing. */
	struct eset s;

	switch (cmd) {
	case SMCHAN_CMD_CHANNEL_NEW:
		/* request_key()'s errors: ENOKEY, EKEYREVOKED, EKEYEXPIRED */
		s = SET(EINVAL, ERANGE, EEXIST, ENOKEY, EKEYREVOKED, EKEYEXPIRED);
		break;
	case SMCHAN_CMD_CHANNEL_SET:
		s = SET(EINVAL, ERANGE, ENOENT, ENOKEY, EKEYREVOKED, EKEYEXPIRED);
		break;
	case SMCHAN_CMD_CHANNEL_DEL:
	case SMCHAN_CMD_CHANNEL_GET:
	case SMCHAN_CMD_SESSION_STOP:
		s = SET(EINVAL, ERANGE, ENOENT);
		break;
	case SMCHAN_CMD_SESSION_START:
		s = SET(EINVAL, ERANGE, ENOENT, EPIPE, ENOKEY);
		break;
	case SMCHAN_CMD_TRANSPORT_BIND:
		s = SET(EINVAL, ERANGE, ENOENT, EBUSY);
		break;
	case SMCHAN_CMD_TRANSPORT_UNBIND:
		s = SET(EINVAL, ERANGE, ENOENT, ENOTCONN);
		break;
	case SMCHAN_CMD_TRANSMIT_DONE:
		s = SET(EINVAL, ERANGE, ENOENT, EPERM, ESRCH);
		break;
	case SMCHAN_CMD_CARD_STATUS:
		s = SET(EINVAL, ERANGE, ENOENT, EPERM);
		break;
	default:		/* TRANSMIT, EVENT, unknown: no such operation */
		s = SET(EOPNOTSUPP);
		break;
	}
	/* A dump of anything but CHANNEL_GET: no such operation. */
	if (dump && cmd != SMCHAN_CMD_CHANNEL_GET)
		s.w[EOPNOTSUPP / 64] |= 1ULL << (EOPNOTSUPP % 64);
	/* Strict validation of a dump request's attributes */
	return s;
}

struct worker {
	struct thread *t;
	int nl;
	int maybe_bound;	/* a random TRANSPORT_BIND from nl succeeded */
	uint32_t seq;
	struct nlreq q;
	struct file {
		int fd;
		int nonblock;
		int attached;
		int inflight;	/* written, not read back */
	} f[FILES];
};

/*
 * A well-formed request with valid values, for the commands an
 * administrator or a transport sends, so that channels, keys, bindings and
 * sessions do come about. Returns 0 for the other commands.
 */
static int clean_nl(struct worker *w, uint8_t cmd)
{
	struct thread *t = w->t;
	struct rng *r = &t->r;
	const char *name = names[below(r, n_names)];
	struct eset allowed = nl_allowed(cmd, 0);
	uint32_t v;
	uint8_t u;
	int ret, aes256;

	if (cmd < SMCHAN_CMD_CHANNEL_NEW || cmd > SMCHAN_CMD_TRANSPORT_UNBIND ||
	    cmd == SMCHAN_CMD_CHANNEL_GET)
		return 0;
	nl_start(&w->q, cmd, NLM_F_ACK);
	nl_put(&w->q, SMCHAN_A_CHANNEL, name, strlen(name) + 1);
	if (cmd == SMCHAN_CMD_CHANNEL_NEW || cmd == SMCHAN_CMD_CHANNEL_SET) {
		aes256 = chance(r, 50);
		if (chance(r, 70))
			nl_put(&w->q, SMCHAN_A_MKEY, aes256 ? key32 : key16,
			       aes256 ? 32 : 16);
		else
			nl_put(&w->q, SMCHAN_A_KEYRING, keydescs[aes256],
			       strlen(keydescs[aes256]) + 1);
		u = 1 + below(r, 4);
		nl_put(&w->q, SMCHAN_A_MODE, &u, 1);
		if (chance(r, 50)) {
			u = 2 + below(r, 31);
			nl_put(&w->q, SMCHAN_A_GROUP_SIZE, &u, 1);
		}
		if (chance(r, 50)) {
			v = chance(r, 50) ? 0 : 1 + below(r, 20);
			nl_put(&w->q, SMCHAN_A_REKEY_LIMIT, &v, 4);
		}
		v = 100 + below(r, TIMEOUT_MAX - 99);
		nl_put(&w->q, SMCHAN_A_TIMEOUT_MS, &v, 4);
		if (chance(r, 30)) {
			u = below(r, 2);
			nl_put(&w->q, SMCHAN_A_AUTO_ESTABLISH, &u, 1);
		}
	}
	note(t, "nl clean cmd %u %s", cmd, name);
	ret = nl_call(w->nl, &w->q, ++w->seq, 0, NULL, NULL);
	done(t);
	atomic_fetch_add(&n_nl, 1);
	if ((ret == 1 || ret == -ENOBUFS) && w->maybe_bound) {
		close(w->nl);
		w->nl = nl_socket_open();
		w->maybe_bound = 0;
		return 1;
	}
	if (ret == 1) {
		fail(t, "%s: no answer in 10 s", t->doing);
		return 1;
	}
	if (cmd == SMCHAN_CMD_TRANSPORT_BIND && !ret)
		w->maybe_bound = 1;
	check(t, t->doing, ret, &allowed);
	return 1;
}

static int random_nl(struct worker *w)
{
	struct thread *t = w->t;
	struct rng *r = &t->r;
	uint8_t cmd;
	uint16_t flags = NLM_F_ACK;
	int dump = 0, nattr, ret, e;
	char desc[160];
	size_t dl;
	struct eset allowed;

	/* mostly real commands; sometimes one that is not there */
	cmd = chance(r, 94) ? 1 + below(r, SMCHAN_CMD_MAX) : (uint8_t)below(r, 256);
	if (cmd == SMCHAN_CMD_CHANNEL_DEL && chance(r, 50))
		cmd = SMCHAN_CMD_CHANNEL_NEW;	/* channels must live a while */
	if (chance(r, 35) && clean_nl(w, cmd))
		return 0;
	if (cmd == SMCHAN_CMD_CHANNEL_GET ? chance(r, 40) : chance(r, 2)) {
		dump = 1;
		flags = NLM_F_DUMP;
	}
	nl_start(&w->q, cmd, flags);
	dl = (size_t)snprintf(desc, sizeof(desc), "nl cmd %u%s:", cmd,
			      dump ? " dump" : "");
	/* the channel name most of the time, then 0..5 random attributes */
	if (chance(r, 85)) {
		const char *n = pick_name(r);

		nl_put(&w->q, SMCHAN_A_CHANNEL, n, strlen(n) + 1);
		dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, " %s", n);
	}
	nattr = (int)below(r, 6);
	for (int i = 0; i < nattr; i++) {
		uint16_t type = chance(r, 95) ? 1 + below(r, SMCHAN_A_MAX) :
				(uint16_t)below(r, 64);
		const char *k = put_attr(r, &w->q, type);

		if (dl < sizeof(desc) - 1)
			dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, " %u=%s", type, k);
	}
	if (chance(r, 3)) {		/* trailing bytes after the attributes */
		fill(r, w->q.buf + w->q.len, 3);
		w->q.len += 3;
		if (dl < sizeof(desc) - 1)
			snprintf(desc + dl, sizeof(desc) - dl, " +3");
	}
	note(t, "%s", desc);
	ret = nl_call(w->nl, &w->q, ++w->seq, dump, NULL, NULL);
	done(t);
	atomic_fetch_add(&n_nl, 1);
	if ((ret == 1 || ret == -ENOBUFS) && w->maybe_bound) {
		/* The socket was bound by a random TRANSPORT_BIND and its
		 * queue overflowed with TRANSMITs: the answer went with them.
		 * Start over on a fresh socket (the old one's death unbinds
		 * it). */
		close(w->nl);
		w->nl = nl_socket_open();
		w->maybe_bound = 0;
		return 0;
	}
	if (ret == 1) {
		fail(t, "%s: no answer in 10 s", desc);
		return 0;
	}
	if (cmd == SMCHAN_CMD_TRANSPORT_BIND && !ret)
		w->maybe_bound = 1;
	allowed = nl_allowed(cmd, dump);
	e = check(t, desc, ret, &allowed);
	(void)e;
	return 0;
}

/* --- /dev/smchan --------------------------------------------------------- */

/* A random command APDU: mostly well framed, of every case. */
static size_t random_apdu(struct rng *r, uint8_t *a, size_t size)
{
	static const uint8_t ins[] = { 0xA4, 0xB0, 0xD6, 0xCA, 0x84, 0x20, 0xC0, 0x88 };
	size_t nc, n = 0;
	int c = (int)below(r, 100);

	if (c < 5) {			/* anything at all */
		n = below(r, 300);
		fill(r, a, n);
		return n;
	}
	/* the class: plain (0x00, 0x80, chaining, logical channels), or not */
	a[0] = chance(r, 90) ? (uint8_t[]){ 0x00, 0x80, 0x10, 0x01, 0x03, 0x83 }[below(r, 6)] :
	       (uint8_t)rnd(r);
	a[1] = chance(r, 80) ? ins[below(r, sizeof(ins))] : (uint8_t)rnd(r);
	a[2] = (uint8_t)below(r, 3);
	a[3] = chance(r, 50) ? 0x0C : (uint8_t)below(r, 4);
	n = 4;
	if (a[1] == 0xA4 && chance(r, 70)) {	/* SELECT EF 0101 or 5F02 */
		a[2] = 0x02;
		a[3] = 0x0C;
		a[4] = 2;
		a[5] = chance(r, 50) ? 0x01 : 0x5F;
		a[6] = chance(r, 50) ? 0x01 : 0x02;
		return 7;
	}
	switch (below(r, 6)) {
	case 0:				/* case 1 */
		return 4;
	case 1:				/* case 2 short */
		a[n++] = (uint8_t)below(r, 256);
		return n;
	case 2:				/* case 3 short */
		nc = 1 + below(r, 255);
		a[n++] = (uint8_t)nc;
		fill(r, a + n, nc);
		return n + nc;
	case 3:				/* case 4 short */
		nc = 1 + below(r, 255);
		a[n++] = (uint8_t)nc;
		fill(r, a + n, nc);
		n += nc;
		a[n++] = (uint8_t)below(r, 256);
		return n;
	case 4:				/* extended, up to the limits */
		nc = chance(r, 50) ? 256 + below(r, 600) :
		     (size_t[]){ 65486, 65487, 65488, 65502, 65503, 65504, 65535 }[below(r, 7)];
		if (nc + 9 > size)
			nc = size - 9;
		a[n++] = 0;
		a[n++] = (uint8_t)(nc >> 8);
		a[n++] = (uint8_t)nc;
		fill(r, a + n, nc);
		n += nc;
		if (chance(r, 50)) {
			a[n++] = (uint8_t)rnd(r);
			a[n++] = (uint8_t)rnd(r);
		}
		return n;
	default:			/* framing off by a little */
		nc = below(r, 20);
		a[n++] = (uint8_t)(nc + below(r, 3) - 1);
		fill(r, a + n, nc);
		return n + nc;
	}
}

/* What a read may give: a command's every error (userspace-api.rst). */
static struct eset read_ok;	/* read_allowed(), set by main() */

static struct eset read_allowed(void)
{
	return SET(EBADFD, EMSGSIZE, EAGAIN, ENODATA, ENOTCONN, EPIPE,
		   ETIMEDOUT, ENOBUFS, ECANCELED, EBADMSG, ENOKEY,
		   EKEYREJECTED, ENODEV, EIO, ENOMEDIUM, ENXIO, ECONNRESET,
		   EPROTO, EBUSY, EACCES, EFAULT);
}

static void dev_op(struct worker *w)
{
	const struct eset open_ok = SET(-1), close_ok = SET(-1);
	const struct eset attach_ok = SET(ENOENT, EINVAL, EBUSY, EFAULT);
	const struct eset hold_ok = SET(EINVAL, EAGAIN, EBADFD, ENODEV, EFAULT);
	const struct eset release_ok = SET(ETIMEDOUT, EBADFD);
	const struct eset notty = SET(ENOTTY);
	const struct eset write_ok = SET(EBADFD, EBUSY, EINVAL, EMSGSIZE,
						EAGAIN, ENOTCONN, EPIPE, ENODEV,
						EFAULT);
	const struct eset espipe = SET(ESPIPE);
	static __thread uint8_t buf[65540 + 16];
	struct thread *t = w->t;
	struct rng *r = &t->r;
	struct file *f = &w->f[below(r, FILES)];
	int op = (int)below(r, 100), ret, e;
	char what[160];

	if (f->fd < 0 || op < 4) {
		if (f->fd >= 0) {		/* close, whatever is in flight */
			note(t, "dev close fd %d%s", f->fd, f->inflight ? " (in flight)" : "");
			ret = close(f->fd) ? -errno : 0;
			done(t);
			check(t, t->doing, ret, &close_ok);
			f->fd = -1;
			return;
		}
		f->nonblock = chance(r, 40);
		note(t, "dev open%s", f->nonblock ? " O_NONBLOCK" : "");
		ret = open("/dev/smchan", O_RDWR | O_CLOEXEC | (f->nonblock ? O_NONBLOCK : 0));
		done(t);
		if (check(t, t->doing, ret < 0 ? -errno : 0, &open_ok))
			return;
		f->fd = ret;
		f->attached = 0;
		f->inflight = 0;
		if (chance(r, 70)) {		/* and attach it at once */
			struct smchan_attach a;

			memset(&a, 0, sizeof(a));
			memcpy(a.name, names[below(r, n_names)], sizeof(a.name));
			note(t, "dev attach fd %d %s", f->fd, a.name);
			ret = ioctl(f->fd, SMCHAN_IOC_ATTACH, &a);
			done(t);
			if (!check(t, t->doing, ret < 0 ? -errno : 0, &attach_ok))
				f->attached = 1;
		}
		return;
	}
	if (op < 20) {				/* attach */
		struct smchan_attach a;

		memset(&a, 0, sizeof(a));
		if (chance(r, 5))
			memset(a.name, 'n', sizeof(a.name));	/* no NUL */
		else
			snprintf(a.name, sizeof(a.name), "%s", pick_name(r));
		note(t, "dev attach fd %d %.16s", f->fd, a.name);
		ret = ioctl(f->fd, SMCHAN_IOC_ATTACH, chance(r, 2) ? (void *)8 : &a);
		done(t);
		if (!check(t, t->doing, ret < 0 ? -errno : 0, &attach_ok))
			f->attached = 1;
		return;
	}
	if (op < 26) {				/* hold, release */
		uint32_t ms = chance(r, 15) ? (uint32_t[]){ 0, SMCHAN_HOLD_MAX_MS + 1, UINT32_MAX }[below(r, 3)] :
			      1 + below(r, HOLD_MAX);

		if (chance(r, 50)) {
			note(t, "dev hold fd %d %u ms", f->fd, ms);
			ret = ioctl(f->fd, SMCHAN_IOC_HOLD, &ms);
			done(t);
			check(t, t->doing, ret < 0 ? -errno : 0, &hold_ok);
		} else {
			note(t, "dev release fd %d", f->fd);
			ret = ioctl(f->fd, SMCHAN_IOC_RELEASE);
			done(t);
			check(t, t->doing, ret < 0 ? -errno : 0, &release_ok);
		}
		return;
	}
	if (op < 29) {				/* not an ioctl of ours */
		static const unsigned int bogus[] = {
			_IO(SMCHAN_IOC_MAGIC, 0x00), _IO(SMCHAN_IOC_MAGIC, 0x04),
			_IOW(SMCHAN_IOC_MAGIC, 0x01, uint32_t),
			_IOR(SMCHAN_IOC_MAGIC, 0x01, struct smchan_attach),
			_IOW(SMCHAN_IOC_MAGIC, 0x02, uint64_t),
			_IO(SMCHAN_IOC_MAGIC, 0xff), _IOWR(0x42, 0x01, uint32_t),
			_IO(0xd4, 0x03),
		};
		unsigned int nr = bogus[below(r, sizeof(bogus) / sizeof(bogus[0]))];

		note(t, "dev ioctl fd %d 0x%x", f->fd, nr);
		ret = ioctl(f->fd, nr, buf);
		done(t);
		check(t, t->doing, ret < 0 ? -errno : 0, &notty);
		return;
	}
	if (op < 55) {				/* write */
		size_t n = random_apdu(r, buf, sizeof(buf));
		ssize_t wr;

		if (chance(r, 2))
			n = 65540 + below(r, 10);	/* longer than any APDU */
		snprintf(what, sizeof(what), "dev write fd %d %zu bytes %02x %02x %02x %02x",
			 f->fd, n, buf[0], buf[1], buf[2], buf[3]);
		note(t, "%s", what);
		wr = write(f->fd, chance(r, 1) ? (void *)16 : buf, n);
		done(t);
		e = check(t, t->doing, wr < 0 ? -errno : 0, &write_ok);
		if (!e && (size_t)wr != n)
			fail(t, "%s: wrote %zd", what, wr);
		if (!e)
			f->inflight = 1;
		return;
	}
	if (op < 80) {				/* read */
		size_t size = chance(r, 15) ? below(r, 8) : sizeof(buf);
		ssize_t rd;
		struct pollfd p = { .fd = f->fd, .events = POLLIN };

		/* A blocking read waits for the command: mostly only once
		 * poll() says its answer is there. */
		if (!f->nonblock && f->inflight && chance(r, 80)) {
			note(t, "dev poll fd %d", f->fd);
			ret = poll(&p, 1, (int)below(r, 300));
			done(t);
			if (ret <= 0)
				return;
		}
		note(t, "dev read fd %d size %zu%s", f->fd, size,
		     f->nonblock ? "" : " blocking");
		rd = read(f->fd, chance(r, 1) ? (void *)16 : buf, size);
		done(t);
		e = check(t, t->doing, rd < 0 ? -errno : 0, &read_ok);
		if (!e) {
			if (rd < 2)
				fail(t, "%s: %zd bytes: an answer has SW1 SW2", t->doing, rd);
			atomic_fetch_add(&n_reads_ok, 1);
		}
		/* EMSGSIZE is a buffer too small (the answer stays) or the
		 * command's own error (read, so gone): poll() tells which. */
		if (e == EMSGSIZE) {
			struct pollfd q = { .fd = f->fd, .events = POLLIN };

			if (poll(&q, 1, 0) != 1 || !(q.revents & POLLIN)) {
				f->inflight = 0;
				atomic_fetch_add(&n_reads_emsgsize, 1);
			}
		} else if (e != EAGAIN && e != EFAULT) {
			f->inflight = 0;
		}
		return;
	}
	if (op < 95) {				/* poll */
		struct pollfd p = { .fd = f->fd, .events = POLLIN | POLLOUT };

		note(t, "dev poll fd %d", f->fd);
		ret = poll(&p, 1, (int)below(r, 50));
		done(t);
		if (ret < 0)
			fail(t, "%s: %s", t->doing, ename(errno));
		else if (ret && (p.revents & POLLIN) && (p.revents & POLLOUT))
			fail(t, "%s: both POLLIN and POLLOUT", t->doing);
		else if (ret && (p.revents & ~(POLLIN | POLLOUT)))
			fail(t, "%s: revents 0x%x", t->doing, p.revents);
		return;
	}
	note(t, "dev lseek fd %d", f->fd);
	ret = lseek(f->fd, (off_t)below(r, 100), SEEK_SET) < 0 ? -errno : 0;
	done(t);
	check(t, t->doing, ret, &espipe);
}

static void *worker_main(void *arg)
{
	struct thread *t = arg;
	struct worker *w = calloc(1, sizeof(*w));
	int i;

	if (!w)
		return NULL;
	w->t = t;
	w->nl = nl_socket_open();
	for (i = 0; i < FILES; i++)
		w->f[i].fd = -1;
	while (!atomic_load(&stop)) {
		if (w->nl < 0)
			w->nl = nl_socket_open();
		if (chance(&t->r, 45) && w->nl >= 0)
			random_nl(w);
		else
			dev_op(w);
		/* now and then a fresh socket: if a random request bound
		 * the old one as a transport, that is its death */
		if (chance(&t->r, 1) && w->nl >= 0) {
			close(w->nl);
			w->nl = -1;
			w->maybe_bound = 0;
		}
		atomic_fetch_add(&n_ops, 1);
	}
	if (w->nl >= 0)
		close(w->nl);
	return w;	/* its files stay open: main checks them */
}

/* --- The fake relays ------------------------------------------------------ */

/* The reference card of each channel name, shared by the relays. */
struct card {
	pthread_mutex_t lock;
	struct vcard *c[2];	/* AES-128 and AES-256 */
	int active;		/* the one the last INITIALIZE SESSION chose */
	uint8_t rc[16];		/* the challenge both draw */
} cards[MAX_NAMES];

static int card_rng(void *ctx, uint8_t *buf, size_t len)
{
	const uint8_t *rc = ctx;

	for (size_t i = 0; i < len; i++)
		buf[i] = rc[i % 16];
	return 0;
}

static int setup_cards(void)
{
	uint8_t *img;
	size_t len;

	for (int i = 0; i < n_names; i++) {
		pthread_mutex_init(&cards[i].lock, NULL);
		for (int k = 0; k < 2; k++) {
			if (vcard_create_image(k ? key32 : key16, k ? 32 : 16, &img, &len))
				return -1;
			cards[i].c[k] = vcard_new(img, len);
			smchan_wipe(img, len);
			free(img);
			if (!cards[i].c[k])
				return -1;
			vcard_set_rng(cards[i].c[k], card_rng, cards[i].rc);
		}
	}
	return 0;
}

/* The kernel's rule: 1..15 letters, digits and "-_.:@+", not first '-'. */
static int name_valid(const char *name)
{
	size_t len = strnlen(name, SMCHAN_NAME_SIZE);

	if (!len || len == SMCHAN_NAME_SIZE || name[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') ||
		      strchr("-_.:@+", name[i])))
			return 0;
	return 1;
}

static int name_index(const char *name)
{
	for (int i = 0; i < n_names; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* The card's answer to @apdu, in @rsp (VCARD_RSP_MAX); its length. */
static size_t card_answer(int idx, const uint8_t *apdu, size_t len, uint8_t *rsp)
{
	struct card *c = &cards[idx];
	size_t n;

	pthread_mutex_lock(&c->lock);
	if (len >= 4 && apdu[1] == 0x84 && !(apdu[0] & 0x0c)) {
		/* GET CHALLENGE: both cards draw the same RC, so that
		 * either may take the INITIALIZE SESSION */
		if (getrandom(c->rc, sizeof(c->rc), 0) != sizeof(c->rc))
			memset(c->rc, 0x5a, sizeof(c->rc));
		vcard_process(c->c[!c->active], apdu, len, rsp);
	} else if (len >= 4 && apdu[0] == 0x80 && apdu[1] == 0x8a) {
		c->active = apdu[3] == SMCHAN_SUITE_AES256;
	}
	n = vcard_process(c->c[c->active], apdu, len, rsp);
	pthread_mutex_unlock(&c->lock);
	return n;
}

struct relay {
	struct thread *t;
	struct smchan_nl *h;
	int bound[MAX_NAMES];
};

static int relay_answer(struct smchan_nl *h, const struct smchan_transmit *req,
			void *arg)
{
	const struct eset reply_ok = SET(ESRCH, EPERM, ENOENT);
	const struct eset bad_reply_ok = SET(ESRCH, EPERM, ENOENT, EINVAL, EMSGSIZE);
	static __thread uint8_t rsp[VCARD_RSP_MAX];
	struct relay *rl = arg;
	struct thread *t = rl->t;
	struct rng *r = &t->r;
	int idx = name_index(req->channel), how = (int)below(r, 100), ret;
	size_t n;

	atomic_fetch_add(&n_relayed, 1);
	if (idx < 0) {
		fail(t, "a TRANSMIT for channel \"%.16s\", which no name of ours is",
		     req->channel);
		return 0;
	}
	if (req->apdu_len < 4 || req->apdu_len > SMCHAN_NL_DATA_MAX)
		fail(t, "a TRANSMIT of %zu bytes for %s", req->apdu_len, req->channel);
	if (how < 74) {				/* the card */
		n = card_answer(idx, req->apdu, req->apdu_len, rsp);
		note(t, "relay %s #%" PRIu64 ": card %02x%02x -> %zu bytes %02x%02x",
		     req->channel, req->request_id, req->apdu[0], req->apdu[1], n,
		     rsp[n - 2], rsp[n - 1]);
		ret = smchan_transport_reply(h, req->channel, req->request_id, rsp, n);
		done(t);
		atomic_fetch_add(&n_answers_card, 1);
		check(t, t->doing, ret, n > SMCHAN_NL_DATA_MAX ? &bad_reply_ok : &reply_ok);
		if (ret == -EMSGSIZE)
			smchan_transport_error(h, req->channel, req->request_id, EMSGSIZE);
		if (chance(r, 3)) {		/* the same answer again */
			note(t, "relay %s #%" PRIu64 ": again", req->channel, req->request_id);
			ret = smchan_transport_reply(h, req->channel, req->request_id, rsp, n);
			done(t);
			check(t, t->doing, ret, ESETP(ESRCH, EPERM, ENOENT, EMSGSIZE));
		}
		return 0;
	}
	if (how < 84) {				/* random bytes */
		n = below(r, 100) < 10 ? below(r, 2) : below(r, 40);
		fill(r, rsp, n);
		if (n >= 2 && chance(r, 30))
			rsp[n - 2] = 0x61;	/* a chain */
		note(t, "relay %s #%" PRIu64 ": %zu random bytes", req->channel,
		     req->request_id, n);
		ret = smchan_transport_reply(h, req->channel, req->request_id, rsp, n);
		done(t);
		check(t, t->doing, ret, &bad_reply_ok);
		return 0;
	}
	if (how < 92) {				/* an error */
		uint32_t err = chance(r, 50) ?
			(uint32_t[]){ EIO, ENXIO, ENOMEDIUM, ETIMEDOUT, ECONNRESET,
				      EPROTO, EMSGSIZE, EBUSY, EACCES }[below(r, 9)] :
			(uint32_t)below(r, 5000);
		note(t, "relay %s #%" PRIu64 ": error %u", req->channel,
		     req->request_id, err);
		ret = smchan_transport_error(h, req->channel, req->request_id, err);
		done(t);
		/* ERROR is 1..4095 by policy: 0 and above are ERANGE */
		check(t, t->doing, ret, err && err < 4096 ? &reply_ok :
		      ESETP(ERANGE, ESRCH, EPERM, ENOENT));
		return 0;
	}
	if (how < 95) {				/* a wrong id */
		note(t, "relay %s #%" PRIu64 ": answer as #%" PRIu64, req->channel,
		     req->request_id, req->request_id + 1000);
		ret = smchan_transport_reply(h, req->channel, req->request_id + 1000,
					     (const uint8_t *)"\x90\x00", 2);
		done(t);
		check(t, t->doing, ret, ESETP(ESRCH, EPERM, ENOENT));
		return 0;
	}
	note(t, "relay %s #%" PRIu64 ": no answer", req->channel, req->request_id);
	done(t);
	return 0;
}

static void *relay_main(void *arg)
{
	const struct eset bind_ok = SET(EBUSY, ENOENT);
	const struct eset unbind_ok = SET(ENOTCONN, ENOENT);
	const struct eset status_ok = SET(EPERM, ENOENT, EINVAL);
	struct thread *t = arg;
	struct rng *r = &t->r;
	struct relay rl = { .t = t };
	int64_t until;
	int i, ret;

	while (!atomic_load(&stop)) {
		note(t, "relay open");
		rl.h = smchan_nl_open();
		done(t);
		if (!rl.h) {
			fail(t, "smchan_nl_open: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n_names; i++) {
			rl.bound[i] = 0;
			if (!chance(r, 75))
				continue;
			note(t, "relay bind %s", names[i]);
			ret = smchan_transport_bind(rl.h, names[i]);
			done(t);
			if (!check(t, t->doing, ret, &bind_ok)) {
				rl.bound[i] = 1;
				atomic_fetch_add(&n_binds, 1);
			}
			if (chance(r, 70)) {
				uint8_t atr[40];
				size_t alen = chance(r, 80) ? 2 + below(r, 32) : below(r, 40);
				int present = chance(r, 85);

				fill(r, atr, sizeof(atr));
				note(t, "relay card-status %s present %d atr %zu", names[i],
				     present, alen);
				ret = smchan_card_status_atr(rl.h, names[i], present,
							     alen ? atr : NULL, alen);
				done(t);
				check(t, t->doing, ret, &status_ok);
			}
		}
		until = now_ms() + 100 + below(r, 1500);
		while (!atomic_load(&stop) && now_ms() < until) {
			ret = smchan_transport_poll(rl.h, 50, relay_answer, &rl);
			if (ret < 0 && ret != -ENOBUFS) {
				fail(t, "smchan_transport_poll: %s", smchan_strerror(ret));
				break;
			}
			if (chance(r, 2)) {	/* the card pulled and put back */
				i = (int)below(r, n_names);
				note(t, "relay card-status %s present 0", names[i]);
				ret = smchan_card_status(rl.h, names[i], 0);
				done(t);
				check(t, t->doing, ret, &status_ok);
				ret = smchan_card_status(rl.h, names[i], 1);
				check(t, t->doing, ret, &status_ok);
			}
		}
		if (chance(r, 50)) {
			for (i = 0; i < n_names; i++) {
				if (!rl.bound[i] && !chance(r, 10))
					continue;
				note(t, "relay unbind %s", names[i]);
				ret = smchan_transport_unbind(rl.h, names[i]);
				done(t);
				check(t, t->doing, ret, &unbind_ok);
				atomic_fetch_add(&n_unbinds, 1);
			}
		} else {
			atomic_fetch_add(&n_deaths, 1);
		}
		/* closed with requests pending, bound or not: a death */
		note(t, "relay close");
		smchan_nl_close(rl.h);
		done(t);
	}
	return NULL;
}

/* --- The monitor: no half-made channel, ever ------------------------------- */

static const unsigned int required =
	SMCHAN_INFO_MODE | SMCHAN_INFO_SUITE | SMCHAN_INFO_GROUP_SIZE |
	SMCHAN_INFO_REKEY_LIMIT | SMCHAN_INFO_TIMEOUT_MS |
	SMCHAN_INFO_AUTO_ESTABLISH | SMCHAN_INFO_KEY_SOURCE |
	SMCHAN_INFO_STATE | SMCHAN_INFO_N | SMCHAN_INFO_TRANSPORT |
	SMCHAN_INFO_STATS | SMCHAN_INFO_CARD_PRESENT;

struct seen {
	struct thread *t;
	int count;
};

static int judge(const struct smchan_channel_info *i, void *arg)
{
	struct seen *s = arg;
	struct thread *t = s->t;
	unsigned int missing = required & ~i->present;

	s->count++;
	if (missing)
		fail(t, "channel %s listed without attributes (info bits 0x%x missing)",
		     i->name, missing);
	if (i->present & SMCHAN_INFO_MKEY)
		fail(t, "channel %s: a dump carried MKEY", i->name);
	if (!name_valid(i->name))
		fail(t, "channel \"%.16s\" listed: not a valid name", i->name);
	if (i->mode < 1 || i->mode > 4 || i->suite < 1 || i->suite > 2 ||
	    i->group_size < 2 || i->group_size > 32 || i->timeout_ms < 1 ||
	    i->timeout_ms > 600000 || i->auto_establish > 1 || i->key_source > 2 ||
	    i->state < 1 || i->state > 4 || i->transport > 1 || i->card_present > 1)
		fail(t, "channel %s: a value out of range (mode %u suite %u group %u timeout %u auto %u source %u state %u transport %u card %u)",
		     i->name, i->mode, i->suite, i->group_size, i->timeout_ms,
		     i->auto_establish, i->key_source, i->state, i->transport,
		     i->card_present);
	if (!!(i->present & SMCHAN_INFO_KEYRING) != (i->key_source == SMCHAN_KEY_KEYRING))
		fail(t, "channel %s: KEYRING %s with key source %u", i->name,
		     i->present & SMCHAN_INFO_KEYRING ? "present" : "absent", i->key_source);
	if (i->weak != (i->mode != SMCHAN_MODE_RATCHET))
		fail(t, "channel %s: WEAK %d in mode %u", i->name, i->weak, i->mode);
	if ((i->present & SMCHAN_INFO_ERROR) && i->state != SMCHAN_STATE_FAILED &&
	    i->state != SMCHAN_STATE_ESTABLISHING)
		fail(t, "channel %s: ERROR %u in state %u", i->name, i->error, i->state);
	if (i->card_present && !i->transport)
		fail(t, "channel %s: a card present without a transport", i->name);
	if ((i->present & SMCHAN_INFO_ATR) && !i->card_present)
		fail(t, "channel %s: an ATR without a card", i->name);
	if ((i->present & SMCHAN_INFO_ATR) && (i->atr_len < 2 || i->atr_len > SMCHAN_ATR_MAX))
		fail(t, "channel %s: an ATR of %zu bytes", i->name, i->atr_len);
	if (i->state == SMCHAN_STATE_ESTABLISHED)
		atomic_fetch_add(&n_sessions_seen, 1);
	return 0;
}

static void *monitor_main(void *arg)
{
	struct thread *t = arg;
	struct smchan_nl *h = smchan_nl_open();
	struct seen s = { .t = t };
	int ret;

	if (!h) {
		fail(t, "smchan_nl_open: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&stop)) {
		note(t, "dump");
		ret = smchan_channel_dump(h, judge, &s);
		done(t);
		check(t, "dump", ret, ESETP(EINTR));
		atomic_fetch_add(&n_dumps, 1);
		usleep(20000 + below(&t->r, 60000));
	}
	smchan_nl_close(h);
	return NULL;
}

static int on_event(const struct smchan_event_msg *ev, void *arg)
{
	struct thread *t = arg;

	atomic_fetch_add(&n_events, 1);
	if (ev->family)
		return 0;
	if (ev->event < SMCHAN_EVENT_SESSION_UP || ev->event > SMCHAN_EVENT_SESSION_FAILED)
		fail(t, "event %u on %s: no such event", ev->event, ev->channel);
	else if (!name_valid(ev->channel))
		fail(t, "event %u on \"%.16s\": not a valid name", ev->event, ev->channel);
	else if (ev->event == SMCHAN_EVENT_SESSION_DOWN &&
		 (!ev->has_end_reason || ev->end_reason < SMCHAN_END_LOCAL ||
		  ev->end_reason > SMCHAN_END_CARD_REMOVED))
		fail(t, "session-down on %s without a reason", ev->channel);
	else if (ev->event == SMCHAN_EVENT_SESSION_FAILED &&
		 (!ev->has_error || !ev->error || ev->error > 4095))
		fail(t, "session-failed on %s without an error", ev->channel);
	return 0;
}

static void *events_main(void *arg)
{
	struct thread *t = arg;
	struct smchan_nl *h = smchan_events_open();
	int ret;

	if (!h) {
		fail(t, "smchan_events_open: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&stop)) {
		ret = smchan_events_recv(h, 100, on_event, t);
		if (ret < 0 && ret != -ENOBUFS)
			fail(t, "events: %s", smchan_strerror(ret));
	}
	smchan_nl_close(h);
	return NULL;
}

/* No system call may last longer than stuck_s seconds. */
static void *watchdog_main(void *arg)
{
	int reported[MAX_THREADS] = { 0 };

	(void)arg;
	while (!atomic_load(&stop)) {
		int64_t now = now_ms();

		for (int i = 0; i < n_threads; i++) {
			int64_t since = atomic_load(&threads[i].since);

			if (since && now - since > stuck_s * 1000LL && !reported[i]) {
				reported[i] = 1;
				fail(&threads[i], "stuck for %" PRId64 " s in: %s",
				     (now - since) / 1000, threads[i].doing);
			}
		}
		usleep(500000);
	}
	return NULL;
}

/* --- Main ------------------------------------------------------------------ */

static struct thread *new_thread(const char *tag, int i)
{
	struct thread *t = &threads[n_threads];

	snprintf(t->tag, sizeof(t->tag), "%s%d", tag, i);
	rng_init(&t->r, (unsigned int)n_threads);
	n_threads++;
	return t;
}

static int resolve_family(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -1;

	if (sk && !genl_connect(sk))
		id = genl_ctrl_resolve(sk, SMCHAN_FAMILY_NAME);
	if (sk)
		nl_socket_free(sk);
	return id;
}

static int del_one(const struct smchan_channel_info *i, void *arg)
{
	struct smchan_nl *h = arg;
	int ret = smchan_channel_del(h, i->name);

	check(NULL, "final channel del", ret, ESETP(ENOENT));
	return 0;
}

static int count_one(const struct smchan_channel_info *i, void *arg)
{
	(void)i;
	(*(int *)arg)++;
	return 0;
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/smchan/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* After the channels are gone: every file must answer, at once, ENODEV. */
static void final_files(struct worker **ws, int nw)
{
	static uint8_t buf[65540];
	static const uint8_t select_mf[] = { 0x00, 0xA4, 0x00, 0x0C };
	int files = 0, inflight = 0, bad = 0;

	for (int k = 0; k < nw; k++) {
		if (!ws[k])
			continue;
		for (int i = 0; i < FILES; i++) {
			struct file *f = &ws[k]->f[i];
			struct pollfd p = { .fd = f->fd, .events = POLLIN };
			ssize_t n;
			int e, first;

			if (f->fd < 0)
				continue;
			files++;
			if (f->inflight) {
				inflight++;
				if (poll(&p, 1, 3000) != 1 || !(p.revents & POLLIN)) {
					fail(NULL, "fd %d: a command in flight, and no POLLIN 3 s after its channel was deleted (a stuck reader)",
					     f->fd);
					bad++;
					close(f->fd);
					continue;
				}
				n = read(f->fd, buf, sizeof(buf));
				check(NULL, "final read of the command in flight",
				      n < 0 ? -errno : 0, &read_ok);
			}
			/* The file is idle now: attached files say ENODEV,
			 * the others EBADFD (or were never attached: the
			 * name they tried is gone too). */
			n = read(f->fd, buf, sizeof(buf));
			first = n < 0 ? errno : 0;
			n = write(f->fd, select_mf, sizeof(select_mf));
			e = n < 0 ? errno : 0;
			if (!((first == ENODEV && e == ENODEV) ||
			      (first == EBADFD && e == EBADFD))) {
				fail(NULL, "fd %d after the deletion: read %s, write %s (ENODEV or EBADFD for both)",
				     f->fd, first ? ename(first) : "success",
				     e ? ename(e) : "success");
				bad++;
			}
			p.events = POLLIN | POLLOUT;
			if (poll(&p, 1, 0) != 1 || p.revents != POLLOUT) {
				fail(NULL, "fd %d after the deletion: poll revents 0x%x, not POLLOUT alone",
				     f->fd, p.revents);
				bad++;
			}
			close(f->fd);
			f->fd = -1;
		}
	}
	if (!bad)
		okay("%d files left open (%d with a command in flight): each answered and said ENODEV or EBADFD once the channels were gone",
		     files, inflight);
}

/* The first byte of @s over 0x7f. */
static unsigned int high_byte(const char *s)
{
	while (*s && !(*s & 0x80))
		s++;
	return (uint8_t)*s;
}

/*
 * Directed cases, each once before the random part: what the random part
 * found, so that it stays found whatever the seed.
 */
static void directed(void)
{
	/* Names of bytes over 0x7f: the kernel's isalnum() takes Latin-1
	 * letters (lib/ctype.c) for letters, and CHANNEL_NEW made channels
	 * that no terminal prints as they are (found with seed 1). */
	static const char *const names8[] = {
		"\xe9t\xe9",		/* "ete" with e-acute, Latin-1 */
		"\xc3\xa9t\xc3\xa9",	/* the same in UTF-8 */
		"card\xff",
		"\xdf",
	};
	struct nlreq *q = calloc(1, sizeof(*q));
	int fd = nl_socket_open(), ret, bad = 0;
	uint32_t seq = 1;

	if (!q || fd < 0) {
		fail(NULL, "directed: no memory or socket");
		free(q);
		return;
	}
	for (size_t i = 0; i < sizeof(names8) / sizeof(names8[0]); i++) {
		nl_start(q, SMCHAN_CMD_CHANNEL_NEW, NLM_F_ACK);
		nl_put(q, SMCHAN_A_CHANNEL, names8[i], strlen(names8[i]) + 1);
		ret = nl_call(fd, q, seq++, 0, NULL, NULL);
		if (ret != -EINVAL) {
			fail(NULL, "directed: CHANNEL_NEW of a name with byte 0x%02x: %s, not EINVAL",
			     high_byte(names8[i]),			     ret ? ename(-ret) : "created");
			bad++;
		}
		if (!ret) {		/* take it away again */
			nl_start(q, SMCHAN_CMD_CHANNEL_DEL, NLM_F_ACK);
			nl_put(q, SMCHAN_A_CHANNEL, names8[i], strlen(names8[i]) + 1);
			nl_call(fd, q, seq++, 0, NULL, NULL);
		}
	}
	if (!bad)
		okay("directed: CHANNEL_NEW refuses names with bytes over 0x7f (EINVAL)");
	close(fd);
	free(q);
}

static void usage(void)
{
	fprintf(stderr, "usage: smchan-random [--seed N] [--time S] [--workers N] [--relays N] [--names N] [--stuck S] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "relays", required_argument, NULL, 'r' },
		{ "names", required_argument, NULL, 'n' },
		{ "stuck", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct worker *ws[MAX_THREADS] = { NULL };
	pthread_t mon, ev, dog;
	struct thread *tm, *te;
	struct smchan_nl *h;
	int c, i, nw, left, ret;
	int64_t t0, t1;
	long refs;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL);
	seed %= 1000000000;
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': run_s = atoi(optarg); break;
		case 'w': n_workers = atoi(optarg); break;
		case 'r': n_relays = atoi(optarg); break;
		case 'n': n_names = atoi(optarg); break;
		case 'S': stuck_s = atoi(optarg); break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || run_s < 1 || n_workers < 1 || n_relays < 0 ||
	    n_names < 1 || n_names > MAX_NAMES ||
	    n_workers + n_relays + 2 > MAX_THREADS)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_ok = read_allowed();
	printf("seed %" PRIu64 ": %d s, %d workers, %d relays, %d channel names (replay: RANDOM_SEED=%" PRIu64 ")\n",
	       seed, run_s, n_workers, n_relays, n_names, seed);
	for (i = 0; i < n_names; i++)
		snprintf(names[i], sizeof(names[i]), "rnd%d", i);

	family = resolve_family();
	if (family < 0) {
		fail(NULL, "the smchan family is not registered (module not loaded?)");
		return 1;
	}
	if ((ret = setup_keys()) || setup_cards()) {
		fail(NULL, "keys or cards: %s", strerror(-ret));
		return 1;
	}

	directed();
	t0 = now_ms();
	for (i = 0; i < n_workers; i++) {
		struct thread *t = new_thread("worker", i);

		pthread_create(&t->tid, NULL, worker_main, t);
	}
	for (i = 0; i < n_relays; i++) {
		struct thread *t = new_thread("relay", i);

		pthread_create(&t->tid, NULL, relay_main, t);
	}
	tm = new_thread("monitor", 0);
	pthread_create(&mon, NULL, monitor_main, tm);
	te = new_thread("events", 0);
	pthread_create(&ev, NULL, events_main, te);
	pthread_create(&dog, NULL, watchdog_main, NULL);

	while (now_ms() - t0 < run_s * 1000LL && atomic_load(&failures) < 20)
		usleep(200000);

	/* The end: the workers first (the relays still answer), then the
	 * relays, the monitor and the listener. */
	atomic_store(&stop, 1);
	nw = n_workers;
	for (i = 0; i < nw; i++)
		pthread_join(threads[i].tid, (void **)&ws[i]);
	t1 = now_ms();
	for (i = nw; i < nw + n_relays; i++)
		pthread_join(threads[i].tid, NULL);
	pthread_join(mon, NULL);
	pthread_join(ev, NULL);
	pthread_join(dog, NULL);
	if (!atomic_load(&failures))
		okay("%lu operations in %.1f s (%.0f per second), every answer a documented one: %lu netlink requests, %lu on /dev/smchan (%lu answers read, %lu commands' own EMSGSIZE), %lu relayed APDUs (%lu answered by the card), %lu binds, %lu unbinds, %lu transport deaths",
		     atomic_load(&n_ops) + atomic_load(&n_relayed),
		     (t1 - t0) / 1000.0,
		     (atomic_load(&n_ops) + atomic_load(&n_relayed)) * 1000.0 / (double)(t1 - t0),
		     atomic_load(&n_nl), atomic_load(&n_ops) - atomic_load(&n_nl),
		     atomic_load(&n_reads_ok), atomic_load(&n_reads_emsgsize),
		     atomic_load(&n_relayed),
		     atomic_load(&n_answers_card), atomic_load(&n_binds),
		     atomic_load(&n_unbinds), atomic_load(&n_deaths));
	i = atomic_load(&failures);
	if (!i)
		okay("no half-made channel in %lu dumps (%lu channel descriptions in state established); %lu events, all well formed",
		     atomic_load(&n_dumps), atomic_load(&n_sessions_seen),
		     atomic_load(&n_events));

	/* Delete every channel, then look at the files left open. */
	h = smchan_nl_open();
	if (!h) {
		fail(NULL, "smchan_nl_open: %s", strerror(errno));
		return 1;
	}
	ret = smchan_channel_dump(h, del_one, h);
	check(NULL, "final dump", ret, ESETP(EINTR));
	final_files(ws, nw);
	left = 0;
	ret = smchan_channel_dump(h, count_one, &left);
	if (ret || left)
		fail(NULL, "after deleting every channel, the dump says %d left (%s)",
		     left, smchan_strerror(ret));
	else
		okay("no channel left after deleting them all");
	smchan_nl_close(h);
	for (i = 0; i < nw; i++)
		free(ws[i]);

	/* Nothing of ours holds the module now. */
	for (i = 0; i < 40 && (refs = module_refcnt()) > 0; i++)
		usleep(50000);
	refs = module_refcnt();
	if (refs == 0)
		okay("the module's reference count is back to 0");
	else
		fail(NULL, "/sys/module/smchan/refcnt is %ld with every file and socket closed", refs);

	printf("errnos seen:");
	for (i = 0; i < 4096; i++)
		if (atomic_load(&errno_seen[i]))
			printf(" %s %lu", i ? ename(i) : "success", atomic_load(&errno_seen[i]));
	printf("\n");
	for (i = 0; i < n_names; i++)
		for (int k = 0; k < 2; k++)
			vcard_free(cards[i].c[k]);
	smchan_wipe(key16, sizeof(key16));
	smchan_wipe(key32, sizeof(key32));
	printf("smchan-random: %d failures (seed %" PRIu64 ")\n", atomic_load(&failures), seed);
	return atomic_load(&failures) ? 1 : 0;
}
