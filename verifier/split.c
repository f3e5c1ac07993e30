// SPDX-License-Identifier: MIT
/*
 * The split API (bpfvc/engine.h, docs/design.md section 4): one
 * verification explored by many engines. Donation takes the oldest pending
 * branch out as a work item and leaves a placeholder; an engine that
 * accepts an item roots it under an anchor and reports it done when the
 * anchor's subtree is; done reports carry precision demands back to the
 * donor; finished checkpoints travel as shared checkpoints; stack depths
 * are merged for the call-chain check. Work items also convert to and from
 * plain views for state-serial/.
 *
 * The soundness rule: a checkpoint above a donated item stays unfinished -
 * never used for pruning - until the item is done and its demand applied.
 * A view from outside is checked here for everything the engine later
 * indexes or trusts; nothing here explores.
 *
 * Memory: a work item's state is plain malloc() (the NULL arena), never
 * the engine's arena, so it may outlive the engine; an engine copies an
 * item into its arena when it takes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/engine.h"
#include "engine_internal.h"

int bvc_engine_donate(struct bvc_engine *eng, struct bvc_work **out)
{
	struct bvc_env *env = &eng->env;
	struct bvc_state *path, *st;
	struct bvc_work *w;

	/* A program with callbacks is explored whole here: its callback
	 * iterations converge against unfinished checkpoints of this
	 * engine (prune.c), and function pointers and callback frames do
	 * not go on the wire (DESIGN section 4, rule 7). */
	if (eng->early || env->rejected || !env->npending || env->has_callbacks)
		return -ENOENT;
	if (env->ndonated == env->cap_donated) {
		uint32_t cap = env->cap_donated ? env->cap_donated * 2 : 16;
		struct bvc_donation *v = realloc(env->donated, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		env->donated = v;
		env->cap_donated = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	/* The oldest pending branch: the bottom of the stack, the biggest
	 * subtree. Its parent's branch count keeps counting it (the
	 * placeholder) until bvc_engine_work_done(). It leaves as a copy out
	 * of the arena, without its history. */
	st = env->pending[0].st;
	w->st = bvc_state_copy(NULL, st, BVC_COPY_TRAIL);
	w->insn = env->pending[0].insn;
	w->prev_insn = env->pending[0].prev_insn;
	w->id = ++env->next_work_id;
	/* The placeholder keeps the item's path since its parent checkpoint:
	 * a precision demand continues its walk from there. */
	path = bvc_arena_zalloc(env->arena, sizeof(*path));
	if (!path || !w->st) {
		bvc_arena_free(path);
		bvc_work_free(w);
		return -ENOMEM;
	}
	memmove(env->pending, env->pending + 1, (env->npending - 1) * sizeof(*env->pending));
	env->npending--;
	path->hist = st->hist;
	path->nhist = path->cap_hist = st->nhist;
	path->first_insn = st->first_insn;
	path->last_insn = w->prev_insn;
	path->insn_idx = w->insn;
	path->curframe = st->curframe;
	st->hist = NULL;
	st->nhist = st->cap_hist = 0;
	env->donated[env->ndonated++] = (struct bvc_donation){ w->id, st->parent, path };
	/* What the item's paths read stays in the other engine: above it,
	 * every slot counts as read (prune.c). */
	bvc_mark_all_read_above(st);
	bvc_state_free(st);
	w->st->parent = NULL; /* the parent lives in this engine only */
	*out = w;
	return 0;
}

int bvc_engine_work_done(struct bvc_engine *eng, uint64_t work_id,
			 const struct bvc_precision_demand *demand)
{
	struct bvc_env *env = &eng->env;

	for (uint32_t i = 0; i < env->ndonated; i++) {
		struct bvc_donation *d = &env->donated[i];

		if (d->id != work_id)
			continue;
		if (demand && (demand->nframes || demand->all)) {
			struct bvc_prec_mask m = { .all = demand->all };
			int err;

			/* Masks for other frames than the item's cannot be
			 * followed: everything, then (sound, prunes less). */
			if (demand->nframes != d->path->curframe + 1)
				m.all = true;
			for (uint32_t f = 0; f < demand->nframes && f < BVC_MAX_FRAMES; f++) {
				m.regs[f] = demand->regs[f] & 0x3ff;
				m.slots[f] = demand->slots[f];
			}
			/* Applied before the count drops: the parent must not
			 * be finished without what its subtree needed. */
			err = bvc_apply_demand(env, d->path, d->parent, &m);
			if (err)
				return err;
		}
		if (d->parent)
			bvc_update_branch_counts(env, d->parent);
		bvc_state_free(d->path);
		*d = env->donated[--env->ndonated];
		return 0;
	}
	return -ENOENT;
}

/* The largest id in @st, so this engine's new ids stay clear of it. */
static uint32_t max_id(struct bvc_state *st)
{
	uint32_t m = 0;

	for_each_reg(st, reg, {
		if (reg->id > m)
			m = reg->id;
		if (reg->ref_obj_id > m)
			m = reg->ref_obj_id;
	});
	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i] > m)
			m = st->refs[i];
	return m;
}

int bvc_engine_accept(struct bvc_engine *eng, struct bvc_work **work)
{
	struct bvc_env *env = &eng->env;
	struct bvc_work *w = *work;
	struct bvc_state *anchor, *st;
	uint32_t m;
	int err;

	if (eng->early || env->rejected)
		return -EINVAL;
	if (env->npending >= BVC_MAX_PENDING)
		return -EBUSY;
	/* Frame 0 runs the main program or a global function: nothing
	 * else starts a path (bvc_check_exit tells them apart). */
	if (w->st->frames[0]->subprog && !bvc_is_global_subprog(env, w->st->frames[0]->subprog))
		return -EINVAL;
	if (env->npending == env->cap_pending) {
		uint32_t cap = env->cap_pending ? env->cap_pending * 2 : 64;
		struct bvc_pending *p = realloc(env->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		env->pending = p;
		env->cap_pending = cap;
	}
	/* A root for the item's subtree: when its count drops to 0 the
	 * item is done (bvc_update_branch_counts reports it). The item's
	 * state moves into the arena. Past the memory limit the engine
	 * rejects, as a run out of memory does, and the item is consumed. */
	anchor = bvc_arena_zalloc(env->arena, sizeof(*anchor));
	st = bvc_state_copy(env->arena, w->st, BVC_COPY_TRAIL);
	if (anchor)
		anchor->demand = bvc_arena_zalloc(env->arena, sizeof(*anchor->demand));
	if (!anchor || !anchor->demand || !st) {
		bvc_state_free(anchor);
		bvc_state_free(st);
		return bvc_engine_out_of_memory(eng, work);
	}
	anchor->branches = 1;
	anchor->anchor_id = w->id;
	anchor->curframe = st->curframe; /* the frames its demand covers */
	err = bvc_list_push(&env->anchors, anchor);
	if (err) {
		bvc_state_free(anchor);
		bvc_state_free(st);
		return err;
	}
	bvc_state_free(w->st);
	w->st = st;
	w->st->parent = anchor;
	/* A fresh segment of the path starts at the item, and what is
	 * precise is for this engine's checkpoints to learn. */
	w->st->nhist = 0;
	w->st->first_insn = w->insn;
	for_each_reg(w->st, reg, { reg->precise = false; });
	m = max_id(w->st);
	if (m > env->id_gen)
		env->id_gen = m;
	env->pending[env->npending++] = (struct bvc_pending){ w->st, w->insn, w->prev_insn,
							      env->log_true_len };
	eng->finished = false;
	free(w);
	*work = NULL;
	return 0;
}

int bvc_engine_poll_done(struct bvc_engine *eng, uint64_t *work_id,
			 struct bvc_precision_demand *demand)
{
	struct bvc_env *env = &eng->env;
	const struct bvc_state *anchor;
	const struct bvc_prec_mask *m;
	bool any;

	/* Held while a global function this engine's paths called is not
	 * verified here: were this worker lost, the item explored anew
	 * elsewhere finds that call again. */
	if (eng->early || !env->done.n || bvc_global_work_left(env))
		return -ENOENT;
	anchor = env->done.v[--env->done.n];
	*work_id = anchor->anchor_id;
	if (!demand)
		return 0;
	memset(demand, 0, sizeof(*demand));
	m = anchor->demand;
	any = m->all;
	for (uint32_t f = 0; f <= anchor->curframe; f++)
		any |= m->regs[f] || m->slots[f];
	if (!any)
		return 0;
	demand->nframes = anchor->curframe + 1;
	demand->all = m->all;
	for (uint32_t f = 0; f <= anchor->curframe; f++) {
		demand->regs[f] = m->regs[f];
		demand->slots[f] = m->slots[f];
	}
	return 0;
}

static void reg_to_view(const struct bvc_reg *r, struct bvc_reg_view *v)
{
	memset(v, 0, sizeof(*v));
	v->type = r->type;
	v->maybe_null = r->maybe_null;
	v->precise = r->precise;
	v->frameno = r->frameno;
	v->off = r->off;
	v->var = r->var;
	v->id = r->id;
	v->ref_obj_id = r->ref_obj_id;
	v->map_idx = r->map_idx;
	v->mem_size = r->mem_size;
	v->range = r->range;
}

int bvc_work_view_get(const struct bvc_work *work, struct bvc_work_view *v)
{
	const struct bvc_state *st = work->st;

	memset(v, 0, sizeof(*v));
	v->id = work->id;
	v->insn = work->insn;
	v->prev_insn = work->prev_insn;
	v->nframes = st->curframe + 1;
	v->nrefs = st->nrefs;
	memcpy(v->refs, st->refs, st->nrefs * sizeof(st->refs[0]));
	for (uint32_t f = 0; f < v->nframes; f++) {
		const struct bvc_frame *fr = st->frames[f];
		struct bvc_frame_view *fv = &v->frames[f];

		for (int r = 0; r < BVC_MAX_REG; r++)
			reg_to_view(&fr->regs[r], &fv->regs[r]);
		fv->callsite = fr->callsite;
		fv->subprog = fr->subprog;
		fv->frameno = fr->frameno;
		fv->stack_depth = fr->stack_depth;
		fv->nslots = fr->nslots;
		if (fr->nslots) {
			fv->slots = calloc(fr->nslots, sizeof(*fv->slots));
			if (!fv->slots) {
				bvc_work_view_release(v);
				return -ENOMEM;
			}
		}
		for (uint32_t s = 0; s < fr->nslots; s++) {
			memcpy(fv->slots[s].stype, fr->slots[s].stype, 8);
			reg_to_view(&fr->slots[s].spilled, &fv->slots[s].spilled);
		}
	}
	v->trail_len = st->trail_len;
	if (st->trail_len) {
		v->trail = malloc((st->trail_len + 7) / 8);
		if (!v->trail) {
			bvc_work_view_release(v);
			return -ENOMEM;
		}
		memcpy(v->trail, st->trail, (st->trail_len + 7) / 8);
	}
	return 0;
}

void bvc_work_view_release(struct bvc_work_view *v)
{
	for (uint32_t f = 0; f < BVC_VIEW_MAX_FRAMES; f++) {
		free(v->frames[f].slots);
		v->frames[f].slots = NULL;
	}
	free(v->trail);
	v->trail = NULL;
}

/* One register of a state from elsewhere: everything the engine later
 * indexes or trusts is checked here. */
static int reg_from_view(const struct bvc_image *img, const struct bvc_reg_view *v, uint32_t nframes,
			 struct bvc_reg *r, char *err, size_t errsz, const char *where)
{
	/* No state with a function pointer leaves its engine (above). */
	if (v->type > BVC_RTYPE_LAST || v->type == BVC_PTR_FUNC) {
		snprintf(err, errsz, "%s: register type %u is not a type", where, v->type);
		return -EBADMSG;
	}
	if ((v->type == BVC_CONST_PTR_MAP || v->type == BVC_PTR_MAP_VALUE ||
	     v->type == BVC_PTR_MAP_KEY) && v->map_idx >= img->map_cnt) {
		snprintf(err, errsz, "%s: map %u of %zu", where, v->map_idx, img->map_cnt);
		return -EBADMSG;
	}
	if (v->type == BVC_PTR_STACK && v->frameno >= nframes) {
		snprintf(err, errsz, "%s: stack pointer into frame %u of %u", where, v->frameno, nframes);
		return -EBADMSG;
	}
	if (v->type != BVC_NOT_INIT && !bvc_scalar_is_valid(&v->var)) {
		snprintf(err, errsz, "%s: bounds that hold no value", where);
		return -EBADMSG;
	}
	if (v->maybe_null > 1 || v->precise > 1 || v->range < -2 || v->range > BVC_PKT_MAX_RANGE) {
		snprintf(err, errsz, "%s: flag or packet range out of range", where);
		return -EBADMSG;
	}
	memset(r, 0, sizeof(*r));
	r->type = (enum bvc_rtype)v->type;
	r->maybe_null = v->maybe_null;
	r->precise = v->precise;
	r->frameno = v->frameno;
	r->off = v->off;
	r->var = v->var;
	r->id = v->id;
	r->ref_obj_id = v->ref_obj_id;
	r->map_idx = v->map_idx;
	r->mem_size = v->mem_size;
	r->range = v->range;
	return 0;
}

int bvc_work_from_view(const struct bvc_image *img, const struct bvc_prog *prog,
		       const struct bvc_work_view *v, struct bvc_work **out, char *err, size_t errsz)
{
	struct bvc_work *w;
	struct bvc_state *st;
	char where[64];
	int ret = -EBADMSG;

	*out = NULL;
	if (v->insn >= prog->insn_cnt || v->prev_insn >= prog->insn_cnt) {
		snprintf(err, errsz, "work item at insn %u of %zu", v->insn, prog->insn_cnt);
		return -EBADMSG;
	}
	if (!v->nframes || v->nframes > BVC_VIEW_MAX_FRAMES || v->nrefs > BVC_VIEW_MAX_REFS) {
		snprintf(err, errsz, "work item with %u frames and %u references", v->nframes, v->nrefs);
		return -EBADMSG;
	}
	if (v->trail_len && !v->trail) {
		snprintf(err, errsz, "work item trail of %u decisions without data", v->trail_len);
		return -EBADMSG;
	}
	w = calloc(1, sizeof(*w));
	st = bvc_state_new(NULL);
	if (!w || !st) {
		free(w);
		bvc_state_free(st);
		return -ENOMEM;
	}
	w->st = st;
	w->id = v->id;
	w->insn = v->insn;
	w->prev_insn = v->prev_insn;
	st->insn_idx = v->insn;
	st->curframe = v->nframes - 1;
	st->nrefs = v->nrefs;
	memcpy(st->refs, v->refs, v->nrefs * sizeof(v->refs[0]));
	for (uint32_t f = 0; f < v->nframes; f++) {
		const struct bvc_frame_view *fv = &v->frames[f];
		struct bvc_frame *fr = st->frames[f];

		if (!fr) {
			fr = st->frames[f] = bvc_frame_new(NULL);
			if (!fr) {
				ret = -ENOMEM;
				goto fail;
			}
		}
		if (fv->nslots > BVC_VIEW_MAX_SLOTS || (fv->nslots && !fv->slots) ||
		    fv->frameno != f || fv->stack_depth > BVC_STACK_SIZE ||
		    (f == 0) != (fv->callsite == -1) ||
		    (f && (fv->callsite < 0 || (size_t)fv->callsite >= prog->insn_cnt)) ||
		    fv->subprog >= BVC_MAX_FUNCS) {
			snprintf(err, errsz, "frame %u: malformed (slots, number, depth or call site)", f);
			goto fail;
		}
		fr->callsite = fv->callsite;
		fr->subprog = fv->subprog;
		fr->frameno = fv->frameno;
		fr->stack_depth = fv->stack_depth;
		for (int r = 0; r < BVC_MAX_REG; r++) {
			snprintf(where, sizeof(where), "frame %u R%d", f, r);
			ret = reg_from_view(img, &fv->regs[r], v->nframes, &fr->regs[r], err, errsz, where);
			if (ret)
				goto fail;
		}
		ret = bvc_grow_stack(NULL, fr, fv->nslots);
		if (ret)
			goto fail;
		for (uint32_t s = 0; s < fv->nslots; s++) {
			for (int b = 0; b < 8; b++) {
				if (fv->slots[s].stype[b] > BVC_STACK_ZERO) {
					snprintf(err, errsz, "frame %u slot %u: byte type %u", f, s,
						 fv->slots[s].stype[b]);
					ret = -EBADMSG;
					goto fail;
				}
			}
			memcpy(fr->slots[s].stype, fv->slots[s].stype, 8);
			snprintf(where, sizeof(where), "frame %u fp-%u", f, 8 * (s + 1));
			ret = reg_from_view(img, &fv->slots[s].spilled, v->nframes, &fr->slots[s].spilled,
					    err, errsz, where);
			if (ret)
				goto fail;
		}
	}
	if (v->trail_len) {
		st->trail = bvc_arena_zalloc(NULL, bvc_trail_bytes(v->trail_len));
		if (!st->trail) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(st->trail, v->trail, (v->trail_len + 7) / 8);
		st->trail_len = v->trail_len;
	}
	*out = w;
	return 0;
fail:
	bvc_work_free(w);
	return ret ? ret : -EBADMSG;
}

uint64_t bvc_work_id(const struct bvc_work *work)
{
	return work->id;
}

uint32_t bvc_work_insn(const struct bvc_work *work)
{
	return work->insn;
}

const uint8_t *bvc_work_trail(const struct bvc_work *work, uint32_t *bits)
{
	*bits = work->st->trail_len;
	return work->st->trail;
}

void bvc_work_free(struct bvc_work *work)
{
	if (work) {
		bvc_state_free(work->st);
		free(work);
	}
}


uint32_t bvc_engine_stack_depths(const struct bvc_engine *eng, uint32_t *depths, uint32_t max)
{
	const struct bvc_env *env = &eng->env;

	if (eng->early)
		return 0;
	for (uint32_t i = 0; i < env->nsubprogs && i < max; i++)
		depths[i] = env->subprogs[i].stack_depth;
	return env->nsubprogs;
}

int bvc_engine_merge_stack_depths(struct bvc_engine *eng, const uint32_t *depths, uint32_t n)
{
	struct bvc_env *env = &eng->env;

	if (eng->early || n != env->nsubprogs)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (depths[i] > env->subprogs[i].stack_depth)
			env->subprogs[i].stack_depth = depths[i];
	return 0;
}

void bvc_engine_share_limit(struct bvc_engine *eng, uint64_t limit)
{
	eng->env.share_limit = limit;
}

int bvc_engine_share(struct bvc_engine *eng, struct bvc_work **out)
{
	struct bvc_env *env = &eng->env;
	const struct bvc_state *cp;
	struct bvc_work *w;

	if (eng->early || !env->share.n || env->has_callbacks)
		return -ENOENT;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	cp = env->share.v[0];
	/* The state only: its path and parents stay here. */
	w->st = bvc_state_copy(NULL, cp, 0);
	if (!w->st) {
		free(w);
		return -ENOMEM;
	}
	memmove(env->share.v, env->share.v + 1, (env->share.n - 1) * sizeof(*env->share.v));
	env->share.n--;
	/* Slots no path below it read go as never written (the kernel's
	 * clean_verifier_state): the receiver has no read marks, and an
	 * unwritten slot of old matches what cur has there. */
	for (uint32_t f = 0; f <= w->st->curframe; f++) {
		struct bvc_frame *fr = w->st->frames[f];

		for (uint32_t s = 0; s < fr->nslots && s < 64; s++)
			if (fr->unread & (1ull << s))
				memset(&fr->slots[s], 0, sizeof(fr->slots[s]));
		fr->unread = 0;
	}
	w->st->parent = NULL;
	w->insn = cp->insn_idx;
	w->prev_insn = cp->last_insn == BVC_HIST_NONE ? 0 : cp->last_insn;
	w->id = cp->seq;
	bvc_checkpoint_unshared(env, (struct bvc_state *)cp);
	*out = w;
	return 0;
}

int bvc_engine_add_checkpoint(struct bvc_engine *eng, struct bvc_work **work)
{
	struct bvc_env *env = &eng->env;
	struct bvc_work *w = *work;
	struct bvc_state *cp;
	int err;

	if (eng->early || !env->explored || w->insn >= env->cnt)
		return -EINVAL;
	if (w->st->frames[0]->subprog && !bvc_is_global_subprog(env, w->st->frames[0]->subprog))
		return -EINVAL;
	if (env->rejected) {
		bvc_work_free(w);
		*work = NULL;
		return 0;
	}
	/* Into the arena, without its trail: compared, never resumed. */
	cp = bvc_state_copy(env->arena, w->st, 0);
	if (!cp)
		return bvc_engine_out_of_memory(eng, work);
	bvc_state_free(w->st);
	w->st = cp;
	cp->insn_idx = w->insn;
	cp->branches = 0; /* finished where it came from */
	cp->parent = NULL;
	bvc_state_sig(env, cp, w->insn, &cp->sig, &cp->sig_mask);
	cp->slots_summed = false;
	/* No read marks came with it: every slot counts as read. */
	for (uint32_t f = 0; f <= cp->curframe && f < BVC_MAX_FRAMES; f++)
		if (cp->frames[f])
			cp->frames[f]->unread = 0;
	cp->remote = true;
	cp->seq = 0;
	err = bvc_list_push(&env->explored[w->insn], cp);
	if (err)
		return err;
	env->remote_added++;
	free(w);
	*work = NULL;
	return 0;
}


uint64_t bvc_engine_remote_hits(const struct bvc_engine *eng)
{
	return eng->env.remote_hits;
}
