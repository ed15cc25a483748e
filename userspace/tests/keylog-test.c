// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-vcard's key log (SMCHAN_VCARD_KEYLOG, vcard/keylog.h), a test
 * facility that tests/hygiene/ relies on: if it missed a key, the key
 * hygiene test would search for too little and pass for nothing.
 *
 *   - refusals: an existing file, a symbolic link (dangling or not), a
 *     file the umask makes other than 0600, an empty path, a missing
 *     directory; an existing file is left as it was, a refused new one
 *     removed;
 *   - every mode and suite: sessions driven through frontend_apdu() by
 *     the terminal model (tests/terminal.c), two sessions and one ended
 *     by a forged command; every key the terminal used (the key block,
 *     each K_n, and ENC/MAC of each) is in the log under its label and
 *     "S.N", MKEY with its subkeys at the top, nothing else, mode 0600;
 *     nothing is logged without a key log;
 *   - smchan-vcard itself: refuses an existing file (exit 1, file
 *     untouched) and writes MKEY to a new one.
 *
 *   keylog-test SMCHAN_VCARD
 * Prints "RESULT <passed> <failed>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../card/crypto.h"
#include "../card/vcard.h"
#include "../vcard/frontend.h"
#include "../vcard/keylog.h"
#include "terminal.h"
#include "check.h"

static char dir[] = "/tmp/smchan-keylog-test.XXXXXX";
static uint8_t rsp[VCARD_RSP_MAX];

static void hex(char *out, const uint8_t *k, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", k[i]);
}

/* The keys the terminal used, as the lines the log must hold. */
static char *want[4096];
static size_t nwant;

static void expect3(const char *label, const char *idx, const uint8_t *k,
		    size_t klen)
{
	static const char *pre[] = { "", "ENC-", "MAC-" };
	uint8_t sub[VC_MAX_KEY];
	char h[2 * VC_MAX_KEY + 1];
	int i;

	for (i = 0; i < 3 && nwant < 4096; i++) {
		if (i == 0)
			memcpy(sub, k, klen);
		else if (i == 1)
			vc_subkey_enc(k, klen, sub);
		else
			vc_subkey_mac(k, klen, sub);
		hex(h, sub, klen);
		if (asprintf(&want[nwant], "%s%s %s %s", pre[i], label, idx, h) < 0)
			exit(1);
		nwant++;
	}
}

static size_t xmit(struct vcard *c, const uint8_t *cmd, size_t len)
{
	static uint64_t count;

	return frontend_apdu(c, cmd, len, rsp, NULL, &count);
}

static int session(struct vcard *c, struct term *tm, uint8_t mode,
		   const uint8_t *mkey, size_t klen, unsigned int S)
{
	static uint8_t apdu[2048];
	uint8_t gc[5] = { 0x00, 0x84, 0x00, 0x00, 0x10 }, rc[16], rt[16];
	uint8_t keys[VC_MAX_GROUP * VC_MAX_KEY];
	unsigned int N = mode == VC_XOR || mode == VC_RATCHET ? 2 : 12, i;
	char idx[32];
	size_t n;

	n = xmit(c, gc, sizeof(gc));
	if (n != 18)
		return -1;
	memcpy(rc, rsp, 16);
	for (i = 0; i < 16; i++)
		rt[i] = (uint8_t)rand();
	for (i = 0; i < N * klen; i++)
		keys[i] = (uint8_t)rand();
	for (i = 0; i < N; i++)
		keys[i * klen] = (uint8_t)(0x10 + i);	/* none zero, K_0 != K_1 */
	n = term_init(tm, mode, mkey, klen, rc, rt, keys, N, 0, apdu, NULL);
	n = xmit(c, apdu, n);
	if (term_check_cc(tm, rsp, n))
		return -1;
	for (i = 0; i < N; i++) {
		snprintf(idx, sizeof(idx), "%u.%u", S, i);
		expect3("KB", idx, keys + i * klen, klen);
	}
	vc_wipe(keys, sizeof(keys));
	return 0;
}

/* Protected SELECT MF as command n; returns 0 if the card's answer checked. */
static int command(struct vcard *c, struct term *tm, unsigned int S)
{
	static const uint8_t sel_mf[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };
	static uint8_t papdu[512], out[512];
	int sm = tm->s.mode == VC_LIST || tm->s.mode == VC_OPKEY;
	unsigned int N = tm->s.N, s;
	char idx[32];
	size_t alen = 0, n, olen;

	snprintf(idx, sizeof(idx), "%u.%llu", S, (unsigned long long)tm->s.n);
	expect3("K", idx, tm->s.k_n, tm->s.klen);
	if (sm) {
		alen = term_protect(tm, sel_mf, sizeof(sel_mf), rand() % (int)N, papdu, NULL);
		for (s = 0; !alen && s < N; s++)
			alen = term_protect(tm, sel_mf, sizeof(sel_mf), (int)s, papdu, NULL);
	} else {
		alen = term_protect(tm, sel_mf, sizeof(sel_mf), -1, papdu, NULL);
	}
	if (!alen)
		return -1;
	n = xmit(c, papdu, alen);
	if (term_unprotect(tm, rsp, n, out, &olen, NULL))
		return -1;
	return olen == 2 && out[0] == 0x90 ? 0 : -1;
}

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

static int has_line(const char *log, const char *l)
{
	size_t len = strlen(l);
	const char *p = log;

	while ((p = strstr(p, l))) {
		if ((p == log || p[-1] == '\n') && p[len] == '\n')
			return 1;
		p += len;
	}
	return 0;
}

static void one(uint8_t mode, size_t klen)
{
	uint8_t mkey[32], *img;
	const char *name = mode == VC_XOR ? "xor" : mode == VC_LIST ? "list" :
			   mode == VC_OPKEY ? "opkey" : "ratchet";
	struct keylog kl;
	struct term tm;
	struct vcard *c;
	struct stat st;
	char path[128], *log, *l;
	size_t len, i, lines = 0, missing = 0;
	int ok = 1, ret;
	unsigned int k;

	for (i = 0; i < klen; i++)
		mkey[i] = (uint8_t)(rand() | 1);
	if (vcard_create_image(mkey, klen, &img, &len) || !(c = vcard_new(img, len))) {
		check(0, "%s/%zu: a card", name, klen * 8);
		return;
	}
	free(img);
	snprintf(path, sizeof(path), "%s/%s-%zu.keylog", dir, name, klen * 8);
	ret = keylog_open(&kl, path, c);
	check(!ret, "%s/%zu: keylog_open on a new file: %s", name, klen * 8,
	      strerror(-ret));
	if (ret) {
		vcard_free(c);
		return;
	}
	vcard_keylog = &kl;
	nwant = 0;
	expect3("MKEY", "-", mkey, klen);
	/* session 1: 24 commands; session 2: 12, then a forged one ends it */
	ok = !session(c, &tm, mode, mkey, klen, 1);
	for (k = 0; ok && k < 24; k++)
		ok = !command(c, &tm, 1);
	ok = ok && !session(c, &tm, mode, mkey, klen, 2);
	for (k = 0; ok && k < 12; k++)
		ok = !command(c, &tm, 2);
	check(ok, "%s/%zu: two sessions of 24 and 12 commands through frontend_apdu()",
	      name, klen * 8);
	if (ok) {
		static const uint8_t forged[] = { 0x0C, 0xA4, 0x00, 0x0C, 0x0A,
			0x8E, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 };

		xmit(c, forged, sizeof(forged));
		check(!vcard_session(c)->active, "%s/%zu: a forged command ended the session",
		      name, klen * 8);
		ok = !session(c, &tm, mode, mkey, klen, 3) && !command(c, &tm, 3);
		check(ok, "%s/%zu: session 3 after it", name, klen * 8);
	}
	vcard_keylog = NULL;
	keylog_close(&kl);
	vcard_free(c);
	vc_wipe(mkey, sizeof(mkey));

	log = slurp(path);
	check(log && !stat(path, &st) && (st.st_mode & 07777) == 0600,
	      "%s/%zu: the log is there, mode 0600", name, klen * 8);
	if (!log)
		return;
	for (i = 0; i < nwant; i++)
		if (!has_line(log, want[i])) {
			if (!missing++)
				printf("  missing: %s\n", want[i]);
		}
	check(!missing, "%s/%zu: all %zu keys the terminal used (with subkeys) are in the log",
	      name, klen * 8, nwant);
	check(!strncmp(log, "# ", 2) && has_line(log, want[0]) &&
	      strstr(log, want[0]) == strchr(log, '\n') + 1,
	      "%s/%zu: MKEY right after the comment line", name, klen * 8);
	/* every line is a comment or LABEL S.N HEX of the key length */
	ok = 1;
	for (l = log; *l; l = strchr(l, '\n') + 1) {
		char lab[16], ix[32], h[80];

		if (!strchr(l, '\n')) {
			ok = 0;
			break;
		}
		if (*l == '#')
			continue;
		lines++;
		if (sscanf(l, "%15s %31s %79s", lab, ix, h) != 3 || strlen(h) != 2 * klen)
			ok = 0;
	}
	check(ok && lines >= nwant, "%s/%zu: %zu well-formed key lines", name, klen * 8, lines);
	for (i = 0; i < nwant; i++)
		free(want[i]);
}

static void refusals(void)
{
	uint8_t mkey[16], *img;
	struct keylog kl;
	struct vcard *c;
	char p[160], q[160], *s;
	size_t len;
	mode_t old;
	int ret, fd;

	memset(mkey, 0x5A, sizeof(mkey));
	if (vcard_create_image(mkey, 16, &img, &len) || !(c = vcard_new(img, len))) {
		check(0, "a card");
		return;
	}
	free(img);

	snprintf(p, sizeof(p), "%s/existing", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		ret = (int)write(fd, "keep\n", 5);
		close(fd);
	}
	ret = keylog_open(&kl, p, c);
	s = slurp(p);
	check(ret == -EEXIST && kl.fd < 0 && s && !strcmp(s, "keep\n"),
	      "an existing file of ours, mode 0600: refused (%s), left as it was",
	      strerror(-ret));

	snprintf(q, sizeof(q), "%s/dangling", dir);
	snprintf(p, sizeof(p), "%s/target", dir);
	ret = symlink(p, q) ? -errno : keylog_open(&kl, q, c);
	check(ret == -EEXIST && access(p, F_OK),
	      "a dangling symbolic link: refused (%s), its target not created",
	      strerror(-ret));

	snprintf(q, sizeof(q), "%s/link", dir);
	snprintf(p, sizeof(p), "%s/existing", dir);
	ret = symlink(p, q) ? -errno : keylog_open(&kl, q, c);
	s = slurp(p);
	check(ret == -EEXIST && s && !strcmp(s, "keep\n"),
	      "a symbolic link to a file: refused (%s)", strerror(-ret));

	snprintf(p, sizeof(p), "%s/umask", dir);
	old = umask(0277);
	ret = keylog_open(&kl, p, c);
	umask(old);
	check(ret == -EPERM && access(p, F_OK),
	      "umask 0277 (the new file would be 0400): refused (%s), removed",
	      strerror(-ret));

	ret = keylog_open(&kl, "", c);
	check(ret == -EINVAL, "an empty path: refused (%s)", strerror(-ret));
	snprintf(p, sizeof(p), "%s/no/such/dir", dir);
	ret = keylog_open(&kl, p, c);
	check(ret == -ENOENT, "a missing directory: refused (%s)", strerror(-ret));

	/* no key log: frontend_apdu() writes nothing anywhere */
	vcard_keylog = NULL;
	{
		uint8_t gc[5] = { 0x00, 0x84, 0x00, 0x00, 0x10 };
		uint64_t count = 0;

		check(frontend_apdu(c, gc, 5, rsp, NULL, &count) == 18,
		      "without a key log frontend_apdu() still answers");
	}
	vcard_free(c);
}

/* smchan-vcard with SMCHAN_VCARD_KEYLOG, run as a program. */
static void program(const char *vcard)
{
	static const char key[] = "00112233445566778899aabbccddeeff\n";
	char kf[160], img[160], klog[160], sock[160], cmd[1024], *s;
	struct stat st;
	int fd, rc, i;
	pid_t pid;

	snprintf(kf, sizeof(kf), "%s/mkey", dir);
	snprintf(img, sizeof(img), "%s/card.img", dir);
	snprintf(klog, sizeof(klog), "%s/prog.keylog", dir);
	snprintf(sock, sizeof(sock), "%s/vscard.sock", dir);
	fd = open(kf, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, key, sizeof(key) - 1) != sizeof(key) - 1) {
		check(0, "the key file");
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' --create --image '%s' --mkey-file '%s'",
		 vcard, img, kf);
	if (system(cmd)) {
		check(0, "smchan-vcard --create");
		return;
	}
	/* an existing file: exit 1 before serving anything */
	fd = open(klog, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		close(fd);
	snprintf(cmd, sizeof(cmd), "%s='%s' timeout 10 '%s' --image '%s' --vscard '%s' 2>'%s/prog.err'",
		 KEYLOG_ENV, klog, vcard, img, sock, dir);
	rc = system(cmd);
	s = slurp(klog);
	check(WIFEXITED(rc) && WEXITSTATUS(rc) == 1 && s && !*s,
	      "smchan-vcard: an existing key log file: exit 1, the file untouched (status %d)",
	      WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
	unlink(klog);

	pid = fork();
	if (pid == 0) {
		setenv(KEYLOG_ENV, klog, 1);
		execl(vcard, vcard, "--image", img, "--vscard", sock, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		s = slurp(klog);
		if (s && strstr(s, "MAC-MKEY"))
			break;
		usleep(50000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &rc, 0);
	s = slurp(klog);
	check(s && has_line(s, "MKEY - 00112233445566778899aabbccddeeff") &&
	      !stat(klog, &st) && (st.st_mode & 07777) == 0600,
	      "smchan-vcard: a new key log file gets MKEY, mode 0600");
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "keylog-test: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	static const uint8_t modes[] = { VC_XOR, VC_LIST, VC_OPKEY, VC_RATCHET };
	unsigned int i;

	if (argc != 2) {
		fprintf(stderr, "usage: keylog-test SMCHAN_VCARD\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	refusals();
	for (i = 0; i < sizeof(modes); i++) {
		one(modes[i], 16);
		one(modes[i], 32);
	}
	program(argv[1]);
	if (!failed)
		cleanup();
	else
		printf("files kept in %s\n", dir);
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
