/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ISO/IEC 7816-3 command APDU framing (cases 1, 2, 3 and 4, short and
 * extended) and the class rules of PROTOCOL.md section 4.
 */
#ifndef SMCHAN_CARD_APDU_H
#define SMCHAN_CARD_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vc_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;	/* Lc bytes, NULL when Lc is absent */
	size_t lc;
	size_t ne;		/* 0 when Le is absent, else 1..65536 */
	bool has_le;
	bool extended;		/* extended Lc/Le encoding */
};

/* Returns 0 for valid framing, -1 otherwise (an empty message included). */
int vc_apdu_parse(const uint8_t *buf, size_t len, struct vc_apdu *a);

enum vc_class {
	VC_CLA_UNSUPPORTED,
	VC_CLA_PLAIN,		/* CLA & 0xEC in {00, 80} */
	VC_CLA_PROTECTED,	/* CLA & 0xEC in {0C, 84} */
};

enum vc_class vc_classify(uint8_t cla);

#endif
