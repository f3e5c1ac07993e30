// SPDX-License-Identifier: MIT
/*
 * Every bpf_conformance vector through the reference interpreter: one
 * Criterion test case per .data file, named by the file.
 *
 * A vector gives the program (`-- hex`, or `-- raw` 64-bit words), optional
 * input memory (`-- mem`, passed writable as r1/r2) and the expected r0
 * (`-- result`) or an expected refusal (`-- error`). Helper 5 is the
 * suite's "unwind" helper: it returns r1 and ends the program when that is 0.
 *
 * Must not: skip a file, or pass when the directory cannot be read.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/interp.h"

#define UNWIND_HELPER 5

/* One vector. Fixed-size name: Criterion copies params across its workers. */
struct conf_case {
	char name[128]; /* file name within BVC_CONFORMANCE_DIR; "" if the dir failed */
	int dir_errno;  /* why the directory could not be read */
};

/* What a .data file says. */
struct vector {
	uint8_t *code; /* program bytes (hex) */
	size_t code_len;
	uint8_t *raw; /* program bytes from -- raw words */
	size_t raw_len;
	uint8_t *mem;
	size_t mem_len;
	int has_result;
	uint64_t result;
	int has_error;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct conf_case *)a)->name, ((const struct conf_case *)b)->name);
}

static void free_params(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

static int is_data_file(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".data");
}

ParameterizedTestParameters(conformance, vector)
{
	struct conf_case *cases;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;

	d = opendir(BVC_CONFORMANCE_DIR);
	if (!d) {
		/* One failing case that names the path, rather than zero cases. */
		cases = cr_calloc(1, sizeof(*cases));
		cases[0].dir_errno = errno ? errno : ENOENT;
		return cr_make_param_array(struct conf_case, cases, 1, free_params);
	}
	while ((de = readdir(d)))
		if (is_data_file(de->d_name))
			cap++;
	rewinddir(d);
	cases = cr_calloc(cap ? cap : 1, sizeof(*cases));
	while ((de = readdir(d)) && n < cap) {
		if (!is_data_file(de->d_name) || strlen(de->d_name) >= sizeof(cases->name))
			continue;
		strcpy(cases[n++].name, de->d_name);
	}
	closedir(d);
	if (!n) {
		cases[0].dir_errno = ENOENT;
		n = 1;
	}
	qsort(cases, n, sizeof(*cases), cmp_names);
	return cr_make_param_array(struct conf_case, cases, n, free_params);
}

/* Append the hex bytes of @line ("b7 01 00 00 ...") to @buf. */
static void add_hex(uint8_t **buf, size_t *len, const char *line, const char *file)
{
	const char *s = line;
	unsigned long v;
	char *end;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			return;
		v = strtoul(s, &end, 16);
		cr_assert(end != s && v <= 0xff, "%s: bad hex byte in '%s'", file, line);
		*buf = realloc(*buf, *len + 1);
		cr_assert(*buf);
		(*buf)[(*len)++] = (uint8_t)v;
		s = end;
	}
}

/* Append one "-- raw" word (0x5566778800000018) as 8 little-endian bytes. */
static void add_raw(uint8_t **buf, size_t *len, const char *line, const char *file)
{
	unsigned long long w;
	char *end;
	int k;

	w = strtoull(line, &end, 16);
	cr_assert(end != line, "%s: bad raw word '%s'", file, line);
	*buf = realloc(*buf, *len + 8);
	cr_assert(*buf);
	for (k = 0; k < 8; k++)
		(*buf)[(*len)++] = (uint8_t)(w >> (8 * k));
}

static void parse_vector(const char *path, const char *file, struct vector *v)
{
	enum { S_NONE, S_HEX, S_RAW, S_MEM, S_RESULT, S_ERROR, S_OTHER } sec = S_NONE;
	char line[4096];
	size_t n;
	char *end;
	FILE *f;

	memset(v, 0, sizeof(*v));
	f = fopen(path, "r");
	cr_assert(f, "cannot open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		n = strlen(line);
		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		if (!strncmp(line, "-- ", 3)) {
			const char *s = line + 3;

			sec = !strcmp(s, "hex") ? S_HEX :
			      !strcmp(s, "raw") ? S_RAW :
			      !strcmp(s, "mem") ? S_MEM :
			      !strcmp(s, "result") ? S_RESULT :
			      !strcmp(s, "error") ? S_ERROR : S_OTHER;
			if (sec == S_ERROR)
				v->has_error = 1;
			continue;
		}
		if (line[0] == '#' || !line[0])
			continue;
		switch (sec) {
		case S_HEX:
			add_hex(&v->code, &v->code_len, line, file);
			break;
		case S_RAW:
			add_raw(&v->raw, &v->raw_len, line, file);
			break;
		case S_MEM:
			add_hex(&v->mem, &v->mem_len, line, file);
			break;
		case S_RESULT:
			v->result = strtoull(line, &end, 0);
			cr_assert(end != line, "%s: bad result '%s'", file, line);
			v->has_result = 1;
			break;
		default:
			break;
		}
	}
	fclose(f);
}

/* The suite's unwind helper: returns its first argument. */
static uint64_t helper_unwind(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			      uint64_t r5)
{
	return r1;
}

static bvc_helper_fn resolve(void *ctx, int32_t id)
{
	return id == UNWIND_HELPER ? helper_unwind : NULL;
}

ParameterizedTest(struct conf_case *c, conformance, vector)
{
	struct bvc_interp_region region;
	struct bvc_interp_opts opts;
	struct bvc_insn *insns;
	const uint8_t *code;
	size_t code_len;
	char path[4096];
	char err[256];
	struct vector v;
	uint64_t r0 = 0;
	int rc;

	if (!c->name[0])
		cr_assert_fail("conformance vectors not found in %s: %s", BVC_CONFORMANCE_DIR,
			 strerror(c->dir_errno));
	snprintf(path, sizeof(path), "%s/%s", BVC_CONFORMANCE_DIR, c->name);
	parse_vector(path, c->name, &v);

	code = v.code_len ? v.code : v.raw;
	code_len = v.code_len ? v.code_len : v.raw_len;
	cr_assert(code_len, "%s: no -- hex or -- raw section", c->name);
	cr_assert(code_len % sizeof(struct bvc_insn) == 0, "%s: %zu program bytes", c->name,
		  code_len);
	cr_assert(v.has_result || v.has_error, "%s: neither -- result nor -- error", c->name);
	if (v.code_len && v.raw_len)
		cr_assert(v.code_len == v.raw_len && !memcmp(v.code, v.raw, v.raw_len),
			  "%s: -- hex and -- raw disagree", c->name);

	insns = malloc(code_len);
	cr_assert(insns);
	memcpy(insns, code, code_len);

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.helper = resolve;
	opts.unwind_helper = UNWIND_HELPER;
	if (v.mem_len) {
		region.base = (uint64_t)(uintptr_t)v.mem;
		region.size = v.mem_len;
		region.writable = 1;
		opts.regions = &region;
		opts.region_cnt = 1;
	}
	rc = bvc_interp_run(insns, code_len / sizeof(struct bvc_insn),
			    v.mem_len ? (uint64_t)(uintptr_t)v.mem : 0, v.mem_len, &opts, &r0, err,
			    sizeof(err));
	if (v.has_error) {
		cr_expect(rc < 0, "%s: expected an error, ran to r0 = 0x%llx", c->name,
			  (unsigned long long)r0);
	} else {
		cr_expect(rc == 0, "%s: rc %d: %s", c->name, rc, err);
		cr_expect(rc != 0 || r0 == v.result, "%s: r0 = 0x%llx, expected 0x%llx", c->name,
			  (unsigned long long)r0, (unsigned long long)v.result);
	}
	free(insns);
	free(v.code);
	free(v.raw);
	free(v.mem);
}
