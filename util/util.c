// SPDX-License-Identifier: MIT
/*
 * Error text, the clock and the options-struct check, shared by every
 * module (include/bpfvc/util.h).
 *
 * Must not: allocate, print, or fail (other than refusing options).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

/* No options struct comes near this; a larger sz is garbage, and checking
 * its tail would read far past the caller's struct (the kernel caps
 * bpf_attr at a page for the same reason). */
#define OPTS_MAX_SZ 4096

enum opts_fault { OPTS_OK, OPTS_SHORT, OPTS_ODD, OPTS_TAIL };

/* Why @opts may not be used (OPTS_OK if it may); *@at: the first non-zero
 * byte past @lib_sz for OPTS_TAIL. */
static enum opts_fault opts_check(const void *opts, size_t lib_sz, size_t min_sz, size_t *at)
{
	const unsigned char *p = opts;
	size_t sz, i;

	if (!opts)
		return OPTS_OK;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < min_sz || sz < sizeof(size_t))
		return OPTS_SHORT;
	if (sz % _Alignof(size_t) || sz > OPTS_MAX_SZ)
		return OPTS_ODD;
	for (i = lib_sz; i < sz; i++) {
		if (p[i]) {
			*at = i;
			return OPTS_TAIL;
		}
	}
	return OPTS_OK;
}

int bvc_opts_valid(const void *opts, size_t lib_sz, size_t min_sz)
{
	size_t at;

	return opts_check(opts, lib_sz, min_sz, &at) == OPTS_OK ? 0 : -EINVAL;
}

int bvc_opts_check(const void *opts, size_t lib_sz, size_t min_sz, const char *name, char *err,
		   size_t errsz)
{
	size_t sz = 0, at = 0;
	enum opts_fault f = opts_check(opts, lib_sz, min_sz, &at);

	if (opts)
		memcpy(&sz, opts, sizeof(sz));
	switch (f) {
	case OPTS_OK:
		break;
	case OPTS_SHORT:
		bvc_set_err(err, errsz, "%s: sz %zu is too small (at least %zu)", name, sz,
			    min_sz > sizeof(size_t) ? min_sz : sizeof(size_t));
		return -EINVAL;
	case OPTS_ODD:
		bvc_set_err(err, errsz, "%s: sz %zu is not the size of any version of it", name, sz);
		return -EINVAL;
	case OPTS_TAIL:
		bvc_set_err(err, errsz,
			    "%s: sz %zu: byte %zu, past the %zu bytes this build knows, is not zero: an option it lacks",
			    name, sz, at, lib_sz);
		return -EINVAL;
	}
	return 0;
}

int bvc_opts_copy(void *dst, size_t lib_sz, const void *opts, size_t min_sz, const char *name,
		  char *err, size_t errsz)
{
	size_t sz = 0;

	memset(dst, 0, lib_sz);
	if (bvc_opts_check(opts, lib_sz, min_sz, name, err, errsz))
		return -EINVAL;
	if (opts) {
		memcpy(&sz, opts, sizeof(sz));
		memcpy(dst, opts, sz < lib_sz ? sz : lib_sz);
	}
	/* Ours now, complete: fields past the caller's sz hold their defaults. */
	memcpy(dst, &lib_sz, sizeof(lib_sz));
	return 0;
}
