// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-vcard --latency: the card answers no sooner than its model says
 * (vcard/frontend.h), behind both front-ends.
 *   - the model's arithmetic (frontend_timing_ns) against figures worked
 *     out by hand below, and which MODEL strings it takes;
 *   - behind vpcd (this test plays vpcd: it listens, the card connects):
 *     every answer takes at least the model's time, measured from the
 *     command sent to the answer read (the card counts from the command
 *     received, later), for 0 to 1,024 bytes of data (extended Le), and
 *     the answers are still right; the ATR (a vpcd control message) is
 *     not delayed; an instant card answers faster than the model;
 *   - behind qemu's VSCard socket (this test plays qemu): the same, and a
 *     T=0 GET RESPONSE served from the front-end's memory costs transfer
 *     time only.
 * Lower bounds are checks; how far above the model the answers come (the
 * machine's own time) is printed as info.
 *
 *   latency-test SMCHAN_VCARD
 * Prints "RESULT <passed> <failed>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cacard/vscard_common.h>

#include "../vcard/frontend.h"
#include "check.h"

#define HDR_LEN sizeof(VSCMsgHeader)
#define REPEAT 5

static const char key_hex[] = "00112233445566778899aabbccddeeff";
static const char *vcard_bin;
static char dir[64], img_path[128], err_path[128], sock_path[128];

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* --- the model --------------------------------------------------------- */

static void model(void)
{
	static const char *const good[] = { "t1", "0", "1000", "1000,445000",
					    "0,9600", "10000000", "5,100000000" };
	static const char *const bad[] = { "", "x", "-1", "1000,", ",445000",
					   "1000,445000,1", "1000,999", "10000001",
					   "1e3", " 100", "+100", "0x10", "T1",
					   "1000,100000001", "99999999999999999999" };
	struct frontend_timing t1, t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		check(!frontend_timing_parse(good[i], &t), "model `%s' taken", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = (struct frontend_timing){ 7, 7 };
		check(frontend_timing_parse(bad[i], &t) && t.fixed_us == 7 && t.bps == 7,
		      "model `%s' refused, nothing set", bad[i]);
	}
	frontend_timing_parse("t1", &t1);
	check(t1.fixed_us == 1000 && t1.bps == 445000, "t1 is 1000 us at 445,000 bit/s");
	/*
	 * READ BINARY of 16 bytes: 5 bytes in, 18 out, one block each way:
	 * (5 + 4 + 18 + 4) characters x 12 etu + one turnaround of 22 etu =
	 * 394 etu = 885,393.3 ns at 445 kbit/s (rounded up), + 1 ms.
	 */
	check(frontend_timing_ns(&t1, 5, 18, 1) == 1885394,
	      "t1, 5 bytes in, 18 out: 1,885,394 ns (got %llu)",
	      (unsigned long long)frontend_timing_ns(&t1, 5, 18, 1));
	/* the same answered from memory (a T=0 piece): transfer only */
	check(frontend_timing_ns(&t1, 5, 18, 0) == 885394,
	      "t1, not run by the card library: 885,394 ns");
	/*
	 * Extended READ BINARY of 1,024 bytes: 7 in (one block), 1,026 out
	 * in 5 blocks of at most 254 (4 acknowledged by an R-block):
	 * 7 + 1026 + 4 x (1 + 5) + 4 x 4 = 1,073 characters = 12,876 etu,
	 * + 22 x (1 + 2 x 4) = 198 etu of turnarounds: 13,074 etu =
	 * 29,379,775.3 ns, + 1 ms.
	 */
	check(frontend_timing_ns(&t1, 7, 1026, 1) == 30379776,
	      "t1, 7 in, 1,026 out (5 blocks): 30,379,776 ns (got %llu)",
	      (unsigned long long)frontend_timing_ns(&t1, 7, 1026, 1));
	/* a 300-byte command: 2 blocks, one R-block from the card */
	check(frontend_timing_ns(&t1, 300, 2, 0) ==
	      ((300 + 2 + 4 * 3 + 4) * 12 + 22 * 3) * 1000000000ULL / 445000 + 1,
	      "t1, a chained command of 300 bytes: 2 blocks, an R-block, 3 turnarounds");
	t = (struct frontend_timing){ 500, 0 };
	check(frontend_timing_ns(&t, 5, 1026, 1) == 500000 &&
	      frontend_timing_ns(&t, 5, 1026, 0) == 0,
	      "without a bit rate: the fixed time only, and none for a piece from memory");
	t = (struct frontend_timing){ 0, 0 };
	check(frontend_timing_ns(&t, 65535, 65536, 1) == 0, "no model: no time");
}

/* --- the card process --------------------------------------------------- */

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	dup2(fd, 1);
	dup2(fd, 2);
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 0);
	execv(argv[0], argv);
	_exit(127);
}

static void stop(pid_t pid)
{
	int i, st;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static int read_exact(int fd, uint8_t *p, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (len) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* --- behind vpcd --------------------------------------------------------- */

static uint8_t rsp[70000];
static size_t rlen;

/* One vpcd frame out, one back; returns the ns between, 0 on failure. */
static uint64_t vpcd_xchg(int fd, const uint8_t *cmd, size_t len)
{
	static uint8_t buf[70000];
	uint8_t hdr[2];
	uint64_t t0;

	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, cmd, len);
	t0 = now_ns();
	if (send(fd, buf, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2) ||
	    read_exact(fd, hdr, 2, 10000))
		return 0;
	rlen = (size_t)hdr[0] << 8 | hdr[1];
	if (read_exact(fd, rsp, rlen, 10000))
		return 0;
	return now_ns() - t0;
}

/* A card on a vpcd port that this test listens on; fd: the connection. */
static pid_t vpcd_card(const char *latency, int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char port[16], *argv[9];
	struct pollfd pfd;
	int lfd, n = 0;
	pid_t pid;

	*fd = -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		check(0, "listen: %s", strerror(errno));
		return -1;
	}
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	argv[n++] = (char *)vcard_bin;
	argv[n++] = "--image";
	argv[n++] = img_path;
	argv[n++] = "--port";
	argv[n++] = port;
	if (latency) {
		argv[n++] = "--latency";
		argv[n++] = (char *)latency;
	}
	argv[n] = NULL;
	pid = spawn(argv);
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&pfd, 1, 10000) == 1)
		*fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (*fd < 0) {
		check(0, "the card did not connect (%s)", latency ? latency : "instant");
		stop(pid);
		return -1;
	}
	return pid;
}

struct cmd {
	const char *what;
	uint8_t apdu[8];
	size_t len, data;	/* data bytes in the answer */
};

static const struct cmd cmds[] = {
	{ "SELECT EF 0102 (no data back)", { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x02 }, 7, 0 },
	{ "READ BINARY 16", { 0x00, 0xB0, 0x00, 0x00, 0x10 }, 5, 16 },
	{ "READ BINARY 255", { 0x00, 0xB0, 0x00, 0x00, 0xFF }, 5, 255 },
	{ "extended READ BINARY 1024", { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x04, 0x00 }, 7, 1024 },
};

/* Each command REPEAT times: each answer right and at least the model. */
static void vpcd_timed(int fd, const char *model_s)
{
	struct frontend_timing t;
	uint64_t ns[REPEAT], want;
	size_t i, k;
	int right, slow;

	frontend_timing_parse(model_s, &t);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *c = &cmds[i];

		want = frontend_timing_ns(&t, c->len, c->data + 2, 1);
		right = slow = 1;
		for (k = 0; k < REPEAT; k++) {
			ns[k] = vpcd_xchg(fd, c->apdu, c->len);
			right &= ns[k] && rlen == c->data + 2 &&
				 rsp[rlen - 2] == 0x90 && rsp[rlen - 1] == 0x00 &&
				 (c->data < 2 || rsp[1] == 1);
			slow &= ns[k] >= want;
		}
		qsort(ns, REPEAT, sizeof(ns[0]), cmp_u64);
		check(right && slow,
		      "vpcd, --latency %s, %s: %d answers right, each at least the model's %.3f ms (fastest %.3f)",
		      model_s, c->what, REPEAT, want / 1e6, ns[0] / 1e6);
		printf("info: vpcd %s %s: model %.3f ms, median %.3f ms (+%.3f)\n",
		       model_s, c->what, want / 1e6, ns[REPEAT / 2] / 1e6,
		       (ns[REPEAT / 2] - (double)want) / 1e6);
	}
}

static void vpcd(void)
{
	static const uint8_t get_atr = 0x04;
	static const uint8_t rb16[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	static const uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x02 };
	struct frontend_timing t1;
	uint64_t ns[20], atr = UINT64_MAX, x;
	size_t k;
	int fd;
	pid_t pid;

	frontend_timing_parse("t1", &t1);
	pid = vpcd_card("20000,100000", &fd);
	if (pid < 0)
		return;
	for (k = 0; k < REPEAT; k++) {
		x = vpcd_xchg(fd, &get_atr, 1);
		if (x && rlen > 2 && x < atr)
			atr = x;
	}
	check(atr < 20000000ULL,
	      "vpcd, --latency 20000,100000: the ATR (a control message) is not delayed (fastest %.3f ms)",
	      atr / 1e6);
	vpcd_timed(fd, "20000,100000");
	close(fd);
	stop(pid);

	pid = vpcd_card("t1", &fd);
	if (pid < 0)
		return;
	vpcd_timed(fd, "t1");
	close(fd);
	stop(pid);

	/* the instant card: the delay above is the option's */
	pid = vpcd_card(NULL, &fd);
	if (pid < 0)
		return;
	vpcd_xchg(fd, sel, sizeof(sel));
	for (k = 0; k < 20; k++)
		ns[k] = vpcd_xchg(fd, rb16, sizeof(rb16));
	qsort(ns, 20, sizeof(ns[0]), cmp_u64);
	check(ns[0] && ns[0] < frontend_timing_ns(&t1, 5, 18, 1),
	      "vpcd, no --latency: READ BINARY 16 faster than t1's %.3f ms (fastest %.3f, median %.3f)",
	      frontend_timing_ns(&t1, 5, 18, 1) / 1e6, ns[0] / 1e6, ns[10] / 1e6);
	close(fd);
	stop(pid);
}

/* --- behind qemu's VSCard socket ----------------------------------------- */

static struct {
	uint32_t type, len;
	uint8_t data[65536];
} m;

static int vs_send(int fd, uint32_t type, const void *p, size_t len)
{
	static uint8_t buf[HDR_LEN + 70000];
	VSCMsgHeader h = { htonl(type), 0, htonl((uint32_t)len) };

	memcpy(buf, &h, HDR_LEN);
	if (len)
		memcpy(buf + HDR_LEN, p, len);
	return send(fd, buf, HDR_LEN + len, MSG_NOSIGNAL) == (ssize_t)(HDR_LEN + len) ? 0 : -1;
}

static int vs_recv(int fd, uint32_t type)
{
	VSCMsgHeader h;

	if (read_exact(fd, (uint8_t *)&h, HDR_LEN, 5000))
		return -1;
	m.type = ntohl(h.type);
	m.len = ntohl(h.length);
	if (m.len > sizeof(m.data) || read_exact(fd, m.data, m.len, 5000))
		return -1;
	return m.type == type ? 0 : -1;
}

/* One APDU; the ns from sent to answered, 0 on failure. */
static uint64_t vs_xchg(int fd, const uint8_t *cmd, size_t len)
{
	uint64_t t0 = now_ns();

	if (vs_send(fd, VSC_APDU, cmd, len) || vs_recv(fd, VSC_APDU))
		return 0;
	return now_ns() - t0;
}

static void vscard(void)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00 };
	VSCMsgInit init = { VSCARD_MAGIC, htonl(VSCARD_VERSION), { 0 } };
	VSCMsgError ok0 = { htonl(VSC_SUCCESS) };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *argv[] = { (char *)vcard_bin, "--image", img_path, "--vscard",
			 sock_path, "--latency", "20000,100000", NULL };
	struct frontend_timing t;
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	uint64_t a, b, wa, wb;
	size_t n;
	int fd = -1, i;
	pid_t pid;

	frontend_timing_parse("20000,100000", &t);
	pid = spawn(argv);
	strcpy(sa.sun_path, sock_path);
	for (i = 0; i < 500 && fd < 0; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			fd = -1;
			sleep_ms(10);
		}
	}
	if (fd < 0 || vs_recv(fd, VSC_Init) ||
	    vs_send(fd, VSC_Init, &init, sizeof(init)) || vs_recv(fd, VSC_ReaderAdd) ||
	    vs_send(fd, VSC_Error, &ok0, sizeof(ok0)) || vs_recv(fd, VSC_ATR) ||
	    vs_send(fd, VSC_Error, &ok0, sizeof(ok0))) {
		check(0, "vscard: no handshake with the card");
		goto out;
	}
	/* SELECT with Le: the FCP is kept, 61 xx; GET RESPONSE serves it */
	a = vs_xchg(fd, sel, sizeof(sel));
	if (!a || m.len != 2 || m.data[0] != 0x61) {
		check(0, "vscard: SELECT EF 0102 with Le: no 61 xx");
		goto out;
	}
	n = m.data[1];
	wa = frontend_timing_ns(&t, sizeof(sel), 2, 1);
	check(a >= wa, "vscard, --latency 20000,100000: SELECT -> 61 %02zX after %.3f ms, at least the model's %.3f",
	      n, a / 1e6, wa / 1e6);
	gr[4] = (uint8_t)n;
	b = vs_xchg(fd, gr, sizeof(gr));
	wb = frontend_timing_ns(&t, sizeof(gr), n + 2, 0);
	check(b && m.len == n + 2 && m.data[n] == 0x90 && b >= wb,
	      "vscard: GET RESPONSE from the front-end's memory after %.3f ms, at least its transfer time %.3f",
	      b / 1e6, wb / 1e6);
	printf("info: vscard GET RESPONSE %.3f ms, the model's fixed time is 20 ms (not charged)\n",
	       b / 1e6);
out:
	if (fd >= 0)
		close(fd);
	stop(pid);
}

int main(int argc, char **argv)
{
	char key_path[128];
	char *create[] = { NULL, "--create", "--image", img_path, "--mkey-file",
			   key_path, NULL };
	int fd, st;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "Usage: latency-test SMCHAN_VCARD\n");
		return 2;
	}
	vcard_bin = argv[1];
	create[0] = (char *)vcard_bin;
	signal(SIGPIPE, SIG_IGN);
	strcpy(dir, "/tmp/smchan-latency-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(img_path, sizeof(img_path), "%s/card.img", dir);
	snprintf(err_path, sizeof(err_path), "%s/card.err", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/card.sock", dir);
	snprintf(key_path, sizeof(key_path), "%s/key", dir);
	fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, key_hex, strlen(key_hex)) < 0)
		return 1;
	close(fd);
	pid = spawn(create);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "cannot create the card image\n");
		return 1;
	}

	model();
	vpcd();
	vscard();

	if (!failed) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			printf("info: %s left\n", dir);
	} else {
		printf("info: files in %s (the card's stderr in card.err)\n", dir);
	}
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
