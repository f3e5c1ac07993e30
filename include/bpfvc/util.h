/* SPDX-License-Identifier: MIT */
/*
 * What every module needs alike (util/util.c): an error message written
 * into the caller's buffer, a monotonic clock, and the check of an options
 * struct's size.
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

/*
 * Options structs (struct bvc_*_opts) grow at the end, as libbpf's do: the
 * first member is size_t sz, set by the caller to the sizeof of the struct
 * it was built with, so one library serves callers built against older and
 * newer headers. Every entry point taking one checks it here, with
 * libbpf's rules (libbpf_validate_opts, OPTS_GET):
 *
 *  - @opts NULL: every option at its default, where the API allows NULL;
 *  - sz below @min_sz (the end of the last field the caller must set; the
 *    end of sz itself when none must be) or not a multiple of size_t's
 *    alignment (no struct starting with a size_t has such a size): -EINVAL;
 *  - sz up to @lib_sz (our sizeof): an older caller; the fields past its
 *    sz are not read and take their defaults (zero);
 *  - sz past @lib_sz: a newer caller, served only if every byte past our
 *    struct is zero, i.e. it asks for nothing this build lacks; else
 *    -EINVAL (fail closed: an option we would ignore may be one the caller
 *    relies on for safety).
 *
 * So that "past our sizeof" means "a field we do not know", a struct grows
 * only past its old sizeof: a new field that would land in the old tail
 * padding gets an explicit padding member before it. Otherwise an older
 * caller's padding would be read as the new field.
 */

/* The end of @field in @type: the @min_sz of a struct whose callers must
 * set @field. */
#define BVC_OPTS_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* 0 if @opts (NULL, or a struct starting with size_t sz) may be used by a
 * library whose struct is @lib_sz bytes, needing at least @min_sz; else
 * -EINVAL. */
int bvc_opts_valid(const void *opts, size_t lib_sz, size_t min_sz);

/* bvc_opts_valid(), and on -EINVAL a message naming @name
 * ("bvc_load_opts: sz 4 is too small (at least 8)") in @err. */
int bvc_opts_check(const void *opts, size_t lib_sz, size_t min_sz, const char *name, char *err,
		   size_t errsz);

/* bvc_opts_check(), then the caller's options in @dst (our struct, @lib_sz
 * bytes): its first sz bytes, zero (the defaults) past them, and sz set to
 * @lib_sz, so that @dst can be read field by field. On -EINVAL @dst is all
 * zero. */
int bvc_opts_copy(void *dst, size_t lib_sz, const void *opts, size_t min_sz, const char *name,
		  char *err, size_t errsz);

/* The caller's sz; 0 for NULL. A function, so that BVC_OPTS_HAS(&o, ...)
 * draws no "address is always true" warning. */
static inline size_t bvc_opts_sz(const void *opts)
{
	return opts ? *(const size_t *)opts : 0;
}

/* Whether the caller's @opts (NULL or valid) covers @field; and @field, or
 * @fallback when it does not. Both evaluate @opts more than once. */
#define BVC_OPTS_HAS(opts, field)                                                  \
	(bvc_opts_sz(opts) &&                                                      \
	 bvc_opts_sz(opts) >= (size_t)((const char *)&(opts)->field -               \
				       (const char *)(opts)) + sizeof((opts)->field))
#define BVC_OPTS_GET(opts, field, fallback) (BVC_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

#endif /* BPFVC_UTIL_H */
