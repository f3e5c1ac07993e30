// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the arm64 JIT against the reference interpreter, the
 * code run in unicorn (tests/jitter_arm64/emu.c).
 *
 * A raw program (input format in fuzz.h) of a tracing type that the
 * verifier accepts is compiled for arm64; its lowered bytecode runs on the
 * interpreter and its code in unicorn, both with r1 pointing to the same
 * context bytes (the input, zero-padded, read only) and the same
 * deterministic helpers. r0 must agree unless it is an address (of the
 * stack or the context, which differ between the two by construction).
 * Tracing types only: a networking context holds host pointers to the
 * packet, which unicorn cannot follow. A difference, a fault in the
 * emulator where the interpreter ran clean, a crash or a sanitizer report
 * is a finding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/interp.h"
#include "fuzz.h"
#include "jitter_arm64/emu.h"

#define CTX_SIZE 1024 /* more than any tracing context the verifier allows */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t h_zero(void *ctx, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return 0;
}

static uint64_t h_pid(void *ctx, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return UINT64_C(0x0000123400005678);
}

/* get_smp_processor_id, get_current_pid_tgid, get_current_uid_gid */
static bvc_helper_fn helper(void *ctx, int32_t id)
{
	switch (id) {
	case 8: return h_zero;
	case 14: case 15: return h_pid;
	}
	return NULL;
}

static int is_tracing(uint32_t type)
{
	return type == BVC_PROG_KPROBE || type == BVC_PROG_TRACEPOINT ||
	       type == BVC_PROG_PERF_EVENT || type == BVC_PROG_RAW_TRACEPOINT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ctx_i[CTX_SIZE], ctx_e[CTX_SIZE];
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_ARM64 };
	struct bvc_interp_region reg = { .size = CTX_SIZE };
	struct bvc_interp_opts io = { .sz = sizeof(io), .regions = &reg, .region_cnt = 1,
				      .helper = helper, .max_steps = 1u << 20 };
	struct bvc_jit_result *jr = NULL;
	struct bvc_image *img = NULL;
	struct emu_run er;
	struct bvc_verdict v;
	struct fuzz_prog p;
	uint64_t r0;
	char err[256];
	int ret;

	if (fuzz_prog_parse(data, size, &p) || !is_tracing(p.type))
		return 0;
	if (fuzz_verify(&p, 0, &img, &v))
		return 0;
	if (!bvc_verdict_accepted(&v))
		goto out;
	ret = bvc_jit_compile(img, &img->progs[0], &v, &jo, &jr, err, sizeof(err));
	if (ret)
		fuzz_fail("accepted, but the arm64 JIT refuses it (%d): %s", ret, err);
	memset(ctx_i, 0, sizeof(ctx_i));
	memcpy(ctx_i, p.input, p.input_len < CTX_SIZE ? p.input_len : CTX_SIZE);
	memcpy(ctx_e, ctx_i, sizeof(ctx_e));
	reg.base = (uint64_t)(uintptr_t)ctx_i;
	ret = bvc_interp_run(jr->lowered, jr->lowered_cnt, reg.base, CTX_SIZE, &io, &r0, err,
			     sizeof(err));
	/* A helper we do not offer, or the step budget: nothing to compare.
	 * A fault is fuzz_run's finding, not this harness's. */
	if (ret)
		goto out;
	memset(&er, 0, sizeof(er));
	er.jit = jr;
	er.mem = ctx_e;
	er.mem_len = sizeof(ctx_e);
	er.arg1 = EMU_MEM;
	er.arg2 = CTX_SIZE;
	er.helper = helper;
	if (emu_run(&er))
		fuzz_fail("the interpreter ran it (r0 0x%llx), unicorn: %s",
			  (unsigned long long)r0, er.err);
	/* An address in r0 (stack or context) differs by construction. */
	if (r0 - reg.base < CTX_SIZE || er.r0 - EMU_MEM < CTX_SIZE ||
	    er.r0 - EMU_STACK < (1u << 20) || (r0 >> 40) == ((uint64_t)(uintptr_t)&r0 >> 40))
		goto out;
	if (er.r0 != r0)
		fuzz_fail("arm64 r0 0x%llx, interpreter r0 0x%llx", (unsigned long long)er.r0,
			  (unsigned long long)r0);
out:
	bvc_jit_result_free(jr);
	bvc_verdict_release(&v);
	bvc_image_free(img);
	return 0;
}
