// SPDX-License-Identifier: MIT
/*
 * memcpy, memset, memcmp for the device, which has no libc: the runtime
 * calls them and the compiler emits calls to them for struct copies. Not
 * in lib.c so that host builds of the runtime's files keep the host's.
 */
#include "baremetal.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
