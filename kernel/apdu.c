// SPDX-License-Identifier: GPL-2.0
/*
 * ISO/IEC 7816-3 command APDU framing (cases 1 to 4, short and extended)
 * and the CLA classes of PROTOCOL.md section 4.
 */

#include <linux/errno.h>
#include <linux/export.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "apdu.h"

/**
 * smchan_cla_class() - classify a CLA byte
 * @cla: the class byte
 *
 * Bits b5 (command chaining) and b2..b1 (logical channel 0-3) are free in
 * every class; b4..b3 say whether SM is indicated.
 *
 * Return: the class of @cla.
 */
enum smchan_cla_class smchan_cla_class(u8 cla)
{
	switch (cla & 0xec) {
	case 0x00:
	case 0x80:
		return SMCHAN_CLA_PLAIN;
	case 0x0c:
	case 0x84:
		return SMCHAN_CLA_PROTECTED;
	default:
		return SMCHAN_CLA_UNSUPPORTED;
	}
}
EXPORT_SYMBOL_IF_KUNIT(smchan_cla_class);

/**
 * smchan_cla_proprietary() - is @cla in the proprietary class 8X/9X?
 * @cla: a plain or protected class byte
 *
 * Return: true for the proprietary class, false for the interindustry one.
 */
bool smchan_cla_proprietary(u8 cla)
{
	return cla & 0x80;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_cla_proprietary);

/**
 * smchan_apdu_parse() - split a command APDU into its fields
 * @apdu: filled in on success; @apdu->data points into @buf
 * @buf: the APDU
 * @len: its length
 *
 * The length bytes must describe @buf exactly: an extended Lc of zero, an
 * Lc that does not match the bytes that follow, or a short APDU with a
 * 6-byte length are not valid ISO/IEC 7816-3 framing.
 *
 * Return: 0, or -EINVAL when @buf is not a valid command APDU.
 */
int smchan_apdu_parse(struct smchan_apdu *apdu, const u8 *buf, size_t len)
{
	size_t nc;

	memset(apdu, 0, sizeof(*apdu));
	if (len < 4)
		return -EINVAL;
	apdu->cla = buf[0];
	apdu->ins = buf[1];
	apdu->p1 = buf[2];
	apdu->p2 = buf[3];
	if (len == 4)				/* case 1 */
		return 0;

	if (len == 5) {				/* case 2 short */
		apdu->ne = buf[4] ? buf[4] : 256;
		return 0;
	}

	if (buf[4]) {				/* case 3 or 4 short */
		nc = buf[4];
		if (len == 5 + nc + 1)
			apdu->ne = buf[len - 1] ? buf[len - 1] : 256;
		else if (len != 5 + nc)
			return -EINVAL;
		apdu->data = buf + 5;
		apdu->nc = nc;
		return 0;
	}

	apdu->extended = true;
	if (len == 7) {				/* case 2 extended */
		apdu->ne = (buf[5] << 8) | buf[6];
		if (!apdu->ne)
			apdu->ne = 65536;
		return 0;
	}
	if (len < 8)
		return -EINVAL;
	nc = (buf[5] << 8) | buf[6];
	if (!nc)
		return -EINVAL;
	if (len == 7 + nc + 2) {		/* case 4 extended */
		apdu->ne = (buf[len - 2] << 8) | buf[len - 1];
		if (!apdu->ne)
			apdu->ne = 65536;
	} else if (len != 7 + nc) {		/* not case 3 extended */
		return -EINVAL;
	}
	apdu->data = buf + 7;
	apdu->nc = nc;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_apdu_parse);

/* Does @apdu need extended length fields? */
static bool apdu_extended(const struct smchan_apdu *apdu)
{
	return apdu->extended || apdu->nc > 255 || apdu->ne > 256;
}

/**
 * smchan_apdu_encoded_len() - length of the APDU smchan_apdu_encode() writes
 * @apdu: the fields; @apdu->extended forces extended length fields
 *
 * Return: the length in bytes, or 0 if @apdu cannot be encoded
 * (Nc > 65535 or Ne > 65536).
 */
size_t smchan_apdu_encoded_len(const struct smchan_apdu *apdu)
{
	size_t len = 4 + apdu->nc;

	if (apdu->nc > 65535 || apdu->ne > 65536)
		return 0;
	if (!apdu_extended(apdu))
		return len + (apdu->nc ? 1 : 0) + (apdu->ne ? 1 : 0);
	if (!apdu->nc && !apdu->ne)
		return len;
	return len + (apdu->nc ? 3 : 1) + (apdu->ne ? 2 : 0);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_apdu_encoded_len);

/**
 * smchan_apdu_encode() - write a command APDU
 * @apdu: the fields; short length fields unless @apdu->extended is set or
 *	Nc > 255 or Ne > 256
 * @buf: output
 * @size: size of @buf
 *
 * Return: the number of bytes written, 0 if @apdu cannot be encoded or
 * @buf is too small.
 */
size_t smchan_apdu_encode(const struct smchan_apdu *apdu, u8 *buf,
			  size_t size)
{
	size_t len = smchan_apdu_encoded_len(apdu);
	u8 *p = buf;

	if (!len || len > size)
		return 0;
	*p++ = apdu->cla;
	*p++ = apdu->ins;
	*p++ = apdu->p1;
	*p++ = apdu->p2;
	if (!apdu_extended(apdu)) {
		if (apdu->nc)
			*p++ = apdu->nc;
	} else if (apdu->nc || apdu->ne) {
		*p++ = 0;
		if (apdu->nc) {
			*p++ = apdu->nc >> 8;
			*p++ = apdu->nc;
		}
	}
	if (apdu->nc) {
		memcpy(p, apdu->data, apdu->nc);
		p += apdu->nc;
	}
	if (apdu->ne && !apdu_extended(apdu)) {
		*p++ = apdu->ne;		/* 256 -> 00 */
	} else if (apdu->ne) {
		*p++ = apdu->ne >> 8;		/* 65536 -> 00 00 */
		*p++ = apdu->ne;
	}
	return p - buf;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_apdu_encode);
