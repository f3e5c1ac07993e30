// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the x86_64 JIT against the reference interpreter.
 *
 * A raw program (input format in fuzz.h) that the verifier accepts is
 * compiled for x86_64 and loaded twice by the runtime: native code, and
 * the same blob forced onto the interpreter. Both run on the same input;
 * r0, the outcome and the packet as the program left it must agree.
 * Programs calling a helper whose result differs between two calls
 * (clocks, random numbers, reads of arbitrary memory) are only run, not
 * compared. A difference, a crash or a sanitizer report is a finding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/runtime.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* bpf_probe_read* (4, 45, 112-115), ktime (5, 125), prandom (7) */
static int deterministic(const struct bvc_blob *b)
{
	for (uint32_t i = 0; i < b->meta.helper_cnt; i++) {
		switch (b->meta.helper_ids[i]) {
		case 4: case 5: case 7: case 45: case 112: case 113: case 114: case 115:
		case 125:
			return 0;
		}
	}
	return 1;
}

struct outcome {
	int ret;
	uint64_t r0;
	uint8_t pkt[512];
	size_t pkt_len;
};

static void run_on(struct bvc_rt_prog *rp, uint32_t type, const uint8_t *in, size_t len,
		   struct outcome *o)
{
	struct bvc_rt_ctx *ctx = NULL;
	const uint8_t *pkt;
	char err[256];

	memset(o, 0, sizeof(*o));
	if (bvc_rt_ctx_new(type, in, len, &ctx, err, sizeof(err)))
		fuzz_fail("cannot make a context of %zu bytes: %s", len, err);
	o->ret = bvc_rt_run(rp, ctx, &o->r0, err, sizeof(err));
	pkt = bvc_rt_ctx_packet(ctx, &o->pkt_len);
	if (pkt && o->pkt_len <= sizeof(o->pkt))
		memcpy(o->pkt, pkt, o->pkt_len);
	else
		o->pkt_len = 0;
	bvc_rt_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_X86_64 };
	struct bvc_rt_opts native = { .sz = sizeof(native) };
	struct bvc_rt_opts interp = { .sz = sizeof(interp), .force_interp = 1,
				      .max_steps = 1u << 20 };
	struct bvc_rt_prog *rn = NULL, *ri = NULL;
	struct bvc_jit_result *jr = NULL;
	struct bvc_image *img = NULL;
	struct outcome on, oi;
	struct bvc_verdict v;
	struct bvc_blob blob;
	struct fuzz_prog p;
	char err[256];
	int ret;

	if (fuzz_prog_parse(data, size, &p))
		return 0;
	if (p.input_len > 256)
		p.input_len = 256;
	if (fuzz_verify(&p, 0, &img, &v))
		return 0;
	if (!bvc_verdict_accepted(&v))
		goto out;
	ret = bvc_jit_compile(img, &img->progs[0], &v, &jo, &jr, err, sizeof(err));
	if (ret)
		fuzz_fail("accepted, but the x86_64 JIT refuses it (%d): %s", ret, err);
	fuzz_blob_of(img, jr, jo.target, &v, &blob);
	if (bvc_rt_load(&blob, &interp, &ri, err, sizeof(err)))
		goto out; /* a helper this runtime lacks */
	run_on(ri, p.type, p.input, p.input_len, &oi);
	/* The interpreter first: a program it cannot finish (step budget)
	 * or that faults (fuzz_run's business) is not run natively. */
	if (oi.ret)
		goto out;
	if (bvc_rt_load(&blob, &native, &rn, err, sizeof(err)))
		fuzz_fail("the interpreter loads it, native loading refuses: %s", err);
	run_on(rn, p.type, p.input, p.input_len, &on);
	if (!deterministic(&blob))
		goto out;
	if (on.ret != oi.ret || on.r0 != oi.r0)
		fuzz_fail("native r0 0x%llx (%d), interpreter r0 0x%llx (%d)",
			  (unsigned long long)on.r0, on.ret, (unsigned long long)oi.r0, oi.ret);
	if (on.pkt_len != oi.pkt_len || memcmp(on.pkt, oi.pkt, on.pkt_len))
		fuzz_fail("the packet differs after the run (native %zu bytes, interpreter %zu)",
			  on.pkt_len, oi.pkt_len);
out:
	bvc_rt_prog_free(rn);
	bvc_rt_prog_free(ri);
	bvc_jit_result_free(jr);
	bvc_verdict_release(&v);
	bvc_image_free(img);
	return 0;
}
