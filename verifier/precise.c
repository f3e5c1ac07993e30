// SPDX-License-Identifier: MIT
/*
 * Precision tracking (docs/design.md section 3), the kernel's lazy scheme.
 *
 * Scalars in checkpoints start imprecise, and bvc_states_equal() does not
 * look at the value of an imprecise scalar. When a value starts to matter - the
 * offset in pointer arithmetic, a helper's size or constant argument, a
 * branch decided by it, the program's return value, a zero written to the
 * stack - bvc_mark_precise() walks the current path backwards through its
 * history (struct bvc_hist) and marks every register and stack slot the
 * value was computed from precise in the checkpoints above. The marks land
 * while those checkpoints are still being explored (they are on the current
 * path), so a checkpoint knows everything its continuations needed by the
 * time it is finished and used for pruning. A path pruned against a
 * finished checkpoint inherits that checkpoint's needs the same way
 * (bvc_propagate_precision()).
 *
 * The walk stops early at a register already precise in a checkpoint: its
 * sources were marked above when it was. Where the walk cannot follow a
 * value (a scalar used as a store's base, LD_ABS data, a frame it does not
 * expect), every scalar of every checkpoint above is marked precise
 * instead - always sound, prunes less.
 *
 * The history convention (as the kernel's): a segment's first entry is its
 * first instruction's first visit, and every step that is not a
 * fall-through has an entry; so walking back, "at the segment's first
 * instruction with only its first entry left" is where the segment began,
 * even when a loop came back to that instruction.
 *
 * Split runs (docs/design.md section 4, step 3): a walk that reaches the root of
 * a work item explored here stops there and leaves what it still needs on
 * the root as a demand; the item's done report carries the demand to the
 * engine that donated the item, which continues the walk from the item's
 * branch through its own checkpoints (bvc_apply_demand()) before it counts the
 * item finished.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/disasm.h"
#include "engine_internal.h"

#define ARG_REGS 0x3eu /* r1-r5 */

/* Linked scalars at a branch, packed in 64 bits: a count, then up to
 * LINK_MAX entries of frame (3 bits), is-a-slot (1) and number (6). */
#define LINK_MAX 6
#define LINK_BITS 10

struct walk {
	struct bvc_prec_mask m;
	uint32_t frame;        /* frame the instruction being walked runs in */
};

static bool walk_empty(const struct walk *w)
{
	for (uint32_t f = 0; f <= w->frame; f++)
		if (w->m.regs[f] || w->m.slots[f])
			return false;
	return true;
}

/* "regs=r1,r6 stack=-8,-24", as the kernel's level-2 log prints a mask. */
static void log_mask(struct bvc_env *env, const struct walk *w, uint32_t f)
{
	const char *sep = "";

	bvc_vlog(env, "regs=");
	for (int r = 0; r < BVC_MAX_REG; r++) {
		if (w->m.regs[f] & (1u << r)) {
			bvc_vlog(env, "%sr%d", sep, r);
			sep = ",";
		}
	}
	bvc_vlog(env, " stack=");
	sep = "";
	for (int s = 0; s < 64; s++) {
		if (w->m.slots[f] & (1ull << s)) {
			bvc_vlog(env, "%s%d", sep, -8 * (s + 1));
			sep = ",";
		}
	}
}

static void log_insn(struct bvc_env *env, const struct walk *w, uint32_t idx)
{
	char text[BVC_DISASM_TEXT_MAX];

	bvc_disasm_insn(env->insns, env->cnt, idx, text, sizeof(text));
	bvc_vlog(env, "mark_precise: frame%u: ", w->frame);
	log_mask(env, w, w->frame);
	bvc_vlog(env, " before %u: (%02x) %s\n", idx, env->insns[idx].code, text);
}

int bvc_hist_push(struct bvc_env *env, uint32_t flags, uint64_t linked)
{
	struct bvc_state *st = env->cur;
	struct bvc_hist *h;

	if (env->hist_open) {
		/* One entry per visit: a fill at a jump target, say. */
		h = &st->hist[st->nhist - 1];
		h->flags |= flags;
		if (linked)
			h->linked = linked;
		return 0;
	}
	if (st->nhist == st->cap_hist) {
		uint32_t cap = st->cap_hist ? st->cap_hist * 2 : 8;
		struct bvc_hist *v = bvc_arena_grow(env->arena, st->hist, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->hist = v;
		st->cap_hist = (uint32_t)(bvc_arena_usable(v) / sizeof(*v));
	}
	st->hist[st->nhist++] = (struct bvc_hist){ env->insn_idx, env->prev_insn_idx, flags, linked };
	env->hist_open = true;
	return 0;
}

/*
 * The step onto env->insn_idx. Remembered when it starts the state's
 * segment (so a walk knows where the segment began, even when a loop comes
 * back to the same instruction) or when it is not a fall-through.
 */
int bvc_hist_arrive(struct bvc_env *env)
{
	uint32_t i = env->insn_idx, p = env->prev_insn_idx;

	env->hist_open = false;
	if (env->cur->nhist && p != BVC_HIST_NONE) {
		if (i == p + 1)
			return 0;
		/* ld_imm64: its second half reads as a no-op going back. */
		if (i == p + 2 && env->insns[p].code == (BVC_LD | BVC_IMM | BVC_DW))
			return 0;
	}
	return bvc_hist_push(env, 0, 0);
}

/* Record one more linked scalar in @linked; false when the set is full. */
static bool link_add(uint64_t *linked, uint32_t frame, bool slot, uint32_t n)
{
	uint32_t cnt = (uint32_t)(*linked & 0xf);

	if (cnt == LINK_MAX)
		return false;
	*linked |= (uint64_t)(frame | (slot ? 8u : 0u) | n << 4) << (4 + LINK_BITS * cnt);
	*linked = (*linked & ~0xfull) | (cnt + 1);
	return true;
}

/*
 * Add the scalars of the current state that share @id - live registers
 * r0-r9 and spilled slots, innermost frame first, as the kernel's
 * collect_linked_regs - to the packed set @linked: a branch on one of them
 * refines all, so a walk that needs one needs all. Past LINK_MAX the rest
 * are unlinked (id 0), so the branch refines only what the set records.
 */
void bvc_collect_linked(struct bvc_env *env, uint32_t id, uint64_t *linked)
{
	const struct bvc_state *st = env->cur;

	for (uint32_t f = st->curframe + 1; f-- > 0;) {
		struct bvc_frame *fr = st->frames[f];
		uint16_t live = f == st->curframe
				? env->aux[env->insn_idx].live_regs
				: bvc_caller_live(env, st, f);

		for (uint32_t r = 0; r < BVC_REG_FP; r++) {
			struct bvc_reg *reg = &fr->regs[r];

			if (reg->type != BVC_SCALAR || reg->id != id || !(live & (1u << r)))
				continue;
			if (!link_add(linked, f, false, r))
				reg->id = 0;
		}
		for (uint32_t s = 0; s < fr->nslots && s < 64; s++) {
			struct bvc_reg *reg = &fr->slots[s].spilled;

			if (fr->slots[s].stype[0] != BVC_STACK_SPILL || reg->type != BVC_SCALAR ||
			    reg->id != id)
				continue;
			if (!link_add(linked, f, true, s))
				reg->id = 0;
		}
	}
}

/* Entry @k of a packed set: frame, is-a-slot, number. */
static void link_get(uint64_t linked, uint32_t k, uint32_t *frame, bool *slot, uint32_t *n)
{
	uint32_t e = (uint32_t)(linked >> (4 + LINK_BITS * k)) & 0x3ff;

	*frame = e & 7;
	*slot = e & 8;
	*n = e >> 4;
}

/* If the walk needs one of the scalars linked at this step, it needs all. */
static int sync_linked_marks(struct walk *w, const struct bvc_hist *h)
{
	uint32_t cnt, f, n;
	bool slot, any = false;

	if (!h)
		return 0;
	cnt = (uint32_t)(h->linked & 0xf);
	for (uint32_t k = 0; k < cnt && !any; k++) {
		link_get(h->linked, k, &f, &slot, &n);
		any = slot ? (w->m.slots[f] >> n) & 1 : (w->m.regs[f] >> n) & 1;
	}
	for (uint32_t k = 0; k < cnt && any; k++) {
		link_get(h->linked, k, &f, &slot, &n);
		if (slot)
			w->m.slots[f] |= 1ull << n;
		else
			w->m.regs[f] |= (uint16_t)(1u << n);
	}
	return 0;
}

/*
 * One instruction backwards: what must be precise before @idx for what
 * @w needs after it. @subseq is the instruction the path went to next,
 * @h the history entry of this visit if there is one. -ENOTSUP when the
 * walk cannot follow (the caller then marks everything).
 */
static int backtrack_insn(struct bvc_env *env, struct walk *w, uint32_t idx, uint32_t subseq,
			  const struct bvc_hist *h)
{
	const struct bvc_insn *insn = &env->insns[idx];
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn), mode = bvc_insn_mode(insn);
	uint16_t *regs = &w->m.regs[w->frame];
	uint16_t dbit = (uint16_t)(1u << insn->dst), sbit = (uint16_t)(1u << insn->src);
	bool x = bvc_insn_srcbit(insn) == BVC_X;

	if (insn->code == 0)
		return 0; /* the second half of ld_imm64 */
	if (sync_linked_marks(w, h))
		return -ENOTSUP;

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		if (!(*regs & dbit) || op == BVC_NEG || op == BVC_END)
			break; /* untouched, or computed from itself */
		if (op == BVC_MOV)
			*regs &= (uint16_t)~dbit; /* dst = K: precise by construction */
		if (x && insn->src != BVC_REG_FP)
			*regs |= sbit;
		break;
	case BVC_LDX:
	case BVC_STX:
	case BVC_ST:
		if (cls == BVC_LDX || (mode == BVC_ATOMIC && (insn->imm & BVC_FETCH))) {
			uint32_t load = cls == BVC_LDX ? insn->dst
				      : insn->imm == BVC_CMPXCHG ? 0 : insn->src;

			if (!(*regs & (1u << load)))
				break;
			*regs &= (uint16_t)~(1u << load);
			/* Only a fill restores a value worth following: other
			 * loads give what the register already shows. */
			if (h && (h->flags & BVC_HIST_STACK))
				w->m.slots[BVC_HIST_FRAME(h->flags)] |= 1ull << BVC_HIST_SPI(h->flags);
			break;
		}
		if (*regs & dbit)
			return -ENOTSUP; /* a scalar as a store's base: pointer subtraction */
		if (h && (h->flags & BVC_HIST_STACK)) {
			uint32_t f = BVC_HIST_FRAME(h->flags);
			uint64_t bit = 1ull << BVC_HIST_SPI(h->flags);

			if (!(w->m.slots[f] & bit))
				break;
			w->m.slots[f] &= ~bit; /* the spill wrote it ... */
			if (cls == BVC_STX)
				*regs |= sbit; /* ... from this register */
		}
		break;
	case BVC_JMP:
	case BVC_JMP32:
		if (bvc_insn_is_pseudo_call(insn) && bvc_is_global_call(env, idx)) {
			/* A global function's call is a step of the caller:
			 * it sets r0, and r1-r5 are dead after it. */
			*regs &= (uint16_t)~1u;
			if (*regs & ARG_REGS)
				return -ENOTSUP;
		} else if (bvc_insn_is_pseudo_call(insn)) {
			/* Out of a callee, back to its caller: only arguments
			 * can still be needed. */
			if ((*regs & ~ARG_REGS) || w->m.slots[w->frame] || !w->frame)
				return -ENOTSUP;
			w->m.regs[w->frame - 1] |= *regs;
			*regs = 0;
			w->frame--;
		} else if (op == BVC_CALL && env->aux[idx].calls_callback && subseq != idx + 1) {
			/* Out of a callback's first instruction, back to the
			 * helper call that entered it: the callback's r1 (the
			 * index) came from nowhere, its r2 is the caller's r3
			 * (bpf_loop's callback_ctx); the call changed none of
			 * the caller's registers on this side. */
			/* bpf_loop's callback: (index, ctx); for_each_map_elem's:
			 * (map, key, value, ctx). ctx is the caller's r3. */
			uint16_t ctx = insn->imm == BPF_FUNC_loop ? 0x4u : 0x10u;
			uint16_t args = insn->imm == BPF_FUNC_loop ? 0x6u : 0x1eu;

			if ((*regs & ~args) || w->m.slots[w->frame] || !w->frame)
				return -ENOTSUP;
			if (*regs & ctx)
				w->m.regs[w->frame - 1] |= 1u << 3;
			*regs = 0;
			w->frame--;
		} else if (op == BVC_CALL) {
			/* A helper: r0 is its result, r1-r5 are clobbered. */
			*regs &= (uint16_t)~1u;
			if (*regs & ARG_REGS)
				return -ENOTSUP;
		} else if (op == BVC_EXIT && subseq != BVC_HIST_NONE && env->aux[subseq].calls_callback) {
			/* Into a callback that returned to the helper call:
			 * the call runs again on the caller's registers, which
			 * the callback left alone (r0 is the call's own). */
			if ((*regs & 1u) || w->frame + 1 >= BVC_MAX_FRAMES)
				return -ENOTSUP;
			w->frame++;
			w->m.regs[w->frame] = 0;
			w->m.slots[w->frame] = 0;
		} else if (op == BVC_EXIT) {
			/* Into the callee that returned to @subseq. */
			bool r0 = *regs & 1u;

			if (subseq == BVC_HIST_NONE || subseq == 0 || env->aux[subseq].calls_callback ||
			    !bvc_insn_is_pseudo_call(&env->insns[subseq - 1]) ||
			    (*regs & ARG_REGS) || w->frame + 1 >= BVC_MAX_FRAMES)
				return -ENOTSUP;
			*regs &= (uint16_t)~1u;
			w->frame++;
			w->m.regs[w->frame] = r0 ? 1u : 0u;
			w->m.slots[w->frame] = 0;
		} else if (x && op != BVC_JA) {
			/* dst <op> src refined both: need one, need both. */
			if (!(*regs & (dbit | sbit)))
				break;
			if (!h || !(h->flags & BVC_HIST_SRC_STACK))
				*regs |= sbit;
			if (!h || !(h->flags & BVC_HIST_DST_STACK))
				*regs |= dbit;
		}
		break;
	case BVC_LD:
		if (mode == BVC_IMM) {
			*regs &= (uint16_t)~dbit;
			break;
		}
		/* LD_ABS/LD_IND: r0 is packet data nobody tracks. */
		if (*regs & 1u)
			return -ENOTSUP;
		break;
	}
	return sync_linked_marks(w, h);
}

/* The walk gave up: every scalar of every checkpoint from @st up is
 * precise (a work item's root passes it on as "all"). */
void bvc_mark_all_precise(struct bvc_env *env, struct bvc_state *st)
{
	env->precise_fallbacks++;
	if (env->opts.log_level & 2)
		bvc_vlog(env, "mark_precise: frame%u: falling back to forcing all scalars precise\n",
			 env->cur ? env->cur->curframe : 0);
	for (; st; st = st->parent) {
		if (st->anchor_id) {
			if (st->demand)
				st->demand->all = true;
			return;
		}
		for (uint32_t f = 0; f <= st->curframe; f++) {
			struct bvc_frame *fr = st->frames[f];

			for (int r = 0; r < BVC_REG_FP; r++)
				if (fr->regs[r].type == BVC_SCALAR)
					fr->regs[r].precise = true;
			for (uint32_t s = 0; s < fr->nslots; s++)
				if (fr->slots[s].stype[0] == BVC_STACK_SPILL &&
				    fr->slots[s].spilled.type == BVC_SCALAR)
					fr->slots[s].spilled.precise = true;
		}
	}
}

/* Mark what @w needs in checkpoint @st; bits already precise there (their
 * sources are marked above) or not scalars leave the walk. */
static int mark_checkpoint(struct walk *w, struct bvc_state *st)
{
	if (st->curframe != w->frame)
		return -ENOTSUP;
	for (uint32_t f = 0; f <= w->frame; f++) {
		struct bvc_frame *fr = st->frames[f];

		for (int r = 0; r < BVC_MAX_REG; r++) {
			struct bvc_reg *reg = &fr->regs[r];

			if (!(w->m.regs[f] & (1u << r)))
				continue;
			if (reg->type != BVC_SCALAR || reg->precise)
				w->m.regs[f] &= (uint16_t)~(1u << r);
			else
				reg->precise = true;
		}
		for (uint32_t s = 0; s < 64; s++) {
			struct bvc_slot *sl;

			if (!(w->m.slots[f] & (1ull << s)))
				continue;
			if (s >= fr->nslots)
				return -ENOTSUP;
			sl = &fr->slots[s];
			if (sl->stype[0] != BVC_STACK_SPILL || sl->spilled.type != BVC_SCALAR ||
			    sl->spilled.precise)
				w->m.slots[f] &= ~(1ull << s);
			else
				sl->spilled.precise = true;
		}
	}
	return 0;
}

/* A work item's root: what is still needed becomes (part of) its demand. */
static void demand_at_root(struct walk *w, struct bvc_state *root)
{
	if (!root->demand)
		return; /* no memory for it when accepted: mark_all was set up */
	for (uint32_t f = 0; f <= w->frame; f++) {
		root->demand->regs[f] |= w->m.regs[f];
		root->demand->slots[f] |= w->m.slots[f];
	}
}

/*
 * The walk: from instruction @i of @seg's segment (not backtracking @i
 * itself when @skip: the instruction being checked consumes the values,
 * it did not produce them) back to the segment's first instruction, then
 * into each checkpoint above, until nothing is needed.
 */
static int walk_back(struct bvc_env *env, struct walk *w, const struct bvc_state *seg, uint32_t i,
		     uint32_t subseq, bool skip)
{
	bool log = (env->opts.log_level & 2);
	uint32_t end = seg->nhist;
	const struct bvc_state *start = seg;

	env->precise_walks++;
	if (walk_empty(w))
		return 0;
	for (;;) {
		struct bvc_state *st;

		/* A checkpoint made before its segment ran an instruction (a
		 * work item's first) has nothing to walk. */
		if (log && end)
			bvc_vlog(env, "mark_precise: frame%u: last_idx %u first_idx %u subseq_idx %d \n",
				 w->frame, i, seg->first_insn, subseq == BVC_HIST_NONE ? -1 : (int)subseq);
		for (; end;) {
			const struct bvc_hist *h =
				end && seg->hist[end - 1].idx == i ? &seg->hist[end - 1] : NULL;

			if (!skip) {
				if (log)
					log_insn(env, w, i);
				if (backtrack_insn(env, w, i, subseq, h))
					goto give_up;
			}
			skip = false;
			if (walk_empty(w))
				return 0;
			subseq = i;
			/* The segment began here when only its first entry
			 * (this very visit) is left. */
			if (i == seg->first_insn && (end == 0 || (end == 1 && seg->hist[0].idx == i)))
				break;
			if (h) {
				i = h->prev;
				end--;
			} else {
				i--;
				/* Over an ld_imm64 in one step: its second half is
				 * no instruction (the kernel's log never shows it). */
				if (i >= 1 && i < env->cnt && bvc_insn_is_ld_imm64(&env->insns[i - 1]))
					i--;
			}
			if (i >= env->cnt)
				goto give_up;
		}
		st = seg->parent;
		/* A global function's entry: r1-r5 are its arguments, any
		 * value of their BTF types, so nothing above to mark. */
		if (!st && w->frame == 0 && seg->frames[0]->subprog && !w->m.all && !w->m.slots[0] &&
		    !(w->m.regs[0] & ~0x3eu) && i == env->subprogs[seg->frames[0]->subprog].start)
			return 0;
		if (!st)
			goto give_up; /* needed before the entry: cannot be */
		if (st->anchor_id) {
			if (log) {
				bvc_vlog(env, "mark_precise: frame%u: work item root ", w->frame);
				log_mask(env, w, w->frame);
				bvc_vlog(env, ": asked of its donor\n");
			}
			demand_at_root(w, st);
			return 0;
		}
		if (mark_checkpoint(w, st))
			goto give_up;
		if (log) {
			for (uint32_t f = w->frame + 1; f-- > 0;) {
				bvc_vlog(env, "mark_precise: frame%u: parent state ", f);
				log_mask(env, w, f);
				bvc_vlog(env, ": ");
				bvc_log_frame(env, st, f);
			}
		}
		if (walk_empty(w))
			return 0;
		seg = st;
		i = st->last_insn;
		end = st->nhist;
	}
give_up:
	bvc_mark_all_precise(env, start->parent);
	return 0;
}

int bvc_mark_precise(struct bvc_env *env, uint32_t regno)
{
	struct walk w = { .frame = env->cur->curframe };

	if (bvc_cur_regs(env)[regno].type != BVC_SCALAR)
		return 0;
	w.m.regs[w.frame] = (uint16_t)(1u << regno);
	return walk_back(env, &w, env->cur, env->insn_idx, BVC_HIST_NONE, true);
}

int bvc_mark_precise_slot(struct bvc_env *env, uint32_t frameno, uint32_t spi)
{
	struct walk w = { .frame = env->cur->curframe };

	w.m.slots[frameno] = 1ull << spi;
	return walk_back(env, &w, env->cur, env->insn_idx, BVC_HIST_NONE, true);
}

/*
 * cur was pruned against @old: cur is safe because old was, so whatever
 * old's continuation needed precise cur's path needs too - the live
 * precise scalars of @old, walked back from here.
 */
int bvc_propagate_precision(struct bvc_env *env, const struct bvc_state *old)
{
	struct walk w = { .frame = env->cur->curframe };

	for (uint32_t f = 0; f <= old->curframe; f++) {
		const struct bvc_frame *fr = old->frames[f];
		uint16_t live = f == old->curframe
				? env->aux[env->insn_idx].live_regs
				: bvc_caller_live(env, env->cur, f);

		for (int r = 0; r < BVC_REG_FP; r++)
			if ((live & (1u << r)) && fr->regs[r].type == BVC_SCALAR && fr->regs[r].precise)
				w.m.regs[f] |= (uint16_t)(1u << r);
		/* A slot no path below old read did not matter to it,
		 * precise or not (the kernel skips those not REG_LIVE_READ). */
		for (uint32_t s = 0; s < fr->nslots && s < 64; s++)
			if (fr->slots[s].stype[0] == BVC_STACK_SPILL &&
			    fr->slots[s].spilled.type == BVC_SCALAR && fr->slots[s].spilled.precise &&
			    !(fr->unread & (1ull << s)))
				w.m.slots[f] |= 1ull << s;
	}
	/* The kernel's level-2 lines: what each frame propagates, innermost
	 * first ("frame 0: propagating r6,fp-8"). */
	for (uint32_t f = old->curframe + 1; (env->opts.log_level & 2) && f-- > 0;) {
		const char *sep = "";

		for (int r = 0; r < BVC_REG_FP; r++) {
			if (!(w.m.regs[f] & (1u << r)))
				continue;
			if (!*sep)
				bvc_vlog(env, "frame %u: propagating ", f);
			bvc_vlog(env, "%sr%d", sep, r);
			sep = ",";
		}
		for (int sl = 0; sl < 64; sl++) {
			if (!(w.m.slots[f] & (1ull << sl)))
				continue;
			if (!*sep)
				bvc_vlog(env, "frame %u: propagating ", f);
			bvc_vlog(env, "%sfp%d", sep, -8 * (sl + 1));
			sep = ",";
		}
		if (*sep)
			bvc_vlog(env, "\n");
	}
	return walk_back(env, &w, env->cur, env->insn_idx, BVC_HIST_NONE, true);
}

/*
 * A donated item came back with @demand (what its root needed precise):
 * continue the walk here, from the branch the item was taken at (@path
 * keeps that segment's history) through @parent and above.
 */
int bvc_apply_demand(struct bvc_env *env, const struct bvc_state *path, struct bvc_state *parent,
		     const struct bvc_prec_mask *demand)
{
	struct walk w = { .frame = path->curframe };
	struct bvc_state seg = *path;

	if (!parent)
		return 0; /* the item was the entry: nothing above it */
	seg.parent = parent;
	if (demand->all) {
		bvc_mark_all_precise(env, parent);
		return 0;
	}
	for (uint32_t f = 0; f <= w.frame; f++) {
		w.m.regs[f] = demand->regs[f];
		w.m.slots[f] = demand->slots[f];
	}
	return walk_back(env, &w, &seg, path->last_insn, path->insn_idx, false);
}
