// SPDX-License-Identifier: MIT
/*
 * Random program generator (see gen.h).
 *
 * A function is a list of groups: short instruction sequences that only
 * make sense whole (a call and the moves that redefine the registers it
 * clobbers, a divisor set up and the division). Jumps land on group
 * starts only, so every path sees every register and stack byte written.
 * Each group is in a region: the top level (0) or the body of a counted
 * loop. A jump may stay in its region or leave a loop for the top level,
 * never enter a loop from outside (that would skip its counter's set-up).
 *
 * Registers: r6 = the buffer, r8 = the buffer + 2048, r10 = the frame:
 * pointers, never operands of arithmetic, never stored. r9 counts loop
 * iterations and is only read elsewhere. r0-r5 and r7 are scalars.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define MAX_FUNCS 4
#define MAX_GROUPS 96
#define MID 2048                 /* r8 = r6 + MID */
#define DUMP (GEN_MEM_SIZE - 256) /* where main dumps its stack */
#define NEAR_STACK 128           /* r10 - 128 .. r10: one region of the stack */
#define FAR_STACK 512            /* r10 - 512 .. r10 - 496: the other */

static const uint8_t scalars_w[] = { 0, 1, 2, 3, 4, 5, 7 };    /* may be written */
static const uint8_t scalars_r[] = { 0, 1, 2, 3, 4, 5, 7, 9 }; /* may be read */

enum fix_kind { FIX_JUMP_OFF, FIX_JUMP_IMM, FIX_CALL };

struct fix {
	size_t insn;     /* the jump or call */
	enum fix_kind kind;
	size_t group;    /* FIX_JUMP_*: the group it is in */
	int region;      /* FIX_JUMP_*: that group's region */
	unsigned int func; /* FIX_CALL: the callee */
};

struct gen {
	uint64_t rng;
	struct bvc_insn *insns;
	size_t cnt, cap;
	struct fix *fixes;   /* pending fix-ups of the current function; calls: all */
	size_t nfix, fixcap;
	size_t gstart[MAX_GROUPS + 8]; /* first insn of each group */
	int gregion[MAX_GROUPS + 8];
	size_t ngroups;
	int region;          /* of the group being made */
	int loops;           /* loops made in this function (region ids 1..) */
	unsigned int func, nfuncs;
	size_t fstart[MAX_FUNCS];
	int oom;
};

static uint64_t rnd(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * UINT64_C(2685821657736338717);
}

static uint32_t below(struct gen *g, uint32_t n)
{
	return (uint32_t)(rnd(g) % n);
}

static int chance(struct gen *g, unsigned int percent)
{
	return below(g, 100) < percent;
}

static void put(struct gen *g, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bvc_insn in;

	if (g->cnt == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		struct bvc_insn *p = realloc(g->insns, cap * sizeof(*p));

		if (!p) {
			g->oom = 1;
			return;
		}
		g->insns = p;
		g->cap = cap;
	}
	memset(&in, 0, sizeof(in));
	in.code = code;
	in.dst = dst & 0xf;
	in.src = src & 0xf;
	in.off = off;
	in.imm = imm;
	g->insns[g->cnt++] = in;
}

static void put_fix(struct gen *g, enum fix_kind kind, unsigned int func)
{
	if (g->nfix == g->fixcap) {
		size_t cap = g->fixcap ? 2 * g->fixcap : 64;
		struct fix *p = realloc(g->fixes, cap * sizeof(*p));

		if (!p) {
			g->oom = 1;
			return;
		}
		g->fixes = p;
		g->fixcap = cap;
	}
	g->fixes[g->nfix].insn = g->cnt - 1;
	g->fixes[g->nfix].kind = kind;
	g->fixes[g->nfix].group = g->ngroups - 1;
	g->fixes[g->nfix].region = g->region;
	g->fixes[g->nfix].func = func;
	g->nfix++;
}

static void begin_group(struct gen *g)
{
	g->gstart[g->ngroups] = g->cnt;
	g->gregion[g->ngroups] = g->region;
	g->ngroups++;
}

static uint8_t wreg(struct gen *g)
{
	return scalars_w[below(g, sizeof(scalars_w))];
}

static uint8_t rreg(struct gen *g)
{
	return scalars_r[below(g, sizeof(scalars_r))];
}

/* Immediates that find the edge cases more often than uniform ones do. */
static int32_t pick_imm(struct gen *g)
{
	switch (below(g, 12)) {
	case 0: return 0;
	case 1: return -1;
	case 2: return 1;
	case 3: return INT32_MIN;
	case 4: return INT32_MAX;
	case 5: return (int32_t)below(g, 4096);
	case 6: return -(int32_t)below(g, 4097);
	case 7: return (int32_t)((uint32_t)below(g, 256) << (8 * below(g, 4)));
	case 8: return (int32_t)below(g, 16);
	case 9: return (int32_t)(0xffffffffu << below(g, 32)); /* logical immediates */
	case 10: return (int32_t)((1u << below(g, 32)) - 1);
	default: return (int32_t)rnd(g);
	}
}

static uint64_t pick_imm64(struct gen *g)
{
	switch (below(g, 8)) {
	case 0: return 0;
	case 1: return ~UINT64_C(0);
	case 2: return (uint64_t)INT64_MIN;
	case 3: return (uint64_t)(int64_t)pick_imm(g);
	case 4: return (uint64_t)below(g, 0x10000) << (16 * below(g, 4));
	case 5: return ~((uint64_t)below(g, 0x10000) << (16 * below(g, 4)));
	case 6: return UINT64_C(0x5555555555555555) << below(g, 2);
	default: return rnd(g);
	}
}

static void mov_imm(struct gen *g, uint8_t r, int32_t imm)
{
	put(g, (chance(g, 50) ? BVC_ALU64 : BVC_ALU) | BVC_MOV | BVC_K, r, 0, 0, imm);
}

static void mov_imm64(struct gen *g, uint8_t r, uint64_t v)
{
	put(g, BVC_LD | BVC_IMM | BVC_DW, r, 0, 0, (int32_t)(uint32_t)v);
	put(g, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* r1..r5 after a call: whatever the callee left, so written again. */
static void redefine_args(struct gen *g)
{
	uint8_t r;

	for (r = 1; r <= 5; r++)
		mov_imm(g, r, pick_imm(g));
}

static void group_alu(struct gen *g)
{
	static const uint8_t ops[] = { BVC_ADD, BVC_SUB, BVC_MUL, BVC_DIV, BVC_OR,  BVC_AND,
				       BVC_LSH, BVC_RSH, BVC_NEG, BVC_MOD, BVC_XOR, BVC_MOV,
				       BVC_ARSH, BVC_END };
	uint8_t op = ops[below(g, sizeof(ops))];
	uint8_t cls = chance(g, 50) ? BVC_ALU64 : BVC_ALU;
	uint8_t dst = wreg(g), src = rreg(g);
	int x = chance(g, 50);
	int16_t off = 0;
	int32_t imm = pick_imm(g);

	switch (op) {
	case BVC_NEG:
		x = 0;
		imm = 0;
		break;
	case BVC_DIV:
	case BVC_MOD:
		off = (int16_t)below(g, 2); /* unsigned, signed */
		if (x && chance(g, 40)) {
			/* a divisor of 0, -1 or 1 (sometimes the dividend INT_MIN too) */
			static const int32_t special[] = { 0, -1, 1 };

			src = wreg(g);
			mov_imm(g, src, special[below(g, 3)]);
			if (src != dst && chance(g, 30)) {
				if (cls == BVC_ALU64)
					mov_imm64(g, dst, (uint64_t)INT64_MIN);
				else
					mov_imm(g, dst, INT32_MIN);
			}
		}
		break;
	case BVC_LSH:
	case BVC_RSH:
	case BVC_ARSH:
		if (!x)
			imm = chance(g, 90) ? (int32_t)below(g, cls == BVC_ALU64 ? 64 : 32) : pick_imm(g);
		break;
	case BVC_MOV:
		if (x && chance(g, 35)) {
			static const int16_t sx64[] = { 8, 16, 32 };

			off = cls == BVC_ALU64 ? sx64[below(g, 3)] : (int16_t)(8 << below(g, 2));
		}
		break;
	case BVC_END: {
		static const int32_t widths[] = { 16, 32, 64 };

		imm = widths[below(g, 3)];
		if (cls == BVC_ALU64) {
			x = 0; /* bswap: ALU64 | END | TO_LE only */
		}
		break;
	}
	}
	if (op == BVC_END)
		put(g, cls | op | (x ? BVC_TO_BE : BVC_TO_LE), dst, 0, 0, imm);
	else
		put(g, cls | op | (x ? BVC_X : BVC_K), dst, x ? src : 0, off, x ? 0 : imm);
}

/* A base register and an offset for @n bytes (aligned to @n if @align). */
static void pick_addr(struct gen *g, int n, int align, uint8_t *base, int16_t *off)
{
	int o;

	switch (below(g, 4)) {
	case 0: /* buffer from its start: scaled and register-offset forms */
		*base = 6;
		o = (int)below(g, (uint32_t)(DUMP - n + 1));
		break;
	case 1: /* buffer from its middle: negative offsets */
		*base = 8;
		o = (int)below(g, (uint32_t)(DUMP - n + 1)) - MID;
		break;
	case 2: /* near stack */
		*base = 10;
		o = -(int)below(g, (uint32_t)(NEAR_STACK - n + 1)) - n;
		break;
	default: /* far stack */
		*base = 10;
		o = -FAR_STACK + (int)below(g, (uint32_t)(16 - n + 1));
		break;
	}
	if (align)
		o &= ~(n - 1); /* every base is 16-aligned */
	*off = (int16_t)o;
}

static void group_mem(struct gen *g)
{
	static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W, BVC_DW };
	uint8_t sz = sizes[below(g, 4)], base;
	int n = bvc_size_bytes(sz);
	int16_t off;

	switch (below(g, 4)) {
	case 0: /* load */
		pick_addr(g, n, chance(g, 50), &base, &off);
		put(g, BVC_LDX | BVC_MEM | sz, wreg(g), base, off, 0);
		break;
	case 1: /* sign-extending load */
		if (sz == BVC_DW)
			sz = BVC_W, n = 4;
		pick_addr(g, n, chance(g, 50), &base, &off);
		put(g, BVC_LDX | BVC_MEMSX | sz, wreg(g), base, off, 0);
		break;
	case 2: /* store of an immediate */
		pick_addr(g, n, chance(g, 50), &base, &off);
		put(g, BVC_ST | BVC_MEM | sz, base, 0, off, pick_imm(g));
		break;
	default: /* store of a register */
		pick_addr(g, n, chance(g, 50), &base, &off);
		put(g, BVC_STX | BVC_MEM | sz, base, rreg(g), off, 0);
		break;
	}
}

static void group_atomic(struct gen *g)
{
	static const int32_t ops[] = {
		BVC_ADD, BVC_OR, BVC_AND, BVC_XOR,
		BVC_ADD | BVC_FETCH, BVC_OR | BVC_FETCH, BVC_AND | BVC_FETCH, BVC_XOR | BVC_FETCH,
		BVC_XCHG, BVC_CMPXCHG,
	};
	uint8_t sz = chance(g, 50) ? BVC_DW : BVC_W, base;
	int32_t op = ops[below(g, sizeof(ops) / sizeof(ops[0]))];
	int16_t off;
	uint8_t src = (op & BVC_FETCH) && op != BVC_CMPXCHG ? wreg(g) : rreg(g);

	pick_addr(g, bvc_size_bytes(sz), 1, &base, &off);
	if (op == BVC_CMPXCHG && chance(g, 50)) {
		/* make the compare succeed: r0 = the current value */
		put(g, BVC_LDX | BVC_MEM | sz, 0, base, off, 0);
	}
	put(g, BVC_STX | BVC_ATOMIC | sz, base, src, off, op);
}

static void group_jump(struct gen *g)
{
	static const uint8_t conds[] = { BVC_JEQ, BVC_JNE, BVC_JGT, BVC_JGE, BVC_JLT, BVC_JLE,
					 BVC_JSGT, BVC_JSGE, BVC_JSLT, BVC_JSLE, BVC_JSET };
	uint8_t cls = chance(g, 50) ? BVC_JMP : BVC_JMP32;
	uint8_t op = conds[below(g, sizeof(conds))];
	uint8_t dst = rreg(g), src = chance(g, 15) ? dst : rreg(g);
	int32_t imm = chance(g, 50) ? (int32_t)below(g, 8) - 2 : pick_imm(g);

	switch (below(g, 20)) {
	case 0: /* ja */
		put(g, BVC_JMP | BVC_JA, 0, 0, 0, 0);
		put_fix(g, FIX_JUMP_OFF, 0);
		return;
	case 1: /* gotol */
		put(g, BVC_JMP32 | BVC_JA, 0, 0, 0, 0);
		put_fix(g, FIX_JUMP_IMM, 0);
		return;
	case 2: /* may_goto: falls through until the run's budget is spent */
		put(g, BVC_JMP | BVC_JCOND, 0, 0, 0, 0);
		put_fix(g, FIX_JUMP_OFF, 0);
		return;
	}
	if (chance(g, 50))
		put(g, cls | op | BVC_X, dst, src, 0, 0);
	else
		put(g, cls | op | BVC_K, dst, 0, 0, imm);
	put_fix(g, FIX_JUMP_OFF, 0);
}

static void group_helper(struct gen *g)
{
	static const int32_t ids[] = { 1, 7, 130 };

	put(g, BVC_JMP | BVC_CALL, 0, 0, 0, ids[below(g, 3)]);
	redefine_args(g);
}

static void group_call(struct gen *g)
{
	unsigned int f = g->func + 1 + below(g, g->nfuncs - g->func - 1);

	put(g, BVC_ALU64 | BVC_MOV | BVC_X, 1, 6, 0, 0); /* the buffer, as argument 1 */
	put(g, BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 0);
	put_fix(g, FIX_CALL, f);
	redefine_args(g);
}

static void group_ldabs(struct gen *g)
{
	static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W };
	uint8_t sz = sizes[below(g, 3)];
	int n = bvc_size_bytes(sz);
	int out = chance(g, 4); /* outside the packet: the program ends, r0 = 0 */
	int32_t imm = out ? (chance(g, 50) ? GEN_PKT_SIZE - n + 1 : -1 - (int32_t)below(g, 8))
			  : (int32_t)below(g, GEN_PKT_SIZE - n + 1);

	if (chance(g, 50)) {
		put(g, BVC_LD | BVC_ABS | sz, 0, 0, 0, imm);
	} else {
		uint8_t idx = rreg(g);
		int32_t base = (int32_t)below(g, 16);

		if (idx == 9 || idx == 0)
			idx = 1 + below(g, 5);
		if (chance(g, 40)) {
			/* only the low 32 bits of src + imm count, sign-extended */
			uint32_t lo = (uint32_t)base + 0x80000000u;

			mov_imm64(g, idx, (rnd(g) << 32) | lo);
			put(g, BVC_LD | BVC_IND | sz, 0, idx, 0, (int32_t)((uint32_t)imm - lo));
		} else {
			mov_imm(g, idx, base);
			put(g, BVC_LD | BVC_IND | sz, 0, idx, 0, imm - base);
		}
	}
	redefine_args(g);
}

static void group(struct gen *g, int allow_loop);

/* mov r9, N; body (its own region); r9 -= 1; if r9 s> 0 goto body. */
static void group_loop(struct gen *g)
{
	int ngroups = 1 + (int)below(g, 6), k, outer = g->region;
	size_t body;

	put(g, BVC_ALU64 | BVC_MOV | BVC_K, 9, 0, 0, 1 + (int32_t)below(g, 4));
	g->region = ++g->loops;
	begin_group(g);
	body = g->cnt;
	for (k = 0; k < ngroups && g->ngroups < MAX_GROUPS; k++) {
		if (k)
			begin_group(g);
		group(g, 0);
	}
	begin_group(g);
	put(g, BVC_ALU64 | BVC_ADD | BVC_K, 9, 0, 0, -1);
	put(g, BVC_JMP | BVC_JSGT | BVC_K, 9, 0, (int16_t)((int64_t)body - (int64_t)g->cnt - 1), 0);
	g->region = outer;
}

/* One group's instructions (its start is already recorded). */
static void group(struct gen *g, int allow_loop)
{
	unsigned int w = below(g, 100);

	if (w < 38)
		group_alu(g);
	else if (w < 40)
		mov_imm64(g, wreg(g), pick_imm64(g));
	else if (w < 60)
		group_mem(g);
	else if (w < 66)
		group_atomic(g);
	else if (w < 82)
		group_jump(g);
	else if (w < 86)
		group_helper(g);
	else if (w < 90 && g->func + 1 < g->nfuncs)
		group_call(g);
	else if (w < 93)
		group_ldabs(g);
	else if (w < 96 && allow_loop && g->ngroups + 8 < MAX_GROUPS)
		group_loop(g);
	else
		group_alu(g);
}

/* Write zeros over the stack the program uses: the interpreter's stack
 * starts zeroed, the JIT's does not. */
static void zero_stack(struct gen *g)
{
	int o;

	for (o = 8; o <= NEAR_STACK; o += 8)
		put(g, BVC_ST | BVC_MEM | BVC_DW, 10, 0, (int16_t)-o, 0);
	for (o = FAR_STACK; o > FAR_STACK - 16; o -= 8)
		put(g, BVC_ST | BVC_MEM | BVC_DW, 10, 0, (int16_t)-o, 0);
}

/* The target group of jump fix-up @f: a later group in the same region,
 * or at the top level; the last group (top level) always qualifies. */
static size_t pick_target(struct gen *g, const struct fix *f)
{
	size_t cand[16], n = 0, h, span = 1 + below(g, 12);

	for (h = f->group + 1; h < g->ngroups && h <= f->group + span && n < 16; h++)
		if (g->gregion[h] == 0 || g->gregion[h] == f->region)
			cand[n++] = h;
	return n ? cand[below(g, (uint32_t)n)] : g->ngroups - 1;
}

static void function(struct gen *g, unsigned int func)
{
	size_t k, target, nfix0 = g->nfix;
	int ngroups = 4 + (int)below(g, 40), i, o;
	uint8_t r;

	g->func = func;
	g->fstart[func] = g->cnt;
	g->ngroups = 0;
	g->region = 0;
	g->loops = 0;

	/* set-up: pointers, zeroed stack, every scalar written */
	begin_group(g);
	put(g, BVC_ALU64 | BVC_MOV | BVC_X, 6, 1, 0, 0);
	put(g, BVC_ALU64 | BVC_MOV | BVC_X, 8, 1, 0, 0);
	put(g, BVC_ALU64 | BVC_ADD | BVC_K, 8, 0, 0, MID);
	zero_stack(g);
	for (i = 0; i < (int)sizeof(scalars_w); i++) {
		r = scalars_w[i];
		if (func && r >= 2 && r <= 5 && chance(g, 70))
			continue; /* keep the caller's arguments */
		if (chance(g, 20))
			mov_imm64(g, r, pick_imm64(g));
		else
			mov_imm(g, r, pick_imm(g));
	}
	put(g, BVC_ALU64 | BVC_MOV | BVC_K, 9, 0, 0, pick_imm(g));

	for (i = 0; i < ngroups && g->ngroups < MAX_GROUPS; i++) {
		begin_group(g);
		group(g, 1);
	}

	/* fold everything into r0; main dumps its stack to the buffer */
	begin_group(g);
	for (i = 0; i < (int)sizeof(scalars_r); i++)
		if (scalars_r[i])
			put(g, BVC_ALU64 | BVC_XOR | BVC_X, 0, scalars_r[i], 0, 0);
	for (o = 8; o <= NEAR_STACK + 16; o += 8) {
		int16_t so = (int16_t)(o <= NEAR_STACK ? -o : -FAR_STACK + (o - NEAR_STACK - 8));

		put(g, BVC_LDX | BVC_MEM | BVC_DW, 1, 10, so, 0);
		if (func == 0)
			put(g, BVC_STX | BVC_MEM | BVC_DW, 6, 1, (int16_t)(DUMP + o - 8), 0);
		else
			put(g, BVC_ALU64 | BVC_ADD | BVC_X, 0, 1, 0, 0);
	}
	put(g, BVC_JMP | BVC_EXIT, 0, 0, 0, 0);

	/* resolve this function's jumps */
	for (k = nfix0; k < g->nfix; k++) {
		struct fix *f = &g->fixes[k];
		int64_t d;

		if (f->kind == FIX_CALL)
			continue;
		target = pick_target(g, f);
		d = (int64_t)g->gstart[target] - (int64_t)f->insn - 1;
		if (f->kind == FIX_JUMP_IMM)
			g->insns[f->insn].imm = (int32_t)d;
		else
			g->insns[f->insn].off = (int16_t)d;
	}
}

int gen_program(uint64_t seed, struct gen_prog *out)
{
	struct gen g;
	unsigned int f;
	size_t k;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.rng = seed * UINT64_C(0x9e3779b97f4a7c15) + 0x1234567;
	if (!g.rng)
		g.rng = 1;
	g.nfuncs = 1 + below(&g, MAX_FUNCS);
	for (f = 0; f < g.nfuncs; f++)
		function(&g, f);
	for (k = 0; k < g.nfix; k++) {
		const struct fix *x = &g.fixes[k];

		if (x->kind == FIX_CALL)
			g.insns[x->insn].imm = (int32_t)((int64_t)g.fstart[x->func] - (int64_t)x->insn - 1);
	}
	free(g.fixes);
	if (g.oom) {
		free(g.insns);
		return -ENOMEM;
	}
	for (k = 0; k < GEN_MEM_SIZE; k++)
		out->mem[k] = (uint8_t)rnd(&g);
	for (k = 0; k < GEN_PKT_SIZE; k++)
		out->packet[k] = (uint8_t)rnd(&g);
	out->insns = g.insns;
	out->cnt = g.cnt;
	out->funcs = g.nfuncs;
	return 0;
}

void gen_release(struct gen_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->cnt = 0;
}

/* Helpers that mix all five arguments, so a misplaced one shows. */
static uint64_t helper_mix(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5)
{
	return r1 * 31 + (r2 ^ (r3 << 7)) - r4 * 3 + (r5 >> 3);
}

static uint64_t helper_rot(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5)
{
	return ((r1 << 13) | (r1 >> 51)) ^ r5;
}

static uint64_t helper_const(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			     uint64_t r5)
{
	return UINT64_C(0xfedcba9876543210) + r3;
}

bvc_helper_fn gen_helper(void *ctx, int32_t id)
{
	switch (id) {
	case 1: return helper_mix;
	case 7: return helper_rot;
	case 130: return helper_const;
	}
	return NULL;
}
