/* SPDX-License-Identifier: MIT */
/*
 * tnum: tracked numbers, the verifier's per-bit knowledge of a value.
 *
 * Semantics are those of the Linux verifier's kernel/bpf/tnum.c (read for
 * semantics only; this is an independent implementation), so a bpfvc log and
 * a kernel log agree on var_off. The add/sub/mul algorithms are the published
 * ones (Vishwanathan et al., "Sound, Precise, and Fast Abstract Interpretation
 * with Tristate Numbers", CGO 2022, arXiv:2105.05398).
 *
 * Must not: allocate, print, keep state, or shift by >= 64 (C UB; the
 * kernel's versions assume their callers never do, ours define it).
 * Everything wraps in unsigned arithmetic.
 */
#include <inttypes.h>
#include <stdio.h>

#include "bpfvc/tnum.h"

#define TN(v, m) ((struct bvc_tnum){ .value = (v), .mask = (m) })

/* The largest number the kernel log prints in decimal (U16_MAX). */
#define TNUM_UNUM_MAX_DECIMAL 0xffffu

/* Index of the highest set bit plus one; 0 for 0. */
static unsigned int fls64(uint64_t x)
{
	return x ? 64u - (unsigned int)__builtin_clzll(x) : 0u;
}

/* The tnum whose only member is @value. */
struct bvc_tnum bvc_tnum_const(uint64_t value)
{
	return TN(value, 0);
}

/* The tnum holding every 64-bit value. */
struct bvc_tnum bvc_tnum_unknown(void)
{
	return TN(0, UINT64_MAX);
}

/* Bits above the highest bit where min and max differ are shared by every
 * value in between; everything below it may take any value. */
struct bvc_tnum bvc_tnum_range(uint64_t min, uint64_t max)
{
	unsigned int bits = fls64(min ^ max);
	uint64_t delta;

	if (bits > 63)
		return bvc_tnum_unknown();
	delta = (1ull << bits) - 1;
	return TN(min & ~delta, delta);
}

/* a << shift, known zeros shifted in; 0 past the width. */
struct bvc_tnum bvc_tnum_lshift(struct bvc_tnum a, unsigned int shift)
{
	if (shift > 63)
		return TN(0, 0);
	return TN(a.value << shift, a.mask << shift);
}

/* a >> shift, known zeros shifted in; 0 past the width. */
struct bvc_tnum bvc_tnum_rshift(struct bvc_tnum a, unsigned int shift)
{
	if (shift > 63)
		return TN(0, 0);
	return TN(a.value >> shift, a.mask >> shift);
}

/* Arithmetic shift of a 64-bit pattern, done on unsigned values. */
static uint64_t sar64(uint64_t x, unsigned int shift)
{
	if (!shift)
		return x;
	if (x >> 63)
		return (x >> shift) | ~(UINT64_MAX >> shift);
	return x >> shift;
}

/* Arithmetic shift of a 32-bit pattern, done on unsigned values. */
static uint32_t sar32(uint32_t x, unsigned int shift)
{
	if (!shift)
		return x;
	if (x >> 31)
		return (x >> shift) | ~(UINT32_MAX >> shift);
	return x >> shift;
}

/* Shifting value and mask each with sign fill is exact per bit: an unknown
 * sign bit spreads as unknown, a known one as known. */
struct bvc_tnum bvc_tnum_arshift(struct bvc_tnum a, unsigned int min_shift,
				 unsigned int bitness)
{
	if (bitness == 32) {
		if (min_shift > 31)
			min_shift = 31;
		return TN(sar32((uint32_t)a.value, min_shift),
			  sar32((uint32_t)a.mask, min_shift));
	}
	if (min_shift > 63)
		min_shift = 63;
	return TN(sar64(a.value, min_shift), sar64(a.mask, min_shift));
}

/* Known sum of the known parts; every bit a carry can differ on is unknown
 * (chi: where the lowest and the highest possible sums differ). */
struct bvc_tnum bvc_tnum_add(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t sm = a.mask + b.mask;
	uint64_t sv = a.value + b.value;
	uint64_t sigma = sm + sv;
	uint64_t chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;

	return TN(sv & ~mu, mu);
}

/* Like add: the borrow can only reach bits where the extreme differences
 * (alpha: largest, beta: smallest) differ. */
struct bvc_tnum bvc_tnum_sub(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask;
	uint64_t beta = dv - b.mask;
	uint64_t chi = alpha ^ beta;
	uint64_t mu = chi | a.mask | b.mask;

	return TN(dv & ~mu, mu);
}

/* 0 - a. */
struct bvc_tnum bvc_tnum_neg(struct bvc_tnum a)
{
	return bvc_tnum_sub(TN(0, 0), a);
}

/* A result bit is known 1 when both are known 1, unknown when both may be 1. */
struct bvc_tnum bvc_tnum_and(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t alpha = a.value | a.mask;
	uint64_t beta = b.value | b.mask;
	uint64_t v = a.value & b.value;

	return TN(v, alpha & beta & ~v);
}

/* A result bit is known 1 when either is known 1, unknown when either may be. */
struct bvc_tnum bvc_tnum_or(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask | b.mask;

	return TN(v, mu & ~v);
}

/* A result bit is known exactly when both operand bits are. */
struct bvc_tnum bvc_tnum_xor(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t v = a.value ^ b.value;
	uint64_t mu = a.mask | b.mask;

	return TN(v & ~mu, mu);
}

/* Shift-and-add over the bits of a: the product of the known parts is exact;
 * the uncertain partial products are summed apart (as masks) and joined
 * with one final tnum add, which keeps the carries' uncertainty small. */
struct bvc_tnum bvc_tnum_mul(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t acc_v = a.value * b.value;
	struct bvc_tnum acc_m = TN(0, 0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = bvc_tnum_add(acc_m, TN(0, b.mask));
		else if (a.mask & 1)
			acc_m = bvc_tnum_add(acc_m, TN(0, b.value | b.mask));
		a = bvc_tnum_rshift(a, 1);
		b = bvc_tnum_lshift(b, 1);
	}
	return bvc_tnum_add(TN(acc_v, 0), acc_m);
}

/* Known bits of either; unknown only where both are unknown. */
struct bvc_tnum bvc_tnum_intersect(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask & b.mask;

	return TN(v & ~mu, mu);
}

/* Unknown where either is unknown or the two known bits differ. */
struct bvc_tnum bvc_tnum_union(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t mu = a.mask | b.mask | (a.value ^ b.value);

	return TN(a.value & ~mu, mu);
}

/* a with every bit from byte @size upwards known 0. */
struct bvc_tnum bvc_tnum_cast(struct bvc_tnum a, unsigned int size)
{
	uint64_t keep = size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;

	return TN(a.value & keep, a.mask & keep);
}

/* No member has a bit set below @size (a power of 2). */
bool bvc_tnum_is_aligned(struct bvc_tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

/* b's unknown bits are unknown in a, and b agrees with a on a's known bits. */
bool bvc_tnum_in(struct bvc_tnum a, struct bvc_tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	return a.value == (b.value & ~a.mask);
}

/* Some value fits both: they agree wherever both are known. */
bool bvc_tnum_overlap(struct bvc_tnum a, struct bvc_tnum b)
{
	uint64_t mu = ~a.mask & ~b.mask;

	return (a.value & mu) == (b.value & mu);
}

/* x agrees with a on a's known bits. */
bool bvc_tnum_contains(struct bvc_tnum a, uint64_t x)
{
	return (x & ~a.mask) == a.value;
}

/* No unknown bit. */
bool bvc_tnum_is_const(struct bvc_tnum a)
{
	return !a.mask;
}

/* Every bit unknown. */
bool bvc_tnum_is_unknown(struct bvc_tnum a)
{
	return !~a.mask;
}

/* Known and equal to v. */
bool bvc_tnum_equals_const(struct bvc_tnum a, uint64_t v)
{
	return !a.mask && a.value == v;
}

/* The low 32 bits, zero-extended. */
struct bvc_tnum bvc_tnum_subreg(struct bvc_tnum a)
{
	return bvc_tnum_cast(a, 4);
}

/* The high 32 bits, low 32 known 0. */
struct bvc_tnum bvc_tnum_clear_subreg(struct bvc_tnum a)
{
	return bvc_tnum_lshift(bvc_tnum_rshift(a, 32), 32);
}

/* High 32 bits of reg, low 32 bits of subreg. */
struct bvc_tnum bvc_tnum_with_subreg(struct bvc_tnum reg, struct bvc_tnum subreg)
{
	return bvc_tnum_or(bvc_tnum_clear_subreg(reg), bvc_tnum_subreg(subreg));
}

/* High 32 bits of a, low 32 bits known to be value. */
struct bvc_tnum bvc_tnum_const_subreg(struct bvc_tnum a, uint32_t value)
{
	return bvc_tnum_with_subreg(a, bvc_tnum_const(value));
}

/* No unknown bit in the low 32. */
bool bvc_tnum_subreg_is_const(struct bvc_tnum a)
{
	return !(uint32_t)a.mask;
}

/* The kernel prints through its own vsnprintf, where "%#llx" of 0 is "0x0";
 * glibc prints "0", so the 0x is spelled out. */
int bvc_tnum_snprint(char *buf, size_t size, struct bvc_tnum a)
{
	if (!a.mask) {
		if (a.value <= TNUM_UNUM_MAX_DECIMAL)
			return snprintf(buf, size, "%" PRIu64, a.value);
		return snprintf(buf, size, "0x%" PRIx64, a.value);
	}
	return snprintf(buf, size, "(0x%" PRIx64 "; 0x%" PRIx64 ")", a.value, a.mask);
}

/* One character per bit, most significant first. */
int bvc_tnum_sbin(char *buf, size_t size, struct bvc_tnum a)
{
	size_t n;

	if (!size)
		return 64;
	for (n = 0; n < 64 && n < size - 1; n++) {
		uint64_t bit = 1ull << (63 - n);

		buf[n] = (a.mask & bit) ? 'x' : (a.value & bit) ? '1' : '0';
	}
	buf[n] = '\0';
	return 64;
}
