// SPDX-License-Identifier: MIT
/*
 * The JIT target registry and the compile entry point.
 *
 * Target numbers, names and pointer sizes are abi/names.c's (the blob
 * reader and the device name targets too); here each target number maps
 * to its back end (x86_64/, arm64/, thumbv7m/), and
 * bvc_jit_compile() refuses a target without one with "unsupported: ...".
 *
 * Must not: pick a target from the host (#ifdef __x86_64__), print, or
 * return success without code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/jitter.h"
#include "bpfvc/util.h"
#include "jitter_internal.h"

/* The back end of each target (enum bvc_jit_target, whose names and
 * pointer sizes are in abi/names.c); NULL: no back end yet. */
static const bvc_jit_backend_fn backends[] = {
	[BVC_JIT_X86_64] = bvc_jit_x86_64,
	[BVC_JIT_ARM64] = bvc_jit_arm64,
	[BVC_JIT_THUMBV7M] = bvc_jit_thumbv7m,
};

int bvc_jit_compile(const struct bvc_image *img, const struct bvc_prog *prog,
		    const struct bvc_verdict *verdict, const struct bvc_jit_opts *opts,
		    struct bvc_jit_result **out, char *err, size_t errsz)
{
	bvc_jit_backend_fn compile;
	const char *name;

	if (out)
		*out = NULL;
	if (!img || !prog || !verdict || !opts || !out) {
		bvc_set_err(err, errsz, "bvc_jit_compile: missing argument");
		return -EINVAL;
	}
	if (bvc_opts_check(opts, sizeof(*opts), BVC_OPTS_END(struct bvc_jit_opts, target),
			   "bvc_jit_opts", err, errsz))
		return -EINVAL;
	name = bvc_jit_target_name(opts->target);
	if (!name) {
		bvc_set_err(err, errsz, "unknown target %d", (int)opts->target);
		return -EINVAL;
	}
	/* Only the verifier decides what is safe to run natively. */
	if (!bvc_verdict_accepted(verdict)) {
		bvc_set_err(err, errsz, "refusing to compile a program the verifier did not accept");
		return -EINVAL;
	}
	compile = NULL;
	if ((size_t)opts->target < sizeof(backends) / sizeof(backends[0]))
		compile = backends[opts->target];
	if (!compile) {
		bvc_set_err(err, errsz, "unsupported: JIT for %s is not built yet", name);
		return -EOPNOTSUPP;
	}
	{
		struct bvc_jit_result *res = calloc(1, sizeof(*res));
		int ret;

		if (!res)
			return -ENOMEM;
		ret = bvc_jit_lower(prog, verdict, &res->lowered, err, errsz);
		if (!ret) {
			res->lowered_cnt = prog->insn_cnt;
			res->stack_size = verdict->stack_depth;
			ret = compile(img, prog, res->lowered, res->lowered_cnt, verdict, res, err,
					  errsz);
		}
		if (ret) {
			bvc_jit_result_free(res);
			return ret;
		}
		*out = res;
		return 0;
	}
}

void bvc_jit_result_free(struct bvc_jit_result *res)
{
	if (!res)
		return;
	free(res->code);
	free(res->relocs);
	free(res->lowered);
	free(res);
}

int bvc_jit_check_regs(const struct bvc_insn *insns, size_t cnt, char *err, size_t errsz)
{
	for (size_t i = 0; i < cnt; i++) {
		const struct bvc_insn *insn = &insns[i];
		uint8_t cls = bvc_insn_class(insn);
		/* src is a pseudo source in ld_imm64 and call, a register elsewhere. */
		int src_is_reg = !bvc_insn_is_ld_imm64(insn) && insn->code != (BVC_JMP | BVC_CALL | BVC_K);

		if (insn->dst >= BVC_MAX_REG || (src_is_reg && insn->src >= BVC_MAX_REG)) {
			bvc_set_err(err, errsz, "internal error: insn %zu uses r%u, which no target has",
				    i, insn->dst >= BVC_MAX_REG ? insn->dst : insn->src);
			return -EFAULT;
		}
		if (insn->dst == BVC_REG_FP &&
		    (cls == BVC_ALU || cls == BVC_ALU64 || cls == BVC_LDX || bvc_insn_is_ld_imm64(insn))) {
			bvc_set_err(err, errsz, "internal error: insn %zu writes the frame pointer", i);
			return -EFAULT;
		}
		if (cls == BVC_STX && bvc_insn_mode(insn) == BVC_ATOMIC && (insn->imm & BVC_FETCH) &&
		    insn->imm != BVC_CMPXCHG && insn->src == BVC_REG_FP) {
			bvc_set_err(err, errsz, "internal error: insn %zu writes the frame pointer", i);
			return -EFAULT;
		}
		if (bvc_insn_is_ld_imm64(insn))
			i++; /* the second half holds the upper immediate only */
	}
	return 0;
}

uint32_t bvc_jit_func_frame(const struct bvc_verdict *v, size_t start)
{
	for (size_t k = 0; v->func_stack && k < v->func_cnt; k++)
		if (v->func_stack[k].insn == start && v->func_stack[k].depth <= v->stack_depth)
			return (v->func_stack[k].depth + 15) & ~15u;
	return (v->stack_depth + 15) & ~15u;
}

int bvc_jit_has_prog_array(const struct bvc_image *img)
{
	for (size_t i = 0; img && i < img->map_cnt; i++)
		if (img->maps[i].type == BVC_MAP_PROG_ARRAY)
			return 1;
	return 0;
}
