// SPDX-License-Identifier: MIT
/*
 * ALU instructions: scalars go to the value domain (bvc_scalar_alu), and
 * pointer arithmetic follows the kernel's adjust_ptr_min_max_vals in
 * privileged mode: ADD/SUB of a scalar moves a pointer (a constant into
 * the fixed offset, anything else into the variable offset), pointer minus
 * pointer is an unknown scalar, everything else on a pointer is refused.
 *
 * Must not: know anything about memory; whether a moved pointer may be
 * dereferenced is mem.c's question.
 */
#include <errno.h>
#include <string.h>

#include "engine_internal.h"

static const char *const alu_names[16] = {
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=",
	"endian", "?", "?",
};

/* The kernel's check_reg_sane_offset: refuse offsets that could overflow. */
static int check_sane_offset(struct bvc_env *env, const struct bvc_reg *reg,
			     const struct bvc_reg *ptr)
{
	bool known = bvc_scalar_is_const(&reg->var);
	int64_t val = (int64_t)reg->var.var_off.value;

	if (known && (val >= BVC_MAX_VAR_OFF || val <= -BVC_MAX_VAR_OFF))
		return bvc_vrej(env, "math between %s pointer and %lld is not allowed", bvc_rtype_name(ptr),
				(long long)val);
	if (reg->off >= BVC_MAX_VAR_OFF || reg->off <= -BVC_MAX_VAR_OFF)
		return bvc_vrej(env, "%s pointer offset %d is not allowed", bvc_rtype_name(reg), reg->off);
	if (reg->var.smin == INT64_MIN)
		return bvc_vrej(env, "math between %s pointer and register with unbounded min value is not allowed",
				bvc_rtype_name(ptr));
	if (reg->var.smin >= BVC_MAX_VAR_OFF || reg->var.smin <= -BVC_MAX_VAR_OFF)
		return bvc_vrej(env, "value %lld makes %s pointer be out of bounds", (long long)reg->var.smin,
				bvc_rtype_name(ptr));
	return 0;
}

/* dst = ptr <op> off for ADD/SUB; the kernel's adjust_ptr_min_max_vals. */
static int adjust_ptr(struct bvc_env *env, const struct bvc_insn *insn, struct bvc_reg *dst,
		      const struct bvc_reg *ptr, const struct bvc_reg *off)
{
	uint8_t op = bvc_insn_op(insn);
	bool known = bvc_scalar_is_const(&off->var);
	struct bvc_reg res = *ptr;
	int64_t k = (int64_t)off->var.var_off.value;
	int err;

	if (!bvc_scalar_is_valid(&off->var)) {
		/* Bounds from a dead branch: the kernel taints the result. */
		bvc_mark_reg_unknown(dst);
		return 0;
	}
	if (bvc_insn_class(insn) != BVC_ALU64) {
		if (op == BVC_SUB) {
			bvc_mark_reg_unknown(dst);
			return 0;
		}
		return bvc_vrej(env, "R%u 32-bit pointer arithmetic prohibited", insn->dst);
	}
	if (ptr->maybe_null)
		return bvc_vrej(env, "R%u pointer arithmetic on %s prohibited, null-check it first",
				insn->dst, bvc_rtype_name(ptr));
	switch (ptr->type) {
	case BVC_PTR_CTX:
	case BVC_PTR_MAP_VALUE:
	case BVC_PTR_MAP_KEY:
	case BVC_PTR_STACK:
	case BVC_PTR_PACKET_META:
	case BVC_PTR_PACKET:
	case BVC_PTR_MEM:
	case BVC_PTR_FUNC:
		break;
	case BVC_PTR_FLOW_KEYS:
		/* Only by a known amount, which stays in the fixed offset
		 * (below): the kernel checks flow key accesses on it alone. */
		if (known)
			break;
		/* fall through */
	case BVC_CONST_PTR_MAP:
		if (known && k == 0 && op == BVC_ADD)
			break;
		/* fall through */
	default:
		return bvc_vrej(env, "R%u pointer arithmetic on %s prohibited", insn->dst,
				bvc_rtype_name(ptr));
	}
	err = check_sane_offset(env, off, ptr);
	if (!err)
		err = check_sane_offset(env, ptr, ptr);
	if (err)
		return err;

	switch (op) {
	case BVC_ADD:
		if (known && (int64_t)ptr->off + k == (int64_t)(int32_t)(ptr->off + (int32_t)k)) {
			res.off = ptr->off + (int32_t)k;
			break;
		}
		res.var = ptr->var;
		{
			struct bvc_insn add = { .code = BVC_ALU64 | BVC_ADD | BVC_X };

			bvc_scalar_alu(&res.var, &off->var, &add);
		}
		if (bvc_is_pkt_pointer(ptr)) {
			res.id = ++env->id_gen;
			res.range = 0;
		}
		break;
	case BVC_SUB:
		if (ptr->type == BVC_PTR_STACK)
			return bvc_vrej(env, "R%u subtraction from stack pointer prohibited", insn->dst);
		if (known && (int64_t)ptr->off - k == (int64_t)(int32_t)(ptr->off - (int32_t)k)) {
			res.off = ptr->off - (int32_t)k;
			break;
		}
		{
			struct bvc_insn sub = { .code = BVC_ALU64 | BVC_SUB | BVC_X };

			bvc_scalar_alu(&res.var, &off->var, &sub);
		}
		if (bvc_is_pkt_pointer(ptr)) {
			res.id = ++env->id_gen;
			if (off->var.smin < 0)
				res.range = 0;
		}
		break;
	case BVC_AND:
	case BVC_OR:
	case BVC_XOR:
		return bvc_vrej(env, "R%u bitwise operator %s on pointer prohibited", insn->dst,
				alu_names[op >> 4]);
	default:
		return bvc_vrej(env, "R%u pointer arithmetic with %s operator prohibited", insn->dst,
				alu_names[op >> 4]);
	}
	/* A pointer at or past data_end (a negative range, branch.c) stays
	 * there only when it moves forward. */
	if (res.range < 0 && !(op == BVC_ADD && known && k >= 0 && res.id == ptr->id))
		res.range = 0;
	err = check_sane_offset(env, &res, ptr);
	if (err)
		return err;
	*dst = res;
	return 0;
}

/* r = r2 (64-bit): copies share an id so a later check refines both. */
static void copy_scalar_linked(struct bvc_env *env, struct bvc_reg *dst, struct bvc_reg *src)
{
	if (src->type == BVC_SCALAR && !src->id && !bvc_scalar_is_const(&src->var))
		src->id = ++env->id_gen;
	*dst = *src;
}

/*
 * Whether a narrowing or sign-extending move of the scalar @src ("w1 =
 * w2", "r1 = (s8)r2", "w1 = (s16)w2") gives back the same 64-bit value:
 * only then may the copy share @src's id, since a bound learnt on one is
 * applied to the other (engine.c sync_linked). The tests are the kernel's
 * (6.12 check_alu_op): a 32-bit move keeps a value that fits in 32 bits,
 * a sign extension from n bits one below 2^(n-1). When they fail the copy
 * is a new value with no link (docs/kernel-bugs.md: linked-ldsx-sign is
 * the same question for a fill).
 */
static bool mov_keeps_value(const struct bvc_insn *insn, const struct bvc_reg *src)
{
	if (insn->off == 0)
		return bvc_insn_class(insn) == BVC_ALU && src->var.umax <= UINT32_MAX;
	if (insn->off != 8 && insn->off != 16 && insn->off != 32)
		return false;
	return src->var.umax < 1ull << (insn->off - 1);
}

static int check_mov(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env), *dst = &regs[insn->dst];
	bool x = bvc_insn_srcbit(insn) == BVC_X, alu64 = bvc_insn_class(insn) == BVC_ALU64;
	struct bvc_reg *src = &regs[insn->src];

	if (!x) {
		bvc_mark_reg_known(dst, alu64 ? (uint64_t)(int64_t)insn->imm : (uint32_t)insn->imm);
		return 0;
	}
	if (src->type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->src);
	if (alu64 && insn->off == 0) {
		copy_scalar_linked(env, dst, src);
		return 0;
	}
	if (src->type != BVC_SCALAR) {
		/* Privileged: a sign-extended or truncated pointer is a number. */
		bvc_mark_reg_unknown(dst);
		return 0;
	}
	{
		struct bvc_scalar v = src->var;

		if (mov_keeps_value(insn, src))
			copy_scalar_linked(env, dst, src);
		else
			bvc_mark_reg_unknown(dst);
		dst->var = v;
		return bvc_scalar_alu(&dst->var, &v, insn) ? bvc_vrej(env, "BPF_MOV uses reserved fields") : 0;
	}
}

static uint64_t bswap(uint64_t v, int bits)
{
	uint64_t r = 0;

	for (int i = 0; i < bits / 8; i++)
		r = (r << 8) | ((v >> (8 * i)) & 0xff);
	return r;
}

/* NEG, or END/BSWAP, of the constant @v, with BPF semantics on this
 * little-endian ISA (to LE truncates, to BE and BSWAP swap). */
static uint64_t fold_const_unary(const struct bvc_insn *insn, uint64_t v)
{
	bool alu64 = bvc_insn_class(insn) == BVC_ALU64;
	int bits = insn->imm;
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;

	if (bvc_insn_op(insn) == BVC_NEG)
		return alu64 ? (uint64_t)0 - v : (uint32_t)(0u - (uint32_t)v);
	if (!alu64 && bvc_insn_srcbit(insn) == BVC_TO_LE)
		return v & mask;
	return bswap(v & mask, bits);
}

int bvc_check_alu(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env), *dst = &regs[insn->dst];
	uint8_t op = bvc_insn_op(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X && op != BVC_END && op != BVC_NEG;
	struct bvc_reg *src = x ? &regs[insn->src] : NULL, konst;
	int err;

	if (op == BVC_MOV)
		return check_mov(env, insn);
	if (x && src->type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->src);
	if (dst->type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->dst);

	if (op == BVC_NEG || op == BVC_END) {
		if (dst->type != BVC_SCALAR) {
			bvc_mark_reg_unknown(dst);
			return 0;
		}
	} else if (x && src->type != BVC_SCALAR) {
		if (dst->type != BVC_SCALAR) {
			if (op == BVC_SUB) {
				bvc_mark_reg_unknown(dst);
				return 0;
			}
			return bvc_vrej(env, "R%u pointer %s pointer prohibited", insn->dst,
					alu_names[op >> 4]);
		}
		if (op == BVC_SUB && bvc_insn_class(insn) == BVC_ALU64)
			return bvc_vrej(env, "R%u tried to subtract pointer from scalar", insn->dst);
		/* scalar += pointer: the scalar's value becomes an offset. */
		err = bvc_mark_precise(env, insn->dst);
		if (err)
			return err;
		konst = *dst;
		return adjust_ptr(env, insn, dst, src, &konst);
	} else if (dst->type != BVC_SCALAR) {
		if (!x) {
			bvc_mark_reg_known(&konst, (uint64_t)(int64_t)insn->imm);
			src = &konst;
		} else if (src->type == BVC_SCALAR) {
			err = bvc_mark_precise(env, insn->src);
			if (err)
				return err;
		}
		return adjust_ptr(env, insn, dst, dst, src);
	}

	/* NEG and END of a constant are constants (Linux 6.18 tracks them;
	 * the value domain, like 6.12, gives up). */
	if ((op == BVC_NEG || op == BVC_END) && bvc_scalar_is_const(&dst->var)) {
		uint64_t v = fold_const_unary(insn, dst->var.var_off.value);

		bvc_mark_reg_known(dst, v);
		return 0;
	}
	/* Scalar op scalar: the value domain does the work. */
	if (bvc_scalar_alu(&dst->var, src ? &src->var : NULL, insn))
		return bvc_vrej(env, "BPF_ALU uses reserved fields");
	dst->id = 0;
	return 0;
}
