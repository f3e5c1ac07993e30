/* SPDX-License-Identifier: MIT */
/*
 * bpfvc tnum: tracked numbers, the bit-level half of the verifier's scalar
 * abstraction (the Linux verifier's struct tnum, same semantics).
 *
 * A tnum says, for each of the 64 bits of a value, whether it is known 0,
 * known 1 or unknown: bit i is unknown when mask bit i is set, otherwise it
 * equals value bit i. value & mask is always 0. The concrete values a tnum
 * stands for ("members") are value | s for every s that is a submask of mask.
 * Every operation returns a tnum holding every concrete result of its
 * concrete operands (soundness); tests/scalar checks this exhaustively on
 * small masks.
 *
 * A pure value type: no allocation, no I/O, no globals. Shift counts past
 * the width are defined here (they are UB in C): see each function.
 */
#ifndef BPFVC_TNUM_H
#define BPFVC_TNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bvc_tnum {
	uint64_t value; /* the known bits (0 where unknown) */
	uint64_t mask;  /* 1 where the bit is unknown */
};

/* The tnum whose only member is @value. */
struct bvc_tnum bvc_tnum_const(uint64_t value);
/* The tnum holding every 64-bit value. */
struct bvc_tnum bvc_tnum_unknown(void);
/* The smallest tnum holding every value of [min, max] (min <= max). */
struct bvc_tnum bvc_tnum_range(uint64_t min, uint64_t max);

/* a << shift; shift >= 64 gives 0. */
struct bvc_tnum bvc_tnum_lshift(struct bvc_tnum a, unsigned int shift);
/* a >> shift (logical); shift >= 64 gives 0. */
struct bvc_tnum bvc_tnum_rshift(struct bvc_tnum a, unsigned int shift);
/* Arithmetic a >> min_shift on @bitness (32 or 64) bits, the 32-bit result
 * zero-extended; min_shift is clamped to bitness - 1. */
struct bvc_tnum bvc_tnum_arshift(struct bvc_tnum a, unsigned int min_shift,
				 unsigned int bitness);

/* a + b (mod 2^64). */
struct bvc_tnum bvc_tnum_add(struct bvc_tnum a, struct bvc_tnum b);
/* a - b (mod 2^64). */
struct bvc_tnum bvc_tnum_sub(struct bvc_tnum a, struct bvc_tnum b);
/* -a (mod 2^64). */
struct bvc_tnum bvc_tnum_neg(struct bvc_tnum a);
/* a & b. */
struct bvc_tnum bvc_tnum_and(struct bvc_tnum a, struct bvc_tnum b);
/* a | b. */
struct bvc_tnum bvc_tnum_or(struct bvc_tnum a, struct bvc_tnum b);
/* a ^ b. */
struct bvc_tnum bvc_tnum_xor(struct bvc_tnum a, struct bvc_tnum b);
/* a * b (mod 2^64). */
struct bvc_tnum bvc_tnum_mul(struct bvc_tnum a, struct bvc_tnum b);

/* Values in both a and b. Where a and b disagree on a known bit there are
 * no such values; the result then has that bit known 1 (as the kernel). */
struct bvc_tnum bvc_tnum_intersect(struct bvc_tnum a, struct bvc_tnum b);
/* The smallest tnum holding every member of a and of b (join). */
struct bvc_tnum bvc_tnum_union(struct bvc_tnum a, struct bvc_tnum b);
/* a truncated to its low @size bytes (size 0..8). */
struct bvc_tnum bvc_tnum_cast(struct bvc_tnum a, unsigned int size);

/* True when every member of a is a multiple of @size (a power of 2, or 0). */
bool bvc_tnum_is_aligned(struct bvc_tnum a, uint64_t size);
/* True when every member of b is a member of a (b is within a). */
bool bvc_tnum_in(struct bvc_tnum a, struct bvc_tnum b);
/* True when a and b have a member in common. */
bool bvc_tnum_overlap(struct bvc_tnum a, struct bvc_tnum b);
/* True when x is a member of a. */
bool bvc_tnum_contains(struct bvc_tnum a, uint64_t x);
/* True when a has exactly one member. */
bool bvc_tnum_is_const(struct bvc_tnum a);
/* True when a holds every value. */
bool bvc_tnum_is_unknown(struct bvc_tnum a);
/* True when a's only member is @v. */
bool bvc_tnum_equals_const(struct bvc_tnum a, uint64_t v);

/* The low 32 bits of a, zero-extended. */
struct bvc_tnum bvc_tnum_subreg(struct bvc_tnum a);
/* a with its low 32 bits known 0. */
struct bvc_tnum bvc_tnum_clear_subreg(struct bvc_tnum a);
/* The high 32 bits of @reg with the low 32 bits of @subreg. */
struct bvc_tnum bvc_tnum_with_subreg(struct bvc_tnum reg, struct bvc_tnum subreg);
/* The high 32 bits of a with the low 32 bits known to be @value. */
struct bvc_tnum bvc_tnum_const_subreg(struct bvc_tnum a, uint32_t value);
/* True when the low 32 bits of a are known. */
bool bvc_tnum_subreg_is_const(struct bvc_tnum a);

/*
 * Text as the kernel log prints a tnum: a constant in decimal up to 65535,
 * else 0x-hex; otherwise "(0x<value>; 0x<mask>)". snprintf() semantics:
 * returns the length the full text needs.
 */
int bvc_tnum_snprint(char *buf, size_t size, struct bvc_tnum a);
/* 64 characters '0', '1', 'x' from bit 63 down to bit 0, as the kernel's
 * tnum_sbin(); the text is truncated to size - 1. Returns 64. */
int bvc_tnum_sbin(char *buf, size_t size, struct bvc_tnum a);

#endif /* BPFVC_TNUM_H */
