// SPDX-License-Identifier: MIT
/*
 * Random but plausible programs (issue #3, tier 4b), labelled by the live
 * kernel: the shapes real programs have (ALU on unknown values, branches,
 * spills and fills, map lookups with and without the NULL check, packet
 * bounds checks, bounded loops, helper and bpf-to-bpf calls, atomics), with
 * the mistakes real programs make (a missing check, an offset one past the
 * end, a register a call clobbered, a loop that does not end) mixed in at a
 * low rate, so the kernel accepts some and rejects others.
 *
 * The generator keeps a rough, path-insensitive idea of what each register
 * holds, only to pick plausible operands; the kernel decides what is right.
 * A seed always gives the same program (our own PRNG, no libc rand()).
 *
 * Must not: depend on the kernel; print.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

/* What a register holds, as far as the generator knows. */
enum kind {
	K_NONE = 0, /* never written, or clobbered by a call */
	K_SCALAR,
	K_CTX,
	K_FP,
	K_PKT,
	K_PKT_END,
	K_MAP_VALUE,
	K_MIXED, /* differs between paths that met */
};

/* Helper ids (kernel enum bpf_func_id). */
#define H_MAP_LOOKUP 1
#define H_MAP_UPDATE 2
#define H_MAP_DELETE 3
#define H_KTIME 5
#define H_PRANDOM 7
#define H_SMP_ID 8

/* Map 0: array, 4-byte key, 64-byte value, 8 entries. Map 1: hash, 8-byte
 * key, 16-byte value, 16 entries. */
const struct bvc_map cp_gen_maps[CP_GEN_MAPS] = {
	{ .name = "gen_array", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 64,
	  .max_entries = 8, .origin = BVC_MAP_USER },
	{ .name = "gen_hash", .type = BVC_MAP_HASH, .key_size = 8, .value_size = 16,
	  .max_entries = 16, .origin = BVC_MAP_USER },
};

/* Subprogram shapes. */
enum sub_kind {
	SUB_ADD = 0,   /* r0 = (r1 + r2) & mask */
	SUB_DEREF,     /* r0 = *(u64 *)(r1 + 0): the caller passes fp-8 */
	SUB_STACK,     /* uses its own frame */
	SUB_USES_R3,   /* reads r3, which callers rarely set: a mistake */
	SUB_KINDS,
};

#define MAX_INSNS 4096
#define MAX_CALLS 64

struct gen {
	uint64_t s;               /* PRNG state */
	struct bvc_insn *ins;
	size_t n, cap;
	int type;                 /* prog type */
	int kind[BVC_MAX_REG];
	int depth;                /* nesting of branches and loops */
	int in_loop;              /* no calls or lookups inside loops */
	int sub_kind[2];          /* the program's two subprograms */
	size_t call_at[MAX_CALLS];
	int call_to[MAX_CALLS];
	size_t call_cnt;
	unsigned features;        /* bit per snippet kind, for the shape */
	int oom;
};

enum feat { F_ALU, F_BRANCH, F_SPILL, F_MAP, F_MAPNULL, F_PKT, F_LOOP, F_HELPER, F_CALL,
	    F_ATOMIC, F_CTX, F_MISTAKE, F_CNT };
static const char *const feat_names[F_CNT] = { "alu",  "branch", "spill",  "map",  "map-no-null",
					      "pkt",  "loop",   "helper", "call", "atomic",
					      "ctx",  "mistake" };

/* splitmix64 */
static uint64_t next(struct gen *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rnd(struct gen *g, unsigned n)
{
	return n ? (unsigned)(next(g) % n) : 0;
}

static int chance(struct gen *g, unsigned pct)
{
	return rnd(g, 100) < pct;
}

static size_t emit(struct gen *g, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 128;
		struct bvc_insn *p = realloc(g->ins, cap * sizeof(*p));

		if (!p) {
			g->oom = 1;
			return g->n ? g->n - 1 : 0;
		}
		g->ins = p;
		g->cap = cap;
	}
	g->ins[g->n] = (struct bvc_insn){ .code = code, .dst = (uint8_t)dst, .src = (uint8_t)src,
					  .off = off, .imm = imm };
	return g->n++;
}

static void mov_imm(struct gen *g, int dst, int32_t imm)
{
	emit(g, BVC_ALU64 | BVC_MOV | BVC_K, dst, 0, 0, imm);
	g->kind[dst] = K_SCALAR;
}

static void mov_reg(struct gen *g, int dst, int src)
{
	emit(g, BVC_ALU64 | BVC_MOV | BVC_X, dst, src, 0, 0);
	g->kind[dst] = g->kind[src];
}

static void ld_map(struct gen *g, int dst, int map)
{
	emit(g, BVC_LD | BVC_IMM | BVC_DW, dst, BVC_PSEUDO_MAP_IDX, 0, map);
	emit(g, 0, 0, 0, 0, 0);
	g->kind[dst] = K_MIXED; /* a map pointer: not for ALU */
}

static void call_helper(struct gen *g, int id)
{
	int r;

	emit(g, BVC_JMP | BVC_CALL, 0, 0, 0, id);
	for (r = 1; r <= 5; r++)
		g->kind[r] = K_NONE;
	g->kind[0] = K_SCALAR;
}

/* A register holding a scalar, making one if there is none. Callee-saved
 * registers first: they survive calls. */
static int pick_scalar(struct gen *g)
{
	int cand[BVC_MAX_REG], n = 0, r;

	for (r = 0; r <= 9; r++)
		if (g->kind[r] == K_SCALAR && (r >= 6 || chance(g, 30)))
			cand[n++] = r;
	if (n)
		return cand[rnd(g, (unsigned)n)];
	r = 7 + (int)rnd(g, 3);
	mov_imm(g, r, (int32_t)rnd(g, 1000));
	return r;
}

/* A register to write: r7..r9 mostly, r0 and r4/r5 sometimes. */
static int pick_dst(struct gen *g)
{
	static const int regs[] = { 7, 8, 9, 7, 8, 9, 0, 4, 5 };

	return regs[rnd(g, sizeof(regs) / sizeof(regs[0]))];
}

/* Rarely, on purpose, the wrong register: one never written or clobbered. */
static int maybe_wrong(struct gen *g, int r)
{
	int w;

	if (!chance(g, 2))
		return r;
	for (w = 1; w <= 9; w++)
		if (g->kind[w] == K_NONE || g->kind[w] == K_MIXED) {
			g->features |= 1u << F_MISTAKE;
			return w;
		}
	return r;
}

static void snip_alu(struct gen *g)
{
	static const uint8_t ops[] = { BVC_ADD, BVC_SUB, BVC_MUL, BVC_DIV, BVC_OR,  BVC_AND,
				       BVC_LSH, BVC_RSH, BVC_NEG, BVC_MOD, BVC_XOR, BVC_MOV,
				       BVC_ARSH, BVC_END, BVC_ADD, BVC_AND, BVC_ADD, BVC_RSH };
	int is64 = chance(g, 70);
	uint8_t op = ops[rnd(g, sizeof(ops) / sizeof(ops[0]))];
	uint8_t cls = is64 ? BVC_ALU64 : BVC_ALU;
	int dst, src;
	int16_t off = 0;

	g->features |= 1u << F_ALU;
	dst = pick_scalar(g);
	if (chance(g, 30)) {
		int d2 = pick_dst(g);

		/* start from a copy, so values spread */
		mov_reg(g, d2, dst);
		dst = d2;
	}
	dst = maybe_wrong(g, dst);
	if (op == BVC_NEG) {
		emit(g, cls | op | BVC_K, dst, 0, 0, 0);
		return;
	}
	if (op == BVC_END) {
		static const int widths[] = { 16, 32, 64 };
		int w = widths[rnd(g, 3)];

		if (chance(g, 50))
			emit(g, BVC_ALU64 | BVC_END | BVC_TO_LE, dst, 0, 0, w); /* bswap (v4) */
		else
			emit(g, BVC_ALU | BVC_END | (chance(g, 50) ? BVC_TO_BE : BVC_TO_LE), dst,
			     0, 0, w);
		return;
	}
	if ((op == BVC_DIV || op == BVC_MOD) && chance(g, 25))
		off = 1; /* signed (v4) */
	if (op == BVC_MOV && chance(g, 30)) {
		static const int16_t sx[] = { 8, 16, 32 };

		off = sx[rnd(g, is64 ? 3 : 2)]; /* movsx (v4) */
		src = pick_scalar(g);
		emit(g, cls | BVC_MOV | BVC_X, dst, src, off, 0);
		g->kind[dst] = K_SCALAR;
		return;
	}
	if (chance(g, 55)) {
		int32_t imm;

		if (op == BVC_LSH || op == BVC_RSH || op == BVC_ARSH)
			imm = (int32_t)rnd(g, chance(g, 2) ? 80 : (is64 ? 64 : 32));
		else if (op == BVC_DIV || op == BVC_MOD)
			imm = 1 + (int32_t)rnd(g, 100);
		else if (chance(g, 20))
			imm = (int32_t)(uint32_t)next(g);
		else
			imm = (int32_t)rnd(g, 512) - 64;
		emit(g, cls | op | BVC_K, dst, 0, off, imm);
	} else {
		src = maybe_wrong(g, pick_scalar(g));
		emit(g, cls | op | BVC_X, dst, src, off, 0);
	}
	g->kind[dst] = K_SCALAR;
}

static void block(struct gen *g, int snippets);

/* Registers and what they held before a branch's body; what differs after
 * is "mixed" (unless both are scalars). */
static void merge(struct gen *g, const int before[BVC_MAX_REG])
{
	int r;

	for (r = 0; r < BVC_MAX_REG; r++)
		if (g->kind[r] != before[r])
			g->kind[r] = K_MIXED;
}

static uint8_t rand_jop(struct gen *g)
{
	static const uint8_t jops[] = { BVC_JEQ, BVC_JGT, BVC_JGE, BVC_JSET, BVC_JNE,
					BVC_JSGT, BVC_JSGE, BVC_JLT, BVC_JLE, BVC_JSLT, BVC_JSLE };

	return jops[rnd(g, sizeof(jops) / sizeof(jops[0]))];
}

static void snip_branch(struct gen *g)
{
	int before[BVC_MAX_REG];
	uint8_t cls = chance(g, 25) ? BVC_JMP32 : BVC_JMP;
	int a = maybe_wrong(g, pick_scalar(g));
	size_t at, els = 0;
	int has_else = chance(g, 35);

	g->features |= 1u << F_BRANCH;
	if (chance(g, 60))
		at = emit(g, cls | rand_jop(g) | BVC_K, a, 0, 0, (int32_t)rnd(g, 256));
	else
		at = emit(g, cls | rand_jop(g) | BVC_X, a, pick_scalar(g), 0, 0);
	memcpy(before, g->kind, sizeof(before));
	g->depth++;
	block(g, 1 + (int)rnd(g, 3));
	if (has_else)
		els = emit(g, BVC_JMP | BVC_JA, 0, 0, 0, 0);
	g->ins[at].off = (int16_t)(g->n - at - 1);
	if (has_else) {
		int then_kind[BVC_MAX_REG];

		memcpy(then_kind, g->kind, sizeof(then_kind));
		memcpy(g->kind, before, sizeof(before));
		block(g, 1 + (int)rnd(g, 2));
		g->ins[els].off = (int16_t)(g->n - els - 1);
		merge(g, then_kind);
	}
	g->depth--;
	merge(g, before);
}

/* Spill a register to the stack and fill it back, maybe into another one,
 * maybe with a narrower or misplaced load. */
static void snip_spill(struct gen *g)
{
	static const uint8_t sizes[] = { BVC_DW, BVC_DW, BVC_DW, BVC_W, BVC_H, BVC_B };
	int slot = 1 + (int)rnd(g, 6); /* fp-8 .. fp-48; fp-64.. is the lookup key */
	int src, dst = pick_dst(g);
	uint8_t sz = sizes[rnd(g, sizeof(sizes) / sizeof(sizes[0]))];
	int16_t off = (int16_t)(-8 * slot);

	g->features |= 1u << F_SPILL;
	if (chance(g, 25))
		src = 6; /* the ctx pointer */
	else
		src = pick_scalar(g);
	if (chance(g, 15)) {
		emit(g, BVC_ST | BVC_MEM | sz, 10, 0, off, (int32_t)rnd(g, 1000));
		g->kind[dst] = K_SCALAR;
	} else {
		emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, src, off, 0);
	}
	if (chance(g, 40))
		snip_alu(g);
	if (chance(g, 5)) {
		off = (int16_t)(off + 1 + (int)rnd(g, 6)); /* misaligned or partial */
		g->features |= 1u << F_MISTAKE;
	} else if (g->kind[src] != K_SCALAR && sz != BVC_DW) {
		/* a pointer comes back whole, except by mistake */
		if (chance(g, 85))
			sz = BVC_DW;
		else
			g->features |= 1u << F_MISTAKE;
	}
	emit(g, BVC_LDX | BVC_MEM | sz, dst, 10, off, 0);
	g->kind[dst] = (sz == BVC_DW && g->kind[src] == K_CTX) ? K_CTX : K_SCALAR;
	if (g->kind[dst] == K_CTX && chance(g, 50)) {
		/* use the filled ctx pointer */
		emit(g, BVC_LDX | BVC_MEM | BVC_W, dst, dst, 0, 0);
		g->kind[dst] = K_SCALAR;
	}
}

/* Context field offsets that exist (u32 reads), per program type. */
static int16_t ctx_field(struct gen *g)
{
	static const int16_t xdp[] = { 12, 16 };             /* ifindex, rx_queue */
	static const int16_t skb[] = { 0, 4, 8, 16, 20, 24 }; /* len, pkt_type, mark, ... */

	if (chance(g, 5)) {
		g->features |= 1u << F_MISTAKE;
		return (int16_t)(4 * (int)rnd(g, 64) + (int)rnd(g, 2));
	}
	if (g->type == 6)
		return xdp[rnd(g, 2)];
	return skb[rnd(g, sizeof(skb) / sizeof(skb[0]))];
}

static void snip_ctx(struct gen *g)
{
	int dst = pick_dst(g);

	g->features |= 1u << F_CTX;
	emit(g, BVC_LDX | BVC_MEM | BVC_W, dst, maybe_wrong(g, 6), ctx_field(g), 0);
	g->kind[dst] = K_SCALAR;
}

static void call_local(struct gen *g, int which)
{
	size_t at = emit(g, BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, 0);
	int r;

	if (g->call_cnt < MAX_CALLS) {
		g->call_at[g->call_cnt] = at;
		g->call_to[g->call_cnt++] = which;
	}
	for (r = 1; r <= 5; r++)
		g->kind[r] = K_NONE;
	g->kind[0] = K_SCALAR;
}

static void snip_call(struct gen *g)
{
	int which = (int)rnd(g, 2), r;

	if (chance(g, 50)) {
		static const int ids[] = { H_KTIME, H_PRANDOM, H_SMP_ID };

		g->features |= 1u << F_HELPER;
		call_helper(g, ids[rnd(g, 3)]);
	} else {
		g->features |= 1u << F_CALL;
		switch (g->sub_kind[which]) {
		case SUB_DEREF:
			r = pick_scalar(g);
			emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, r, -8, 0);
			if (chance(g, 90)) {
				mov_reg(g, 1, 10);
				emit(g, BVC_ALU64 | BVC_ADD | BVC_K, 1, 0, 0, -8);
				g->kind[1] = K_FP;
			} else {
				mov_reg(g, 1, pick_scalar(g)); /* a scalar as a pointer */
				g->features |= 1u << F_MISTAKE;
			}
			break;
		case SUB_USES_R3:
			if (chance(g, 60))
				mov_reg(g, 3, pick_scalar(g));
			/* fall through */
		default:
			mov_reg(g, 1, pick_scalar(g));
			mov_imm(g, 2, (int32_t)rnd(g, 64));
			break;
		}
		call_local(g, which);
	}
	if (chance(g, 70)) {
		int d = pick_dst(g);

		mov_reg(g, d == 0 ? 7 : d, 0);
	}
}

/* Accesses to a map value in @base (K_MAP_VALUE), value of @vsize bytes. */
static void map_value_uses(struct gen *g, int base, int vsize)
{
	static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W, BVC_DW };
	int n = 1 + (int)rnd(g, 3), i;

	for (i = 0; i < n; i++) {
		uint8_t sz = sizes[rnd(g, 4)];
		int bytes = bvc_size_bytes(sz);
		int16_t off = (int16_t)(rnd(g, (unsigned)(vsize / bytes)) * (unsigned)bytes);
		int v = pick_scalar(g);

		if (chance(g, 4)) {
			off = (int16_t)(vsize - bytes + 1 + (int)rnd(g, 8)); /* past the end */
			g->features |= 1u << F_MISTAKE;
		}
		switch (rnd(g, 4)) {
		case 0: { /* variable offset, bounded by a mask */
			int mask = vsize - 8;

			if (chance(g, 10)) {
				mask = vsize * 2 - 1; /* too wide */
				g->features |= 1u << F_MISTAKE;
			}
			mov_reg(g, 2, v);
			emit(g, BVC_ALU64 | BVC_AND | BVC_K, 2, 0, 0, mask & ~7);
			emit(g, BVC_ALU64 | BVC_ADD | BVC_X, 2, base, 0, 0);
			emit(g, BVC_LDX | BVC_MEM | BVC_DW, 3, 2, 0, 0);
			g->kind[2] = K_MIXED;
			g->kind[3] = K_SCALAR;
			break;
		}
		case 1:
			emit(g, BVC_STX | BVC_MEM | sz, base, v, off, 0);
			break;
		case 2:
			if (sz == BVC_DW || sz == BVC_W) {
				g->features |= 1u << F_ATOMIC;
				emit(g, BVC_STX | BVC_ATOMIC | sz, base, v, (int16_t)(off & ~(bytes - 1)),
				     chance(g, 50) ? BVC_ADD : (BVC_ADD | BVC_FETCH));
				break;
			}
			/* fall through */
		default: {
			int d = pick_dst(g);

			if (d == base)
				d = 3;
			emit(g, BVC_LDX | BVC_MEM | sz, d, base, off, 0);
			g->kind[d] = K_SCALAR;
			break;
		}
		}
	}
}

static void snip_map(struct gen *g)
{
	int map = (int)rnd(g, 2);
	const struct bvc_map *m = &cp_gen_maps[map];
	int before[BVC_MAX_REG];
	int check = chance(g, 88);
	size_t at = 0;

	g->features |= 1u << F_MAP;
	/* the key at fp-64 */
	if (m->key_size == 4)
		emit(g, BVC_ST | BVC_MEM | BVC_W, 10, 0, -64, (int32_t)rnd(g, 10));
	else
		emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, pick_scalar(g), -64, 0);

	if (map == 1 && chance(g, 25)) {
		/* update: the value at fp-96 (16 bytes) */
		emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, pick_scalar(g), -96, 0);
		if (chance(g, 90))
			emit(g, BVC_ST | BVC_MEM | BVC_DW, 10, 0, -88, 0);
		ld_map(g, 1, map);
		mov_reg(g, 2, 10);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_K, 2, 0, 0, -64);
		mov_reg(g, 3, 10);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_K, 3, 0, 0, -96);
		mov_imm(g, 4, 0);
		call_helper(g, chance(g, 80) ? H_MAP_UPDATE : H_MAP_DELETE);
		return;
	}
	ld_map(g, 1, map);
	mov_reg(g, 2, 10);
	emit(g, BVC_ALU64 | BVC_ADD | BVC_K, 2, 0, 0, -64);
	call_helper(g, H_MAP_LOOKUP);
	g->kind[0] = K_MAP_VALUE;
	if (check)
		at = emit(g, BVC_JMP | BVC_JEQ | BVC_K, 0, 0, 0, 0);
	else
		g->features |= 1u << F_MAPNULL;
	memcpy(before, g->kind, sizeof(before));
	before[0] = K_MIXED;
	map_value_uses(g, 0, (int)m->value_size);
	if (chance(g, 30)) {
		mov_reg(g, 8, 0);
		map_value_uses(g, 8, (int)m->value_size);
	}
	if (check)
		g->ins[at].off = (int16_t)(g->n - at - 1);
	merge(g, before);
}

/* Direct packet access behind a bounds check (xdp, sched_cls). */
static void snip_pkt(struct gen *g)
{
	int16_t data = g->type == 6 ? 0 : 76, end = g->type == 6 ? 4 : 80;
	int before[BVC_MAX_REG];
	int len = 1 + (int)rnd(g, 64), n, i;
	size_t at;

	g->features |= 1u << F_PKT;
	emit(g, BVC_LDX | BVC_MEM | BVC_W, 2, 6, data, 0);
	emit(g, BVC_LDX | BVC_MEM | BVC_W, 3, 6, end, 0);
	mov_reg(g, 4, 2);
	g->kind[2] = g->kind[4] = K_PKT;
	g->kind[3] = K_PKT_END;
	emit(g, BVC_ALU64 | BVC_ADD | BVC_K, 4, 0, 0, len);
	if (chance(g, 4)) {
		at = emit(g, BVC_JMP | BVC_JLT | BVC_X, 4, 3, 0, 0); /* the wrong way round */
		g->features |= 1u << F_MISTAKE;
	} else {
		at = emit(g, BVC_JMP | BVC_JGT | BVC_X, 4, 3, 0, 0);
	}
	memcpy(before, g->kind, sizeof(before));
	n = 1 + (int)rnd(g, 3);
	for (i = 0; i < n; i++) {
		static const uint8_t sizes[] = { BVC_B, BVC_H, BVC_W, BVC_DW };
		uint8_t sz = sizes[rnd(g, 4)];
		int bytes = bvc_size_bytes(sz);
		int16_t off;
		int d = 5;

		if (bytes > len)
			sz = BVC_B, bytes = 1;
		off = (int16_t)rnd(g, (unsigned)(len - bytes + 1));
		if (chance(g, 3)) {
			off = (int16_t)(len - bytes + 1); /* one past */
			g->features |= 1u << F_MISTAKE;
		}
		if (chance(g, 25)) {
			emit(g, BVC_STX | BVC_MEM | sz, 2, pick_scalar(g), off, 0);
		} else {
			emit(g, BVC_LDX | BVC_MEM | sz, d, 2, off, 0);
			g->kind[d] = K_SCALAR;
			if (chance(g, 50)) {
				int acc = pick_dst(g);

				if (g->kind[acc] != K_SCALAR)
					mov_imm(g, acc, 0);
				emit(g, BVC_ALU64 | BVC_ADD | BVC_X, acc, d, 0, 0);
			}
		}
	}
	if (chance(g, 5)) {
		/* a variable offset, then an access without a new check */
		emit(g, BVC_ALU64 | BVC_AND | BVC_K, 5, 0, 0, 7);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_X, 2, 5, 0, 0);
		emit(g, BVC_LDX | BVC_MEM | BVC_B, 5, 2, 0, 0);
		g->features |= 1u << F_MISTAKE;
	}
	g->ins[at].off = (int16_t)(g->n - at - 1);
	merge(g, before);
}

/* A counted loop: ctr = 0; body; ctr += 1; if ctr < N goto body. */
static void snip_loop(struct gen *g)
{
	int ctr = 9, step = 1, bound = 2 + (int)rnd(g, 30);
	int before[BVC_MAX_REG];
	size_t top, at;
	int i, n;

	g->features |= 1u << F_LOOP;
	if (g->kind[9] == K_SCALAR && g->kind[8] != K_SCALAR)
		ctr = 8;
	mov_imm(g, ctr, 0);
	memcpy(before, g->kind, sizeof(before));
	top = g->n;
	g->in_loop++;
	n = 1 + (int)rnd(g, 3);
	for (i = 0; i < n; i++) {
		int d = ctr == 9 ? 7 : 9;

		if (g->kind[d] != K_SCALAR)
			mov_imm(g, d, (int32_t)rnd(g, 100));
		if (chance(g, 30))
			emit(g, BVC_ALU64 | BVC_ADD | BVC_X, d, ctr, 0, 0);
		else
			emit(g, BVC_ALU64 | BVC_XOR | BVC_K, d, 0, 0, (int32_t)rnd(g, 1 << 16));
		if (chance(g, 20))
			emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, d, -8, 0);
	}
	g->in_loop--;
	if (chance(g, 4)) {
		step = 2; /* and an odd bound with != below: never ends */
		bound |= 1;
		g->features |= 1u << F_MISTAKE;
	}
	emit(g, BVC_ALU64 | BVC_ADD | BVC_K, ctr, 0, 0, step);
	at = emit(g, BVC_JMP | (step == 2 ? BVC_JNE : BVC_JLT) | BVC_K, ctr, 0, 0, bound);
	g->ins[at].off = (int16_t)((long)top - (long)at - 1);
	merge(g, before);
	g->kind[ctr] = K_SCALAR;
}

static void snip_atomic_stack(struct gen *g)
{
	int v = pick_scalar(g);

	g->features |= 1u << F_ATOMIC;
	emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, v, -40, 0);
	switch (rnd(g, 3)) {
	case 0:
		emit(g, BVC_STX | BVC_ATOMIC | BVC_DW, 10, v, -40, BVC_ADD);
		break;
	case 1:
		emit(g, BVC_STX | BVC_ATOMIC | BVC_DW, 10, v, -40, BVC_XCHG);
		break;
	default:
		if (g->kind[0] != K_SCALAR)
			mov_imm(g, 0, 0);
		emit(g, BVC_STX | BVC_ATOMIC | BVC_DW, 10, v, -40, BVC_CMPXCHG);
		g->kind[0] = K_SCALAR;
		break;
	}
}

static void block(struct gen *g, int snippets)
{
	int i;

	for (i = 0; i < snippets && g->n < MAX_INSNS - 256; i++) {
		unsigned pick = rnd(g, 100);

		if (pick < 26) {
			snip_alu(g);
		} else if (pick < 40) {
			if (g->depth < 3)
				snip_branch(g);
			else
				snip_alu(g);
		} else if (pick < 50) {
			snip_spill(g);
		} else if (pick < 62) {
			if (!g->in_loop)
				snip_map(g);
		} else if (pick < 72) {
			if (g->type != 1 || chance(g, 10)) /* socket filters: a mistake */
				snip_pkt(g);
		} else if (pick < 79) {
			if (!g->in_loop && g->depth < 2)
				snip_loop(g);
		} else if (pick < 88) {
			snip_call(g);
		} else if (pick < 94) {
			snip_ctx(g);
		} else {
			snip_atomic_stack(g);
		}
	}
}

static void emit_sub(struct gen *g, int kind)
{
	switch (kind) {
	case SUB_DEREF:
		emit(g, BVC_LDX | BVC_MEM | BVC_DW, 0, 1, 0, 0);
		break;
	case SUB_STACK:
		emit(g, BVC_STX | BVC_MEM | BVC_DW, 10, 1, -16, 0);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_X, 1, 2, 0, 0);
		emit(g, BVC_LDX | BVC_MEM | BVC_DW, 0, 10, -16, 0);
		emit(g, BVC_ALU64 | BVC_XOR | BVC_X, 0, 1, 0, 0);
		break;
	case SUB_USES_R3:
		emit(g, BVC_ALU64 | BVC_MOV | BVC_X, 0, 1, 0, 0);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_X, 0, 3, 0, 0);
		break;
	default:
		emit(g, BVC_ALU64 | BVC_MOV | BVC_X, 0, 1, 0, 0);
		emit(g, BVC_ALU64 | BVC_ADD | BVC_X, 0, 2, 0, 0);
		emit(g, BVC_ALU64 | BVC_AND | BVC_K, 0, 0, 0, 0xff);
		break;
	}
	emit(g, BVC_JMP | BVC_EXIT, 0, 0, 0, 0);
}

int cp_gen_program(uint64_t seed, struct cp_gen_prog *out)
{
	static const int types[] = { 6, 6, 6, 6, 6, 3, 3, 3, 1 }; /* xdp, sched_cls, socket */
	struct gen g;
	size_t sub_at[2], i;
	unsigned f;
	int len;

	memset(&g, 0, sizeof(g));
	memset(out, 0, sizeof(*out));
	g.s = seed * 0x2545f4914f6cdd1dull + 1;
	g.type = types[rnd(&g, sizeof(types) / sizeof(types[0]))];
	g.sub_kind[0] = (int)rnd(&g, SUB_KINDS);
	g.sub_kind[1] = (int)rnd(&g, SUB_KINDS);
	if (g.sub_kind[1] == SUB_USES_R3 && chance(&g, 50))
		g.sub_kind[1] = SUB_ADD;

	/* prologue: keep ctx, make some unknowns */
	mov_reg(&g, 6, 1);
	g.kind[6] = K_CTX;
	g.kind[1] = K_CTX;
	g.kind[10] = K_FP;
	if (chance(&g, 60)) {
		call_helper(&g, H_PRANDOM);
		mov_reg(&g, 7, 0);
	} else {
		emit(&g, BVC_LDX | BVC_MEM | BVC_W, 7, 6, g.type == 6 ? 12 : 0, 0);
		g.kind[7] = K_SCALAR;
	}
	if (chance(&g, 50))
		mov_imm(&g, 8, (int32_t)rnd(&g, 100));
	else {
		emit(&g, BVC_LDX | BVC_MEM | BVC_W, 8, 6, g.type == 6 ? 16 : 8, 0);
		g.kind[8] = K_SCALAR;
	}

	block(&g, 3 + (int)rnd(&g, 10));

	/* epilogue: the return value */
	if (chance(&g, 3)) {
		g.features |= 1u << F_MISTAKE; /* r0 as it happens to be */
	} else if (chance(&g, 50)) {
		mov_imm(&g, 0, g.type == 6 ? 2 : 0);
	} else {
		mov_reg(&g, 0, pick_scalar(&g));
		emit(&g, BVC_ALU64 | BVC_AND | BVC_K, 0, 0, 0, g.type == 6 ? 3 : 1);
	}
	emit(&g, BVC_JMP | BVC_EXIT, 0, 0, 0, 0);

	/* the subprograms that are called (an unreachable one is refused),
	 * then the calls' offsets */
	for (i = 0; i < 2; i++) {
		size_t c;
		int used = 0;

		for (c = 0; c < g.call_cnt; c++)
			used |= g.call_to[c] == (int)i;
		sub_at[i] = g.n;
		if (used)
			emit_sub(&g, g.sub_kind[i]);
	}
	for (i = 0; i < g.call_cnt; i++)
		g.ins[g.call_at[i]].imm = (int32_t)(sub_at[g.call_to[i]] - g.call_at[i] - 1);

	if (g.oom) {
		free(g.ins);
		return -ENOMEM;
	}
	out->insns = g.ins;
	out->cnt = g.n;
	out->prog_type = g.type;
	len = snprintf(out->shape, sizeof(out->shape), "%s:",
		       g.type == 6 ? "xdp" : g.type == 3 ? "sched_cls" : "socket_filter");
	for (f = 0; f < F_CNT && len > 0 && (size_t)len < sizeof(out->shape); f++)
		if (g.features & (1u << f))
			len += snprintf(out->shape + len, sizeof(out->shape) - (size_t)len, " %s",
					feat_names[f]);
	return 0;
}

struct bvc_insn *cp_gen_for_kernel(const struct cp_gen_prog *gp, const int fds[CP_GEN_MAPS])
{
	struct bvc_insn *k = malloc(gp->cnt * sizeof(*k));
	size_t i;

	if (!k)
		return NULL;
	memcpy(k, gp->insns, gp->cnt * sizeof(*k));
	for (i = 0; i + 1 < gp->cnt; i++) {
		if (bvc_insn_is_ld_imm64(&k[i]) && k[i].src == BVC_PSEUDO_MAP_IDX &&
		    k[i].imm >= 0 && k[i].imm < CP_GEN_MAPS) {
			k[i].src = BVC_PSEUDO_MAP_FD;
			k[i].imm = fds[k[i].imm];
			i++;
		}
	}
	return k;
}
