// SPDX-License-Identifier: GPL-2.0
/*
 * Crash test: smchan-vcard is killed with SIGKILL while it writes, over and
 * over; its image must always hold the old or the new content, never a
 * torn mix, and must always load.
 *
 * This program plays vpcd (it listens, the card connects, the vpcd
 * framing), so no pcscd is needed.  Every write replaces all 4096 bytes of
 * EF 0102 with a generation pattern (the generation number, then its low
 * byte repeated); after each kill, the image must parse (structure and
 * CRC) and EF 0102 must be generation g or g+1, where g is the last write
 * the card acknowledged.
 *
 * Before the kills, a symlink is planted at IMAGE.tmp: after a write the
 * file it points to must still be empty and the image a regular file.
 *
 *   crash-test SMCHAN_VCARD [ITERATIONS]
 * Prints "RESULT <passed> <failed>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../card/fs.h"

#define EF_SIZE 4096

static char img_path[256], key_path[256], port_str[16];
static const char *vcard;

static void pattern(uint32_t g, uint8_t *p)
{
	memset(p, (uint8_t)g, EF_SIZE);
	p[0] = (uint8_t)(g >> 24);
	p[1] = (uint8_t)(g >> 16);
	p[2] = (uint8_t)(g >> 8);
	p[3] = (uint8_t)g;
}

/* The generation EF 0102 holds, or -1 if the image is bad or torn. */
static long image_generation(void)
{
	static uint8_t buf[1 << 20], want[EF_SIZE];
	const struct vc_file *f;
	struct vc_fs fs;
	size_t len;
	long g = -1;
	FILE *fp = fopen(img_path, "rb");

	if (!fp)
		return -1;
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	if (vc_fs_parse(&fs, buf, len))
		return -1;
	f = vc_fs_lookup(&fs, 0x0102);
	if (f && f->size == EF_SIZE) {
		uint32_t c = (uint32_t)f->data[0] << 24 | f->data[1] << 16 |
			     f->data[2] << 8 | f->data[3];

		pattern(c, want);
		if (!memcmp(want, f->data, EF_SIZE))
			g = (long)c;
		else if (f->data[4] == 4)	/* never written: i mod 256 */
			g = 0;
	}
	vc_fs_free(&fs);
	return g;
}

static pid_t spawn_card(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(vcard, vcard, "--image", img_path, "--port", port_str,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int send_apdu(int fd, const uint8_t *apdu, size_t len)
{
	uint8_t frame[8200];

	frame[0] = (uint8_t)(len >> 8);
	frame[1] = (uint8_t)len;
	memcpy(frame + 2, apdu, len);
	return send(fd, frame, len + 2, MSG_NOSIGNAL) == (ssize_t)(len + 2) ? 0 : -1;
}

/* Reads one framed answer within 5 s; returns its SW or -1. */
static int recv_sw(int fd)
{
	uint8_t buf[300];
	size_t got = 0, want = 2;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (got < want) {
		if (poll(&p, 1, 5000) != 1)
			return -1;
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got >= 2)
			want = 2 + ((size_t)buf[0] << 8 | buf[1]);
		if (want > sizeof(buf))
			return -1;
	}
	return buf[want - 2] << 8 | buf[want - 1];
}

/* One UPDATE BINARY of EF 0102 with generation g; returns its SW or -1. */
static int write_generation(int fd, uint8_t *apdu, uint32_t g)
{
	uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x02 };
	size_t len = 0;

	if (send_apdu(fd, sel, sizeof(sel)) || recv_sw(fd) != 0x9000)
		return -1;
	apdu[len++] = 0x00;
	apdu[len++] = 0xD6;
	apdu[len++] = 0x00;
	apdu[len++] = 0x00;
	apdu[len++] = 0x00;
	apdu[len++] = EF_SIZE >> 8;
	apdu[len++] = EF_SIZE & 0xFF;
	pattern(g, apdu + len);
	len += EF_SIZE;
	if (send_apdu(fd, apdu, len))
		return -1;
	return recv_sw(fd);
}

/* A symlink at IMAGE.tmp to an empty file: a write must not go there. */
static int planted_symlink(int ls, uint8_t *apdu, const char *dir)
{
	char tmp[300], victim[300];
	struct pollfd p = { .fd = ls, .events = POLLIN };
	struct stat st;
	int fd, sw = -1, ok;
	long g0 = image_generation();
	pid_t pid;

	snprintf(tmp, sizeof(tmp), "%s.tmp", img_path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || symlink(victim, tmp)) {
		perror("crash-test: Unable to plant the symlink");
		return 0;
	}
	pid = spawn_card();
	if (poll(&p, 1, 5000) == 1) {
		fd = accept(ls, NULL, NULL);
		sw = write_generation(fd, apdu, (uint32_t)g0 + 1);
		close(fd);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	ok = !stat(victim, &st) && st.st_size == 0 && !lstat(img_path, &st) &&
	     S_ISREG(st.st_mode) &&
	     image_generation() == (sw == 0x9000 ? g0 + 1 : g0);
	printf("%s: with a symlink planted at IMAGE.tmp the write answered %04X, the target holds %lld bytes, the image is %s, generation %ld\n",
	       ok ? "ok" : "FAIL", (unsigned int)sw,
	       stat(victim, &st) ? -1LL : (long long)st.st_size,
	       !lstat(img_path, &st) && S_ISREG(st.st_mode) ? "a file" : "not a file",
	       image_generation());
	unlink(tmp);
	unlink(victim);
	return ok;
}

int main(int argc, char **argv)
{
	static uint8_t apdu[EF_SIZE + 16];
	uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x02 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	int iters = argc > 2 ? atoi(argv[2]) : 300, passed = 0, failed = 0;
	int ls, one = 1, i, k, writes = 0, inflight_kills = 0;
	long acked = 0, found;
	char dir[] = "/tmp/smchan-crash.XXXXXX", cmd[1024];
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: crash-test SMCHAN_VCARD [ITERATIONS]\n");
		return 2;
	}
	vcard = argv[1];
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	if (!mkdtemp(dir))
		return 2;
	snprintf(img_path, sizeof(img_path), "%s/img", dir);
	snprintf(key_path, sizeof(key_path), "%s/key", dir);
	k = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	f = k < 0 ? NULL : fdopen(k, "w");
	if (!f)
		return 2;
	fprintf(f, "00112233445566778899aabbccddeeff\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s --create --image %s --mkey-file %s",
		 vcard, img_path, key_path);
	if (system(cmd)) {
		fprintf(stderr, "cannot create the image\n");
		printf("RESULT 0 1\n");
		return 1;
	}
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &salen)) {
		perror("Unable to listen");
		return 2;
	}
	snprintf(port_str, sizeof(port_str), "%d", ntohs(sa.sin_port));
	if (planted_symlink(ls, apdu, dir))
		passed++;
	else
		failed++;
	acked = image_generation();

	for (i = 0; i < iters; i++) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		pid_t pid = spawn_card();
		int fd, sw, killed = 0, n = 1 + rand() % 4;

		if (poll(&p, 1, 5000) != 1) {
			fprintf(stderr, "iteration %d: the card did not connect\n", i);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			failed++;
			continue;
		}
		fd = accept(ls, NULL, NULL);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		send_apdu(fd, sel, sizeof(sel));
		sw = recv_sw(fd);
		/* n writes; the last one is killed after 0..800 us */
		for (k = 0; k < n && sw == 0x9000; k++) {
			size_t len = 0;

			apdu[len++] = 0x00;
			apdu[len++] = rand() % 2 ? 0xD6 : 0xD0;
			apdu[len++] = 0x00;
			apdu[len++] = 0x00;
			apdu[len++] = 0x00;
			apdu[len++] = EF_SIZE >> 8;
			apdu[len++] = EF_SIZE & 0xFF;
			pattern((uint32_t)(acked + 1), apdu + len);
			len += EF_SIZE;
			if (send_apdu(fd, apdu, len))
				break;
			writes++;
			if (k == n - 1) {
				struct timespec ts = { 0, (rand() % 800) * 1000L };

				nanosleep(&ts, NULL);
				kill(pid, SIGKILL);
				killed = 1;
				break;
			}
			sw = recv_sw(fd);
			if (sw == 0x9000)
				acked++;
		}
		if (!killed)
			kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		found = image_generation();
		if (found == acked || found == acked + 1) {
			passed++;
			if (found == acked + 1)
				inflight_kills++;
			acked = found;
		} else {
			fprintf(stderr, "iteration %d: image generation %ld, expected %ld or %ld\n",
				i, found, acked, acked + 1);
			failed++;
			if (found < 0)
				break;	/* the image is gone: stop here */
			acked = found;
		}
	}
	close(ls);
	printf("info: %d kills, %d writes sent, %d killed writes had landed, last generation %ld\n",
	       iters, writes, inflight_kills, acked);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (!failed && system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
