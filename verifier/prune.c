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
 * Lifetime, as the kernel's: a checkpoint that keeps missing is evicted
 * from its list, and freed once its branch count is 0 - then no pending
 * state or checkpoint below it is still explored, and only explored paths
 * walk up through parents (branch counts, precision). A finished
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

static bool regsafe(const struct bvc_reg *old, const struct bvc_reg *cur, struct bvc_idmap *m,
		    bool exact)
{
	if (old->type == BVC_NOT_INIT)
		return !exact || cur->type == BVC_NOT_INIT;
	if (cur->type == BVC_NOT_INIT || old->type != cur->type || old->maybe_null != cur->maybe_null)
		return false;
	if (exact)
		return bvc_scalar_equal(&old->var, &cur->var) && old->off == cur->off &&
		       old->map_idx == cur->map_idx && old->range == cur->range &&
		       old->mem_size == cur->mem_size && old->frameno == cur->frameno &&
		       check_ids(old->id, cur->id, m) && check_ids(old->ref_obj_id, cur->ref_obj_id, m);

	switch (old->type) {
	case BVC_SCALAR:
		if (!old->precise)
			return true;
		return bvc_scalar_within(&old->var, &cur->var) && check_scalar_ids(old->id, cur->id, m);
	case BVC_PTR_PACKET:
	case BVC_PTR_PACKET_META:
		if (cur->range < old->range || old->off != cur->off)
			return false;
		return check_ids(old->id, cur->id, m) && bvc_scalar_within(&old->var, &cur->var);
	case BVC_PTR_MAP_VALUE:
	case BVC_PTR_MAP_KEY:
	case BVC_PTR_MEM:
		return old->off == cur->off && old->map_idx == cur->map_idx &&
		       old->mem_size == cur->mem_size && bvc_scalar_within(&old->var, &cur->var) &&
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

static bool stacksafe(const struct bvc_frame *old, const struct bvc_frame *cur, struct bvc_idmap *m,
		      bool exact, uint64_t live)
{
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

		/* A scalar spill against unknown bytes: a fill of those gives
		 * an unknown scalar, fine where old's value was not needed. */
		if (!exact && old_spill && cs && slot_all_misc(cs)) {
			struct bvc_reg unknown;

			bvc_mark_reg_unknown(&unknown);
			if (!regsafe(old_spill, &unknown, m, false))
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
		    !regsafe(&os->spilled, &cs->spilled, m, exact))
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
		      bool exact)
{
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

		if (of->callsite != cf->callsite) {
			ok = false;
			break;
		}
		if (f == old->curframe)
			live = env->aux[cur->insn_idx].live_regs;
		else
			/* The caller resumes after the call, r0-r5 rewritten. */
			live = env->aux[cur->frames[f + 1]->callsite + 1].live_regs & ~0x3f;
		live |= 1u << BVC_REG_FP;
		for (int r = 0; ok && r < BVC_MAX_REG; r++) {
			if (!exact && !(live & (1u << r)))
				continue;
			ok = regsafe(&of->regs[r], &cf->regs[r], m, exact);
		}
		/* Only the innermost frame's slots have known liveness: a
		 * callee may read its callers' through pointers. */
		if (ok)
			ok = stacksafe(of, cf, m, exact,
				       f == old->curframe ? env->aux[cur->insn_idx].live_slots : ~0ull);
	}
	for (uint32_t i = 0; ok && i < old->nrefs; i++)
		ok = check_ids(old->refs[i], cur->refs[i], m);
	return ok;
}

/* @cp is off its list and finished: free it unless something still
 * holds it (the share list, or bvc_engine_keep_checkpoints()). */
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
	bool force = ((env->opts.prog_flags | env->prog->prog_flags) & 8u) || env->cur->nhist > 40;
	bool add = force || (env->jmps_processed - env->prev_jmps >= 2 &&
			     env->processed - env->prev_insns >= 8);
	struct bvc_state *cp;
	uint32_t seen;
	int err;

	if (!env->aux[insn].prune_point)
		return 0;
	env->cur->insn_idx = insn;
	/* As the kernel counts them: the states compared here. */
	seen = l->n;
	for (uint32_t i = 0; i < l->n; i++) {
		struct bvc_state *old = l->v[i];

		if (old->branches) {
			/* Still being explored: we are in a loop through it. */
			if (bvc_states_equal(env, old, env->cur, true)) {
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
		} else if (bvc_states_equal(env, old, env->cur, false)) {
			if (old->remote)
				env->remote_hits++;
			else if (!old->hit_cnt && env->shared < env->share_limit &&
				 !bvc_list_push(&env->share, old)) {
				env->shared++; /* it pruned here: offer it to the others */
				old->in_share = true;
			}
			old->hit_cnt++;
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
		if (old->miss_cnt > old->hit_cnt * 3 + 3) {
			if (env->keep_evicted && bvc_list_push(&env->retired, old))
				continue; /* keep it listed: still correct */
			l->v[i--] = l->v[--l->n];
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
	cp->last_insn = env->prev_insn_idx;
	cp->branches = 1;
	err = bvc_list_push(l, cp);
	if (err) {
		bvc_state_free(cp);
		return err;
	}
	env->cur->parent = cp;
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
