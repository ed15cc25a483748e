// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-nl: a thin command-line client of libsmchan for the tests.
 * (The administrator's tool is smchanctl; this one exposes every request
 * as it is, including the ones a well-behaved tool never sends.)
 *
 *   smchan-nl [--expect ERRNO] [--raw FILE] COMMAND [ARGS]
 *
 *   new|set NAME [mode M] [suite S] [group N] [rekey N] [timeout MS]
 *                [auto 0|1] [key-file F] [keyring DESC] [reader R]
 *   del NAME | get NAME | dump
 *   start NAME | stop NAME
 *   bind NAME [hold SECONDS]    bind, then keep the socket open
 *   unbind NAME
 *   card NAME 0|1               CARD_STATUS
 *   done NAME ID HEX|error:ERRNO  TRANSMIT_DONE from this (unbound) socket
 *   events [count N] [timeout MS] [ready-file F]
 *
 * get, dump, new and set print one line per channel:
 *   channel NAME mode=ratchet suite=aes128 ... state=idle n=0 transport=0
 *           commands=0 sm_failures=0 sessions=0 reinits=0
 * events prints "event NAME TYPE[ reason=R][ id=N][ error=ENAME]" per
 * event (id: the SESSION_START that asked for a session-up/-failed).
 *
 * A failure prints "smchan-nl: CMD: ENAME: text[: extack]" and exits 1.
 * --expect ENAME turns that around: exit 0 (printing "ok err:ENAME")
 * only if the command fails with ENAME.  --raw appends the raw bytes of
 * every netlink message received to FILE (tests grep it for key bytes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/smchan.h"

static FILE *raw;
static int expect;

static void usage(void)
{
	fprintf(stderr, "usage: smchan-nl [--expect ERRNO] [--raw FILE] COMMAND [ARGS]\n"
		"  (see the comment at the top of userspace/tests/nl-client.c)\n");
	exit(2);
}

static void trace(const void *msg, size_t len, void *arg)
{
	(void)arg;
	if (raw) {
		fwrite(msg, 1, len, raw);
		fflush(raw);
	}
}

static int finish(const char *cmd, int err, struct smchan_nl *h)
{
	if (expect) {
		if (err == -expect) {
			printf("ok err:%s %s%s%s\n", smchan_errname(expect), cmd,
			       h && smchan_nl_last_error(h)[0] ? ": " : "",
			       h ? smchan_nl_last_error(h) : "");
			return 0;
		}
		fprintf(stderr, "smchan-nl: %s: expected %s, got %s%s%s\n", cmd,
			smchan_errname(expect), err ? smchan_errname(err) : "success",
			h && err && smchan_nl_last_error(h)[0] ? ": " : "",
			h && err ? smchan_nl_last_error(h) : "");
		return 1;
	}
	if (!err)
		return 0;
	fprintf(stderr, "smchan-nl: %s: %s: %s%s%s\n", cmd, smchan_errname(err),
		smchan_strerror(err), h && smchan_nl_last_error(h)[0] ? ": " : "",
		h ? smchan_nl_last_error(h) : "");
	return 1;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	if (!s)
		usage();
	v = strtoul(s, &end, 0);
	if (!*s || *end)
		usage();
	return v;
}

static int print_info(const struct smchan_channel_info *i, void *arg)
{
	(void)arg;
	printf("channel %s", i->name);
	if (i->present & SMCHAN_INFO_MODE)
		printf(" mode=%s", smchan_mode_name(i->mode));
	if (i->present & SMCHAN_INFO_SUITE)
		printf(" suite=%s", smchan_suite_name(i->suite));
	if (i->present & SMCHAN_INFO_GROUP_SIZE)
		printf(" group=%u", i->group_size);
	if (i->present & SMCHAN_INFO_REKEY_LIMIT)
		printf(" rekey=%u", i->rekey_limit);
	if (i->present & SMCHAN_INFO_TIMEOUT_MS)
		printf(" timeout=%u", i->timeout_ms);
	if (i->present & SMCHAN_INFO_AUTO_ESTABLISH)
		printf(" auto=%u", i->auto_establish);
	if (i->present & SMCHAN_INFO_KEY_SOURCE)
		printf(" key=%s", smchan_key_source_name(i->key_source));
	if (i->present & SMCHAN_INFO_KEYRING)
		printf(" keyring=%s", i->keyring);
	if (i->present & SMCHAN_INFO_READER)
		printf(" reader=%s", i->reader);
	printf(" weak=%d", i->weak);
	if (i->present & SMCHAN_INFO_STATE)
		printf(" state=%s", smchan_state_name(i->state));
	if (i->present & SMCHAN_INFO_ERROR)
		printf(" error=%s", smchan_errname(-(int)i->error));
	if (i->present & SMCHAN_INFO_N)
		printf(" n=%llu", (unsigned long long)i->n);
	if (i->present & SMCHAN_INFO_TRANSPORT)
		printf(" transport=%u", i->transport);
	if (i->present & SMCHAN_INFO_STATS)
		printf(" commands=%llu sm_failures=%llu sessions=%llu reinits=%llu",
		       (unsigned long long)i->stats.commands,
		       (unsigned long long)i->stats.sm_failures,
		       (unsigned long long)i->stats.sessions,
		       (unsigned long long)i->stats.reinits);
	if (i->present & SMCHAN_INFO_MKEY)
		printf(" MKEY-RETURNED");
	putchar('\n');
	fflush(stdout);
	return 0;
}

static int parse_cfg(struct smchan_channel_cfg *c, char **a, int n)
{
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		const char *k = a[i], *v = a[i + 1];

		if (!strcmp(k, "mode")) {
			c->mode = (uint8_t)smchan_mode_parse(v);
			if (!c->mode)
				c->mode = (uint8_t)num(v);	/* raw values too */
			c->present |= SMCHAN_CFG_MODE;
		} else if (!strcmp(k, "suite")) {
			c->suite = (uint8_t)smchan_suite_parse(v);
			if (!c->suite)
				c->suite = (uint8_t)num(v);
			c->present |= SMCHAN_CFG_SUITE;
		} else if (!strcmp(k, "group")) {
			c->group_size = (uint8_t)num(v);
			c->present |= SMCHAN_CFG_GROUP_SIZE;
		} else if (!strcmp(k, "rekey")) {
			c->rekey_limit = (uint32_t)num(v);
			c->present |= SMCHAN_CFG_REKEY_LIMIT;
		} else if (!strcmp(k, "timeout")) {
			c->timeout_ms = (uint32_t)num(v);
			c->present |= SMCHAN_CFG_TIMEOUT_MS;
		} else if (!strcmp(k, "auto")) {
			c->auto_establish = (uint8_t)num(v);
			c->present |= SMCHAN_CFG_AUTO_ESTABLISH;
		} else if (!strcmp(k, "key-file")) {
			int err = smchan_read_key_file(v, c->mkey, &c->mkey_len);

			if (err) {
				fprintf(stderr, "smchan-nl: %s: %s\n", v,
					err == -EINVAL ? "not 32 or 64 hex digits"
						       : smchan_strerror(err));
				exit(1);
			}
			c->present |= SMCHAN_CFG_MKEY;
		} else if (!strcmp(k, "keyring")) {
			snprintf(c->keyring, sizeof(c->keyring), "%s", v);
			c->present |= SMCHAN_CFG_KEYRING;
		} else if (!strcmp(k, "reader")) {
			snprintf(c->reader, sizeof(c->reader), "%s", v);
			c->present |= SMCHAN_CFG_READER;
		} else {
			usage();
		}
	}
	if (i != n)
		usage();
	return 0;
}

static int on_event(const struct smchan_event_msg *ev, void *arg)
{
	(void)arg;
	printf("event %s %s", ev->channel, smchan_event_name(ev->event));
	if (ev->has_end_reason)
		printf(" reason=%s", smchan_end_reason_name(ev->end_reason));
	if (ev->has_request_id)
		printf(" id=%llu", (unsigned long long)ev->request_id);
	if (ev->has_error)
		printf(" error=%s", smchan_errname(-(int)ev->error));
	putchar('\n');
	fflush(stdout);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int events(struct smchan_nl *h, char **a, int n)
{
	long count = -1, timeout = -1, seen = 0;
	const char *ready = NULL;
	long long deadline;
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		if (!strcmp(a[i], "count"))
			count = (long)num(a[i + 1]);
		else if (!strcmp(a[i], "timeout"))
			timeout = (long)num(a[i + 1]);
		else if (!strcmp(a[i], "ready-file"))
			ready = a[i + 1];
		else
			usage();
	}
	if (i != n)
		usage();
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	deadline = timeout < 0 ? -1 : now_ms() + timeout;
	while (count < 0 || seen < count) {
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		int r;

		if (deadline >= 0 && left <= 0)
			break;
		r = smchan_events_recv(h, (int)left, on_event, NULL);
		if (r < 0)
			return r;
		seen += r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct smchan_channel_info info;
	struct smchan_nl *h;
	const char *cmd;
	int i = 1, err = 0;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--expect") && i + 1 < argc) {
			expect = smchan_errno_parse(argv[i + 1]);
			if (!expect)
				usage();
			i += 2;
		} else if (!strcmp(argv[i], "--raw") && i + 1 < argc) {
			raw = fopen(argv[i + 1], "ae");
			if (!raw) {
				perror(argv[i + 1]);
				return 1;
			}
			i += 2;
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	cmd = argv[i++];
	h = !strcmp(cmd, "events") ? smchan_events_open() : smchan_nl_open();
	if (!h)
		return finish("open", -errno, NULL);
	smchan_nl_set_trace(h, trace, NULL);

	if (!strcmp(cmd, "new") || !strcmp(cmd, "set")) {
		struct smchan_channel_cfg c;

		if (i >= argc)
			usage();
		memset(&c, 0, sizeof(c));
		snprintf(c.name, sizeof(c.name), "%s", argv[i]);
		parse_cfg(&c, argv + i + 1, argc - i - 1);
		memset(&info, 0, sizeof(info));
		err = !strcmp(cmd, "new") ? smchan_channel_new(h, &c, &info)
					  : smchan_channel_set(h, &c, &info);
		smchan_wipe(&c, sizeof(c));
		if (!err && info.name[0])
			print_info(&info, NULL);
	} else if (!strcmp(cmd, "get") && i + 1 == argc) {
		err = smchan_channel_get(h, argv[i], &info);
		if (!err)
			print_info(&info, NULL);
	} else if (!strcmp(cmd, "dump") && i == argc) {
		err = smchan_channel_dump(h, print_info, NULL);
	} else if (!strcmp(cmd, "del") && i + 1 == argc) {
		err = smchan_channel_del(h, argv[i]);
	} else if (!strcmp(cmd, "start") && i + 1 == argc) {
		err = smchan_session_start(h, argv[i]);
	} else if (!strcmp(cmd, "stop") && i + 1 == argc) {
		err = smchan_session_stop(h, argv[i]);
	} else if (!strcmp(cmd, "unbind") && i + 1 == argc) {
		err = smchan_transport_unbind(h, argv[i]);
	} else if (!strcmp(cmd, "bind") && (i + 1 == argc ||
		   (i + 3 == argc && !strcmp(argv[i + 1], "hold")))) {
		err = smchan_transport_bind(h, argv[i]);
		if (!err) {
			printf("bound %s\n", argv[i]);
			fflush(stdout);
			sleep(i + 3 == argc ? (unsigned int)num(argv[i + 2]) : 0);
		}
	} else if (!strcmp(cmd, "card") && i + 2 == argc) {
		err = smchan_card_status(h, argv[i], num(argv[i + 1]) != 0);
	} else if (!strcmp(cmd, "done") && i + 3 == argc) {
		uint64_t id = strtoull(argv[i + 1], NULL, 0);
		const char *v = argv[i + 2];

		if (!strncmp(v, "error:", 6)) {
			int e = smchan_errno_parse(v + 6);

			err = smchan_transport_error(h, argv[i], id,
						     (uint32_t)(e ? e : (int)num(v + 6)));
		} else {
			uint8_t rsp[512];
			size_t n = 0;

			while (v[0] && v[1] && n < sizeof(rsp)) {
				unsigned int b;

				if (sscanf(v, "%2x", &b) != 1)
					usage();
				rsp[n++] = (uint8_t)b;
				v += 2;
			}
			err = smchan_transport_reply(h, argv[i], id, rsp, n);
		}
	} else if (!strcmp(cmd, "events")) {
		err = events(h, argv + i, argc - i);
	} else {
		usage();
	}
	i = finish(cmd, err, h);
	smchan_nl_close(h);
	if (raw)
		fclose(raw);
	return i;
}
