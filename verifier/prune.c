// SPDX-License-Identifier: MIT
/*
 * Pruning: checkpoints at prune points and the test that lets a path stop
 * early because an explored, finished state was at least as general.
 *
 * The soundness rule (docs/design.md section 4): a checkpoint is used only when
 * its branch count is 0, i.e. every path below it has been explored and
 * found safe. "old safe => cur safe" then holds when every live register
 * and stack slot of cur is included in old's (bvc_states_equal). A checkpoint
 * still being explored is only compared exactly, to detect infinite loops.
 *
 * Scalars: an imprecise scalar of old matches any scalar - nothing below
 * old depended on its value (precise.c marks the ones that did, before old
 * is finished). A path pruned here inherits old's precise set.
 *
 * Stack slots, two ways, either enough to skip a slot of old: statically
 * (cfg.c: no path from the instruction reads it before a full write; the
 * innermost frame only), and along the paths actually explored, as the
 * 6.12 kernel's REG_LIVE_READ marks on slots: a read of a slot marks it
 * read in the parent checkpoint and up the chain of checkpoints until a
 * full 8-byte write of the slot on the segment below one screens it off
 * (bvc_mark_slots_read). Once a checkpoint is finished every path below it
 * has left its marks, so a slot it never saw read did not matter to its
 * safety, in any frame (the kernel's clean_live_states). A path pruned
 * against old has old's reads marked on its own chain, since its
 * continuation is old's. Marks cannot follow a donated item into another
 * engine: donating marks every checkpoint above it read everywhere, and
 * checkpoints from elsewhere arrive with every slot read (0, the default).
 *
 * Lifetime, as the kernel's: a checkpoint that keeps missing is evicted
 * from its list, and freed once its branch count is 0 - then no pending
 * state or checkpoint below it is still explored, and only explored paths
 * walk up through parents (branch counts, precision, read marks). A finished
 * checkpoint's path history goes at once for the same reason. So memory
 * follows the states alive, not every state ever made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

#define IDMAP_MAX (BVC_MAX_REG * BVC_MAX_FRAMES + BVC_STACK_SLOTS * BVC_MAX_FRAMES + BVC_MAX_REFS)

/* A bijection between old ids and cur ids found so far. */
struct bvc_idmap {
	uint32_t old[IDMAP_MAX], cur[IDMAP_MAX];
	uint32_t n;
	uint32_t tmp; /* fresh ids for "no id", so they never match each other */
};

static bool check_ids(uint32_t old, uint32_t cur, struct bvc_idmap *m)
{
	if (!old)
		return true; /* nothing depended on a link */
	if (!cur)
		return false;
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->old[i] == old)
			return m->cur[i] == cur;
		if (m->cur[i] == cur)
			return false;
	}
	if (m->n == IDMAP_MAX)
		return false;
	m->old[m->n] = old;
	m->cur[m->n++] = cur;
	return true;
}

static bool check_scalar_ids(uint32_t old, uint32_t cur, struct bvc_idmap *m)
{
	old = old ? old : (0x80000000u | ++m->tmp);
	cur = cur ? cur : (0x80000000u | ++m->tmp);
	return check_ids(old, cur, m);
}

/* Comparison modes (the kernel's exact_level): NOT_EXACT against a
 * finished checkpoint; EXACT for the infinite-loop check; RANGE_WITHIN
 * against a checkpoint still being explored where callback iterations
 * converge: no liveness or precision from below it is final yet, so every
 * register and slot counts and every scalar is compared by its range. */
#define CMP_NOT_EXACT 0
#define CMP_EXACT 1
#define CMP_RANGE_WITHIN 2

static bool regsafe(const struct bvc_reg *old, const struct bvc_reg *cur, struct bvc_idmap *m,
		    int mode)
{
	bool exact = mode == CMP_EXACT;

	if (old->type == BVC_NOT_INIT)
		return mode == CMP_NOT_EXACT || cur->type == BVC_NOT_INIT;
	if (cur->type == BVC_NOT_INIT || old->type != cur->type || old->maybe_null != cur->maybe_null)
		return false;
	if (exact)
		return bvc_scalar_equal(&old->var, &cur->var) && old->off == cur->off &&
		       old->map_idx == cur->map_idx && old->range == cur->range &&
		       old->mem_size == cur->mem_size && old->frameno == cur->frameno &&
		       check_ids(old->id, cur->id, m) && check_ids(old->ref_obj_id, cur->ref_obj_id, m);

	switch (old->type) {
	case BVC_SCALAR:
		if (!old->precise && mode == CMP_NOT_EXACT)
			return true;
		return bvc_scalar_within(&old->var, &cur->var) && check_scalar_ids(old->id, cur->id, m);
	case BVC_PTR_PACKET:
	case BVC_PTR_PACKET_META:
		if (cur->range < old->range || old->off != cur->off)
			return false;
		/* A range below 0 decided comparisons with data_end below old
		 * (branch.c): cur must decide them alike. */
		if (old->range < 0 && cur->range != old->range)
			return false;
		return check_ids(old->id, cur->id, m) && bvc_scalar_within(&old->var, &cur->var);
	case BVC_PTR_MAP_VALUE:
	case BVC_PTR_MAP_KEY:
	case BVC_PTR_MEM:
		return old->off == cur->off && old->map_idx == cur->map_idx &&
		       old->mem_size == cur->mem_size && bvc_scalar_within(&old->var, &cur->var) &&
		       check_ids(old->id, cur->id, m) && check_ids(old->ref_obj_id, cur->ref_obj_id, m);
	case BVC_PTR_SOCK_COMMON:
	case BVC_PTR_SOCKET:
	case BVC_PTR_TCP_SOCK:
		/* The same socket (id: NULL checks to come; ref_obj_id: the
		 * reference a release of it frees), never offset. */
		return old->off == cur->off && bvc_scalar_equal(&old->var, &cur->var) &&
		       check_ids(old->id, cur->id, m) && check_ids(old->ref_obj_id, cur->ref_obj_id, m);
	default:
		/* ctx, stack, map, pkt_end, func: only the very same pointer. */
		return old->off == cur->off && old->map_idx == cur->map_idx &&
		       old->frameno == cur->frameno && bvc_scalar_equal(&old->var, &cur->var) &&
		       check_ids(old->id, cur->id, m);
	}
}

/* A full 8-byte scalar spill of @s, or NULL. */
static const struct bvc_reg *spilled_scalar64(const struct bvc_slot *s)
{
	for (int i = 0; i < 8; i++)
		if (s->stype[i] != BVC_STACK_SPILL)
			return NULL;
	return s->spilled.type == BVC_SCALAR ? &s->spilled : NULL;
}

/* Never-written or unknown bytes only: reads give an unknown scalar. */
static bool slot_all_misc(const struct bvc_slot *s)
{
	for (int i = 0; i < 8; i++)
		if (s->stype[i] != BVC_STACK_MISC && s->stype[i] != BVC_STACK_INVALID)
			return false;
	return true;
}

/* @live: slots statically live; @unread: slots no path below old read
 * (only when !exact: old is finished). */
static bool stacksafe(const struct bvc_frame *old, const struct bvc_frame *cur, struct bvc_idmap *m,
		      int mode, uint64_t live, uint64_t unread)
{
	bool exact = mode == CMP_EXACT;

	for (uint32_t s = 0; s < old->nslots; s++) {
		const struct bvc_slot *os = &old->slots[s];
		const struct bvc_slot *cs = s < cur->nslots ? &cur->slots[s] : NULL;
		static const uint8_t invalid[8];
		const uint8_t *ct = cs ? cs->stype : invalid;
		const struct bvc_reg *old_spill = spilled_scalar64(os);

		bool cur_ptr_spill = cs && cs->stype[0] == BVC_STACK_SPILL && bvc_is_pointer(&cs->spilled);

		/* Written before any read from here on: old's bytes there
		 * never mattered. */
		if (!exact && s < 64 && !(live & (1ull << s)))
			continue;
		/* No explored path below old read it: old's safety did not
		 * depend on what it held. */
		if (!exact && s < 64 && (unread & (1ull << s)))
			continue;

		/* A scalar spill against unknown bytes: a fill of those gives
		 * an unknown scalar, fine where old's value was not needed. */
		if (!exact && old_spill && cs && slot_all_misc(cs)) {
			struct bvc_reg unknown;

			bvc_mark_reg_unknown(&unknown);
			if (!regsafe(old_spill, &unknown, m, mode))
				return false;
			continue;
		}
		for (int i = 0; i < 8; i++) {
			/* Privileged: any bytes are fine where old had unknown
			 * bytes - but not a pointer, which old never had to
			 * survive (the kernel's old state there may have been a
			 * scalar spill we modelled less precisely). */
			if (!exact && !cur_ptr_spill &&
			    (os->stype[i] == BVC_STACK_INVALID || os->stype[i] == BVC_STACK_MISC))
				continue;
			if (os->stype[i] != ct[i])
				return false;
		}
		if (os->stype[0] == BVC_STACK_SPILL && cs &&
		    !regsafe(&os->spilled, &cs->spilled, m, mode))
			return false;
	}
	if (exact) {
		for (uint32_t s = old->nslots; s < cur->nslots; s++)
			for (int i = 0; i < 8; i++)
				if (cur->slots[s].stype[i] != BVC_STACK_INVALID)
					return false;
	}
	return true;
}

bool bvc_states_equal(struct bvc_env *env, const struct bvc_state *old, const struct bvc_state *cur,
		      int mode)
{
	/* Read marks from below old: only once old is finished. Register
	 * liveness is static (cfg.c), true of old at any time: the 6.18
	 * kernel's func_states_equal() skips dead registers in every mode
	 * but EXACT (ours keeps the loop check's exact comparison whole). */
	bool use_live = mode == CMP_NOT_EXACT;
	bool live_regs = mode != CMP_EXACT;
	struct bvc_idmap *m = env->idmap;
	bool ok = true;

	if (old->curframe != cur->curframe || old->nrefs != cur->nrefs)
		return false;
	if (!m) {
		m = env->idmap = malloc(sizeof(*m));
		if (!m)
			return false; /* no pruning is always safe */
	}
	m->n = 0;
	m->tmp = 0;
	for (uint32_t f = 0; ok && f <= old->curframe; f++) {
		const struct bvc_frame *of = old->frames[f], *cf = cur->frames[f];
		uint16_t live;

		if (of->callsite != cf->callsite || of->in_callback != cf->in_callback ||
		    of->callback_depth > cf->callback_depth) {
			/* More iterations entered from old's frame than from
			 * cur's: old did not cover the ones cur has left. */
			ok = false;
			break;
		}
		if (f == old->curframe)
			live = env->aux[cur->insn_idx].live_regs;
		else if (cur->frames[f + 1]->in_callback)
			/* A callback's caller resumes at the helper call,
			 * which runs again with its arguments. */
			live = env->aux[cur->frames[f + 1]->callsite].live_regs;
		else
			/* The caller resumes after the call, r0-r5 rewritten. */
			live = env->aux[cur->frames[f + 1]->callsite + 1].live_regs & ~0x3f;
		live |= 1u << BVC_REG_FP;
		for (int r = 0; ok && r < BVC_MAX_REG; r++) {
			if (live_regs && !(live & (1u << r)))
				continue;
			ok = regsafe(&of->regs[r], &cf->regs[r], m, mode);
		}
		/* Only the innermost frame's slots have known liveness: a
		 * callee may read its callers' through pointers. */
		if (ok)
			ok = stacksafe(of, cf, m, mode,
				       use_live && f == old->curframe ? env->aux[cur->insn_idx].live_slots
								      : ~0ull,
				       use_live ? of->unread : 0);
	}
	for (uint32_t i = 0; ok && i < old->nrefs; i++)
		ok = check_ids(old->refs[i], cur->refs[i], m);
	return ok;
}

/*
 * Slots @slots of frame @frameno were read by the current path (or, after
 * a prune, by the path it joined): mark them read in each checkpoint
 * above, as far as the same frame goes back and until a full write on the
 * segment below a checkpoint screens a slot off. A checkpoint that has a
 * slot marked already has it marked all the way up (marks only ever
 * travel up), so the walk ends there.
 */
void bvc_mark_slots_read(struct bvc_env *env, uint32_t frameno, uint64_t slots)
{
	const struct bvc_state *st = env->cur;

	while (slots) {
		const struct bvc_frame *fr = frameno <= st->curframe ? st->frames[frameno] : NULL;
		struct bvc_state *p = st->parent;
		struct bvc_frame *pf;

		/* A frame pushed since the parent is not the parent's. */
		if (!fr || !fr->linked || !p || frameno > p->curframe || !p->frames[frameno])
			return;
		slots &= ~fr->written;
		pf = p->frames[frameno];
		slots &= pf->unread;
		pf->unread &= ~slots;
		st = p;
	}
}

/* Slots @slots of frame @frameno were wholly overwritten (all 8 bytes, at
 * a fixed offset): reads below no longer see the checkpoints' values.
 * Partial writes leave the old bytes visible and mark nothing. */
void bvc_mark_slots_written(struct bvc_env *env, uint32_t frameno, uint64_t slots)
{
	if (frameno <= env->cur->curframe)
		env->cur->frames[frameno]->written |= slots;
}

/* Every checkpoint above @st: every slot counts as read (its subtree goes
 * where marks cannot follow). */
void bvc_mark_all_read_above(struct bvc_state *st)
{
	for (struct bvc_state *p = st->parent; p; p = p->parent)
		for (uint32_t f = 0; f <= p->curframe && f < BVC_MAX_FRAMES; f++)
			if (p->frames[f])
				p->frames[f]->unread = 0;
}

/* cur was pruned against the finished @old: cur's continuation is old's,
 * so old's reads are cur's (the kernel's propagate_liveness; cur's own
 * writes since its parent still screen). */
static void propagate_liveness(struct bvc_env *env, const struct bvc_state *old)
{
	for (uint32_t f = 0; f <= old->curframe; f++) {
		const struct bvc_frame *of = old->frames[f];
		uint32_t n = of->nslots < env->cur->frames[f]->nslots ? of->nslots
								     : env->cur->frames[f]->nslots;
		uint64_t in_both = n >= 64 ? ~0ull : (1ull << n) - 1;

		bvc_mark_slots_read(env, f, ~of->unread & in_both);
	}
}

/*
 * The summary a checkpoint keeps so that most hopeless comparisons end
 * before bvc_states_equal (issue #16): per register r0-r9 of the innermost
 * frame, 5 bits of type and maybe_null. @mask covers the registers
 * regsafe() tests at @insn for a non-exact comparison - live ones old has
 * set: those must have cur's type and maybe_null. So a state whose sig
 * differs under old's mask can never be included in old, and skipping
 * the comparison changes nothing (types past 15 may collide, which only
 * lets a comparison run). An exact comparison tests every register.
 */
void bvc_state_sig(const struct bvc_env *env, const struct bvc_state *st, uint32_t insn,
		   uint64_t *sig, uint64_t *mask)
{
	const struct bvc_frame *fr = st->frames[st->curframe];
	uint16_t live = env->aux[insn].live_regs;

	*sig = 0;
	*mask = 0;
	for (int r = 0; r < BVC_REG_FP; r++) {
		const struct bvc_reg *reg = &fr->regs[r];

		*sig |= (uint64_t)((reg->type & 0xf) | (reg->maybe_null ? 0x10 : 0)) << (5 * r);
		if ((live & (1u << r)) && reg->type != BVC_NOT_INIT)
			*mask |= 0x1full << (5 * r);
	}
}

/* Slots of @fr holding a spilled pointer (always a full 8-byte spill). */
static uint64_t ptr_spill_slots(const struct bvc_frame *fr)
{
	uint64_t m = 0;

	for (uint32_t s = 0; s < fr->nslots && s < 64; s++)
		if (fr->slots[s].stype[0] == BVC_STACK_SPILL && bvc_is_pointer(&fr->slots[s].spilled))
			m |= 1ull << s;
	return m;
}

/*
 * Could cur (summary @cur_sig, pointer spills @cur_ptr in its innermost
 * frame) be included in old? false: certainly not. Stack slots (non-exact
 * only): a slot stacksafe() tests fails whenever exactly one of old and
 * cur holds a spilled pointer there - old's pointer needs cur's of the
 * same type, and a pointer in cur fails against anything else of old's.
 * Old is finished, so what it tests (static liveness at the insn, its
 * read marks) no longer changes: summed up once.
 */
static bool sig_may_match(const struct bvc_env *env, struct bvc_state *old, uint64_t cur_sig,
			  uint64_t cur_ptr, bool exact)
{
	uint64_t mask = exact ? (1ull << (5 * BVC_REG_FP)) - 1 : old->sig_mask;
	const struct bvc_frame *of = old->frames[old->curframe];

	/* sig_mask 0: no summary (or nothing to test in the registers). */
	if (old->sig_mask && ((old->sig ^ cur_sig) & mask))
		return false;
	if (exact)
		return true;
	if (!old->slots_summed) {
		uint64_t in_old = of->nslots >= 64 ? ~0ull : (1ull << of->nslots) - 1;

		old->cmp_slots = env->aux[old->insn_idx].live_slots & ~of->unread & in_old;
		old->ptr_slots = ptr_spill_slots(of) & old->cmp_slots;
		old->slots_summed = true;
	}
	return !((old->ptr_slots ^ cur_ptr) & old->cmp_slots);
}

/* @cp is off its list and finished: free it unless something still
 * holds it (the share list, or bvc_engine_keep_checkpoints()). */
/*
 * Callback loops (the 6.18 kernel's SCC visits, for the one kind of loop
 * whose iterations are pruned against unfinished checkpoints): @st's key
 * is the call chain down to its outermost frame that stands at a callback
 * call (the call site of the next frame, or @st's own instruction). 0: st
 * is in no callback loop.
 */
static uint32_t cb_loop_key(const struct bvc_env *env, const struct bvc_state *st, uint32_t insn,
			    uint32_t *key)
{
	for (uint32_t f = 0; f <= st->curframe; f++) {
		uint32_t pt = f < st->curframe ? (uint32_t)st->frames[f + 1]->callsite : insn;

		key[f] = pt;
		if (env->aux[pt].calls_callback)
			return f + 1;
	}
	return 0;
}

static struct bvc_cb_visit *cb_visit_find(struct bvc_env *env, const struct bvc_state *st,
					  uint32_t insn, bool add)
{
	uint32_t key[BVC_MAX_FRAMES], n = cb_loop_key(env, st, insn, key);

	if (!n)
		return NULL;
	for (uint32_t i = 0; i < env->n_cb_visits; i++) {
		struct bvc_cb_visit *v = &env->cb_visits[i];

		if (v->nkey == n && !memcmp(v->key, key, n * sizeof(*key)))
			return v;
	}
	if (!add)
		return NULL;
	if (env->n_cb_visits == env->cap_cb_visits) {
		uint32_t cap = env->cap_cb_visits ? env->cap_cb_visits * 2 : 4;
		struct bvc_cb_visit *v = realloc(env->cb_visits, cap * sizeof(*v));

		if (!v)
			return NULL;
		env->cb_visits = v;
		env->cap_cb_visits = cap;
	}
	memset(&env->cb_visits[env->n_cb_visits], 0, sizeof(*env->cb_visits));
	memcpy(env->cb_visits[env->n_cb_visits].key, key, n * sizeof(*key));
	env->cb_visits[env->n_cb_visits].nkey = n;
	return &env->cb_visits[env->n_cb_visits++];
}

/* A checkpoint of a callback loop with a back edge while the loop is
 * still explored: the read and precision marks of what is below it may
 * be unfinished in the kernel (its incomplete_read_marks()), which then
 * compares it as RANGE_WITHIN. Our marks are complete (loop_hit_marks()),
 * so this is for the kernel's processed counts, not for soundness. */
static bool cb_incomplete(struct bvc_env *env, const struct bvc_state *cp)
{
	const struct bvc_cb_visit *v;

	if (!env->n_cb_visits)
		return false;
	v = cb_visit_find(env, cp, cp->insn_idx, false);
	return v && v->entry && v->backedge;
}

static void release_checkpoint(struct bvc_env *env, struct bvc_state *cp)
{
	if (!env->keep_evicted && !cp->in_share)
		bvc_state_free(cp);
}

void bvc_checkpoint_unshared(struct bvc_env *env, struct bvc_state *cp)
{
	cp->in_share = false;
	if (cp->evicted && !cp->branches)
		release_checkpoint(env, cp);
}

void bvc_update_branch_counts(struct bvc_env *env, struct bvc_state *st)
{
	while (st) {
		struct bvc_state *parent = st->parent;

		if (--st->branches)
			break;
		/* The first checkpoint of a callback loop is finished: so
		 * is the loop's exploration. */
		for (uint32_t i = 0; i < env->n_cb_visits; i++) {
			if (env->cb_visits[i].entry == st) {
				env->cb_visits[i].entry = NULL;
				env->cb_visits[i].backedge = false;
			}
		}
		if (st->anchor_id) {
			/* An accepted work item's subtree is finished here.
			 * No memory: the item then never reports done, safe. */
			(void)bvc_list_push(&env->done, st);
			return;
		}
		/* Finished: no backtracking walk comes through it again. */
		bvc_arena_free(st->hist);
		st->hist = NULL;
		st->nhist = st->cap_hist = 0;
		if (st->evicted)
			release_checkpoint(env, st);
		st = parent;
	}
}

int bvc_list_push(struct bvc_checkpoint_list *l, struct bvc_state *st)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 4;
		struct bvc_state **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = st;
	return 0;
}

/*
 * cur was pruned against @old, an unfinished checkpoint above it: old's
 * precision and read marks are not final, so those it passes on
 * (bvc_propagate_precision) may miss what cur's continuation - old's -
 * will need, in the checkpoints between old and cur. They get every
 * scalar precise and every slot read, and so does every checkpoint above
 * them, as the precision walk's fallback does: the walks and the read
 * marks stop at a checkpoint that has the mark already, trusting the
 * ones above to have it too. Sound, and dearer than the kernel (6.16+
 * re-propagates over such back edges once the loop is explored).
 */
static void loop_hit_marks(struct bvc_env *env)
{
	for (uint32_t f = 0; f <= env->cur->curframe; f++)
		bvc_mark_slots_read(env, f, ~0ull);
	bvc_mark_all_precise(env, env->cur->parent);
}

/* Is @old on @cur's path, above it? */
static bool is_ancestor(const struct bvc_state *cur, const struct bvc_state *old)
{
	for (const struct bvc_state *st = cur->parent; st; st = st->parent)
		if (st == old)
			return true;
	return false;
}

/*
 * At a prune point: 1 when cur is covered by a finished checkpoint (the
 * path ends here), 0 to go on (after maybe adding a checkpoint), negative
 * on rejection (an infinite loop) or no memory.
 */
int bvc_is_state_visited(struct bvc_env *env, uint32_t insn)
{
	struct bvc_checkpoint_list *l = &env->explored[insn];
	/* BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point; and one
	 * whenever the path's history since the last grew long, so
	 * precision walks (and the copies pending branches make) stay short. */
	bool force = ((env->opts.prog_flags | env->prog->prog_flags) & 8u) || env->cur->nhist > 40 ||
		     env->aux[insn].calls_callback;
	bool add = force || (env->jmps_processed - env->prev_jmps >= 2 &&
			     env->processed - env->prev_insns >= 8);
	struct bvc_state *cp;
	uint32_t cs, bucket, seen = 0, n_miss;
	uint64_t cur_sig, cur_mask, cur_ptr;
	int err;

	if (!env->aux[insn].prune_point)
		return 0;
	cs = (uint32_t)env->cur->frames[env->cur->curframe]->callsite;
	bucket = (insn ^ cs) % env->cnt;
	bvc_state_sig(env, env->cur, insn, &cur_sig, &cur_mask);
	cur_ptr = ptr_spill_slots(env->cur->frames[env->cur->curframe]);
	env->cur->insn_idx = insn;
	/* Newest first, as the kernel's list (new checkpoints go at its
	 * head): which one matches first decides the precision cur
	 * inherits, and the order decides which ones collect misses. */
	for (uint32_t i = l->n; i-- > 0;) {
		struct bvc_state *old = l->v[i];
		uint32_t ocs = (uint32_t)old->frames[old->curframe]->callsite;

		/* The kernel files checkpoints by instruction and innermost
		 * call site, hashed ((insn ^ callsite) % insn count), and only
		 * walks cur's bucket: one of another function instance in
		 * another bucket is neither compared nor counted as a miss
		 * (which would evict it). It could never match cur anyway. */
		if (ocs != cs && (insn ^ ocs) % env->cnt != bucket)
			continue;
		seen++; /* max_states_per_insn counts the bucket's states walked */
		if (old->branches && env->aux[insn].calls_callback) {
			/* Callback iterations: a later visit of the call
			 * within an earlier one on this path needs no more
			 * iterations - everything from old on is explored
			 * anyway (the kernel's calls_callback case). */
			if (sig_may_match(env, old, cur_sig, cur_ptr, true) &&
			    bvc_states_equal(env, old, env->cur, CMP_RANGE_WITHIN) &&
			    is_ancestor(env->cur, old)) {
				struct bvc_cb_visit *v = cb_visit_find(env, env->cur, insn, false);

				if (v && v->entry)
					v->backedge = true;
				old->hit_cnt++;
				err = bvc_hist_arrive(env);
				if (!err)
					err = bvc_propagate_precision(env, old);
				if (!err)
					loop_hit_marks(env);
				return err ? err : 1;
			}
			if (!force && env->jmps_processed - env->prev_jmps < 20 &&
			    env->processed - env->prev_insns < 100)
				add = false;
		} else if (old->branches) {
			/* Still being explored: we are in a loop through it, if it
			 * is above cur. One that is not is the root of a work item
			 * this engine donated and now explores again (the worker
			 * that had it died): no loop, and nothing to prune
			 * against while it is unfinished. The ancestor walk
			 * comes last: a loop that never repeats a state keeps
			 * every iteration's checkpoint here, all of them
			 * ancestors, and walking up to each one from every
			 * visit costs the square of the iterations. */
			if (old->cb_unroll == env->cur->cb_unroll &&
			    sig_may_match(env, old, cur_sig, cur_ptr, true) &&
			    bvc_states_equal(env, old, env->cur, CMP_EXACT) &&
			    is_ancestor(env->cur, old)) {
				err = bvc_vrej(env, "infinite loop detected at insn %u", insn);
				bvc_vlog(env, "cur state:");
				bvc_log_frame(env, env->cur, env->cur->curframe);
				bvc_vlog(env, "old state:");
				bvc_log_frame(env, old, env->cur->curframe);
				return err;
			}
			if (!force && env->jmps_processed - env->prev_jmps < 20 &&
			    env->processed - env->prev_insns < 100)
				add = false;
		} else if (sig_may_match(env, old, cur_sig, cur_ptr, false) &&
			   bvc_states_equal(env, old, env->cur,
					    cb_incomplete(env, old) ? CMP_RANGE_WITHIN : CMP_NOT_EXACT)) {
			if (old->remote)
				env->remote_hits++;
			else if (!old->hit_cnt && env->shared < env->share_limit &&
				 !bvc_list_push(&env->share, old)) {
				env->shared++; /* it pruned here: offer it to the others */
				old->in_share = true;
			}
			old->hit_cnt++;
			propagate_liveness(env, old);
			err = bvc_hist_arrive(env);
			if (!err)
				err = bvc_propagate_precision(env, old);
			return err ? err : 1;
		}
		/* The kernel's heuristic: a checkpoint that keeps missing is
		 * unlikely to help; drop it from the list (freed now, or when
		 * the last path below it ends: it may still be a parent). */
		if (add)
			old->miss_cnt++;
		/* The kernel keeps a callback call's unfinished checkpoints
		 * longer: evicting them early hinders convergence. */
		n_miss = env->aux[insn].calls_callback && old->branches ? 64 : 3;
		if (old->miss_cnt > old->hit_cnt * n_miss + n_miss) {
			if (env->keep_evicted && bvc_list_push(&env->retired, old))
				continue; /* keep it listed: still correct */
			memmove(&l->v[i], &l->v[i + 1], (--l->n - i) * sizeof(*l->v));
			if (!old->remote)
				env->cur_states--;
			old->evicted = true;
			if (!old->branches)
				release_checkpoint(env, old);
		}
	}
	if (seen > env->max_states_per_insn)
		env->max_states_per_insn = seen;
	if (!add)
		return 0;

	/* Checkpoints are compared, never resumed: no trail needed. */
	cp = bvc_state_copy(env->arena, env->cur, 0);
	if (!cp)
		return -ENOMEM;
	cp->insn_idx = insn;
	cp->sig = cur_sig;
	cp->sig_mask = cur_mask;
	cp->slots_summed = false;
	cp->last_insn = env->prev_insn_idx;
	cp->branches = 1;
	/* Nothing below it has read anything yet; cur's marks now go to it,
	 * and its segment's writes stay with it. */
	for (uint32_t f = 0; f <= cp->curframe; f++)
		cp->frames[f]->unread = ~0ull;
	err = bvc_list_push(l, cp);
	if (err) {
		bvc_state_free(cp);
		return err;
	}
	if (env->has_callbacks) {
		struct bvc_cb_visit *v = cb_visit_find(env, cp, insn, true);

		if (v && !v->entry)
			v->entry = cp;
	}
	env->cur->parent = cp;
	for (uint32_t f = 0; f <= env->cur->curframe; f++) {
		env->cur->frames[f]->written = 0;
		env->cur->frames[f]->linked = true;
	}
	/* The segment's history moves to the checkpoint, and a new segment
	 * of cur's path starts here (bvc_hist_arrive() records its first
	 * step). */
	cp->hist = env->cur->hist;
	cp->nhist = env->cur->nhist;
	cp->cap_hist = env->cur->cap_hist;
	env->cur->hist = NULL;
	env->cur->cap_hist = 0;
	env->cur->first_insn = insn;
	env->cur->nhist = 0;
	env->prev_jmps = env->jmps_processed;
	env->prev_insns = env->processed;
	env->total_states++;
	cp->seq = env->total_states;
	env->cur_states++;
	if (env->cur_states > env->peak_states)
		env->peak_states = env->cur_states;
	return 0;
}

void bvc_explored_free(struct bvc_env *env)
{
	for (uint32_t k = 0; k < env->anchors.n; k++)
		bvc_state_free(env->anchors.v[k]);
	free(env->anchors.v);
	for (uint32_t k = 0; k < env->ndonated; k++)
		bvc_state_free(env->donated[k].path);
	free(env->donated);
	free(env->done.v);
	free(env->share.v);
	for (uint32_t k = 0; k < env->retired.n; k++)
		bvc_state_free(env->retired.v[k]);
	free(env->retired.v);
	free(env->idmap);
	env->idmap = NULL;
	free(env->cb_visits);
	env->cb_visits = NULL;
	env->n_cb_visits = env->cap_cb_visits = 0;
	if (!env->explored)
		return;
	for (uint32_t i = 0; i < env->cnt; i++) {
		for (uint32_t k = 0; k < env->explored[i].n; k++)
			bvc_state_free(env->explored[i].v[k]);
		free(env->explored[i].v);
	}
	free(env->explored);
	env->explored = NULL;
	/* Evicted checkpoints still counted by a branch or shared go with
	 * the arena (engine.c). */
}
