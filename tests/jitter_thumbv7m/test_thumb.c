// SPDX-License-Identifier: MIT
/*
 * thumbv7m back end by hand, against the reference interpreter: every
 * ALU, ALU64, JMP and JMP32 operation on edge values (division by 0 and
 * -1, INT_MIN, shifts by 0, 31, 32, 33, 63), unary forms (neg, byte
 * swaps, movsx), loads and stores at the offsets where the encodings
 * change, atomics, a helper with five 64-bit arguments, a literal pool
 * past LDR's 4 KiB reach, LD_ABS ending the program from a called
 * function, and the constructs the back end refuses.
 *
 * Must not: compare anything but the interpreter's results with the
 * emulator's (no hand-computed constants that could be wrong twice).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/image.h"
#include "bpfvc/interp.h"
#include "bpfvc/jitter.h"
#include "common/insns.h"
#include "emu.h"
#include "jitter_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_INSNS 8192

static const uint64_t vals[] = {
	0, 1, 2, 7, (uint64_t)-1, (uint64_t)-2, (uint64_t)-7,
	UINT64_C(0x8000000000000000), UINT64_C(0x7fffffffffffffff),
	0x80000000, 0x7fffffff, 0xffffffff, UINT64_C(0x100000000),
	31, 32, 33, 63, 64, UINT64_C(0x123456789abcdef0), UINT64_C(0xfedcba9876543210),
	UINT64_C(0xffffffff80000000),
};
#define NV N(vals)

struct prog {
	struct bvc_insn insns[MAX_INSNS];
	size_t cnt;
};

static void add(struct prog *p, struct bvc_insn in)
{
	cr_assert_lt(p->cnt, MAX_INSNS);
	p->insns[p->cnt++] = in;
}

static void ld64(struct prog *p, int reg, uint64_t v)
{
	add(p, I_LD_IMM64_LO(reg, 0, v));
	add(p, I_LD_IMM64_HI(v));
}

static uint64_t helper_args(void *ctx, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a * 3 + (b ^ (b >> 7)) * 5 + c * 7 + (d >> 3) * 11 + e * 13;
}

static uint64_t helper_inc(void *ctx, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 1;
}

static bvc_helper_fn resolve(void *ctx, int32_t id)
{
	return id == 1 ? helper_args : helper_inc;
}

/* Run @p on the interpreter and in unicorn with r1 = a buffer of @len
 * bytes (zeroed) and r2 = @len; r0 and every byte must agree. */
static void same(const struct prog *p, size_t len, uint32_t stack, const uint8_t *packet,
		 size_t packet_len, const char *what)
{
	uint8_t *mi = calloc(1, len), *mj = calloc(1, len);
	struct bvc_interp_region region = { .base = (uint64_t)(uintptr_t)mi, .size = len,
					    .writable = 1 };
	struct bvc_interp_opts o;
	struct bvc_jit_result jit;
	struct emu_run run;
	uint64_t r0 = 0;
	char err[256];

	cr_assert(mi && mj);
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.regions = &region;
	o.region_cnt = 1;
	o.helper = resolve;
	o.max_steps = 1u << 24;
	o.packet.data = packet;
	o.packet.len = packet_len;
	cr_assert_eq(bvc_interp_run(p->insns, p->cnt, region.base, len, &o, &r0, err, sizeof(err)),
		     0, "%s: interpreter: %s", what, err);
	cr_assert_eq(emu_compile(p->insns, p->cnt, stack, &jit, err, sizeof(err)), 0, "%s: %s", what,
		     err);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.mem = mj;
	run.mem_len = len;
	run.arg1 = EMU_MEM;
	run.arg2 = len;
	run.helper = resolve;
	run.packet = packet;
	run.packet_len = packet_len;
	cr_assert_eq(emu_run(&run), 0, "%s: %s", what, run.err);
	emu_release(&jit);
	cr_expect_eq(run.r0, r0, "%s: r0 0x%llx (thumbv7m) != 0x%llx (interpreter)", what,
		     (unsigned long long)run.r0, (unsigned long long)r0);
	for (size_t k = 0; k < len; k++)
		if (mi[k] != mj[k]) {
			cr_expect_fail("%s: byte %zu: 0x%02x (thumbv7m) != 0x%02x (interpreter)", what,
				       k, mj[k], mi[k]);
			break;
		}
	free(mi);
	free(mj);
}

static const struct {
	uint8_t op;
	int16_t off;
	const char *name;
} binops[] = {
	{ BVC_ADD, 0, "add" }, { BVC_SUB, 0, "sub" }, { BVC_MUL, 0, "mul" },
	{ BVC_DIV, 0, "div" }, { BVC_DIV, 1, "sdiv" }, { BVC_MOD, 0, "mod" },
	{ BVC_MOD, 1, "smod" }, { BVC_OR, 0, "or" }, { BVC_AND, 0, "and" },
	{ BVC_LSH, 0, "lsh" }, { BVC_RSH, 0, "rsh" }, { BVC_ARSH, 0, "arsh" },
	{ BVC_XOR, 0, "xor" },
};

/* Each binary operation, 64 and 32 bits, register and immediate, on every
 * pair of edge values: one program per operation, each result stored. */
Test(thumbv7m, alu_edges)
{
	static struct prog p;

	for (size_t o = 0; o < N(binops); o++)
		for (int cls = 0; cls < 2; cls++)
			for (int k = 0; k < 2; k++) {
				char what[64];

				p.cnt = 0;
				for (size_t a = 0; a < NV; a++)
					for (size_t b = 0; b < NV; b++) {
						uint8_t c = (cls ? BVC_ALU64 : BVC_ALU) | binops[o].op;

						ld64(&p, 2, vals[a]);
						if (k) {
							add(&p, I_RAW(c | BVC_K, 2, 0, binops[o].off,
								      (int32_t)vals[b]));
						} else {
							ld64(&p, 3, vals[b]);
							add(&p, I_RAW(c | BVC_X, 2, 3, binops[o].off, 0));
						}
						add(&p, I_STX(BVC_DW, 1, 2, (int16_t)(8 * (a * NV + b))));
					}
				add(&p, I_MOV64_IMM(0, 0));
				add(&p, I_EXIT());
				snprintf(what, sizeof(what), "%s%s %s", binops[o].name, cls ? "64" : "32",
					 k ? "K" : "X");
				same(&p, 8 * NV * NV, 0, NULL, 0, what);
			}
}

/* Every conditional jump, 64 and 32 bits, register and immediate. */
Test(thumbv7m, jump_edges)
{
	static const uint8_t ops[] = { BVC_JEQ, BVC_JNE, BVC_JGT, BVC_JGE, BVC_JLT, BVC_JLE,
				       BVC_JSGT, BVC_JSGE, BVC_JSLT, BVC_JSLE, BVC_JSET };
	static struct prog p;

	for (size_t o = 0; o < N(ops); o++)
		for (int cls = 0; cls < 2; cls++)
			for (int k = 0; k < 2; k++) {
				char what[64];

				p.cnt = 0;
				for (size_t a = 0; a < NV; a++)
					for (size_t b = 0; b < NV; b++) {
						uint8_t c = (cls ? BVC_JMP : BVC_JMP32) | ops[o];

						ld64(&p, 2, vals[a]);
						add(&p, I_MOV64_IMM(4, 1));
						if (k) {
							add(&p, I_RAW(c | BVC_K, 2, 0, 1, (int32_t)vals[b]));
						} else {
							ld64(&p, 3, vals[b]);
							add(&p, I_RAW(c | BVC_X, 2, 3, 1, 0));
						}
						add(&p, I_MOV64_IMM(4, 0));
						add(&p, I_STX(BVC_B, 1, 4, (int16_t)(a * NV + b)));
					}
				add(&p, I_MOV64_IMM(0, 0));
				add(&p, I_EXIT());
				snprintf(what, sizeof(what), "jump op 0x%02x%s %s", ops[o],
					 cls ? "" : " (jmp32)", k ? "K" : "X");
				same(&p, NV * NV, 0, NULL, 0, what);
			}
}

/* neg, byte swaps (to_le, to_be, bswap), movsx, mov32 on every value. */
Test(thumbv7m, unary_edges)
{
	static const struct bvc_insn forms[] = {
		I_RAW(BVC_ALU64 | BVC_NEG, 2, 0, 0, 0),
		I_RAW(BVC_ALU | BVC_NEG, 2, 0, 0, 0),
		I_RAW(BVC_ALU | BVC_END | BVC_TO_LE, 2, 0, 0, 16),
		I_RAW(BVC_ALU | BVC_END | BVC_TO_LE, 2, 0, 0, 32),
		I_RAW(BVC_ALU | BVC_END | BVC_TO_LE, 2, 0, 0, 64),
		I_RAW(BVC_ALU | BVC_END | BVC_TO_BE, 2, 0, 0, 16),
		I_RAW(BVC_ALU | BVC_END | BVC_TO_BE, 2, 0, 0, 32),
		I_RAW(BVC_ALU | BVC_END | BVC_TO_BE, 2, 0, 0, 64),
		I_RAW(BVC_ALU64 | BVC_END | BVC_TO_LE, 2, 0, 0, 16),
		I_RAW(BVC_ALU64 | BVC_END | BVC_TO_LE, 2, 0, 0, 32),
		I_RAW(BVC_ALU64 | BVC_END | BVC_TO_LE, 2, 0, 0, 64),
		I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, 2, 3, 8, 0),
		I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, 2, 3, 16, 0),
		I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, 2, 3, 32, 0),
		I_RAW(BVC_ALU | BVC_MOV | BVC_X, 2, 3, 8, 0),
		I_RAW(BVC_ALU | BVC_MOV | BVC_X, 2, 3, 16, 0),
		I_RAW(BVC_ALU | BVC_MOV | BVC_X, 2, 3, 0, 0),
		I_RAW(BVC_ALU | BVC_MOV | BVC_X, 2, 2, 0, 0),
		I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, 2, 2, 0, 0),
	};
	static struct prog p;

	p.cnt = 0;
	for (size_t f = 0; f < N(forms); f++)
		for (size_t a = 0; a < NV; a++) {
			ld64(&p, 2, vals[a]);
			ld64(&p, 3, ~vals[a] * 3);
			add(&p, forms[f]);
			add(&p, I_STX(BVC_DW, 1, 2, (int16_t)(8 * (f * NV + a))));
		}
	add(&p, I_MOV64_IMM(0, 0));
	add(&p, I_EXIT());
	same(&p, 8 * N(forms) * NV, 0, NULL, 0, "unary");
}

/* Loads and stores of every size at offsets around the encodings' limits
 * (LDR reaches -255..4095; DW also needs off + 4), from a pointer in the
 * middle of a 64 KiB buffer and from the stack of a 4000-byte frame. */
Test(thumbv7m, memory_offsets)
{
	static const int16_t offs[] = { -32768, -4100, -256, -255, -252, -8, -1, 0, 1, 7,
					4088, 4091, 4092, 4095, 4096, 20000, 32759 };
	static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W, BVC_DW };
	static struct prog p;

	p.cnt = 0;
	add(&p, I_MOV64_REG(6, 1));
	add(&p, I_ALU64_IMM(BVC_ADD, 6, 32768));
	add(&p, I_MOV64_IMM(0, 0));
	for (size_t o = 0; o < N(offs); o++)
		for (size_t s = 0; s < N(sizes); s++) {
			ld64(&p, 3, UINT64_C(0x8182838485868788) + o * 0x0101010101010101u + s);
			add(&p, I_STX(sizes[s], 6, 3, offs[o]));
			add(&p, I_LDX(sizes[s], 4, 6, offs[o]));
			add(&p, I_ALU64_REG(BVC_ADD, 0, 4));
			if (sizes[s] != BVC_DW) {
				add(&p, I_RAW(BVC_LDX | BVC_MEMSX | sizes[s], 4, 6, offs[o], 0));
				add(&p, I_ALU64_REG(BVC_XOR, 0, 4));
			}
			add(&p, I_ST(sizes[s], 6, (int16_t)(offs[o] ^ 64), -77 - (int32_t)o));
		}
	/* the stack (the interpreter's is 512 bytes; the frame is 4000),
	 * through r10 and a copy of it */
	add(&p, I_MOV64_REG(7, 10));
	for (int16_t off = -512; off < 0; off += 168) {
		ld64(&p, 3, UINT64_C(0x1122334455667788) * (uint64_t)(off + 5000));
		add(&p, I_STX(BVC_DW, 10, 3, off));
		add(&p, I_LDX(BVC_W, 4, 7, (int16_t)(off + 4)));
		add(&p, I_ALU64_REG(BVC_ADD, 0, 4));
		add(&p, I_LDX(BVC_DW, 4, 10, off));
		add(&p, I_STX(BVC_DW, 6, 4, (int16_t)(off / 2)));
	}
	add(&p, I_LDX(BVC_DW, 4, 10, -8));
	add(&p, I_ALU64_REG(BVC_ADD, 0, 4));
	add(&p, I_EXIT());
	same(&p, 65536, 4000, NULL, 0, "memory offsets");
}

/* The bottom of the deepest frame the back end takes (SP-relative at
 * its 4 KiB reach), written and read back through r10 and a copy. */
Test(thumbv7m, deep_frame)
{
	static const uint64_t v = UINT64_C(0xa1b2c3d4e5f60718);
	static struct prog p;
	struct bvc_jit_result jit;
	struct emu_run run;
	char err[256];

	p.cnt = 0;
	ld64(&p, 3, v);
	add(&p, I_STX(BVC_DW, 10, 3, -4000));
	add(&p, I_ST(BVC_W, 10, -4, 5));
	add(&p, I_MOV64_REG(7, 10));
	add(&p, I_LDX(BVC_DW, 0, 7, -4000));
	add(&p, I_LDX(BVC_W, 4, 10, -4));
	add(&p, I_ALU64_REG(BVC_ADD, 0, 4));
	add(&p, I_LDX(BVC_DW, 4, 10, -3992)); /* never written: zeroed */
	add(&p, I_ALU64_REG(BVC_ADD, 0, 4));
	add(&p, I_EXIT());
	cr_assert_eq(emu_compile(p.insns, p.cnt, 4000, &jit, err, sizeof(err)), 0, "%s", err);
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	cr_assert_eq(emu_run(&run), 0, "%s", run.err);
	cr_assert_eq(run.r0, v + 5);
	emu_release(&jit);
}

/* Every atomic operation, both sizes, with values whose carries cross
 * the 32-bit halves; on the buffer and on the stack. */
Test(thumbv7m, atomics)
{
	static const int32_t ops[] = { BVC_ADD, BVC_OR, BVC_AND, BVC_XOR,
				       BVC_ADD | BVC_FETCH, BVC_OR | BVC_FETCH, BVC_AND | BVC_FETCH,
				       BVC_XOR | BVC_FETCH, BVC_XCHG, BVC_CMPXCHG };
	static struct prog p;
	int slot = 0;

	p.cnt = 0;
	add(&p, I_MOV64_IMM(9, 0));
	for (size_t o = 0; o < N(ops); o++)
		for (int dw = 0; dw < 2; dw++)
			for (int stack = 0; stack < 2; stack++)
				for (int eq = 0; eq < 2; eq++, slot++) {
					int base = stack ? 10 : 1;
					int16_t off = (int16_t)(stack ? -8 * (slot % 32 + 1) : 8 * slot);

					ld64(&p, 3, UINT64_C(0xfffffffff0f0f0f7) + (uint64_t)slot);
					add(&p, I_STX(BVC_DW, base, 3, off));
					ld64(&p, 2, UINT64_C(0x80000001ffffffff) * (uint64_t)(slot + 1));
					/* cmpxchg: r0 equal to the old value, or not */
					add(&p, eq ? I_MOV64_REG(0, 3) : I_MOV64_IMM(0, 5));
					add(&p, I_RAW(BVC_STX | BVC_ATOMIC | (dw ? BVC_DW : BVC_W), base, 2,
						      off, ops[o]));
					add(&p, I_ALU64_REG(BVC_XOR, 9, 0));
					add(&p, I_ALU64_REG(BVC_ADD, 9, 2));
					add(&p, I_LDX(BVC_DW, 4, base, off));
					add(&p, I_STX(BVC_DW, 1, 4, (int16_t)(8 * (slot + 100))));
				}
	add(&p, I_MOV64_REG(0, 9));
	add(&p, I_EXIT());
	same(&p, 8 * (size_t)(slot + 100), 512, NULL, 0, "atomics");
}

/* A helper with five 64-bit arguments (r3..r5 go on the stack), called
 * from main and from a bpf-to-bpf function whose r6..r9 must survive. */
Test(thumbv7m, helper_five_args)
{
	static struct prog p;

	p.cnt = 0;
	ld64(&p, 6, UINT64_C(0x0606060606060606));
	ld64(&p, 9, UINT64_C(0x0909090909090909));
	ld64(&p, 1, UINT64_C(0x1111111122222222));
	ld64(&p, 2, UINT64_C(0x3333333344444444));
	ld64(&p, 3, UINT64_C(0x5555555566666666));
	ld64(&p, 4, UINT64_C(0x7777777788888888));
	ld64(&p, 5, UINT64_C(0x99999999aaaaaaaa));
	add(&p, I_CALL(1));
	add(&p, I_MOV64_REG(7, 0));
	add(&p, I_MOV64_IMM(1, 3));
	add(&p, I_CALL_LOCAL(5));
	add(&p, I_ALU64_REG(BVC_ADD, 0, 7));
	add(&p, I_ALU64_REG(BVC_XOR, 0, 6));
	add(&p, I_ALU64_REG(BVC_ADD, 0, 9));
	add(&p, I_EXIT());
	add(&p, I_EXIT()); /* unreachable padding */
	/* the function: clobbers r6..r9, calls the helper with r1 = 3 */
	add(&p, I_MOV64_IMM(6, -1));
	add(&p, I_MOV64_IMM(9, -1));
	add(&p, I_MOV64_IMM(2, 9));
	add(&p, I_MOV64_IMM(3, -9));
	add(&p, I_MOV64_IMM(4, 10));
	ld64(&p, 5, UINT64_C(0x8000000000000001));
	add(&p, I_CALL(1));
	add(&p, I_EXIT());
	same(&p, 64, 64, NULL, 0, "helper with five arguments");
}

/* 600 distinct helpers: literal slots past LDR's 4 KiB reach from r9. */
Test(thumbv7m, literal_pool_past_4k)
{
	static struct prog p;
	struct bvc_jit_result jit;
	char err[256];

	p.cnt = 0;
	add(&p, I_MOV64_IMM(0, 0));
	for (int32_t id = 2; id < 602; id++) {
		add(&p, I_MOV64_REG(1, 0));
		add(&p, I_CALL(id));
	}
	add(&p, I_EXIT());
	cr_assert_eq(emu_compile(p.insns, p.cnt, 0, &jit, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(jit.reloc_cnt, 600);
	cr_assert_eq(jit.relocs[599].offset, jit.code_size - 8);
	emu_release(&jit);
	same(&p, 8, 0, NULL, 0, "600 helpers");
}

/* LD_ABS outside the packet inside a called function ends the whole
 * program with r0 = 0; inside, it reads big-endian. */
Test(thumbv7m, ld_abs_from_a_function)
{
	static const uint8_t pkt[8] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	static struct prog p;

	for (int32_t at = 0; at < 12; at += 3) {
		p.cnt = 0;
		add(&p, I_MOV64_REG(6, 1));
		add(&p, I_MOV64_IMM(7, 5));
		add(&p, I_CALL_LOCAL(2));
		add(&p, I_ALU64_IMM(BVC_ADD, 0, 1000));
		add(&p, I_EXIT());
		add(&p, I_MOV64_IMM(8, at));
		add(&p, I_RAW(BVC_LD | BVC_ABS | BVC_H, 0, 0, 0, at));
		add(&p, I_MOV64_REG(9, 0));
		add(&p, I_RAW(BVC_LD | BVC_IND | BVC_W, 0, 8, 0, 1));
		add(&p, I_ALU64_REG(BVC_ADD, 0, 9));
		add(&p, I_EXIT());
		same(&p, 8, 0, pkt, sizeof(pkt), "ld_abs");
	}
}

static int compile_rc(const struct bvc_insn *insns, size_t cnt, uint32_t stack,
		      const struct bvc_image *img, char *err, size_t errsz)
{
	struct bvc_jit_result res;
	struct bvc_verdict v;
	int rc;

	memset(&res, 0, sizeof(res));
	memset(&v, 0, sizeof(v));
	v.kind = BVC_ACCEPT;
	v.stack_depth = stack;
	rc = bvc_jit_thumbv7m(img, NULL, insns, cnt, &v, &res, err, errsz);
	if (!rc)
		emu_release(&res);
	return rc;
}

/* What the back end does not translate is refused, never miscompiled. */
Test(thumbv7m, refusals)
{
	static const struct bvc_insn ret[] = { I_MOV64_IMM(0, 0), I_EXIT() };
	static const struct bvc_insn callx[] = { I_MOV64_IMM(0, 0),
						 I_RAW(BVC_JMP | BVC_CALL | BVC_X, 0, 0, 0, 0),
						 I_EXIT() };
	static const struct bvc_insn func[] = { I_LD_IMM64_LO(2, BVC_PSEUDO_FUNC, 2),
						I_LD_IMM64_HI(0), I_EXIT(), I_MOV64_IMM(0, 0),
						I_EXIT() };
	static const struct bvc_insn tail[] = { I_MOV64_IMM(3, 0), I_CALL(BVC_HELPER_TAIL_CALL),
						I_MOV64_IMM(0, 0), I_EXIT() };
	struct bvc_map map = { .type = BVC_MAP_PROG_ARRAY, .key_size = 4, .value_size = 4,
			       .max_entries = 1 };
	struct bvc_image img;
	char err[256];

	cr_assert_eq(compile_rc(ret, N(ret), 4000, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(compile_rc(ret, N(ret), 4016, NULL, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "unsupported: stack depth 4016 on thumbv7m");
	cr_assert_eq(compile_rc(callx, N(callx), 0, NULL, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "unsupported: opcode 0x8d"), "%s", err);
	cr_assert_eq(compile_rc(func, N(func), 0, NULL, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "unsupported: opcode 0x18 (src 4"), "%s", err);
	memset(&img, 0, sizeof(img));
	img.maps = &map;
	img.map_cnt = 1;
	/* the verdict does not say which prog_array (no facts) */
	cr_assert_eq(compile_rc(tail, N(tail), 0, &img, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "unsupported: bpf_tail_call with different prog_arrays on different paths at insn 1");
	/* without a prog_array, helper 12 is an ordinary call */
	cr_assert_eq(compile_rc(tail, N(tail), 0, NULL, err, sizeof(err)), 0, "%s", err);
}

/* --- tail calls ------------------------------------------------------------- */

static const struct bvc_insn *tail_b;
static size_t tail_b_cnt;

/* Slot 0 holds B, slot 1 is empty, max_entries 2. */
static int tail_resolve(void *ctx, uint64_t map, uint32_t index, const struct bvc_insn **insns,
			size_t *cnt)
{
	if (index >= 2)
		return -1;
	if (index == 1)
		return 0;
	*insns = tail_b;
	*cnt = tail_b_cnt;
	return 1;
}

static void compile_tail(const struct bvc_insn *insns, size_t cnt, size_t call_at,
			 struct bvc_jit_result *res)
{
	struct bvc_map map = { .type = BVC_MAP_PROG_ARRAY, .key_size = 4, .value_size = 4,
			       .max_entries = 2 };
	struct bvc_insn_fact facts[64];
	struct bvc_image img;
	struct bvc_verdict v;
	char err[256];

	cr_assert_leq(cnt, N(facts));
	memset(facts, 0xff, sizeof(facts));
	facts[call_at].map_idx = 0;
	memset(&img, 0, sizeof(img));
	img.maps = &map;
	img.map_cnt = 1;
	memset(&v, 0, sizeof(v));
	v.kind = BVC_ACCEPT;
	v.stack_depth = 64;
	v.facts = facts;
	v.fact_cnt = cnt;
	memset(res, 0, sizeof(*res));
	cr_assert_eq(bvc_jit_thumbv7m(&img, NULL, insns, cnt, &v, res, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_gt(res->tail_entry_off, 0);
}

/*
 * A tail-calls B (slot 0) with the index the buffer holds; B counts its
 * runs in the buffer and tail-calls itself until the run's 33 are spent.
 * Index 1 (empty) and 7 (past max_entries) fail and A goes on. The two
 * programs' code is laid out one after the other, as in a blob, with the
 * prog_array table in the buffer; the interpreter runs the same.
 */
Test(thumbv7m, tail_calls)
{
	static const struct bvc_insn a[] = {
		I_MOV64_REG(6, 1),
		I_LDX(BVC_W, 3, 1, 64),                  /* the index */
		I_ST(BVC_DW, 10, -8, 0x41),
		I_MOV64_IMM(0, 11),
		I_LD_IMM64_LO(2, BVC_PSEUDO_MAP_IDX, 0), I_LD_IMM64_HI(0),
		I_CALL(BVC_HELPER_TAIL_CALL),           /* insn 6 */
		I_LDX(BVC_DW, 4, 10, -8),
		I_ALU64_REG(BVC_ADD, 0, 4),
		I_EXIT(),
	};
	static const struct bvc_insn b[] = {
		I_LDX(BVC_DW, 0, 1, 72),
		I_ALU64_IMM(BVC_ADD, 0, 1),
		I_STX(BVC_DW, 1, 0, 72),
		I_LDX(BVC_DW, 4, 10, -8),               /* a zeroed frame */
		I_ALU64_REG(BVC_ADD, 0, 4),
		I_MOV64_IMM(3, 0),
		I_LD_IMM64_LO(2, BVC_PSEUDO_MAP_IDX, 0), I_LD_IMM64_HI(0),
		I_CALL(BVC_HELPER_TAIL_CALL),           /* insn 8 */
		I_ALU64_IMM(BVC_MUL, 0, 3),
		I_EXIT(),
	};
	static const uint32_t indexes[] = { 0, 1, 7 };
	struct bvc_jit_result ja, jb, all;
	size_t off_b;

	compile_tail(a, N(a), 6, &ja);
	compile_tail(b, N(b), 8, &jb);
	tail_b = b;
	tail_b_cnt = N(b);
	/* one code buffer: A, then B 8-aligned (each keeps its pool) */
	off_b = (ja.code_size + 7) & ~(size_t)7;
	memset(&all, 0, sizeof(all));
	all.code_size = off_b + jb.code_size;
	all.code = calloc(1, all.code_size);
	all.relocs = calloc(ja.reloc_cnt + jb.reloc_cnt, sizeof(*all.relocs));
	cr_assert(all.code && all.relocs);
	memcpy(all.code, ja.code, ja.code_size);
	memcpy(all.code + off_b, jb.code, jb.code_size);
	memcpy(all.relocs, ja.relocs, ja.reloc_cnt * sizeof(*all.relocs));
	for (size_t k = 0; k < jb.reloc_cnt; k++) {
		all.relocs[ja.reloc_cnt + k] = jb.relocs[k];
		all.relocs[ja.reloc_cnt + k].offset += (uint32_t)off_b;
	}
	all.reloc_cnt = ja.reloc_cnt + jb.reloc_cnt;

	for (size_t t = 0; t < N(indexes); t++) {
		uint8_t mi[256], mj[256];
		struct bvc_interp_region region = { .base = (uint64_t)(uintptr_t)mi,
						    .size = sizeof(mi), .writable = 1 };
		struct bvc_interp_opts o;
		struct emu_run run;
		uint64_t r0 = 0, slot0 = EMU_CODE + off_b + jb.tail_entry_off;
		char err[256];

		memset(mi, 0, sizeof(mi));
		memcpy(mi + 64, &indexes[t], 4);
		memcpy(mj, mi, sizeof(mi));
		/* struct bvc_dev_prog_array at 128 (the device's, little-endian) */
		mj[128] = 2;
		memcpy(mj + 136, &slot0, 8);
		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.regions = &region;
		o.region_cnt = 1;
		o.tail_call = tail_resolve;
		cr_assert_eq(bvc_interp_run(a, N(a), region.base, sizeof(mi), &o, &r0, err,
					    sizeof(err)), 0, "%s", err);
		memset(&run, 0, sizeof(run));
		run.jit = &all;
		run.mem = mj;
		run.mem_len = sizeof(mj);
		run.arg1 = EMU_MEM;
		run.arg2 = sizeof(mj);
		run.prog_array = EMU_MEM + 128;
		cr_assert_eq(emu_run(&run), 0, "%s", run.err);
		cr_expect_eq(run.r0, r0, "index %u: r0 %llu (thumbv7m) != %llu (interpreter)",
			     indexes[t], (unsigned long long)run.r0, (unsigned long long)r0);
		cr_expect(!memcmp(mi, mj, 128), "index %u: buffers differ", indexes[t]);
		if (indexes[t] == 0)
			cr_expect_eq(mj[72], 33, "B ran %u times", mj[72]);
	}
	emu_release(&ja);
	emu_release(&jb);
	emu_release(&all);
}
