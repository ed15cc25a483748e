// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-vcard: the smchan reference card behind vsmartcard's vpcd, or
 * behind qemu's usb-ccid reader (ccid-card-passthru, VSCard protocol).
 *
 *   smchan-vcard --image FILE [--port N] [--host ADDR] [--log FILE]
 *                [--demo-log FILE] [--latency MODEL]
 *   smchan-vcard --image FILE --vscard SOCKET [--control FIFO] [--log FILE]
 *                [--demo-log FILE] [--latency MODEL]
 *   smchan-vcard --create --image FILE --mkey-file FILE|- [--suite S]
 *
 * Keys come from a file or stdin as hex text, never from argv.
 *
 * Test facility: SMCHAN_VCARD_KEYLOG=FILE writes every key of the card
 * to FILE, a new file (keylog.h); tests/hygiene/ uses it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../card/vcard.h"
#include "image.h"
#include "frontend.h"
#include "keylog.h"
#include "secret.h"
#include "vpcd.h"
#include "vscard.h"

#define VERSION "1.0"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: smchan-vcard --image FILE [--port N] [--host ADDR] [--log FILE]\n"
		"                    [--demo-log FILE]   (demonstrations only)\n"
		"                    [--latency t1|US|US,BPS]   (a real card's timing)\n"
		"       smchan-vcard --image FILE --vscard SOCKET [--control FIFO] [--log FILE]\n"
		"                    [--demo-log FILE] [--latency t1|US|US,BPS]\n"
		"       smchan-vcard --create --image FILE --mkey-file FILE|- [--suite aes128|aes256]\n"
		"       smchan-vcard --help | --version\n");
}

/* Reads 32 or 64 hex digits (white space around them ignored). */
static int read_key(const char *path, uint8_t key[32], size_t *klen)
{
	int ret = secret_read_key(path, key, klen);

	if (ret)
		secret_failed("smchan-vcard", "key file", path, ret);
	return ret;
}

static int create(const char *image, const char *mkey_file, const char *suite)
{
	uint8_t key[32], *img = NULL;
	size_t klen, len;
	int ret;

	if (read_key(mkey_file, key, &klen))
		return 1;
	if (suite && strcmp(suite, klen == 16 ? "aes128" : "aes256")) {
		fprintf(stderr, "smchan-vcard: suite `%s' does not match a %zu-byte MKEY\n",
			suite, klen);
		explicit_bzero(key, sizeof(key));
		return 1;
	}
	ret = vcard_create_image(key, klen, &img, &len);
	explicit_bzero(key, sizeof(key));
	if (ret) {
		fprintf(stderr, "smchan-vcard: Unable to build the image (all-zero MKEY?)\n");
		return 1;
	}
	ret = image_write(image, img, len, 1);
	explicit_bzero(img, len);
	free(img);
	if (ret) {
		fprintf(stderr, "smchan-vcard: Unable to create `%s': %s\n",
			image, strerror(-ret));
		return 1;
	}
	return 0;
}

/* Where the card is served: vpcd at host:port, or qemu on vscard. */
struct where {
	const char *host, *vscard, *control;
	int port;
};

static int run(const char *image, const struct where *w,
	       const char *log_path, const char *demo_path)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct keylog keylog = { .fd = -1 };
	const char *keylog_path;
	struct vcard *c;
	FILE *log = NULL;
	uint8_t *img;
	size_t len;
	int ret;

	ret = image_read(image, &img, &len);
	if (ret) {
		secret_failed("smchan-vcard", "card image", image, ret);
		return 1;
	}
	c = vcard_new(img, len);
	explicit_bzero(img, len);
	free(img);
	if (!c) {
		fprintf(stderr, "smchan-vcard: `%s' is not a valid card image\n",
			image);
		return 1;
	}
	vcard_set_commit(c, image_commit, (void *)image);
	keylog_path = getenv(KEYLOG_ENV);
	if (keylog_path) {
		/* a test facility: every key of the card to a new 0600 file */
		ret = keylog_open(&keylog, keylog_path, c);
		if (ret) {
			fprintf(stderr, "smchan-vcard: %s: refusing `%s': %s (it must be a new file; it is created 0600)\n",
				KEYLOG_ENV, keylog_path, strerror(-ret));
			vcard_free(c);
			return 1;
		}
		fprintf(stderr, "smchan-vcard: %s: every key of this card is written to `%s'; for tests only\n",
			KEYLOG_ENV, keylog_path);
		vcard_keylog = &keylog;
	}
	if (log_path) {
		log = fopen(log_path, "ae");
		if (!log) {
			fprintf(stderr, "smchan-vcard: Unable to open `%s': %s\n",
				log_path, strerror(errno));
			keylog_close(&keylog);
			vcard_free(c);
			return 1;
		}
	}
	if (demo_path) {
		vcard_demo_log = fopen(demo_path, "ae");
		if (!vcard_demo_log) {
			fprintf(stderr, "smchan-vcard: Unable to open `%s': %s\n",
				demo_path, strerror(errno));
			if (log)
				fclose(log);
			keylog_close(&keylog);
			vcard_free(c);
			return 1;
		}
		fprintf(stderr, "smchan-vcard: --demo-log: session-key fingerprints are logged; for demonstrations only\n");
		vcard_set_demo(c, 1);
	}
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: reads return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (w->vscard)
		ret = vscard_serve(c, w->vscard, w->control, log, &stop);
	else
		ret = vpcd_serve(c, w->host, w->port, log, &stop);
	vcard_free(c);			/* wipes every key */
	keylog_close(&keylog);
	if (log)
		fclose(log);
	if (vcard_demo_log)
		fclose(vcard_demo_log);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "log", required_argument, NULL, 'l' },
		{ "demo-log", required_argument, NULL, 'D' },
		{ "vscard", required_argument, NULL, 'S' },
		{ "control", required_argument, NULL, 'C' },
		{ "latency", required_argument, NULL, 'L' },
		{ "create", no_argument, NULL, 'c' },
		{ "mkey-file", required_argument, NULL, 'k' },
		{ "suite", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct where w = { .host = "127.0.0.1", .port = 35963 };
	const char *image = NULL, *log = NULL, *demo = NULL;
	const char *mkey_file = NULL, *suite = NULL;
	int opt, do_create = 0, vpcd_opts = 0, latency = 0;
	char *end;
	long v;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			image = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 0);
			if (*end || v < 1 || v > 65535) {
				fprintf(stderr, "smchan-vcard: Invalid port: `%s'\n", optarg);
				return 2;
			}
			w.port = (int)v;
			vpcd_opts = 1;
			break;
		case 'H':
			w.host = optarg;
			vpcd_opts = 1;
			break;
		case 'S':
			w.vscard = optarg;
			break;
		case 'C':
			w.control = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'L':
			if (frontend_timing_parse(optarg, &vcard_timing)) {
				fprintf(stderr, "smchan-vcard: Invalid latency model: `%s' (t1, US or US,BPS)\n",
					optarg);
				return 2;
			}
			latency = 1;
			break;
		case 'D':
			demo = optarg;
			break;
		case 'c':
			do_create = 1;
			break;
		case 'k':
			mkey_file = optarg;
			break;
		case 's':
			suite = optarg;
			if (strcmp(suite, "aes128") && strcmp(suite, "aes256")) {
				fprintf(stderr, "smchan-vcard: Invalid suite: `%s'\n", suite);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("smchan-vcard %s\n", VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !image || (do_create && !mkey_file) ||
	    (!do_create && (mkey_file || suite)) || (do_create && (demo || latency)) ||
	    (w.vscard && (vpcd_opts || do_create || !*w.vscard)) ||
	    (w.control && (!w.vscard || !*w.control))) {
		usage(stderr);
		return 2;
	}
	/* ORDER: before the key file or the image (which holds MKEY) is read */
	if (secret_process()) {
		perror("smchan-vcard: Unable to make the process non-dumpable");
		return 1;
	}
	if (do_create)
		return create(image, mkey_file, suite);
	return run(image, &w, log, demo);
}
