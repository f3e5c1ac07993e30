// SPDX-License-Identifier: MIT
/*
 * Small helpers the harness's files share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

char *cp_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		cp_die_nomem();
	return d;
}

void cp_die_nomem(void)
{
	fputs("bvc-corpus: out of memory\n", stderr);
	exit(2);
}

void cp_first_line(char *dst, size_t dstsz, const char *src)
{
	size_t n = strcspn(src, "\n");

	while (n && (src[n - 1] == '\r' || src[n - 1] == ' '))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}
