/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks of the C test programs: "ok: ..." or "FAIL: ..." per check,
 * counted in passed and failed for their "RESULT <passed> <failed>" line.
 */
#ifndef SMCHAN_TESTS_CHECK_H
#define SMCHAN_TESTS_CHECK_H

extern int passed, failed;

__attribute__((format(printf, 2, 3)))
void check(int ok, const char *fmt, ...);

#endif
