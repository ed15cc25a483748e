// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * smchan-example: an application using /dev/smchan directly.
 *
 *   smchan-example CHANNEL
 *
 * Selects EF 0103, writes 16 bytes, reads them back and prints them.  The
 * application sends plain APDUs; the kernel protects each one with a new
 * session key and checks the answer.  Build:
 *   cc -I<smchan>/kernel/include/uapi -o smchan-example smchan-example.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/smchan.h>

/* One command: write it, read R || SW1 SW2. Returns the answer's length,
 * or -1 with errno set (EPIPE: no relay; ENOMEDIUM: no card; EBADMSG: the
 * answer failed verification, the session has ended...). */
static ssize_t transmit(int fd, const unsigned char *cmd, size_t len,
			unsigned char *rsp, size_t size)
{
	if (write(fd, cmd, len) != (ssize_t)len)
		return -1;
	return read(fd, rsp, size);
}

int main(int argc, char **argv)
{
	static const unsigned char select_ef[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x03 };
	static const unsigned char read_16[] = { 0x00, 0xB0, 0x00, 0xE0, 0x10 };
	unsigned char write_16[5 + 16] = { 0x00, 0xD6, 0x00, 0xE0, 0x10 };
	unsigned char rsp[65538];
	struct smchan_attach at;
	ssize_t n;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(at.name)) {
		fprintf(stderr, "usage: smchan-example CHANNEL\n");
		return 2;
	}
	fd = open("/dev/smchan", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("Unable to open /dev/smchan");
		return 1;
	}
	memset(&at, 0, sizeof(at));
	strcpy(at.name, argv[1]);
	if (ioctl(fd, SMCHAN_IOC_ATTACH, &at)) {
		perror("Unable to attach to the channel");
		return 1;
	}
	memcpy(write_16 + 5, "example: it work", 16);

	n = transmit(fd, select_ef, sizeof(select_ef), rsp, sizeof(rsp));
	if (n < 2 || rsp[n - 2] != 0x90) {
		fprintf(stderr, "SELECT FILE failed: %s\n", n < 0 ? strerror(errno) : "status word");
		return 1;
	}
	n = transmit(fd, write_16, sizeof(write_16), rsp, sizeof(rsp));
	if (n < 2 || rsp[n - 2] != 0x90) {
		fprintf(stderr, "UPDATE BINARY failed: %s\n", n < 0 ? strerror(errno) : "status word");
		return 1;
	}
	n = transmit(fd, read_16, sizeof(read_16), rsp, sizeof(rsp));
	if (n != 18 || rsp[16] != 0x90 || rsp[17] != 0x00) {
		fprintf(stderr, "READ BINARY failed: %s\n", n < 0 ? strerror(errno) : "answer");
		return 1;
	}
	printf("read back: %.16s\n", (const char *)rsp);
	memset(rsp, 0, sizeof(rsp));	/* wipe what the card said */
	close(fd);
	return 0;
}
