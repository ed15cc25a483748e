/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The card's ISO/IEC 7816-4 file system: an MF, DFs and transparent EFs,
 * SELECT FILE, READ BINARY, UPDATE BINARY and WRITE BINARY, and the image
 * format the front-end stores on disk (see smchan-vcard(1), IMAGE FORMAT).
 */
#ifndef SMCHAN_CARD_FS_H
#define SMCHAN_CARD_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

#define VC_FS_MAX_FILES 64
#define VC_FS_MAX_EF 32768	/* READ/UPDATE offsets are 15 bits */
#define VC_FID_MF 0x3F00
#define VC_FID_MKEY 0x0001

enum vc_ftype { VC_DF = 0x38, VC_EF = 0x01 };
enum vc_access {
	VC_ACC_FREE = 0,	/* READ/UPDATE with or without SM */
	VC_ACC_SM = 1,		/* READ/UPDATE only under SM, else 6982 */
	VC_ACC_INTERNAL = 2,	/* READ/UPDATE always 6982 (MKEY) */
};

struct vc_file {
	uint16_t fid;
	uint16_t parent;	/* FID of the parent DF; the MF's is its own */
	uint8_t type;		/* enum vc_ftype */
	uint8_t access;		/* enum vc_access */
	uint32_t size;		/* EF size; 0 for a DF */
	uint8_t *data;
};

/*
 * commit() makes the serialized image durable before a write is answered;
 * it returns 0 on success.  Without it, writes stay in memory.
 */
struct vc_fs {
	struct vc_file files[VC_FS_MAX_FILES];
	size_t nfiles;
	int cur_df;		/* index of the current DF */
	int cur_ef;		/* index of the current EF, -1 for none */
	int (*commit)(void *ctx, const uint8_t *img, size_t len);
	void *commit_ctx;
};

int vc_fs_parse(struct vc_fs *fs, const uint8_t *img, size_t len);
int vc_fs_serialize(const struct vc_fs *fs, uint8_t **img, size_t *len);
/* The default layout of smchan-vcard(1) and shared/vectors/README.md. */
int vc_fs_default(struct vc_fs *fs, const uint8_t *mkey, size_t klen);
void vc_fs_free(struct vc_fs *fs);
void vc_fs_reset(struct vc_fs *fs);	/* current DF = MF, no current EF */
const struct vc_file *vc_fs_lookup(const struct vc_fs *fs, uint16_t fid);

/*
 * Executes a plain command (CLA already without SM bits; sm tells whether it
 * came under secure messaging).  Writes up to 65536 bytes of response data
 * to r and returns the status word.
 */
uint16_t vc_fs_command(struct vc_fs *fs, const struct vc_apdu *a, bool sm,
		       uint8_t *r, size_t *rlen);

#endif
