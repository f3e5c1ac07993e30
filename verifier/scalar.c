/* SPDX-License-Identifier: MIT */
/*
 * scalar: the verifier's abstract value of a number in a register - a tnum
 * and four ranges (s64, u64, s32, u32) that each over-approximate the same
 * set of values - and the transfer functions on it: bounds sync, ALU ops,
 * zero/sign extension, branch prediction and branch refinement, join,
 * inclusion (for pruning) and the kernel log's text.
 *
 * Semantics are the Linux 6.12 verifier's (kernel/bpf/verifier.c and
 * log.c, read for semantics only; this is an independent implementation),
 * so that our verdicts and logs agree with the kernel's. Where the kernel is
 * imprecise we are equally imprecise: being more precise would accept
 * programs the kernel rejects. Where a newer kernel is more precise we may
 * be less; we are never unsound (tests/scalar checks every op against
 * concrete execution on small domains).
 *
 * Must not: allocate, print, keep state, or invoke C undefined behaviour.
 * The kernel relies on wrapping signed arithmetic (-fno-strict-overflow);
 * here every wrap is done on unsigned values, every overflow is detected
 * before it happens, and no shift count reaches the width.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/scalar.h"

/* The kernel log prints numbers in this range in decimal, others in hex. */
#define SNUM_MIN_DECIMAL (-32768)
#define SNUM_MAX_DECIMAL 32767
#define UNUM_MAX_DECIMAL 65535u
/* Bound on repeated sync passes (see bvc_scalar_sync()). */
#define SYNC_MAX_PASSES 16

/* ---- small helpers: min/max per type, two's complement views ---------- */

/* The larger of two u64. */
static uint64_t u64_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The smaller of two u64. */
static uint64_t u64_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The larger of two s64. */
static int64_t s64_max(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The smaller of two s64. */
static int64_t s64_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The larger of two u32. */
static uint32_t u32_max(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* The smaller of two u32. */
static uint32_t u32_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The larger of two s32. */
static int32_t s32_max(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

/* The smaller of two s32. */
static int32_t s32_min(int32_t a, int32_t b)
{
	return a < b ? a : b;
}

/* A 64-bit pattern read as signed (GCC and Clang define this as modulo). */
static int64_t as_s64(uint64_t x)
{
	return (int64_t)x;
}

/* The low 32 bits of a pattern read as signed. */
static int32_t as_s32(uint64_t x)
{
	return (int32_t)(uint32_t)x;
}

/* The low @bits bits of x sign-extended to 64 (bits 1..64). */
static int64_t sext(uint64_t x, unsigned int bits)
{
	uint64_t sign = 1ull << (bits - 1);

	if (bits < 64)
		x &= (sign << 1) - 1;
	return as_s64((x ^ sign) - sign);
}

/* Arithmetic right shift of a signed 64-bit value, shift < 64. */
static int64_t sar64(int64_t x, unsigned int shift)
{
	uint64_t u = (uint64_t)x;

	if (shift && x < 0)
		return as_s64((u >> shift) | ~(UINT64_MAX >> shift));
	return as_s64(u >> shift);
}

/* Arithmetic right shift of a signed 32-bit value, shift < 32. */
static int32_t sar32(int32_t x, unsigned int shift)
{
	uint32_t u = (uint32_t)x;

	if (shift && x < 0)
		return as_s32((u >> shift) | ~(UINT32_MAX >> shift));
	return as_s32(u >> shift);
}

/* *r = a + b; true when the signed 64-bit sum overflowed. */
static bool s64_add_ovf(int64_t a, int64_t b, int64_t *r)
{
	*r = as_s64((uint64_t)a + (uint64_t)b);
	return ((a ^ *r) & (b ^ *r)) < 0;
}

/* *r = a - b; true when the signed 64-bit difference overflowed. */
static bool s64_sub_ovf(int64_t a, int64_t b, int64_t *r)
{
	*r = as_s64((uint64_t)a - (uint64_t)b);
	return ((a ^ b) & (a ^ *r)) < 0;
}

/* *r = a + b; true when the signed 32-bit sum overflowed. */
static bool s32_add_ovf(int32_t a, int32_t b, int32_t *r)
{
	int64_t w = (int64_t)a + b;

	*r = as_s32((uint64_t)w);
	return w < INT32_MIN || w > INT32_MAX;
}

/* *r = a - b; true when the signed 32-bit difference overflowed. */
static bool s32_sub_ovf(int32_t a, int32_t b, int32_t *r)
{
	int64_t w = (int64_t)a - b;

	*r = as_s32((uint64_t)w);
	return w < INT32_MIN || w > INT32_MAX;
}

/* ---- construction and queries ---------------------------------------- */

/* Reset the 64-bit ranges to the whole type. */
static void mark64_unbounded(struct bvc_scalar *s)
{
	s->smin = INT64_MIN;
	s->smax = INT64_MAX;
	s->umin = 0;
	s->umax = UINT64_MAX;
}

/* Reset the 32-bit ranges to the whole type. */
static void mark32_unbounded(struct bvc_scalar *s)
{
	s->s32_min = INT32_MIN;
	s->s32_max = INT32_MAX;
	s->u32_min = 0;
	s->u32_max = UINT32_MAX;
}

/* All ranges unbounded, tnum kept. */
void bvc_scalar_mark_unbounded(struct bvc_scalar *s)
{
	mark64_unbounded(s);
	mark32_unbounded(s);
}

/* Nothing known. */
struct bvc_scalar bvc_scalar_unknown(void)
{
	struct bvc_scalar s;

	s.var_off = bvc_tnum_unknown();
	bvc_scalar_mark_unbounded(&s);
	return s;
}

/* Exactly v in every view. */
struct bvc_scalar bvc_scalar_const(uint64_t v)
{
	struct bvc_scalar s;

	s.var_off = bvc_tnum_const(v);
	s.smin = s.smax = as_s64(v);
	s.umin = s.umax = v;
	s.s32_min = s.s32_max = as_s32(v);
	s.u32_min = s.u32_max = (uint32_t)v;
	return s;
}

/* [umin, umax] unsigned, synced into the other views. */
struct bvc_scalar bvc_scalar_urange(uint64_t umin, uint64_t umax)
{
	struct bvc_scalar s = bvc_scalar_unknown();

	s.umin = u64_min(umin, umax);
	s.umax = u64_max(umin, umax);
	bvc_scalar_sync(&s);
	return s;
}

/* [smin, smax] signed, synced into the other views. */
struct bvc_scalar bvc_scalar_srange(int64_t smin, int64_t smax)
{
	struct bvc_scalar s = bvc_scalar_unknown();

	s.smin = s64_min(smin, smax);
	s.smax = s64_max(smin, smax);
	bvc_scalar_sync(&s);
	return s;
}

/* Low 32 bits exactly v; high tnum bits and 64-bit ranges untouched. */
void bvc_scalar_set_const32(struct bvc_scalar *s, uint32_t v)
{
	s->var_off = bvc_tnum_const_subreg(s->var_off, v);
	s->s32_min = s->s32_max = as_s32(v);
	s->u32_min = s->u32_max = v;
}

/* The tnum has one member. */
bool bvc_scalar_is_const(const struct bvc_scalar *s)
{
	return bvc_tnum_is_const(s->var_off);
}

/* The tnum's low 32 bits are known. */
bool bvc_scalar_is_const32(const struct bvc_scalar *s)
{
	return bvc_tnum_subreg_is_const(s->var_off);
}

/* Unknown tnum and every range the whole type. */
bool bvc_scalar_is_unknown(const struct bvc_scalar *s)
{
	return bvc_tnum_is_unknown(s->var_off) &&
	       s->smin == INT64_MIN && s->smax == INT64_MAX &&
	       s->umin == 0 && s->umax == UINT64_MAX &&
	       s->s32_min == INT32_MIN && s->s32_max == INT32_MAX &&
	       s->u32_min == 0 && s->u32_max == UINT32_MAX;
}

/* Field by field (no padding compare). */
bool bvc_scalar_equal(const struct bvc_scalar *a, const struct bvc_scalar *b)
{
	return a->var_off.value == b->var_off.value &&
	       a->var_off.mask == b->var_off.mask &&
	       a->smin == b->smin && a->smax == b->smax &&
	       a->umin == b->umin && a->umax == b->umax &&
	       a->s32_min == b->s32_min && a->s32_max == b->s32_max &&
	       a->u32_min == b->u32_min && a->u32_max == b->u32_max;
}

/* Ranges non-empty; a constant tnum (either width) equals its ranges. */
bool bvc_scalar_is_valid(const struct bvc_scalar *s)
{
	if (s->umin > s->umax || s->smin > s->smax ||
	    s->u32_min > s->u32_max || s->s32_min > s->s32_max)
		return false;
	if (bvc_tnum_is_const(s->var_off)) {
		uint64_t v = s->var_off.value;

		if (s->umin != v || s->umax != v ||
		    s->smin != as_s64(v) || s->smax != as_s64(v))
			return false;
	}
	if (bvc_tnum_subreg_is_const(s->var_off)) {
		uint32_t v = (uint32_t)s->var_off.value;

		if (s->u32_min != v || s->u32_max != v ||
		    s->s32_min != as_s32(v) || s->s32_max != as_s32(v))
			return false;
	}
	return true;
}

/* ---- bounds sync (reg_bounds_sync) ----------------------------------- */

/* 32-bit ranges from the tnum's low half: the smallest signed value has the
 * sign bit set if it may be, the largest has every other unknown bit set. */
static void update_bounds32(struct bvc_scalar *s)
{
	struct bvc_tnum t = bvc_tnum_subreg(s->var_off);

	s->s32_min = s32_max(s->s32_min, as_s32(t.value | (t.mask & 0x80000000u)));
	s->s32_max = s32_min(s->s32_max, as_s32(t.value | (t.mask & 0x7fffffffu)));
	s->u32_min = u32_max(s->u32_min, (uint32_t)t.value);
	s->u32_max = u32_min(s->u32_max, (uint32_t)(t.value | t.mask));
}

/* 64-bit ranges from the tnum, same reasoning. */
static void update_bounds64(struct bvc_scalar *s)
{
	struct bvc_tnum t = s->var_off;

	s->smin = s64_max(s->smin, as_s64(t.value | (t.mask & (1ull << 63))));
	s->smax = s64_min(s->smax, as_s64(t.value | (t.mask & INT64_MAX)));
	s->umin = u64_max(s->umin, t.value);
	s->umax = u64_min(s->umax, t.value | t.mask);
}

/* Ranges from the tnum, both widths (__update_reg_bounds). */
static void update_bounds(struct bvc_scalar *s)
{
	update_bounds32(s);
	update_bounds64(s);
}

/* 32-bit ranges from the 64-bit ones and from each other. The low halves of
 * a 64-bit range form a range only when the high halves do not change (or
 * step by one while the low half crosses the s32 sign); u32 and s32 agree
 * when the range does not cross the respective sign boundary. */
static void deduce_bounds32(struct bvc_scalar *s)
{
	if ((s->umin >> 32) == (s->umax >> 32)) {
		s->u32_min = u32_max(s->u32_min, (uint32_t)s->umin);
		s->u32_max = u32_min(s->u32_max, (uint32_t)s->umax);
		if (as_s32(s->umin) <= as_s32(s->umax)) {
			s->s32_min = s32_max(s->s32_min, as_s32(s->umin));
			s->s32_max = s32_min(s->s32_max, as_s32(s->umax));
		}
	}
	if (((uint64_t)s->smin >> 32) == ((uint64_t)s->smax >> 32)) {
		if ((uint32_t)s->smin <= (uint32_t)s->smax) {
			s->u32_min = u32_max(s->u32_min, (uint32_t)s->smin);
			s->u32_max = u32_min(s->u32_max, (uint32_t)s->smax);
		}
		if (as_s32((uint64_t)s->smin) <= as_s32((uint64_t)s->smax)) {
			s->s32_min = s32_max(s->s32_min, as_s32((uint64_t)s->smin));
			s->s32_max = s32_min(s->s32_max, as_s32((uint64_t)s->smax));
		}
	}
	/* High halves n and n + 1 (mod 2^32), low half going from negative
	 * to non-negative: the low halves form one s32 range. */
	if ((uint32_t)(s->umin >> 32) + 1u == (uint32_t)(s->umax >> 32) &&
	    as_s32(s->umin) < 0 && as_s32(s->umax) >= 0) {
		s->s32_min = s32_max(s->s32_min, as_s32(s->umin));
		s->s32_max = s32_min(s->s32_max, as_s32(s->umax));
	}
	if ((uint32_t)((uint64_t)s->smin >> 32) + 1u == (uint32_t)((uint64_t)s->smax >> 32) &&
	    as_s32((uint64_t)s->smin) < 0 && as_s32((uint64_t)s->smax) >= 0) {
		s->s32_min = s32_max(s->s32_min, as_s32((uint64_t)s->smin));
		s->s32_max = s32_min(s->s32_max, as_s32((uint64_t)s->smax));
	}
	/* u32 on one side of the s32 sign boundary is also an s32 range. */
	if (as_s32(s->u32_min) <= as_s32(s->u32_max)) {
		s->s32_min = s32_max(s->s32_min, as_s32(s->u32_min));
		s->s32_max = s32_min(s->s32_max, as_s32(s->u32_max));
	}
	if ((uint32_t)s->s32_min <= (uint32_t)s->s32_max) {
		/* s32 on one side of the u32 wrap: the same values as u32. */
		s->u32_min = u32_max((uint32_t)s->s32_min, s->u32_min);
		s->u32_max = u32_min((uint32_t)s->s32_max, s->u32_max);
	} else if (s->u32_max < (uint32_t)s->s32_min) {
		/* s32 wraps, u32 overlaps only its non-negative part. */
		s->s32_min = as_s32(s->u32_min);
		s->u32_max = u32_min(s->u32_max, (uint32_t)s->s32_max);
	} else if ((uint32_t)s->s32_max < s->u32_min) {
		/* s32 wraps, u32 overlaps only its negative part. */
		s->s32_max = as_s32(s->u32_max);
		s->u32_min = u32_max(s->u32_min, (uint32_t)s->s32_min);
	}
}

/* s64 and u64 from each other: the same reasoning one width up. */
static void deduce_bounds64(struct bvc_scalar *s)
{
	if (as_s64(s->umin) <= as_s64(s->umax)) {
		s->smin = s64_max(s->smin, as_s64(s->umin));
		s->smax = s64_min(s->smax, as_s64(s->umax));
	}
	if ((uint64_t)s->smin <= (uint64_t)s->smax) {
		s->umin = u64_max((uint64_t)s->smin, s->umin);
		s->umax = u64_min((uint64_t)s->smax, s->umax);
	} else if (s->umax < (uint64_t)s->smin) {
		s->smin = as_s64(s->umin);
		s->umax = u64_min(s->umax, (uint64_t)s->smax);
	} else if ((uint64_t)s->smax < s->umin) {
		s->smax = as_s64(s->umax);
		s->umin = u64_max(s->umin, (uint64_t)s->smin);
	}
}

/* 64-bit ranges from 32-bit ones: the low half of the 64-bit bounds can be
 * replaced by the 32-bit bounds (the results stay well-formed ranges). */
static void deduce_mixed_bounds(struct bvc_scalar *s)
{
	const uint64_t hi = ~0xffffffffull;
	uint64_t nu_min, nu_max;

	nu_min = (s->umin & hi) | s->u32_min;
	nu_max = (s->umax & hi) | s->u32_max;
	s->umin = u64_max(s->umin, nu_min);
	s->umax = u64_min(s->umax, nu_max);
	nu_min = ((uint64_t)s->smin & hi) | s->u32_min;
	nu_max = ((uint64_t)s->smax & hi) | s->u32_max;
	s->smin = s64_max(s->smin, as_s64(nu_min));
	s->smax = s64_min(s->smax, as_s64(nu_max));

	if ((uint32_t)s->s32_min <= (uint32_t)s->s32_max) {
		nu_min = (s->umin & hi) | (uint32_t)s->s32_min;
		nu_max = (s->umax & hi) | (uint32_t)s->s32_max;
		s->umin = u64_max(s->umin, nu_min);
		s->umax = u64_min(s->umax, nu_max);
		nu_min = ((uint64_t)s->smin & hi) | (uint32_t)s->s32_min;
		nu_max = ((uint64_t)s->smax & hi) | (uint32_t)s->s32_max;
		s->smin = s64_max(s->smin, as_s64(nu_min));
		s->smax = s64_min(s->smax, as_s64(nu_max));
	}

	/* After a sign-extending load: a value in [S32_MIN, S32_MAX] whose low
	 * half is a non-negative s32 is that s32 itself. */
	if (s->s32_min >= 0 && s->smin >= INT32_MIN && s->smax <= INT32_MAX) {
		s->smin = s->s32_min;
		s->smax = s->s32_max;
		s->umin = (uint64_t)s->s32_min;
		s->umax = (uint64_t)s->s32_max;
		s->var_off = bvc_tnum_intersect(s->var_off,
						bvc_tnum_range((uint64_t)s->smin,
							       (uint64_t)s->smax));
	}
}

/* One round of range-to-range deduction (__reg_deduce_bounds). */
static void deduce_bounds(struct bvc_scalar *s)
{
	deduce_bounds32(s);
	deduce_bounds64(s);
	deduce_mixed_bounds(s);
}

/* Known bits from the unsigned ranges (__reg_bound_offset). */
static void bound_offset(struct bvc_scalar *s)
{
	struct bvc_tnum t64 = bvc_tnum_intersect(s->var_off,
						 bvc_tnum_range(s->umin, s->umax));
	struct bvc_tnum t32 = bvc_tnum_intersect(bvc_tnum_subreg(t64),
						 bvc_tnum_range(s->u32_min, s->u32_max));

	s->var_off = bvc_tnum_or(bvc_tnum_clear_subreg(t64), t32);
}

/* One kernel reg_bounds_sync(): tnum -> ranges, three rounds of ranges ->
 * ranges, ranges -> tnum, and the (possibly narrower) tnum -> ranges. */
static void sync_once(struct bvc_scalar *s)
{
	update_bounds(s);
	deduce_bounds(s);
	deduce_bounds(s);
	deduce_bounds(s);
	bound_offset(s);
	update_bounds(s);
}

/* The kernel's pass repeated until nothing changes. One pass is not
 * idempotent (its last tnum -> ranges step can enable another ranges ->
 * tnum step, e.g. ranges [27, 27] left with tnum (0x1b; 0x4)); repeating
 * makes syncing a synced value a no-op, so equal sets compare equal when
 * pruning. Nearly always the first pass is the fixpoint (then our bounds
 * are the kernel's exactly); at most three passes were seen on values that
 * have members. The cap guards contradictory (empty) values. */
void bvc_scalar_sync(struct bvc_scalar *s)
{
	struct bvc_scalar prev;
	int i;

	for (i = 0; i < SYNC_MAX_PASSES; i++) {
		prev = *s;
		sync_once(s);
		if (bvc_scalar_equal(&prev, s))
			return;
	}
}

/* ---- width changes ---------------------------------------------------- */

/* The 32-bit views become the 64-bit ones; s32 carries over only when it is
 * non-negative, else [0, U32_MAX] until a later sync narrows it. */
void bvc_scalar_zext32(struct bvc_scalar *s)
{
	s->var_off = bvc_tnum_subreg(s->var_off);
	s->umin = s->u32_min;
	s->umax = s->u32_max;
	if (s->s32_min >= 0 && s->s32_max >= 0) {
		s->smin = s->s32_min;
		s->smax = s->s32_max;
	} else {
		s->smin = 0;
		s->smax = UINT32_MAX;
	}
}

/* Truncation keeps the unsigned range only when the dropped high bits are
 * the same at both ends. */
void bvc_scalar_coerce(struct bvc_scalar *s, int size)
{
	uint64_t mask;

	if (size < 1 || size >= 8)
		return;
	mask = (1ull << (size * 8)) - 1;
	s->var_off = bvc_tnum_cast(s->var_off, (unsigned int)size);
	if ((s->umin & ~mask) == (s->umax & ~mask)) {
		s->umin &= mask;
		s->umax &= mask;
	} else {
		s->umin = 0;
		s->umax = mask;
	}
	s->smin = as_s64(s->umin);
	s->smax = as_s64(s->umax);
	if (size < 4)
		mark32_unbounded(s);
	bvc_scalar_sync(s);
}

/* Sign extension of @size bytes is monotonic on each side of the narrow
 * sign bit, so a signed range whose high bits do not change and whose ends
 * extend to the same sign maps to [ext(min), ext(max)]; else the whole
 * narrow signed range (set_sext64_default_val). */
void bvc_scalar_coerce_sx(struct bvc_scalar *s, int size)
{
	unsigned int bits;
	uint64_t top_max, top_min;
	int64_t a, b, lo, hi;

	if (size != 1 && size != 2 && size != 4)
		return;
	bits = (unsigned int)size * 8;
	if (bvc_tnum_is_const(s->var_off)) {
		*s = bvc_scalar_const((uint64_t)sext(s->var_off.value, bits));
		return;
	}
	top_max = ((uint64_t)s->smax >> bits) << bits;
	top_min = ((uint64_t)s->smin >> bits) << bits;
	if (top_max == top_min) {
		a = sext((uint64_t)s->smax, bits);
		b = sext((uint64_t)s->smin, bits);
		hi = s64_max(a, b);
		lo = s64_min(a, b);
		if ((hi >= 0) == (lo >= 0)) {
			s->smin = lo;
			s->smax = hi;
			s->s32_min = as_s32((uint64_t)lo);
			s->s32_max = as_s32((uint64_t)hi);
			s->umin = (uint64_t)lo;
			s->umax = (uint64_t)hi;
			s->u32_min = (uint32_t)lo;
			s->u32_max = (uint32_t)hi;
			s->var_off = bvc_tnum_range((uint64_t)lo, (uint64_t)hi);
			return;
		}
	}
	s->smin = -(int64_t)(1ull << (bits - 1));
	s->smax = (int64_t)((1ull << (bits - 1)) - 1);
	s->s32_min = as_s32((uint64_t)s->smin);
	s->s32_max = as_s32((uint64_t)s->smax);
	s->umin = 0;
	s->umax = UINT64_MAX;
	s->u32_min = 0;
	s->u32_max = UINT32_MAX;
	s->var_off = bvc_tnum_unknown();
}

/* The same on the low 32 bits, for movsx32 (the caller zero-extends). */
void bvc_scalar_coerce_sx32(struct bvc_scalar *s, int size)
{
	unsigned int bits;
	uint32_t top_max, top_min;
	int32_t a, b, lo, hi;

	if (size != 1 && size != 2)
		return;
	bits = (unsigned int)size * 8;
	if (bvc_tnum_is_const(s->var_off)) {
		int64_t v = sext(s->var_off.value, bits);

		/* Only the low half matters: the caller zero-extends. */
		s->var_off = bvc_tnum_const((uint64_t)v);
		s->s32_min = s->s32_max = as_s32((uint64_t)v);
		s->u32_min = s->u32_max = (uint32_t)v;
		return;
	}
	top_max = ((uint32_t)s->s32_max >> bits) << bits;
	top_min = ((uint32_t)s->s32_min >> bits) << bits;
	if (top_max == top_min) {
		a = (int32_t)sext((uint32_t)s->s32_max, bits);
		b = (int32_t)sext((uint32_t)s->s32_min, bits);
		hi = s32_max(a, b);
		lo = s32_min(a, b);
		if ((lo >= 0) == (hi >= 0)) {
			s->s32_min = lo;
			s->s32_max = hi;
			s->u32_min = (uint32_t)lo;
			s->u32_max = (uint32_t)hi;
			s->var_off = bvc_tnum_subreg(bvc_tnum_range((uint64_t)(int64_t)lo,
								    (uint64_t)(int64_t)hi));
			return;
		}
	}
	s->s32_min = size == 1 ? INT8_MIN : INT16_MIN;
	s->s32_max = size == 1 ? INT8_MAX : INT16_MAX;
	s->u32_min = 0;
	s->u32_max = UINT32_MAX;
	s->var_off = bvc_tnum_subreg(bvc_tnum_unknown());
}

/* ---- ALU: per-op range transfer (scalar{32,}_min_max_*) ---------------- */

/* Signed sums of the bounds unless one overflows; unsigned likewise. */
static void add32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	int32_t lo, hi;
	uint32_t ulo = d->u32_min + s->u32_min, uhi = d->u32_max + s->u32_max;

	if (s32_add_ovf(d->s32_min, s->s32_min, &lo) ||
	    s32_add_ovf(d->s32_max, s->s32_max, &hi)) {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	} else {
		d->s32_min = lo;
		d->s32_max = hi;
	}
	if (ulo < d->u32_min || uhi < d->u32_max) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min = ulo;
		d->u32_max = uhi;
	}
}

/* As add32, 64 bits. */
static void add64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	int64_t lo, hi;
	uint64_t ulo = d->umin + s->umin, uhi = d->umax + s->umax;

	if (s64_add_ovf(d->smin, s->smin, &lo) || s64_add_ovf(d->smax, s->smax, &hi)) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = lo;
		d->smax = hi;
	}
	if (ulo < d->umin || uhi < d->umax) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin = ulo;
		d->umax = uhi;
	}
}

/* [dmin - smax, dmax - smin] unless it overflows; unsigned only when no
 * difference can go below 0. */
static void sub32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	int32_t lo, hi;

	if (s32_sub_ovf(d->s32_min, s->s32_max, &lo) ||
	    s32_sub_ovf(d->s32_max, s->s32_min, &hi)) {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	} else {
		d->s32_min = lo;
		d->s32_max = hi;
	}
	if (d->u32_min < s->u32_max) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min -= s->u32_max;
		d->u32_max -= s->u32_min;
	}
}

/* As sub32, 64 bits. */
static void sub64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	int64_t lo, hi;

	if (s64_sub_ovf(d->smin, s->smax, &lo) || s64_sub_ovf(d->smax, s->smin, &hi)) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = lo;
		d->smax = hi;
	}
	if (d->umin < s->umax) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin -= s->umax;
		d->umax -= s->umin;
	}
}

/* Only non-negative operands small enough not to overflow (<= U16_MAX). */
static void mul32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	if (s->s32_min < 0 || d->s32_min < 0 ||
	    s->u32_max > UINT16_MAX || d->u32_max > UINT16_MAX) {
		mark32_unbounded(d);
		return;
	}
	d->u32_min *= s->u32_min;
	d->u32_max *= s->u32_max;
	if (d->u32_max > INT32_MAX) {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	} else {
		d->s32_min = (int32_t)d->u32_min;
		d->s32_max = (int32_t)d->u32_max;
	}
}

/* As mul32 with operands <= U32_MAX. */
static void mul64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	if (s->smin < 0 || d->smin < 0 || s->umax > UINT32_MAX || d->umax > UINT32_MAX) {
		mark64_unbounded(d);
		return;
	}
	d->umin *= s->umin;
	d->umax *= s->umax;
	if (d->umax > INT64_MAX) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = as_s64(d->umin);
		d->smax = as_s64(d->umax);
	}
}

/* Signed range from the unsigned one when it does not cross the s32 sign. */
static void s32_from_u32(struct bvc_scalar *d)
{
	if (as_s32(d->u32_min) <= as_s32(d->u32_max)) {
		d->s32_min = as_s32(d->u32_min);
		d->s32_max = as_s32(d->u32_max);
	} else {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	}
}

/* Signed range from the unsigned one when it does not cross the s64 sign. */
static void s64_from_u64(struct bvc_scalar *d)
{
	if (as_s64(d->umin) <= as_s64(d->umax)) {
		d->smin = as_s64(d->umin);
		d->smax = as_s64(d->umax);
	} else {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	}
}

/* var_off already holds the AND: min from its known bits, max from the
 * smaller operand maximum. */
static void and32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	struct bvc_tnum t = bvc_tnum_subreg(d->var_off);

	if (bvc_tnum_subreg_is_const(s->var_off) && bvc_tnum_subreg_is_const(d->var_off)) {
		bvc_scalar_set_const32(d, (uint32_t)t.value);
		return;
	}
	d->u32_min = (uint32_t)t.value;
	d->u32_max = u32_min(d->u32_max, s->u32_max);
	s32_from_u32(d);
}

/* As and32, 64 bits. */
static void and64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	if (bvc_tnum_is_const(s->var_off) && bvc_tnum_is_const(d->var_off)) {
		*d = bvc_scalar_const(d->var_off.value);
		return;
	}
	d->umin = d->var_off.value;
	d->umax = u64_min(d->umax, s->umax);
	s64_from_u64(d);
	update_bounds(d);
}

/* var_off already holds the OR: max from it, min the larger operand min. */
static void or32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	struct bvc_tnum t = bvc_tnum_subreg(d->var_off);

	if (bvc_tnum_subreg_is_const(s->var_off) && bvc_tnum_subreg_is_const(d->var_off)) {
		bvc_scalar_set_const32(d, (uint32_t)t.value);
		return;
	}
	d->u32_min = u32_max(d->u32_min, s->u32_min);
	d->u32_max = (uint32_t)(t.value | t.mask);
	s32_from_u32(d);
}

/* As or32, 64 bits. */
static void or64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	if (bvc_tnum_is_const(s->var_off) && bvc_tnum_is_const(d->var_off)) {
		*d = bvc_scalar_const(d->var_off.value);
		return;
	}
	d->umin = u64_max(d->umin, s->umin);
	d->umax = d->var_off.value | d->var_off.mask;
	s64_from_u64(d);
	update_bounds(d);
}

/* var_off already holds the XOR: both bounds from it. */
static void xor32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	struct bvc_tnum t = bvc_tnum_subreg(d->var_off);

	if (bvc_tnum_subreg_is_const(s->var_off) && bvc_tnum_subreg_is_const(d->var_off)) {
		bvc_scalar_set_const32(d, (uint32_t)t.value);
		return;
	}
	d->u32_min = (uint32_t)t.value;
	d->u32_max = (uint32_t)(t.value | t.mask);
	s32_from_u32(d);
}

/* As xor32, 64 bits. */
static void xor64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	if (bvc_tnum_is_const(s->var_off) && bvc_tnum_is_const(d->var_off)) {
		*d = bvc_scalar_const(d->var_off.value);
		return;
	}
	d->umin = d->var_off.value;
	d->umax = d->var_off.value | d->var_off.mask;
	s64_from_u64(d);
	update_bounds(d);
}

/* u32 bounds of a left shift by [lo, hi]: exact unless the top bit may be
 * shifted out; the sign is lost either way. */
static void lsh32_bounds(struct bvc_scalar *d, uint64_t lo, uint64_t hi)
{
	d->s32_min = INT32_MIN;
	d->s32_max = INT32_MAX;
	if (hi > 31 || d->u32_max > (1ull << (31 - hi))) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min <<= lo;
		d->u32_max <<= hi;
	}
}

/* 32-bit left shift by the constant src. */
static void lsh32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	struct bvc_tnum t = bvc_tnum_subreg(d->var_off);

	lsh32_bounds(d, s->u32_min, s->u32_max);
	d->var_off = bvc_tnum_subreg(bvc_tnum_lshift(t, s->u32_min));
	mark64_unbounded(d);
	update_bounds32(d);
}

/* 64-bit bounds of a left shift by [lo, hi]; "<< 32" keeps the s32 range
 * scaled (the compiler's "<<32 s>>32" sign extension idiom). */
static void lsh64_bounds(struct bvc_scalar *d, uint64_t lo, uint64_t hi)
{
	if (lo == 32 && hi == 32) {
		d->smax = as_s64((uint64_t)(int64_t)d->s32_max << 32);
		d->smin = as_s64((uint64_t)(int64_t)d->s32_min << 32);
	} else {
		d->smax = INT64_MAX;
		d->smin = INT64_MIN;
	}
	if (d->umax > (1ull << (63 - hi))) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin <<= lo;
		d->umax <<= hi;
	}
}

/* 64-bit left shift by the constant src (< 64). */
static void lsh64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	/* The 64-bit part reads the unshifted s32 bounds: it goes first. */
	lsh64_bounds(d, s->umin, s->umax);
	lsh32_bounds(d, s->umin, s->umax);
	d->var_off = bvc_tnum_lshift(d->var_off, (unsigned int)s->umin);
	update_bounds(d);
}

/* 32-bit logical right shift: the unsigned range shifts, the signed one is
 * rebuilt from it and the tnum by the caller's sync. */
static void rsh32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	struct bvc_tnum t = bvc_tnum_subreg(d->var_off);

	d->s32_min = INT32_MIN;
	d->s32_max = INT32_MAX;
	d->var_off = bvc_tnum_rshift(t, s->u32_min);
	d->u32_min >>= s->u32_max;
	d->u32_max >>= s->u32_min;
	mark64_unbounded(d);
	update_bounds32(d);
}

/* As rsh32, 64 bits; the 32-bit views get bits from above: rebuilt. */
static void rsh64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	d->smin = INT64_MIN;
	d->smax = INT64_MAX;
	d->var_off = bvc_tnum_rshift(d->var_off, (unsigned int)s->umin);
	d->umin >>= s->umax;
	d->umax >>= s->umin;
	mark32_unbounded(d);
	update_bounds(d);
}

/* 32-bit arithmetic right shift: monotonic on signed values. */
static void arsh32(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	unsigned int n = s->u32_min;

	d->s32_min = sar32(d->s32_min, n);
	d->s32_max = sar32(d->s32_max, n);
	d->var_off = bvc_tnum_arshift(bvc_tnum_subreg(d->var_off), n, 32);
	d->u32_min = 0;
	d->u32_max = UINT32_MAX;
	mark64_unbounded(d);
	update_bounds32(d);
}

/* As arsh32, 64 bits. */
static void arsh64(struct bvc_scalar *d, const struct bvc_scalar *s)
{
	unsigned int n = (unsigned int)s->umin;

	d->smin = sar64(d->smin, n);
	d->smax = sar64(d->smax, n);
	d->var_off = bvc_tnum_arshift(d->var_off, n, 64);
	d->umin = 0;
	d->umax = UINT64_MAX;
	mark32_unbounded(d);
	update_bounds(d);
}

/* The source is a constant in the op's width (tnum and both ranges). */
static bool src_is_const(const struct bvc_scalar *s, bool alu64)
{
	if (!alu64)
		return bvc_tnum_subreg_is_const(s->var_off) &&
		       s->s32_min == s->s32_max && s->u32_min == s->u32_max;
	return bvc_tnum_is_const(s->var_off) && s->smin == s->smax && s->umin == s->umax;
}

/* Ops whose result the kernel tracks; shifts only by an in-range constant
 * (the 64-bit umax is checked even for ALU32, as the kernel does). DIV,
 * MOD and the rest make the result unknown. */
static bool is_safe_to_compute(const struct bvc_scalar *s, uint8_t op, bool alu64)
{
	switch (op) {
	case BVC_ADD:
	case BVC_SUB:
	case BVC_AND:
	case BVC_XOR:
	case BVC_OR:
	case BVC_MUL:
		return true;
	case BVC_LSH:
	case BVC_RSH:
	case BVC_ARSH:
		return src_is_const(s, alu64) && s->umax < (alu64 ? 64u : 32u);
	default:
		return false;
	}
}

/* dst = dst op src for two scalars (adjust_scalar_min_max_vals). Both
 * widths' ranges are computed for ADD..XOR so a later JMP32 can use them;
 * an ALU32 result is then zero-extended. */
static void scalar_binop(struct bvc_scalar *d, const struct bvc_scalar *s, uint8_t op,
			 bool alu64)
{
	if (!is_safe_to_compute(s, op, alu64)) {
		/* The kernel forgets all 64 bits here, even for ALU32. */
		*d = bvc_scalar_unknown();
		return;
	}
	switch (op) {
	case BVC_ADD:
		add32(d, s);
		add64(d, s);
		d->var_off = bvc_tnum_add(d->var_off, s->var_off);
		break;
	case BVC_SUB:
		sub32(d, s);
		sub64(d, s);
		d->var_off = bvc_tnum_sub(d->var_off, s->var_off);
		break;
	case BVC_MUL:
		d->var_off = bvc_tnum_mul(d->var_off, s->var_off);
		mul32(d, s);
		mul64(d, s);
		break;
	case BVC_AND:
		d->var_off = bvc_tnum_and(d->var_off, s->var_off);
		and32(d, s);
		and64(d, s);
		break;
	case BVC_OR:
		d->var_off = bvc_tnum_or(d->var_off, s->var_off);
		or32(d, s);
		or64(d, s);
		break;
	case BVC_XOR:
		d->var_off = bvc_tnum_xor(d->var_off, s->var_off);
		xor32(d, s);
		xor64(d, s);
		break;
	case BVC_LSH:
		if (alu64)
			lsh64(d, s);
		else
			lsh32(d, s);
		break;
	case BVC_RSH:
		if (alu64)
			rsh64(d, s);
		else
			rsh32(d, s);
		break;
	case BVC_ARSH:
		if (alu64)
			arsh64(d, s);
		else
			arsh32(d, s);
		break;
	default:
		break; /* cannot happen: is_safe_to_compute() said no */
	}
	if (!alu64)
		bvc_scalar_zext32(d);
	bvc_scalar_sync(d);
}

/* mov, movsx (check_alu_op's BPF_MOV arm); fields already checked. */
static void scalar_mov(struct bvc_scalar *d, const struct bvc_scalar *s,
		       const struct bvc_insn *insn, bool alu64)
{
	if ((insn->code & BVC_X) == BVC_K) {
		/* The immediate is sign-extended for ALU64, zero-extended
		 * from 32 bits for ALU32. */
		*d = bvc_scalar_const(alu64 ? (uint64_t)(int64_t)insn->imm
					    : (uint64_t)(uint32_t)insn->imm);
		return;
	}
	*d = *s;
	if (alu64) {
		if (insn->off)
			bvc_scalar_coerce_sx(d, insn->off / 8);
		return;
	}
	if (insn->off)
		bvc_scalar_coerce_sx32(d, insn->off / 8);
	bvc_scalar_zext32(d);
	bvc_scalar_sync(d);
}

/* The kernel's reserved-field checks for one ALU insn; 0 or -EINVAL. */
static int check_alu_fields(const struct bvc_insn *insn, bool alu64, const struct bvc_scalar *src)
{
	uint8_t op = insn->code & 0xf0;
	bool x = (insn->code & BVC_X) == BVC_X;

	switch (op) {
	case BVC_NEG:
		return !x && !insn->src && !insn->off && !insn->imm ? 0 : -EINVAL;
	case BVC_END:
		if (insn->src || insn->off ||
		    (insn->imm != 16 && insn->imm != 32 && insn->imm != 64) ||
		    (alu64 && x))
			return -EINVAL;
		return 0;
	case BVC_MOV:
		if (!x)
			return !insn->src && !insn->off ? 0 : -EINVAL;
		if (!src || insn->imm)
			return -EINVAL;
		if (insn->off == 0 || insn->off == 8 || insn->off == 16 ||
		    (alu64 && insn->off == 32))
			return 0;
		/* addr_space_cast (off 1) makes an arena pointer: not a scalar. */
		return -EINVAL;
	case BVC_ADD: case BVC_SUB: case BVC_MUL: case BVC_DIV: case BVC_OR:
	case BVC_AND: case BVC_LSH: case BVC_RSH: case BVC_MOD: case BVC_XOR:
	case BVC_ARSH:
		if (x ? (insn->imm != 0 || !src) : insn->src != 0)
			return -EINVAL;
		if (insn->off != 0 && !(insn->off == 1 && (op == BVC_DIV || op == BVC_MOD)))
			return -EINVAL;
		if (!x && (op == BVC_DIV || op == BVC_MOD) && insn->imm == 0)
			return -EINVAL; /* "div by zero" */
		if (!x && (op == BVC_LSH || op == BVC_RSH || op == BVC_ARSH) &&
		    (insn->imm < 0 || insn->imm >= (alu64 ? 64 : 32)))
			return -EINVAL; /* "invalid shift" */
		return 0;
	default:
		return -EINVAL;
	}
}

/* One ALU/ALU64 insn on scalars. */
int bvc_scalar_alu(struct bvc_scalar *dst, const struct bvc_scalar *src,
		   const struct bvc_insn *insn)
{
	uint8_t cls = insn->code & 0x07, op = insn->code & 0xf0;
	bool alu64 = cls == BVC_ALU64;
	struct bvc_scalar s;
	int err;

	if (cls != BVC_ALU && cls != BVC_ALU64)
		return -EINVAL;
	err = check_alu_fields(insn, alu64, src);
	if (err)
		return err;
	switch (op) {
	case BVC_NEG:
	case BVC_END:
		/* 6.12 does not track these: all 64 bits unknown. */
		*dst = bvc_scalar_unknown();
		return 0;
	case BVC_MOV:
		scalar_mov(dst, src, insn, alu64);
		return 0;
	default:
		/* A copy: src may be dst ("r1 += r1"). A K source is the
		 * sign-extended immediate, for ALU32 too. */
		s = (insn->code & BVC_X) ? *src : bvc_scalar_const((uint64_t)(int64_t)insn->imm);
		scalar_binop(dst, &s, op, alu64);
		return 0;
	}
}

/* ---- branches --------------------------------------------------------- */

/* The kernel's is_scalar_branch_taken(): decide from ranges and tnums in
 * the compared width; JEQ/JNE on 64 bits also look at the 32-bit views. */
int bvc_scalar_branch_taken(const struct bvc_scalar *a, const struct bvc_scalar *b,
			    uint8_t op, bool is_jmp32)
{
	struct bvc_tnum t1 = is_jmp32 ? bvc_tnum_subreg(a->var_off) : a->var_off;
	struct bvc_tnum t2 = is_jmp32 ? bvc_tnum_subreg(b->var_off) : b->var_off;
	uint64_t umin1 = is_jmp32 ? a->u32_min : a->umin;
	uint64_t umax1 = is_jmp32 ? a->u32_max : a->umax;
	int64_t smin1 = is_jmp32 ? a->s32_min : a->smin;
	int64_t smax1 = is_jmp32 ? a->s32_max : a->smax;
	uint64_t umin2 = is_jmp32 ? b->u32_min : b->umin;
	uint64_t umax2 = is_jmp32 ? b->u32_max : b->umax;
	int64_t smin2 = is_jmp32 ? b->s32_min : b->smin;
	int64_t smax2 = is_jmp32 ? b->s32_max : b->smax;
	int r;

	switch (op) {
	case BVC_JEQ:
	case BVC_JNE:
		/* r: does "equal" hold (1), never hold (0), or either (-1)? */
		r = -1;
		if (bvc_tnum_is_const(t1) && bvc_tnum_is_const(t2))
			r = t1.value == t2.value;
		else if (!bvc_tnum_overlap(t1, t2))
			r = 0;
		else if (umin1 > umax2 || umax1 < umin2)
			r = 0;
		else if (smin1 > smax2 || smax1 < smin2)
			r = 0;
		else if (!is_jmp32 &&
			 (a->u32_min > b->u32_max || a->u32_max < b->u32_min ||
			  a->s32_min > b->s32_max || a->s32_max < b->s32_min))
			r = 0;
		if (r < 0 || op == BVC_JEQ)
			return r;
		return !r;
	case BVC_JSET:
		if (!bvc_tnum_is_const(t2)) {
			struct bvc_tnum tmp = t1;

			t1 = t2;
			t2 = tmp;
		}
		if (!bvc_tnum_is_const(t2))
			return -1;
		if ((~t1.mask & t1.value) & t2.value)
			return 1;
		if (!((t1.mask | t1.value) & t2.value))
			return 0;
		return -1;
	case BVC_JSET_NOT:
		r = bvc_scalar_branch_taken(a, b, BVC_JSET, is_jmp32);
		return r < 0 ? r : !r;
	case BVC_JGT:
		if (umin1 > umax2)
			return 1;
		if (umax1 <= umin2)
			return 0;
		return -1;
	case BVC_JSGT:
		if (smin1 > smax2)
			return 1;
		if (smax1 <= smin2)
			return 0;
		return -1;
	case BVC_JLT:
		if (umax1 < umin2)
			return 1;
		if (umin1 >= umax2)
			return 0;
		return -1;
	case BVC_JSLT:
		if (smax1 < smin2)
			return 1;
		if (smin1 >= smax2)
			return 0;
		return -1;
	case BVC_JGE:
		if (umin1 >= umax2)
			return 1;
		if (umax1 < umin2)
			return 0;
		return -1;
	case BVC_JSGE:
		if (smin1 >= smax2)
			return 1;
		if (smax1 < smin2)
			return 0;
		return -1;
	case BVC_JLE:
		if (umax1 <= umin2)
			return 1;
		if (umin1 > umax2)
			return 0;
		return -1;
	case BVC_JSLE:
		if (smax1 <= smin2)
			return 1;
		if (smin1 > smax2)
			return 0;
		return -1;
	default:
		return -1;
	}
}

/* The false condition of @op (the kernel's rev_opcode). */
uint8_t bvc_jmp_negate(uint8_t op)
{
	switch (op) {
	case BVC_JEQ: return BVC_JNE;
	case BVC_JNE: return BVC_JEQ;
	case BVC_JSET: return BVC_JSET_NOT;
	case BVC_JSET_NOT: return BVC_JSET;
	case BVC_JGE: return BVC_JLT;
	case BVC_JGT: return BVC_JLE;
	case BVC_JLE: return BVC_JGT;
	case BVC_JLT: return BVC_JGE;
	case BVC_JSGE: return BVC_JSLT;
	case BVC_JSGT: return BVC_JSLE;
	case BVC_JSLE: return BVC_JSGT;
	case BVC_JSLT: return BVC_JSGE;
	default: return 0;
	}
}

/* "a op b" as "b op' a" (the kernel's flip_opcode). */
uint8_t bvc_jmp_flip(uint8_t op)
{
	switch (op) {
	case BVC_JEQ: return BVC_JEQ;
	case BVC_JNE: return BVC_JNE;
	case BVC_JSET: return BVC_JSET;
	case BVC_JSET_NOT: return BVC_JSET_NOT;
	case BVC_JGE: return BVC_JLE;
	case BVC_JGT: return BVC_JLT;
	case BVC_JLE: return BVC_JGE;
	case BVC_JLT: return BVC_JGT;
	case BVC_JSGE: return BVC_JSLE;
	case BVC_JSGT: return BVC_JSLT;
	case BVC_JSLE: return BVC_JSGE;
	case BVC_JSLT: return BVC_JSGT;
	default: return 0;
	}
}

/* The wrapped x - 1 and x + 1 the kernel computes on bounds (a wrap only
 * happens on a branch that cannot be taken, where any result is sound). */

/* x - 1, S32_MIN wraps to S32_MAX. */
static int32_t s32_dec(int32_t x)
{
	return as_s32((uint32_t)x - 1u);
}

/* x + 1, S32_MAX wraps to S32_MIN. */
static int32_t s32_inc(int32_t x)
{
	return as_s32((uint32_t)x + 1u);
}

/* x - 1, S64_MIN wraps to S64_MAX. */
static int64_t s64_dec(int64_t x)
{
	return as_s64((uint64_t)x - 1u);
}

/* x + 1, S64_MAX wraps to S64_MIN. */
static int64_t s64_inc(int64_t x)
{
	return as_s64((uint64_t)x + 1u);
}

/* The kernel's regs_refine_cond_op(): narrow a and b (distinct) to the
 * pairs satisfying "a op b". GT/GE are LT/LE with the operands swapped. */
static void refine_cond(struct bvc_scalar *a, struct bvc_scalar *b, uint8_t op,
			bool is_jmp32)
{
	struct bvc_scalar *tmp;
	struct bvc_tnum t;
	uint64_t val;

	if (op == BVC_JGE || op == BVC_JGT || op == BVC_JSGE || op == BVC_JSGT) {
		op = bvc_jmp_flip(op);
		tmp = a;
		a = b;
		b = tmp;
	}
	switch (op) {
	case BVC_JEQ:
		if (is_jmp32) {
			a->u32_min = u32_max(a->u32_min, b->u32_min);
			a->u32_max = u32_min(a->u32_max, b->u32_max);
			a->s32_min = s32_max(a->s32_min, b->s32_min);
			a->s32_max = s32_min(a->s32_max, b->s32_max);
			b->u32_min = a->u32_min;
			b->u32_max = a->u32_max;
			b->s32_min = a->s32_min;
			b->s32_max = a->s32_max;
			t = bvc_tnum_intersect(bvc_tnum_subreg(a->var_off),
					       bvc_tnum_subreg(b->var_off));
			a->var_off = bvc_tnum_with_subreg(a->var_off, t);
			b->var_off = bvc_tnum_with_subreg(b->var_off, t);
		} else {
			a->umin = u64_max(a->umin, b->umin);
			a->umax = u64_min(a->umax, b->umax);
			a->smin = s64_max(a->smin, b->smin);
			a->smax = s64_min(a->smax, b->smax);
			b->umin = a->umin;
			b->umax = a->umax;
			b->smin = a->smin;
			b->smax = a->smax;
			a->var_off = bvc_tnum_intersect(a->var_off, b->var_off);
			b->var_off = a->var_off;
		}
		break;
	case BVC_JNE:
		/* Only a constant at the very edge of the other range helps. */
		if (!(is_jmp32 ? bvc_scalar_is_const32(b) : bvc_scalar_is_const(b))) {
			tmp = a;
			a = b;
			b = tmp;
		}
		if (!(is_jmp32 ? bvc_scalar_is_const32(b) : bvc_scalar_is_const(b)))
			break;
		val = b->var_off.value;
		if (is_jmp32) {
			if (a->u32_min == (uint32_t)val)
				a->u32_min++;
			if (a->u32_max == (uint32_t)val)
				a->u32_max--;
			if (a->s32_min == as_s32(val))
				a->s32_min = s32_inc(a->s32_min);
			if (a->s32_max == as_s32(val))
				a->s32_max = s32_dec(a->s32_max);
		} else {
			if (a->umin == val)
				a->umin++;
			if (a->umax == val)
				a->umax--;
			if (a->smin == as_s64(val))
				a->smin = s64_inc(a->smin);
			if (a->smax == as_s64(val))
				a->smax = s64_dec(a->smax);
		}
		break;
	case BVC_JSET:
	case BVC_JSET_NOT:
		if (!(is_jmp32 ? bvc_scalar_is_const32(b) : bvc_scalar_is_const(b))) {
			tmp = a;
			a = b;
			b = tmp;
		}
		if (!(is_jmp32 ? bvc_scalar_is_const32(b) : bvc_scalar_is_const(b)))
			break;
		val = is_jmp32 ? (uint32_t)b->var_off.value : b->var_off.value;
		if (op == BVC_JSET) {
			/* "a & val" is true: a known bit only if val has one. */
			if (!val || (val & (val - 1)))
				break;
			if (is_jmp32) {
				t = bvc_tnum_or(bvc_tnum_subreg(a->var_off), bvc_tnum_const(val));
				a->var_off = bvc_tnum_with_subreg(a->var_off, t);
			} else {
				a->var_off = bvc_tnum_or(a->var_off, bvc_tnum_const(val));
			}
			break;
		}
		/* "a & val" is false: every bit of val is 0 in a. The ranges
		 * are dropped first so a dead branch cannot break them. */
		bvc_scalar_mark_unbounded(a);
		if (is_jmp32) {
			t = bvc_tnum_and(bvc_tnum_subreg(a->var_off), bvc_tnum_const(~val));
			a->var_off = bvc_tnum_with_subreg(a->var_off, t);
		} else {
			a->var_off = bvc_tnum_and(a->var_off, bvc_tnum_const(~val));
		}
		break;
	case BVC_JLE:
		if (is_jmp32) {
			a->u32_max = u32_min(a->u32_max, b->u32_max);
			b->u32_min = u32_max(a->u32_min, b->u32_min);
		} else {
			a->umax = u64_min(a->umax, b->umax);
			b->umin = u64_max(a->umin, b->umin);
		}
		break;
	case BVC_JLT:
		if (is_jmp32) {
			a->u32_max = u32_min(a->u32_max, b->u32_max - 1u);
			b->u32_min = u32_max(a->u32_min + 1u, b->u32_min);
		} else {
			a->umax = u64_min(a->umax, b->umax - 1u);
			b->umin = u64_max(a->umin + 1u, b->umin);
		}
		break;
	case BVC_JSLE:
		if (is_jmp32) {
			a->s32_max = s32_min(a->s32_max, b->s32_max);
			b->s32_min = s32_max(a->s32_min, b->s32_min);
		} else {
			a->smax = s64_min(a->smax, b->smax);
			b->smin = s64_max(a->smin, b->smin);
		}
		break;
	case BVC_JSLT:
		if (is_jmp32) {
			a->s32_max = s32_min(a->s32_max, s32_dec(b->s32_max));
			b->s32_min = s32_max(s32_inc(a->s32_min), b->s32_min);
		} else {
			a->smax = s64_min(a->smax, s64_dec(b->smax));
			b->smin = s64_max(s64_inc(a->smin), b->smin);
		}
		break;
	default:
		break;
	}
}

/* reg_set_min_max() for one direction: refine, sync, sanity check. */
bool bvc_scalar_refine(struct bvc_scalar *a, struct bvc_scalar *b, uint8_t op,
		       bool is_jmp32)
{
	bool ok = true;

	/* "r1 op r1": the two views would overwrite each other (the kernel
	 * later stopped adjusting here too). Nothing to learn. */
	if (a == b)
		return true;
	refine_cond(a, b, op, is_jmp32);
	bvc_scalar_sync(a);
	bvc_scalar_sync(b);
	if (!bvc_scalar_is_valid(a)) {
		bvc_scalar_mark_unbounded(a);
		ok = false;
	}
	if (!bvc_scalar_is_valid(b)) {
		bvc_scalar_mark_unbounded(b);
		ok = false;
	}
	return ok;
}

/* ---- join, inclusion -------------------------------------------------- */

/* Per-view hull, then synced (the views of a join may tighten each other). */
struct bvc_scalar bvc_scalar_join(const struct bvc_scalar *a, const struct bvc_scalar *b)
{
	struct bvc_scalar r;

	r.var_off = bvc_tnum_union(a->var_off, b->var_off);
	r.smin = s64_min(a->smin, b->smin);
	r.smax = s64_max(a->smax, b->smax);
	r.umin = u64_min(a->umin, b->umin);
	r.umax = u64_max(a->umax, b->umax);
	r.s32_min = s32_min(a->s32_min, b->s32_min);
	r.s32_max = s32_max(a->s32_max, b->s32_max);
	r.u32_min = u32_min(a->u32_min, b->u32_min);
	r.u32_max = u32_max(a->u32_max, b->u32_max);
	bvc_scalar_sync(&r);
	return r;
}

/* Every range of cur inside old's, and cur's tnum inside old's. */
bool bvc_scalar_within(const struct bvc_scalar *old, const struct bvc_scalar *cur)
{
	return old->umin <= cur->umin && old->umax >= cur->umax &&
	       old->smin <= cur->smin && old->smax >= cur->smax &&
	       old->u32_min <= cur->u32_min && old->u32_max >= cur->u32_max &&
	       old->s32_min <= cur->s32_min && old->s32_max >= cur->s32_max &&
	       bvc_tnum_in(old->var_off, cur->var_off);
}

/* ---- log text ----------------------------------------------------------- */

/* An snprintf() target that remembers the full length. */
struct sbuf {
	char *buf;   /* caller's buffer, may be NULL when size is 0 */
	size_t size; /* its size */
	size_t len;  /* characters the full text needs so far */
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *at = b->len < b->size ? b->buf + b->len : NULL;
	size_t room = at ? b->size - b->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

/* Plain text: the log prints many of these, vsnprintf is too slow for them. */
static void sb_puts(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len < b->size) {
		size_t room = b->size - b->len - 1;

		memcpy(b->buf + b->len, s, n < room ? n : room);
		b->buf[b->len + (n < room ? n : room)] = '\0';
	}
	b->len += n;
}

/* @v in decimal (@hex false) or as 0x-hex. */
static void sb_u64(struct sbuf *b, uint64_t v, bool hex)
{
	char t[24];
	int i = sizeof(t) - 1;

	t[i] = '\0';
	do {
		t[--i] = "0123456789abcdef"[hex ? v & 15 : v % 10];
		v = hex ? v >> 4 : v / 10;
	} while (v);
	if (hex) {
		t[--i] = 'x';
		t[--i] = '0';
	}
	sb_puts(b, t + i);
}

/* True when the kernel prints this signed number in decimal. */
static bool snum_decimal(int64_t v)
{
	return v >= SNUM_MIN_DECIMAL && v <= SNUM_MAX_DECIMAL;
}

/* verbose_snum(): decimal or 0x-hex of the 64-bit pattern. */
static void sb_snum(struct sbuf *b, int64_t v)
{
	if (snum_decimal(v)) {
		if (v < 0)
			sb_puts(b, "-");
		sb_u64(b, v < 0 ? (uint64_t)-v : (uint64_t)v, false);
	} else {
		sb_u64(b, (uint64_t)v, true);
	}
}

/* verbose_unum(): decimal or 0x-hex. */
static void sb_unum(struct sbuf *b, uint64_t v)
{
	sb_u64(b, v, v > UNUM_MAX_DECIMAL);
}

/* The length snprintf() would report, as an int. */
static int sb_result(const struct sbuf *b)
{
	return b->len > INT32_MAX ? INT32_MAX : (int)b->len;
}

/* A signed number as the log prints it. */
int bvc_snum_snprint(char *buf, size_t size, int64_t v)
{
	struct sbuf b = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	sb_snum(&b, v);
	return sb_result(&b);
}

/* An unsigned number as the log prints it. */
int bvc_unum_snprint(char *buf, size_t size, uint64_t v)
{
	struct sbuf b = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	sb_unum(&b, v);
	return sb_result(&b);
}

/* print_scalar_ranges() + var_off: bounds that are not the type's extremes,
 * each min (max) followed by the later mins (maxes) of equal value and the
 * same sign, so "smin=smin32=0" prints once. s32 bounds shown in hex are
 * not sign-extended, as in the kernel. */
static void sb_fields(struct sbuf *b, const struct bvc_scalar *s, const char *sep)
{
	struct {
		const char *name;
		uint64_t val;
		bool omit;
	} m[8] = {
		{ "smin", (uint64_t)s->smin, s->smin == INT64_MIN },
		{ "smax", (uint64_t)s->smax, s->smax == INT64_MAX },
		{ "umin", s->umin, s->umin == 0 },
		{ "umax", s->umax, s->umax == UINT64_MAX },
		{ "smin32", snum_decimal(s->s32_min) ? (uint64_t)(int64_t)s->s32_min
						     : (uint64_t)(uint32_t)s->s32_min,
		  s->s32_min == INT32_MIN },
		{ "smax32", snum_decimal(s->s32_max) ? (uint64_t)(int64_t)s->s32_max
						     : (uint64_t)(uint32_t)s->s32_max,
		  s->s32_max == INT32_MAX },
		{ "umin32", s->u32_min, s->u32_min == 0 },
		{ "umax32", s->u32_max, s->u32_max == UINT32_MAX },
	};
	size_t i, j;

	for (i = 0; i < 8; i++) {
		bool neg1, neg2;

		if (m[i].omit)
			continue;
		neg1 = m[i].name[0] == 's' && as_s64(m[i].val) < 0;
		sb_puts(b, sep);
		sb_puts(b, m[i].name);
		sb_puts(b, "=");
		sep = ",";
		for (j = i + 2; j < 8; j += 2) {
			if (m[j].omit || m[j].val != m[i].val)
				continue;
			neg2 = m[j].name[0] == 's' && as_s64(m[j].val) < 0;
			if (neg2 != neg1)
				continue;
			m[j].omit = true;
			sb_puts(b, m[j].name);
			sb_puts(b, "=");
		}
		if (m[i].name[0] == 's')
			sb_snum(b, as_s64(m[i].val));
		else
			sb_unum(b, m[i].val);
	}
	if (!bvc_tnum_is_unknown(s->var_off)) {
		/* bvc_tnum_snprint's text: here the tnum is not a constant. */
		sb_puts(b, sep);
		if (!s->var_off.mask) {
			sb_puts(b, "var_off=");
			sb_u64(b, s->var_off.value, s->var_off.value > UNUM_MAX_DECIMAL);
		} else {
			sb_puts(b, "var_off=(");
			sb_u64(b, s->var_off.value, true);
			sb_puts(b, "; ");
			sb_u64(b, s->var_off.mask, true);
			sb_puts(b, ")");
		}
	}
}

/* The fields inside "scalar(...)". */
int bvc_scalar_snprint_fields(char *buf, size_t size, const struct bvc_scalar *s,
			      const char *sep)
{
	struct sbuf b = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	sb_fields(&b, s, sep ? sep : "");
	return sb_result(&b);
}

/* A constant as a number, anything else as "scalar(...)". */
int bvc_scalar_snprint(char *buf, size_t size, const struct bvc_scalar *s)
{
	struct sbuf b = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	if (bvc_tnum_is_const(s->var_off)) {
		sb_snum(&b, as_s64(s->var_off.value));
		return sb_result(&b);
	}
	sb_printf(&b, "scalar(");
	sb_fields(&b, s, "");
	sb_printf(&b, ")");
	return sb_result(&b);
}
