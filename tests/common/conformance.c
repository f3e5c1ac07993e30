// SPDX-License-Identifier: MIT
/*
 * Reading bpf_conformance vectors, once for all runners (see the header).
 * Must not: pass a vector it could not fully read.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conformance.h"

static int is_data_file(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".data");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct bvc_conf_case *)a)->name,
		      ((const struct bvc_conf_case *)b)->name);
}

size_t bvc_conf_list(const char *dir, void *(*alloc)(size_t, size_t), struct bvc_conf_case **out)
{
	struct bvc_conf_case *cases;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);

	if (!d) {
		cases = alloc(1, sizeof(*cases));
		if (cases)
			cases[0].dir_errno = errno ? errno : ENOENT;
		*out = cases;
		return 1;
	}
	while ((de = readdir(d)))
		cap += is_data_file(de->d_name);
	rewinddir(d);
	cases = alloc(cap ? cap : 1, sizeof(*cases));
	while (cases && (de = readdir(d)) && n < cap) {
		if (!is_data_file(de->d_name) || strlen(de->d_name) >= sizeof(cases->name))
			continue;
		strcpy(cases[n++].name, de->d_name);
	}
	closedir(d);
	if (cases && !n) {
		cases[0].dir_errno = ENOENT;
		n = 1;
	}
	if (cases)
		qsort(cases, n, sizeof(*cases), cmp_names);
	*out = cases;
	return n;
}

/* Append the bytes of hex text ("b7 01 00 00 ...") to @buf. */
static int add_hex(uint8_t **buf, size_t *len, const char *s)
{
	for (;;) {
		unsigned long v;
		uint8_t *p;
		char *end;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			return 0;
		v = strtoul(s, &end, 16);
		if (end == s || v > 0xff)
			return -EINVAL;
		p = realloc(*buf, *len + 1);
		if (!p)
			return -ENOMEM;
		*buf = p;
		(*buf)[(*len)++] = (uint8_t)v;
		s = end;
	}
}

/* Append one "-- raw" word (0x5566778800000018) as 8 little-endian bytes. */
static int add_raw(uint8_t **buf, size_t *len, const char *s)
{
	unsigned long long w;
	uint8_t *p;
	char *end;

	w = strtoull(s, &end, 16);
	if (end == s)
		return -EINVAL;
	p = realloc(*buf, *len + 8);
	if (!p)
		return -ENOMEM;
	*buf = p;
	for (int k = 0; k < 8; k++)
		(*buf)[(*len)++] = (uint8_t)(w >> (8 * k));
	return 0;
}

int bvc_conf_parse(const char *path, struct bvc_conf_vector *v, char *err, size_t errsz)
{
	enum { S_NONE, S_HEX, S_RAW, S_MEM, S_RESULT, S_OTHER } sec = S_NONE;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	char line[4096];
	int ret = 0;
	FILE *f;

	memset(v, 0, sizeof(*v));
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		char *end;

		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		if (!strncmp(line, "-- ", 3)) {
			const char *s = line + 3;

			sec = !strcmp(s, "hex") ? S_HEX : !strcmp(s, "raw") ? S_RAW :
			      !strcmp(s, "mem") ? S_MEM : !strcmp(s, "result") ? S_RESULT : S_OTHER;
			v->has_error |= !strcmp(s, "error");
			continue;
		}
		if (line[0] == '#' || !line[0])
			continue;
		switch (sec) {
		case S_HEX:
			ret = add_hex(&v->code, &v->code_len, line);
			break;
		case S_RAW:
			ret = add_raw(&raw, &raw_len, line);
			break;
		case S_MEM:
			ret = add_hex(&v->mem, &v->mem_len, line);
			break;
		case S_RESULT:
			v->result = strtoull(line, &end, 0);
			ret = end == line ? -EINVAL : 0;
			v->has_result = 1;
			break;
		default:
			break;
		}
		if (ret)
			snprintf(err, errsz, "%s: cannot read '%s'", path, line);
	}
	fclose(f);
	if (!ret && v->code_len && raw_len &&
	    (v->code_len != raw_len || memcmp(v->code, raw, raw_len))) {
		snprintf(err, errsz, "%s: -- hex and -- raw disagree", path);
		ret = -EINVAL;
	}
	if (!ret && !v->code_len) {
		v->code = raw;
		v->code_len = raw_len;
		raw = NULL;
	}
	free(raw);
	if (!ret && (!v->code_len || v->code_len % 8)) {
		snprintf(err, errsz, "%s: %zu program bytes", path, v->code_len);
		ret = -EINVAL;
	}
	if (!ret && !v->has_result && !v->has_error) {
		snprintf(err, errsz, "%s: neither -- result nor -- error", path);
		ret = -EINVAL;
	}
	for (size_t i = 0; !ret && i < v->code_len; i += 8)
		v->callx |= v->code[i] == 0x8d;
	if (ret)
		bvc_conf_free(v);
	return ret;
}

void bvc_conf_free(struct bvc_conf_vector *v)
{
	free(v->code);
	free(v->mem);
	v->code = v->mem = NULL;
}
