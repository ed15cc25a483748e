// SPDX-License-Identifier: GPL-2.0
/* See check.h. */
#include <stdarg.h>
#include <stdio.h>

#include "check.h"

int passed, failed;

void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "ok: " : "FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}
