// SPDX-License-Identifier: GPL-2.0
/*
 * File system of the reference card.
 *
 * Image format (all integers big-endian):
 *   "SMCHANVC" | version (1) = 1 | file count (1) | 00 00
 *   per file, parents before children, the MF first:
 *     FID (2) | parent FID (2) | type (1: 38 DF, 01 EF) |
 *     access (1: 00 free, 01 SM only, 02 internal) | size (4) | data (size)
 *   CRC-32 (4, as zlib's crc32) of everything before it.
 * EF 0001 under the MF is internal and holds MKEY (16 or 32 bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fs.h"

#define MAGIC "SMCHANVC"
#define HDR_LEN 12
#define REC_LEN 10

#define SW_OK		0x9000
#define SW_EOF		0x6282
#define SW_MEMORY	0x6581
#define SW_LENGTH	0x6700
#define SW_CHANNEL	0x6881
#define SW_CHAINING	0x6884
#define SW_SECURITY	0x6982
#define SW_NO_EF	0x6986
#define SW_NOT_FOUND	0x6A82
#define SW_PAST_END	0x6A84
#define SW_P1P2		0x6A86
#define SW_OFFSET	0x6B00
#define SW_INS		0x6D00

static uint32_t crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFF;
	int k;

	while (len--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c >> 1 ^ (0xEDB88320 & -(c & 1));
	}
	return ~c;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
}

static int find(const struct vc_fs *fs, uint16_t fid)
{
	size_t i;

	for (i = 0; i < fs->nfiles; i++)
		if (fs->files[i].fid == fid)
			return (int)i;
	return -1;
}

/* The child of DF index df with this FID, or -1. */
static int find_child(const struct vc_fs *fs, int df, uint16_t fid)
{
	size_t i;

	for (i = 1; i < fs->nfiles; i++)
		if (fs->files[i].fid == fid &&
		    fs->files[i].parent == fs->files[df].fid)
			return (int)i;
	return -1;
}

const struct vc_file *vc_fs_lookup(const struct vc_fs *fs, uint16_t fid)
{
	int i = find(fs, fid);

	return i < 0 ? NULL : &fs->files[i];
}

void vc_fs_free(struct vc_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->nfiles; i++) {
		vc_wipe(fs->files[i].data, fs->files[i].size);
		free(fs->files[i].data);
	}
	vc_wipe(fs, sizeof(*fs));
}

void vc_fs_reset(struct vc_fs *fs)
{
	fs->cur_df = 0;
	fs->cur_ef = -1;
}

static int add(struct vc_fs *fs, uint16_t fid, uint16_t parent, uint8_t type,
	       uint8_t access, uint32_t size, const uint8_t *data)
{
	struct vc_file *f;
	int p;

	if (fs->nfiles >= VC_FS_MAX_FILES || fid == 0xFFFF || find(fs, fid) >= 0)
		return -1;
	if (type != VC_DF && type != VC_EF)
		return -1;
	if (access > VC_ACC_INTERNAL)
		return -1;
	if (fs->nfiles == 0) {
		if (fid != VC_FID_MF || parent != VC_FID_MF || type != VC_DF)
			return -1;
	} else {
		p = find(fs, parent);
		if (fid == VC_FID_MF || p < 0 || fs->files[p].type != VC_DF)
			return -1;
	}
	if (type == VC_DF ? size != 0 : size == 0 || size > VC_FS_MAX_EF)
		return -1;
	f = &fs->files[fs->nfiles];
	memset(f, 0, sizeof(*f));
	if (size) {
		f->data = malloc(size);
		if (!f->data)
			return -1;
		memcpy(f->data, data, size);
	}
	f->fid = fid;
	f->parent = parent;
	f->type = type;
	f->access = access;
	f->size = size;
	fs->nfiles++;
	return 0;
}

static int check_mkey(const struct vc_fs *fs)
{
	const struct vc_file *k = vc_fs_lookup(fs, VC_FID_MKEY);

	if (!k || k->type != VC_EF || k->parent != VC_FID_MF ||
	    k->access != VC_ACC_INTERNAL || (k->size != 16 && k->size != 32) ||
	    vc_is_zero(k->data, k->size))
		return -1;
	return 0;
}

int vc_fs_parse(struct vc_fs *fs, const uint8_t *img, size_t len)
{
	const uint8_t *p = img + HDR_LEN, *end = img + len - 4;
	size_t i, count;
	uint32_t size;

	memset(fs, 0, sizeof(*fs));
	if (len < HDR_LEN + 4 || memcmp(img, MAGIC, 8) || img[8] != 1 ||
	    crc32(img, len - 4) != get32(end))
		return -1;
	count = img[9];
	for (i = 0; i < count; i++) {
		if (end - p < REC_LEN)
			goto bad;
		size = get32(p + 6);
		if ((size_t)(end - p - REC_LEN) < size)
			goto bad;
		if (add(fs, p[0] << 8 | p[1], p[2] << 8 | p[3], p[4], p[5],
			size, p + REC_LEN))
			goto bad;
		p += REC_LEN + size;
	}
	if (p != end || check_mkey(fs))
		goto bad;
	vc_fs_reset(fs);
	return 0;
bad:
	vc_fs_free(fs);
	return -1;
}

int vc_fs_serialize(const struct vc_fs *fs, uint8_t **img, size_t *len)
{
	size_t i, n = HDR_LEN + 4;
	uint8_t *b, *p;

	for (i = 0; i < fs->nfiles; i++)
		n += REC_LEN + fs->files[i].size;
	b = malloc(n);
	if (!b)
		return -1;
	memcpy(b, MAGIC, 8);
	b[8] = 1;
	b[9] = (uint8_t)fs->nfiles;
	b[10] = b[11] = 0;
	p = b + HDR_LEN;
	for (i = 0; i < fs->nfiles; i++) {
		const struct vc_file *f = &fs->files[i];

		put16(p, f->fid);
		put16(p + 2, f->parent);
		p[4] = f->type;
		p[5] = f->access;
		put32(p + 6, f->size);
		if (f->size)
			memcpy(p + REC_LEN, f->data, f->size);
		p += REC_LEN + f->size;
	}
	put32(p, crc32(b, n - 4));
	*img = b;
	*len = n;
	return 0;
}

/* Content at creation: byte i of a free EF is i mod 256, of an SM-only EF
 * i mod 251 (what the vectors' READ of EF 5F02 at offset 4096 shows). */
int vc_fs_default(struct vc_fs *fs, const uint8_t *mkey, size_t klen)
{
	static const struct {
		uint16_t fid, parent;
		uint8_t type, access;
		uint32_t size;
	} layout[] = {
		{ 0x3F00, 0x3F00, VC_DF, VC_ACC_FREE, 0 },
		{ 0x0001, 0x3F00, VC_EF, VC_ACC_INTERNAL, 0 },
		{ 0x0101, 0x3F00, VC_EF, VC_ACC_FREE, 512 },
		{ 0x0102, 0x3F00, VC_EF, VC_ACC_FREE, 4096 },
		{ 0x0103, 0x3F00, VC_EF, VC_ACC_SM, 256 },
		{ 0x5F00, 0x3F00, VC_DF, VC_ACC_FREE, 0 },
		{ 0x5F01, 0x5F00, VC_EF, VC_ACC_FREE, 1024 },
		{ 0x5F02, 0x5F00, VC_EF, VC_ACC_SM, 8192 },
	};
	uint8_t buf[8192];
	size_t i, j;
	int ret;

	memset(fs, 0, sizeof(*fs));
	if ((klen != 16 && klen != 32) || vc_is_zero(mkey, klen))
		return -1;
	for (i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		if (layout[i].fid == VC_FID_MKEY) {
			ret = add(fs, VC_FID_MKEY, VC_FID_MF, VC_EF,
				  VC_ACC_INTERNAL, (uint32_t)klen, mkey);
		} else {
			for (j = 0; j < layout[i].size; j++)
				buf[j] = (uint8_t)(layout[i].access == VC_ACC_SM ?
						   j % 251 : j % 256);
			ret = add(fs, layout[i].fid, layout[i].parent,
				  layout[i].type, layout[i].access,
				  layout[i].size, buf);
		}
		if (ret) {
			vc_fs_free(fs);
			return -1;
		}
	}
	vc_fs_reset(fs);
	return 0;
}

static size_t fcp(const struct vc_file *f, uint8_t *r)
{
	size_t n = 0;

	r[n++] = 0x62;
	r[n++] = 0;			/* length, set below */
	r[n++] = 0x82;			/* file descriptor byte */
	r[n++] = 1;
	r[n++] = f->type;
	r[n++] = 0x83;			/* file identifier */
	r[n++] = 2;
	r[n++] = f->fid >> 8;
	r[n++] = f->fid & 0xFF;
	if (f->type == VC_EF) {
		r[n++] = 0x80;		/* size of the data */
		r[n++] = 2;
		r[n++] = f->size >> 8;
		r[n++] = f->size & 0xFF;
	}
	r[n++] = 0x8A;			/* life cycle: operational, activated */
	r[n++] = 1;
	r[n++] = 0x05;
	r[1] = (uint8_t)(n - 2);
	return n;
}

/* SELECT FILE: P1 00 (FID, relative to the current DF) or 08 (path). */
static uint16_t select_file(struct vc_fs *fs, const struct vc_apdu *a,
			    uint8_t *r, size_t *rlen)
{
	const uint8_t *d = a->data;
	int idx = -1, df, parent;
	size_t i, n = a->lc;
	uint16_t fid;

	if ((a->p1 != 0x00 && a->p1 != 0x08) ||
	    (a->p2 != 0x00 && a->p2 != 0x04 && a->p2 != 0x0C))
		return SW_P1P2;
	if (a->p1 == 0x00) {
		if (n != 0 && n != 2)
			return SW_LENGTH;
		fid = n ? (uint16_t)(d[0] << 8 | d[1]) : VC_FID_MF;
		df = fs->cur_df;
		parent = find(fs, fs->files[df].parent);
		if (fid == VC_FID_MF)
			idx = 0;
		else if ((idx = find_child(fs, df, fid)) >= 0)
			;
		else if (df != 0 && fs->files[parent].fid == fid)
			idx = parent;
		else if (df != 0)
			idx = find_child(fs, parent, fid);
	} else {
		if (n == 0 || n % 2)
			return SW_LENGTH;
		i = 0;
		if ((d[0] << 8 | d[1]) == VC_FID_MF)
			i = 2;
		idx = 0;
		for (; i < n; i += 2) {
			if (fs->files[idx].type != VC_DF) {
				idx = -1;
				break;
			}
			idx = find_child(fs, idx, (uint16_t)(d[i] << 8 | d[i + 1]));
			if (idx < 0)
				break;
		}
	}
	if (idx < 0)
		return SW_NOT_FOUND;
	if (fs->files[idx].type == VC_DF) {
		fs->cur_df = idx;
		fs->cur_ef = -1;
	} else {
		fs->cur_df = find(fs, fs->files[idx].parent);
		fs->cur_ef = idx;
	}
	if (a->p2 != 0x0C && a->has_le)
		*rlen = fcp(&fs->files[idx], r);
	return SW_OK;
}

/* Common checks of READ/UPDATE/WRITE BINARY; returns 0 or a status word. */
static uint16_t binary_target(struct vc_fs *fs, const struct vc_apdu *a,
			      bool sm, struct vc_file **f, size_t *off)
{
	if (a->p1 & 0x80)
		return SW_P1P2;		/* short EF identifier: not supported */
	if (fs->cur_ef < 0)
		return SW_NO_EF;
	*f = &fs->files[fs->cur_ef];
	if ((*f)->access == VC_ACC_INTERNAL ||
	    ((*f)->access == VC_ACC_SM && !sm))
		return SW_SECURITY;
	*off = (size_t)a->p1 << 8 | a->p2;
	if (*off >= (*f)->size)
		return SW_OFFSET;
	return 0;
}

static uint16_t read_binary(struct vc_fs *fs, const struct vc_apdu *a, bool sm,
			    uint8_t *r, size_t *rlen)
{
	struct vc_file *f;
	size_t off, n;
	uint16_t sw;

	if (a->lc || !a->has_le)
		return SW_LENGTH;
	sw = binary_target(fs, a, sm, &f, &off);
	if (sw)
		return sw;
	n = f->size - off;
	if (n > a->ne)
		n = a->ne;
	memcpy(r, f->data + off, n);
	*rlen = n;
	/* Le 00 (or 0000) asks for everything up to 256 (65536) bytes. */
	if (n < a->ne && a->ne != 256 && a->ne != 65536)
		return SW_EOF;
	return SW_OK;
}

/* UPDATE BINARY (D6) and WRITE BINARY (D0): both replace the bytes. */
static uint16_t update_binary(struct vc_fs *fs, const struct vc_apdu *a,
			      bool sm)
{
	uint8_t *img, old[VC_FS_MAX_EF];
	struct vc_file *f;
	size_t off, len;
	uint16_t sw;
	int ret;

	if (!a->lc)
		return SW_LENGTH;
	sw = binary_target(fs, a, sm, &f, &off);
	if (sw)
		return sw;
	if (a->lc > f->size - off)
		return SW_PAST_END;
	memcpy(old, f->data + off, a->lc);
	memcpy(f->data + off, a->data, a->lc);
	if (!fs->commit)
		return SW_OK;
	ret = vc_fs_serialize(fs, &img, &len);
	if (!ret) {
		ret = fs->commit(fs->commit_ctx, img, len);
		vc_wipe(img, len);	/* it holds MKEY */
		free(img);
	}
	if (ret)
		memcpy(f->data + off, old, a->lc);	/* the disk has the old */
	vc_wipe(old, a->lc);
	return ret ? SW_MEMORY : SW_OK;
}

uint16_t vc_fs_command(struct vc_fs *fs, const struct vc_apdu *a, bool sm,
		       uint8_t *r, size_t *rlen)
{
	*rlen = 0;
	if (a->cla & 0x80)
		return SW_INS;		/* no proprietary commands */
	if (a->cla & 0x10)
		return SW_CHAINING;
	if (a->cla & 0x03)
		return SW_CHANNEL;
	switch (a->ins) {
	case 0xA4:
		return select_file(fs, a, r, rlen);
	case 0xB0:
		return read_binary(fs, a, sm, r, rlen);
	case 0xD6:
	case 0xD0:
		return update_binary(fs, a, sm);
	default:
		return SW_INS;
	}
}
