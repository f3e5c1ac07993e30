// SPDX-License-Identifier: MIT
/*
 * tnum soundness, exhaustively on small masks: every tnum with 4 unknown-or-
 * known bits at several positions of the word (low bits, the 32-bit
 * boundary, the sign bit, all-ones backgrounds for negatives), every pair of
 * them, every pair of their members: the concrete result of each op must be
 * a member of the abstract result. Where the kernel's op is known to be
 * optimal (add, sub, and, or, xor, shifts, union) the result must also be
 * the smallest tnum holding all concrete results. The set predicates (in,
 * overlap, is_aligned) are checked for exactness. Then the log text.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/tnum.h"

#define NBITS 4
#define PER_FAM 81 /* 3^NBITS */
#define MAXM 16    /* 2^NBITS members at most */

/* Where the variable bits sit, and what the other bits hold. */
static const struct fam {
	unsigned int bits[NBITS];
	uint64_t base;
} fams[] = {
	{ { 0, 1, 2, 3 }, 0 },
	{ { 0, 1, 2, 3 }, ~0ull },                 /* small negatives */
	{ { 30, 31, 32, 33 }, 0 },                 /* around the subreg boundary */
	{ { 30, 31, 32, 33 }, 0xffffffff00000000ull },
	{ { 60, 61, 62, 63 }, 0 },                 /* around the sign bit */
	{ { 60, 61, 62, 63 }, 0xfull },
	{ { 0, 31, 32, 63 }, 0x5a5a5a5a5a5a5a5aull },
	{ { 1, 2, 8, 9 }, 0x1ull },
};
#define NFAM (sizeof(fams) / sizeof(fams[0]))
#define NPOOL (NFAM * PER_FAM)

struct ab {
	struct bvc_tnum t;
	uint64_t m[MAXM]; /* every member */
	int n;
};

static struct ab pool[NPOOL];
static unsigned long long checks;
static unsigned long long fails;

/* Every concrete member of t (at most 16 here). */
static int members(struct bvc_tnum t, uint64_t *out)
{
	uint64_t sub = 0;
	int n = 0;

	do {
		out[n++] = t.value | sub;
		sub = (sub - t.mask) & t.mask; /* next submask */
	} while (sub && n < MAXM);
	return n;
}

static void build_pool(void)
{
	size_t f, i, k;

	for (f = 0; f < NFAM; f++) {
		uint64_t pos = 0;

		for (k = 0; k < NBITS; k++)
			pos |= 1ull << fams[f].bits[k];
		for (i = 0; i < PER_FAM; i++) {
			struct ab *a = &pool[f * PER_FAM + i];
			unsigned int digits = (unsigned int)i;

			a->t.value = fams[f].base & ~pos;
			a->t.mask = 0;
			for (k = 0; k < NBITS; k++, digits /= 3) {
				uint64_t bit = 1ull << fams[f].bits[k];

				if (digits % 3 == 1)
					a->t.value |= bit;
				else if (digits % 3 == 2)
					a->t.mask |= bit;
			}
			a->n = members(a->t, a->m);
		}
	}
}

static void report(const char *what, struct bvc_tnum a, struct bvc_tnum b,
		   uint64_t x, uint64_t y, struct bvc_tnum r, uint64_t z)
{
	if (++fails > 10)
		return;
	fprintf(stderr,
		"%s: a=(%#" PRIx64 "; %#" PRIx64 ") b=(%#" PRIx64 "; %#" PRIx64 ") x=%#" PRIx64
		" y=%#" PRIx64 " -> r=(%#" PRIx64 "; %#" PRIx64 ") z=%#" PRIx64 "\n",
		what, a.value, a.mask, b.value, b.mask, x, y, r.value, r.mask, z);
}

/* z must be a member of the well-formed r. */
static void check_in(const char *what, struct bvc_tnum a, struct bvc_tnum b, uint64_t x,
		     uint64_t y, struct bvc_tnum r, uint64_t z)
{
	checks++;
	if (r.value & r.mask)
		report("ill-formed", a, b, x, y, r, z);
	else if (!bvc_tnum_contains(r, z))
		report(what, a, b, x, y, r, z);
}

/* r must equal the smallest tnum holding the concrete results (union of
 * bvc_tnum_const over them). */
static void check_optimal(const char *what, struct bvc_tnum a, struct bvc_tnum b,
			  struct bvc_tnum r, struct bvc_tnum best)
{
	if (r.value != best.value || r.mask != best.mask)
		report(what, a, b, 0, 0, r, best.mask);
}

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_OR, OP_XOR };

static struct bvc_tnum abs_op(enum binop op, struct bvc_tnum a, struct bvc_tnum b)
{
	switch (op) {
	case OP_ADD: return bvc_tnum_add(a, b);
	case OP_SUB: return bvc_tnum_sub(a, b);
	case OP_MUL: return bvc_tnum_mul(a, b);
	case OP_AND: return bvc_tnum_and(a, b);
	case OP_OR: return bvc_tnum_or(a, b);
	default: return bvc_tnum_xor(a, b);
	}
}

static uint64_t conc_op(enum binop op, uint64_t x, uint64_t y)
{
	switch (op) {
	case OP_ADD: return x + y;
	case OP_SUB: return x - y;
	case OP_MUL: return x * y;
	case OP_AND: return x & y;
	case OP_OR: return x | y;
	default: return x ^ y;
	}
}

static const char *const op_names[] = { "add", "sub", "mul", "and", "or", "xor" };

/* Every pair of pool tnums, every pair of members. */
static void exhaustive_binop(enum binop op, bool optimal)
{
	size_t i, j;
	int p, q;

	build_pool();
	for (i = 0; i < NPOOL; i++) {
		for (j = 0; j < NPOOL; j++) {
			const struct ab *a = &pool[i], *b = &pool[j];
			struct bvc_tnum r = abs_op(op, a->t, b->t);
			struct bvc_tnum best = { 0, 0 };
			bool first = true;

			for (p = 0; p < a->n; p++) {
				for (q = 0; q < b->n; q++) {
					uint64_t z = conc_op(op, a->m[p], b->m[q]);

					check_in(op_names[op], a->t, b->t, a->m[p], b->m[q], r, z);
					best = first ? bvc_tnum_const(z)
						     : bvc_tnum_union(best, bvc_tnum_const(z));
					first = false;
				}
			}
			if (optimal)
				check_optimal(op_names[op], a->t, b->t, r, best);
		}
	}
	fprintf(stderr, "tnum %s: %llu concrete checks over %zu pairs\n", op_names[op],
		checks, (size_t)NPOOL * NPOOL);
	cr_assert_eq(fails, 0, "%llu unsound or imprecise results", fails);
}

Test(tnum, exhaustive_add) { exhaustive_binop(OP_ADD, true); }
Test(tnum, exhaustive_sub) { exhaustive_binop(OP_SUB, true); }
Test(tnum, exhaustive_mul) { exhaustive_binop(OP_MUL, false); }
Test(tnum, exhaustive_and) { exhaustive_binop(OP_AND, true); }
Test(tnum, exhaustive_or) { exhaustive_binop(OP_OR, true); }
Test(tnum, exhaustive_xor) { exhaustive_binop(OP_XOR, true); }

/* Arithmetic shift on unsigned patterns. */
static uint64_t sar64(uint64_t x, unsigned int s)
{
	return s ? ((x >> 63) ? (x >> s) | ~(UINT64_MAX >> s) : x >> s) : x;
}

static uint32_t sar32(uint32_t x, unsigned int s)
{
	return s ? ((x >> 31) ? (x >> s) | ~(UINT32_MAX >> s) : x >> s) : x;
}

/* Shifts by every count, neg, cast, the subreg helpers. */
Test(tnum, exhaustive_unary)
{
	struct bvc_tnum none = { 0, 0 };
	size_t i;
	unsigned int s;
	int p;

	build_pool();
	for (i = 0; i < NPOOL; i++) {
		const struct ab *a = &pool[i];

		for (s = 0; s < 70; s++) {
			struct bvc_tnum l = bvc_tnum_lshift(a->t, s);
			struct bvc_tnum r = bvc_tnum_rshift(a->t, s);
			struct bvc_tnum r64 = bvc_tnum_arshift(a->t, s, 64);
			struct bvc_tnum r32 = bvc_tnum_arshift(a->t, s, 32);
			struct bvc_tnum bl = none, br = none, b64 = none, b32 = none;

			for (p = 0; p < a->n; p++) {
				uint64_t x = a->m[p];
				uint64_t zl = s < 64 ? x << s : 0, zr = s < 64 ? x >> s : 0;
				uint64_t z64 = sar64(x, s < 64 ? s : 63);
				uint64_t z32 = sar32((uint32_t)x, s < 32 ? s : 31);

				check_in("lshift", a->t, none, x, s, l, zl);
				check_in("rshift", a->t, none, x, s, r, zr);
				check_in("arshift64", a->t, none, x, s, r64, z64);
				check_in("arshift32", a->t, none, x, s, r32, z32);
				bl = p ? bvc_tnum_union(bl, bvc_tnum_const(zl)) : bvc_tnum_const(zl);
				br = p ? bvc_tnum_union(br, bvc_tnum_const(zr)) : bvc_tnum_const(zr);
				b64 = p ? bvc_tnum_union(b64, bvc_tnum_const(z64)) : bvc_tnum_const(z64);
				b32 = p ? bvc_tnum_union(b32, bvc_tnum_const(z32)) : bvc_tnum_const(z32);
			}
			check_optimal("lshift", a->t, none, l, bl);
			check_optimal("rshift", a->t, none, r, br);
			check_optimal("arshift64", a->t, none, r64, b64);
			check_optimal("arshift32", a->t, none, r32, b32);
		}
		for (p = 0; p < a->n; p++) {
			uint64_t x = a->m[p];
			unsigned int sz;

			check_in("neg", a->t, none, x, 0, bvc_tnum_neg(a->t), 0 - x);
			for (sz = 0; sz <= 8; sz++)
				check_in("cast", a->t, none, x, sz, bvc_tnum_cast(a->t, sz),
					 sz >= 8 ? x : x & ((1ull << (sz * 8)) - 1));
			check_in("subreg", a->t, none, x, 0, bvc_tnum_subreg(a->t), (uint32_t)x);
			check_in("clear_subreg", a->t, none, x, 0, bvc_tnum_clear_subreg(a->t),
				 x & ~0xffffffffull);
			check_in("const_subreg", a->t, none, x, 0,
				 bvc_tnum_const_subreg(a->t, 0x12345678u),
				 (x & ~0xffffffffull) | 0x12345678u);
		}
	}
	fprintf(stderr, "tnum unary: %llu concrete checks\n", checks);
	cr_assert_eq(fails, 0, "%llu unsound or imprecise results", fails);
}

static bool has(const struct ab *a, uint64_t x)
{
	int p;

	for (p = 0; p < a->n; p++)
		if (a->m[p] == x)
			return true;
	return false;
}

/* intersect, union, with_subreg sound; in, overlap, is_aligned exact. */
Test(tnum, exhaustive_set_ops)
{
	static const uint64_t sizes[] = { 0, 1, 2, 4, 8, 16 };
	size_t i, j, k;
	int p, q;

	build_pool();
	for (i = 0; i < NPOOL; i++) {
		const struct ab *a = &pool[i];

		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			bool all = true;

			for (p = 0; p < a->n; p++)
				if (sizes[k] && a->m[p] % sizes[k])
					all = false;
			checks++;
			if (bvc_tnum_is_aligned(a->t, sizes[k]) != all)
				report("is_aligned", a->t, a->t, sizes[k], 0, a->t, all);
		}
		for (j = 0; j < NPOOL; j++) {
			const struct ab *b = &pool[j];
			struct bvc_tnum in = bvc_tnum_intersect(a->t, b->t);
			struct bvc_tnum un = bvc_tnum_union(a->t, b->t);
			struct bvc_tnum ws = bvc_tnum_with_subreg(a->t, b->t);
			bool sub = true, common = false;

			for (q = 0; q < b->n; q++) {
				uint64_t y = b->m[q];

				if (has(a, y)) {
					common = true;
					check_in("intersect", a->t, b->t, y, y, in, y);
				} else {
					sub = false;
				}
				check_in("union(b)", a->t, b->t, 0, y, un, y);
				for (p = 0; p < a->n; p++)
					check_in("with_subreg", a->t, b->t, a->m[p], y, ws,
						 (a->m[p] & ~0xffffffffull) | (uint32_t)y);
			}
			for (p = 0; p < a->n; p++)
				check_in("union(a)", a->t, b->t, a->m[p], 0, un, a->m[p]);
			checks += 2;
			if (bvc_tnum_in(a->t, b->t) != sub)
				report("in", a->t, b->t, sub, 0, a->t, 0);
			if (bvc_tnum_overlap(a->t, b->t) != common)
				report("overlap", a->t, b->t, common, 0, a->t, 0);
			/* Overlapping tnums intersect exactly. */
			if (common) {
				uint64_t m[MAXM];
				int n = members(in, m);

				for (p = 0; p < n; p++) {
					checks++;
					if (!has(a, m[p]) || !has(b, m[p]))
						report("intersect exact", a->t, b->t, m[p], 0, in, 0);
				}
			}
		}
	}
	fprintf(stderr, "tnum set ops: %llu checks\n", checks);
	cr_assert_eq(fails, 0, "%llu wrong results", fails);
}

/* tnum_range over boundary values: ends, middle and neighbourhoods inside. */
Test(tnum, range_sound)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
		~0ull, ~0ull - 1, ~0ull - 7, 0xffffffff80000000ull, 0x123456789ull,
	};
	size_t i, j, n = sizeof(v) / sizeof(v[0]);
	uint64_t d;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			uint64_t lo = v[i], hi = v[j];
			struct bvc_tnum r;

			if (lo > hi)
				continue;
			r = bvc_tnum_range(lo, hi);
			for (d = 0; d < 300 && d <= hi - lo; d++) {
				check_in("range lo", r, r, lo, hi, r, lo + d);
				check_in("range hi", r, r, lo, hi, r, hi - d);
			}
			check_in("range mid", r, r, lo, hi, r, lo + (hi - lo) / 2);
		}
	}
	cr_assert_eq(fails, 0);
	/* Precision: the kernel's examples. */
	cr_assert_eq(bvc_tnum_range(0, 255).value, 0);
	cr_assert_eq(bvc_tnum_range(0, 255).mask, 0xff);
	cr_assert_eq(bvc_tnum_range(5, 9).mask, 0xf);
	cr_assert(bvc_tnum_equals_const(bvc_tnum_range(42, 42), 42));
	cr_assert(bvc_tnum_is_unknown(bvc_tnum_range(0, ~0ull)));
	cr_assert(bvc_tnum_is_unknown(bvc_tnum_range(1, 0x8000000000000000ull)));
	cr_assert_eq(bvc_tnum_range(0x100, 0x1ff).value, 0x100);
	cr_assert_eq(bvc_tnum_range(0x100, 0x1ff).mask, 0xff);
}

/* The kernel's tnum examples for mul/and/arshift. */
Test(tnum, kernel_examples)
{
	struct bvc_tnum t;

	/* (0; 0xff) & 0xf0 = (0; 0xf0) */
	t = bvc_tnum_and(bvc_tnum_range(0, 255), bvc_tnum_const(0xf0));
	cr_assert(t.value == 0 && t.mask == 0xf0);
	/* 4 * [0, 3] = (0; 0xc) */
	t = bvc_tnum_mul(bvc_tnum_const(4), bvc_tnum_range(0, 3));
	cr_assert(t.value == 0 && t.mask == 0xc, "(%#" PRIx64 "; %#" PRIx64 ")", t.value, t.mask);
	/* constants stay constants */
	t = bvc_tnum_mul(bvc_tnum_const(7), bvc_tnum_const(6));
	cr_assert(bvc_tnum_equals_const(t, 42));
	t = bvc_tnum_add(bvc_tnum_const(~0ull), bvc_tnum_const(1));
	cr_assert(bvc_tnum_equals_const(t, 0));
	/* unknown sign bit spreads on arshift, a known one too */
	t = bvc_tnum_arshift((struct bvc_tnum){ 0, 0x8000000000000000ull }, 4, 64);
	cr_assert(t.value == 0 && t.mask == 0xf800000000000000ull);
	t = bvc_tnum_arshift(bvc_tnum_const(0x80000000u), 4, 32);
	cr_assert(bvc_tnum_equals_const(t, 0xf8000000u));
	cr_assert(bvc_tnum_subreg_is_const((struct bvc_tnum){ 0x100000000ull, 0xff00000000ull }));
	cr_assert(!bvc_tnum_subreg_is_const((struct bvc_tnum){ 0, 0x80000000ull }));
}

Test(tnum, text)
{
	char buf[80];

	bvc_tnum_snprint(buf, sizeof(buf), bvc_tnum_range(0, 255));
	cr_assert_str_eq(buf, "(0x0; 0xff)");
	bvc_tnum_snprint(buf, sizeof(buf), (struct bvc_tnum){ 0x10, 0xf00000000ull });
	cr_assert_str_eq(buf, "(0x10; 0xf00000000)");
	bvc_tnum_snprint(buf, sizeof(buf), bvc_tnum_unknown());
	cr_assert_str_eq(buf, "(0x0; 0xffffffffffffffff)");
	bvc_tnum_snprint(buf, sizeof(buf), bvc_tnum_const(65535));
	cr_assert_str_eq(buf, "65535");
	bvc_tnum_snprint(buf, sizeof(buf), bvc_tnum_const(65536));
	cr_assert_str_eq(buf, "0x10000");
	bvc_tnum_snprint(buf, sizeof(buf), bvc_tnum_const(0));
	cr_assert_str_eq(buf, "0");
	cr_assert_eq(bvc_tnum_snprint(buf, 4, bvc_tnum_range(0, 255)), 11);
	cr_assert_str_eq(buf, "(0x");

	cr_assert_eq(bvc_tnum_sbin(buf, sizeof(buf), (struct bvc_tnum){ 0x5, 0x2 }), 64);
	cr_assert_eq(strlen(buf), 64);
	cr_assert_str_eq(buf + 61, "1x1");
	cr_assert_eq(strspn(buf, "0"), 61);
	bvc_tnum_sbin(buf, 3, (struct bvc_tnum){ 0x8000000000000000ull, 0x4000000000000000ull });
	cr_assert_str_eq(buf, "1x");
}
