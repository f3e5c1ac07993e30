// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: accept-then-run, the verifier's own soundness.
 *
 * A raw program (input format in fuzz.h) that the verifier accepts is
 * compiled (its lowered bytecode is what a device without a JIT runs) and
 * run on the reference interpreter, over the input's bytes as packet or
 * tracing context, and over variants of them: once by the runtime as a
 * device runs it, once here with only what the program was given as
 * memory: the device context, the live stack frames and the packet from
 * data to data_end — not the headroom and tailroom around it, which the
 * runtime's own run allows for bpf_xdp_adjust_*() (a program calling those
 * gets the whole buffer here too). The interpreter checks every load and
 * store against those regions: a fault, a bad instruction or a jump out
 * of the program is a program the verifier should have refused, so it is
 * a finding. Only the step budget (-ELOOP) may end a run early: the
 * verifier bounds loops by its own budget, not ours.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/interp.h"
#include "bpfvc/runtime.h"
#include "fuzz.h"
#include "runtime_internal.h"

#define STEPS (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether @rp calls a helper that moves data, data_meta or data_end
 * (bpf_xdp_adjust_head, _meta, _tail). */
static int moves_packet(const struct bvc_rt_prog *rp)
{
	for (size_t i = 0; i < rp->insn_cnt; i++) {
		const struct bvc_insn *in = &rp->insns[i];

		if (in->code == (BVC_JMP | BVC_CALL) && in->src == 0 &&
		    (in->imm == 44 || in->imm == 54 || in->imm == 65))
			return 1;
	}
	return 0;
}

/* The run with nothing but what the program was given. */
static int strict_run(struct bvc_rt_prog *rp, struct bvc_rt_ctx *c, char *err, size_t errsz)
{
	struct bvc_interp_region r[2] = { { 0 } };
	struct bvc_interp_opts o = { .sz = sizeof(o), .regions = r, .helper = rt_interp_helper,
				     .helper_ctx = c, .max_steps = STEPS };
	struct rt_run saved = rt_cur;
	uint64_t r0;
	int ret;

	r[0].base = (uint64_t)(uintptr_t)c->dev;
	r[0].size = c->size;
	r[0].writable = c->kind != RT_CTX_TRACE;
	o.region_cnt = 1;
	if (c->buf) {
		uint8_t **ptrs = rt_ctx_ptrs(c);

		if (moves_packet(rp)) {
			r[1].base = (uint64_t)(uintptr_t)c->buf;
			r[1].size = c->buf_size;
		} else {
			r[1].base = (uint64_t)(uintptr_t)ptrs[0];
			r[1].size = (uint64_t)(ptrs[1] - ptrs[0]);
		}
		r[1].writable = 1;
		o.region_cnt = 2;
		o.packet.data = ptrs[0];
		o.packet.len = (uint64_t)(ptrs[1] - ptrs[0]);
	}
	rt_cur.prog = rp;
	rt_cur.ctx = c;
	ret = bvc_interp_run(rp->insns, rp->insn_cnt, r[0].base, c->size, &o, &r0, err, errsz);
	rt_cur = saved;
	return ret;
}

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
	bvc_rt_ctx_reset(ctx);
	ret = strict_run(rp, ctx, err, sizeof(err));
	if (ret && ret != -ELOOP)
		fuzz_fail("an accepted program touched memory it was not given (%d): %s", ret,
			  err);
	bvc_rt_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_ARM64 };
	struct bvc_rt_opts ro = { .sz = sizeof(ro), .force_interp = 1, .max_steps = STEPS };
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
