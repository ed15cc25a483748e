// SPDX-License-Identifier: GPL-2.0
/*
 * scale-client: one of the N processes of tests/bench/scale.sh, one per
 * channel. Built by scale.sh (gcc, the uapi header only).
 *
 *   scale-client CHANNEL READY GO SECONDS SIZE
 *
 * Opens /dev/smchan, attaches to CHANNEL, SELECT FILE 0101 (which starts
 * the session), creates the file READY, then blocks opening the FIFO GO
 * for reading until scale.sh opens and closes it, so that every client
 * starts at once. Then READ BINARY of SIZE bytes (1..256) at offset 0,
 * one after the other, for SECONDS seconds, each answer checked: SIZE
 * bytes, (i mod 256) as the reference card's EF 0101 holds them, 90 00.
 * Prints one line:
 *
 *   client CHANNEL commands=N us=ELAPSED errors=E
 *
 * Exit 1 on any error (the line is still printed when the loop ran).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/smchan.h>

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}

static int xfer(int fd, const uint8_t *cmd, size_t len, uint8_t *rsp,
		size_t size)
{
	ssize_t n;

	if (write(fd, cmd, len) != (ssize_t)len)
		return -1;
	n = read(fd, rsp, size);
	return n < 0 ? -1 : (int)n;
}

int main(int argc, char **argv)
{
	static const uint8_t select[] = { 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x01, 0x01 };
	uint8_t rb[5] = { 0x00, 0xb0, 0x00, 0x00, 0x00 }, rsp[300];
	struct smchan_attach at;
	unsigned long count = 0, errors = 0;
	uint64_t t0, t1, end;
	int fd, go, n, i, size;
	char c;

	if (argc != 6) {
		fprintf(stderr, "usage: scale-client CHANNEL READY GO SECONDS SIZE\n");
		return 2;
	}
	size = atoi(argv[5]);
	if (size < 1 || size > 256 || strlen(argv[1]) >= sizeof(at.name))
		return 2;
	rb[4] = (uint8_t)size;
	fd = open("/dev/smchan", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("scale-client: /dev/smchan");
		return 1;
	}
	memset(&at, 0, sizeof(at));
	strcpy(at.name, argv[1]);
	if (ioctl(fd, SMCHAN_IOC_ATTACH, &at)) {
		fprintf(stderr, "scale-client: attach %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	n = xfer(fd, select, sizeof(select), rsp, sizeof(rsp));
	if (n != 2 || rsp[0] != 0x90 || rsp[1] != 0x00) {
		fprintf(stderr, "scale-client: %s: SELECT failed (%d: %s)\n", argv[1], n,
			n < 0 ? strerror(errno) : "unexpected answer");
		return 1;
	}
	n = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (n >= 0)
		close(n);
	go = open(argv[3], O_RDONLY | O_CLOEXEC);	/* blocks until GO */
	if (go < 0 || read(go, &c, 1) < 0)
		return 1;
	close(go);

	t0 = now_us();
	end = t0 + (uint64_t)atoi(argv[4]) * 1000000u;
	do {
		n = xfer(fd, rb, sizeof(rb), rsp, sizeof(rsp));
		if (n != size + 2 || rsp[size] != 0x90 || rsp[size + 1] != 0x00) {
			errors++;
			break;
		}
		for (i = 0; i < size; i++)
			if (rsp[i] != (uint8_t)i)
				break;
		if (i < size) {
			errors++;
			break;
		}
		count++;
		t1 = now_us();
	} while (t1 < end);
	printf("client %s commands=%lu us=%llu errors=%lu\n", argv[1], count,
	       (unsigned long long)(now_us() - t0), errors);
	return errors ? 1 : 0;
}
