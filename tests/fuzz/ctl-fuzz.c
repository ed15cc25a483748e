// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target "ctl": smchanctl's parsing of its arguments and key files.
 * userspace/smchanctl/channel.c is included (its parse_cfg(), check_name(),
 * parse_u32() are static); smchanctl.c is built with -Dmain=smchanctl_main
 * and gets the whole argument vector. Nothing reaches the system: open_nl()
 * and syscall() (add_key) fail here as without the module, "relay" and
 * "monitor" are not run (they would daemonise or wait for events),
 * SMCHAN_DEVICE names a device that does not exist, and every value after
 * "key-file" (including "-", standard input) is replaced with a private
 * 0600 file that holds the input's key-file bytes.
 *
 * Input: [len_hi len_lo] key-file bytes, then the arguments after
 * "smchanctl", separated by NUL bytes (at most 64).
 * Oracles: parse_cfg() accepts only what the kernel can take (names and
 * strings NUL-terminated and short enough, 16- or 32-byte keys); a key
 * file that reads (secret_read_key(), smchan_read_key_file()) is 16 or
 * 32 bytes; parse_hex() stays inside its buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>
#include "../../userspace/smchanctl/smchanctl.h"

static struct smchan_nl *fuzz_open_nl(bool events)
{
	(void)events;
	errno = ENOENT;
	return NULL;
}

static long fuzz_syscall(long nr, ...)
{
	(void)nr;
	errno = EPERM;
	return -1;
}

#define open_nl(e) fuzz_open_nl(e)
#define syscall(...) fuzz_syscall(__VA_ARGS__)
#include "../../userspace/smchanctl/channel.c"
#undef syscall
#undef open_nl

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

int smchanctl_main(int argc, char **argv);

static char keydir[64], keypath[80];

static void cleanup(void)
{
	unlink(keypath);
	rmdir(keydir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/dev/shm/smchan-fuzz-ctl.XXXXXX";

	(void)argc;
	(void)argv;
	CHECK(mkdtemp(dir));
	snprintf(keydir, sizeof(keydir), "%s", dir);
	snprintf(keypath, sizeof(keypath), "%s/key", dir);
	atexit(cleanup);
	__sanitizer_set_death_callback(cleanup);	/* a crash too */
	setenv("SMCHAN_DEVICE", "/nonexistent/smchan", 1);
	/* The program's own messages go nowhere; sanitizer reports and
	 * libFuzzer's still go to file descriptor 2. */
	stdout = fopen("/dev/null", "w");
	stderr = stdout;
	return 0;
}

static void write_key(const uint8_t *p, size_t n)
{
	int fd = open(keypath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smchan_channel_cfg cfg;
	char *argv[66], *args;
	uint8_t key[32], hex[64];
	size_t klen, n, len;
	int argc = 1, i;
	long h;

	if (size < 2)
		return 0;
	klen = (size_t)data[0] << 8 | data[1];
	if (klen > size - 2)
		klen = size - 2;
	write_key(data + 2, klen);
	len = size - 2 - klen;
	args = malloc(len + 1);		/* the arguments, each NUL-terminated */
	memcpy(args, data + 2 + klen, len);
	args[len] = '\0';
	argv[0] = (char *)"smchanctl";
	for (n = 0; n < len && argc < 65; n += strlen(args + n) + 1)
		argv[argc++] = args + n;
	argv[argc] = NULL;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i - 1], "key-file"))
			argv[i] = keypath;

	/* The pieces on their own. */
	if (!smchan_parse_key_hex((const char *)data + 2, klen, key, &n))
		CHECK(n == 16 || n == 32);
	if (!smchan_read_key_file(keypath, key, &n))
		CHECK(n == 16 || n == 32);
	for (i = 1; i < argc; i++) {
		h = parse_hex(argv[i], hex, sizeof(hex));
		CHECK(h >= -1 && h <= (long)sizeof(hex));
		smchan_errno_parse(argv[i]);
	}
	if (argc > 1)
		check_name(argv[1]);
	memset(&cfg, 0, sizeof(cfg));
	if (argc > 2 && !parse_cfg(argc - 2, argv + 2, &cfg)) {
		if (cfg.present & SMCHAN_CFG_MKEY)
			CHECK(cfg.mkey_len == 16 || cfg.mkey_len == 32);
		if (cfg.present & SMCHAN_CFG_READER)
			CHECK(cfg.reader[0] && strlen(cfg.reader) < SMCHAN_READER_SIZE);
		if (cfg.present & SMCHAN_CFG_KEYRING)
			CHECK(cfg.keyring[0] && strlen(cfg.keyring) < SMCHAN_KEYDESC_SIZE);
		CHECK(!(cfg.present & SMCHAN_CFG_MODE) || (cfg.mode >= 1 && cfg.mode <= 4));
	}

	/* The whole program, but for what waits or daemonises. */
	if (argc < 2 || (strcmp(argv[1], "relay") && strcmp(argv[1], "monitor")))
		smchanctl_main(argc, argv);
	free(args);
	return 0;
}
