// SPDX-License-Identifier: MIT
/* protobuf-c reference for work items (wire_ref.h). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc.pb-c.h"
#include "wire_ref.h"

static bool scalar_is_zero(const struct bvc_scalar *s)
{
	return !s->var_off.value && !s->var_off.mask && !s->smin && !s->smax && !s->umin &&
	       !s->umax && !s->s32_min && !s->s32_max && !s->u32_min && !s->u32_max;
}

static bool reg_is_zero(const struct bvc_reg_view *r)
{
	return !r->type && !r->maybe_null && !r->precise && !r->frameno && !r->off && !r->id &&
	       !r->ref_obj_id && !r->map_idx && !r->mem_size && !r->range && scalar_is_zero(&r->var);
}

/* What the library leaves out, this leaves NULL: a zero Scalar, a zero
 * spilled Register. */
static Bpfvc__Wire__Register *reg_to_pb(const struct bvc_reg_view *v)
{
	Bpfvc__Wire__Register *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	bpfvc__wire__register__init(r);
	r->type = v->type;
	r->maybe_null = v->maybe_null;
	r->precise = v->precise;
	r->frameno = v->frameno;
	r->off = v->off;
	r->id = v->id;
	r->ref_obj_id = v->ref_obj_id;
	r->map_idx = v->map_idx;
	r->mem_size = v->mem_size;
	r->range = v->range;
	if (!scalar_is_zero(&v->var)) {
		Bpfvc__Wire__Scalar *sc = calloc(1, sizeof(*sc));

		cr_assert_not_null(sc);
		bpfvc__wire__scalar__init(sc);
		sc->value = v->var.var_off.value;
		sc->mask = v->var.var_off.mask;
		sc->smin = v->var.smin;
		sc->smax = v->var.smax;
		sc->umin = v->var.umin;
		sc->umax = v->var.umax;
		sc->s32_min = v->var.s32_min;
		sc->s32_max = v->var.s32_max;
		sc->u32_min = v->var.u32_min;
		sc->u32_max = v->var.u32_max;
		r->var = sc;
	}
	return r;
}

static void reg_free(Bpfvc__Wire__Register *r)
{
	if (r)
		free(r->var);
	free(r);
}

void ref_encode_work(const struct bvc_wire_msg *m, uint8_t **buf, size_t *len)
{
	const struct bvc_work_view *v = &m->u.work.view;
	Bpfvc__Wire__Envelope env = BPFVC__WIRE__ENVELOPE__INIT;
	Bpfvc__Wire__WorkItem item = BPFVC__WIRE__WORK_ITEM__INIT;
	Bpfvc__Wire__Frame frames[BVC_VIEW_MAX_FRAMES], *fptrs[BVC_VIEW_MAX_FRAMES];
	size_t n;

	item.job_id = m->u.work.job_id;
	item.work_id = m->u.work.work_id;
	item.insn = v->insn;
	item.prev_insn = v->prev_insn;
	item.n_frames = v->nframes;
	item.frames = fptrs;
	item.n_refs = v->nrefs;
	item.refs = (uint32_t *)v->refs;
	item.trail.len = v->trail_len / 8 + (v->trail_len % 8 != 0);
	item.trail.data = v->trail;
	item.trail_len = v->trail_len;
	for (uint32_t f = 0; f < v->nframes; f++) {
		const struct bvc_frame_view *fv = &v->frames[f];
		Bpfvc__Wire__Frame *fr = &frames[f];

		fptrs[f] = fr;
		bpfvc__wire__frame__init(fr);
		fr->n_regs = 11;
		fr->regs = calloc(11, sizeof(*fr->regs));
		cr_assert_not_null(fr->regs);
		for (int r = 0; r < 11; r++)
			fr->regs[r] = reg_to_pb(&fv->regs[r]);
		fr->n_slots = fv->nslots;
		fr->slots = calloc(fv->nslots + 1, sizeof(*fr->slots));
		cr_assert_not_null(fr->slots);
		for (uint32_t i = 0; i < fv->nslots; i++) {
			Bpfvc__Wire__Slot *sl = calloc(1, sizeof(*sl));

			cr_assert_not_null(sl);
			bpfvc__wire__slot__init(sl);
			sl->stype.len = 8;
			sl->stype.data = (uint8_t *)fv->slots[i].stype;
			if (!reg_is_zero(&fv->slots[i].spilled))
				sl->spilled = reg_to_pb(&fv->slots[i].spilled);
			fr->slots[i] = sl;
		}
		fr->callsite = fv->callsite;
		fr->subprog = fv->subprog;
		fr->frameno = fv->frameno;
		fr->stack_depth = fv->stack_depth;
	}
	env.protocol_version = BVC_WIRE_PROTOCOL_VERSION;
	env.body_case = BPFVC__WIRE__ENVELOPE__BODY_WORK;
	env.work = &item;
	n = bpfvc__wire__envelope__get_packed_size(&env);
	*buf = malloc(n ? n : 1);
	cr_assert_not_null(*buf);
	*len = bpfvc__wire__envelope__pack(&env, *buf);
	cr_assert_eq(*len, n);
	for (uint32_t f = 0; f < v->nframes; f++) {
		for (int r = 0; r < 11; r++)
			reg_free(frames[f].regs[r]);
		for (size_t i = 0; i < frames[f].n_slots; i++) {
			reg_free(frames[f].slots[i]->spilled);
			free(frames[f].slots[i]);
		}
		free(frames[f].regs);
		free(frames[f].slots);
	}
}

static void reg_from_pb(const Bpfvc__Wire__Register *r, struct bvc_reg_view *v)
{
	const Bpfvc__Wire__Scalar *sc = r->var;

	v->type = r->type;
	v->maybe_null = (uint8_t)r->maybe_null;
	v->precise = (uint8_t)r->precise;
	v->frameno = (uint8_t)r->frameno;
	v->off = r->off;
	v->id = r->id;
	v->ref_obj_id = r->ref_obj_id;
	v->map_idx = r->map_idx;
	v->mem_size = r->mem_size;
	v->range = r->range;
	if (sc) {
		v->var.var_off.value = sc->value;
		v->var.var_off.mask = sc->mask;
		v->var.smin = sc->smin;
		v->var.smax = sc->smax;
		v->var.umin = sc->umin;
		v->var.umax = sc->umax;
		v->var.s32_min = sc->s32_min;
		v->var.s32_max = sc->s32_max;
		v->var.u32_min = sc->u32_min;
		v->var.u32_max = sc->u32_max;
	}
}

int ref_decode_work(const uint8_t *buf, size_t len, struct bvc_wire_msg *out)
{
	Bpfvc__Wire__Envelope *env = bpfvc__wire__envelope__unpack(NULL, len, buf);
	const Bpfvc__Wire__WorkItem *pb;
	struct bvc_work_view *v = &out->u.work.view;

	memset(out, 0, sizeof(*out));
	if (!env)
		return -1;
	if (env->body_case != BPFVC__WIRE__ENVELOPE__BODY_WORK || env->work->n_frames > 8 ||
	    env->work->n_refs > 64) {
		bpfvc__wire__envelope__free_unpacked(env, NULL);
		return -1;
	}
	pb = env->work;
	out->kind = BVC_WIRE_WORK;
	out->u.work.job_id = pb->job_id;
	out->u.work.work_id = pb->work_id;
	v->id = pb->work_id;
	v->insn = pb->insn;
	v->prev_insn = pb->prev_insn;
	v->nframes = (uint32_t)pb->n_frames;
	v->nrefs = (uint32_t)pb->n_refs;
	if (pb->n_refs)
		memcpy(v->refs, pb->refs, pb->n_refs * sizeof(v->refs[0]));
	for (size_t f = 0; f < pb->n_frames; f++) {
		const Bpfvc__Wire__Frame *fr = pb->frames[f];
		struct bvc_frame_view *fv = &v->frames[f];

		for (size_t r = 0; r < 11 && r < fr->n_regs; r++)
			reg_from_pb(fr->regs[r], &fv->regs[r]);
		fv->callsite = fr->callsite;
		fv->subprog = fr->subprog;
		fv->frameno = fr->frameno;
		fv->stack_depth = fr->stack_depth;
		fv->nslots = (uint32_t)fr->n_slots;
		fv->slots = calloc(fr->n_slots + 1, sizeof(*fv->slots));
		cr_assert_not_null(fv->slots);
		for (size_t i = 0; i < fr->n_slots; i++) {
			memcpy(fv->slots[i].stype, fr->slots[i]->stype.data,
			       fr->slots[i]->stype.len < 8 ? fr->slots[i]->stype.len : 8);
			if (fr->slots[i]->spilled)
				reg_from_pb(fr->slots[i]->spilled, &fv->slots[i].spilled);
		}
	}
	v->trail_len = pb->trail_len;
	if (pb->trail.len) {
		v->trail = malloc(pb->trail.len);
		cr_assert_not_null(v->trail);
		memcpy(v->trail, pb->trail.data, pb->trail.len);
	}
	bpfvc__wire__envelope__free_unpacked(env, NULL);
	return 0;
}
