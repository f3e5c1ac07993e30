// SPDX-License-Identifier: MIT
/*
 * arm64 back end by hand: encoders against capstone, relocations, the
 * literal pool, LD_ABS, may_goto, function pointers, deep bpf-to-bpf
 * calls, refusals, the size limit, and the whole pipeline (verifier,
 * lowering, bvc_jit_compile) on an XDP program run in unicorn.
 */
#include <capstone/capstone.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jitter/arm64/emit.h"
#include "bpfvc/devabi.h"
#include "bpfvc/image.h"
#include "bpfvc/interp.h"
#include "bpfvc/jitter.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"
#include "emu.h"
#include "gen.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define I_LD_IMM64(d, s, v) I_LD_IMM64_LO(d, s, v), I_LD_IMM64_HI(v)

/* --- capstone --------------------------------------------------------------- */

static csh cs_handle(void)
{
	csh h;

	cr_assert_eq(cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h), CS_ERR_OK);
	return h;
}

/* Disassemble one word: "mnemonic op_str", or "" if it does not decode. */
static void disasm_word(csh h, uint32_t w, uint64_t addr, char *out, size_t outsz)
{
	uint8_t b[4] = { (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24) };
	cs_insn *insn;

	out[0] = '\0';
	if (cs_disasm(h, b, 4, addr, 1, &insn) == 1) {
		size_t m = strnlen(insn->mnemonic, outsz - 1), o;

		memcpy(out, insn->mnemonic, m);
		if (insn->op_str[0] && m + 1 < outsz - 1) {
			out[m++] = ' ';
			o = strnlen(insn->op_str, outsz - 1 - m);
			memcpy(out + m, insn->op_str, o);
			m += o;
		}
		out[m] = '\0';
		cs_free(insn, 1);
	}
}

/* Every word of @res that is not a relocation slot decodes. Returns the
 * number of instructions checked. */
static size_t check_decodes(csh h, const struct bvc_jit_result *res, const char *what)
{
	uint8_t *slot = calloc(res->code_size / 4 + 1, 1);
	size_t k, n = 0;
	char text[160];

	cr_assert(slot);
	cr_assert_eq(res->code_size % 8, 0, "%s: code size %zu", what, res->code_size);
	for (k = 0; k < res->reloc_cnt; k++) {
		cr_assert_eq(res->relocs[k].offset % 8, 0, "%s: slot %zu misaligned", what, k);
		cr_assert_leq(res->relocs[k].offset + 8, res->code_size);
		slot[res->relocs[k].offset / 4] = slot[res->relocs[k].offset / 4 + 1] = 1;
	}
	for (k = 0; k < res->code_size / 4; k++) {
		const uint8_t *p = res->code + 4 * k;
		uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			     (uint32_t)p[3] << 24;

		if (slot[k])
			continue;
		disasm_word(h, w, EMU_CODE + 4 * k, text, sizeof(text));
		cr_assert(text[0], "%s: word %zu (0x%08x) does not decode", what, k, w);
		n++;
	}
	free(slot);
	return n;
}

/* Each encoder once, against capstone's reading of the word. */
Test(arm64, encoders_disassemble)
{
	const struct {
		uint32_t word;
		const char *text;
	} t[] = {
		{ a64_add_reg(1, A64_X0, A64_X1, A64_X2), "add x0, x1, x2" },
		{ a64_sub_reg(0, A64_X3, A64_ZR, A64_X3), "neg w3, w3" },
		{ a64_subs_reg(1, A64_ZR, A64_X7, A64_X19), "cmp x7, x19" },
		{ a64_and_reg(1, A64_X0, A64_X0, A64_X1), "and x0, x0, x1" },
		{ a64_orr_reg(1, A64_X7, A64_ZR, A64_X0), "mov x7, x0" },
		{ a64_eor_reg(0, A64_X2, A64_X2, A64_X11), "eor w2, w2, w11" },
		{ a64_ands_reg(1, A64_ZR, A64_X1, A64_X2), "tst x1, x2" },
		{ a64_add_imm(1, A64_FP, A64_SP, 0, 0), "mov x29, sp" },
		{ a64_add_imm(1, A64_X0, A64_X0, 0x123, 0), "add x0, x0, #0x123" },
		{ a64_sub_imm(1, A64_SP, A64_SP, 0x200, 0), "sub sp, sp, #0x200" },
		{ a64_add_imm(0, A64_X1, A64_X1, 1, 1), "add w1, w1, #1, lsl #12" },
		{ a64_subs_imm(0, A64_ZR, A64_X2, 7, 0), "cmp w2, #7" },
		{ a64_adds_imm(1, A64_ZR, A64_X2, 7, 0), "cmn x2, #7" },
		{ a64_and_imm(1, A64_X0, A64_X0, 0xff), "and x0, x0, #0xff" },
		{ a64_orr_imm(0, A64_X0, A64_ZR, 0xffff0000u), "orr w0, wzr, #0xffff0000" },
		{ a64_eor_imm(1, A64_X1, A64_X1, UINT64_C(0x5555555555555555)),
		  "eor x1, x1, #0x5555555555555555" },
		{ a64_ands_imm(0, A64_ZR, A64_X3, 0x80000000u), "tst w3, #0x80000000" },
		{ a64_movz(1, A64_X0, 0x1234, 1), "movz x0, #0x1234, lsl #16" },
		{ a64_movn(0, A64_X0, 0, 0), "movn w0, #0" },
		{ a64_movk(1, A64_X0, 0xbeef, 3), "movk x0, #0xbeef, lsl #48" },
		{ a64_sbfm(1, A64_X0, A64_X1, 0, 7), "sxtb x0, w1" },
		{ a64_sbfm(1, A64_X0, A64_X1, 0, 31), "sxtw x0, w1" },
		{ a64_sbfm(1, A64_X0, A64_X0, 5, 63), "asr x0, x0, #5" },
		{ a64_ubfm(1, A64_X0, A64_X0, 60, 59), "lsl x0, x0, #4" },
		{ a64_ubfm(0, A64_X0, A64_X0, 3, 31), "lsr w0, w0, #3" },
		{ a64_ubfm(0, A64_X0, A64_X0, 0, 15), "uxth w0, w0" },
		{ a64_udiv(1, A64_X0, A64_X1, A64_X2), "udiv x0, x1, x2" },
		{ a64_sdiv(0, A64_X0, A64_X1, A64_X2), "sdiv w0, w1, w2" },
		{ a64_lslv(1, A64_X0, A64_X1, A64_X2), "lsl x0, x1, x2" },
		{ a64_lsrv(0, A64_X0, A64_X1, A64_X2), "lsr w0, w1, w2" },
		{ a64_asrv(1, A64_X0, A64_X1, A64_X2), "asr x0, x1, x2" },
		{ a64_madd(1, A64_X0, A64_X0, A64_X1, A64_ZR), "mul x0, x0, x1" },
		{ a64_msub(0, A64_X0, A64_X10, A64_X1, A64_X0), "msub w0, w10, w1, w0" },
		{ a64_rev16(0, A64_X0, A64_X0), "rev16 w0, w0" },
		{ a64_rev(0, A64_X0, A64_X0), "rev w0, w0" },
		{ a64_rev(1, A64_X0, A64_X0), "rev x0, x0" },
		{ a64_ldst_uimm(A64_LDR, A64_SZ_X, A64_X0, A64_SP, 16), "ldr x0, [sp, #0x10]" },
		{ a64_ldst_uimm(A64_STR, A64_SZ_B, A64_ZR, A64_X1, 3), "strb wzr, [x1, #3]" },
		{ a64_ldst_uimm(A64_LDRS, A64_SZ_H, A64_X0, A64_X1, 2), "ldrsh x0, [x1, #2]" },
		{ a64_ldst_uimm(A64_LDRS, A64_SZ_W, A64_X0, A64_X1, 4), "ldrsw x0, [x1, #4]" },
		{ a64_ldst_unscaled(A64_LDR, A64_SZ_W, A64_X0, A64_X25, -4), "ldur w0, [x25, #-4]" },
		{ a64_ldst_unscaled(A64_LDRS, A64_SZ_B, A64_X0, A64_X25, -1), "ldursb x0, [x25, #-1]" },
		{ a64_ldst_reg(A64_STR, A64_SZ_H, A64_X2, A64_X1, A64_X10), "strh w2, [x1, x10]" },
		{ a64_ldst_reg(A64_LDR, A64_SZ_X, A64_X2, A64_X1, A64_X10), "ldr x2, [x1, x10]" },
		{ a64_stp_pre(A64_FP, A64_LR, A64_SP, -16), "stp x29, x30, [sp, #-0x10]!" },
		{ a64_ldp_post(A64_FP, A64_LR, A64_SP, 16), "ldp x29, x30, [sp], #0x10" },
		{ a64_str_pre(A64_X25, A64_SP, -16), "str x25, [sp, #-0x10]!" },
		{ a64_ldr_post(A64_X25, A64_SP, 16), "ldr x25, [sp], #0x10" },
		{ a64_ldxr(1, A64_X11, A64_X10), "ldxr x11, [x10]" },
		{ a64_ldxr(0, A64_X11, A64_X10), "ldxr w11, [x10]" },
		{ a64_stxr(1, A64_X13, A64_X12, A64_X10), "stxr w13, x12, [x10]" },
		{ a64_stlxr(0, A64_X12, A64_X1, A64_X10), "stlxr w12, w1, [x10]" },
		{ a64_dmb_ish(), "dmb ish" },
		{ a64_nop(), "nop" },
		{ a64_ret(A64_LR), "ret" },
		{ a64_blr(A64_X9), "blr x9" },
	};
	csh h = cs_handle();
	char text[160];
	size_t k;

	for (k = 0; k < N(t); k++) {
		cr_assert_neq(t[k].word, A64_BAD, "case %zu (%s): not encoded", k, t[k].text);
		disasm_word(h, t[k].word, 0x1000, text, sizeof(text));
		cr_expect_str_eq(text, t[k].text, "case %zu: 0x%08x is '%s', expected '%s'", k,
				 t[k].word, text, t[k].text);
	}
	/* PC-relative ones, at address 0x1000 */
	disasm_word(h, a64_b(-8), 0x1000, text, sizeof(text));
	cr_expect_str_eq(text, "b #0xff8");
	disasm_word(h, a64_bl(0x40), 0x1000, text, sizeof(text));
	cr_expect_str_eq(text, "bl #0x1040");
	disasm_word(h, a64_b_cond(A64_HI, 12), 0x1000, text, sizeof(text));
	cr_expect_str_eq(text, "b.hi #0x100c");
	disasm_word(h, a64_cbnz(0, A64_X13, -12), 0x1000, text, sizeof(text));
	cr_expect_str_eq(text, "cbnz w13, #0xff4");
	disasm_word(h, a64_cbz(1, A64_X26, 8), 0x1000, text, sizeof(text));
	cr_expect_str_eq(text, "cbz x26, #0x1008");
	disasm_word(h, a64_ldr_lit(A64_X9, 0x20), 0x1000, text, sizeof(text));
	cr_expect_str_eq(text, "ldr x9, #0x1020");
	disasm_word(h, a64_adr(A64_X0, -0x1001), 0x2000, text, sizeof(text));
	cr_expect_str_eq(text, "adr x0, #0xfff");
	cs_close(&h);
}

Test(arm64, encoders_refuse_what_does_not_fit)
{
	cr_expect_eq(a64_add_imm(1, 0, 0, 0x1000, 0), A64_BAD);
	cr_expect_eq(a64_and_imm(1, 0, 0, 0), A64_BAD);
	cr_expect_eq(a64_and_imm(1, 0, 0, ~UINT64_C(0)), A64_BAD);
	cr_expect_eq(a64_orr_imm(1, 0, 0, 0x1234), A64_BAD);
	cr_expect_eq(a64_movz(0, 0, 1, 2), A64_BAD);
	cr_expect_eq(a64_ldst_uimm(A64_LDR, A64_SZ_X, 0, 1, 4), A64_BAD);
	cr_expect_eq(a64_ldst_uimm(A64_LDR, A64_SZ_B, 0, 1, 4096), A64_BAD);
	cr_expect_eq(a64_ldst_uimm(A64_LDRS, A64_SZ_X, 0, 1, 8), A64_BAD);
	cr_expect_eq(a64_ldst_unscaled(A64_LDR, A64_SZ_X, 0, 1, 256), A64_BAD);
	cr_expect_eq(a64_b_cond(A64_EQ, 1 << 20), A64_BAD);
	cr_expect_eq(a64_b_cond(A64_EQ, 6), A64_BAD);
	cr_expect_eq(a64_b(1 << 27), A64_BAD);
	cr_expect_eq(a64_ldr_lit(0, -(1 << 20) - 4), A64_BAD);
	cr_expect_eq(a64_adr(0, 1 << 20), A64_BAD);
	cr_expect_eq(a64_stp_pre(0, 1, 31, -520), A64_BAD);
	/* every logical immediate the architecture has (5334 for 64 bits) */
	{
		unsigned int size, ones, rot, count = 0;

		for (size = 2; size <= 64; size *= 2) {
			for (ones = 1; ones < size; ones++) {
				for (rot = 0; rot < size; rot++) {
					uint64_t mask = size == 64 ? ~UINT64_C(0) : (UINT64_C(1) << size) - 1;
					uint64_t elt = (UINT64_C(1) << ones) - 1, v = 0;
					unsigned int k;

					if (rot)
						elt = ((elt >> rot) | (elt << (size - rot))) & mask;
					for (k = 0; k < 64; k += size)
						v |= elt << k;
					cr_assert(a64_is_logical_imm(1, v), "0x%llx", (unsigned long long)v);
					count++;
				}
			}
		}
		cr_expect_eq(count, 5334);
	}
}

/* --- whole programs ---------------------------------------------------------- */

static uint64_t helper_add(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5)
{
	return r1 + r2 + r3 + r4 + r5;
}

static bvc_helper_fn resolve_add(void *ctx, int32_t id)
{
	return id == 9 || id == 300 ? helper_add : NULL;
}

/* Compile @insns, run them in unicorn and on the interpreter (with no
 * memory), and check both give @expect. */
static void run_both(const struct bvc_insn *insns, size_t cnt, uint64_t expect, const char *what)
{
	struct bvc_interp_opts opts;
	struct bvc_jit_result jit;
	struct emu_run run;
	uint64_t r0 = 0;
	char err[256];
	int rc;

	rc = emu_compile(insns, cnt, 512, &jit, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s", what, err);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.helper = resolve_add;
	rc = emu_run(&run);
	cr_assert_eq(rc, 0, "%s: %s", what, run.err);
	cr_expect_eq(run.r0, expect, "%s: arm64 r0 0x%llx, expected 0x%llx", what,
		     (unsigned long long)run.r0, (unsigned long long)expect);
	emu_release(&jit);

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.helper = resolve_add;
	rc = bvc_interp_run(insns, cnt, 0, 0, &opts, &r0, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: interpreter: %s", what, err);
	cr_expect_eq(r0, expect, "%s: interpreter r0 0x%llx", what, (unsigned long long)r0);
}

Test(arm64, relocations_and_literal_pool)
{
	const struct bvc_insn prog[] = {
		I_MOV64_IMM(1, 1), I_MOV64_IMM(2, 2), I_MOV64_IMM(3, 3),
		I_MOV64_IMM(4, 4), I_MOV64_IMM(5, 5),
		I_CALL(9),                          /* r0 = 15 */
		I_MOV64_REG(6, 0),
		I_LD_IMM64(1, BVC_PSEUDO_MAP_IDX, 2),
		I_LD_IMM64(2, BVC_PSEUDO_MAP_IDX_VALUE, (uint64_t)16 << 32 | 1),
		I_LD_IMM64(3, BVC_PSEUDO_MAP_IDX_VALUE, (uint64_t)16 << 32 | 1), /* same slot */
		I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0),
		I_CALL(9),                          /* same slot as the first call */
		I_ALU64_REG(BVC_ADD, 0, 6),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0),
		I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0),
		I_CALL(300),                        /* r0 = r1 */
		I_EXIT(),
	};
	struct bvc_jit_result jit;
	struct emu_run run;
	uint64_t expect;
	char err[256];
	size_t k;
	int seen[5] = { 0 };

	cr_assert_eq(emu_compile(prog, N(prog), 0, &jit, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(jit.reloc_cnt, 4, "%zu relocations", jit.reloc_cnt);
	for (k = 0; k < jit.reloc_cnt; k++) {
		const struct bvc_reloc *r = &jit.relocs[k];

		cr_expect_eq(r->offset % 8, 0);
		cr_expect_geq(r->offset, jit.code_size - 8 * jit.reloc_cnt, "slot %zu not in the pool", k);
		cr_expect_eq(jit.code[r->offset] | jit.code[r->offset + 7], 0, "slot %zu not zero", k);
		cr_assert_leq(r->kind, 4);
		seen[r->kind]++;
		if (r->kind == BVC_RELOC_HELPER)
			cr_expect(r->target == 9 || r->target == 300);
		if (r->kind == BVC_RELOC_MAP)
			cr_expect(r->target == 2 && r->addend == 0);
		if (r->kind == BVC_RELOC_MAP_VALUE)
			cr_expect(r->target == 1 && r->addend == 16);
	}
	cr_expect_eq(seen[BVC_RELOC_HELPER], 2);
	cr_expect_eq(seen[BVC_RELOC_MAP], 1);
	cr_expect_eq(seen[BVC_RELOC_MAP_VALUE], 1);
	cr_expect_eq(jit.stack_size, 0);
	cr_expect_eq(jit.entry_off, 0);

	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.helper = resolve_add;
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	expect = EMU_MAP_ADDR(2) + 2 * EMU_MAP_VALUE_ADDR(1, 16) + 15;
	cr_expect_eq(run.helper_calls, 3);
	cr_expect_eq(run.r0, expect, "r0 0x%llx", (unsigned long long)run.r0);
	emu_release(&jit);
}

Test(arm64, map_values_load_through_the_slot)
{
	const struct bvc_insn prog[] = {
		I_LD_IMM64(0, BVC_PSEUDO_MAP_IDX_VALUE, (uint64_t)(uint32_t)-8 << 32 | 5),
		I_EXIT(),
	};
	struct bvc_jit_result jit;
	struct emu_run run;
	char err[256];

	cr_assert_eq(emu_compile(prog, N(prog), 0, &jit, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(jit.reloc_cnt, 1);
	cr_expect_eq(jit.relocs[0].addend, -8);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_expect_eq(run.r0, EMU_MAP_VALUE_ADDR(5, -8));
	emu_release(&jit);
}

Test(arm64, constants)
{
	static const uint64_t values[] = {
		0, 1, 0xffff, 0x10000, 0xffffffff, 0x100000000ull, 0xffffffff00000000ull,
		~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull, 0x123456789abcdef0ull,
		0xffff0000ffff0000ull, 0x00ff00ff00ff00ffull, 0xfffffffffffffffeull,
		0xffff1234ffffffffull, 0x0000123400000000ull,
	};
	size_t k;

	for (k = 0; k < N(values); k++) {
		const struct bvc_insn prog[] = { I_LD_IMM64(0, 0, values[k]), I_EXIT() };
		const struct bvc_insn p32[] = { I_MOV32_IMM(0, (int32_t)values[k]), I_EXIT() };
		const struct bvc_insn p64[] = { I_MOV64_IMM(0, (int32_t)values[k]), I_EXIT() };
		char what[64];

		snprintf(what, sizeof(what), "ld_imm64 0x%llx", (unsigned long long)values[k]);
		run_both(prog, N(prog), values[k], what);
		run_both(p32, N(p32), (uint32_t)values[k], "mov32");
		run_both(p64, N(p64), (uint64_t)(int64_t)(int32_t)values[k], "mov64");
	}
}

/* A program that loops on may_goto until the run's budget is spent. */
Test(arm64, may_goto_budget)
{
	const struct bvc_insn prog[] = {
		I_MOV64_IMM(0, 0),
		I_RAW(BVC_JMP | BVC_JCOND, 0, 0, 2, 0), /* may_goto +2 */
		I_ALU64_IMM(BVC_ADD, 0, 1),
		I_JA(-3),
		I_EXIT(),
	};

	run_both(prog, N(prog), BVC_INTERP_MAY_GOTO, "may_goto");
}

/* Calls seven deep, each frame writing its own stack slot: the slots must
 * not alias, and r6..r9 must survive every call. */
Test(arm64, deep_calls_have_own_frames)
{
	struct bvc_insn prog[8 * 8 + 8];
	size_t n = 0, depth;

	/* main: r6 = 100; r0 = f1(); return r0 + r6 + slot */
	prog[n++] = I_MOV64_IMM(6, 100);
	prog[n++] = I_ST(BVC_DW, 10, -8, 1000);
	prog[n++] = I_CALL_LOCAL(4);
	prog[n++] = I_ALU64_REG(BVC_ADD, 0, 6);
	prog[n++] = I_LDX(BVC_DW, 1, 10, -8);
	prog[n++] = I_ALU64_REG(BVC_ADD, 0, 1);
	prog[n++] = I_EXIT();
	/* f_d (d = 1..7): slot = d; r6 = d; r0 = (d < 7 ? f_{d+1}() : 0) + slot * 10 + r6 */
	for (depth = 1; depth <= 7; depth++) {
		prog[n++] = I_ST(BVC_DW, 10, -8, (int32_t)depth);
		prog[n++] = I_MOV64_IMM(6, (int32_t)depth);
		prog[n++] = I_MOV64_IMM(0, 0);
		if (depth < 7)
			prog[n++] = I_CALL_LOCAL(5);
		else
			prog[n++] = I_JA(0);
		prog[n++] = I_LDX(BVC_DW, 1, 10, -8);
		prog[n++] = I_ALU64_IMM(BVC_MUL, 1, 10);
		prog[n++] = I_ALU64_REG(BVC_ADD, 0, 1);
		prog[n++] = I_ALU64_REG(BVC_ADD, 0, 6);
		prog[n++] = I_EXIT();
	}
	/* sum over d of 11 * d = 11 * 28 = 308, plus 100 + 1000 */
	run_both(prog, n, 308 + 1100, "deep calls");
}

/* BPF_PSEUDO_FUNC: the address of a subprogram, position-independent,
 * callable from C (a helper running a callback): it takes x0, returns x0
 * and keeps every callee-saved register, the may_goto budget's x26 too. */
Test(arm64, function_pointer_is_callable_from_c)
{
	const struct bvc_insn prog[] = {
		I_LD_IMM64(0, BVC_PSEUDO_FUNC, 2),
		I_EXIT(),
		/* the callback, insn 3: r0 = 2 * r1 + (may_goto iterations, 3) */
		I_MOV64_REG(0, 1),
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_MOV64_IMM(6, 3),
		I_RAW(BVC_JMP | BVC_JCOND, 0, 0, 3, 0), /* may_goto +3 */
		I_ALU64_IMM(BVC_ADD, 0, 1),
		I_ALU64_IMM(BVC_SUB, 6, 1),
		I_JMP_IMM(BVC_JNE, 6, 0, -4),
		I_EXIT(),
	};
	struct bvc_jit_result jit, cb;
	struct emu_run run;
	char err[256];
	uint64_t off;
	const uint8_t *p;

	cr_assert_eq(emu_compile(prog, N(prog), 16, &jit, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(jit.reloc_cnt, 0);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_assert_geq(run.r0, EMU_CODE);
	off = run.r0 - EMU_CODE;
	cr_assert_lt(off + 4, jit.code_size);
	cr_expect_gt(off, 0);
	cr_expect_eq(off % 4, 0);
	p = jit.code + off;
	/* stp x29, x30, [sp, #-16]! */
	cr_expect_eq((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			     (uint32_t)p[3] << 24,
		     a64_stp_pre(A64_FP, A64_LR, A64_SP, -16));

	cb = jit;
	cb.entry_off = off;
	memset(&run, 0, sizeof(run));
	run.jit = &cb;
	run.arg1 = 21;
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_expect_eq(run.r0, 45, "r0 %llu", (unsigned long long)run.r0);
	emu_release(&jit);
}

/* LD_ABS/LD_IND through the runtime intrinsic; outside the packet the
 * program ends with r0 = 0 even from a nested call, with SP restored. */
Test(arm64, ld_abs_and_ind)
{
	static const uint8_t pkt[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	const struct bvc_insn ok[] = {
		I_RAW(BVC_LD | BVC_ABS | BVC_H, 0, 0, 0, 1), /* 0x3456 */
		I_MOV64_REG(7, 0),
		I_MOV64_IMM(2, 3),
		I_RAW(BVC_LD | BVC_IND | BVC_W, 0, 2, 0, 1), /* at 4: 0x9abcdef0 */
		I_ALU64_REG(BVC_ADD, 7, 0),
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 7), /* 0xf0 */
		I_ALU64_REG(BVC_ADD, 7, 0),
		I_MOV64_REG(0, 7),
		I_EXIT(),
	};
	const struct bvc_insn out[] = {
		I_MOV64_IMM(0, 5),
		I_CALL_LOCAL(1),
		I_EXIT(),
		I_MOV64_IMM(0, 7),
		I_CALL_LOCAL(1),
		I_EXIT(),
		I_MOV64_IMM(1, -9),
		I_RAW(BVC_LD | BVC_IND | BVC_B, 0, 1, 0, 8), /* offset -1: outside */
		I_MOV64_IMM(0, 9),
		I_EXIT(),
	};
	struct bvc_jit_result jit;
	struct emu_run run;
	char err[256];

	cr_assert_eq(emu_compile(ok, N(ok), 0, &jit, err, sizeof(err)), 0, "%s", err);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.packet = pkt;
	run.packet_len = sizeof(pkt);
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_expect_eq(run.r0, 0x3456 + 0x9abcdef0ull + 0xf0, "r0 0x%llx", (unsigned long long)run.r0);
	emu_release(&jit);

	cr_assert_eq(emu_compile(out, N(out), 64, &jit, err, sizeof(err)), 0, "%s", err);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.packet = pkt;
	run.packet_len = sizeof(pkt);
	cr_assert_eq(emu_run(&run), 0, "%s", run.err); /* also checks SP */
	cr_expect_eq(run.r0, 0);
	cr_expect_eq(run.helper_calls, 1);
	emu_release(&jit);
}

Test(arm64, refusals)
{
	const struct {
		struct bvc_insn insn[3];
		size_t cnt;
		int rc;
		const char *what;
	} cases[] = {
		{ { I_RAW(BVC_JMP | BVC_CALL | BVC_X, 1, 0, 0, 0), I_EXIT() }, 2, -EOPNOTSUPP, "callx" },
		{ { I_RAW(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_KFUNC_CALL, 0, 5), I_EXIT() }, 2, -EOPNOTSUPP, "kfunc" },
		{ { I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, 1, 2, BVC_ADDR_SPACE_CAST, 1), I_EXIT() }, 2, -EOPNOTSUPP, "addr_space_cast" },
		{ { I_RAW(BVC_LD | BVC_ABS | BVC_DW, 0, 0, 0, 0), I_EXIT() }, 2, -EOPNOTSUPP, "ld_abs dw" },
		{ { I_RAW(BVC_STX | BVC_ATOMIC | BVC_B, 10, 1, -8, BVC_ADD), I_EXIT() }, 2, -EOPNOTSUPP, "atomic b" },
		{ { I_RAW(BVC_STX | BVC_ATOMIC | BVC_DW, 10, 1, -8, 0x50 | 0x0e), I_EXIT() }, 2, -EOPNOTSUPP, "atomic op" },
		{ { I_RAW(BVC_ALU | BVC_END | BVC_TO_BE, 1, 0, 0, 8), I_EXIT() }, 2, -EOPNOTSUPP, "be8" },
		{ { I_RAW(BVC_ALU64 | BVC_DIV | BVC_K, 1, 0, 2, 3), I_EXIT() }, 2, -EOPNOTSUPP, "div off 2" },
		{ { I_RAW(BVC_ALU | BVC_MOV | BVC_X, 1, 2, 32, 0), I_EXIT() }, 2, -EOPNOTSUPP, "movsx32 w" },
		{ { I_RAW(BVC_LD | BVC_IMM | BVC_DW, 1, BVC_PSEUDO_MAP_FD, 0, 3), I_RAW(0, 0, 0, 0, 0), I_EXIT() }, 3, -EOPNOTSUPP, "map fd" },
		{ { I_RAW(BVC_LDX | BVC_MEMSX | BVC_DW, 1, 10, -8, 0), I_EXIT() }, 2, -EOPNOTSUPP, "ldsx dw" },
		{ { I_JA(5), I_EXIT() }, 2, -EINVAL, "jump out" },
		{ { I_CALL_LOCAL(-5), I_EXIT() }, 2, -EINVAL, "call out" },
		{ { I_CALL(-1), I_EXIT() }, 2, -EINVAL, "helper -1" },
		{ { I_RAW(BVC_LD | BVC_IMM | BVC_DW, 1, 0, 0, 3), I_EXIT() }, 2, -EINVAL, "broken ld_imm64" },
	};
	struct bvc_jit_result jit;
	char err[256];
	size_t k;
	int rc;

	for (k = 0; k < N(cases); k++) {
		err[0] = '\0';
		rc = emu_compile(cases[k].insn, cases[k].cnt, 64, &jit, err, sizeof(err));
		cr_expect_eq(rc, cases[k].rc, "%s: rc %d (%s)", cases[k].what, rc, err);
		cr_expect(err[0], "%s: no message", cases[k].what);
		if (cases[k].rc == -EOPNOTSUPP)
			cr_expect(!strncmp(err, "unsupported: ", 13), "%s: %s", cases[k].what, err);
		cr_expect_null(jit.code, "%s: code left behind", cases[k].what);
		if (!rc)
			emu_release(&jit);
	}
	/* a stack the frame cannot reserve */
	{
		const struct bvc_insn p[] = { I_MOV64_IMM(0, 0), I_EXIT() };

		rc = emu_compile(p, N(p), 8192, &jit, err, sizeof(err));
		cr_expect_eq(rc, -EOPNOTSUPP, "%s", err);
	}
}

/* Past 1 MiB the branches cannot reach: refused; just under it, fine. */
Test(arm64, size_limit)
{
	size_t cnt = 2 * 70000 + 3, k;
	struct bvc_insn *p = calloc(cnt, sizeof(*p));
	struct bvc_jit_result jit;
	char err[256];
	int rc;

	cr_assert(p);
	/* ld_imm64 of random-looking constants: 4 words each */
	p[0] = I_JMP_IMM(BVC_JEQ, 1, 0, (int16_t)0);
	for (k = 1; k + 2 < cnt; k += 2) {
		uint64_t v = UINT64_C(0x1234567890abcdef) * (k | 1) | UINT64_C(0x0001000100010001);

		p[k] = I_LD_IMM64_LO(0, 0, v);
		p[k + 1] = I_LD_IMM64_HI(v);
	}
	p[cnt - 2] = I_MOV64_IMM(0, 1);
	p[cnt - 1] = I_EXIT();
	rc = emu_compile(p, cnt, 0, &jit, err, sizeof(err));
	cr_expect_eq(rc, -E2BIG, "rc %d: %s", rc, err);
	cr_expect(strstr(err, "1 MiB"), "%s", err);

	/* 60000 constants (about 940 KiB), jumped over by one gotol: in range */
	cnt = 2 * 60000 + 3;
	p[0] = I_RAW(BVC_JMP32 | BVC_JA, 0, 0, 0, (int32_t)(cnt - 3));
	for (k = 1; k + 2 < cnt; k += 2) {
		uint64_t v = UINT64_C(0x1234567890abcdef) * (k | 1) | UINT64_C(0x0001000100010001);

		p[k] = I_LD_IMM64_LO(0, 0, v);
		p[k + 1] = I_LD_IMM64_HI(v);
	}
	p[cnt - 2] = I_MOV64_IMM(0, 77);
	p[cnt - 1] = I_EXIT();
	rc = emu_compile(p, cnt, 0, &jit, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_expect_gt(jit.code_size, 900 * 1024);
	{
		struct emu_run run;

		memset(&run, 0, sizeof(run));
		run.jit = &jit;
		cr_assert_eq(emu_run(&run), 0, "%s", run.err);
		cr_expect_eq(run.r0, 77);
	}
	emu_release(&jit);
	free(p);
}

/* Every word of real output decodes, except the literal slots. */
Test(arm64, capstone_decodes_generated_code)
{
	csh h = cs_handle();
	size_t progs = 0, words = 0;
	uint64_t seed;

	for (seed = 1; seed <= 60; seed++) {
		struct gen_prog p;
		struct bvc_jit_result jit;
		char err[256], what[64];

		cr_assert_eq(gen_program(seed, &p), 0);
		cr_assert_eq(emu_compile(p.insns, p.cnt, GEN_STACK_DEPTH, &jit, err, sizeof(err)), 0,
			     "seed %llu: %s", (unsigned long long)seed, err);
		snprintf(what, sizeof(what), "seed %llu", (unsigned long long)seed);
		words += check_decodes(h, &jit, what);
		progs++;
		emu_release(&jit);
		gen_release(&p);
	}
	cr_log_info("arm64 capstone: %zu programs, %zu instructions, all decode", progs, words);
	cs_close(&h);
}

/* The pipeline: verifier, lowering and bvc_jit_compile() on an XDP
 * program reading its packet through ctx->data / ctx->data_end. */
Test(arm64, xdp_through_the_verifier)
{
	const struct bvc_insn prog[] = {
		I_LDX(BVC_W, 2, 1, BVC_UAPI_XDP_DATA),     /* r2 = ctx->data */
		I_LDX(BVC_W, 3, 1, BVC_UAPI_XDP_DATA_END), /* r3 = ctx->data_end */
		I_MOV64_REG(4, 2),
		I_ALU64_IMM(BVC_ADD, 4, 4),
		I_MOV64_IMM(0, 1),                         /* XDP_DROP if short */
		I_JMP_REG(BVC_JGT, 4, 3, 3),
		I_LDX(BVC_W, 0, 2, 0),
		I_ALU64_IMM(BVC_AND, 0, 0x7fffffff),
		I_ST(BVC_DW, 10, -8, 0),
		I_EXIT(),
	};
	struct bvc_verify_opts vopts = { .sz = sizeof(vopts) };
	struct bvc_jit_opts jopts = { .sz = sizeof(jopts), .target = BVC_JIT_ARM64 };
	struct bvc_jit_result *jit = NULL;
	struct bvc_image *img = NULL;
	uint8_t mem[BVC_DEVCTX_XDP_SIZE + 16];
	struct bvc_verdict v;
	struct emu_run run;
	uint64_t data = EMU_MEM + BVC_DEVCTX_XDP_SIZE, end = data + 16;
	char err[256];
	int k, rc;

	cr_assert_eq(bvc_image_from_raw(prog, N(prog), BVC_PROG_XDP, "xdp", &img), 0);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(bvc_verify(img, &img->progs[0], &vopts, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "rejected at %zu: %s", v.insn, v.msg);
	rc = bvc_jit_compile(img, &img->progs[0], &v, &jopts, &jit, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_expect_geq(jit->stack_size, 8);
	cr_expect_eq(jit->stack_size % 16, 0);

	memset(mem, 0, sizeof(mem));
	for (k = 0; k < 8; k++) {
		mem[BVC_DEVCTX_XDP_PTRS + BVC_DEVCTX_DATA + k] = (uint8_t)(data >> (8 * k));
		mem[BVC_DEVCTX_XDP_PTRS + BVC_DEVCTX_DATA_END + k] = (uint8_t)(end >> (8 * k));
	}
	mem[BVC_DEVCTX_XDP_SIZE + 0] = 0x78;
	mem[BVC_DEVCTX_XDP_SIZE + 1] = 0x56;
	mem[BVC_DEVCTX_XDP_SIZE + 2] = 0x34;
	mem[BVC_DEVCTX_XDP_SIZE + 3] = 0x92;
	memset(&run, 0, sizeof(run));
	run.jit = jit;
	run.mem = mem;
	run.mem_len = sizeof(mem);
	run.arg1 = EMU_MEM;
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_expect_eq(run.r0, 0x12345678, "r0 0x%llx", (unsigned long long)run.r0);

	/* a short packet takes the other path */
	end = data + 2;
	for (k = 0; k < 8; k++)
		mem[BVC_DEVCTX_XDP_PTRS + BVC_DEVCTX_DATA_END + k] = (uint8_t)(end >> (8 * k));
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_expect_eq(run.r0, 1);

	bvc_jit_result_free(jit);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* Every call starts from a zeroed frame (issue #19): f reads fp-8 before
 * it writes it, and is called twice; its second call must not see what the
 * first left (privileged programs may read stack they never wrote). */
Test(arm64, each_call_gets_a_zeroed_frame)
{
	static const struct bvc_insn prog[] = {
		I_CALL_LOCAL(4),
		I_MOV64_REG(6, 0),
		I_CALL_LOCAL(2),
		I_ALU64_REG(BVC_ADD, 0, 6),
		I_EXIT(),
		/* f: r0 = *(u64 *)(fp - 8); *(u64 *)(fp - 8) = 7; return r0 */
		I_LDX(BVC_DW, 0, 10, -8),
		I_ST(BVC_DW, 10, -8, 7),
		I_EXIT(),
	};

	run_both(prog, N(prog), 0, "two calls reading their frame first");
}
