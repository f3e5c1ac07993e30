// SPDX-License-Identifier: MIT
/*
 * The work-item codec: WorkItem to and from bytes without protobuf-c.
 *
 * Work items travel on every split and protobuf-c is slow at them (tens of
 * microseconds: an allocation per nested message), so they bypass it both
 * ways: a one-pass writer produces exactly protobuf-c's bytes, and the
 * decoder reads them straight into the plain view through the walk's field
 * iterator (walk.c), so they are checked by exactly the rules every other
 * message is. Fast paths take the plainest form of registers, scalars,
 * slots and frames and fall back to the iterator on anything else.
 *
 * Must not: accept a form the iterator refuses (a fast path says -1 and
 * the iterator decides), allocate before a frame is read, or say whether
 * the item is a state of the program (bvc_work_from_view() does).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/state_serial.h"
#include "bpfvc/util.h"
#include "wire_internal.h"

/* --- work items: shape and zeros ----------------------------------------- */

static bool scalar_is_zero(const struct bvc_scalar *s)
{
	return !s->var_off.value && !s->var_off.mask && !s->smin && !s->smax && !s->umin &&
	       !s->umax && !s->s32_min && !s->s32_max && !s->u32_min && !s->u32_max;
}

/* A slot that holds no spilled register has all zeros there. */
static bool reg_is_zero(const struct bvc_reg_view *r)
{
	return !r->type && !r->maybe_null && !r->precise && !r->frameno && !r->off && !r->id &&
	       !r->ref_obj_id && !r->map_idx && !r->mem_size && !r->range && scalar_is_zero(&r->var);
}

/* sint32 and sint64 travel zigzag-encoded: 0, -1, 1, -2, ... -> 0, 1, 2, 3. */
static uint32_t zigzag32(int32_t v)
{
	return v < 0 ? ~((uint32_t)v << 1) : (uint32_t)v << 1;
}

static uint64_t zigzag64(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static int32_t unzigzag32(uint64_t u) /* u <= UINT32_MAX: the walk checks */
{
	uint32_t x = (uint32_t)u;

	return (int32_t)((x >> 1) ^ (0u - (x & 1)));
}

static int64_t unzigzag64(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (0ull - (u & 1)));
}

/* --- encode: work items, written back to front ----------------------------- */

/*
 * protobuf-c packs a work item in tens of microseconds: it allocates every
 * nested message and measures each one again at every level above it.
 * Work items travel on every split, so they get their own writer: one pass
 * from the last field to the first, so a message's length is known when
 * its prefix is written. It writes exactly the bytes protobuf-c would
 * (fields in number order, proto3 zeros left out, refs packed);
 * tests/serial compares the two byte for byte.
 */
/* Upper bounds of encoded sizes: a key is 1 byte for our field numbers
 * (< 16), a varint at most 10, a length prefix at most 5. */
#define SCALAR_WIRE_MAX (10 * 11)
#define REG_WIRE_MAX (6 + 11 * 11 + 6 + SCALAR_WIRE_MAX)
#define SLOT_WIRE_MAX (6 + 10 + REG_WIRE_MAX)
#define FRAME_WIRE_MAX (6 + 4 * 11 + VIEW_REGS * REG_WIRE_MAX)
#define ITEM_WIRE_MAX (512 + BVC_VIEW_MAX_REFS * 5) /* all but frames and trail */

struct rw {
	uint8_t *p; /* first byte written so far; writing goes down */
};

static unsigned varint_size(uint64_t v)
{
	/* 7 bits a byte: bits 0..6 take 1, bits up to 13 take 2, ... */
	return (unsigned)(63 - __builtin_clzll(v | 1)) / 7 + 1;
}

static void rw_varint(struct rw *w, uint64_t v)
{
	uint8_t *q;

	w->p -= varint_size(v);
	q = w->p;
	while (v >= 0x80) {
		*q++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*q = (uint8_t)v;
}

static void rw_key(struct rw *w, unsigned field, unsigned wt)
{
	rw_varint(w, (uint64_t)field << 3 | wt);
}

/* A varint field; proto3 leaves a zero out. */
static void rw_uint(struct rw *w, unsigned field, uint64_t v)
{
	if (!v)
		return;
	rw_varint(w, v);
	rw_key(w, field, WT_VARINT);
}

static void rw_bytes(struct rw *w, unsigned field, const uint8_t *data, size_t len)
{
	if (!len)
		return;
	w->p -= len;
	memcpy(w->p, data, len);
	rw_varint(w, len);
	rw_key(w, field, WT_LEN);
}

/* Close a message that ends before @end: its length, then its key. */
static void rw_close(struct rw *w, const uint8_t *end, unsigned field)
{
	rw_varint(w, (uint64_t)(end - w->p));
	rw_key(w, field, WT_LEN);
}

/* Fields are written last to first (PB_*: wire_internal.h). */

static void rw_scalar(struct rw *w, unsigned field, const struct bvc_scalar *s)
{
	const uint8_t *end = w->p;

	rw_uint(w, PB_SCALAR_U32_MAX, s->u32_max);
	rw_uint(w, PB_SCALAR_U32_MIN, s->u32_min);
	rw_uint(w, PB_SCALAR_S32_MAX, zigzag32(s->s32_max));
	rw_uint(w, PB_SCALAR_S32_MIN, zigzag32(s->s32_min));
	rw_uint(w, PB_SCALAR_UMAX, s->umax);
	rw_uint(w, PB_SCALAR_UMIN, s->umin);
	rw_uint(w, PB_SCALAR_SMAX, zigzag64(s->smax));
	rw_uint(w, PB_SCALAR_SMIN, zigzag64(s->smin));
	rw_uint(w, PB_SCALAR_MASK, s->var_off.mask);
	rw_uint(w, PB_SCALAR_VALUE, s->var_off.value);
	rw_close(w, end, field);
}

static void rw_reg(struct rw *w, unsigned field, const struct bvc_reg_view *r)
{
	const uint8_t *end = w->p;

	rw_uint(w, PB_REGISTER_RANGE, zigzag32(r->range));
	rw_uint(w, PB_REGISTER_MEM_SIZE, r->mem_size);
	rw_uint(w, PB_REGISTER_MAP_IDX, r->map_idx);
	rw_uint(w, PB_REGISTER_REF_OBJ_ID, r->ref_obj_id);
	rw_uint(w, PB_REGISTER_ID, r->id);
	/* An absent Scalar reads as zeros: zeros need not travel. */
	if (!scalar_is_zero(&r->var))
		rw_scalar(w, PB_REGISTER_VAR, &r->var);
	rw_uint(w, PB_REGISTER_OFF, zigzag32(r->off));
	rw_uint(w, PB_REGISTER_FRAMENO, r->frameno);
	rw_uint(w, PB_REGISTER_PRECISE, r->precise);
	rw_uint(w, PB_REGISTER_MAYBE_NULL, r->maybe_null);
	rw_uint(w, PB_REGISTER_TYPE, r->type);
	rw_close(w, end, field);
}

static void rw_frame(struct rw *w, unsigned field, const struct bvc_frame_view *fv)
{
	const uint8_t *end = w->p;

	rw_uint(w, PB_FRAME_STACK_DEPTH, fv->stack_depth);
	rw_uint(w, PB_FRAME_FRAMENO, fv->frameno);
	rw_uint(w, PB_FRAME_SUBPROG, fv->subprog);
	rw_uint(w, PB_FRAME_CALLSITE, zigzag32(fv->callsite));
	for (uint32_t i = fv->nslots; i-- > 0;) {
		const struct bvc_slot_view *sv = &fv->slots[i];
		const uint8_t *slot_end = w->p;

		/* Likewise a slot without a spilled register. */
		if (!reg_is_zero(&sv->spilled))
			rw_reg(w, PB_SLOT_SPILLED, &sv->spilled);
		rw_bytes(w, PB_SLOT_STYPE, sv->stype, sizeof(sv->stype));
		rw_close(w, slot_end, PB_FRAME_SLOTS);
	}
	for (int r = VIEW_REGS; r-- > 0;)
		rw_reg(w, PB_FRAME_REGS, &fv->regs[r]);
	rw_close(w, end, field);
}

/* A WorkItem as envelope field @field: a Work or a Checkpoint. */
int bvc_wire__encode_work(const struct bvc_wire_work *wk, unsigned field, void **buf, size_t *len,
			  char *err, size_t errsz)
{
	const struct bvc_work_view *v = &wk->view;
	size_t trail = bvc_wire__trail_bytes(v->trail_len), bound = ITEM_WIRE_MAX, n;
	uint8_t *out, *end, *shrunk;
	const uint8_t *mark;
	struct rw w;

	if (trail > BVC_WIRE_FRAME_MAX) {
		bvc_set_err(err, errsz, "work: trail of %" PRIu32 " decisions, over the frame limit",
			v->trail_len);
		return -EMSGSIZE;
	}
	bound += trail;
	for (uint32_t f = 0; f < v->nframes; f++)
		bound += FRAME_WIRE_MAX + (size_t)v->frames[f].nslots * SLOT_WIRE_MAX;
	out = malloc(bound);
	if (!out) {
		bvc_set_err(err, errsz, "out of memory encoding work");
		return -ENOMEM;
	}
	w.p = end = out + bound;

	rw_uint(&w, PB_WORK_TRAIL_LEN, v->trail_len);
	rw_bytes(&w, PB_WORK_TRAIL, v->trail, trail);
	if (v->nrefs) {
		mark = w.p;
		for (uint32_t i = v->nrefs; i-- > 0;)
			rw_varint(&w, v->refs[i]);
		rw_close(&w, mark, PB_WORK_REFS);
	}
	for (uint32_t f = v->nframes; f-- > 0;)
		rw_frame(&w, PB_WORK_FRAMES, &v->frames[f]);
	rw_uint(&w, PB_WORK_PREV_INSN, v->prev_insn);
	rw_uint(&w, PB_WORK_INSN, v->insn);
	rw_uint(&w, PB_WORK_WORK_ID, wk->work_id);
	rw_uint(&w, PB_WORK_JOB_ID, wk->job_id);
	rw_close(&w, end, field);
	rw_uint(&w, PB_ENVELOPE_PROTOCOL_VERSION, BVC_WIRE_PROTOCOL_VERSION);
	assert(w.p >= out); /* the sizes above are upper bounds */

	n = (size_t)(end - w.p);
	if (n > BVC_WIRE_FRAME_MAX) {
		bvc_set_err(err, errsz, "work: encodes to %zu bytes, limit %u", n, BVC_WIRE_FRAME_MAX);
		free(out);
		return -EMSGSIZE;
	}
	memmove(out, w.p, n);
	shrunk = realloc(out, n);
	*buf = shrunk ? shrunk : out;
	*len = n;
	return 0;
}

/* --- decode: work items, read during the walk -------------------------------- */

/*
 * Like the writer above, a work item skips protobuf-c: it is read through
 * the same field iterator as every other message (so it is checked by
 * exactly the same rules) and stored straight into the plain view. The
 * iterator only yields fields of the schema.
 */

static int decode_scalar(struct walk *w, const struct field *in, int depth, struct bvc_scalar *s)
{
	struct msg_iter it;
	struct field fl;
	int ret = bvc_wire__iter_init(&it, w, &bpfvc__wire__scalar__descriptor, in->data, in->v,
				      in->data_base, depth);

	while (!ret && (ret = bvc_wire__iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case PB_SCALAR_VALUE: s->var_off.value = fl.v; break;
		case PB_SCALAR_MASK: s->var_off.mask = fl.v; break;
		case PB_SCALAR_SMIN: s->smin = unzigzag64(fl.v); break;
		case PB_SCALAR_SMAX: s->smax = unzigzag64(fl.v); break;
		case PB_SCALAR_UMIN: s->umin = fl.v; break;
		case PB_SCALAR_UMAX: s->umax = fl.v; break;
		case PB_SCALAR_S32_MIN: s->s32_min = unzigzag32(fl.v); break;
		case PB_SCALAR_S32_MAX: s->s32_max = unzigzag32(fl.v); break;
		case PB_SCALAR_U32_MIN: s->u32_min = (uint32_t)fl.v; break;
		case PB_SCALAR_U32_MAX: s->u32_max = (uint32_t)fl.v; break;
		}
	}
	return ret;
}

static int decode_reg(struct walk *w, const struct field *in, int depth, struct bvc_reg_view *r)
{
	struct msg_iter it;
	struct field fl;
	int ret = bvc_wire__iter_init(&it, w, &bpfvc__wire__register__descriptor, in->data, in->v,
				      in->data_base, depth);

	/* The iterator bounds the bools to 0..1 and frameno to a byte. */
	while (!ret && (ret = bvc_wire__iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case PB_REGISTER_TYPE: r->type = (uint32_t)fl.v; break;
		case PB_REGISTER_MAYBE_NULL: r->maybe_null = (uint8_t)fl.v; break;
		case PB_REGISTER_PRECISE: r->precise = (uint8_t)fl.v; break;
		case PB_REGISTER_FRAMENO: r->frameno = (uint8_t)fl.v; break;
		case PB_REGISTER_OFF: r->off = unzigzag32(fl.v); break;
		case PB_REGISTER_VAR: ret = decode_scalar(w, &fl, depth + 1, &r->var); break;
		case PB_REGISTER_ID: r->id = (uint32_t)fl.v; break;
		case PB_REGISTER_REF_OBJ_ID: r->ref_obj_id = (uint32_t)fl.v; break;
		case PB_REGISTER_MAP_IDX: r->map_idx = (uint32_t)fl.v; break;
		case PB_REGISTER_MEM_SIZE: r->mem_size = (uint32_t)fl.v; break;
		case PB_REGISTER_RANGE: r->range = unzigzag32(fl.v); break;
		}
	}
	return ret;
}

/*
 * Fast paths for the bulk of an item, registers and their scalars: tight
 * loops that take only the plainest form (one-byte keys in range, each
 * field once, well-formed varints that fit) and say -1 at anything else.
 * The caller then zeroes the output and decodes the same bytes with the
 * iterator above, which accepts or refuses exactly as for any message. So
 * what a fast path accepts, the iterator accepts with the same values, and
 * errors always come from the iterator; tests compare the two on mutated
 * items (bvc_wire_no_fast_path).
 */
bool bvc_wire_no_fast_path;

static int fast_scalar(const uint8_t *p, size_t len, struct bvc_scalar *s)
{
	uint32_t seen = 0;
	size_t pos = 0;

	while (pos < len) {
		uint8_t k = p[pos++];
		unsigned fnum = k >> 3;
		const char *why;
		uint64_t v;

		if ((k & 0x87) || fnum == 0 || fnum > PB_SCALAR_U32_MAX || (seen & (1u << fnum)))
			return -1;
		seen |= 1u << fnum;
		if (bvc_wire__read_varint(p, len, &pos, &v, &why))
			return -1;
		if (fnum >= PB_SCALAR_S32_MIN && v > UINT32_MAX)
			return -1;
		switch (fnum) {
		case PB_SCALAR_VALUE: s->var_off.value = v; break;
		case PB_SCALAR_MASK: s->var_off.mask = v; break;
		case PB_SCALAR_SMIN: s->smin = unzigzag64(v); break;
		case PB_SCALAR_SMAX: s->smax = unzigzag64(v); break;
		case PB_SCALAR_UMIN: s->umin = v; break;
		case PB_SCALAR_UMAX: s->umax = v; break;
		case PB_SCALAR_S32_MIN: s->s32_min = unzigzag32(v); break;
		case PB_SCALAR_S32_MAX: s->s32_max = unzigzag32(v); break;
		case PB_SCALAR_U32_MIN: s->u32_min = (uint32_t)v; break;
		default: s->u32_max = (uint32_t)v; break;
		}
	}
	return 0;
}

static int fast_reg(const uint8_t *p, size_t len, struct bvc_reg_view *r)
{
	uint32_t seen = 0;
	size_t pos = 0;

	while (pos < len) {
		uint8_t k = p[pos++];
		unsigned fnum = k >> 3;
		const char *why;
		uint64_t v;

		if ((k & 0x80) || fnum == 0 || fnum > PB_REGISTER_RANGE || (seen & (1u << fnum)) ||
		    (k & 7) != (fnum == PB_REGISTER_VAR ? WT_LEN : WT_VARINT))
			return -1;
		seen |= 1u << fnum;
		if (bvc_wire__read_varint(p, len, &pos, &v, &why))
			return -1;
		if (fnum == PB_REGISTER_VAR) {
			if (v > len - pos || fast_scalar(p + pos, (size_t)v, &r->var))
				return -1;
			pos += (size_t)v;
			continue;
		}
		if (v > UINT32_MAX ||
		    ((fnum == PB_REGISTER_MAYBE_NULL || fnum == PB_REGISTER_PRECISE) && v > 1) ||
		    (fnum == PB_REGISTER_FRAMENO && v > UINT8_MAX))
			return -1;
		switch (fnum) {
		case PB_REGISTER_TYPE: r->type = (uint32_t)v; break;
		case PB_REGISTER_MAYBE_NULL: r->maybe_null = (uint8_t)v; break;
		case PB_REGISTER_PRECISE: r->precise = (uint8_t)v; break;
		case PB_REGISTER_FRAMENO: r->frameno = (uint8_t)v; break;
		case PB_REGISTER_OFF: r->off = unzigzag32(v); break;
		case PB_REGISTER_ID: r->id = (uint32_t)v; break;
		case PB_REGISTER_REF_OBJ_ID: r->ref_obj_id = (uint32_t)v; break;
		case PB_REGISTER_MAP_IDX: r->map_idx = (uint32_t)v; break;
		case PB_REGISTER_MEM_SIZE: r->mem_size = (uint32_t)v; break;
		default: r->range = unzigzag32(v); break;
		}
	}
	return 0;
}

/* A Slot: its 8 type bytes, then maybe a register. */
static int fast_slot(const uint8_t *p, size_t len, struct bvc_slot_view *s)
{
	size_t pos = 0;
	uint64_t v;
	const char *why;

	if (len < 10 || p[0] != (PB_SLOT_STYPE << 3 | WT_LEN) || p[1] != sizeof(s->stype))
		return -1;
	memcpy(s->stype, p + 2, sizeof(s->stype));
	pos = 10;
	if (pos == len)
		return 0;
	if (p[pos++] != (PB_SLOT_SPILLED << 3 | WT_LEN) || bvc_wire__read_varint(p, len, &pos, &v, &why) ||
	    v != len - pos)
		return -1;
	return fast_reg(p + pos, (size_t)v, &s->spilled);
}

/* A Frame: 11 registers, up to 64 slots, in that order, then the rest;
 * the slots go to @slots, *@nslots of them. */
static int fast_frame(const uint8_t *p, size_t len, struct bvc_frame_view *fv,
		      struct bvc_slot_view *slots, uint32_t *nslots)
{
	uint32_t nregs = 0, seen = 0;
	size_t pos = 0;

	*nslots = 0;
	while (pos < len) {
		uint8_t k = p[pos++];
		unsigned fnum = k >> 3;
		const char *why;
		uint64_t v;

		if ((k & 0x80) || fnum == 0 || fnum > PB_FRAME_STACK_DEPTH ||
		    (k & 7) != (fnum <= PB_FRAME_SLOTS ? WT_LEN : WT_VARINT))
			return -1;
		if (bvc_wire__read_varint(p, len, &pos, &v, &why))
			return -1;
		if (fnum <= PB_FRAME_SLOTS && v > len - pos)
			return -1;
		if (fnum == PB_FRAME_REGS) {
			if (nregs == VIEW_REGS || fast_reg(p + pos, (size_t)v, &fv->regs[nregs++]))
				return -1;
			pos += (size_t)v;
			continue;
		}
		if (fnum == PB_FRAME_SLOTS) {
			struct bvc_slot_view *s = &slots[*nslots];

			if (*nslots == BVC_VIEW_MAX_SLOTS)
				return -1;
			memset(s, 0, sizeof(*s));
			(*nslots)++;
			if (fast_slot(p + pos, (size_t)v, s))
				return -1;
			pos += (size_t)v;
			continue;
		}
		if ((seen & (1u << fnum)) || v > UINT32_MAX)
			return -1;
		seen |= 1u << fnum;
		switch (fnum) {
		case PB_FRAME_CALLSITE: fv->callsite = unzigzag32(v); break;
		case PB_FRAME_SUBPROG: fv->subprog = (uint32_t)v; break;
		case PB_FRAME_FRAMENO: fv->frameno = (uint32_t)v; break;
		default: fv->stack_depth = (uint32_t)v; break;
		}
	}
	return nregs == VIEW_REGS ? 0 : -1;
}

/* A Register from @in into @r (all zeros on entry). */
static int read_reg(struct walk *w, const struct field *in, int depth, struct bvc_reg_view *r)
{
	if (!bvc_wire_no_fast_path && !fast_reg(in->data, (size_t)in->v, r))
		return 0;
	memset(r, 0, sizeof(*r));
	return decode_reg(w, in, depth, r);
}

static int decode_slot(struct walk *w, const struct field *in, int depth, struct bvc_slot_view *s)
{
	struct msg_iter it;
	struct field fl;
	int ret = bvc_wire__iter_init(&it, w, &bpfvc__wire__slot__descriptor, in->data, in->v,
				      in->data_base, depth);

	while (!ret && (ret = bvc_wire__iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case PB_SLOT_STYPE:
			/* At most 8 here; fewer is refused at the end. */
			memcpy(s->stype, fl.data, fl.v);
			break;
		case PB_SLOT_SPILLED:
			ret = read_reg(w, &fl, depth + 1, &s->spilled);
			break;
		}
	}
	return ret;
}

/* A Frame through the iterator: registers into @fv, slots into @slots. */
static int iter_frame(struct walk *w, const struct field *in, int depth,
		      struct bvc_frame_view *fv, struct bvc_slot_view *slots, uint32_t *nslots)
{
	uint32_t nregs = 0;
	struct msg_iter it;
	struct field fl;
	int ret = bvc_wire__iter_init(&it, w, &bpfvc__wire__frame__descriptor, in->data, in->v,
				      in->data_base, depth);

	*nslots = 0;
	while (!ret && (ret = bvc_wire__iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case PB_FRAME_REGS:
			/* The iterator refuses a 12th register before this. */
			if (nregs >= VIEW_REGS) {
				/* Cannot happen. */
				bvc_set_err(w->err, w->errsz, "work: internal error: register %u", nregs);
				return -EBADMSG;
			}
			ret = read_reg(w, &fl, depth + 1, &fv->regs[nregs++]);
			break;
		case PB_FRAME_SLOTS:
			if (*nslots >= BVC_VIEW_MAX_SLOTS) {
				/* Cannot happen, likewise. */
				bvc_set_err(w->err, w->errsz, "work: internal error: slot %u", *nslots);
				return -EBADMSG;
			}
			memset(&slots[*nslots], 0, sizeof(slots[*nslots]));
			ret = decode_slot(w, &fl, depth + 1, &slots[(*nslots)++]);
			break;
		case PB_FRAME_CALLSITE: fv->callsite = unzigzag32(fl.v); break;
		case PB_FRAME_SUBPROG: fv->subprog = (uint32_t)fl.v; break;
		case PB_FRAME_FRAMENO: fv->frameno = (uint32_t)fl.v; break;
		case PB_FRAME_STACK_DEPTH: fv->stack_depth = (uint32_t)fl.v; break;
		}
	}
	return ret;
}

static int decode_frame(struct walk *w, const struct field *in, int depth,
			struct bvc_frame_view *fv)
{
	/* Slots are read here and then copied to an allocation of exactly
	 * their number: nothing is allocated before the frame is read. */
	struct bvc_slot_view slots[BVC_VIEW_MAX_SLOTS];
	uint32_t nslots;
	int ret;

	if (bvc_wire_no_fast_path || fast_frame(in->data, (size_t)in->v, fv, slots, &nslots)) {
		memset(fv, 0, sizeof(*fv));
		ret = iter_frame(w, in, depth, fv, slots, &nslots);
		if (ret)
			return ret;
	}
	if (!nslots)
		return 0;
	fv->slots = malloc(nslots * sizeof(*fv->slots));
	if (!fv->slots) {
		bvc_set_err(w->err, w->errsz, "out of memory decoding work");
		return -ENOMEM;
	}
	memcpy(fv->slots, slots, nslots * sizeof(*fv->slots));
	fv->nslots = nslots;
	return 0;
}

/* A WorkItem into w->msg, which owns what is allocated even on failure.
 * Ids and the trail are checked after the walk (bvc_wire__finish_work). */
/* A WorkItem in envelope field @kind (a Work or a Checkpoint). */
int bvc_wire__decode_work(struct walk *w, const struct field *in, int depth,
			  enum bvc_wire_kind kind)
{
	struct bvc_wire_work *wk = &w->msg->u.work;
	struct bvc_work_view *v = &wk->view;
	struct msg_iter it;
	struct field fl;
	int ret = bvc_wire__iter_init(&it, w, &bpfvc__wire__work_item__descriptor, in->data,
				      in->v, in->data_base, depth);

	w->msg->kind = kind;
	while (!ret && (ret = bvc_wire__iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case PB_WORK_JOB_ID: wk->job_id = fl.v; break;
		case PB_WORK_WORK_ID: wk->work_id = fl.v; break;
		case PB_WORK_INSN: v->insn = (uint32_t)fl.v; break;
		case PB_WORK_PREV_INSN: v->prev_insn = (uint32_t)fl.v; break;
		case PB_WORK_FRAMES:
			/* The iterator refuses a 9th frame before this. */
			if (v->nframes >= BVC_VIEW_MAX_FRAMES) {
				/* Cannot happen. */
				bvc_set_err(w->err, w->errsz, "work: internal error: frame %u", v->nframes);
				return -EBADMSG;
			}
			ret = decode_frame(w, &fl, depth + 1, &v->frames[v->nframes++]);
			break;
		case PB_WORK_REFS: {
			/* Packed, every element checked and counted (<= 64). */
			size_t pos = 0;
			const char *why;
			uint64_t ref;

			while (pos < fl.v && v->nrefs < BVC_VIEW_MAX_REFS &&
			       !bvc_wire__read_varint(fl.data, fl.v, &pos, &ref, &why))
				v->refs[v->nrefs++] = (uint32_t)ref;
			break;
		}
		case PB_WORK_TRAIL:
			w->trail = fl.data;
			w->trail_len = fl.v;
			break;
		case PB_WORK_TRAIL_LEN: v->trail_len = (uint32_t)fl.v; break;
		}
	}
	return ret;
}

/* What a WorkItem must be beyond its shape, checked once the whole
 * envelope is walked (as for every other message); then the trail is
 * copied. */
int bvc_wire__finish_work(struct walk *w, char *err, size_t errsz)
{
	struct bvc_wire_work *wk = &w->msg->u.work;
	struct bvc_work_view *v = &wk->view;
	int ret;

	ret = bvc_wire__check_job_id("work", wk->job_id, err, errsz);
	if (!ret)
		ret = bvc_wire__check_work_id("work", wk->work_id, err, errsz);
	if (ret)
		return ret;
	if (w->trail_len != bvc_wire__trail_bytes(v->trail_len)) {
		bvc_set_err(err, errsz, "work: trail of %zu bytes for %" PRIu32 " decisions, expected %zu",
			w->trail_len, v->trail_len, bvc_wire__trail_bytes(v->trail_len));
		return -EBADMSG;
	}
	v->id = wk->work_id;
	if (w->trail_len) {
		v->trail = malloc(w->trail_len);
		if (!v->trail) {
			bvc_set_err(err, errsz, "out of memory decoding work");
			return -ENOMEM;
		}
		memcpy(v->trail, w->trail, w->trail_len);
	}
	return 0;
}
