// SPDX-License-Identifier: MIT
/*
 * Every bpf_conformance vector through one back end, run in unicorn: one
 * Criterion case per .data file. Compiled into each back end's emulator
 * suite (tests/jitter_arm64, tests/jitter_thumbv7m), which names itself
 * with BVC_JIT_SUITE (arm64) and its emulator header with BVC_JIT_EMU_H
 * (both set by its CMakeLists.txt): one copy of the test for every
 * target. The program is compiled with the back end's JIT directly
 * through emu_compile() (the vectors are not all verifiable programs:
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conformance.h"
#include BVC_JIT_EMU_H

#define SUITE_(s, x) s##_##x
#define SUITE(s, x) SUITE_(s, x)
#define STR_(s) #s
#define STR(s) STR_(s)

#define UNWIND_HELPER 5

static void free_params(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

ParameterizedTestParameters(SUITE(BVC_JIT_SUITE, conformance), vector)
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

enum outcome { PASSED, SKIPPED, FAILED };

/* Compile and run one vector; @why says what went wrong or why it was skipped. */
static enum outcome run_vector(const char *name, char *why, size_t whysz)
{
	enum outcome out = FAILED;
	struct bvc_conf_vector v;
	struct bvc_jit_result jit;
	struct emu_run run;
	char path[4096];
	char err[256];
	int rc;

	why[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", BVC_CONFORMANCE_DIR, name);
	if (bvc_conf_parse(path, &v, why, whysz))
		return FAILED;
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
	run.arg1 = v.mem_len ? EMU_MEM : 0;
	run.arg2 = v.mem_len;
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
	bvc_conf_free(&v);
	return out;
}

ParameterizedTest(struct bvc_conf_case *c, SUITE(BVC_JIT_SUITE, conformance), vector)
{
	char why[512];
	enum outcome o;

	if (!c->name[0])
		cr_assert_fail("conformance vectors not found in %s: %s", BVC_CONFORMANCE_DIR,
			       strerror(c->dir_errno));
	o = run_vector(c->name, why, sizeof(why));
	cr_expect_neq(o, FAILED, "%s: %s", c->name, why);
	if (o == SKIPPED)
		cr_log_info(STR(BVC_JIT_SUITE) " conformance: %s skipped (%s)", c->name, why);
}

/* The whole directory in one process, for the count per target. */
Test(SUITE(BVC_JIT_SUITE, conformance), pass_count)
{
	size_t pass = 0, skip = 0, fail = 0;
	struct bvc_conf_case *cases;
	size_t n = bvc_conf_list(BVC_CONFORMANCE_DIR, calloc, &cases);
	char why[512];

	cr_assert(cases && cases[0].name[0], "%s: %s", BVC_CONFORMANCE_DIR,
		  strerror(cases ? cases[0].dir_errno : ENOMEM));
	for (size_t i = 0; i < n; i++) {
		switch (run_vector(cases[i].name, why, sizeof(why))) {
		case PASSED: pass++; break;
		case SKIPPED: skip++; break;
		case FAILED: fail++; break;
		}
	}
	free(cases);
	cr_log_info(STR(BVC_JIT_SUITE) " (unicorn) conformance: %zu passed, %zu skipped, %zu failed of %zu",
		    pass, skip, fail, pass + skip + fail);
	cr_expect_eq(fail, 0, "%zu vectors failed", fail);
	cr_expect_gt(pass, 300, "only %zu vectors passed", pass);
}
