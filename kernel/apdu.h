/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ISO/IEC 7816-3 APDU framing and the CLA classes of the smchan protocol
 * (PROTOCOL.md section 4). Pure functions: no allocation, no crypto.
 */
#ifndef _SMCHAN_APDU_H
#define _SMCHAN_APDU_H

#include <linux/types.h>

/* Largest valid APDU: extended case 4, Nc = 65535, two-byte Le. */
#define SMCHAN_APDU_MAX		(4 + 3 + 65535 + 2)
/* Largest plain response an application can get: R (65503) || SW1 SW2. */
#define SMCHAN_RDATA_MAX	65503
#define SMCHAN_RESPONSE_MAX	(SMCHAN_RDATA_MAX + 2)

/**
 * struct smchan_apdu - a parsed command APDU
 * @cla: class byte
 * @ins: instruction byte
 * @p1: parameter 1
 * @p2: parameter 2
 * @data: the command data field (Nc bytes), pointing into the parsed buffer;
 *	NULL when @nc is 0
 * @nc: length of the data field, 0..65535
 * @ne: expected response length: 0 when Le is absent, else 1..65536
 * @extended: the APDU used (or is to use) extended length fields
 */
struct smchan_apdu {
	u8 cla;
	u8 ins;
	u8 p1;
	u8 p2;
	const u8 *data;
	u32 nc;
	u32 ne;
	bool extended;
};

/**
 * enum smchan_cla_class - what a CLA byte means to smchan
 * @SMCHAN_CLA_UNSUPPORTED: neither plain nor protected: refused
 * @SMCHAN_CLA_PLAIN: first interindustry class (00-03, 10-13) or the
 *	proprietary class 8X/9X without SM bits
 * @SMCHAN_CLA_PROTECTED: the same two classes with the SM indication
 *	(0C-0F, 1C-1F, 84-87, 94-97)
 */
enum smchan_cla_class {
	SMCHAN_CLA_UNSUPPORTED,
	SMCHAN_CLA_PLAIN,
	SMCHAN_CLA_PROTECTED,
};

enum smchan_cla_class smchan_cla_class(u8 cla);
bool smchan_cla_proprietary(u8 cla);

int smchan_apdu_parse(struct smchan_apdu *apdu, const u8 *buf, size_t len);
size_t smchan_apdu_encoded_len(const struct smchan_apdu *apdu);
size_t smchan_apdu_encode(const struct smchan_apdu *apdu, u8 *buf,
			  size_t size);

#endif /* _SMCHAN_APDU_H */
