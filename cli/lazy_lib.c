// SPDX-License-Identifier: MIT
/*
 * Opening a library on first use (lazy_lib.h): one dlopen, every symbol
 * looked up before any is published, so a caller sees the whole table or
 * none of it.
 */
#include <dlfcn.h>
#include <string.h>

#include "lazy_lib.h"

void bvc_lazy_lib_load(const char *soname, const char *const *names, void **fns, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	void *got[64];

	if (!h || n > sizeof(got) / sizeof(got[0])) {
		if (h)
			dlclose(h);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		got[i] = dlsym(h, names[i]);
		if (!got[i]) {
			dlclose(h);
			return;
		}
	}
	memcpy(fns, got, n * sizeof(*fns));
}
