// SPDX-License-Identifier: MIT
/*
 * Every bpf_conformance vector through the arm64 back end, run in unicorn:
 * one Criterion case per .data file. The program is compiled with
 * bvc_jit_arm64() directly (the vectors are not all verifiable programs:
 * an accepted verdict with no facts and a 512-byte stack stands in for
 * the verifier), gets r1 = its memory (writable) and r2 = its length, and
 * must return the vector's r0.
 *
 * Helper 5 is the suite's "unwind" helper; the JIT does not unwind (that
 * is an interpreter option), so here it only returns its first argument.
 * callx is skipped: no verifier accepts it and the back end refuses it.
 *
 * Must not: skip a file silently, or pass when the directory cannot be read.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define UNWIND_HELPER 5

/* One vector. Fixed-size name: Criterion copies params across its workers. */
struct conf_case {
	char name[128]; /* file name within BVC_CONFORMANCE_DIR; "" if the dir failed */
	int dir_errno;  /* why the directory could not be read */
};

/* What a .data file says. */
struct vector {
	uint8_t *code; /* program bytes (hex, else raw) */
	size_t code_len;
	uint8_t *mem;
	size_t mem_len;
	int has_result;
	uint64_t result;
	int has_error;
	int callx;     /* the program uses callx */
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

ParameterizedTestParameters(arm64_conformance, vector)
{
	struct conf_case *cases;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;

	d = opendir(BVC_CONFORMANCE_DIR);
	if (!d) {
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
	uint8_t *raw = NULL;
	size_t raw_len = 0, n;
	char line[4096];
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
			add_raw(&raw, &raw_len, line, file);
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
	if (!v->code_len) {
		v->code = raw;
		v->code_len = raw_len;
	} else {
		free(raw);
	}
	for (n = 0; n + 8 <= v->code_len; n += 8)
		if (v->code[n] == (BVC_JMP | BVC_CALL | BVC_X))
			v->callx = 1;
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

enum outcome { PASSED, SKIPPED, FAILED };

/* Compile and run one vector; @why says what went wrong or why it was skipped. */
static enum outcome run_vector(const char *name, char *why, size_t whysz)
{
	enum outcome out = FAILED;
	struct bvc_jit_result jit;
	struct emu_run run;
	char path[4096];
	char err[256];
	struct vector v;
	int rc;

	why[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", BVC_CONFORMANCE_DIR, name);
	parse_vector(path, name, &v);
	if (!v.code_len || v.code_len % sizeof(struct bvc_insn) || (!v.has_result && !v.has_error)) {
		snprintf(why, whysz, "%zu program bytes, result %d, error %d", v.code_len,
			 v.has_result, v.has_error);
		goto done;
	}
	if (v.callx) {
		/* refused, not skipped blindly: the back end must say so */
		rc = emu_compile((const struct bvc_insn *)v.code, v.code_len / 8, 512, &jit, err,
				 sizeof(err));
		if (rc != -EOPNOTSUPP || !strstr(err, "unsupported: ")) {
			snprintf(why, whysz, "callx: rc %d '%s', expected unsupported", rc, err);
			if (!rc)
				emu_release(&jit);
			goto done;
		}
		snprintf(why, whysz, "callx");
		out = SKIPPED;
		goto done;
	}
	if (v.has_error) {
		snprintf(why, whysz, "a refusal is the verifier's");
		out = SKIPPED;
		goto done;
	}
	rc = emu_compile((const struct bvc_insn *)v.code, v.code_len / 8, 512, &jit, err,
			 sizeof(err));
	if (rc) {
		snprintf(why, whysz, "JIT rc %d: %s", rc, err);
		goto done;
	}
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.mem = v.mem;
	run.mem_len = v.mem_len;
	run.x0 = v.mem_len ? EMU_MEM : 0;
	run.x1 = v.mem_len;
	run.helper = resolve;
	rc = emu_run(&run);
	if (rc)
		snprintf(why, whysz, "%s", run.err);
	else if (run.r0 != v.result)
		snprintf(why, whysz, "r0 = 0x%llx, expected 0x%llx", (unsigned long long)run.r0,
			 (unsigned long long)v.result);
	else
		out = PASSED;
	emu_release(&jit);
done:
	free(v.code);
	free(v.mem);
	return out;
}

ParameterizedTest(struct conf_case *c, arm64_conformance, vector)
{
	char why[512];
	enum outcome o;

	if (!c->name[0])
		cr_assert_fail("conformance vectors not found in %s: %s", BVC_CONFORMANCE_DIR,
			       strerror(c->dir_errno));
	o = run_vector(c->name, why, sizeof(why));
	cr_expect_neq(o, FAILED, "%s: %s", c->name, why);
	if (o == SKIPPED)
		cr_log_info("arm64 conformance: %s skipped (%s)", c->name, why);
}

/* The whole directory in one process, for the count per target. */
Test(arm64_conformance, pass_count)
{
	size_t pass = 0, skip = 0, fail = 0;
	struct dirent *de;
	char why[512];
	DIR *d;

	d = opendir(BVC_CONFORMANCE_DIR);
	cr_assert(d, "%s: %s", BVC_CONFORMANCE_DIR, strerror(errno));
	while ((de = readdir(d))) {
		if (!is_data_file(de->d_name))
			continue;
		switch (run_vector(de->d_name, why, sizeof(why))) {
		case PASSED: pass++; break;
		case SKIPPED: skip++; break;
		case FAILED: fail++; break;
		}
	}
	closedir(d);
	cr_log_info("arm64 (unicorn) conformance: %zu passed, %zu skipped, %zu failed of %zu",
		    pass, skip, fail, pass + skip + fail);
	cr_expect_eq(fail, 0, "%zu vectors failed", fail);
	cr_expect_gt(pass, 300, "only %zu vectors passed", pass);
}
