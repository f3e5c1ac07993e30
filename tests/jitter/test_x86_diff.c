// SPDX-License-Identifier: MIT
/*
 * Differential test of the x86_64 JIT against the reference interpreter:
 * a seeded generator writes random programs, each is run by both, and r0
 * plus every byte of memory must agree.
 *
 * What the generator covers: ALU and ALU64, every operation with K and X
 * (division and modulo, signed and unsigned, by 0, -1 and INT_MIN
 * dividends; shifts by any count; MOVSX; BPF_END and BSWAP); conditional
 * jumps of every condition, JMP and JMP32, K and X, short and long (rel8
 * and rel32) forward jumps, JA and gotol, bounded loops; loads, sign-
 * extending loads and stores of every size on a buffer and on the whole
 * 512-byte stack, through r9/r10 and through any register holding a
 * derived pointer;
 * atomics of both sizes, every operation, incl. the register pairs that
 * need rax; helper calls; bpf-to-bpf calls (each function with its own
 * stack); LD_ABS/LD_IND on a packet.
 *
 * Program shape, so both sides stay comparable: r9 holds the buffer for the
 * whole run, r8 counts loops, r0..r7 are data. A derived pointer lives only
 * for its one access and is overwritten right after, so no address ever
 * reaches memory or r0 (the interpreter's stack is not at the JIT's
 * address). r1..r5 are set again after every call, which clobbers them
 * natively. The main function stores r0..r8 and its stack into the buffer
 * before it exits; each subprogram stores its stack there too.
 *
 * Set BVC_X86_DIFF_SEED=N to run only seed N (and print its program).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/interp.h"
#include "x86_run.h"

#define NPROGS 5000    /* programs in all */
#define NBATCH 10      /* Criterion cases they are split into */
#define MAX_INSNS 4000 /* generator buffer */
#define BUDGET 1500    /* no new items past this many instructions */

#define BUF_DATA 256       /* [0, 256): data the programs load and store */
#define BUF_STACK 256      /* [256, 768): main's stack at exit */
#define BUF_REGS 768       /* [768, 840): main's r0..r8 at exit */
#define BUF_SUBSTACK 896   /* [896, 1152): 64 bytes per subprogram's stack */
#define BUF_SIZE 1152
#define MAIN_STACK 512     /* bytes of stack main uses: all of it */
#define SUB_STACK 64       /* bytes of stack a subprogram uses */
#define MAX_SUBS 4
#define PKT_SIZE 64
#define HELPER_MIX 1       /* the test's helper id */

#define R_BUF 9  /* the buffer */
#define R_LOOP 8 /* loop counter */

/* One batch of seeds. */
struct batch {
	int first; /* first seed */
	int count; /* seeds */
};

/* The generator's state for one program. */
struct gen {
	uint64_t rng;
	struct bvc_insn insns[MAX_INSNS];
	size_t n;
	int nsubs;            /* subprograms */
	int sub;              /* function being written: -1 main, else subprogram index */
	size_t sub_start[MAX_SUBS];
	struct {
		size_t at;    /* the call instruction */
		int sub;      /* callee */
	} calls[MAX_INSNS];
	size_t ncalls;
	int ld_abs_ok;        /* no subprograms: LD_ABS/LD_IND allowed in main */
	int overflow;         /* ran out of room: the program is dropped */
};

static uint8_t packet[PKT_SIZE];

static uint64_t rnd(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct gen *g, uint32_t n)
{
	return (uint32_t)(rnd(g) % n);
}

static int chance(struct gen *g, int percent)
{
	return (int)below(g, 100) < percent;
}

/* A 32-bit immediate biased towards the edges. */
static int32_t imm32(struct gen *g)
{
	static const int32_t edge[] = {
		0, 1, -1, 2, -2, 7, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, INT32_MIN, 0x12345678, -0x12345678,
	};

	switch (below(g, 4)) {
	case 0: return edge[below(g, sizeof(edge) / sizeof(edge[0]))];
	case 1: return (int32_t)below(g, 64) - 16;
	default: return (int32_t)rnd(g);
	}
}

/* A 64-bit value biased towards the edges. */
static uint64_t imm64(struct gen *g)
{
	static const uint64_t edge[] = {
		0, 1, UINT64_MAX, 0x8000000000000000ull, 0x7fffffffffffffffull, 0xffffffffull,
		0x80000000ull, 0xffffffff80000000ull, 0x100000000ull, 0x00ff00ff00ff00ffull,
	};

	if (chance(g, 30))
		return edge[below(g, sizeof(edge) / sizeof(edge[0]))];
	return rnd(g);
}

static void emit(struct gen *g, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	if (g->n >= MAX_INSNS - 2) {
		g->overflow = 1;
		return;
	}
	g->insns[g->n++] = (struct bvc_insn){
		.code = code, .dst = (uint8_t)dst, .src = (uint8_t)src, .off = off, .imm = imm,
	};
}

static void emit_ld64(struct gen *g, int dst, uint64_t v)
{
	emit(g, BVC_LD | BVC_IMM | BVC_DW, dst, 0, 0, (int32_t)(uint32_t)v);
	emit(g, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* Set @r to some value. */
static void set_reg(struct gen *g, int r)
{
	switch (below(g, 3)) {
	case 0: emit(g, BVC_ALU64 | BVC_MOV | BVC_K, r, 0, 0, imm32(g)); break;
	case 1: emit(g, BVC_ALU | BVC_MOV | BVC_K, r, 0, 0, imm32(g)); break;
	default: emit_ld64(g, r, imm64(g)); break;
	}
}

/* After a call: r1..r5 are clobbered natively, so give them values again. */
static void reset_args(struct gen *g)
{
	for (int r = 1; r <= 5; r++)
		set_reg(g, r);
}

static int data_reg(struct gen *g)
{
	return (int)below(g, 8); /* r0..r7 */
}

static int src_reg(struct gen *g)
{
	return (int)below(g, 9); /* r0..r8 (r8: the loop counter, read only) */
}

static void gen_alu(struct gen *g)
{
	static const uint8_t ops[] = {
		BVC_ADD, BVC_SUB, BVC_MUL, BVC_DIV, BVC_OR, BVC_AND, BVC_LSH, BVC_RSH,
		BVC_NEG, BVC_MOD, BVC_XOR, BVC_MOV, BVC_ARSH, BVC_END,
	};
	uint8_t op = ops[below(g, sizeof(ops) / sizeof(ops[0]))];
	int w = chance(g, 50), x = chance(g, 50);
	uint8_t cls = w ? BVC_ALU64 : BVC_ALU;
	int dst = data_reg(g), src = src_reg(g);
	int16_t off = 0;
	int32_t imm = imm32(g);

	switch (op) {
	case BVC_DIV:
	case BVC_MOD:
		off = (int16_t)below(g, 2); /* unsigned / signed */
		if (chance(g, 25)) {
			/* The dividend INT_MIN of the width. */
			if (w)
				emit_ld64(g, dst, 0x8000000000000000ull);
			else
				emit(g, BVC_ALU | BVC_MOV | BVC_K, dst, 0, 0, INT32_MIN);
		}
		if (x && chance(g, 40)) {
			static const int32_t div_edge[] = { 0, -1, 1, INT32_MIN, 2, -2 };

			src = data_reg(g);
			emit(g, (chance(g, 50) ? BVC_ALU64 : BVC_ALU) | BVC_MOV | BVC_K, src, 0, 0,
			     div_edge[below(g, 6)]);
		} else if (!x && chance(g, 40)) {
			imm = chance(g, 50) ? 0 : -1;
		}
		break;
	case BVC_LSH:
	case BVC_RSH:
	case BVC_ARSH:
		if (!x)
			imm = chance(g, 85) ? (int32_t)below(g, w ? 64 : 32) : imm32(g);
		break;
	case BVC_NEG:
		x = 0;
		imm = 0;
		break;
	case BVC_MOV:
		if (x && chance(g, 40)) {
			static const int16_t sx[] = { 8, 16, 32 };

			off = sx[below(g, w ? 3 : 2)];
		}
		break;
	case BVC_END:
		imm = 16 << below(g, 3);
		if (w) {
			x = 0; /* bswap: ALU64 | END | TO_LE */
		}
		src = 0;
		emit(g, cls | op | (x ? BVC_TO_BE : BVC_TO_LE), dst, 0, 0, imm);
		return;
	}
	emit(g, cls | op | (x ? BVC_X : BVC_K), dst, x ? src : 0, off, x ? 0 : imm);
}

/* A base register and offset for @size bytes, @align-aligned. Returns the
 * register holding a derived pointer to clear after the access, or -1. */
static int pick_mem(struct gen *g, int size, int align, int *base, int16_t *off, int avoid)
{
	int lo, hi, o, b, derived;

	if (chance(g, 50)) {
		b = R_BUF;
		lo = 0;
		hi = BUF_DATA - size;
	} else {
		b = BVC_REG_FP;
		lo = g->sub < 0 ? -MAIN_STACK : -SUB_STACK;
		hi = -size;
	}
	o = lo + (int)below(g, (uint32_t)(hi - lo + 1));
	o -= ((o % align) + align) % align;
	if (o < lo)
		o += align;
	*base = b;
	*off = (int16_t)o;
	if (!chance(g, 35))
		return -1;
	/* The same address through another register: mov rD, base; add rD, k. */
	do
		derived = data_reg(g);
	while (derived == avoid);
	{
		int32_t k = (int32_t)below(g, 600) - 300;

		emit(g, BVC_ALU64 | BVC_MOV | BVC_X, derived, b, 0, 0);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_K, derived, 0, 0, k);
		*base = derived;
		*off = (int16_t)(o - k);
	}
	return derived;
}

static void gen_mem(struct gen *g)
{
	static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W, BVC_DW };
	uint8_t sz = sizes[below(g, 4)];
	int n = bvc_size_bytes(sz), base, reg, derived;
	int16_t off;

	switch (below(g, 4)) {
	case 0: /* LDX */
		reg = data_reg(g);
		derived = pick_mem(g, n, 1, &base, &off, -1);
		if (sz != BVC_DW && chance(g, 40))
			emit(g, BVC_LDX | BVC_MEMSX | sz, reg, base, off, 0);
		else
			emit(g, BVC_LDX | BVC_MEM | sz, reg, base, off, 0);
		if (derived >= 0 && derived != reg)
			emit(g, BVC_ALU64 | BVC_MOV | BVC_K, derived, 0, 0, imm32(g));
		return;
	case 1: /* ST */
		derived = pick_mem(g, n, 1, &base, &off, -1);
		emit(g, BVC_ST | BVC_MEM | sz, base, 0, off, imm32(g));
		break;
	default: /* STX */
		reg = src_reg(g);
		derived = pick_mem(g, n, 1, &base, &off, reg);
		emit(g, BVC_STX | BVC_MEM | sz, base, reg, off, 0);
		break;
	}
	if (derived >= 0)
		emit(g, BVC_ALU64 | BVC_MOV | BVC_K, derived, 0, 0, imm32(g));
}

static void gen_atomic(struct gen *g)
{
	static const int32_t ops[] = {
		BVC_ADD, BVC_OR, BVC_AND, BVC_XOR,
		BVC_ADD | BVC_FETCH, BVC_OR | BVC_FETCH, BVC_AND | BVC_FETCH, BVC_XOR | BVC_FETCH,
		BVC_XCHG, BVC_CMPXCHG,
	};
	int32_t op = ops[below(g, sizeof(ops) / sizeof(ops[0]))];
	uint8_t sz = chance(g, 50) ? BVC_W : BVC_DW;
	int n = bvc_size_bytes(sz), src = data_reg(g), base, derived;
	int16_t off;

	derived = pick_mem(g, n, n, &base, &off, src);
	/* Make cmpxchg succeed sometimes: r0 = the current value. */
	if (op == BVC_CMPXCHG && base != 0 && chance(g, 50))
		emit(g, BVC_LDX | BVC_MEM | sz, 0, base, off, 0);
	emit(g, BVC_STX | BVC_ATOMIC | sz, base, src, off, op);
	if (derived >= 0)
		emit(g, BVC_ALU64 | BVC_MOV | BVC_K, derived, 0, 0, imm32(g));
}

static void gen_block(struct gen *g, int items, int depth, int in_loop);

static void gen_cond(struct gen *g, uint8_t *code, int *dst, int *src, int32_t *imm)
{
	static const uint8_t conds[] = {
		BVC_JEQ, BVC_JNE, BVC_JGT, BVC_JGE, BVC_JLT, BVC_JLE,
		BVC_JSGT, BVC_JSGE, BVC_JSLT, BVC_JSLE, BVC_JSET,
	};
	int x = chance(g, 50);

	*code = (chance(g, 50) ? BVC_JMP : BVC_JMP32) | conds[below(g, 11)] | (x ? BVC_X : BVC_K);
	*dst = src_reg(g);
	*src = x ? src_reg(g) : 0;
	*imm = x ? 0 : (chance(g, 50) ? (int32_t)below(g, 8) - 2 : imm32(g));
}

/* if (cond) skip { then } [else { ... }] */
static void gen_if(struct gen *g, int depth, int in_loop)
{
	uint8_t code;
	int dst, src, items;
	int32_t imm;
	size_t j, ja;

	gen_cond(g, &code, &dst, &src, &imm);
	j = g->n;
	emit(g, code, dst, src, 0, imm);
	/* Sometimes long enough for a rel32 jump. */
	items = chance(g, 15) ? 20 + (int)below(g, 30) : 1 + (int)below(g, 6);
	gen_block(g, items, depth + 1, in_loop);
	if (chance(g, 40)) {
		ja = g->n;
		/* JA or gotol (JMP32 | JA, offset in imm) */
		if (chance(g, 50))
			emit(g, BVC_JMP | BVC_JA, 0, 0, 0, 0);
		else
			emit(g, BVC_JMP32 | BVC_JA, 0, 0, 0, 0);
		if (g->overflow)
			return;
		g->insns[j].off = (int16_t)(g->n - j - 1);
		gen_block(g, 1 + (int)below(g, 5), depth + 1, in_loop);
		if (g->overflow)
			return;
		if (bvc_insn_class(&g->insns[ja]) == BVC_JMP)
			g->insns[ja].off = (int16_t)(g->n - ja - 1);
		else
			g->insns[ja].imm = (int32_t)(g->n - ja - 1);
		return;
	}
	if (!g->overflow)
		g->insns[j].off = (int16_t)(g->n - j - 1);
}

/* r8 = N; do { body } while (--r8 != 0) */
static void gen_loop(struct gen *g, int depth)
{
	size_t top;

	emit(g, BVC_ALU64 | BVC_MOV | BVC_K, R_LOOP, 0, 0, 1 + (int32_t)below(g, 4));
	top = g->n;
	gen_block(g, 2 + (int)below(g, 6), depth + 1, 1);
	if (chance(g, 50))
		emit(g, BVC_ALU64 | BVC_ADD | BVC_K, R_LOOP, 0, 0, -1);
	else
		emit(g, BVC_ALU | BVC_SUB | BVC_K, R_LOOP, 0, 0, 1);
	switch (below(g, 3)) {
	case 0: emit(g, BVC_JMP | BVC_JNE | BVC_K, R_LOOP, 0, 0, 0); break;
	case 1: emit(g, BVC_JMP32 | BVC_JGT | BVC_K, R_LOOP, 0, 0, 0); break;
	default: emit(g, BVC_JMP | BVC_JSGT | BVC_K, R_LOOP, 0, 0, 0); break;
	}
	if (!g->overflow)
		g->insns[g->n - 1].off = (int16_t)((int64_t)top - (int64_t)g->n);
}

static void gen_helper_call(struct gen *g)
{
	if (chance(g, 50))
		reset_args(g);
	emit(g, BVC_JMP | BVC_CALL, 0, 0, 0, HELPER_MIX);
	reset_args(g);
}

static void gen_bpf_call(struct gen *g)
{
	int callee = g->sub + 1 + (int)below(g, (uint32_t)(g->nsubs - g->sub - 1));

	if (g->ncalls >= MAX_INSNS) {
		g->overflow = 1;
		return;
	}
	g->calls[g->ncalls].at = g->n;
	g->calls[g->ncalls++].sub = callee;
	emit(g, BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 0);
	reset_args(g);
}

static void gen_ld_abs(struct gen *g)
{
	static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W };
	uint8_t sz = sizes[below(g, 3)];

	if (chance(g, 50)) {
		emit(g, BVC_LD | BVC_ABS | sz, 0, 0, 0,
		     chance(g, 90) ? (int32_t)below(g, PKT_SIZE) : imm32(g));
	} else {
		int r = 1 + (int)below(g, 7);

		if (chance(g, 25)) /* only the low 32 bits of the offset count */
			emit_ld64(g, r, (rnd(g) << 32) | below(g, PKT_SIZE));
		else
			emit(g, BVC_ALU64 | BVC_MOV | BVC_K, r, 0, 0,
			     chance(g, 90) ? (int32_t)below(g, PKT_SIZE + 8) - 4 : imm32(g));
		emit(g, BVC_LD | BVC_IND | sz, 0, r, 0, (int32_t)below(g, 24) - 8);
	}
	reset_args(g);
}

static void gen_block(struct gen *g, int items, int depth, int in_loop)
{
	/* A budget keeps nested long blocks from running out of room. */
	for (int k = 0; k < items && !g->overflow && g->n < BUDGET; k++) {
		int p = (int)below(g, 100);

		if (p < 40)
			gen_alu(g);
		else if (p < 60)
			gen_mem(g);
		else if (p < 68)
			gen_atomic(g);
		else if (p < 78 && depth < 3)
			gen_if(g, depth, in_loop);
		else if (p < 82 && depth < 3 && !in_loop)
			gen_loop(g, depth);
		else if (p < 86)
			gen_helper_call(g);
		else if (p < 91 && g->sub + 1 < g->nsubs)
			gen_bpf_call(g);
		else if (p < 94 && g->ld_abs_ok)
			gen_ld_abs(g);
		else if (p < 97)
			set_reg(g, data_reg(g));
		else
			gen_alu(g);
	}
}

/* Store @bytes of the frame's stack at BUF offset @at through @tmp. */
static void dump_stack(struct gen *g, int bytes, int at, int tmp)
{
	for (int k = 0; k < bytes / 8; k++) {
		emit(g, BVC_LDX | BVC_MEM | BVC_DW, tmp, BVC_REG_FP, (int16_t)(-8 * (k + 1)), 0);
		emit(g, BVC_STX | BVC_MEM | BVC_DW, R_BUF, tmp, (int16_t)(at + 8 * k), 0);
	}
}

/* Give the frame's stack defined contents. */
static void init_stack(struct gen *g, int bytes)
{
	for (int k = 0; k < bytes / 8; k++) {
		if (chance(g, 50)) {
			emit(g, BVC_ST | BVC_MEM | BVC_DW, BVC_REG_FP, 0, (int16_t)(-8 * (k + 1)),
			     imm32(g));
		} else {
			int r = data_reg(g);

			set_reg(g, r);
			emit(g, BVC_STX | BVC_MEM | BVC_DW, BVC_REG_FP, r, (int16_t)(-8 * (k + 1)), 0);
		}
	}
}

/* Program for @seed; returns its length, 0 if the generator ran out of room. */
static size_t generate(struct gen *g, int seed)
{
	memset(g, 0, sizeof(*g));
	g->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)(seed + 1) * 0xbf58476d1ce4e5b9ull);
	rnd(g);
	g->nsubs = chance(g, 40) ? 1 + (int)below(g, MAX_SUBS) : 0;
	g->ld_abs_ok = !g->nsubs;

	/* main */
	g->sub = -1;
	emit(g, BVC_ALU64 | BVC_MOV | BVC_X, R_BUF, 1, 0, 0);
	init_stack(g, MAIN_STACK);
	for (int r = 0; r <= R_LOOP; r++)
		set_reg(g, r);
	gen_block(g, 10 + (int)below(g, 40), 0, 0);
	for (int r = 0; r <= R_LOOP; r++)
		emit(g, BVC_STX | BVC_MEM | BVC_DW, R_BUF, r, (int16_t)(BUF_REGS + 8 * r), 0);
	dump_stack(g, MAIN_STACK, BUF_STACK, 1);
	emit(g, BVC_JMP | BVC_EXIT, 0, 0, 0, 0);

	/* subprograms: each may call only later ones, so there is no recursion */
	for (int s = 0; s < g->nsubs; s++) {
		g->sub = s;
		g->sub_start[s] = g->n;
		init_stack(g, SUB_STACK);
		gen_block(g, 3 + (int)below(g, 15), 0, 0);
		dump_stack(g, SUB_STACK, BUF_SUBSTACK + SUB_STACK * s, 5);
		emit(g, BVC_JMP | BVC_EXIT, 0, 0, 0, 0);
	}
	if (g->overflow)
		return 0;
	for (size_t k = 0; k < g->ncalls; k++)
		g->insns[g->calls[k].at].imm =
			(int32_t)((int64_t)g->sub_start[g->calls[k].sub] - (int64_t)g->calls[k].at - 1);
	return g->n;
}

/* The test's helper: mixes all five arguments. */
static uint64_t mix(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a * 3 + (b ^ (c >> 3)) - (d << 1) + e * 0x9e3779b1u + 0x1234;
}

static uint64_t mix_interp(void *ctx, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return mix(a, b, c, d, e);
}

static bvc_helper_fn resolve_interp(void *ctx, int32_t id)
{
	return id == HELPER_MIX ? mix_interp : NULL;
}

/* LD_ABS/LD_IND intrinsic: big-endian bytes of the packet, -1 outside it. */
static int64_t ld_pkt(int n, int64_t off)
{
	uint64_t v = 0;

	if (off < 0 || off + n > PKT_SIZE)
		return -1;
	for (int k = 0; k < n; k++)
		v = (v << 8) | packet[off + k];
	return (int64_t)v;
}

static int64_t ld_abs_b(const void *ctx, int64_t off)
{
	return ld_pkt(1, off);
}

static int64_t ld_abs_h(const void *ctx, int64_t off)
{
	return ld_pkt(2, off);
}

static int64_t ld_abs_w(const void *ctx, int64_t off)
{
	return ld_pkt(4, off);
}

static uint64_t resolve_native(const struct bvc_reloc *r, void *arg)
{
	if (r->kind == BVC_RELOC_HELPER && r->target == HELPER_MIX)
		return (uint64_t)(uintptr_t)mix;
	if (r->kind == BVC_RELOC_RUNTIME) {
		switch (r->target) {
		case BVC_RT_LD_ABS_B: return (uint64_t)(uintptr_t)ld_abs_b;
		case BVC_RT_LD_ABS_H: return (uint64_t)(uintptr_t)ld_abs_h;
		case BVC_RT_LD_ABS_W: return (uint64_t)(uintptr_t)ld_abs_w;
		}
	}
	return 0;
}

static volatile int current_seed = -1;

static void on_crash(int sig)
{
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "jitter_x86 diff: seed %d crashed (signal %d)\n",
			 current_seed, sig);

	if (write(2, msg, (size_t)n) < 0)
		_exit(3);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void print_program(const struct bvc_insn *insns, size_t n)
{
	for (size_t k = 0; k < n; k++)
		fprintf(stderr, "%4zu: %02x %x %x %6d %11d\n", k, insns[k].code, insns[k].dst,
			insns[k].src, insns[k].off, insns[k].imm);
}

/* Run @seed both ways; 0 if they agree, else a message in @msg. */
static int check_seed(int seed, int verbose, char *msg, size_t msgsz, size_t *ninsns)
{
	static struct gen g;
	static uint8_t init[BUF_SIZE], buf_i[BUF_SIZE], buf_j[BUF_SIZE];
	struct bvc_jit_result *res = NULL;
	struct bvc_interp_region region;
	struct bvc_interp_opts opts;
	char err[256] = "";
	uint64_t r0_i = 0, r0_j;
	struct xrun_prog p;
	size_t n;
	int ret;

	n = generate(&g, seed);
	*ninsns = n;
	if (!n) {
		snprintf(msg, msgsz, "seed %d: generator overflow", seed);
		return -1;
	}
	if (verbose)
		print_program(g.insns, n);
	for (size_t k = 0; k < BUF_SIZE; k++)
		init[k] = (uint8_t)rnd(&g);
	for (size_t k = 0; k < PKT_SIZE; k++)
		packet[k] = (uint8_t)(k * 37 + seed);

	memcpy(buf_i, init, BUF_SIZE);
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	region.base = (uint64_t)(uintptr_t)buf_i;
	region.size = BUF_SIZE;
	region.writable = 1;
	opts.regions = &region;
	opts.region_cnt = 1;
	opts.helper = resolve_interp;
	opts.max_steps = 1000000;
	opts.packet.data = packet;
	opts.packet.len = PKT_SIZE;
	ret = bvc_interp_run(g.insns, n, (uint64_t)(uintptr_t)buf_i, BUF_SIZE, &opts, &r0_i, err,
			     sizeof(err));
	if (ret) {
		snprintf(msg, msgsz, "seed %d: the interpreter failed (%d): %s", seed, ret, err);
		return -1;
	}

	ret = xrun_compile(g.insns, n, BVC_INTERP_STACK_SIZE, &res, err, sizeof(err));
	if (ret) {
		snprintf(msg, msgsz, "seed %d: JIT refused (%d): %s", seed, ret, err);
		return -1;
	}
	ret = xrun_load(res, resolve_native, NULL, &p, err, sizeof(err));
	bvc_jit_result_free(res);
	if (ret) {
		snprintf(msg, msgsz, "seed %d: cannot load: %s", seed, err);
		return -1;
	}
	memcpy(buf_j, init, BUF_SIZE);
	current_seed = seed;
	r0_j = p.entry(buf_j, BUF_SIZE);
	current_seed = -1;
	xrun_unload(&p);

	if (r0_i != r0_j) {
		snprintf(msg, msgsz, "seed %d: r0 = 0x%llx natively, 0x%llx interpreted", seed,
			 (unsigned long long)r0_j, (unsigned long long)r0_i);
		return -1;
	}
	for (size_t k = 0; k < BUF_SIZE; k++) {
		if (buf_i[k] != buf_j[k]) {
			snprintf(msg, msgsz,
				 "seed %d: memory differs at byte %zu: 0x%02x natively, 0x%02x interpreted",
				 seed, k, buf_j[k], buf_i[k]);
			return -1;
		}
	}
	return 0;
}

static void free_params(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

ParameterizedTestParameters(jitter_x86, differential)
{
	struct batch *b = cr_calloc(NBATCH, sizeof(*b));

	for (int k = 0; k < NBATCH; k++) {
		b[k].first = k * (NPROGS / NBATCH);
		b[k].count = NPROGS / NBATCH;
	}
	return cr_make_param_array(struct batch, b, NBATCH, free_params);
}

ParameterizedTest(struct batch *b, jitter_x86, differential, .timeout = 300)
{
	const char *only = getenv("BVC_X86_DIFF_SEED");
	size_t insns = 0, total = 0;
	int agreed = 0;

	signal(SIGSEGV, on_crash);
	signal(SIGILL, on_crash);
	signal(SIGFPE, on_crash);
	signal(SIGBUS, on_crash);
	for (int s = b->first; s < b->first + b->count; s++) {
		char msg[512];

		if (only && atoi(only) != s)
			continue;
		if (check_seed(s, only != NULL, msg, sizeof(msg), &insns))
			cr_assert_fail("%s (set BVC_X86_DIFF_SEED=%d to see it)", msg, s);
		agreed++;
		total += insns;
	}
	cr_log_info("x86_64 differential: seeds %d..%d: %d programs (%zu insns) agree with the interpreter",
		    b->first, b->first + b->count - 1, agreed, total);
}
