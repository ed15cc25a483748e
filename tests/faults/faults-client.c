// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-faults: the driver of tests/faults/faults.sh, run as root in the
 * debug UML kernel with fault injection configured (failslab,
 * fail_page_alloc, fail_usercopy with task-filter on).
 *
 *   smchan-faults load CHANNEL ITERATIONS SEED OFFSET [GATE]
 *	ITERATIONS rounds, each: open /dev/smchan, attach, SELECT EF 0101,
 *	UPDATE BINARY 16 random bytes at OFFSET, READ BINARY them back,
 *	close; and every few rounds a CHANNEL_GET, a CHANNEL_SET and a
 *	CHANNEL_NEW + CHANNEL_DEL of a scratch channel.  This process is
 *	marked make-it-fail only around those system calls (so faults hit
 *	the module's paths, not exec or page faults of the tool).  Checks:
 *	every failure is an errno of the allowed set; a success is a
 *	success (9000, whole lengths); what READ BINARY returns is the last
 *	confirmed write or one whose outcome was unknown (its read failed);
 *	a CHANNEL_NEW that failed left no channel; a CHANNEL_DEL that failed
 *	left the channel whole (deleted by the retry, faults off).  With
 *	GATE, the reads before and after the rounds are made with no fault
 *	anywhere (the channel's worker, which runs queued commands, is on
 *	a kworker that faults.sh marks): the process creates GATE.on.PID
 *	after the first read and waits for GATE.on before its rounds, and
 *	GATE.off.PID after them and waits for GATE.off.
 *   smchan-faults kworkers SECONDS
 *	marks every unbound kworker (kworker/u*) make-it-fail, again every
 *	50 ms (new ones appear), for SECONDS or until SIGTERM; then unmarks
 *	them.  The channel's worker runs there.
 *   smchan-faults attach-loop CHANNEL SECONDS
 *	open/attach/SELECT/close in a loop while another process deletes
 *	and re-creates CHANNEL; every failure must be an errno of the
 *	allowed set.
 *   smchan-faults nth CHANNEL
 *	fail-nth, one fault point after the other (the Nth allocation or
 *	user copy of this thread fails), for CHANNEL_NEW of a scratch
 *	channel, CHANNEL_SET and SESSION_START of CHANNEL (bound, with a
 *	card): whatever the kernel refused with an errno changed nothing.
 *   smchan-faults churn CHANNEL SECONDS KEYFILE
 *	creates CHANNEL (timeout 300 ms), binds it as a transport that never
 *	answers (so commands are in flight), waits 0-30 ms, deletes it; in
 *	a loop.
 *
 * Each prints one summary line: "NAME: N rounds, F failures (ERRNO:n
 * ...)", and "bad: ..." lines for what broke a rule; the exit status is 1
 * if anything did.  SIGALRM after 120 s (a system call that hangs) is a
 * failure too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../../userspace/lib/smchan.h"

#define ERRNO_MAX 256
/* libsmchan's codes for libnl's NLE_NOMEM and NLE_INVAL */
#define NLE_NOMEM_ (SMCHAN_ELIBNL + 5)
#define NLE_INVAL_ (SMCHAN_ELIBNL + 7)

static unsigned long hist[ERRNO_MAX], failures, bad, stale_enobufs;
static int mif = -1;
static const char *self = "smchan-faults";

static void bad_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad_(const char *fmt, ...)
{
	va_list ap;

	bad++;
	printf("bad: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Faults on and off for this task (a failed write of "0" is retried:
 * fail_usercopy may hit it). */
static void faults(int on)
{
	if (mif < 0)
		return;
	while (pwrite(mif, on ? "1" : "0", 1, 0) != 1 && !on)
		;
}

/* Records a failure with errno e; 0 if it is allowed, else a bad one. */
static void failed(const char *what, int e, const int *allowed)
{
	const int *a;

	failures++;
	hist[e == NLE_NOMEM_ ? ERRNO_MAX - 2 : e == NLE_INVAL_ ? ERRNO_MAX - 1 :
	     e > 0 && e < ERRNO_MAX - 2 ? e : 0]++;
	for (a = allowed; *a; a++)
		if (*a == e)
			return;
	bad_("%s failed with %s (%s), not an errno allowed here", what,
	     smchan_errname(-e), strerror(e));
}

static void summary(const char *name, unsigned long rounds)
{
	int e;

	printf("%s: %lu rounds, %lu failures (", name, rounds, failures);
	for (e = 0; e < ERRNO_MAX; e++)
		if (hist[e])
			printf(" %s:%lu", e == ERRNO_MAX - 2 ? "ELIBNL(NOMEM)" :
			       e == ERRNO_MAX - 1 ? "ELIBNL(INVAL)" :
			       e ? smchan_errname(-e) : "other", hist[e]);
	printf(" ), %lu bad", bad);
	if (stale_enobufs)
		printf(", %lu requests sent again after a stale ENOBUFS", stale_enobufs);
	printf("\n");
}

static void on_alarm(int sig)
{
	static const char msg[] = "bad: a system call hung for 120 s\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One command through an attached file: 0 and the answer in rsp, or -1
 * (errno set; *sent says whether write() took it, i.e. whether the card
 * may have seen it).
 */
static int xfer(int fd, const uint8_t *cmd, size_t len, uint8_t *rsp,
		size_t size, size_t *rlen, int *sent)
{
	ssize_t n;
	int e;

	*sent = 0;
	faults(1);
	n = write(fd, cmd, len);
	e = errno;
	faults(0);
	if (n < 0) {
		errno = e;
		return -1;
	}
	if ((size_t)n != len) {
		bad_("write returned %zd of %zu", n, len);
		errno = EIO;
		return -1;
	}
	*sent = 1;
	faults(1);
	n = read(fd, rsp, size);
	e = errno;
	faults(0);
	if (n < 0) {
		errno = e;
		return -1;
	}
	*rlen = n;
	return 0;
}

/* The errnos a command may end with when an allocation fails somewhere:
 * ENOMEM itself, EFAULT (fail_usercopy), and what the documentation
 * lists for a session that a lost message or a failed step ended. */
static const int dev_allowed[] = {
	ENOMEM, EFAULT, ENOBUFS, ETIMEDOUT, EBADMSG, EPIPE, ENOTCONN,
	EKEYREJECTED, EPROTO, 0
};
/*
 * A genl request: the kernel's errno in its ACK, or the errno of a socket
 * call that failed (ENOMEM, EFAULT; ENOBUFS: the kernel could not queue
 * its ACK or reply). libsmchan's ELIBNL codes are not allowed: a system
 * call's failure is an errno (smchan.h). Only ENOMEM comes from the
 * module refusing the request: after the others it may have been done.
 */
static const int nl_allowed[] = { ENOMEM, ENOBUFS, EFAULT, 0 };
/* SESSION_START opens an events socket of its own: libsmchan reports a
 * failed family lookup (nlctrl out of memory) as ENOENT or EPROTO. */
static const int start_allowed[] = { ENOMEM, ENOBUFS, EFAULT, ENOENT, EPROTO, 0 };
static int kernel_refused(int r)
{
	return r == -ENOMEM;
}

static int open_attach(const char *ch, const int *allowed)
{
	struct smchan_attach at;
	int fd, e;

	faults(1);
	fd = open("/dev/smchan", O_RDWR);
	e = errno;
	faults(0);
	if (fd < 0) {
		failed("open", e, allowed);
		return -1;
	}
	memset(&at, 0, sizeof(at));
	snprintf(at.name, sizeof(at.name), "%s", ch);
	faults(1);
	if (ioctl(fd, SMCHAN_IOC_ATTACH, &at) < 0) {
		e = errno;
		faults(0);
		failed("attach", e, allowed);
		close(fd);
		return -1;
	}
	faults(0);
	return fd;
}

static const uint8_t select_0101[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x01 };

/*
 * CHANNEL_GET into @info (CHANNEL_DEL without), sent with faults off
 * after a request that failed with faults on: ENOBUFS there is the
 * socket's own error, set while faults were on (a reply netlink could
 * not allocate) and reported by the next receive, so the request itself
 * is sent again.
 */
static int again(struct smchan_nl *h, const char *name,
		 struct smchan_channel_info *info)
{
	int r, i;

	for (i = 0; i < 3; i++) {
		r = info ? smchan_channel_get(h, name, info) :
			   smchan_channel_del(h, name);
		if (r != -ENOBUFS)
			break;
		stale_enobufs++;
	}
	return r;
}

/* The genl part of a load round. */
static void nl_round(const char *ch, unsigned long round, unsigned int *seed)
{
	struct smchan_channel_info info;
	struct smchan_channel_cfg cfg;
	struct smchan_nl *h;
	char scratch[SMCHAN_NAME_SIZE];
	int r, i;

	/* Resolving the family is nlctrl's, not the module's: faults off. */
	h = smchan_nl_open();
	if (!h) {
		bad_("smchan_nl_open with faults off: %s", strerror(errno));
		return;
	}
	faults(1);
	r = smchan_channel_get(h, ch, &info);
	faults(0);
	if (r)
		failed("CHANNEL_GET", -r, nl_allowed);

	/* New settings end the session: the next command starts another. */
	if (round % 4 == 0) {
		memset(&cfg, 0, sizeof(cfg));
		snprintf(cfg.name, sizeof(cfg.name), "%s", ch);
		cfg.present = SMCHAN_CFG_TIMEOUT_MS;
		cfg.timeout_ms = 1000 + rand_r(seed) % 2;
		faults(1);
		r = smchan_channel_set(h, &cfg, NULL);
		faults(0);
		if (r)
			failed("CHANNEL_SET", -r, nl_allowed);
	}

	snprintf(scratch, sizeof(scratch), "s%d-%lu", getpid() % 1000, round % 100000);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", scratch);
	cfg.present = SMCHAN_CFG_MKEY | SMCHAN_CFG_READER;
	cfg.mkey_len = 16;
	for (i = 0; i < 16; i++)
		cfg.mkey[i] = rand_r(seed);
	snprintf(cfg.reader, sizeof(cfg.reader), "reader %lu", round);
	faults(1);
	r = smchan_channel_new(h, &cfg, NULL);
	faults(0);
	smchan_wipe(cfg.mkey, sizeof(cfg.mkey));
	if (r) {
		int first = r;

		failed("CHANNEL_NEW", -r, nl_allowed);
		/* Refused by the kernel: nothing half-made, the name is free. */
		i = kernel_refused(r);
		r = again(h, scratch, &info);
		if (i && r != -ENOENT)
			bad_("CHANNEL_NEW %s failed but CHANNEL_GET gives %s", scratch,
			     r ? smchan_errname(r) : "the channel");
		if (!r) {
			r = again(h, scratch, NULL);
			if (r)
				bad_("CHANNEL_DEL %s (made, its CHANNEL_NEW said %s): %s",
				     scratch, smchan_errname(first), smchan_errname(r));
		}
	} else {
		faults(1);
		r = smchan_channel_del(h, scratch);
		faults(0);
		if (r) {
			int first = r;

			failed("CHANNEL_DEL", -r, nl_allowed);
			/* Still whole, or gone: the retry deletes it or says so. */
			r = again(h, scratch, NULL);
			if (r && r != -ENOENT)
				bad_("CHANNEL_DEL %s failed (%s), and again: %s", scratch,
				     smchan_errname(first), smchan_errname(r));
		}
	}
	smchan_nl_close(h);
}

struct known {
	uint8_t confirmed[16];
	uint8_t unknown[64][16];
	int n_unknown;
};

static void dev_round(const char *ch, unsigned int off, struct known *k,
		      unsigned int *seed)
{
	uint8_t cmd[5 + 16], rsp[64];
	size_t rlen;
	int fd, sent, i;

	fd = open_attach(ch, dev_allowed);
	if (fd < 0)
		return;
	if (xfer(fd, select_0101, sizeof(select_0101), rsp, sizeof(rsp), &rlen, &sent)) {
		failed("SELECT", errno, dev_allowed);
		goto out;
	}
	if (rlen != 2 || rsp[0] != 0x90 || rsp[1] != 0x00) {
		bad_("SELECT answered %zu bytes, %02X%02X", rlen, rsp[0], rsp[1]);
		goto out;
	}
	/* UPDATE BINARY off, 16 random bytes. */
	cmd[0] = 0x00;
	cmd[1] = 0xD6;
	cmd[2] = off >> 8;
	cmd[3] = off;
	cmd[4] = 16;
	for (i = 0; i < 16; i++)
		cmd[5 + i] = rand_r(seed);
	if (xfer(fd, cmd, sizeof(cmd), rsp, sizeof(rsp), &rlen, &sent)) {
		failed("UPDATE BINARY", errno, dev_allowed);
		if (sent && k->n_unknown < 64)
			memcpy(k->unknown[k->n_unknown++], cmd + 5, 16);
		else if (sent)
			bad_("more than 64 writes of unknown outcome in a row");
		goto out;
	}
	if (rlen != 2 || rsp[0] != 0x90 || rsp[1] != 0x00) {
		bad_("UPDATE BINARY answered %zu bytes, %02X%02X", rlen, rsp[0], rsp[1]);
		goto out;
	}
	memcpy(k->confirmed, cmd + 5, 16);
	k->n_unknown = 0;
	/* READ BINARY off, 16. */
	cmd[1] = 0xB0;
	cmd[4] = 16;
	if (xfer(fd, cmd, 5, rsp, sizeof(rsp), &rlen, &sent)) {
		failed("READ BINARY", errno, dev_allowed);
		goto out;
	}
	if (rlen != 18 || rsp[16] != 0x90 || rsp[17] != 0x00) {
		bad_("READ BINARY answered %zu bytes, SW %02X%02X", rlen,
		     rsp[rlen - 2], rsp[rlen - 1]);
		goto out;
	}
	if (memcmp(rsp, k->confirmed, 16))
		bad_("READ BINARY at %u gave other bytes than the confirmed write", off);
out:
	close(fd);
}

/* Before the first round: what is there now (a read with faults off). */
static void read_back(const char *ch, unsigned int off, struct known *k)
{
	uint8_t cmd[5] = { 0x00, 0xB0, off >> 8, off, 16 }, rsp[64];
	size_t rlen;
	int fd, sent, i, m, tries;

	for (tries = 0; tries < 3; tries++) {
		fd = open_attach(ch, dev_allowed);
		if (fd < 0)
			continue;
		if (!xfer(fd, select_0101, sizeof(select_0101), rsp, sizeof(rsp), &rlen, &sent) &&
		    !xfer(fd, cmd, 5, rsp, sizeof(rsp), &rlen, &sent) && rlen == 18) {
			close(fd);
			if (k->n_unknown < 0) {
				memcpy(k->confirmed, rsp, 16);
				k->n_unknown = 0;
				return;
			}
			m = !memcmp(rsp, k->confirmed, 16);
			for (i = 0; i < k->n_unknown && !m; i++)
				m = !memcmp(rsp, k->unknown[i], 16);
			if (!m)
				bad_("EF 0101 at %u holds neither the confirmed write nor one of unknown outcome",
				     off);
			return;
		}
		close(fd);
	}
	bad_("could not read EF 0101 at %u with faults off: %s", off, strerror(errno));
}

/*
 * Say "here" (GATE.WHAT.PID exists) and wait for the go (GATE.WHAT), for
 * at most 10 minutes.
 */
static void wait_gate(const char *gate, const char *what)
{
	char path[PATH_MAX];
	struct timespec ts = { 0, 20000000 };
	int fd, i;

	snprintf(path, sizeof(path), "%s.%s.%d", gate, what, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s.%s", gate, what);
	for (i = 0; i < 30000 && access(path, F_OK); i++)
		nanosleep(&ts, NULL);
	if (access(path, F_OK))
		bad_("%s never came", path);
}

static int cmd_load(char **argv)
{
	const char *ch = argv[0];
	unsigned long n = strtoul(argv[1], NULL, 0), i;
	unsigned int seed = strtoul(argv[2], NULL, 0);
	unsigned int off = strtoul(argv[3], NULL, 0);
	const char *gate = argv[4];
	struct known k = { .n_unknown = -1 };

	mif = open("/proc/self/make-it-fail", O_WRONLY);
	if (mif < 0) {
		perror("/proc/self/make-it-fail");
		return 1;
	}
	read_back(ch, off, &k);
	if (gate)
		wait_gate(gate, "on");
	for (i = 0; i < n; i++) {
		alarm(120);
		dev_round(ch, off, &k, &seed);
		if (i % 2 == 0)
			nl_round(ch, i, &seed);
	}
	/*
	 * Faults off (the kworkers too, which run queued commands: the
	 * other loads' commands queue this one's), then: the card holds the
	 * last confirmed write or one of unknown outcome after it; and a
	 * command works again.
	 */
	if (gate)
		wait_gate(gate, "off");
	alarm(120);
	read_back(ch, off, &k);
	summary("load", n);
	return bad ? 1 : 0;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int mark_kworkers(int on)
{
	char path[300], comm[64];
	struct dirent *d;
	int fd, n = 0;
	ssize_t len;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len < 9 || strncmp(comm, "kworker/u", 9))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/make-it-fail", d->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, on ? "1" : "0", 1) == 1)
			n++;
		close(fd);
	}
	closedir(dir);
	return n;
}

static int cmd_kworkers(char **argv)
{
	double end = now() + strtod(argv[0], NULL);
	struct timespec ts = { 0, 50000000 };
	int n, most = 0;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop && now() < end) {
		n = mark_kworkers(1);
		if (n > most)
			most = n;
		nanosleep(&ts, NULL);
	}
	mark_kworkers(0);
	printf("kworkers: up to %d unbound kworkers marked\n", most);
	return 0;
}

static int cmd_attach_loop(char **argv)
{
	static const int allowed[] = { ENOENT, ENODEV, EPIPE, ETIMEDOUT, 0 };
	const char *ch = argv[0];
	double end = now() + strtod(argv[1], NULL);
	unsigned long rounds = 0, ok = 0;
	uint8_t rsp[64];
	size_t rlen;
	int fd, sent;

	while (now() < end) {
		alarm(120);
		rounds++;
		fd = open_attach(ch, allowed);
		if (fd < 0)
			continue;
		if (xfer(fd, select_0101, sizeof(select_0101), rsp, sizeof(rsp), &rlen, &sent))
			failed(sent ? "SELECT (read)" : "SELECT (write)", errno, allowed);
		else
			ok++;
		close(fd);
	}
	summary("attach-loop", rounds);
	printf("attach-loop: %lu commands answered\n", ok);
	return bad ? 1 : 0;
}

static int cmd_churn(char **argv)
{
	const char *ch = argv[0];
	double end = now() + strtod(argv[1], NULL);
	struct smchan_channel_cfg cfg;
	struct smchan_nl *h, *t;
	unsigned long rounds = 0;
	unsigned int seed = getpid();
	struct timespec ts;
	size_t len;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", ch);
	if (smchan_read_key_file(argv[2], cfg.mkey, &len)) {
		fprintf(stderr, "%s: cannot read %s\n", self, argv[2]);
		return 2;
	}
	cfg.mkey_len = len;
	cfg.present = SMCHAN_CFG_MKEY | SMCHAN_CFG_TIMEOUT_MS;
	cfg.timeout_ms = 300;
	h = smchan_nl_open();
	t = smchan_nl_open();
	if (!h || !t) {
		perror("smchan_nl_open");
		return 1;
	}
	while (now() < end) {
		alarm(120);
		rounds++;
		r = smchan_channel_new(h, &cfg, NULL);
		if (r) {
			bad_("CHANNEL_NEW %s: %s", ch, smchan_errname(r));
			break;
		}
		/* A transport that takes the TRANSMITs and never answers. */
		r = smchan_transport_bind(t, ch);
		if (r)
			bad_("TRANSPORT_BIND %s: %s", ch, smchan_errname(r));
		ts.tv_sec = 0;
		ts.tv_nsec = (rand_r(&seed) % 30) * 1000000L;
		nanosleep(&ts, NULL);
		r = smchan_channel_del(h, ch);
		if (r) {
			bad_("CHANNEL_DEL %s: %s", ch, smchan_errname(r));
			break;
		}
		/* Drop the requests that came meanwhile: a fresh socket. */
		smchan_nl_close(t);
		t = smchan_nl_open();
		if (!t) {
			perror("smchan_nl_open");
			return 1;
		}
	}
	smchan_wipe(cfg.mkey, sizeof(cfg.mkey));
	smchan_nl_close(t);
	smchan_nl_close(h);
	summary("churn", rounds);
	return bad ? 1 : 0;
}

/*
 * fail-nth: the Nth fault point this thread passes fails, whatever the
 * probability; 0 after the request if it fired, what is left if the
 * request passed fewer points.
 */
static int nth_fd = -1;
static void nth_set(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	while (pwrite(nth_fd, buf, len, 0) != len && !n)
		;
}
static int nth_left(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atoi(buf);
}

static int timeout_of(struct smchan_nl *h, const char *ch)
{
	struct smchan_channel_info info;

	return smchan_channel_get(h, ch, &info) ? -1 : (int)info.timeout_ms;
}

static uint64_t sessions_of(struct smchan_nl *h, const char *ch)
{
	struct smchan_channel_info info;

	return smchan_channel_get(h, ch, &info) ? ~0ULL : info.stats.sessions;
}

/*
 * Every fault point of CHANNEL_NEW, CHANNEL_SET and SESSION_START in this
 * thread's system calls, one at a time. A request the kernel refused
 * (an errno in its ACK) changed nothing: no channel, the old settings, no
 * session started; one that succeeded did it all.
 */
static int cmd_nth(char **argv)
{
	const char *ch = argv[0];
	struct smchan_channel_cfg cfg;
	struct smchan_channel_info info;
	struct smchan_nl *h;
	int n, r, left, before, after, points[3] = { 0 };
	uint64_t s0, s1;
	struct timespec ts = { 0, 300000000 };

	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	h = smchan_nl_open();
	if (nth_fd < 0 || !h) {
		perror("fail-nth or smchan_nl_open");
		return 1;
	}
	for (n = 1; n < 1000; n++) {
		alarm(120);
		memset(&cfg, 0, sizeof(cfg));
		snprintf(cfg.name, sizeof(cfg.name), "nth");
		cfg.present = SMCHAN_CFG_MKEY;
		cfg.mkey_len = 16;
		memset(cfg.mkey, 0x5a, 16);
		nth_set(n);
		r = smchan_channel_new(h, &cfg, NULL);
		left = nth_left();
		nth_set(0);
		if (left > 0)
			break;
		points[0]++;
		if (r) {
			failed("CHANNEL_NEW", -r, nl_allowed);
			if (kernel_refused(r) && !smchan_channel_get(h, "nth", &info))
				bad_("CHANNEL_NEW with fault point %d failed (%s) but made the channel",
				     n, smchan_errname(r));
		}
		smchan_channel_del(h, "nth");
	}
	for (n = 1; n < 1000; n++) {
		alarm(120);
		before = timeout_of(h, ch);
		memset(&cfg, 0, sizeof(cfg));
		snprintf(cfg.name, sizeof(cfg.name), "%s", ch);
		cfg.present = SMCHAN_CFG_TIMEOUT_MS;
		cfg.timeout_ms = before == 1000 ? 1001 : 1000;
		nth_set(n);
		r = smchan_channel_set(h, &cfg, NULL);
		left = nth_left();
		nth_set(0);
		if (left > 0)
			break;
		points[1]++;
		after = timeout_of(h, ch);
		if (r) {
			failed("CHANNEL_SET", -r, nl_allowed);
			if (kernel_refused(r) && after != before)
				bad_("CHANNEL_SET with fault point %d failed (%s) but changed the settings",
				     n, smchan_errname(r));
		} else if (after != (int)cfg.timeout_ms) {
			bad_("CHANNEL_SET succeeded but the timeout is %d", after);
		}
	}
	for (n = 1; n < 1000; n++) {
		alarm(120);
		smchan_session_stop(h, ch);
		s0 = sessions_of(h, ch);
		nth_set(n);
		r = smchan_session_start(h, ch);
		left = nth_left();
		nth_set(0);
		if (left > 0)
			break;
		points[2]++;
		if (r) {
			failed("SESSION_START", -r, start_allowed);
			/* An outcome would come within the transport's time. */
			nanosleep(&ts, NULL);
			s1 = sessions_of(h, ch);
			if (kernel_refused(r) && r != -ETIMEDOUT && s1 != s0)
				bad_("SESSION_START with fault point %d failed (%s) but a session started",
				     n, smchan_errname(r));
		}
	}
	smchan_nl_close(h);
	printf("nth: fault points CHANNEL_NEW %d, CHANNEL_SET %d, SESSION_START %d\n",
	       points[0], points[1], points[2]);
	summary("nth", points[0] + points[1] + points[2]);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "load"))
		return cmd_load(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "kworkers"))
		return cmd_kworkers(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "attach-loop"))
		return cmd_attach_loop(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "nth"))
		return cmd_nth(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "churn"))
		return cmd_churn(argv + 2);
	fprintf(stderr, "usage: %s load CHANNEL ITERATIONS SEED OFFSET | kworkers SECONDS |\n"
		"       attach-loop CHANNEL SECONDS | churn CHANNEL SECONDS KEYFILE | nth CHANNEL\n", self);
	return 2;
}
