/* SPDX-License-Identifier: MIT */
/*
 * Private to cli/: the shared half of zmq_lazy.c and crypto_lazy.c, which
 * open a library on its first use instead of at start-up.
 */
#ifndef BVC_CLI_LAZY_LIB_H
#define BVC_CLI_LAZY_LIB_H

#include <stddef.h>

/* dlopen @soname and look up its @n functions @names into @fns, all or
 * nothing: a library without one of them is not used at all (@fns stays
 * NULL). */
void bvc_lazy_lib_load(const char *soname, const char *const *names, void **fns, size_t n);

#endif
