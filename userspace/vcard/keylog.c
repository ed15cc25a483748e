// SPDX-License-Identifier: GPL-2.0
/*
 * A TEST FACILITY: smchan-vcard's key log (keylog.h).  It reads the
 * card's state through the card library's read-only test seams
 * (vcard_session(), vcard_fs()) and decrypts the key block of an accepted
 * INITIALIZE SESSION with ENC(MKEY), as the card did; the card library
 * itself is unchanged.  Lines are built in a stack buffer that is wiped,
 * and written with write(2): no stdio buffer keeps a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../card/apdu.h"
#include "../card/crypto.h"
#include "../card/fs.h"
#include "../card/sm.h"
#include "../card/vcard.h"
#include "image.h"
#include "keylog.h"

/* "LABEL S.N HEX\n": a label, two numbers, 64 hex digits */
#define LINE_MAX_LEN 128

static int line(int fd, const char *label, const char *idx, const uint8_t *k,
		size_t klen)
{
	char buf[LINE_MAX_LEN];
	size_t i;
	int n, ret;

	n = snprintf(buf, sizeof(buf), "%s %s ", label, idx);
	if (n < 0 || (size_t)n + 2 * klen + 1 > sizeof(buf))
		return -EINVAL;
	for (i = 0; i < klen; i++)
		snprintf(buf + n + 2 * i, 3, "%02x", k[i]);
	buf[n + 2 * klen] = '\n';
	ret = image_write_all(fd, buf, (size_t)n + 2 * klen + 1);
	vc_wipe(buf, sizeof(buf));
	return ret;
}

/* X, ENC-X and MAC-X */
static int key3(int fd, const char *label, const char *idx, const uint8_t *k,
		size_t klen)
{
	uint8_t sub[VC_MAX_KEY];
	char l[16];
	int ret;

	ret = line(fd, label, idx, k, klen);
	if (!ret && !vc_subkey_enc(k, klen, sub)) {
		snprintf(l, sizeof(l), "ENC-%s", label);
		ret = line(fd, l, idx, sub, klen);
	}
	if (!ret && !vc_subkey_mac(k, klen, sub)) {
		snprintf(l, sizeof(l), "MAC-%s", label);
		ret = line(fd, l, idx, sub, klen);
	}
	vc_wipe(sub, sizeof(sub));
	return ret;
}

static int key_n(struct keylog *kl, const char *label, uint64_t i,
		 const uint8_t *k, size_t klen)
{
	char idx[48];

	snprintf(idx, sizeof(idx), "%" PRIu64 ".%" PRIu64, kl->session, i);
	return key3(kl->fd, label, idx, k, klen);
}

static const struct vc_file *mkey_of(const struct vcard *c)
{
	const struct vc_file *mk = vc_fs_lookup(vcard_fs(c), VC_FID_MKEY);

	return mk && (mk->size == 16 || mk->size == 32) ? mk : NULL;
}

int keylog_open(struct keylog *kl, const char *path, const struct vcard *c)
{
	const struct vc_file *mk = mkey_of(c);
	static const char head[] =
		"# smchan-vcard key log (SMCHAN_VCARD_KEYLOG): a test facility; every line is a secret\n";
	struct stat st;
	int ret;

	kl->fd = -1;
	kl->session = 0;
	kl->upto = 0;
	if (!path || !*path || !mk)
		return -EINVAL;
	/* O_EXCL: a new file, never a symbolic link or an existing file */
	kl->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		      O_CLOEXEC | O_NOCTTY, 0600);
	if (kl->fd < 0)
		return -errno;
	if (fstat(kl->fd, &st)) {
		ret = -errno;
		goto err;
	}
	ret = -EPERM;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0600 ||
	    st.st_uid != geteuid())
		goto err;
	ret = image_write_all(kl->fd, head, sizeof(head) - 1);
	if (!ret)
		ret = key3(kl->fd, "MKEY", "-", mk->data, mk->size);
	if (ret)
		goto err;
	return 0;

err:
	close(kl->fd);
	kl->fd = -1;
	unlink(path);
	return ret;
}

/* The keys of the key block of an INITIALIZE SESSION the card accepted. */
static int key_block(struct keylog *kl, const struct vcard *c,
		     const uint8_t *cmd, size_t len)
{
	const struct vc_file *mk = mkey_of(c);
	uint8_t enc[VC_MAX_KEY], kb[1 + VC_MAX_GROUP * VC_MAX_KEY + VC_BLOCK];
	struct vc_apdu a;
	size_t ctlen, klen, i;
	int ret = 0;

	if (vc_apdu_parse(cmd, len, &a) || !mk || a.lc < 48)
		return 0;
	klen = mk->size;
	ctlen = a.lc - 2 * VC_BLOCK;
	if (ctlen > sizeof(kb) || ctlen % VC_BLOCK)
		return 0;
	if (vc_subkey_enc(mk->data, klen, enc) ||
	    vc_cbc_decrypt(enc, klen, a.data, a.data + VC_BLOCK, ctlen, kb))
		goto out;
	for (i = 0; !ret && i < kb[0] && 1 + (i + 1) * klen <= ctlen; i++)
		ret = key_n(kl, "KB", i, kb + 1 + i * klen, klen);
out:
	vc_wipe(enc, sizeof(enc));
	vc_wipe(kb, sizeof(kb));
	return ret;
}

int keylog_apdu(struct keylog *kl, const struct vcard *c, const uint8_t *cmd,
		size_t len, const uint8_t *rsp, size_t rlen)
{
	const struct vc_session *s = vcard_session(c);
	int ret = 0;

	if (kl->fd < 0)
		return 0;
	if (len >= 5 && cmd[0] == 0x80 && cmd[1] == 0x8A && s->active &&
	    s->n == 1 && rlen == VC_BLOCK + 2 && rsp[rlen - 2] == 0x90 &&
	    rsp[rlen - 1] == 0x00) {
		kl->session++;
		kl->upto = 0;
		ret = key_block(kl, c, cmd, len);
	}
	if (!s->active || !kl->session)
		return ret;
	if (!ret && s->n > kl->upto && !vc_is_zero(s->k_n, s->klen)) {
		ret = key_n(kl, "K", s->n, s->k_n, s->klen);
		kl->upto = s->n;
	}
	/* xor and ratchet hold K_{n+1} already */
	if (!ret && (s->mode == VC_XOR || s->mode == VC_RATCHET) &&
	    s->n + 1 > kl->upto && !vc_is_zero(s->k_next, s->klen)) {
		ret = key_n(kl, "K", s->n + 1, s->k_next, s->klen);
		kl->upto = s->n + 1;
	}
	return ret;
}

void keylog_close(struct keylog *kl)
{
	if (kl->fd >= 0)
		close(kl->fd);
	kl->fd = -1;
}
