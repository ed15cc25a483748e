// SPDX-License-Identifier: GPL-2.0
/*
 * lib-test: the parts of libsmchan that need no kernel module: the key-file
 * reader, the names, the error numbering, and opening the family where it
 * is not registered.  Prints "RESULT <passed> <failed>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/errno.h>

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

int main(void)
{
	keys();
	names();
	family();
	printf("RESULT %d %d\n", passed, failed);
	return failed != 0;
}
