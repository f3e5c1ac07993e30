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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/interp.h"
#include "common/conformance.h"

#define UNWIND_HELPER 5

static void free_params(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

ParameterizedTestParameters(conformance, vector)
{
	struct bvc_conf_case *cases;
	size_t n = bvc_conf_list(BVC_CONFORMANCE_DIR, cr_calloc, &cases);

	return cr_make_param_array(struct bvc_conf_case, cases, n, free_params);
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

ParameterizedTest(struct bvc_conf_case *c, conformance, vector)
{
	struct bvc_interp_region region;
	struct bvc_interp_opts opts;
	struct bvc_conf_vector v;
	struct bvc_insn *insns;
	char path[4096];
	char err[256];
	uint64_t r0 = 0;
	int rc;

	if (!c->name[0])
		cr_assert_fail("conformance vectors not found in %s: %s", BVC_CONFORMANCE_DIR,
			 strerror(c->dir_errno));
	snprintf(path, sizeof(path), "%s/%s", BVC_CONFORMANCE_DIR, c->name);
	cr_assert_eq(bvc_conf_parse(path, &v, err, sizeof(err)), 0, "%s", err);
	insns = malloc(v.code_len);
	cr_assert(insns);
	memcpy(insns, v.code, v.code_len);

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
	rc = bvc_interp_run(insns, v.code_len / sizeof(struct bvc_insn),
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
	bvc_conf_free(&v);
}
