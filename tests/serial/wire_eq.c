// SPDX-License-Identifier: MIT
/* Field-by-field equality of wire messages and work views (wire_eq.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "wire_eq.h"

static void scalar_assert_eq(const struct bvc_scalar *a, const struct bvc_scalar *b,
			     const char *where)
{
	cr_assert_eq(a->var_off.value, b->var_off.value, "%s: tnum value", where);
	cr_assert_eq(a->var_off.mask, b->var_off.mask, "%s: tnum mask", where);
	cr_assert_eq(a->smin, b->smin, "%s: smin", where);
	cr_assert_eq(a->smax, b->smax, "%s: smax", where);
	cr_assert_eq(a->umin, b->umin, "%s: umin", where);
	cr_assert_eq(a->umax, b->umax, "%s: umax", where);
	cr_assert_eq(a->s32_min, b->s32_min, "%s: s32_min", where);
	cr_assert_eq(a->s32_max, b->s32_max, "%s: s32_max", where);
	cr_assert_eq(a->u32_min, b->u32_min, "%s: u32_min", where);
	cr_assert_eq(a->u32_max, b->u32_max, "%s: u32_max", where);
}

static void reg_assert_eq(const struct bvc_reg_view *a, const struct bvc_reg_view *b,
			  const char *where)
{
	cr_assert_eq(a->type, b->type, "%s: type", where);
	cr_assert_eq(a->maybe_null, b->maybe_null, "%s: maybe_null", where);
	cr_assert_eq(a->precise, b->precise, "%s: precise", where);
	cr_assert_eq(a->frameno, b->frameno, "%s: frameno", where);
	cr_assert_eq(a->off, b->off, "%s: off", where);
	scalar_assert_eq(&a->var, &b->var, where);
	cr_assert_eq(a->id, b->id, "%s: id", where);
	cr_assert_eq(a->ref_obj_id, b->ref_obj_id, "%s: ref_obj_id", where);
	cr_assert_eq(a->map_idx, b->map_idx, "%s: map_idx", where);
	cr_assert_eq(a->mem_size, b->mem_size, "%s: mem_size", where);
	cr_assert_eq(a->range, b->range, "%s: range", where);
}

void wire_view_assert_eq(const struct bvc_work_view *a, const struct bvc_work_view *b)
{
	char where[64];

	cr_assert_eq(a->insn, b->insn);
	cr_assert_eq(a->prev_insn, b->prev_insn);
	cr_assert_eq(a->nframes, b->nframes);
	cr_assert_eq(a->nrefs, b->nrefs);
	cr_assert_arr_eq(a->refs, b->refs, a->nrefs * sizeof(a->refs[0]));
	cr_assert_eq(a->trail_len, b->trail_len);
	if (a->trail_len)
		cr_assert_arr_eq(a->trail, b->trail, (a->trail_len + 7) / 8);
	for (uint32_t f = 0; f < a->nframes; f++) {
		const struct bvc_frame_view *fa = &a->frames[f], *fb = &b->frames[f];

		cr_assert_eq(fa->callsite, fb->callsite, "frame %u", f);
		cr_assert_eq(fa->subprog, fb->subprog, "frame %u", f);
		cr_assert_eq(fa->frameno, fb->frameno, "frame %u", f);
		cr_assert_eq(fa->stack_depth, fb->stack_depth, "frame %u", f);
		for (int r = 0; r < 11; r++) {
			snprintf(where, sizeof(where), "frame %u R%d", f, r);
			reg_assert_eq(&fa->regs[r], &fb->regs[r], where);
		}
		cr_assert_eq(fa->nslots, fb->nslots, "frame %u", f);
		for (uint32_t s = 0; s < fa->nslots; s++) {
			snprintf(where, sizeof(where), "frame %u slot %u", f, s);
			cr_assert_arr_eq(fa->slots[s].stype, fb->slots[s].stype, 8, "%s", where);
			reg_assert_eq(&fa->slots[s].spilled, &fb->slots[s].spilled, where);
		}
	}
}

void wire_assert_eq(const struct bvc_wire_msg *a, const struct bvc_wire_msg *b)
{
	cr_assert_eq(a->kind, b->kind);
	switch (a->kind) {
	case BVC_WIRE_HELLO:
		cr_assert_eq(a->u.hello.protocol_version, b->u.hello.protocol_version);
		cr_assert_str_eq(a->u.hello.build_id, b->u.hello.build_id);
		cr_assert_eq(a->u.hello.cores, b->u.hello.cores);
		break;
	case BVC_WIRE_HEARTBEAT:
		cr_assert_eq(a->u.heartbeat.processed_insns, b->u.heartbeat.processed_insns);
		cr_assert_eq(a->u.heartbeat.job_id, b->u.heartbeat.job_id);
		break;
	case BVC_WIRE_CANCEL:
		cr_assert_eq(a->u.cancel.job_id, b->u.cancel.job_id);
		break;
	case BVC_WIRE_REJECT:
		cr_assert_eq(a->u.reject.job_id, b->u.reject.job_id);
		cr_assert_eq(a->u.reject.kind, b->u.reject.kind);
		cr_assert_eq(a->u.reject.insn, b->u.reject.insn);
		cr_assert_str_eq(a->u.reject.message, b->u.reject.message);
		cr_assert_eq(a->u.reject.trail_len, b->u.reject.trail_len);
		if (a->u.reject.trail_len)
			cr_assert_arr_eq(a->u.reject.trail, b->u.reject.trail,
					 (a->u.reject.trail_len + 7) / 8);
		break;
	case BVC_WIRE_JOB:
		cr_assert_eq(a->u.job.job_id, b->u.job.job_id);
		cr_assert_str_eq(a->u.job.prog_name, b->u.job.prog_name);
		cr_assert_eq(a->u.job.insn_limit, b->u.job.insn_limit);
		cr_assert_eq(a->u.job.prog_flags, b->u.job.prog_flags);
		cr_assert_eq(a->u.job.start_entry, b->u.job.start_entry);
		cr_assert_eq(a->u.job.object_len, b->u.job.object_len);
		cr_assert_eq(memcmp(a->u.job.object, b->u.job.object, a->u.job.object_len), 0);
		break;
	case BVC_WIRE_WORK:
	case BVC_WIRE_CHECKPOINT:
		cr_assert_eq(a->u.work.job_id, b->u.work.job_id);
		cr_assert_eq(a->u.work.work_id, b->u.work.work_id);
		cr_assert_eq(b->u.work.view.id, a->u.work.work_id);
		wire_view_assert_eq(&a->u.work.view, &b->u.work.view);
		break;
	case BVC_WIRE_DONATE:
		cr_assert_eq(a->u.donate.job_id, b->u.donate.job_id);
		break;
	case BVC_WIRE_DONE:
		cr_assert_eq(a->u.done.job_id, b->u.done.job_id);
		cr_assert_eq(a->u.done.work_id, b->u.done.work_id);
		cr_assert_eq(a->u.done.demand.nframes, b->u.done.demand.nframes);
		cr_assert_eq(a->u.done.demand.all, b->u.done.demand.all);
		for (uint32_t f = 0; f < a->u.done.demand.nframes; f++) {
			cr_assert_eq(a->u.done.demand.regs[f], b->u.done.demand.regs[f]);
			cr_assert_eq(a->u.done.demand.slots[f], b->u.done.demand.slots[f]);
		}
		break;
	case BVC_WIRE_FINISHED:
		cr_assert_eq(a->u.finished.job_id, b->u.finished.job_id);
		cr_assert_eq(a->u.finished.processed_insns, b->u.finished.processed_insns);
		cr_assert_eq(a->u.finished.total_states, b->u.finished.total_states);
		cr_assert_eq(a->u.finished.peak_states, b->u.finished.peak_states);
		cr_assert_eq(a->u.finished.remote_prune_hits, b->u.finished.remote_prune_hits);
		cr_assert_eq(a->u.finished.nfuncs, b->u.finished.nfuncs);
		for (uint32_t f = 0; f < a->u.finished.nfuncs; f++)
			cr_assert_eq(a->u.finished.stack_depths[f], b->u.finished.stack_depths[f]);
		cr_assert_eq(a->u.finished.insn_cnt, b->u.finished.insn_cnt);
		if (a->u.finished.insn_cnt)
			cr_assert_arr_eq(a->u.finished.seen, b->u.finished.seen,
					 (a->u.finished.insn_cnt + 7) / 8);
		cr_assert_eq(a->u.finished.nfacts, b->u.finished.nfacts);
		for (size_t k = 0; k < a->u.finished.nfacts; k++) {
			const struct bvc_wire_fact *x = &a->u.finished.facts[k];
			const struct bvc_wire_fact *y = &b->u.finished.facts[k];

			cr_assert_eq(x->insn, y->insn);
			cr_assert_eq(x->mem_base, y->mem_base);
			cr_assert_eq(x->ctx_field, y->ctx_field);
			cr_assert_eq(x->ctx_off, y->ctx_off);
			cr_assert_eq(x->ctx_size, y->ctx_size);
			cr_assert_eq(x->map_idx, y->map_idx);
		}
		break;
	default:
		cr_assert_fail("unknown kind %d", (int)a->kind);
	}
}
