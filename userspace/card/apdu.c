// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "apdu.h"

enum vc_class vc_classify(uint8_t cla)
{
	switch (cla & 0xEC) {
	case 0x00:
	case 0x80:
		return VC_CLA_PLAIN;
	case 0x0C:
	case 0x84:
		return VC_CLA_PROTECTED;
	default:
		return VC_CLA_UNSUPPORTED;
	}
}

/*
 * Short: CLA INS P1 P2 [Lc(1..255) data] [Le(1)], Le 00 = 256.
 * Extended: CLA INS P1 P2 00 then either Le(2) (case 2E), or Lc(2, not 0)
 * data [Le(2)], Le 0000 = 65536.  Anything else is not valid framing.
 */
int vc_apdu_parse(const uint8_t *b, size_t len, struct vc_apdu *a)
{
	size_t lc;

	memset(a, 0, sizeof(*a));
	if (len < 4)
		return -1;
	a->cla = b[0];
	a->ins = b[1];
	a->p1 = b[2];
	a->p2 = b[3];
	if (len == 4)
		return 0;				/* case 1 */
	if (len == 5) {					/* case 2S */
		a->has_le = true;
		a->ne = b[4] ? b[4] : 256;
		return 0;
	}
	if (b[4]) {					/* short, with Lc */
		lc = b[4];
		if (len != 5 + lc && len != 6 + lc)
			return -1;
		a->data = b + 5;
		a->lc = lc;
		if (len == 6 + lc) {			/* case 4S */
			a->has_le = true;
			a->ne = b[5 + lc] ? b[5 + lc] : 256;
		}
		return 0;
	}
	a->extended = true;
	if (len == 7) {					/* case 2E */
		a->has_le = true;
		a->ne = (size_t)b[5] << 8 | b[6];
		if (!a->ne)
			a->ne = 65536;
		return 0;
	}
	if (len < 8)
		return -1;
	lc = (size_t)b[5] << 8 | b[6];
	if (!lc || (len != 7 + lc && len != 9 + lc))
		return -1;
	a->data = b + 7;
	a->lc = lc;
	if (len == 9 + lc) {				/* case 4E */
		a->has_le = true;
		a->ne = (size_t)b[7 + lc] << 8 | b[8 + lc];
		if (!a->ne)
			a->ne = 65536;
	}
	return 0;
}
