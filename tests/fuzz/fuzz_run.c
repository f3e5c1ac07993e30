// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: accept-then-run, the verifier's own soundness.
 *
 * A raw program (input format in fuzz.h) that the verifier accepts is
 * compiled (its lowered bytecode is what a device without a JIT runs) and
 * run by the runtime on the reference interpreter, over the input's bytes
 * as packet or tracing context, and over a variant of them. The
 * interpreter checks every load and store against the memory the program
 * was given (context, packet buffer, live stack frames): a fault, a bad
 * instruction or a jump out of the program is a program the verifier
 * should have refused, so it is a finding. Only the step budget (-ELOOP)
 * may end a run early: the verifier bounds loops by its own budget, not
 * ours.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/runtime.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_once(struct bvc_rt_prog *rp, uint32_t type, const uint8_t *in, size_t len)
{
	struct bvc_rt_ctx *ctx = NULL;
	char err[256];
	uint64_t r0;
	int ret;

	if (bvc_rt_ctx_new(type, in, len, &ctx, err, sizeof(err)))
		fuzz_fail("cannot make a context of %zu bytes: %s", len, err);
	ret = bvc_rt_run(rp, ctx, &r0, err, sizeof(err));
	if (ret && ret != -ELOOP)
		fuzz_fail("an accepted program faulted on the interpreter (%d): %s", ret, err);
	bvc_rt_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_ARM64 };
	struct bvc_rt_opts ro = { .sz = sizeof(ro), .force_interp = 1, .max_steps = 1u << 20 };
	struct bvc_jit_result *jr = NULL;
	struct bvc_rt_prog *rp = NULL;
	struct bvc_image *img = NULL;
	struct bvc_verdict v;
	struct bvc_blob blob;
	struct fuzz_prog p;
	char err[256];
	int ret;

	if (fuzz_prog_parse(data, size, &p))
		return 0;
	if (fuzz_verify(&p, 0, &img, &v))
		return 0;
	if (!bvc_verdict_accepted(&v))
		goto out;
	ret = bvc_jit_compile(img, &img->progs[0], &v, &jo, &jr, err, sizeof(err));
	if (ret)
		fuzz_fail("accepted, but the arm64 JIT refuses it (%d): %s", ret, err);
	fuzz_blob_of(img, jr, jo.target, &v, &blob);
	ret = bvc_rt_load(&blob, &ro, &rp, err, sizeof(err));
	if (ret) {
		/* A helper the device lacks is the runtime's refusal, not
		 * the verifier's fault. */
		if (ret == -EOPNOTSUPP)
			goto out;
		fuzz_fail("the runtime refuses an accepted program (%d): %s", ret, err);
	}
	run_once(rp, p.type, p.input, p.input_len);
	if (p.flags & FUZZ_F_VAR) {
		/* The same program on a shorter input and on an empty one:
		 * what it may touch moves with the packet's length. */
		run_once(rp, p.type, p.input, p.input_len / 2);
		run_once(rp, p.type, NULL, 0);
	}
out:
	bvc_rt_prog_free(rp);
	bvc_jit_result_free(jr);
	bvc_verdict_release(&v);
	bvc_image_free(img);
	return 0;
}
