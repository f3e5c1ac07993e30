/* SPDX-License-Identifier: MIT */
/*
 * bpfvc scalar: the verifier's abstract value of a 64-bit register that
 * holds a number - five views of one set of values, each an
 * over-approximation: the bits (tnum), the signed and unsigned 64-bit ranges,
 * and the signed and unsigned ranges of the low 32 bits. A concrete value is
 * a member when it is in all five views.
 *
 * Semantics follow the Linux 6.12 verifier (reg_bounds_sync,
 * adjust_scalar_min_max_vals, is_scalar_branch_taken, regs_refine_cond_op,
 * the coerce_* helpers, range_within + tnum_in), so verdicts and log text
 * agree with the kernel. Where the kernel gives up (shift by a non-constant,
 * DIV, MOD, NEG, END) the result is unknown here as well; never more precise
 * than sound.
 *
 * A pure value type: no allocation, no I/O, no globals. Functions that
 * take two scalars accept the same pointer twice.
 */
#ifndef BPFVC_SCALAR_H
#define BPFVC_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvc/isa.h"
#include "bpfvc/tnum.h"

struct bvc_scalar {
	struct bvc_tnum var_off; /* known and unknown bits */
	int64_t smin, smax;      /* signed 64-bit range */
	uint64_t umin, umax;     /* unsigned 64-bit range */
	int32_t s32_min, s32_max;  /* signed range of the low 32 bits */
	uint32_t u32_min, u32_max; /* unsigned range of the low 32 bits */
};

/* The false branch of JSET ("(a & b) == 0"): not an opcode of the ISA, only
 * what bvc_jmp_negate(BVC_JSET) returns (the kernel's BPF_JSET | BPF_X). */
#define BVC_JSET_NOT (BVC_JSET | BVC_X)

/* Every value: unbounded ranges, unknown tnum. */
struct bvc_scalar bvc_scalar_unknown(void);
/* Exactly @v (the kernel's __mark_reg_known). */
struct bvc_scalar bvc_scalar_const(uint64_t v);
/* Unsigned 64-bit range [umin, umax], other views derived (umin <= umax). */
struct bvc_scalar bvc_scalar_urange(uint64_t umin, uint64_t umax);
/* Signed 64-bit range [smin, smax], other views derived (smin <= smax). */
struct bvc_scalar bvc_scalar_srange(int64_t smin, int64_t smax);
/* Low 32 bits become exactly @v, high bits and 64-bit ranges are kept
 * (the kernel's __mark_reg32_known; the caller syncs). */
void bvc_scalar_set_const32(struct bvc_scalar *s, uint32_t v);

/* True when the tnum has one member. */
bool bvc_scalar_is_const(const struct bvc_scalar *s);
/* True when the low 32 bits of the tnum are known. */
bool bvc_scalar_is_const32(const struct bvc_scalar *s);
/* True when nothing is known (what the log prints as "scalar()"). */
bool bvc_scalar_is_unknown(const struct bvc_scalar *s);
/* True when all five views are the same. */
bool bvc_scalar_equal(const struct bvc_scalar *a, const struct bvc_scalar *b);
/* The kernel's reg_bounds_sanity_check: every range has min <= max and a
 * constant tnum (64 or 32 bits) matches its ranges. False means no value
 * fits (e.g. a refined branch that cannot be taken). */
bool bvc_scalar_is_valid(const struct bvc_scalar *s);

/* Forget the ranges, keep the tnum (the kernel's __mark_reg_unbounded). */
void bvc_scalar_mark_unbounded(struct bvc_scalar *s);
/* Tighten every view from the others: the kernel's reg_bounds_sync(),
 * repeated until nothing changes (one kernel pass is not idempotent; in
 * nearly every case the first pass is already the fixpoint). */
void bvc_scalar_sync(struct bvc_scalar *s);
/* The 64-bit value becomes the low 32 bits, zero-extended: tnum and 64-bit
 * ranges from the 32-bit views (the kernel's zext_32_to_64; no sync). */
void bvc_scalar_zext32(struct bvc_scalar *s);
/* Truncate to the low @size bytes, zero-extended (size 1, 2, 4): a narrow
 * load or a cast (coerce_reg_to_size; synced). */
void bvc_scalar_coerce(struct bvc_scalar *s, int size);
/* Sign-extend the low @size bytes to 64 bits (size 1, 2, 4): a
 * sign-extending load or movsx64 (coerce_reg_to_size_sx; not synced). */
void bvc_scalar_coerce_sx(struct bvc_scalar *s, int size);
/* Sign-extend the low @size bytes to 32 bits (size 1, 2) for movsx32; the
 * caller zero-extends (coerce_subreg_to_size_sx). */
void bvc_scalar_coerce_sx32(struct bvc_scalar *s, int size);

/*
 * dst = dst <op> src for one BVC_ALU or BVC_ALU64 instruction: every op and
 * source (ADD SUB MUL DIV SDIV MOD SMOD OR AND XOR LSH RSH ARSH NEG MOV
 * MOVSX END/BSWAP). @src is the source register for BVC_X and ignored for
 * BVC_K (the immediate is used, sign-extended as the kernel does); NEG and
 * END ignore it. 32-bit results are zero-extended. Returns 0, or -EINVAL for
 * what the ISA or the kernel rejects before looking at values (unknown op,
 * reserved fields, K division by 0, K shift out of range); @dst is then
 * unchanged.
 */
int bvc_scalar_alu(struct bvc_scalar *dst, const struct bvc_scalar *src,
		   const struct bvc_insn *insn);

/*
 * Whether "if (a <op> b)" is taken for every pair of members: 1 always,
 * 0 never, -1 either. @op is a BVC_J* condition (insn code & 0xf0, or
 * BVC_JSET_NOT); @is_jmp32 compares the low 32 bits.
 */
int bvc_scalar_branch_taken(const struct bvc_scalar *a, const struct bvc_scalar *b,
			    uint8_t op, bool is_jmp32);
/*
 * Narrow a and b to the members that can satisfy "a <op> b" (both synced).
 * For the fall-through pass bvc_jmp_negate(op). Returns false when the
 * result is contradictory (that direction cannot happen); like the kernel,
 * a contradictory operand then keeps its tnum with unbounded ranges. When a
 * and b are the same pointer nothing is learned and nothing changes.
 */
bool bvc_scalar_refine(struct bvc_scalar *a, struct bvc_scalar *b, uint8_t op,
		       bool is_jmp32);
/* The condition true exactly when @op is false (JGT -> JLE, JSET ->
 * BVC_JSET_NOT, ...); 0 for what is not a condition. */
uint8_t bvc_jmp_negate(uint8_t op);
/* The condition for swapped operands: "a op b" == "b flip(op) a". */
uint8_t bvc_jmp_flip(uint8_t op);

/* The smallest scalar (per view) holding every member of a and of b. */
struct bvc_scalar bvc_scalar_join(const struct bvc_scalar *a, const struct bvc_scalar *b);
/* True when @old includes @cur in every view (pruning: the kernel's
 * range_within() && tnum_in()). */
bool bvc_scalar_within(const struct bvc_scalar *old, const struct bvc_scalar *cur);

/*
 * The kernel log's text for a scalar register (print_reg_state in 6.12):
 * a constant as a number ("0", "-1", "0x10000"), else "scalar(...)" with
 * the ranges that are not the type's extremes, equal neighbours merged
 * ("smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)"),
 * "scalar()" when nothing is known. snprintf() semantics.
 */
int bvc_scalar_snprint(char *buf, size_t size, const struct bvc_scalar *s);
/* Only the fields inside the parentheses, each preceded by a comma except
 * the first, which is preceded by @sep ("" or ","): for callers that print
 * an id or a pointer type first. Prints nothing for an unknown scalar. */
int bvc_scalar_snprint_fields(char *buf, size_t size, const struct bvc_scalar *s,
			      const char *sep);
/* A signed number as the kernel log prints it: decimal in [-32768, 32767],
 * else 0x-hex of its 64-bit pattern. */
int bvc_snum_snprint(char *buf, size_t size, int64_t v);
/* An unsigned number as the kernel log prints it: decimal up to 65535, else
 * 0x-hex. */
int bvc_unum_snprint(char *buf, size_t size, uint64_t v);

#endif /* BPFVC_SCALAR_H */
