// SPDX-License-Identifier: MIT
/*
 * Scalar value domain: soundness against concrete execution, then precision
 * and log text on the kernel's own examples.
 *
 * Soundness: abstract values are built from small concrete descriptions
 * (constants, tnums with a few unknown bits at the word's edges, ranges
 * between boundary values in each of the four range views, and random
 * intersections of a tnum with ranges whose members are known exactly).
 * Each comes with members: all of them when the set is small enough to
 * enumerate, otherwise extremes of every view plus a seeded sample. Then for
 * every ALU op in both widths, every pair of abstract values and every pair
 * of members, the concrete result (an independent reference implementation
 * of BPF semantics, below) must lie in every view of the abstract result.
 * Branches: branch_taken must never contradict a concrete pair, and refining
 * for a direction must keep every concrete pair that goes that way. Sync
 * must keep every member and be idempotent.
 *
 * Everything is deterministic (seeded splitmix64); the counts of checks are
 * printed so a run shows how much it covered.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/scalar.h"
#include "common/insns.h"
#include "common/kernel_oracle.h"

/* ---- test plumbing ------------------------------------------------------ */

static uint64_t rng = 0x5eed5eed12345678ull;
static unsigned long long checks, fails;

/* splitmix64: small, seedable, good enough to spread samples. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void dump(const char *tag, const struct bvc_scalar *s)
{
	fprintf(stderr,
		"    %s: var_off=(%#" PRIx64 "; %#" PRIx64 ") s64=[%" PRId64 ", %" PRId64
		"] u64=[%#" PRIx64 ", %#" PRIx64 "] s32=[%d, %d] u32=[%#x, %#x]\n",
		tag, s->var_off.value, s->var_off.mask, s->smin, s->smax, s->umin, s->umax,
		s->s32_min, s->s32_max, s->u32_min, s->u32_max);
}

/* Count a failure; describe the first few. */
static bool fail(const char *what, const struct bvc_scalar *a, const struct bvc_scalar *b,
		 const struct bvc_scalar *r, uint64_t x, uint64_t y, uint64_t z)
{
	if (++fails <= 8) {
		fprintf(stderr, "FAIL %s: x=%#" PRIx64 " y=%#" PRIx64 " z=%#" PRIx64 "\n", what, x,
			y, z);
		if (a)
			dump("a", a);
		if (b)
			dump("b", b);
		if (r)
			dump("result", r);
	}
	return false;
}

/* x is in every view of s (our own check, independent of the library). */
static bool member_of(const struct bvc_scalar *s, uint64_t x)
{
	return (x & ~s->var_off.mask) == s->var_off.value &&
	       x >= s->umin && x <= s->umax &&
	       (int64_t)x >= s->smin && (int64_t)x <= s->smax &&
	       (uint32_t)x >= s->u32_min && (uint32_t)x <= s->u32_max &&
	       (int32_t)(uint32_t)x >= s->s32_min && (int32_t)(uint32_t)x <= s->s32_max;
}

/* Result r must hold z. */
static void check_member(const char *what, const struct bvc_scalar *a,
			 const struct bvc_scalar *b, const struct bvc_scalar *r, uint64_t x,
			 uint64_t y, uint64_t z)
{
	checks++;
	if (!member_of(r, z))
		fail(what, a, b, r, x, y, z);
}

/* ---- reference BPF semantics (RFC 9669) ----------------------------------- */

static uint64_t ref_sar64(uint64_t x, unsigned int s)
{
	return s && (x >> 63) ? (x >> s) | ~(UINT64_MAX >> s) : x >> s;
}

static uint32_t ref_sar32(uint32_t x, unsigned int s)
{
	return s && (x >> 31) ? (x >> s) | ~(UINT32_MAX >> s) : x >> s;
}

static uint64_t ref_sext(uint64_t x, unsigned int bits)
{
	uint64_t sign = 1ull << (bits - 1);

	if (bits < 64)
		x &= (sign << 1) - 1;
	return (x ^ sign) - sign;
}

static uint64_t bswap16(uint64_t x) { return ((x & 0xff) << 8) | ((x >> 8) & 0xff); }
static uint64_t bswap32(uint64_t x) { return bswap16(x) << 16 | bswap16(x >> 16); }
static uint64_t bswap64(uint64_t x) { return bswap32(x) << 32 | bswap32(x >> 32); }

/* Signed division with the BPF rules: x / 0 = 0, MIN / -1 = MIN. */
static uint64_t sdiv64(uint64_t x, uint64_t y)
{
	if (!y)
		return 0;
	if (y == UINT64_MAX)
		return 0 - x;
	return (uint64_t)((int64_t)x / (int64_t)y);
}

/* Signed modulo: x % 0 = x, MIN % -1 = 0, sign of the dividend. */
static uint64_t smod64(uint64_t x, uint64_t y)
{
	if (!y)
		return x;
	if (y == UINT64_MAX)
		return 0;
	return (uint64_t)((int64_t)x % (int64_t)y);
}

static uint32_t sdiv32(uint32_t x, uint32_t y)
{
	if (!y)
		return 0;
	if (y == UINT32_MAX)
		return 0u - x;
	return (uint32_t)((int32_t)x / (int32_t)y);
}

static uint32_t smod32(uint32_t x, uint32_t y)
{
	if (!y)
		return x;
	if (y == UINT32_MAX)
		return 0;
	return (uint32_t)((int32_t)x % (int32_t)y);
}

/* dst after one ALU insn with dst = x and src register = y. */
static uint64_t ref_alu(const struct bvc_insn *insn, uint64_t x, uint64_t y)
{
	bool alu64 = (insn->code & 7) == BVC_ALU64;
	uint8_t op = insn->code & 0xf0;
	bool k = !(insn->code & BVC_X);
	uint32_t a, b;

	if (k)
		y = (op == BVC_MOV && !alu64) ? (uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm;
	if (alu64) {
		switch (op) {
		case BVC_ADD: return x + y;
		case BVC_SUB: return x - y;
		case BVC_MUL: return x * y;
		case BVC_DIV: return insn->off ? sdiv64(x, y) : y ? x / y : 0;
		case BVC_MOD: return insn->off ? smod64(x, y) : y ? x % y : x;
		case BVC_OR: return x | y;
		case BVC_AND: return x & y;
		case BVC_XOR: return x ^ y;
		case BVC_LSH: return x << (y & 63);
		case BVC_RSH: return x >> (y & 63);
		case BVC_ARSH: return ref_sar64(x, y & 63);
		case BVC_NEG: return 0 - x;
		case BVC_MOV: return insn->off ? ref_sext(y, (unsigned int)insn->off) : y;
		case BVC_END:
			return insn->imm == 16 ? bswap16(x) : insn->imm == 32 ? bswap32(x) : bswap64(x);
		}
		abort();
	}
	a = (uint32_t)x;
	b = (uint32_t)y;
	switch (op) {
	case BVC_ADD: return a + b;
	case BVC_SUB: return a - b;
	case BVC_MUL: return a * b;
	case BVC_DIV: return insn->off ? sdiv32(a, b) : b ? a / b : 0;
	case BVC_MOD: return insn->off ? smod32(a, b) : b ? a % b : a;
	case BVC_OR: return a | b;
	case BVC_AND: return a & b;
	case BVC_XOR: return a ^ b;
	case BVC_LSH: return (uint32_t)(a << (b & 31));
	case BVC_RSH: return a >> (b & 31);
	case BVC_ARSH: return ref_sar32(a, b & 31);
	case BVC_NEG: return 0u - a;
	case BVC_MOV: return insn->off ? (uint32_t)ref_sext(b, (unsigned int)insn->off) : b;
	case BVC_END:
		if (insn->code & BVC_TO_BE)
			return insn->imm == 16 ? bswap16(x) : insn->imm == 32 ? bswap32(x) : bswap64(x);
		return insn->imm == 16 ? (uint16_t)x : insn->imm == 32 ? (uint32_t)x : x;
	}
	abort();
}

/* The condition of a conditional jump on concrete operands. */
static bool ref_cond(uint8_t op, bool w32, uint64_t x, uint64_t y)
{
	int64_t sx = (int64_t)x, sy = (int64_t)y;

	if (w32) {
		x = (uint32_t)x;
		y = (uint32_t)y;
		sx = (int32_t)(uint32_t)x;
		sy = (int32_t)(uint32_t)y;
	}
	switch (op) {
	case BVC_JEQ: return x == y;
	case BVC_JNE: return x != y;
	case BVC_JGT: return x > y;
	case BVC_JGE: return x >= y;
	case BVC_JLT: return x < y;
	case BVC_JLE: return x <= y;
	case BVC_JSGT: return sx > sy;
	case BVC_JSGE: return sx >= sy;
	case BVC_JSLT: return sx < sy;
	case BVC_JSLE: return sx <= sy;
	case BVC_JSET: return (x & y) != 0;
	case BVC_JSET_NOT: return (x & y) == 0;
	}
	abort();
}

/* ---- abstract values with members ----------------------------------------- */

#define MAXMEM 16
/* Sizes of the cross products (time under ASan is the limit). */
#define EXACT_VALUES 300
#define PER_KIND 24
#define RANDOM_PAIRS 100000

struct av {
	struct bvc_scalar s;
	uint64_t m[MAXMEM]; /* members, extremes of each view first */
	int n;
	bool exact;         /* m is every member */
};

/* Boundary values: small, byte/half/word edges, sign edges, negatives. */
static const uint64_t V[] = {
	0, 1, 2, 3, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
	0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x100000001ull,
	0x17fffffffull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
	(uint64_t)-1, (uint64_t)-2, (uint64_t)-8, (uint64_t)-0x80, (uint64_t)-0x81,
	(uint64_t)-0x8000, (uint64_t)-0x80000000ll, (uint64_t)-0x80000001ll,
	0xffffffff00000000ull, 0x0012345678abcdefull,
};
#define NV (sizeof(V) / sizeof(V[0]))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pick up to MAXMEM members of a sorted unique list c[0..n): the element
 * at each view's extreme first, then evenly spaced ones. */
static void pick_members(struct av *a, uint64_t *c, int n, bool exact)
{
	int idx[8] = { 0, n - 1, 0, 0, 0, 0, 0, 0 };
	int i, j;

	a->n = 0;
	a->exact = exact && n <= MAXMEM;
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		if ((int64_t)c[i] < (int64_t)c[idx[2]]) idx[2] = i;
		if ((int64_t)c[i] > (int64_t)c[idx[3]]) idx[3] = i;
		if ((uint32_t)c[i] < (uint32_t)c[idx[4]]) idx[4] = i;
		if ((uint32_t)c[i] > (uint32_t)c[idx[5]]) idx[5] = i;
		if ((int32_t)(uint32_t)c[i] < (int32_t)(uint32_t)c[idx[6]]) idx[6] = i;
		if ((int32_t)(uint32_t)c[i] > (int32_t)(uint32_t)c[idx[7]]) idx[7] = i;
	}
	if (n <= MAXMEM) {
		/* Everything, extremes first so a capped loop still sees them. */
		bool used[MAXMEM] = { false };

		for (j = 0; j < 8; j++)
			if (!used[idx[j]]) {
				used[idx[j]] = true;
				a->m[a->n++] = c[idx[j]];
			}
		for (i = 0; i < n; i++)
			if (!used[i])
				a->m[a->n++] = c[i];
		return;
	}
	for (j = 0; j < 8; j++) {
		bool dup = false;

		for (i = 0; i < a->n; i++)
			dup |= a->m[i] == c[idx[j]];
		if (!dup)
			a->m[a->n++] = c[idx[j]];
	}
	for (i = 1; a->n < MAXMEM && i < MAXMEM; i++) {
		uint64_t v = c[(size_t)i * (size_t)(n - 1) / MAXMEM];
		bool dup = false;

		for (j = 0; j < a->n; j++)
			dup |= a->m[j] == v;
		if (!dup)
			a->m[a->n++] = v;
	}
}

#define MAXCAND 1024

/* Sorted unique list of cand[] entries that are members of s. */
static int filter_members(const struct bvc_scalar *s, uint64_t *cand, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (member_of(s, cand[i]))
			cand[k++] = cand[i];
	qsort(cand, (size_t)k, sizeof(cand[0]), cmp_u64);
	n = k;
	for (i = k = 0; i < n; i++)
		if (!k || cand[k - 1] != cand[i])
			cand[k++] = cand[i];
	return k;
}

/* r reduced to [0, span]. */
static uint64_t below(uint64_t r, uint64_t span)
{
	return span == UINT64_MAX ? r : r % (span + 1);
}

/* Members of s: every one when the tnum or a range is small, else the
 * values at the bounds of every view (forced into the tnum) and a sample. */
static void find_members(struct av *a)
{
	static uint64_t cand[MAXCAND];
	const struct bvc_scalar *s = &a->s;
	uint64_t mask = s->var_off.mask, val = s->var_off.value;
	int n = 0, i, j;

	if (__builtin_popcountll(mask) <= 9) {
		uint64_t sub = 0;

		do {
			cand[n++] = val | sub;
			sub = (sub - mask) & mask;
		} while (sub);
		n = filter_members(s, cand, n);
		pick_members(a, cand, n, true);
		return;
	}
	if (s->umax - s->umin < 512 || (uint64_t)s->smax - (uint64_t)s->smin < 512) {
		uint64_t lo = s->umax - s->umin < 512 ? s->umin : (uint64_t)s->smin;
		uint64_t span = s->umax - s->umin < 512 ? s->umax - s->umin
							: (uint64_t)s->smax - (uint64_t)s->smin;

		for (i = 0; (uint64_t)i <= span; i++)
			cand[n++] = lo + (uint64_t)i;
		n = filter_members(s, cand, n);
		pick_members(a, cand, n, true);
		return;
	}
	{
		uint64_t his[] = { s->umin >> 32, s->umax >> 32, (uint64_t)s->smin >> 32,
				   (uint64_t)s->smax >> 32, val >> 32, (val | mask) >> 32,
				   0, 0xffffffff };
		uint64_t los[] = { s->u32_min, s->u32_max, (uint32_t)s->s32_min,
				   (uint32_t)s->s32_max, (uint32_t)s->umin, (uint32_t)s->umax,
				   (uint32_t)s->smin, (uint32_t)s->smax, (uint32_t)val,
				   (uint32_t)(val | mask), 0, 0x7fffffff, 0x80000000, 0xffffffff };
		uint64_t whole[] = { s->umin, s->umax, (uint64_t)s->smin, (uint64_t)s->smax, val,
				     val | mask, val | (mask & INT64_MAX),
				     val | (mask & (1ull << 63)) };

		for (i = 0; i < 8; i++)
			for (j = 0; j < 14; j++) {
				uint64_t x = his[i] << 32 | los[j];

				cand[n++] = x;
				cand[n++] = (x & mask) | val;
			}
		for (i = 0; i < 8; i++) {
			cand[n++] = whole[i];
			cand[n++] = whole[i] + 1;
			cand[n++] = whole[i] - 1;
		}
		for (i = 0; i < 64; i++) {
			uint64_t r = rnd();

			cand[n++] = (r & mask) | val;
			cand[n++] = ((s->umin + below(r, s->umax - s->umin)) & mask) | val;
			cand[n++] = (((uint64_t)s->smin +
				      below(r, (uint64_t)s->smax - (uint64_t)s->smin)) & mask) | val;
		}
		n = filter_members(s, cand, n);
		pick_members(a, cand, n, false);
	}
}

/* ---- the pool of abstract values ----------------------------------------- */

#define MAXPOOL 4096
static struct av pool[MAXPOOL];
static size_t npool;

static void add(struct bvc_scalar s)
{
	struct av *a;

	if (npool == MAXPOOL)
		return;
	a = &pool[npool];
	a->s = s;
	find_members(a);
	if (a->n)
		npool++;
}

/* A tnum over random positions with a few unknown bits and ranges cut at
 * its members in random views: the concrete set is known exactly. Returns
 * the raw (unsynced) value; m[] gets every member. */
static struct bvc_scalar random_raw(uint64_t *m, int *nm)
{
	static const unsigned int pos[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 16,
					    30, 31, 32, 33, 47, 62, 63 };
	struct bvc_scalar s = bvc_scalar_unknown();
	uint64_t all[64], mask = 0, base;
	int k = (int)(rnd() % 7), n = 0, i;

	for (i = 0; i < k; i++)
		mask |= 1ull << pos[rnd() % (sizeof(pos) / sizeof(pos[0]))];
	base = (rnd() & 1) ? V[rnd() % NV] : rnd();
	if (rnd() & 1)
		base ^= rnd() & 0xff;
	s.var_off.value = base & ~mask;
	s.var_off.mask = mask;
	{
		uint64_t sub = 0;

		do {
			all[n++] = s.var_off.value | sub;
			sub = (sub - mask) & mask;
		} while (sub);
	}
	/* Cut each view with probability 1/2 at members, give or take one. */
	if (rnd() & 1) {
		uint64_t lo = all[rnd() % (uint64_t)n] - (rnd() & 1);
		uint64_t hi = all[rnd() % (uint64_t)n] + (rnd() & 1);

		s.umin = lo < hi ? lo : hi;
		s.umax = lo < hi ? hi : lo;
	}
	if (rnd() & 1) {
		int64_t lo = (int64_t)(all[rnd() % (uint64_t)n] - (rnd() & 1));
		int64_t hi = (int64_t)(all[rnd() % (uint64_t)n] + (rnd() & 1));

		s.smin = lo < hi ? lo : hi;
		s.smax = lo < hi ? hi : lo;
	}
	if (rnd() & 1) {
		uint32_t lo = (uint32_t)all[rnd() % (uint64_t)n] - (uint32_t)(rnd() & 1);
		uint32_t hi = (uint32_t)all[rnd() % (uint64_t)n] + (uint32_t)(rnd() & 1);

		s.u32_min = lo < hi ? lo : hi;
		s.u32_max = lo < hi ? hi : lo;
	}
	if (rnd() & 1) {
		int32_t lo = (int32_t)((uint32_t)all[rnd() % (uint64_t)n] - (uint32_t)(rnd() & 1));
		int32_t hi = (int32_t)((uint32_t)all[rnd() % (uint64_t)n] + (uint32_t)(rnd() & 1));

		s.s32_min = lo < hi ? lo : hi;
		s.s32_max = lo < hi ? hi : lo;
	}
	*nm = 0;
	for (i = 0; i < n; i++)
		if (member_of(&s, all[i]))
			m[(*nm)++] = all[i];
	return s;
}

/* A raw value from unbounded views plus one range, synced. */
static struct bvc_scalar view_range(int view, uint64_t lo, uint64_t hi)
{
	struct bvc_scalar s = bvc_scalar_unknown();

	switch (view) {
	case 0: s.umin = lo; s.umax = hi; break;
	case 1: s.smin = (int64_t)lo; s.smax = (int64_t)hi; break;
	case 2: s.u32_min = (uint32_t)lo; s.u32_max = (uint32_t)hi; break;
	default: s.s32_min = (int32_t)(uint32_t)lo; s.s32_max = (int32_t)(uint32_t)hi; break;
	}
	bvc_scalar_sync(&s);
	return s;
}

/* Index ranges of the pool by kind, for the cross products below. */
static size_t kind_start[8], kind_end[8];
enum { K_CONST, K_TNUM, K_U64, K_S64, K_U32, K_S32, K_RAW, K_MISC, K_NR };

static void build_pool(void)
{
	static const unsigned int tpos[][3] = {
		{ 0, 1, 2 }, { 30, 31, 32 }, { 31, 32, 63 }, { 0, 62, 63 }, { 3, 7, 15 },
	};
	static const uint64_t tbase[] = { 0, ~0ull, 0x5a5a5a5a5a5a5a5aull };
	size_t i, j, k, b;
	int kind;

	npool = 0;
	rng = 0x5eed5eed12345678ull;

	kind_start[K_CONST] = npool;
	for (i = 0; i < NV; i++)
		add(bvc_scalar_const(V[i]));
	kind_end[K_CONST] = npool;

	kind_start[K_TNUM] = npool;
	for (i = 0; i < sizeof(tpos) / sizeof(tpos[0]); i++) {
		for (b = 0; b < sizeof(tbase) / sizeof(tbase[0]); b++) {
			for (k = 0; k < 27; k++) {
				struct bvc_scalar s = bvc_scalar_unknown();
				unsigned int d = (unsigned int)k;
				uint64_t pos = 0;

				for (j = 0; j < 3; j++)
					pos |= 1ull << tpos[i][j];
				s.var_off.value = tbase[b] & ~pos;
				s.var_off.mask = 0;
				for (j = 0; j < 3; j++, d /= 3) {
					if (d % 3 == 1)
						s.var_off.value |= 1ull << tpos[i][j];
					else if (d % 3 == 2)
						s.var_off.mask |= 1ull << tpos[i][j];
				}
				if (!s.var_off.mask)
					continue; /* constants are above */
				bvc_scalar_sync(&s);
				add(s);
			}
		}
	}
	kind_end[K_TNUM] = npool;

	for (kind = 0; kind < 4; kind++) {
		kind_start[K_U64 + kind] = npool;
		for (i = 0; i < NV; i++) {
			for (j = 0; j < NV; j++) {
				uint64_t lo = V[i], hi = V[j];
				bool ok;

				switch (kind) {
				case 0: ok = lo < hi; break;
				case 1: ok = (int64_t)lo < (int64_t)hi; break;
				case 2: ok = (uint32_t)lo < (uint32_t)hi && lo <= 0xffffffff && hi <= 0xffffffff; break;
				default: ok = (int32_t)(uint32_t)lo < (int32_t)(uint32_t)hi &&
					      lo <= 0xffffffff && hi <= 0xffffffff; break;
				}
				if (ok)
					add(view_range(kind, lo, hi));
			}
		}
		kind_end[K_U64 + kind] = npool;
	}

	kind_start[K_RAW] = npool;
	for (i = 0; i < 600; i++) {
		uint64_t m[64];
		int n;
		struct bvc_scalar s = random_raw(m, &n);

		if (!n)
			continue;
		bvc_scalar_sync(&s);
		add(s);
	}
	kind_end[K_RAW] = npool;

	kind_start[K_MISC] = npool;
	add(bvc_scalar_unknown());
	{
		/* Shapes the kernel produces often. */
		struct bvc_scalar s = bvc_scalar_unknown();

		bvc_scalar_zext32(&s);
		bvc_scalar_sync(&s);
		add(s); /* any u32 */
		s = bvc_scalar_unknown();
		bvc_scalar_coerce_sx(&s, 4);
		add(s); /* any s32, sign-extended */
		s = bvc_scalar_unknown();
		bvc_scalar_coerce_sx(&s, 1);
		add(s);
		s = bvc_scalar_unknown();
		s.var_off = (struct bvc_tnum){ 0, 0xfffffffffffffff8ull };
		bvc_scalar_sync(&s);
		add(s); /* 8-aligned */
		s = bvc_scalar_unknown();
		s.var_off = (struct bvc_tnum){ 1, 0x7ffffffffffffffeull };
		bvc_scalar_sync(&s);
		add(s); /* odd, non-negative */
	}
	kind_end[K_MISC] = npool;
}

/* Up to @per values of each kind, spread over the kind. */
static size_t sample_kinds(size_t *out, size_t per)
{
	size_t n = 0, k, i;

	for (k = 0; k < K_NR; k++) {
		size_t len = kind_end[k] - kind_start[k];

		for (i = 0; i < per && i < len; i++)
			out[n++] = kind_start[k] + (len <= per ? i : i * len / per);
	}
	return n;
}

/* Up to @max values whose every member is listed, spread over the pool
 * (so every kind that has small values contributes). */
static size_t exact_small(size_t *out, size_t max)
{
	size_t n = 0, i, nexact = 0, k = 0;

	for (i = 0; i < npool; i++)
		nexact += pool[i].exact;
	for (i = 0; i < npool && n < max; i++) {
		if (!pool[i].exact)
			continue;
		/* keep the k-th exact value when it starts a new 1/max share */
		if (nexact <= max || (k * max) / nexact != ((k + 1) * max) / nexact)
			out[n++] = i;
		k++;
	}
	return n;
}

/* ---- ALU ------------------------------------------------------------------ */

static const struct binop {
	uint8_t op;
	int16_t off;
	const char *name;
} binops[] = {
	{ BVC_ADD, 0, "add" }, { BVC_SUB, 0, "sub" }, { BVC_MUL, 0, "mul" },
	{ BVC_DIV, 0, "div" }, { BVC_DIV, 1, "sdiv" }, { BVC_MOD, 0, "mod" },
	{ BVC_MOD, 1, "smod" }, { BVC_OR, 0, "or" }, { BVC_AND, 0, "and" },
	{ BVC_XOR, 0, "xor" }, { BVC_LSH, 0, "lsh" }, { BVC_RSH, 0, "rsh" },
	{ BVC_ARSH, 0, "arsh" },
};
#define NBINOPS (sizeof(binops) / sizeof(binops[0]))

static struct bvc_insn mk(uint8_t code, int16_t off, int32_t imm)
{
	/* BVC_TO_BE shares its bit with BVC_X; END has no source register. */
	bool x = (code & BVC_X) && (code & 0xf0) != BVC_END;
	struct bvc_insn i = { .code = code, .dst = 1, .src = x ? 2 : 0, .off = off, .imm = imm };

	return i;
}

/* Every binary op, both widths, a op b, members capped at @cap each. */
static void alu_pair(const struct av *a, const struct av *b, int cap)
{
	size_t o;
	int w, p, q;

	for (o = 0; o < NBINOPS; o++) {
		for (w = 0; w < 2; w++) {
			struct bvc_insn insn = mk((w ? BVC_ALU64 : BVC_ALU) | binops[o].op | BVC_X,
						  binops[o].off, 0);
			struct bvc_scalar r = a->s;
			int err = bvc_scalar_alu(&r, &b->s, &insn);

			if (err) {
				fail(binops[o].name, &a->s, &b->s, NULL, 0, 0, (uint64_t)err);
				continue;
			}
			for (p = 0; p < a->n && p < cap; p++)
				for (q = 0; q < b->n && q < cap; q++)
					check_member(binops[o].name, &a->s, &b->s, &r, a->m[p],
						     b->m[q], ref_alu(&insn, a->m[p], b->m[q]));
		}
	}
}

static size_t sel_a[4096];

/* Values with all members enumerated, each pair, every member pair. */
Test(scalar_alu, exhaustive_small)
{
	size_t n, i, j;

	build_pool();
	n = exact_small(sel_a, EXACT_VALUES);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			alu_pair(&pool[sel_a[i]], &pool[sel_a[j]], MAXMEM);
	fprintf(stderr, "alu exhaustive: %zu exact values, %zu pairs, %zu ops, %llu checks\n", n,
		n * n, n * n * NBINOPS * 2, checks);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

/* Every kind against every kind, members capped. */
Test(scalar_alu, mixed_kinds)
{
	size_t n, i, j;

	build_pool();
	n = sample_kinds(sel_a, PER_KIND);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			alu_pair(&pool[sel_a[i]], &pool[sel_a[j]], 8);
	fprintf(stderr, "alu mixed: %zu values, %zu pairs, %zu ops, %llu checks\n", n, n * n,
		n * n * NBINOPS * 2, checks);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

/* Random pairs over the whole pool. */
Test(scalar_alu, random_pairs)
{
	size_t i, pairs = RANDOM_PAIRS;

	build_pool();
	for (i = 0; i < pairs; i++)
		alu_pair(&pool[rnd() % npool], &pool[rnd() % npool], 6);
	fprintf(stderr, "alu random: pool %zu, %zu pairs, %zu ops, %llu checks\n", npool, pairs,
		pairs * NBINOPS * 2, checks);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

/* K sources: each pool value against immediates incl. every shift count. */
Test(scalar_alu, immediates)
{
	static const int32_t imms[] = { 0, 1, 2, 3, 7, 8, 16, 31, 32, 63, -1, -2, -8, 0x7f,
					0xff, 0x100, 0x7fff, 0xffff, 0x7fffffff, INT32_MIN };
	size_t i, o, k, ops = 0;
	int w, p;

	build_pool();
	for (i = 0; i < npool; i++) {
		const struct av *a = &pool[i];

		for (o = 0; o < NBINOPS; o++) {
			bool shift = binops[o].op == BVC_LSH || binops[o].op == BVC_RSH ||
				     binops[o].op == BVC_ARSH;
			size_t nk = shift ? 64 : sizeof(imms) / sizeof(imms[0]);

			for (w = 0; w < 2; w++) {
				for (k = 0; k < nk; k++) {
					int32_t imm = shift ? (int32_t)k : imms[k];
					struct bvc_insn insn = mk((w ? BVC_ALU64 : BVC_ALU) |
								  binops[o].op | BVC_K,
								  binops[o].off, imm);
					struct bvc_scalar r = a->s;
					int err = bvc_scalar_alu(&r, NULL, &insn);
					bool invalid = (shift && imm >= (w ? 64 : 32)) ||
						       ((binops[o].op == BVC_DIV ||
							 binops[o].op == BVC_MOD) && imm == 0);

					if (invalid) {
						checks++;
						if (err != -EINVAL ||
						    !bvc_scalar_equal(&r, &a->s))
							fail("invalid K accepted", &a->s, NULL, &r,
							     0, (uint64_t)imm, (uint64_t)err);
						continue;
					}
					ops++;
					if (err) {
						fail(binops[o].name, &a->s, NULL, NULL, 0,
						     (uint64_t)imm, (uint64_t)err);
						continue;
					}
					for (p = 0; p < a->n; p++)
						check_member(binops[o].name, &a->s, NULL, &r, a->m[p],
							     (uint64_t)imm,
							     ref_alu(&insn, a->m[p], 0));
				}
			}
		}
	}
	fprintf(stderr, "alu immediates: %zu values, %zu ops, %llu checks\n", npool, ops, checks);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

/* NEG, END/BSWAP, MOV/MOVSX, mov K, "r op= r" aliasing, and the width
 * helpers (zext, coerce, coerce_sx) on every pool value. */
Test(scalar_alu, unary)
{
	static const struct {
		uint8_t code;
		int16_t off;
		int32_t imm;
		const char *name;
	} un[] = {
		{ BVC_ALU64 | BVC_NEG, 0, 0, "neg64" },
		{ BVC_ALU | BVC_NEG, 0, 0, "neg32" },
		{ BVC_ALU | BVC_END | BVC_TO_LE, 0, 16, "le16" },
		{ BVC_ALU | BVC_END | BVC_TO_LE, 0, 32, "le32" },
		{ BVC_ALU | BVC_END | BVC_TO_LE, 0, 64, "le64" },
		{ BVC_ALU | BVC_END | BVC_TO_BE, 0, 16, "be16" },
		{ BVC_ALU | BVC_END | BVC_TO_BE, 0, 32, "be32" },
		{ BVC_ALU | BVC_END | BVC_TO_BE, 0, 64, "be64" },
		{ BVC_ALU64 | BVC_END | BVC_TO_LE, 0, 16, "bswap16" },
		{ BVC_ALU64 | BVC_END | BVC_TO_LE, 0, 32, "bswap32" },
		{ BVC_ALU64 | BVC_END | BVC_TO_LE, 0, 64, "bswap64" },
		{ BVC_ALU64 | BVC_MOV | BVC_X, 0, 0, "mov64" },
		{ BVC_ALU64 | BVC_MOV | BVC_X, 8, 0, "movsx64 8" },
		{ BVC_ALU64 | BVC_MOV | BVC_X, 16, 0, "movsx64 16" },
		{ BVC_ALU64 | BVC_MOV | BVC_X, 32, 0, "movsx64 32" },
		{ BVC_ALU | BVC_MOV | BVC_X, 0, 0, "mov32" },
		{ BVC_ALU | BVC_MOV | BVC_X, 8, 0, "movsx32 8" },
		{ BVC_ALU | BVC_MOV | BVC_X, 16, 0, "movsx32 16" },
		{ BVC_ALU64 | BVC_MOV | BVC_K, 0, -5, "mov64 K" },
		{ BVC_ALU | BVC_MOV | BVC_K, 0, -5, "mov32 K" },
	};
	struct bvc_scalar other = bvc_scalar_srange(-3, 3);
	size_t i, u, o;
	int p, w, size;

	build_pool();
	for (i = 0; i < npool; i++) {
		const struct av *a = &pool[i];

		for (u = 0; u < sizeof(un) / sizeof(un[0]); u++) {
			struct bvc_insn insn = mk(un[u].code, un[u].off, un[u].imm);
			bool mov = (un[u].code & 0xf0) == BVC_MOV;
			struct bvc_scalar r = mov ? other : a->s;
			int err = bvc_scalar_alu(&r, &a->s, &insn);

			cr_assert_eq(err, 0, "%s", un[u].name);
			for (p = 0; p < a->n; p++)
				check_member(un[u].name, &a->s, NULL, &r, a->m[p], 0,
					     mov ? ref_alu(&insn, 0, a->m[p])
						 : ref_alu(&insn, a->m[p], 0));
		}
		/* dst and src the same register. */
		for (o = 0; o < NBINOPS; o++) {
			for (w = 0; w < 2; w++) {
				struct bvc_insn insn = mk((w ? BVC_ALU64 : BVC_ALU) | binops[o].op | BVC_X,
							  binops[o].off, 0);
				struct bvc_scalar r = a->s;

				cr_assert_eq(bvc_scalar_alu(&r, &r, &insn), 0);
				for (p = 0; p < a->n; p++)
					check_member(binops[o].name, &a->s, &a->s, &r, a->m[p],
						     a->m[p], ref_alu(&insn, a->m[p], a->m[p]));
			}
		}
		for (size = 1; size <= 4; size *= 2) {
			struct bvc_scalar z = a->s, sx = a->s, sx32 = a->s;

			bvc_scalar_coerce(&z, size);
			bvc_scalar_coerce_sx(&sx, size);
			if (size < 4) {
				bvc_scalar_coerce_sx32(&sx32, size);
				bvc_scalar_zext32(&sx32);
				bvc_scalar_sync(&sx32);
			}
			for (p = 0; p < a->n; p++) {
				uint64_t x = a->m[p];

				check_member("coerce", &a->s, NULL, &z, x, (uint64_t)size,
					     x & ((1ull << (size * 8)) - 1));
				check_member("coerce_sx", &a->s, NULL, &sx, x, (uint64_t)size,
					     ref_sext(x, (unsigned int)size * 8));
				if (size < 4)
					check_member("coerce_sx32", &a->s, NULL, &sx32, x,
						     (uint64_t)size,
						     (uint32_t)ref_sext(x, (unsigned int)size * 8));
			}
		}
		{
			struct bvc_scalar z = a->s;

			bvc_scalar_zext32(&z);
			bvc_scalar_sync(&z);
			for (p = 0; p < a->n; p++)
				check_member("zext32", &a->s, NULL, &z, a->m[p], 0, (uint32_t)a->m[p]);
		}
	}
	fprintf(stderr, "alu unary: %zu values, %llu checks\n", npool, checks);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

/* ---- branches ------------------------------------------------------------ */

static const uint8_t conds[] = {
	BVC_JEQ, BVC_JNE, BVC_JGT, BVC_JGE, BVC_JLT, BVC_JLE,
	BVC_JSGT, BVC_JSGE, BVC_JSLT, BVC_JSLE, BVC_JSET, BVC_JSET_NOT,
};
#define NCONDS (sizeof(conds) / sizeof(conds[0]))
static unsigned long long dead_by_refine, decided;

/* For each condition and width: branch_taken agrees with every member pair,
 * and refining either direction keeps the pairs that go that way. */
static void branch_pair(const struct av *a, const struct av *b, int cap)
{
	size_t c;
	int w, p, q;

	for (c = 0; c < NCONDS; c++) {
		for (w = 0; w < 2; w++) {
			uint8_t op = conds[c], neg = bvc_jmp_negate(op);
			int taken = bvc_scalar_branch_taken(&a->s, &b->s, op, w);
			struct bvc_scalar ta = a->s, tb = b->s, fa = a->s, fb = b->s;
			bool tok = bvc_scalar_refine(&ta, &tb, op, w);
			bool fok = bvc_scalar_refine(&fa, &fb, neg, w);

			decided += taken >= 0;
			dead_by_refine += taken < 0 && (!tok || !fok);
			for (p = 0; p < a->n && p < cap; p++) {
				for (q = 0; q < b->n && q < cap; q++) {
					uint64_t x = a->m[p], y = b->m[q];
					bool t = ref_cond(op, w, x, y);

					checks++;
					if (ref_cond(neg, w, x, y) == t ||
					    ref_cond(bvc_jmp_flip(op), w, y, x) != t)
						fail("negate/flip", &a->s, &b->s, NULL, x, y, op);
					if (taken >= 0 && taken != t)
						fail(w ? "branch_taken32" : "branch_taken", &a->s, &b->s,
						     NULL, x, y, op);
					if (t && !(tok && member_of(&ta, x) && member_of(&tb, y))) {
						fail(w ? "refine32 taken" : "refine taken", &a->s,
						     &b->s, &ta, x, y, op);
						dump("refined b", &tb);
					}
					if (!t && !(fok && member_of(&fa, x) && member_of(&fb, y))) {
						fail(w ? "refine32 fallthrough" : "refine fallthrough",
						     &a->s, &b->s, &fa, x, y, neg);
						dump("refined b", &fb);
					}
				}
			}
		}
	}
}

Test(scalar_branch, exhaustive_small)
{
	size_t n, i, j;

	build_pool();
	n = exact_small(sel_a, EXACT_VALUES);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			branch_pair(&pool[sel_a[i]], &pool[sel_a[j]], MAXMEM);
	fprintf(stderr,
		"branch exhaustive: %zu exact values, %zu pairs, %zu (cond, width) checks, "
		"%llu concrete checks, %llu decided, %llu dead found by refine only\n",
		n, n * n, n * n * NCONDS * 2, checks, decided, dead_by_refine);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

Test(scalar_branch, mixed_kinds)
{
	size_t n, i, j;

	build_pool();
	n = sample_kinds(sel_a, PER_KIND);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			branch_pair(&pool[sel_a[i]], &pool[sel_a[j]], 8);
	fprintf(stderr, "branch mixed: %zu values, %zu pairs, %llu checks, %llu decided\n", n,
		n * n, checks, decided);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

Test(scalar_branch, random_pairs)
{
	size_t i, pairs = RANDOM_PAIRS;

	build_pool();
	for (i = 0; i < pairs; i++)
		branch_pair(&pool[rnd() % npool], &pool[rnd() % npool], 6);
	fprintf(stderr, "branch random: %zu pairs, %llu checks, %llu decided\n", pairs, checks,
		decided);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
}

/* ---- sync, join, within --------------------------------------------------- */

/* Random raw values with exact members: sync keeps them all, is valid, and
 * a second sync changes nothing. */
Test(scalar_sync, sound_and_idempotent)
{
	unsigned long long values = 0, not_idem = 0;
	size_t i;
	int p;

	for (i = 0; i < 300000; i++) {
		uint64_t m[64];
		int n;
		struct bvc_scalar raw = random_raw(m, &n), s = raw, s2;

		bvc_scalar_sync(&s);
		if (!n)
			continue;
		values++;
		for (p = 0; p < n; p++)
			check_member("sync", &raw, NULL, &s, m[p], 0, m[p]);
		checks++;
		if (!bvc_scalar_is_valid(&s))
			fail("sync invalid", &raw, NULL, &s, 0, 0, 0);
		s2 = s;
		bvc_scalar_sync(&s2);
		if (!bvc_scalar_equal(&s, &s2)) {
			if (++not_idem <= 3) {
				fprintf(stderr, "sync not idempotent:\n");
				dump("raw", &raw);
				dump("once", &s);
				dump("twice", &s2);
			}
		}
	}
	/* And the pool's kinds, members sampled where large. */
	build_pool();
	for (i = 0; i < npool; i++) {
		struct bvc_scalar s = pool[i].s;

		bvc_scalar_sync(&s);
		for (p = 0; p < pool[i].n; p++)
			check_member("resync", &pool[i].s, NULL, &s, pool[i].m[p], 0, pool[i].m[p]);
		if (!bvc_scalar_equal(&s, &pool[i].s))
			not_idem++;
	}
	fprintf(stderr, "sync: %llu raw values, %llu checks, %llu not idempotent\n", values, checks,
		not_idem);
	cr_assert_eq(fails, 0, "%llu unsound results", fails);
	cr_assert_eq(not_idem, 0, "sync is not idempotent on %llu values", not_idem);
}

/* join holds both sides and includes them; within implies member inclusion. */
Test(scalar_sync, join_within)
{
	size_t n, i, j;
	int p;

	build_pool();
	n = sample_kinds(sel_a, 24);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			const struct av *a = &pool[sel_a[i]], *b = &pool[sel_a[j]];
			struct bvc_scalar r = bvc_scalar_join(&a->s, &b->s);

			for (p = 0; p < a->n; p++)
				check_member("join a", &a->s, &b->s, &r, a->m[p], 0, a->m[p]);
			for (p = 0; p < b->n; p++)
				check_member("join b", &a->s, &b->s, &r, 0, b->m[p], b->m[p]);
			checks++;
			if (!bvc_scalar_within(&r, &a->s) || !bvc_scalar_within(&r, &b->s))
				fail("join not within", &a->s, &b->s, &r, 0, 0, 0);
			if (bvc_scalar_within(&a->s, &b->s))
				for (p = 0; p < b->n; p++)
					check_member("within", &a->s, &b->s, &a->s, 0, b->m[p],
						     b->m[p]);
		}
	}
	for (i = 0; i < npool; i++) {
		checks++;
		if (!bvc_scalar_within(&pool[i].s, &pool[i].s))
			fail("not within itself", &pool[i].s, NULL, NULL, 0, 0, 0);
	}
	fprintf(stderr, "join/within: %zu pairs, %llu checks\n", n * n, checks);
	cr_assert_eq(fails, 0, "%llu wrong results", fails);
}

/* ---- kernel examples: precision and log text ------------------------------ */

static const char *text(const struct bvc_scalar *s)
{
	static char buf[256];

	bvc_scalar_snprint(buf, sizeof(buf), s);
	return buf;
}

static const char *textv(struct bvc_scalar s)
{
	return text(&s);
}

static bool unknown(struct bvc_scalar s)
{
	return bvc_scalar_is_unknown(&s);
}

static struct bvc_scalar alu(struct bvc_scalar d, uint8_t code, int16_t off, int32_t imm,
			     const struct bvc_scalar *src)
{
	struct bvc_insn insn = mk(code, off, imm);

	cr_assert_eq(bvc_scalar_alu(&d, src, &insn), 0);
	return d;
}

Test(scalar_kernel, jgt_fallthrough)
{
	struct bvc_scalar r1 = bvc_scalar_unknown(), k = bvc_scalar_const(10);

	/* if r1 > 10 goto ...: the fall-through has r1 <= 10 */
	cr_assert_eq(bvc_scalar_branch_taken(&r1, &k, BVC_JGT, false), -1);
	cr_assert(bvc_scalar_refine(&r1, &k, bvc_jmp_negate(BVC_JGT), false));
	cr_assert_eq(r1.umax, 10);
	cr_assert_eq(r1.umin, 0);
	cr_assert_eq(r1.smin, 0);
	cr_assert_str_eq(text(&r1), "scalar(smin=smin32=0,smax=umax=smax32=umax32=10,"
				    "var_off=(0x0; 0xf))");
	cr_assert_str_eq(text(&k), "10");
	/* the taken side: r1 >= 11 */
	r1 = bvc_scalar_unknown();
	cr_assert(bvc_scalar_refine(&r1, &k, BVC_JGT, false));
	cr_assert_eq(r1.umin, 11);
	cr_assert_str_eq(text(&r1), "scalar(umin=11)");
}

Test(scalar_kernel, and_0xff)
{
	struct bvc_scalar r1 = alu(bvc_scalar_unknown(), BVC_ALU64 | BVC_AND | BVC_K, 0, 0xff, NULL);

	cr_assert_eq(r1.var_off.value, 0);
	cr_assert_eq(r1.var_off.mask, 0xff);
	cr_assert_str_eq(text(&r1), "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,"
				    "var_off=(0x0; 0xff))");
}

Test(scalar_kernel, add32_wraps)
{
	struct bvc_scalar r, k;

	/* w1 = 0xffffffff; w1 += 1 -> 0, zero-extended */
	r = alu(bvc_scalar_unknown(), BVC_ALU | BVC_MOV | BVC_K, 0, -1, NULL);
	cr_assert_str_eq(text(&r), "0xffffffff");
	r = alu(r, BVC_ALU | BVC_ADD | BVC_K, 0, 1, NULL);
	cr_assert(bvc_scalar_is_const(&r) && r.var_off.value == 0, "%s", text(&r));
	/* u32 [0xfffffff0, 0xffffffff] + 16 wraps in u32 but not in s32:
	 * the result is [0, 15] */
	r = bvc_scalar_unknown();
	r.u32_min = 0xfffffff0;
	bvc_scalar_sync(&r);
	k = bvc_scalar_const(16);
	r = alu(r, BVC_ALU | BVC_ADD | BVC_X, 0, 0, &k);
	cr_assert_eq(r.umax, 15, "%s", text(&r));
	cr_assert_eq(r.umin, 0);
	/* 64-bit: [0, 2] + U64_MAX: unsigned overflow, signed fine */
	r = bvc_scalar_urange(0, 2);
	r = alu(r, BVC_ALU64 | BVC_ADD | BVC_K, 0, -1, NULL);
	cr_assert_eq(r.smin, -1);
	cr_assert_eq(r.smax, 1);
	cr_assert_str_eq(text(&r), "scalar(smin=smin32=-1,smax=smax32=1)");
}

Test(scalar_kernel, sign_extension)
{
	struct bvc_scalar r, b;

	/* r2 = (s8)r1 with r1 in [0, 255]: [-128, 127] */
	b = bvc_scalar_urange(0, 255);
	r = alu(bvc_scalar_unknown(), BVC_ALU64 | BVC_MOV | BVC_X, 8, 0, &b);
	cr_assert_eq(r.smin, -128);
	cr_assert_eq(r.smax, 127);
	cr_assert_str_eq(text(&r), "scalar(smin=smin32=-128,smax=smax32=127)");
	/* r1 in [0x80, 0x90]: both ends negative as s8 */
	b = bvc_scalar_urange(0x80, 0x90);
	r = alu(bvc_scalar_unknown(), BVC_ALU64 | BVC_MOV | BVC_X, 8, 0, &b);
	cr_assert_eq(r.smin, -128);
	cr_assert_eq(r.smax, -112);
	/* the "<<32 s>>32" idiom keeps a small non-negative subreg range */
	r = bvc_scalar_urange(0, 100);
	r = alu(r, BVC_ALU64 | BVC_LSH | BVC_K, 0, 32, NULL);
	r = alu(r, BVC_ALU64 | BVC_ARSH | BVC_K, 0, 32, NULL);
	cr_assert_eq(r.umax, 100, "%s", text(&r));
	cr_assert_eq(r.smin, 0);
	/* constant sign extension */
	r = bvc_scalar_const(0xff);
	bvc_scalar_coerce_sx(&r, 1);
	cr_assert_str_eq(text(&r), "-1");
	/* a byte load: [0, 255] */
	r = bvc_scalar_unknown();
	bvc_scalar_coerce(&r, 1);
	cr_assert_str_eq(text(&r), "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,"
				   "var_off=(0x0; 0xff))");
	/* mov32 zero-extends */
	b = bvc_scalar_srange(-1, 0);
	r = alu(bvc_scalar_unknown(), BVC_ALU | BVC_MOV | BVC_X, 0, 0, &b);
	cr_assert_eq(r.umax, 0xffffffff);
	cr_assert_eq(r.smin, 0);
}

Test(scalar_kernel, unknown_results)
{
	struct bvc_scalar r = bvc_scalar_urange(0, 10), k = bvc_scalar_urange(1, 2);

	/* shift by a non-constant, div, mod, neg, bswap: unknown in 6.12 */
	cr_assert(unknown(alu(r, BVC_ALU64 | BVC_LSH | BVC_X, 0, 0, &k)));
	cr_assert(unknown(alu(r, BVC_ALU64 | BVC_DIV | BVC_K, 0, 2, NULL)));
	cr_assert(unknown(alu(r, BVC_ALU | BVC_MOD | BVC_K, 1, 3, NULL)));
	cr_assert(unknown(alu(r, BVC_ALU64 | BVC_NEG, 0, 0, NULL)));
	cr_assert(unknown(alu(r, BVC_ALU | BVC_END | BVC_TO_BE, 0, 16, NULL)));
	cr_assert_str_eq(textv(bvc_scalar_unknown()), "scalar()");
	/* a constant shift is tracked */
	r = alu(r, BVC_ALU64 | BVC_LSH | BVC_K, 0, 2, NULL);
	cr_assert_eq(r.umax, 40);
	cr_assert_eq(r.var_off.mask, 0x3c);
}

Test(scalar_kernel, dead_branches)
{
	struct bvc_scalar a = bvc_scalar_urange(0, 10), b = bvc_scalar_const(20);
	struct bvc_scalar a2 = a, b2 = b, k10 = bvc_scalar_const(0x10);

	cr_assert_eq(bvc_scalar_branch_taken(&a, &b, BVC_JGT, false), 0);
	cr_assert_eq(bvc_scalar_branch_taken(&a, &b, BVC_JLT, false), 1);
	cr_assert_eq(bvc_scalar_branch_taken(&a, &b, BVC_JEQ, false), 0);
	cr_assert_eq(bvc_scalar_branch_taken(&a, &b, BVC_JNE, true), 1);
	cr_assert_eq(bvc_scalar_branch_taken(&a, &b, BVC_JSGE, true), 0);
	/* refining the impossible direction reports it */
	cr_assert(!bvc_scalar_refine(&a2, &b2, BVC_JGT, false));
	/* JSET against a constant: a & 0x10 is never set for [0, 10]... but
	 * the tnum (0; 0xf) decides it */
	cr_assert_eq(bvc_scalar_branch_taken(&a, &k10,
					     BVC_JSET, false), 0);
	cr_assert_eq(bvc_scalar_branch_taken(&a, &k10,
					     BVC_JSET_NOT, false), 1);
	/* JEQ on 64 bits decided by the 32-bit views */
	a = bvc_scalar_unknown();
	a.u32_max = 5;
	bvc_scalar_sync(&a);
	cr_assert_eq(bvc_scalar_branch_taken(&a, &b, BVC_JEQ, false), 0);
	/* r1 op r1: nothing changes */
	a = bvc_scalar_urange(3, 9);
	a2 = a;
	cr_assert(bvc_scalar_refine(&a, &a, BVC_JLT, false));
	cr_assert(bvc_scalar_equal(&a, &a2));
}

Test(scalar_kernel, refine_both_operands)
{
	struct bvc_scalar a = bvc_scalar_urange(0, 100), b = bvc_scalar_urange(50, 200);

	/* if a > b: a in [51, 100], b in [50, 99] */
	cr_assert(bvc_scalar_refine(&a, &b, BVC_JGT, false));
	cr_assert(a.umin == 51 && a.umax == 100, "%s", text(&a));
	cr_assert(b.umin == 50 && b.umax == 99, "%s", text(&b));
	/* if (s32)a < 0 on 32 bits: subreg negative */
	a = bvc_scalar_unknown();
	b = bvc_scalar_const(0);
	cr_assert(bvc_scalar_refine(&a, &b, BVC_JSLT, true));
	cr_assert_eq(a.s32_max, -1);
	cr_assert_eq(a.u32_min, 0x80000000u);
	/* JEQ makes both equal */
	a = bvc_scalar_urange(0, 100);
	b = bvc_scalar_urange(90, 1000);
	cr_assert(bvc_scalar_refine(&a, &b, BVC_JEQ, false));
	cr_assert(bvc_scalar_equal(&a, &b));
	cr_assert(a.umin == 90 && a.umax == 100);
	/* JNE against an edge constant */
	a = bvc_scalar_urange(0, 100);
	b = bvc_scalar_const(0);
	cr_assert(bvc_scalar_refine(&a, &b, BVC_JNE, false));
	cr_assert_eq(a.umin, 1);
	/* JSET with one bit sets it, JSET_NOT clears the bits */
	a = bvc_scalar_unknown();
	b = bvc_scalar_const(4);
	cr_assert(bvc_scalar_refine(&a, &b, BVC_JSET, false));
	cr_assert_eq(a.var_off.value, 4);
	a = bvc_scalar_urange(0, 255);
	cr_assert(bvc_scalar_refine(&a, &b, bvc_jmp_negate(BVC_JSET), false));
	cr_assert_eq(a.var_off.mask, 0xfb);
	/* the operands may come swapped: "10 < r1" */
	a = bvc_scalar_const(10);
	b = bvc_scalar_unknown();
	cr_assert(bvc_scalar_refine(&a, &b, BVC_JLT, false));
	cr_assert_eq(b.umin, 11);
}

Test(scalar_kernel, opcodes)
{
	cr_assert_eq(bvc_jmp_negate(BVC_JGT), BVC_JLE);
	cr_assert_eq(bvc_jmp_negate(BVC_JSLT), BVC_JSGE);
	cr_assert_eq(bvc_jmp_negate(BVC_JSET), BVC_JSET_NOT);
	cr_assert_eq(bvc_jmp_negate(BVC_JSET_NOT), BVC_JSET);
	cr_assert_eq(bvc_jmp_negate(BVC_JA), 0);
	cr_assert_eq(bvc_jmp_flip(BVC_JGE), BVC_JLE);
	cr_assert_eq(bvc_jmp_flip(BVC_JSGT), BVC_JSLT);
	cr_assert_eq(bvc_jmp_flip(BVC_JEQ), BVC_JEQ);
}

Test(scalar_kernel, log_text)
{
	struct bvc_scalar s;
	char buf[128];

	cr_assert_str_eq(textv(bvc_scalar_const(0)), "0");
	cr_assert_str_eq(textv(bvc_scalar_const(~0ull)), "-1");
	cr_assert_str_eq(textv(bvc_scalar_const(65535)), "0xffff");
	cr_assert_str_eq(textv(bvc_scalar_const(32767)), "32767");
	cr_assert_str_eq(textv(bvc_scalar_const(-32768)), "-32768");
	cr_assert_str_eq(textv(bvc_scalar_const(-32769)),
			 "0xffffffffffff7fff");
	/* any u32: umax=0xffffffff is also umax32's extreme, not printed */
	s = bvc_scalar_unknown();
	bvc_scalar_zext32(&s);
	bvc_scalar_sync(&s);
	cr_assert_str_eq(text(&s), "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
	/* sign-extended s32 */
	s = bvc_scalar_unknown();
	bvc_scalar_coerce_sx(&s, 4);
	cr_assert_str_eq(text(&s), "scalar(smin=0xffffffff80000000,smax=0x7fffffff)");
	/* negatives are not merged with positives; hex s32 is not sign-extended */
	s = bvc_scalar_srange(-100000, -5);
	cr_assert_str_eq(text(&s), "scalar(smin=0xfffffffffffe7960,smax=smax32=-5,"
				   "umin=0xfffffffffffe7960,umax=0xfffffffffffffffb,"
				   "smin32=umin32=0xfffe7960,umax32=0xfffffffb,"
				   "var_off=(0xfffffffffffe0000; 0x1ffff))");
	/* fields only, after an id */
	s = bvc_scalar_urange(1, 3);
	bvc_scalar_snprint_fields(buf, sizeof(buf), &s, ",");
	cr_assert_str_eq(buf, ",smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=3,"
			      "var_off=(0x0; 0x3)");
	cr_assert_eq(bvc_scalar_snprint(buf, 8, &s), (int)strlen("scalar(smin=umin=smin32=umin32=1,"
								"smax=umax=smax32=umax32=3,"
								"var_off=(0x0; 0x3))"));
	cr_assert_str_eq(buf, "scalar(");
	bvc_snum_snprint(buf, sizeof(buf), -40000);
	cr_assert_str_eq(buf, "0xffffffffffff63c0");
	bvc_unum_snprint(buf, sizeof(buf), 65535);
	cr_assert_str_eq(buf, "65535");
}

Test(scalar_kernel, invalid_insns)
{
	struct bvc_scalar d = bvc_scalar_urange(0, 7), s = bvc_scalar_const(1);
	struct bvc_insn bad[] = {
		mk(BVC_ALU64 | BVC_DIV | BVC_K, 0, 0),   /* div by zero */
		mk(BVC_ALU | BVC_LSH | BVC_K, 0, 32),    /* invalid shift */
		mk(BVC_ALU64 | BVC_ARSH | BVC_K, 0, -1), /* invalid shift */
		mk(BVC_ALU64 | BVC_ADD | BVC_X, 1, 0),   /* off only for div/mod */
		mk(BVC_ALU64 | BVC_END | BVC_TO_BE, 0, 16), /* bswap is TO_LE only */
		mk(BVC_ALU | BVC_END | BVC_TO_LE, 0, 8),
		mk(BVC_ALU | BVC_MOV | BVC_X, 32, 0),    /* movsx32 has no 32 */
		mk(BVC_ALU64 | BVC_MOV | BVC_X, 1, 1),   /* addr_space_cast */
		mk(BVC_ALU64 | 0xe0 | BVC_K, 0, 0),
		mk(BVC_JMP | BVC_ADD | BVC_K, 0, 0),
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bvc_scalar r = d;

		cr_assert_eq(bvc_scalar_alu(&r, &s, &bad[i]), -EINVAL, "insn %zu", i);
		cr_assert(bvc_scalar_equal(&r, &d));
	}
}

/* ---- the running kernel as a reference ----------------------------------- */

/*
 * Seeded random straight-line programs on two unknown registers (r6, r7):
 * K and X ALU ops of both widths, then optionally a conditional jump
 * between them or against a constant. The kernel's log (level 2) prints
 * each register's state; we parse it back into a scalar and require ours
 * to include it in every view: we may be less precise than the running
 * kernel (6.18 tracks more, e.g. NEG, BSWAP, DIV, signed MUL) but never
 * more, which would mean accepting what the kernel cannot prove, or an
 * unsound transfer. When we decide a branch the kernel must decide it too.
 * Exact text matches are counted and printed, not required (they depend on
 * the kernel version). Skipped where bpf() is not permitted.
 */

static struct bvc_kernel_result kres;

/* "scalar(id=1,smin=smin32=0,...,var_off=(0x0; 0xff))" or a number. */
static bool parse_kernel_scalar(const char *t, struct bvc_scalar *s)
{
	const char *names[8];
	int nn = 0, i;
	char *e;

	*s = bvc_scalar_unknown();
	if (strncmp(t, "scalar(", 7)) {
		uint64_t v = t[0] == '-' ? (uint64_t)strtoll(t, &e, 10) : strtoull(t, &e, 0);

		*s = bvc_scalar_const(v);
		return e != t;
	}
	t += 7;
	while (*t && *t != ')') {
		uint64_t v;

		if (!strncmp(t, "var_off=(", 9)) {
			s->var_off.value = strtoull(t + 9, &e, 16);
			if (strncmp(e, "; ", 2))
				return false;
			s->var_off.mask = strtoull(e + 2, &e, 16);
			t = e + (*e == ')');
		} else if (!strncmp(t, "id=", 3)) {
			t += strcspn(t, ",)");
		} else if (*t == '-' || (*t >= '0' && *t <= '9')) {
			v = t[0] == '-' ? (uint64_t)strtoll(t, &e, 10) : strtoull(t, &e, 0);
			for (i = 0; i < nn; i++) {
				const char *n = names[i];

				if (!strncmp(n, "smin=", 5)) s->smin = (int64_t)v;
				else if (!strncmp(n, "smax=", 5)) s->smax = (int64_t)v;
				else if (!strncmp(n, "umin=", 5)) s->umin = v;
				else if (!strncmp(n, "umax=", 5)) s->umax = v;
				else if (!strncmp(n, "smin32=", 7)) s->s32_min = (int32_t)(uint32_t)v;
				else if (!strncmp(n, "smax32=", 7)) s->s32_max = (int32_t)(uint32_t)v;
				else if (!strncmp(n, "umin32=", 7)) s->u32_min = (uint32_t)v;
				else if (!strncmp(n, "umax32=", 7)) s->u32_max = (uint32_t)v;
				else return false;
			}
			nn = 0;
			t = e;
		} else {
			if (nn == 8)
				return false;
			names[nn++] = t;
			t += strcspn(t, "=");
			if (!*t)
				return false;
			t++;
			continue;
		}
		if (*t == ',')
			t++;
	}
	return *t == ')';
}

/* The text of R<reg> on the log line that begins with @prefix. */
static bool kernel_reg(const char *log, const char *prefix, int reg, char *out, size_t size)
{
	const char *line = strstr(log, prefix), *end, *r;
	char key[8];
	size_t n;

	if (!line)
		return false;
	end = strchr(line + 1, '\n');
	snprintf(key, sizeof(key), " R%d=", reg);
	r = strstr(line, key);
	if (!r || (end && r > end))
		return false;
	r += strlen(key);
	if (!strncmp(r, "scalar(", 7)) {
		int depth = 0;

		/* up to the matching parenthesis: var_off's text has a space */
		for (n = 0; r[n] && r[n] != '\n'; n++) {
			depth += (r[n] == '(') - (r[n] == ')');
			if (r[n] == ')' && !depth) {
				n++;
				break;
			}
		}
	} else {
		n = strcspn(r, " \n");
	}
	if (n >= size)
		return false;
	memcpy(out, r, n);
	out[n] = '\0';
	return true;
}

static unsigned long long kcompared, kexact;

/* Ours must include the kernel's state of R<reg> on the line at @prefix. */
static void compare_kernel(const char *prefix, int reg, const struct bvc_scalar *ours,
			   const struct bvc_insn *prog, int n)
{
	char kt[256], ot[256];
	struct bvc_scalar k;
	int i;

	if (!kernel_reg(kres.log, prefix, reg, kt, sizeof(kt)))
		return; /* the kernel did not print it (e.g. a path it pruned) */
	kcompared++;
	if (!parse_kernel_scalar(kt, &k)) {
		fail("unparsable kernel text", NULL, NULL, NULL, 0, 0, 0);
		fprintf(stderr, "    %s\n", kt);
		return;
	}
	bvc_scalar_snprint(ot, sizeof(ot), ours);
	kexact += !strcmp(kt, ot) || (!strncmp(kt, "scalar(id=", 10) &&
				      !strcmp(strchr(kt, ',') ? strchr(kt, ',') + 1 : "", ot + 7));
	if (!bvc_scalar_within(ours, &k)) {
		fail("more precise than the kernel", ours, &k, NULL, (uint64_t)reg, 0, 0);
		fprintf(stderr, "    kernel R%d=%s\n    ours   R%d=%s\n", reg, kt, reg, ot);
		for (i = 0; i < n && fails <= 8; i++)
			fprintf(stderr, "    insn %d: code %#x dst %d src %d off %d imm %d\n", i,
				prog[i].code, prog[i].dst, prog[i].src, prog[i].off, prog[i].imm);
	}
}

Test(scalar_kernel, differential_vs_running_kernel)
{
	static const int32_t imms[] = { 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 0x7f, 0xff,
					0xfff, 0xffff, 100, 1000, 0x7fffffff, -1, -2, -8,
					-256, INT32_MIN };
	static const uint8_t aops[] = { BVC_ADD, BVC_SUB, BVC_MUL, BVC_AND, BVC_OR,
					BVC_XOR, BVC_LSH, BVC_RSH, BVC_ARSH, BVC_MOV,
					BVC_DIV, BVC_MOD, BVC_NEG, BVC_END };
	static const uint8_t jops[] = { BVC_JEQ, BVC_JNE, BVC_JGT, BVC_JGE, BVC_JLT, BVC_JLE,
					BVC_JSGT, BVC_JSGE, BVC_JSLT, BVC_JSLE, BVC_JSET };
	const int nimm = (int)(sizeof(imms) / sizeof(imms[0]));
	int it, programs = 0, we_decided = 0;

	rng = 0xd1ffd1ffull;
	for (it = 0; it < 2000; it++) {
		struct bvc_insn p[32];
		struct bvc_scalar r[2] = { bvc_scalar_unknown(), bvc_scalar_unknown() };
		int n = 0, k, nops = 1 + (int)(rnd() % 5), jump_at = -1, taken = -1;
		char prefix[64];

		/* r6, r7 = two unknowns (the copies get ids; the parser skips them) */
		p[n++] = I_CALL(7);
		p[n++] = I_MOV64_REG(6, 0);
		p[n++] = I_CALL(7);
		p[n++] = I_MOV64_REG(7, 0);
		for (k = 0; k < nops; k++) {
			uint8_t op = aops[rnd() % sizeof(aops)];
			bool a64 = rnd() & 1, x = (rnd() % 4) == 0;
			int d = (int)(rnd() & 1);
			int32_t imm = imms[rnd() % (uint64_t)nimm];
			int16_t off = 0;
			uint8_t code = (a64 ? BVC_ALU64 : BVC_ALU) | op | (x ? BVC_X : BVC_K);
			struct bvc_insn in;

			if (op == BVC_LSH || op == BVC_RSH || op == BVC_ARSH)
				imm = (int32_t)(rnd() % (a64 ? 64 : 32));
			if (op == BVC_DIV || op == BVC_MOD) {
				off = (int16_t)(rnd() & 1);
				if (!imm)
					imm = 3;
			}
			if (op == BVC_NEG) {
				code = (a64 ? BVC_ALU64 : BVC_ALU) | BVC_NEG;
				imm = 0;
				x = false;
			}
			if (op == BVC_END) {
				imm = 16 << (rnd() % 3);
				code = a64 ? BVC_ALU64 | BVC_END
					   : BVC_ALU | BVC_END | ((rnd() & 1) ? BVC_TO_BE : BVC_TO_LE);
				x = false;
			}
			if (op == BVC_MOV) {
				/* mov K, mov32, movsx from the other register */
				static const int16_t sx64[] = { 8, 16, 32 }, sx32[] = { 0, 8, 16 };

				if (x)
					off = a64 ? sx64[rnd() % 3] : sx32[rnd() % 3];
				if (x)
					imm = 0;
			}
			if (x && op != BVC_MOV)
				imm = 0;
			in = I_RAW(code, 6 + d, x ? 6 + !d : 0, off, imm);
			cr_assert_eq(bvc_scalar_alu(&r[d], &r[!d], &in), 0);
			p[n++] = in;
		}
		if (rnd() & 1) {
			uint8_t jop = jops[rnd() % sizeof(jops)];
			bool j32 = rnd() & 1, x = rnd() & 1;
			int32_t imm = x ? 0 : imms[rnd() % (uint64_t)nimm];
			struct bvc_scalar kk = bvc_scalar_const((uint64_t)(int64_t)imm);
			struct bvc_scalar *src = x ? &r[1] : &kk;
			struct bvc_scalar t0 = r[0], t1 = *src, f0 = r[0], f1 = *src;

			taken = bvc_scalar_branch_taken(&r[0], src, jop, j32);
			if (taken < 0) {
				bvc_scalar_refine(&t0, &t1, jop, j32);
				bvc_scalar_refine(&f0, &f1, bvc_jmp_negate(jop), j32);
			}
			jump_at = n;
			/* goto +0: both directions continue at the next insn */
			p[n++] = I_RAW((j32 ? BVC_JMP32 : BVC_JMP) | jop | (x ? BVC_X : BVC_K), 6,
				       x ? 7 : 0, 0, imm);
			p[n++] = I_MOV64_IMM(0, 0);
			p[n++] = I_EXIT();
			bvc_kernel_load(p, (size_t)n, 1 /* socket filter */, 2, &kres);
			if (!kres.available)
				cr_skip_test("bpf() not permitted here");
			programs++;
			snprintf(prefix, sizeof(prefix), "\n%d: (", jump_at);
			if (taken < 0) {
				/* fall-through state on the jump's line, taken at "from" */
				compare_kernel(prefix, 6, &f0, p, n);
				if (x)
					compare_kernel(prefix, 7, &f1, p, n);
				snprintf(prefix, sizeof(prefix), "from %d to %d: ", jump_at,
					 jump_at + 1);
				compare_kernel(prefix, 6, &t0, p, n);
				if (x)
					compare_kernel(prefix, 7, &t1, p, n);
			} else {
				we_decided++;
				snprintf(prefix, sizeof(prefix), "from %d to ", jump_at);
				checks++;
				if (strstr(kres.log, prefix))
					fail("decided a branch the kernel explores", &r[0], src, NULL,
					     jop, (uint64_t)imm, (uint64_t)taken);
			}
			continue;
		}
		p[n++] = I_MOV64_IMM(0, 0);
		p[n++] = I_EXIT();
		bvc_kernel_load(p, (size_t)n, 1, 2, &kres);
		if (!kres.available)
			cr_skip_test("bpf() not permitted here");
		programs++;
		/* the last ALU insn's line shows its destination */
		snprintf(prefix, sizeof(prefix), "\n%d: (", n - 3);
		compare_kernel(prefix, p[n - 3].dst, &r[p[n - 3].dst - 6], p, n);
	}
	fprintf(stderr,
		"kernel differential: %d programs, %llu register states compared, %llu identical "
		"text, %d branches we decided\n",
		programs, kcompared, kexact, we_decided);
	cr_assert_eq(fails, 0, "%llu disagreements with the kernel", fails);
	cr_assert_gt(kcompared, (unsigned long long)programs / 2, "log lines not found");
}
