// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-loopback: an smchan transport with the reference card in-process.
 *
 * Binds one or more channels over netlink (TRANSPORT_BIND) and answers
 * every TRANSMIT the kernel sends with vcard_process() on a card made
 * from the channel's master key: the whole relay of a real transport,
 * without PC/SC.  Each channel gets its own card.  Test knobs make it
 * misbehave on purpose; requests are numbered from 1 across all channels.
 *
 *   smchan-loopback [options] CHANNEL[=KEYFILE]...
 *
 *   -k, --key-file FILE   the card's MKEY for the channels without
 *                         "=KEYFILE" (hex, as smchan_read_key_file reads)
 *   --ready-file FILE     create FILE once every channel is bound
 *   --exit-after N        _exit(3) when request N arrives, unanswered
 *                         (a transport dying mid-command)
 *   --drop N              never answer request N (the kernel times out)
 *   --corrupt N           flip one bit of the response to request N
 *   --error N:ERRNO       answer request N with ERROR=ERRNO (e.g. 5:EIO)
 *   --answer-twice N      answer request N twice; logs the second result
 *   --bogus-reply N       after request N, answer an unknown request id;
 *                         logs the result
 *   --delay MS            wait MS before every answer
 *   --remove-after N      after answering request N, report the card
 *                         removed (CARD_STATUS 0), reset it, report it
 *                         present again
 *   SIGUSR1               report the card removed, reset it, report it
 *                         present again (between commands)
 *   --unbind-after N      after answering request N, TRANSPORT_UNBIND all
 *                         channels (and keep running, bound to none)
 *   --card-absent         report CARD_STATUS 0 at start and answer every
 *                         request with ERROR=ENXIO
 *   --fetch-61xx          fetch 61xx continuations itself (GET RESPONSE)
 *                         and return the whole answer
 *   --max N               exit 0 after N requests
 *   -q, --quiet           no per-APDU log
 *
 * One log line per APDU on stdout: channel, request number, CLA INS P1 P2,
 * lengths, the card's status word and what the card made of it (never a
 * key, never data).  SIGTERM and SIGINT end it cleanly (cards wiped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../card/vcard.h"
#include "../lib/smchan.h"

#define MAX_CH 64	/* tests/bench/scale.sh drives 64 */

struct chan {
	char name[SMCHAN_NAME_SIZE];
	const char *key_file;
	struct vcard *card;
};

static struct chan chans[MAX_CH];
static int nchans;
static unsigned long long reqno;
static unsigned long exit_after, drop, corrupt, error_at, answer_twice,
	bogus_after, remove_after, unbind_after, max_reqs;
static int error_errno, delay_ms, card_absent, fetch61, quiet;
static volatile sig_atomic_t stop, removal;
static uint8_t rsp[VCARD_RSP_MAX + 65536];

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		removal = 1;
	else
		stop = 1;
}

/* The card leaves and comes back: its session is over. */
static void remove_card(struct smchan_nl *h, struct chan *c);

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static struct chan *find(const char *name)
{
	int i;

	for (i = 0; i < nchans; i++)
		if (!strcmp(chans[i].name, name))
			return &chans[i];
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

/* vcard_process, and with --fetch-61xx the GET RESPONSEs after it. */
static size_t card_answer(struct chan *c, const uint8_t *apdu, size_t len)
{
	size_t n = vcard_process(c->card, apdu, len, rsp);

	while (fetch61 && n >= 2 && rsp[n - 2] == 0x61 &&
	       n - 2 + 256 + 2 <= sizeof(rsp)) {
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, rsp[n - 1] };
		size_t m = vcard_process(c->card, gr, sizeof(gr), rsp + n - 2);

		logf_("loopback: %s   (fetched GET RESPONSE: %zu bytes, sw %02X%02X)\n",
		      c->name, m, rsp[n - 2 + m - 2], rsp[n - 2 + m - 1]);
		n = n - 2 + m;
	}
	return n;
}

static void log_result(const char *what, int err, struct smchan_nl *h)
{
	printf("loopback: %s: %s%s%s%s\n", what, err ? smchan_errname(err) : "ok",
	       err && smchan_nl_last_error(h)[0] ? " (" : "",
	       err ? smchan_nl_last_error(h) : "",
	       err && smchan_nl_last_error(h)[0] ? ")" : "");
	fflush(stdout);
}

static int on_transmit(struct smchan_nl *h, const struct smchan_transmit *t,
		       void *arg)
{
	struct chan *c = find(t->channel);
	unsigned long long no = ++reqno;
	const struct vcard_event *ev;
	size_t n;
	int err;

	(void)arg;
	if (exit_after && no == exit_after) {
		printf("loopback: request %llu: exiting without an answer\n", no);
		fflush(stdout);
		_exit(3);
	}
	if (!c) {
		printf("loopback: request %llu for unknown channel %s\n", no, t->channel);
		fflush(stdout);
		return 0;
	}
	if (t->apdu_len >= 4)
		logf_("loopback: %s #%llu > %02X %02X %02X %02X (%zu bytes)",
		      c->name, no, t->apdu[0], t->apdu[1], t->apdu[2], t->apdu[3],
		      t->apdu_len);
	else
		logf_("loopback: %s #%llu > (%zu bytes)", c->name, no, t->apdu_len);
	if (drop && no == drop) {
		logf_(" dropped\n");
		return 0;
	}
	if (delay_ms)
		sleep_ms(delay_ms);
	if (card_absent || (error_at && no == error_at)) {
		uint32_t e = card_absent ? ENXIO : (uint32_t)error_errno;

		logf_(" error %s\n", smchan_errname((int)e));
		err = smchan_transport_error(h, c->name, t->request_id, e);
		if (err)
			log_result("transmit-done(error)", err, h);
		return 0;
	}
	n = card_answer(c, t->apdu, t->apdu_len);
	ev = vcard_last_event(c->card);
	logf_(" < %zu bytes sw %02X%02X (ins %02X mode %s", n, rsp[n - 2],
	      rsp[n - 1], ev->ins, ev->mode);
	if (ev->sm_n)
		logf_(" n=%llu", (unsigned long long)ev->sm_n);
	if (ev->inner_sw)
		logf_(" inner_sw=%04X", ev->inner_sw);
	logf_(")\n");
	if (corrupt && no == corrupt) {
		/* A bit inside the body (the MAC or the cryptogram), or of the
		 * status word of a bare answer. */
		rsp[n > 12 ? n - 12 : 0] ^= 0x01;
		logf_("loopback: %s #%llu corrupted\n", c->name, no);
	}
	err = smchan_transport_reply(h, c->name, t->request_id, rsp, n);
	if (err)
		log_result("transmit-done", err, h);
	if (answer_twice && no == answer_twice) {
		err = smchan_transport_reply(h, c->name, t->request_id, rsp, n);
		log_result("second answer", err, h);
	}
	if (bogus_after && no == bogus_after) {
		err = smchan_transport_reply(h, c->name, t->request_id + 1000000,
					     rsp, n);
		log_result("bogus request id", err, h);
	}
	if (remove_after && no == remove_after)
		remove_card(h, c);
	if (unbind_after && no == unbind_after) {
		int i;

		for (i = 0; i < nchans; i++) {
			err = smchan_transport_unbind(h, chans[i].name);
			log_result("unbind", err, h);
		}
	}
	if (max_reqs && no >= max_reqs)
		stop = 1;
	return 0;
}

static void remove_card(struct smchan_nl *h, struct chan *c)
{
	int err;

	err = smchan_card_status(h, c->name, false);
	log_result("card removed", err, h);
	vcard_reset(c->card);
	err = smchan_card_status(h, c->name, true);
	log_result("card present", err, h);
}

static int make_card(struct chan *c, const char *key_file)
{
	uint8_t key[32], *img = NULL;
	size_t klen = 0, ilen = 0;
	int err;

	err = smchan_read_key_file(key_file, key, &klen);
	if (err) {
		fprintf(stderr, "smchan-loopback: %s: %s\n", key_file,
			err == -EINVAL ? "not 32 or 64 hex digits" : smchan_strerror(err));
		return -1;
	}
	err = vcard_create_image(key, klen, &img, &ilen);
	smchan_wipe(key, sizeof(key));
	if (err || !img) {
		fprintf(stderr, "smchan-loopback: cannot create the card image\n");
		return -1;
	}
	c->card = vcard_new(img, ilen);
	smchan_wipe(img, ilen);
	free(img);
	if (!c->card) {
		fprintf(stderr, "smchan-loopback: cannot load the card image\n");
		return -1;
	}
	return 0;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "smchan-loopback: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: smchan-loopback [-k KEYFILE] [--ready-file F] [--exit-after N]\n"
		"       [--drop N] [--corrupt N] [--error N:ERRNO] [--answer-twice N]\n"
		"       [--bogus-reply N] [--delay MS] [--remove-after N] [--unbind-after N]\n"
		"       [--card-absent]\n"
		"       [--fetch-61xx] [--max N] [-q] CHANNEL[=KEYFILE]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "exit-after", required_argument, NULL, 'x' },
		{ "drop", required_argument, NULL, 'd' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "error", required_argument, NULL, 'e' },
		{ "answer-twice", required_argument, NULL, 't' },
		{ "bogus-reply", required_argument, NULL, 'b' },
		{ "delay", required_argument, NULL, 'D' },
		{ "remove-after", required_argument, NULL, 'R' },
		{ "card-absent", no_argument, NULL, 'A' },
		{ "unbind-after", required_argument, NULL, 'U' },
		{ "fetch-61xx", no_argument, NULL, 'F' },
		{ "max", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_file = NULL, *ready = NULL;
	struct smchan_nl *h;
	struct sigaction sa;
	int o, i, err, rc = 0;

	while ((o = getopt_long(argc, argv, "k:q", opts, NULL)) != -1) {
		switch (o) {
		case 'k': key_file = optarg; break;
		case 'r': ready = optarg; break;
		case 'x': exit_after = num(optarg); break;
		case 'd': drop = num(optarg); break;
		case 'c': corrupt = num(optarg); break;
		case 'e': {
			char *colon = strchr(optarg, ':');

			if (!colon)
				usage();
			*colon = '\0';
			error_at = num(optarg);
			error_errno = smchan_errno_parse(colon + 1);
			if (!error_errno)
				error_errno = (int)num(colon + 1);
			break;
		}
		case 't': answer_twice = num(optarg); break;
		case 'b': bogus_after = num(optarg); break;
		case 'D': delay_ms = (int)num(optarg); break;
		case 'R': remove_after = num(optarg); break;
		case 'A': card_absent = 1; break;
		case 'U': unbind_after = num(optarg); break;
		case 'F': fetch61 = 1; break;
		case 'm': max_reqs = num(optarg); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (optind >= argc || argc - optind > MAX_CH)
		usage();
	for (i = optind; i < argc; i++) {
		struct chan *c = &chans[nchans++];
		char *eq = strchr(argv[i], '=');

		if (eq)
			*eq = '\0';
		if (strlen(argv[i]) < 1 || strlen(argv[i]) >= SMCHAN_NAME_SIZE) {
			fprintf(stderr, "smchan-loopback: bad channel name '%s'\n", argv[i]);
			return 2;
		}
		strcpy(c->name, argv[i]);
		c->key_file = eq ? eq + 1 : key_file;
		if (!c->key_file) {
			fprintf(stderr, "smchan-loopback: no key file for %s\n", c->name);
			return 2;
		}
		if (make_card(c, c->key_file))
			return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	h = smchan_nl_open();
	if (!h) {
		fprintf(stderr, "smchan-loopback: netlink: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < nchans; i++) {
		err = smchan_transport_bind(h, chans[i].name);
		if (err) {
			fprintf(stderr, "smchan-loopback: bind %s: %s: %s%s%s\n",
				chans[i].name, smchan_errname(err), smchan_strerror(err),
				smchan_nl_last_error(h)[0] ? ": " : "",
				smchan_nl_last_error(h));
			smchan_nl_close(h);
			return 1;
		}
		printf("loopback: bound %s\n", chans[i].name);
		if (card_absent) {
			err = smchan_card_status(h, chans[i].name, false);
			log_result("card absent", err, h);
		}
	}
	fflush(stdout);
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}

	while (!stop) {
		if (removal) {
			removal = 0;
			for (i = 0; i < nchans; i++)
				remove_card(h, &chans[i]);
		}
		err = smchan_transport_poll(h, 200, on_transmit, NULL);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "smchan-loopback: %s: %s\n",
				smchan_errname(err), smchan_strerror(err));
			rc = 1;
			break;
		}
	}
	printf("loopback: exiting after %llu requests\n", reqno);
	smchan_nl_close(h);
	for (i = 0; i < nchans; i++)
		vcard_free(chans[i].card);
	return rc;
}
