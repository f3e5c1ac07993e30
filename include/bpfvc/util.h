/* SPDX-License-Identifier: MIT */
/*
 * What every module needs alike (util/util.c): an error message written
 * into the caller's buffer, and a monotonic clock.
 */
#ifndef BPFVC_UTIL_H
#define BPFVC_UTIL_H

#include <stddef.h>

/* printf into @err (@errsz bytes, always NUL-terminated); NULL or 0 is
 * fine: the message is dropped. */
void bvc_set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Milliseconds on CLOCK_MONOTONIC: for timeouts and durations only. */
double bvc_now_ms(void);

#endif /* BPFVC_UTIL_H */
