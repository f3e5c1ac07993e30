// SPDX-License-Identifier: MIT
/*
 * Conditional jumps: deciding a branch when the state can, else pushing
 * the taken side as a pending state and refining both sides by what the
 * condition says (the kernel's check_cond_jmp_op, reg_set_min_max,
 * find_good_pkt_pointers, mark_ptr_or_null_regs).
 *
 * Each side learns only what its condition proves: r1 > 5 on one side,
 * r1 <= 5 on the other; a NULL check makes every copy of the pointer NULL
 * or valid; a comparison with data_end gives a packet range. A branch
 * decided by values makes those values precise (precise.c), since the path
 * depends on them. Nothing here explores: the pushed side waits for the
 * loop (engine.c) to pop it.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine_internal.h"

/* Push the state that continues at @insn onto the pending stack. */
static struct bvc_state *push_stack(struct bvc_env *env, uint32_t insn, uint32_t prev)
{
	struct bvc_state *st;

	if (env->npending >= BVC_MAX_PENDING) {
		bvc_vrej(env, "The sequence of %u jumps is too complex.", env->npending + 1);
		return NULL;
	}
	if (env->npending == env->cap_pending) {
		uint32_t cap = env->cap_pending ? env->cap_pending * 2 : 64;
		struct bvc_pending *p = realloc(env->pending, cap * sizeof(*p));

		if (!p)
			return NULL;
		env->pending = p;
		env->cap_pending = cap;
	}
	st = bvc_state_copy(env->arena, env->cur, BVC_COPY_TRAIL | BVC_COPY_HIST);
	if (!st)
		return NULL;
	st->insn_idx = insn;
	if (bvc_trail_push(env->arena, st, 1) || bvc_trail_push(env->arena, env->cur, 0)) {
		bvc_state_free(st);
		return NULL;
	}
	env->pending[env->npending++] = (struct bvc_pending){ st, insn, prev, env->log_true_len };
	if (st->parent)
		st->parent->branches++;
	return st;
}

struct bvc_state *bvc_push_state(struct bvc_env *env, uint32_t insn, uint32_t prev)
{
	return push_stack(env, insn, prev);
}

/* After a NULL check: every copy of the pointer becomes 0 or non-NULL. */
static void mark_ptr_or_null(struct bvc_state *st, uint32_t id, bool is_null)
{
	uint32_t ref = 0;

	for_each_reg(st, reg, {
		if (reg->id == id && reg->maybe_null && bvc_is_pointer(reg)) {
			if (is_null) {
				/* Only the acquiring pointer's NULL frees its
				 * reference (its id is the reference's): a
				 * cast of a held socket (sk_fullsock,
				 * tcp_sock) being NULL says nothing of the
				 * socket, which must still be released. */
				if (reg->ref_obj_id == id)
					ref = reg->ref_obj_id;
				bvc_mark_reg_known(reg, 0);
			} else {
				/* As the kernel: the id only linked the
				 * copies for this check (no spin locks
				 * here), and dropping it lets states prune. */
				reg->maybe_null = false;
				reg->id = 0;
			}
		}
	});
	if (is_null && ref) {
		/* A NULL record holds no reference: nothing to release. */
		for (uint32_t i = 0; i < st->nrefs; i++) {
			if (st->refs[i] == ref) {
				st->refs[i] = st->refs[--st->nrefs];
				break;
			}
		}
	}
}

/* Linked scalars (copies made by "rX = rY"): a refinement of one is a
 * refinement of all. */
static void sync_linked(struct bvc_state *st, const struct bvc_reg *known)
{
	if (!known->id || known->type != BVC_SCALAR)
		return;
	for_each_reg(st, reg, {
		if (reg->type == BVC_SCALAR && reg->id == known->id)
			reg->var = known->var;
	});
}

/* A comparison of a packet pointer with data_end (or data with data_meta)
 * proves that many bytes readable: the kernel's find_good_pkt_pointers. */
static void mark_pkt_range(struct bvc_state *st, const struct bvc_reg *ptr, bool right_open)
{
	int32_t range;

	if (ptr->off < 0 || (ptr->off == 0 && right_open))
		return;
	if (ptr->var.umax > BVC_PKT_MAX_RANGE || ptr->var.umax + (uint64_t)ptr->off > BVC_PKT_MAX_RANGE)
		return;
	range = ptr->off + (right_open ? 1 : 0);
	for_each_reg(st, reg, {
		if (reg->type == ptr->type && reg->id == ptr->id && reg->range < range)
			reg->range = range;
	});
}

/* Ranges of a packet pointer found at or past data_end (the kernel's
 * AT_PKT_END and BEYOND_PKT_END): no byte is readable through it, and a
 * later comparison of the same pointer with data_end is decided. */
#define PKT_AT_END (-1)
#define PKT_BEYOND_END (-2)

/* On @st's side "ptr > end" (@beyond) or "ptr >= end" holds: the kernel's
 * mark_pkt_end, on that register only (not its copies). */
static void mark_pkt_end(struct bvc_state *st, uint32_t regno, bool beyond)
{
	struct bvc_reg *reg = &st->frames[st->curframe]->regs[regno];

	if (reg->type == BVC_PTR_PACKET)
		reg->range = beyond ? PKT_BEYOND_END : PKT_AT_END;
}

/* A packet pointer known at or past data_end compared with data_end again:
 * 1 or 0 when decided, -1 when not (the kernel's is_pkt_ptr_branch_taken). */
static int pkt_branch_taken(const struct bvc_reg *dst, const struct bvc_reg *src, uint8_t op)
{
	const struct bvc_reg *pkt;

	if (src->type == BVC_PTR_PACKET_END && dst->type == BVC_PTR_PACKET) {
		pkt = dst;
	} else if (dst->type == BVC_PTR_PACKET_END && src->type == BVC_PTR_PACKET) {
		pkt = src;
		op = bvc_jmp_flip(op);
	} else {
		return -1;
	}
	if (pkt->range >= 0)
		return -1;
	switch (op) {
	case BVC_JLE:
	case BVC_JGT:
		if (pkt->range == PKT_BEYOND_END)
			return op == BVC_JGT;
		break;
	case BVC_JLT:
	case BVC_JGE:
		return op == BVC_JGE; /* at or beyond: ptr >= end */
	}
	return -1;
}

/* data itself, not moved: the end that data_meta is compared with. */
static bool is_init_pkt(const struct bvc_reg *reg)
{
	return reg->type == BVC_PTR_PACKET && reg->off == 0 && bvc_scalar_is_const(&reg->var) &&
	       reg->var.var_off.value == 0;
}

/*
 * "if pkt <op> pkt_end" in either order: which side learns what. Returns
 * true when the comparison was of that kind (the branch is then unknown).
 */
static bool try_match_pkt(const struct bvc_insn *insn, const struct bvc_reg *dst,
			  const struct bvc_reg *src, struct bvc_state *taken, struct bvc_state *fall)
{
	uint8_t op = bvc_insn_op(insn);
	const struct bvc_reg *ptr;
	uint32_t ptr_regno;
	bool ptr_left;

	if (bvc_insn_class(insn) == BVC_JMP32 || bvc_insn_srcbit(insn) != BVC_X)
		return false;
	if ((dst->type == BVC_PTR_PACKET && src->type == BVC_PTR_PACKET_END) ||
	    (dst->type == BVC_PTR_PACKET_META && is_init_pkt(src))) {
		ptr = dst;
		ptr_regno = insn->dst;
		ptr_left = true;
	} else if ((src->type == BVC_PTR_PACKET && dst->type == BVC_PTR_PACKET_END) ||
		   (src->type == BVC_PTR_PACKET_META && is_init_pkt(dst))) {
		ptr = src;
		ptr_regno = insn->src;
		ptr_left = false;
	} else {
		return false;
	}
	if (!ptr_left)
		op = bvc_jmp_flip(op);
	/* Now "ptr <op> end"; the side where ptr is past the end learns that
	 * too. */
	switch (op) {
	case BVC_JGT: /* ptr > end: fall-through has ptr <= end */
		if (fall)
			mark_pkt_range(fall, ptr, false);
		if (taken)
			mark_pkt_end(taken, ptr_regno, true);
		break;
	case BVC_JGE: /* ptr >= end: fall-through has ptr < end */
		if (fall)
			mark_pkt_range(fall, ptr, true);
		if (taken)
			mark_pkt_end(taken, ptr_regno, false);
		break;
	case BVC_JLT: /* ptr < end: taken has ptr < end */
		if (taken)
			mark_pkt_range(taken, ptr, true);
		if (fall)
			mark_pkt_end(fall, ptr_regno, false);
		break;
	case BVC_JLE: /* ptr <= end */
		if (taken)
			mark_pkt_range(taken, ptr, false);
		if (fall)
			mark_pkt_end(fall, ptr_regno, true);
		break;
	default:
		return false;
	}
	return true;
}

static struct bvc_reg *state_reg(struct bvc_state *st, uint32_t regno)
{
	return &st->frames[st->curframe]->regs[regno];
}

/* Refine the scalars of @st for "dst <op> src" holding. */
static void refine_scalars(struct bvc_state *st, const struct bvc_insn *insn, uint8_t op,
			   bool x)
{
	struct bvc_reg *dst = state_reg(st, insn->dst);
	struct bvc_reg konst, *src = x ? state_reg(st, insn->src) : &konst;
	bool is32 = bvc_insn_class(insn) == BVC_JMP32;

	if (!x)
		bvc_mark_reg_known(&konst, (uint64_t)(int64_t)insn->imm);
	if (dst->type != BVC_SCALAR || src->type != BVC_SCALAR)
		return;
	bvc_scalar_refine(&dst->var, &src->var, op, is32);
	sync_linked(st, dst);
	if (x)
		sync_linked(st, src);
}

/* Pointers the kernel knows are never NULL (its reg_not_null, our subset):
 * note that ctx and stack pointers are not among them. */
static bool is_not_null(const struct bvc_reg *reg)
{
	if (reg->maybe_null)
		return false;
	return reg->type == BVC_PTR_MAP_VALUE || reg->type == BVC_PTR_MAP_KEY ||
	       reg->type == BVC_PTR_MEM || reg->type == BVC_PTR_SOCK_COMMON ||
	       reg->type == BVC_PTR_SOCKET || reg->type == BVC_PTR_TCP_SOCK;
}

int bvc_check_cond_jmp(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env), *dst = &regs[insn->dst], konst, *src;
	bool x = bvc_insn_srcbit(insn) == BVC_X, is32 = bvc_insn_class(insn) == BVC_JMP32;
	uint8_t op = bvc_insn_op(insn);
	uint32_t target = (uint32_t)((int64_t)env->insn_idx + insn->off + 1);
	struct bvc_state *other;
	int pred = -1;

	if (op == BVC_JCOND)
		return bvc_vunsup(env, "may_goto");
	if (dst->type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->dst);
	if (x) {
		src = &regs[insn->src];
		if (src->type == BVC_NOT_INIT)
			return bvc_vrej(env, "R%u !read_ok", insn->src);
	} else {
		bvc_mark_reg_known(&konst, is32 ? (uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm);
		src = &konst;
	}

	if (x && (src->type == BVC_PTR_STACK || dst->type == BVC_PTR_STACK)) {
		/* A walk back through here must not chase stack pointers. */
		int err = bvc_hist_push(env, (src->type == BVC_PTR_STACK ? BVC_HIST_SRC_STACK : 0) |
					 (dst->type == BVC_PTR_STACK ? BVC_HIST_DST_STACK : 0), 0);

		if (err)
			return err;
	} else if (!x && dst->type == BVC_PTR_STACK) {
		int err = bvc_hist_push(env, BVC_HIST_DST_STACK, 0);

		if (err)
			return err;
	}

	if (dst->type == BVC_SCALAR && src->type == BVC_SCALAR) {
		pred = bvc_scalar_branch_taken(&dst->var, &src->var, op, is32);
	} else if (!is32 && (op == BVC_JEQ || op == BVC_JNE) && src->type == BVC_SCALAR &&
		   bvc_scalar_is_const(&src->var) && src->var.var_off.value == 0 &&
		   is_not_null(dst)) {
		/* A pointer that cannot be NULL is never equal to 0. */
		pred = op == BVC_JNE;
	} else if (x && !is32) {
		pred = pkt_branch_taken(dst, src, op);
	}

	if (pred >= 0) {
		/* The path depends on the values that decided the branch. */
		int err = dst->type == BVC_SCALAR ? bvc_mark_precise(env, insn->dst) : 0;

		if (!err && x && src->type == BVC_SCALAR)
			err = bvc_mark_precise(env, insn->src);
		if (err)
			return err;
		env->insn_idx = pred ? target : env->insn_idx + 1;
		return 1;
	}

	/* Scalars linked to either side are refined too: remember which, for
	 * the walk back (both branches share the entry). */
	{
		uint64_t linked = 0;
		int err = 0;

		if (x && src->type == BVC_SCALAR && src->id)
			bvc_collect_linked(env, src->id, &linked);
		if (dst->type == BVC_SCALAR && dst->id)
			bvc_collect_linked(env, dst->id, &linked);
		if ((linked & 0xf) > 1)
			err = bvc_hist_push(env, 0, linked);
		if (err)
			return err;
	}
	other = push_stack(env, target, env->insn_idx);
	if (!other)
		return env->rejected ? -EACCES : -ENOMEM;

	if (!is32 && x && (op == BVC_JEQ || op == BVC_JNE) && bvc_is_pointer(dst) &&
	    bvc_is_pointer(src) && dst->maybe_null != src->maybe_null) {
		/* "if p == q" with q not NULL: p is not NULL where they are
		 * equal (the kernel marks that one register, not its
		 * copies, and keeps its id). */
		struct bvc_state *eq = op == BVC_JEQ ? other : env->cur;
		struct bvc_reg *r = state_reg(eq, dst->maybe_null ? insn->dst : insn->src);

		r->maybe_null = false;
	}
	if (!is32 && !x && (op == BVC_JEQ || op == BVC_JNE) && dst->maybe_null && bvc_is_pointer(dst) &&
	    insn->imm == 0) {
		/* "if ptr == 0": NULL on one side, valid on the other. */
		mark_ptr_or_null(other, dst->id, op == BVC_JEQ);
		mark_ptr_or_null(env->cur, dst->id, op != BVC_JEQ);
	} else if (try_match_pkt(insn, dst, src, other, env->cur)) {
		/* ranges recorded */
	} else {
		refine_scalars(other, insn, op, x);
		refine_scalars(env->cur, insn, bvc_jmp_negate(op), x);
	}
	env->insn_idx++;
	return 1;
}
