// SPDX-License-Identifier: MIT
/*
 * Error text and the clock, shared by every module (include/bpfvc/util.h).
 *
 * Must not: allocate, print, or fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "bpfvc/util.h"

void bvc_set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

double bvc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
