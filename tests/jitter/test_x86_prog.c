// SPDX-License-Identifier: MIT
/*
 * The x86_64 back end on small hand-written programs and on a real one.
 *
 * Refusals: what the back end cannot translate is "unsupported: ..."
 * (-EOPNOTSUPP), what is not a well-formed verified program is -EINVAL;
 * neither produces code. Relocations: every address is a 64-bit slot with
 * a relocation (maps, map values, helpers, runtime intrinsics), and the
 * code computes with what the slot is given. Function addresses
 * (ld_imm64 BPF_PSEUDO_FUNC) are RIP-relative and callable.
 *
 * Real program: tests/progs/subprog_loop.bpf.o through the loader, the
 * verifier and bvc_jit_compile(), checked for well-formed relocations and
 * run natively with a device context (bpfvc/devabi.h) and a test
 * bpf_skb_load_bytes, beside the interpreter on the lowered bytecode.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/devabi.h"
#include "bpfvc/interp.h"
#include "bpfvc/jitter.h"
#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"
#include "x86_run.h"

#define I(c, d, s, o, i) { .code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i) }
#define MOV64K(d, i) I(BVC_ALU64 | BVC_MOV | BVC_K, d, 0, 0, i)
#define EXIT I(BVC_JMP | BVC_EXIT, 0, 0, 0, 0)
#define LD64(d, src, lo, hi) I(BVC_LD | BVC_IMM | BVC_DW, d, src, 0, lo), I(0, 0, 0, 0, hi)
#define MAX_CASE 8

/* A program the back end must refuse, and how. */
struct refusal {
	const char *name;
	struct bvc_insn insns[MAX_CASE];
	size_t cnt;
	uint32_t stack;
	int ret;
	const char *msg; /* substring of the error */
};

static const struct refusal refusals[] = {
	{ "callx", { MOV64K(1, 5), I(BVC_JMP | BVC_CALL | BVC_X, 1, 0, 0, 0), EXIT }, 3, 0,
	  -EOPNOTSUPP, "unsupported: callx" },
	{ "may_goto", { MOV64K(0, 0), I(BVC_JMP | BVC_JCOND, 0, 0, 0, 0), EXIT }, 3, 0,
	  -EOPNOTSUPP, "unsupported: may_goto" },
	{ "kfunc", { I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_KFUNC_CALL, 0, 1234), EXIT }, 2, 0,
	  -EOPNOTSUPP, "unsupported: kfunc call" },
	{ "ld_abs in a subprogram",
	  { I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 1), EXIT,
	    I(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0), EXIT },
	  4, 0, -EOPNOTSUPP, "unsupported: LD_ABS/LD_IND inside a bpf-to-bpf function" },
	{ "map fd", { LD64(0, BVC_PSEUDO_MAP_FD, 3, 0), EXIT }, 3, 0, -EOPNOTSUPP,
	  "unsupported: ld_imm64 with this pseudo source" },
	{ "addr_space_cast", { I(BVC_ALU64 | BVC_MOV | BVC_X, 0, 1, 1, 1), EXIT }, 2, 0,
	  -EOPNOTSUPP, "unsupported: addr_space_cast" },
	{ "bad movsx", { I(BVC_ALU | BVC_MOV | BVC_X, 0, 1, 32, 0), EXIT }, 2, 0, -EOPNOTSUPP,
	  "unsupported: mov with this offset" },
	{ "bad swap width", { I(BVC_ALU | BVC_END | BVC_TO_BE, 0, 0, 0, 8), EXIT }, 2, 0,
	  -EOPNOTSUPP, "unsupported: byte swap of this width" },
	{ "alu op 0xf0", { I(BVC_ALU64 | 0xf0 | BVC_K, 0, 0, 0, 0), EXIT }, 2, 0, -EOPNOTSUPP,
	  "unsupported: ALU operation" },
	{ "ldx dw memsx", { I(BVC_LDX | BVC_MEMSX | BVC_DW, 0, 10, -8, 0), EXIT }, 2, 8,
	  -EOPNOTSUPP, "unsupported: load mode" },
	{ "atomic byte", { I(BVC_STX | BVC_ATOMIC | BVC_B, 10, 0, -8, BVC_ADD), EXIT }, 2, 8,
	  -EOPNOTSUPP, "unsupported: store mode" },
	{ "write r10", { MOV64K(10, 0), EXIT }, 2, 0, -EFAULT,
	  "internal error: insn 0 writes the frame pointer" },
	{ "fetch into r10",
	  { I(BVC_STX | BVC_ATOMIC | BVC_DW, 1, 10, 0, BVC_ADD | BVC_FETCH), EXIT }, 2, 0, -EFAULT,
	  "internal error: insn 0 writes the frame pointer" },
	{ "register 11", { I(BVC_ALU64 | BVC_MOV | BVC_X, 0, 11, 0, 0), EXIT }, 2, 0, -EFAULT,
	  "internal error: insn 0 uses r11" },
	{ "half an ld_imm64", { MOV64K(0, 0), I(BVC_LD | BVC_IMM | BVC_DW, 0, 0, 0, 1) }, 2, 0,
	  -EINVAL, "invalid bpf_ld_imm64 insn" },
	{ "jump into an ld_imm64",
	  { I(BVC_JMP | BVC_JA, 0, 0, 1, 0), LD64(0, 0, 1, 2), EXIT }, 4, 0, -EINVAL,
	  "jump out of range" },
	{ "jump out of the program", { I(BVC_JMP | BVC_JA, 0, 0, 5, 0), EXIT }, 2, 0, -EINVAL,
	  "jump out of range" },
	{ "jump into another function",
	  { I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 2), I(BVC_JMP | BVC_JA, 0, 0, 2, 0), EXIT,
	    MOV64K(0, 1), EXIT },
	  5, 0, -EINVAL, "jump out of range" },
	{ "call out of the program", { I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 9), EXIT }, 2,
	  0, -EINVAL, "call to an invalid destination" },
	{ "falls off the end", { MOV64K(0, 0) }, 1, 0, -EINVAL, "last insn is not an exit or jmp" },
	{ "falls into the next function",
	  { I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 0), MOV64K(0, 0), EXIT }, 3, 0, -EINVAL,
	  "last insn is not an exit or jmp" },
	{ "stack too deep", { MOV64K(0, 0), EXIT }, 2, 520, -EINVAL, "stack depth 520" },
};

Test(jitter_x86, refusals)
{
	for (size_t k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
		const struct refusal *c = &refusals[k];
		struct bvc_jit_result *res = (struct bvc_jit_result *)1;
		char err[256] = "";
		int ret;

		ret = xrun_compile(c->insns, c->cnt, c->stack, &res, err, sizeof(err));
		cr_expect_eq(ret, c->ret, "%s: returned %d (%s)", c->name, ret, err);
		cr_expect(strstr(err, c->msg), "%s: '%s' does not say '%s'", c->name, err, c->msg);
		cr_expect_null(res, "%s: code on failure", c->name);
	}
}

/* ---- relocations, run natively ---- */

#define FAKE_MAP(idx) (0x100000ull + 0x1000ull * (idx))

static uint64_t helper_args(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 10 * b + 100 * c + 1000 * d + 10000 * e;
}

static int64_t fake_ld_abs(const void *ctx, int64_t off)
{
	/* Byte k of the "packet" is k + 1; ctx must be what r6 held. */
	if ((uintptr_t)ctx != 0xc0ffee || off < 0 || off > 60)
		return -1;
	return off + 1;
}

static uint64_t resolve(const struct bvc_reloc *r, void *arg)
{
	switch (r->kind) {
	case BVC_RELOC_MAP: return FAKE_MAP(r->target);
	case BVC_RELOC_MAP_VALUE: return FAKE_MAP(r->target) + 0x800 + (uint64_t)(int64_t)r->addend;
	case BVC_RELOC_HELPER: return r->target == 7 ? (uint64_t)(uintptr_t)helper_args : 0;
	case BVC_RELOC_RUNTIME: return (uint64_t)(uintptr_t)fake_ld_abs;
	}
	return 0;
}

/* Compile, check the relocation slots, run with r1 = @r1, return r0. */
static uint64_t run(const struct bvc_insn *insns, size_t cnt, uint64_t r1,
		    struct bvc_jit_result **keep)
{
	struct bvc_jit_result *res;
	struct xrun_prog p;
	char err[256] = "";
	uint64_t r0;

	cr_assert_eq(xrun_compile(insns, cnt, 64, &res, err, sizeof(err)), 0, "%s", err);
	for (size_t k = 0; k < res->reloc_cnt; k++) {
		const struct bvc_reloc *r = &res->relocs[k];
		static const uint8_t zero[8];

		cr_assert_leq(r->offset + 8, res->code_size);
		cr_assert_geq(r->offset, 2);
		cr_assert(!memcmp(res->code + r->offset, zero, 8), "slot %zu is not empty", k);
		/* movabs: REX.W (+B), B8+r */
		cr_assert_eq(res->code[r->offset - 2] & 0xfe, 0x48);
		cr_assert_eq(res->code[r->offset - 1] & 0xf8, 0xb8);
		if (k)
			cr_assert_geq(r->offset, res->relocs[k - 1].offset + 8, "slots overlap");
	}
	cr_assert_eq(xrun_load(res, resolve, NULL, &p, err, sizeof(err)), 0, "%s", err);
	r0 = p.entry((void *)(uintptr_t)r1, 0);
	xrun_unload(&p);
	if (keep)
		*keep = res;
	else
		bvc_jit_result_free(res);
	return r0;
}

Test(jitter_x86, reloc_map)
{
	static const struct bvc_insn prog[] = { LD64(0, BVC_PSEUDO_MAP_IDX, 3, 0), EXIT };
	struct bvc_jit_result *res;

	cr_assert_eq(run(prog, 3, 0, &res), FAKE_MAP(3));
	cr_assert_eq(res->reloc_cnt, 1);
	cr_assert_eq(res->relocs[0].kind, BVC_RELOC_MAP);
	cr_assert_eq(res->relocs[0].target, 3);
	cr_assert_eq(res->relocs[0].addend, 0);
	bvc_jit_result_free(res);
}

Test(jitter_x86, reloc_map_value)
{
	/* Into r7 (r13: an extended register), then load through it. */
	static const struct bvc_insn prog[] = {
		LD64(7, BVC_PSEUDO_MAP_IDX_VALUE, 2, 40), I(BVC_ALU64 | BVC_MOV | BVC_X, 0, 7, 0, 0),
		EXIT,
	};
	struct bvc_jit_result *res;

	cr_assert_eq(run(prog, 4, 0, &res), FAKE_MAP(2) + 0x800 + 40);
	cr_assert_eq(res->reloc_cnt, 1);
	cr_assert_eq(res->relocs[0].kind, BVC_RELOC_MAP_VALUE);
	cr_assert_eq(res->relocs[0].target, 2);
	cr_assert_eq(res->relocs[0].addend, 40);
	bvc_jit_result_free(res);
}

Test(jitter_x86, helper_gets_r1_to_r5)
{
	static const struct bvc_insn prog[] = {
		MOV64K(1, 1), MOV64K(2, 2), MOV64K(3, 3), MOV64K(4, 4), MOV64K(5, 5),
		MOV64K(6, 6), I(BVC_JMP | BVC_CALL, 0, 0, 0, 7),
		/* r6 survives the call */
		I(BVC_ALU64 | BVC_ADD | BVC_X, 0, 6, 0, 0), EXIT,
	};
	struct bvc_jit_result *res;

	cr_assert_eq(run(prog, 9, 0, &res), 54321 + 6);
	cr_assert_eq(res->reloc_cnt, 1);
	cr_assert_eq(res->relocs[0].kind, BVC_RELOC_HELPER);
	cr_assert_eq(res->relocs[0].target, 7);
	bvc_jit_result_free(res);
}

Test(jitter_x86, tail_call_is_a_helper_call)
{
	static const struct bvc_insn prog[] = { I(BVC_JMP | BVC_CALL, 0, 0, 0, 12), EXIT };
	struct bvc_jit_result *res;
	char err[256];

	cr_assert_eq(xrun_compile(prog, 2, 0, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res->reloc_cnt, 1);
	cr_assert_eq(res->relocs[0].kind, BVC_RELOC_HELPER);
	cr_assert_eq(res->relocs[0].target, 12);
	bvc_jit_result_free(res);
}

Test(jitter_x86, ld_abs_uses_r6_and_ends_outside)
{
	static const struct bvc_insn prog[] = {
		I(BVC_ALU64 | BVC_MOV | BVC_X, 6, 1, 0, 0),
		I(BVC_LD | BVC_ABS | BVC_H, 0, 0, 0, 9), /* r0 = 10 */
		I(BVC_ALU64 | BVC_MOV | BVC_X, 7, 0, 0, 0),
		MOV64K(2, 20),
		I(BVC_LD | BVC_IND | BVC_W, 0, 2, 0, 5), /* r0 = 26 */
		I(BVC_ALU64 | BVC_ADD | BVC_X, 0, 7, 0, 0), EXIT,
	};
	static const struct bvc_insn outside[] = {
		I(BVC_ALU64 | BVC_MOV | BVC_X, 6, 1, 0, 0), MOV64K(0, 77),
		I(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 100), MOV64K(0, 1), EXIT,
	};
	struct bvc_jit_result *res;

	cr_assert_eq(run(prog, 7, 0xc0ffee, &res), 36);
	cr_assert_eq(res->reloc_cnt, 2);
	cr_assert_eq(res->relocs[0].kind, BVC_RELOC_RUNTIME);
	cr_assert_eq(res->relocs[0].target, BVC_RT_LD_ABS_H);
	cr_assert_eq(res->relocs[1].target, BVC_RT_LD_ABS_W);
	bvc_jit_result_free(res);
	/* Out of the packet: the program ends at once with r0 = 0. */
	cr_assert_eq(run(outside, 5, 0xc0ffee, NULL), 0);
}

Test(jitter_x86, function_address_is_callable)
{
	/* r0 = &f; exit; f: r0 = r1 * 3 + 1; exit */
	static const struct bvc_insn prog[] = {
		LD64(0, BVC_PSEUDO_FUNC, 2, 0), EXIT,
		I(BVC_ALU64 | BVC_MOV | BVC_X, 0, 1, 0, 0), I(BVC_ALU64 | BVC_MUL | BVC_K, 0, 0, 0, 3),
		I(BVC_ALU64 | BVC_ADD | BVC_K, 0, 0, 0, 1), EXIT,
	};
	struct bvc_jit_result *res;
	struct xrun_prog p;
	char err[256] = "";
	uint64_t (*f)(void *, uint64_t);

	cr_assert_eq(xrun_compile(prog, 7, 16, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res->reloc_cnt, 0, "a function address needs no relocation");
	cr_assert_eq(xrun_load(res, resolve, NULL, &p, err, sizeof(err)), 0, "%s", err);
	f = (uint64_t (*)(void *, uint64_t))(uintptr_t)p.entry(NULL, 0);
	cr_assert(f && (uint8_t *)(void *)f > p.map && (uint8_t *)(void *)f < p.map + p.size);
	cr_assert_eq(f((void *)14, 0), 43);
	xrun_unload(&p);
	bvc_jit_result_free(res);
}

/* Does @code hold the bytes @pat? */
static bool has_bytes(const uint8_t *code, size_t size, const uint8_t *pat, size_t n)
{
	for (size_t i = 0; i + n <= size; i++)
		if (!memcmp(code + i, pat, n))
			return true;
	return false;
}

/* Each function reserves its own frame (the verifier's per-function depth),
 * not the whole call chain's: main uses 8 bytes, its callee 256. */
Test(jitter_x86, frames_are_per_function)
{
	static const struct bvc_insn prog[] = {
		I(BVC_ST | BVC_MEM | BVC_DW, 10, 0, -8, 5),       /* *(u64 *)(fp - 8) = 5 */
		I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 3),  /* call f */
		I(BVC_LDX | BVC_MEM | BVC_DW, 1, 10, -8, 0),      /* r1 = *(u64 *)(fp - 8) */
		I(BVC_ALU64 | BVC_ADD | BVC_X, 0, 1, 0, 0),       /* r0 += r1 */
		EXIT,
		I(BVC_ST | BVC_MEM | BVC_DW, 10, 0, -256, 7),     /* f: *(u64 *)(fp - 256) = 7 */
		I(BVC_ST | BVC_MEM | BVC_DW, 10, 0, -8, 9),
		I(BVC_LDX | BVC_MEM | BVC_DW, 0, 10, -256, 0),    /* r0 = 7 */
		EXIT,
	};
	static const uint8_t sub16[] = { 0x48, 0x83, 0xec, 0x10 };             /* sub rsp, 16 */
	static const uint8_t sub256[] = { 0x48, 0x81, 0xec, 0x00, 0x01, 0x00, 0x00 }; /* sub rsp, 256 */
	struct bvc_verify_opts vo = { .sz = sizeof(vo), .insn_limit = 1000000 };
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_X86_64 };
	struct bvc_jit_result *res = NULL;
	struct bvc_image *img = NULL;
	struct bvc_verdict v;
	struct xrun_prog p;
	char err[256] = "";

	cr_assert_eq(bvc_image_from_raw(prog, sizeof(prog) / sizeof(prog[0]), BVC_PROG_SOCKET_FILTER,
					"frames", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &vo, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	cr_assert_eq(v.func_cnt, 2);
	cr_expect_eq(v.func_stack[0].depth, 8);
	cr_expect_eq(v.func_stack[1].insn, 5);
	cr_expect_eq(v.func_stack[1].depth, 256);
	cr_assert_eq(bvc_jit_compile(img, &img->progs[0], &v, &jo, &res, err, sizeof(err)), 0, "%s",
		     err);
	cr_expect(has_bytes(res->code, res->code_size, sub16, sizeof(sub16)), "main: sub rsp, 16");
	cr_expect(has_bytes(res->code, res->code_size, sub256, sizeof(sub256)), "f: sub rsp, 256");
	cr_expect_geq(res->stack_size, v.stack_depth, "the chain's stack, for the runtime");
	cr_assert_eq(xrun_load(res, resolve, NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.entry(NULL, 0), 12, "main's slot survives the call");
	xrun_unload(&p);
	bvc_jit_result_free(res);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* Jumps of every length: rel8 and rel32 both ways, at the boundaries. */
Test(jitter_x86, jump_lengths)
{
	for (int pad = 0; pad < 80; pad++) {
		struct bvc_insn prog[200];
		size_t n = 0;

		/* a forward jump over @pad adds, a backward one over them, both
		 * crossing the rel8 limit as @pad grows */
		prog[n++] = (struct bvc_insn)MOV64K(0, 0);
		prog[n++] = (struct bvc_insn)MOV64K(2, 2);
		prog[n++] = (struct bvc_insn)I(BVC_JMP | BVC_JEQ | BVC_K, 1, 0, (int16_t)(pad + 1), 0);
		for (int k = 0; k < pad; k++)
			prog[n++] = (struct bvc_insn)I(BVC_ALU64 | BVC_ADD | BVC_K, 0, 0, 0, 1000);
		prog[n++] = (struct bvc_insn)I(BVC_ALU64 | BVC_ADD | BVC_K, 0, 0, 0, 1);
		/* back to the first add (or to itself when pad is 0) while r2-- */
		prog[n++] = (struct bvc_insn)I(BVC_ALU64 | BVC_ADD | BVC_K, 2, 0, 0, -1);
		prog[n++] = (struct bvc_insn)I(BVC_JMP | BVC_JNE | BVC_K, 2, 0, (int16_t)(-(pad + 3)), 0);
		prog[n++] = (struct bvc_insn)EXIT;
		for (uint64_t r1 = 0; r1 < 2; r1++) {
			uint64_t want = 0;
			char err[128];

			cr_assert_eq(bvc_interp_run(prog, n, r1, 0, NULL, &want, err, sizeof(err)), 0,
				     "%s", err);
			cr_assert_eq(run(prog, n, r1, NULL), want, "pad %d, r1 %d", pad, (int)r1);
		}
	}
}

/* ---- a real program ---- */

static uint8_t pkt[64];

/* bpf_skb_load_bytes(skb, off, to, len) against the device context. */
static uint64_t skb_load_bytes(uint64_t skb, uint64_t off, uint64_t to, uint64_t len, uint64_t r5)
{
	const uint8_t *ctx = (const uint8_t *)(uintptr_t)skb;
	uint8_t *data, *end;

	memcpy(&data, ctx + BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA, 8);
	memcpy(&end, ctx + BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA_END, 8);
	if (off > (uint64_t)(end - data) || len > (uint64_t)(end - data) - off)
		return (uint64_t)-EFAULT;
	memcpy((void *)(uintptr_t)to, data + off, len);
	return 0;
}

static uint64_t skb_load_bytes_interp(void *c, uint64_t skb, uint64_t off, uint64_t to,
				      uint64_t len, uint64_t r5)
{
	return skb_load_bytes(skb, off, to, len, r5);
}

static bvc_helper_fn resolve_interp(void *c, int32_t id)
{
	return id == 26 ? skb_load_bytes_interp : NULL;
}

static uint64_t resolve_prog(const struct bvc_reloc *r, void *arg)
{
	if (r->kind == BVC_RELOC_HELPER && r->target == 26)
		return (uint64_t)(uintptr_t)skb_load_bytes;
	return 0;
}

/* A sched_cls device context around @data. */
static void make_ctx(uint8_t *ctx, uint8_t *data, size_t len)
{
	uint8_t *end = data + len;

	memset(ctx, 0, BVC_DEVCTX_SKB_SIZE);
	memcpy(ctx + BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA, &data, 8);
	memcpy(ctx + BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA_END, &end, 8);
}

Test(jitter_x86, subprog_loop)
{
	const char *path = BVC_PROGS_DIR "/subprog_loop.bpf.o";
	struct bvc_verify_opts vo = { .sz = sizeof(vo), .insn_limit = 1000000 };
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_X86_64 };
	uint8_t ctx_n[BVC_DEVCTX_SKB_SIZE], ctx_i[BVC_DEVCTX_SKB_SIZE];
	struct bvc_jit_result *res = NULL;
	struct bvc_interp_region region;
	struct bvc_interp_opts io;
	struct bvc_image *img = NULL;
	const struct bvc_prog *prog;
	struct bvc_verdict v;
	struct xrun_prog p;
	char err[256] = "";
	uint32_t h = 2166136261u, mark_n, mark_i;
	uint64_t r0_n, r0_i = 99;

	cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s", err);
	prog = bvc_image_find_prog(img, "hash_head");
	cr_assert_not_null(prog);
	cr_assert_eq(bvc_verify(img, prog, &vo, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "rejected at %zu: %s", v.insn, v.msg);
	cr_assert_eq(bvc_jit_compile(img, prog, &v, &jo, &res, err, sizeof(err)), 0, "%s", err);

	/* Well-formed: entry inside the code, slots inside and apart, only
	 * the helper the program calls, a frame that holds the stack. */
	cr_assert_gt(res->code_size, 0);
	cr_assert_lt(res->entry_off, res->code_size);
	cr_assert_eq(res->lowered_cnt, prog->insn_cnt);
	cr_assert_geq(res->stack_size, v.stack_depth);
	cr_assert_eq(res->stack_size % 16, 0);
	cr_assert_eq(res->reloc_cnt, 1);
	cr_assert_eq(res->relocs[0].kind, BVC_RELOC_HELPER);
	cr_assert_eq(res->relocs[0].target, 26);
	cr_assert_leq(res->relocs[0].offset + 8, res->code_size);
	cr_log_info("subprog_loop: %zu insns (%zu bytes of bytecode) -> %zu bytes of x86_64, "
		    "%zu relocation(s), %u bytes of stack per frame",
		    prog->insn_cnt, prog->insn_cnt * sizeof(struct bvc_insn), res->code_size,
		    res->reloc_cnt, res->stack_size);

	for (size_t k = 0; k < sizeof(pkt); k++)
		pkt[k] = (uint8_t)(k * 29 + 3);
	for (size_t k = 0; k < 16; k++)
		h = (h ^ pkt[k]) * 16777619u;

	/* Natively. */
	make_ctx(ctx_n, pkt, sizeof(pkt));
	cr_assert_eq(xrun_load(res, resolve_prog, NULL, &p, err, sizeof(err)), 0, "%s", err);
	r0_n = p.entry(ctx_n, 0);
	xrun_unload(&p);
	memcpy(&mark_n, ctx_n + 8, 4); /* __sk_buff.mark */
	cr_assert_eq(r0_n, 0, "TC_ACT_OK");
	cr_assert_eq(mark_n, h, "mark 0x%x, expected 0x%x", mark_n, h);

	/* The interpreter on the same lowered bytecode agrees. */
	make_ctx(ctx_i, pkt, sizeof(pkt));
	memset(&io, 0, sizeof(io));
	io.sz = sizeof(io);
	region.base = (uint64_t)(uintptr_t)ctx_i;
	region.size = sizeof(ctx_i);
	region.writable = 1;
	io.regions = &region;
	io.region_cnt = 1;
	io.helper = resolve_interp;
	cr_assert_eq(bvc_interp_run(res->lowered, res->lowered_cnt, (uint64_t)(uintptr_t)ctx_i, 0,
				    &io, &r0_i, err, sizeof(err)),
		     0, "%s", err);
	memcpy(&mark_i, ctx_i + 8, 4);
	cr_assert_eq(r0_i, r0_n);
	cr_assert_eq(mark_i, mark_n);

	/* A short packet: the helper fails and the program leaves mark alone. */
	make_ctx(ctx_n, pkt, 8);
	cr_assert_eq(xrun_load(res, resolve_prog, NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.entry(ctx_n, 0), 0);
	xrun_unload(&p);
	memcpy(&mark_n, ctx_n + 8, 4);
	cr_assert_eq(mark_n, 0);

	bvc_jit_result_free(res);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* Fill a stretch of the host stack below the caller with a pattern, as
 * whatever ran before a program would leave it. */
static __attribute__((noinline)) void dirty_host_stack(void)
{
	volatile uint8_t junk[4096];

	for (size_t k = 0; k < sizeof(junk); k++)
		junk[k] = 0xa5;
}

/* Every run and every call starts from a zeroed frame (issue #19), on the
 * interpreter and natively alike: privileged programs may read stack they
 * never wrote, which natively would be the host's leftovers. */
Test(jitter_x86, frames_start_zeroed)
{
	static const struct bvc_insn read_fp8[] = {
		I(BVC_ALU64 | BVC_MOV | BVC_X, 2, 10, 0, 0),    /* r2 = r10 */
		I(BVC_LDX | BVC_MEM | BVC_DW, 0, 2, -8, 0),     /* r0 = *(u64 *)(r2 - 8) */
		EXIT,
	};
	static const struct bvc_insn twice[] = {
		I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 4),  /* call f */
		I(BVC_ALU64 | BVC_MOV | BVC_X, 6, 0, 0, 0),       /* r6 = r0 */
		I(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 2),  /* call f */
		I(BVC_ALU64 | BVC_ADD | BVC_X, 0, 6, 0, 0),       /* r0 += r6 */
		EXIT,
		I(BVC_LDX | BVC_MEM | BVC_DW, 0, 10, -8, 0),      /* f: r0 = *(fp - 8) */
		I(BVC_ST | BVC_MEM | BVC_DW, 10, 0, -8, 7),       /* *(fp - 8) = 7 */
		EXIT,
	};
	struct bvc_interp_opts io = { .sz = sizeof(io) };
	char err[256] = "";
	uint64_t r0 = 1;

	dirty_host_stack();
	cr_expect_eq(run(read_fp8, 3, 0, NULL), 0, "native read of never-written stack");
	cr_assert_eq(bvc_interp_run(read_fp8, 3, 0, 0, &io, &r0, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r0, 0, "interpreter read of never-written stack");
	dirty_host_stack();
	cr_expect_eq(run(twice, 8, 0, NULL), 0, "native: the second call saw the first's frame");
	r0 = 1;
	cr_assert_eq(bvc_interp_run(twice, 8, 0, 0, &io, &r0, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r0, 0, "interpreter: the second call saw the first's frame");
}
