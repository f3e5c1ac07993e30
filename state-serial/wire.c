// SPDX-License-Identifier: MIT
/*
 * Wire messages to and from bytes (proto/bpfvc.proto, docs/design.md section 4).
 *
 * Decoding is where another process's bytes become our data, so it trusts
 * nothing: before protobuf-c sees a frame, a schema-driven walk checks every
 * tag, wire type, length and varint against the descriptors and says where
 * and why a frame is bad (protobuf-c itself only says "NULL"). The walk also
 * refuses what protobuf-c would silently accept and we would never send: an
 * unknown field, a field given twice, two members of one oneof, a varint
 * too wide for its field, a NUL inside a string, a repeated scalar field
 * not packed. It also enforces the shape of a work item (frames, registers,
 * slots, references, slot type bytes) before anything is allocated for it,
 * so a frame never costs more memory than its size justifies. After the
 * walk, each field is checked against the protocol: version, ids, string
 * length and alphabet, trail length; whether a work item is a state of the
 * program is left to bvc_work_from_view().
 *
 * Work items travel on every split and protobuf-c is slow at them (tens of
 * microseconds: an allocation per nested message), so they bypass it both
 * ways: a one-pass writer produces exactly protobuf-c's bytes, and the walk
 * decodes them straight into the plain view as it checks them. Every other
 * message goes through protobuf-c after the walk.
 *
 * Must not: print, abort or assert on input, or let a protobuf-c type out of
 * this file.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc.pb-c.h"
#include "bpfvc/state_serial.h"
#include "bpfvc/util.h"
#include "build_id.h"
#include "wire_internal.h"

/* Deeper than the schema can nest; a guard should the schema ever recurse. */
#define WALK_MAX_DEPTH 16
/* Fields per message we track for duplicates; the schema stays far below. */
#define WALK_MAX_FIELDS 64

const char *bvc_wire_build_id(void)
{
	return BVC_BUILD_ID;
}

const char *bvc_wire_kind_name(enum bvc_wire_kind kind)
{
	switch (kind) {
	case BVC_WIRE_HELLO:
		return "hello";
	case BVC_WIRE_HEARTBEAT:
		return "heartbeat";
	case BVC_WIRE_CANCEL:
		return "cancel";
	case BVC_WIRE_REJECT:
		return "reject";
	case BVC_WIRE_JOB:
		return "job";
	case BVC_WIRE_WORK:
		return "work";
	case BVC_WIRE_DONATE:
		return "donate";
	case BVC_WIRE_DONE:
		return "done";
	case BVC_WIRE_FINISHED:
		return "finished";
	case BVC_WIRE_CHECKPOINT:
		return "checkpoint";
	}
	return "unknown";
}

void bvc_wire_msg_release(struct bvc_wire_msg *msg)
{
	if (!msg)
		return;
	switch (msg->kind) {
	case BVC_WIRE_JOB:
		free(msg->u.job.object);
		break;
	case BVC_WIRE_WORK:
	case BVC_WIRE_CHECKPOINT:
		bvc_work_view_release(&msg->u.work.view);
		break;
	case BVC_WIRE_FINISHED:
		free(msg->u.finished.seen);
		free(msg->u.finished.facts);
		break;
	case BVC_WIRE_REJECT:
		free(msg->u.reject.trail);
		break;
	default:
		break;
	}
	memset(msg, 0, sizeof(*msg));
}

void bvc_wire_hello_init(struct bvc_wire_msg *msg, uint32_t cores)
{
	memset(msg, 0, sizeof(*msg));
	msg->kind = BVC_WIRE_HELLO;
	msg->u.hello.protocol_version = BVC_WIRE_PROTOCOL_VERSION;
	snprintf(msg->u.hello.build_id, sizeof(msg->u.hello.build_id), "%s", BVC_BUILD_ID);
	msg->u.hello.cores = cores;
}

/* --- field rules, shared by encode and decode ---------------------------- */

/* A Finished's facts: within the program, ascending, every value one the
 * verifier can produce. Shared by encode and decode. */
static int check_facts(const struct bvc_wire_finished *f, char *err, size_t errsz)
{
	if (f->insn_cnt > BVC_WIRE_MAX_INSNS) {
		bvc_set_err(err, errsz, "finished: %u instructions, limit %u", f->insn_cnt,
			BVC_WIRE_MAX_INSNS);
		return -1;
	}
	if (!f->insn_cnt && (f->seen || f->nfacts)) {
		bvc_set_err(err, errsz, "finished: facts without an instruction count");
		return -1;
	}
	if (f->insn_cnt && !f->seen) {
		bvc_set_err(err, errsz, "finished: an instruction count without the reached set");
		return -1;
	}
	for (size_t i = 0; i < f->nfacts; i++) {
		const struct bvc_wire_fact *x = &f->facts[i];

		if (x->insn >= f->insn_cnt || (i && x->insn <= f->facts[i - 1].insn)) {
			bvc_set_err(err, errsz, "finished: fact %zu: insn %u out of order or past %u", i,
				x->insn, f->insn_cnt);
			return -1;
		}
		if (x->mem_base != -1 && x->mem_base != BVC_FACT_CTX &&
		    x->mem_base != BVC_FACT_STACK && x->mem_base != BVC_FACT_OTHER) {
			bvc_set_err(err, errsz, "finished: fact %zu: base %d", i, x->mem_base);
			return -1;
		}
		if (x->ctx_field < -1 || x->ctx_field > 4095 || x->ctx_off > 65535 ||
		    (x->ctx_size != 0 && x->ctx_size != 1 && x->ctx_size != 2 && x->ctx_size != 4 &&
		     x->ctx_size != 8)) {
			bvc_set_err(err, errsz, "finished: fact %zu: ctx field %d offset %u size %u", i,
				    x->ctx_field, x->ctx_off, x->ctx_size);
			return -1;
		}
		if (x->map_idx < -2 || x->map_idx > 65535) {
			bvc_set_err(err, errsz, "finished: fact %zu: map %d", i, x->map_idx);
			return -1;
		}
	}
	return 0;
}

/*
 * A text field of message @msg named @field: 1..@max bytes, every byte
 * printable ASCII from @lowest (0x21: a token without spaces; 0x20: a line
 * of text). The messages name the field, so a peer's log says which.
 */
static int check_text(const char *msg, const char *field, const char *s, size_t len, size_t max,
		      unsigned char lowest, char *err, size_t errsz)
{
	if (len == 0) {
		bvc_set_err(err, errsz, "%s: empty %s", msg, field);
		return -EBADMSG;
	}
	if (len > max) {
		bvc_set_err(err, errsz, "%s: %s of %zu bytes, limit %zu", msg, field, len, max);
		return -EBADMSG;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < lowest || c > 0x7e) {
			bvc_set_err(err, errsz, "%s: %s byte %zu is 0x%02x, not printable ASCII", msg,
				field, i, c);
			return -EBADMSG;
		}
	}
	return 0;
}

/* A build id is a token: printable ASCII, no space, 1..BVC_WIRE_BUILD_ID_MAX. */
static int check_build_id(const char *s, size_t len, char *err, size_t errsz)
{
	return check_text("hello", "build id", s, len, BVC_WIRE_BUILD_ID_MAX, 0x21, err, errsz);
}

/* A reject message is one line of kernel-style text: printable ASCII with
 * spaces, 1..BVC_WIRE_MESSAGE_MAX, so it can go to a terminal as is. */
static int check_message(const char *s, size_t len, char *err, size_t errsz)
{
	return check_text("reject", "message", s, len, BVC_WIRE_MESSAGE_MAX, 0x20, err, errsz);
}

/* A program name is a token like a build id: printable ASCII, no space,
 * 1..BVC_WIRE_PROG_NAME_MAX. */
static int check_prog_name(const char *s, size_t len, char *err, size_t errsz)
{
	return check_text("job", "program name", s, len, BVC_WIRE_PROG_NAME_MAX, 0x21, err, errsz);
}

/* Job and work ids start at 1: 0 means "none" and must never travel
 * (the engine numbers work items from 1). */
static int check_id(const char *what, const char *kind, uint64_t id, char *err, size_t errsz)
{
	if (id == 0) {
		bvc_set_err(err, errsz, "%s: %s id 0", what, kind);
		return -EBADMSG;
	}
	return 0;
}

static int check_job_id(const char *what, uint64_t id, char *err, size_t errsz)
{
	return check_id(what, "job", id, err, errsz);
}

static int check_work_id(const char *what, uint64_t id, char *err, size_t errsz)
{
	return check_id(what, "work", id, err, errsz);
}

/* A precision demand: at most 8 frames, r0-r9, "all" only with frames. */
static int check_demand(const struct bvc_precision_demand *d, char *err, size_t errsz)
{
	if (d->nframes > BVC_VIEW_MAX_FRAMES || d->all > 1 || (d->all && !d->nframes)) {
		bvc_set_err(err, errsz, "done: demand of %u frames (all=%u)", d->nframes, d->all);
		return -EBADMSG;
	}
	for (uint32_t f = 0; f < d->nframes; f++) {
		if (d->regs[f] > 0x3ff) {
			bvc_set_err(err, errsz, "done: demand register mask %#x", d->regs[f]);
			return -EBADMSG;
		}
	}
	return 0;
}

/* Everything of a Job but the name (checked on its own for its length). */
static int check_job(uint64_t job_id, uint32_t start_entry, const void *object, size_t object_len,
		     char *err, size_t errsz)
{
	int ret = check_job_id("job", job_id, err, errsz);

	if (ret)
		return ret;
	if (start_entry > 1) {
		bvc_set_err(err, errsz, "job: start_entry %" PRIu32 ", expected 0 or 1", start_entry);
		return -EBADMSG;
	}
	if (object_len == 0 || !object) {
		bvc_set_err(err, errsz, "job: no object");
		return -EBADMSG;
	}
	if (object_len > BVC_WIRE_OBJECT_MAX) {
		bvc_set_err(err, errsz, "job: object of %zu bytes, limit %u", object_len,
			BVC_WIRE_OBJECT_MAX);
		return -EMSGSIZE;
	}
	return 0;
}

/* A Reject is a refusal of a known kind: never an acceptance, never "no
 * verdict" (an absent field), never a kind we do not know. */
static int check_reject_kind(uint32_t kind, char *err, size_t errsz)
{
	if (kind != BVC_REJECT && kind != BVC_UNSUPPORTED && kind != BVC_INTERNAL) {
		bvc_set_err(err, errsz, "reject: kind %" PRIu32 " is not a refusal", kind);
		return -EBADMSG;
	}
	return 0;
}

static int check_version(const char *what, uint32_t v, char *err, size_t errsz)
{
	if (v != BVC_WIRE_PROTOCOL_VERSION) {
		bvc_set_err(err, errsz, "%s: protocol version %" PRIu32 ", expected %d", what, v,
			BVC_WIRE_PROTOCOL_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* --- encode --------------------------------------------------------------- */

/* Length of a NUL-terminated string held in a char[cap], or cap if the
 * array has no NUL (which the caller treats as too long). */
static size_t bounded_len(const char *s, size_t cap)
{
	const char *nul = memchr(s, 0, cap);

	return nul ? (size_t)(nul - s) : cap;
}

/* --- work items: shape and zeros ----------------------------------------- */

/* Registers per frame: R0..R10, the size of bvc_frame_view.regs. */
#define VIEW_REGS 11
_Static_assert(sizeof(((struct bvc_frame_view *)0)->regs) == VIEW_REGS * sizeof(struct bvc_reg_view),
	       "a frame view holds R0..R10");

/* Bytes of a trail of @bits decisions, without overflow at UINT32_MAX. */
static size_t trail_bytes(uint32_t bits)
{
	return bits / 8 + (bits % 8 != 0);
}

/* The shape rules of a work item the sender can break (decoding enforces
 * the same ones in the walk): frames, references, slots, flags, trail. */
static int check_work_view(const struct bvc_work_view *v, char *err, size_t errsz)
{
	if (v->nframes == 0 || v->nframes > BVC_VIEW_MAX_FRAMES) {
		bvc_set_err(err, errsz, "work: %" PRIu32 " frames, expected 1..%d", v->nframes,
			BVC_VIEW_MAX_FRAMES);
		return -EBADMSG;
	}
	if (v->nrefs > BVC_VIEW_MAX_REFS) {
		bvc_set_err(err, errsz, "work: %" PRIu32 " references, limit %d", v->nrefs,
			BVC_VIEW_MAX_REFS);
		return -EBADMSG;
	}
	if (v->trail_len && !v->trail) {
		bvc_set_err(err, errsz, "work: trail of %" PRIu32 " decisions without data", v->trail_len);
		return -EBADMSG;
	}
	for (uint32_t f = 0; f < v->nframes; f++) {
		const struct bvc_frame_view *fv = &v->frames[f];

		if (fv->nslots > BVC_VIEW_MAX_SLOTS || (fv->nslots && !fv->slots)) {
			bvc_set_err(err, errsz, "work: frame %" PRIu32 ": %" PRIu32 " slots, limit %d", f,
				fv->nslots, BVC_VIEW_MAX_SLOTS);
			return -EBADMSG;
		}
		for (uint32_t r = 0; r < VIEW_REGS + fv->nslots; r++) {
			const struct bvc_reg_view *rv =
				r < VIEW_REGS ? &fv->regs[r] : &fv->slots[r - VIEW_REGS].spilled;

			if (rv->maybe_null > 1 || rv->precise > 1) {
				bvc_set_err(err, errsz, "work: frame %" PRIu32 ": a flag that is not 0 or 1", f);
				return -EBADMSG;
			}
		}
	}
	return 0;
}

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
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

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

/* Field numbers below are those of proto/bpfvc.proto, last to first. */

static void rw_scalar(struct rw *w, unsigned field, const struct bvc_scalar *s)
{
	const uint8_t *end = w->p;

	rw_uint(w, 10, s->u32_max);
	rw_uint(w, 9, s->u32_min);
	rw_uint(w, 8, zigzag32(s->s32_max));
	rw_uint(w, 7, zigzag32(s->s32_min));
	rw_uint(w, 6, s->umax);
	rw_uint(w, 5, s->umin);
	rw_uint(w, 4, zigzag64(s->smax));
	rw_uint(w, 3, zigzag64(s->smin));
	rw_uint(w, 2, s->var_off.mask);
	rw_uint(w, 1, s->var_off.value);
	rw_close(w, end, field);
}

static void rw_reg(struct rw *w, unsigned field, const struct bvc_reg_view *r)
{
	const uint8_t *end = w->p;

	rw_uint(w, 11, zigzag32(r->range));
	rw_uint(w, 10, r->mem_size);
	rw_uint(w, 9, r->map_idx);
	rw_uint(w, 8, r->ref_obj_id);
	rw_uint(w, 7, r->id);
	/* An absent Scalar reads as zeros: zeros need not travel. */
	if (!scalar_is_zero(&r->var))
		rw_scalar(w, 6, &r->var);
	rw_uint(w, 5, zigzag32(r->off));
	rw_uint(w, 4, r->frameno);
	rw_uint(w, 3, r->precise);
	rw_uint(w, 2, r->maybe_null);
	rw_uint(w, 1, r->type);
	rw_close(w, end, field);
}

static void rw_frame(struct rw *w, unsigned field, const struct bvc_frame_view *fv)
{
	const uint8_t *end = w->p;

	rw_uint(w, 6, fv->stack_depth);
	rw_uint(w, 5, fv->frameno);
	rw_uint(w, 4, fv->subprog);
	rw_uint(w, 3, zigzag32(fv->callsite));
	for (uint32_t i = fv->nslots; i-- > 0;) {
		const struct bvc_slot_view *sv = &fv->slots[i];
		const uint8_t *slot_end = w->p;

		/* Likewise a slot without a spilled register. */
		if (!reg_is_zero(&sv->spilled))
			rw_reg(w, 2, &sv->spilled);
		rw_bytes(w, 1, sv->stype, sizeof(sv->stype));
		rw_close(w, slot_end, 2);
	}
	for (int r = VIEW_REGS; r-- > 0;)
		rw_reg(w, 1, &fv->regs[r]);
	rw_close(w, end, field);
}

/* The whole envelope of a Work message, checked by the caller. */
/* A WorkItem as envelope field @field: a Work or a Checkpoint. */
static int encode_work(const struct bvc_wire_work *wk, unsigned field, void **buf, size_t *len,
		       char *err, size_t errsz)
{
	const struct bvc_work_view *v = &wk->view;
	size_t trail = trail_bytes(v->trail_len), bound = ITEM_WIRE_MAX, n;
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

	rw_uint(&w, 8, v->trail_len);
	rw_bytes(&w, 7, v->trail, trail);
	if (v->nrefs) {
		mark = w.p;
		for (uint32_t i = v->nrefs; i-- > 0;)
			rw_varint(&w, v->refs[i]);
		rw_close(&w, mark, 6);
	}
	for (uint32_t f = v->nframes; f-- > 0;)
		rw_frame(&w, 5, &v->frames[f]);
	rw_uint(&w, 4, v->prev_insn);
	rw_uint(&w, 3, v->insn);
	rw_uint(&w, 2, wk->work_id);
	rw_uint(&w, 1, wk->job_id);
	rw_close(&w, end, field);
	rw_uint(&w, 1, BVC_WIRE_PROTOCOL_VERSION);
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

/* A Finished's facts as protobuf-c's parallel arrays, for packing. */
struct fact_arrays {
	uint32_t *insn, *ctx_off, *ctx_size;
	int32_t *mem_base, *ctx_field, *map_idx;
};

static void fact_arrays_free(struct fact_arrays *a)
{
	free(a->insn);
	free(a->ctx_off);
	free(a->ctx_size);
	free(a->mem_base);
	free(a->ctx_field);
	free(a->map_idx);
}

static int encode_facts(Bpfvc__Wire__Finished *pb, const struct bvc_wire_finished *f,
			struct fact_arrays *a)
{
	size_t n = f->nfacts ? f->nfacts : 1;

	pb->insn_cnt = f->insn_cnt;
	if (f->insn_cnt) {
		pb->seen.data = f->seen;
		pb->seen.len = (f->insn_cnt + 7) / 8;
	}
	if (!f->nfacts)
		return 0;
	a->insn = malloc(n * sizeof(uint32_t));
	a->ctx_off = malloc(n * sizeof(uint32_t));
	a->ctx_size = malloc(n * sizeof(uint32_t));
	a->mem_base = malloc(n * sizeof(int32_t));
	a->ctx_field = malloc(n * sizeof(int32_t));
	a->map_idx = malloc(n * sizeof(int32_t));
	if (!a->insn || !a->ctx_off || !a->ctx_size || !a->mem_base || !a->ctx_field ||
	    !a->map_idx) {
		fact_arrays_free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < f->nfacts; i++) {
		a->insn[i] = f->facts[i].insn;
		a->mem_base[i] = f->facts[i].mem_base;
		a->ctx_field[i] = f->facts[i].ctx_field;
		a->ctx_off[i] = f->facts[i].ctx_off;
		a->ctx_size[i] = f->facts[i].ctx_size;
		a->map_idx[i] = f->facts[i].map_idx;
	}
	pb->n_fact_insn = pb->n_fact_mem_base = pb->n_fact_ctx_field = f->nfacts;
	pb->n_fact_ctx_off = pb->n_fact_ctx_size = pb->n_fact_map_idx = f->nfacts;
	pb->fact_insn = a->insn;
	pb->fact_mem_base = a->mem_base;
	pb->fact_ctx_field = a->ctx_field;
	pb->fact_ctx_off = a->ctx_off;
	pb->fact_ctx_size = a->ctx_size;
	pb->fact_map_idx = a->map_idx;
	return 0;
}

/* The facts of a decoded Finished, into @f (which then owns them). */
static int decode_facts(const Bpfvc__Wire__Finished *pb, struct bvc_wire_finished *f, char *err,
			size_t errsz)
{
	size_t n = pb->n_fact_insn;

	if (pb->n_fact_mem_base != n || pb->n_fact_ctx_field != n || pb->n_fact_ctx_off != n ||
	    pb->n_fact_ctx_size != n || pb->n_fact_map_idx != n) {
		bvc_set_err(err, errsz, "finished: fact fields of different lengths");
		return -EBADMSG;
	}
	if (pb->seen.len != (pb->insn_cnt ? (pb->insn_cnt + 7u) / 8 : 0)) {
		bvc_set_err(err, errsz, "finished: %zu bytes of reached set for %u instructions",
			pb->seen.len, pb->insn_cnt);
		return -EBADMSG;
	}
	f->insn_cnt = pb->insn_cnt;
	if (pb->seen.len) {
		f->seen = malloc(pb->seen.len);
		if (!f->seen)
			goto nomem;
		memcpy(f->seen, pb->seen.data, pb->seen.len);
	}
	if (n) {
		f->facts = calloc(n, sizeof(*f->facts));
		if (!f->facts)
			goto nomem;
	}
	f->nfacts = n;
	for (size_t i = 0; i < n; i++)
		f->facts[i] = (struct bvc_wire_fact){ .insn = pb->fact_insn[i],
						      .mem_base = pb->fact_mem_base[i],
						      .ctx_field = pb->fact_ctx_field[i],
						      .ctx_off = pb->fact_ctx_off[i],
						      .ctx_size = pb->fact_ctx_size[i],
						      .map_idx = pb->fact_map_idx[i] };
	return check_facts(f, err, errsz) ? -EBADMSG : 0;
nomem:
	bvc_set_err(err, errsz, "finished: out of memory for %zu facts", n);
	return -ENOMEM;
}

int bvc_wire_encode(const struct bvc_wire_msg *msg, void **buf, size_t *len,
		    char *err, size_t errsz)
{
	Bpfvc__Wire__Envelope env = BPFVC__WIRE__ENVELOPE__INIT;
	Bpfvc__Wire__Hello hello = BPFVC__WIRE__HELLO__INIT;
	Bpfvc__Wire__Heartbeat hb = BPFVC__WIRE__HEARTBEAT__INIT;
	Bpfvc__Wire__Cancel cancel = BPFVC__WIRE__CANCEL__INIT;
	Bpfvc__Wire__Reject reject = BPFVC__WIRE__REJECT__INIT;
	Bpfvc__Wire__Job job = BPFVC__WIRE__JOB__INIT;
	Bpfvc__Wire__Donate donate = BPFVC__WIRE__DONATE__INIT;
	Bpfvc__Wire__Done done = BPFVC__WIRE__DONE__INIT;
	Bpfvc__Wire__Finished finished = BPFVC__WIRE__FINISHED__INIT;
	uint32_t demand_regs[BVC_VIEW_MAX_FRAMES];
	uint64_t demand_slots[BVC_VIEW_MAX_FRAMES];
	uint32_t stack_depths[BVC_WIRE_MAX_FUNCS];
	struct fact_arrays facts = { 0 };
	size_t n, l;
	void *out;
	int ret;

	*buf = NULL;
	*len = 0;
	env.protocol_version = BVC_WIRE_PROTOCOL_VERSION;

	/* Same rules as decoding, reported as the caller's mistake (-EINVAL):
	 * sending what the peer refuses would only move the error elsewhere. */
	switch (msg->kind) {
	case BVC_WIRE_HELLO:
		l = bounded_len(msg->u.hello.build_id, sizeof(msg->u.hello.build_id));
		ret = check_version("hello", msg->u.hello.protocol_version, err, errsz);
		if (!ret)
			ret = check_build_id(msg->u.hello.build_id, l, err, errsz);
		if (ret)
			return -EINVAL;
		hello.protocol_version = msg->u.hello.protocol_version;
		hello.build_id = (char *)msg->u.hello.build_id;
		hello.cores = msg->u.hello.cores;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_HELLO;
		env.hello = &hello;
		break;
	case BVC_WIRE_HEARTBEAT:
		hb.processed_insns = msg->u.heartbeat.processed_insns;
		hb.job_id = msg->u.heartbeat.job_id;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_HEARTBEAT;
		env.heartbeat = &hb;
		break;
	case BVC_WIRE_CANCEL:
		if (check_job_id("cancel", msg->u.cancel.job_id, err, errsz))
			return -EINVAL;
		cancel.job_id = msg->u.cancel.job_id;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_CANCEL;
		env.cancel = &cancel;
		break;
	case BVC_WIRE_REJECT:
		l = bounded_len(msg->u.reject.message, sizeof(msg->u.reject.message));
		if (check_job_id("reject", msg->u.reject.job_id, err, errsz) ||
		    check_message(msg->u.reject.message, l, err, errsz))
			return -EINVAL;
		if (msg->u.reject.trail_len > BVC_WIRE_MAX_TRAIL ||
		    (msg->u.reject.trail_len && !msg->u.reject.trail)) {
			bvc_set_err(err, errsz, "reject: trail of %u decisions", msg->u.reject.trail_len);
			return -EINVAL;
		}
		if (check_reject_kind((uint32_t)msg->u.reject.kind, err, errsz))
			return -EINVAL;
		reject.kind = (uint32_t)msg->u.reject.kind;
		reject.job_id = msg->u.reject.job_id;
		reject.insn = msg->u.reject.insn;
		reject.message = (char *)msg->u.reject.message;
		reject.trail_len = msg->u.reject.trail_len;
		reject.trail.data = msg->u.reject.trail;
		reject.trail.len = (msg->u.reject.trail_len + 7u) / 8;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_REJECT;
		env.reject = &reject;
		break;
	case BVC_WIRE_JOB:
		l = bounded_len(msg->u.job.prog_name, sizeof(msg->u.job.prog_name));
		ret = check_job(msg->u.job.job_id, msg->u.job.start_entry, msg->u.job.object,
				msg->u.job.object_len, err, errsz);
		if (!ret)
			ret = check_prog_name(msg->u.job.prog_name, l, err, errsz);
		if (ret)
			return ret == -EMSGSIZE ? ret : -EINVAL;
		job.job_id = msg->u.job.job_id;
		job.prog_name = (char *)msg->u.job.prog_name;
		job.insn_limit = msg->u.job.insn_limit;
		job.prog_flags = msg->u.job.prog_flags;
		job.start_entry = msg->u.job.start_entry;
		job.object.len = msg->u.job.object_len;
		job.object.data = msg->u.job.object;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_JOB;
		env.job = &job;
		break;
	case BVC_WIRE_WORK:
	case BVC_WIRE_CHECKPOINT:
		if (check_job_id("work", msg->u.work.job_id, err, errsz) ||
		    check_work_id("work", msg->u.work.work_id, err, errsz) ||
		    check_work_view(&msg->u.work.view, err, errsz))
			return -EINVAL;
		return encode_work(&msg->u.work, msg->kind, buf, len, err, errsz);
	case BVC_WIRE_DONATE:
		if (check_job_id("donate", msg->u.donate.job_id, err, errsz))
			return -EINVAL;
		donate.job_id = msg->u.donate.job_id;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_DONATE;
		env.donate = &donate;
		break;
	case BVC_WIRE_DONE:
		if (check_job_id("done", msg->u.done.job_id, err, errsz) ||
		    check_work_id("done", msg->u.done.work_id, err, errsz))
			return -EINVAL;
		if (check_demand(&msg->u.done.demand, err, errsz))
			return -EINVAL;
		done.job_id = msg->u.done.job_id;
		done.work_id = msg->u.done.work_id;
		done.demand_frames = msg->u.done.demand.nframes;
		done.demand_all = msg->u.done.demand.all != 0;
		for (uint32_t f = 0; f < msg->u.done.demand.nframes; f++) {
			demand_regs[f] = msg->u.done.demand.regs[f];
			demand_slots[f] = msg->u.done.demand.slots[f];
		}
		done.n_demand_regs = msg->u.done.demand.nframes;
		done.demand_regs = demand_regs;
		done.n_demand_slots = msg->u.done.demand.nframes;
		done.demand_slots = demand_slots;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_DONE;
		env.done = &done;
		break;
	case BVC_WIRE_FINISHED:
		if (check_job_id("finished", msg->u.finished.job_id, err, errsz))
			return -EINVAL;
		finished.job_id = msg->u.finished.job_id;
		finished.processed_insns = msg->u.finished.processed_insns;
		finished.total_states = msg->u.finished.total_states;
		finished.peak_states = msg->u.finished.peak_states;
		finished.remote_prune_hits = msg->u.finished.remote_prune_hits;
		if (msg->u.finished.nfuncs > BVC_WIRE_MAX_FUNCS) {
			bvc_set_err(err, errsz, "finished: %u functions", msg->u.finished.nfuncs);
			return -EINVAL;
		}
		for (uint32_t f = 0; f < msg->u.finished.nfuncs; f++) {
			if (msg->u.finished.stack_depths[f] > 512) {
				bvc_set_err(err, errsz, "finished: stack depth %u", msg->u.finished.stack_depths[f]);
				return -EINVAL;
			}
		}
		memcpy(stack_depths, msg->u.finished.stack_depths,
		       msg->u.finished.nfuncs * sizeof(*stack_depths));
		finished.n_stack_depths = msg->u.finished.nfuncs;
		finished.stack_depths = stack_depths;
		if (check_facts(&msg->u.finished, err, errsz))
			return -EINVAL;
		ret = encode_facts(&finished, &msg->u.finished, &facts);
		if (ret) {
			bvc_set_err(err, errsz, "finished: out of memory");
			return ret;
		}
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_FINISHED;
		env.finished = &finished;
		break;
	default:
		bvc_set_err(err, errsz, "cannot encode message kind %d", (int)msg->kind);
		return -EINVAL;
	}

	n = bpfvc__wire__envelope__get_packed_size(&env);
	if (n > BVC_WIRE_FRAME_MAX) {
		/* A Job is bounded by BVC_WIRE_OBJECT_MAX, a Finished's facts
		 * by the program; the rest by far less. */
		bvc_set_err(err, errsz, "%s: encodes to %zu bytes, limit %u",
			bvc_wire_kind_name(msg->kind), n, BVC_WIRE_FRAME_MAX);
		fact_arrays_free(&facts);
		return -EMSGSIZE;
	}
	out = malloc(n ? n : 1);
	if (!out) {
		bvc_set_err(err, errsz, "out of memory encoding %s", bvc_wire_kind_name(msg->kind));
		fact_arrays_free(&facts);
		return -ENOMEM;
	}
	*len = bpfvc__wire__envelope__pack(&env, out);
	*buf = out;
	fact_arrays_free(&facts);
	return 0;
}

/* --- decode: the wire walk ------------------------------------------------ */

struct walk {
	char *err;
	size_t errsz;
	int have_version;    /* Envelope.protocol_version was read */
	uint32_t version;    /* its value */
	/* A work item is decoded during the walk, straight into msg: */
	struct bvc_wire_msg *msg;
	const uint8_t *trail; /* its trail bytes, copied once they are checked */
	size_t trail_len;
};

/* Reads a base-128 varint at *pos. Refuses truncation, more than 64 bits and
 * overlong forms (a last byte of 0 after the first): protobuf-c never writes
 * them, so they only come from a corrupted or hostile peer. */
static int read_varint_long(const uint8_t *p, size_t len, size_t *pos, uint64_t *v,
			    const char **why)
{
	uint64_t r = 0;
	unsigned shift = 0;
	size_t i = *pos;

	for (;;) {
		uint8_t b;

		if (i >= len) {
			*why = "truncated varint";
			return -1;
		}
		b = p[i++];
		if (shift == 63 && b > 1) {
			*why = "varint wider than 64 bits";
			return -1;
		}
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift > 0) {
				*why = "overlong varint";
				return -1;
			}
			break;
		}
		shift += 7;
		if (shift > 63) {
			*why = "varint wider than 64 bits";
			return -1;
		}
	}
	*pos = i;
	*v = r;
	return 0;
}

/* Most keys and many values are one byte: that case inline. */
static inline int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v,
			      const char **why)
{
	if (*pos < len && p[*pos] < 0x80) {
		*v = p[(*pos)++];
		return 0;
	}
	return read_varint_long(p, len, pos, v, why);
}

static int wire_type_of(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_ENUM:
		return WT_VARINT;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return WT_I32;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return WT_I64;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return WT_LEN;
	}
	return -1;
}

/* protobuf-c truncates a too-wide varint to the field's width without a
 * word; a value that does not fit is corruption, not a number. */
static int varint_fits(const ProtobufCFieldDescriptor *f, uint64_t v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SINT32:
		return v <= UINT32_MAX;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		/* Negative int32 travels sign-extended to 64 bits. */
		return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
	case PROTOBUF_C_TYPE_BOOL:
		return v <= 1;
	default:
		return 1;
	}
}

/*
 * Limits the schema cannot say, enforced while walking, so nothing is
 * allocated for more than a valid message holds. @min and @max bound the
 * occurrences of a repeated message (counted before it is walked), the
 * elements of a packed field, the bytes of a bytes field, or the value of
 * a varint (@min unused: an absent varint is 0). Minimums are checked at
 * the end of the message, so an absent field counts as 0.
 */
struct field_rule {
	const ProtobufCMessageDescriptor *d;
	unsigned fnum;
	uint64_t min, max;
	int over; /* errno above @max */
};

static const struct field_rule field_rules[] = {
	{ &bpfvc__wire__job__descriptor, 6, 1, BVC_WIRE_OBJECT_MAX, -EMSGSIZE },
	{ &bpfvc__wire__work_item__descriptor, 5, 1, BVC_VIEW_MAX_FRAMES, -EBADMSG },
	{ &bpfvc__wire__work_item__descriptor, 6, 0, BVC_VIEW_MAX_REFS, -EBADMSG },
	{ &bpfvc__wire__frame__descriptor, 1, VIEW_REGS, VIEW_REGS, -EBADMSG },
	{ &bpfvc__wire__frame__descriptor, 2, 0, BVC_VIEW_MAX_SLOTS, -EBADMSG },
	{ &bpfvc__wire__slot__descriptor, 1, 8, 8, -EBADMSG },
	{ &bpfvc__wire__register__descriptor, 4, 0, UINT8_MAX, -EBADMSG },
	{ &bpfvc__wire__reject__descriptor, 4, 0, BVC_WIRE_MAX_TRAIL, -EBADMSG },
	{ &bpfvc__wire__reject__descriptor, 5, 0, BVC_WIRE_MAX_TRAIL / 8, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 7, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 8, 0, BVC_WIRE_MAX_INSNS / 8, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 9, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 10, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 11, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 12, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 13, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, 14, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
};

#define WALK_MAX_RULES 8  /* rules of one message; the table stays below */
#define WALK_MAX_ONEOFS 4 /* oneofs of one message; the schema has one */

/* What a limit counts, for the error message. */
static const char *rule_unit(const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return f->type == PROTOBUF_C_TYPE_MESSAGE ? "occurrences" : "elements";
	return "bytes";
}

/* @got of field @f against @r's maximum. */
static int check_rule_max(struct walk *w, const ProtobufCMessageDescriptor *d,
			  const ProtobufCFieldDescriptor *f, const struct field_rule *r, uint64_t got,
			  size_t at)
{
	if (got <= r->max)
		return 0;
	if (f->label != PROTOBUF_C_LABEL_REPEATED && f->type != PROTOBUF_C_TYPE_BYTES)
		bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: value %" PRIu64 ", expected 0..%" PRIu64,
			d->short_name, f->name, at, got, r->max);
	else if (r->min == r->max)
		bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: %" PRIu64 " %s, expected %" PRIu64,
			d->short_name, f->name, at, got, rule_unit(f), r->max);
	else
		bvc_set_err(w->err, w->errsz,
			"%s.%s: byte %zu: %" PRIu64 " %s, expected %" PRIu64 "..%" PRIu64,
			d->short_name, f->name, at, got, rule_unit(f), r->min, r->max);
	return r->over;
}

/* The elements of a packed repeated varint field, [pos, end): each one
 * well-formed and fitting the field. Returns their number or -1. */
static int64_t walk_packed(struct walk *w, const ProtobufCMessageDescriptor *d,
			   const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t pos,
			   size_t end, size_t base)
{
	int64_t n = 0;

	if (wire_type_of(f) != WT_VARINT) {
		/* Cannot happen: the schema packs only varints. */
		bvc_set_err(w->err, w->errsz, "%s.%s: packed fixed-width field", d->short_name, f->name);
		return -1;
	}
	while (pos < end) {
		size_t start = pos;
		const char *why;
		uint64_t v;

		if (read_varint(p, end, &pos, &v, &why)) {
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: %s in a packed element",
				d->short_name, f->name, base + start, why);
			return -1;
		}
		if (!varint_fits(f, v)) {
			bvc_set_err(w->err, w->errsz,
				"%s.%s: byte %zu: value %" PRIu64 " does not fit the field",
				d->short_name, f->name, base + start, v);
			return -1;
		}
		n++;
	}
	return n;
}

/*
 * The fields of one message, one at a time, each checked against the
 * descriptor and the rules above: the walk and the work-item decoder both
 * read through this, so what one accepts the other does. Sub-messages are
 * handed out unread, for the caller to walk or decode.
 */
struct msg_iter {
	struct walk *w;
	const ProtobufCMessageDescriptor *d;
	const uint8_t *p;   /* the message's bytes */
	size_t len;         /* their number */
	size_t base;        /* offset of p[0] in the frame, for messages */
	size_t pos;         /* next byte to read */
	uint64_t seen;      /* fields read that may come once, by index */
	const ProtobufCFieldDescriptor *oneofs[WALK_MAX_ONEOFS]; /* members read */
	unsigned noneofs;
	const struct field_rule *rules[WALK_MAX_RULES]; /* of this message */
	uint64_t got[WALK_MAX_RULES]; /* what each rule counts, so far */
	unsigned nrules;
};

/* One field as read. */
struct field {
	const ProtobufCFieldDescriptor *f;
	size_t at;           /* frame offset of its key */
	uint64_t v;          /* a varint's value; a length-delimited field's length */
	const uint8_t *data; /* a length-delimited field's bytes */
	size_t data_base;    /* their frame offset */
};

static int iter_init(struct msg_iter *it, struct walk *w, const ProtobufCMessageDescriptor *d,
		     const uint8_t *p, size_t len, size_t base, int depth)
{
	it->w = w;
	it->d = d;
	it->p = p;
	it->len = len;
	it->base = base;
	it->pos = 0;
	it->seen = 0;
	it->noneofs = 0;
	it->nrules = 0;
	if (depth > WALK_MAX_DEPTH || d->n_fields > WALK_MAX_FIELDS) {
		/* Cannot happen with our schema: defensive. */
		bvc_set_err(w->err, w->errsz, "%s: message nested too deep", d->short_name);
		return -EBADMSG;
	}
	for (size_t i = 0; i < sizeof(field_rules) / sizeof(field_rules[0]); i++) {
		if (field_rules[i].d != d)
			continue;
		if (it->nrules == WALK_MAX_RULES) {
			/* Cannot happen: the table is ours. */
			bvc_set_err(w->err, w->errsz, "%s: too many rules", d->short_name);
			return -EBADMSG;
		}
		it->got[it->nrules] = 0;
		it->rules[it->nrules++] = &field_rules[i];
	}
	return 0;
}

/* The end of a message: every minimum met. */
static int iter_end(struct msg_iter *it)
{
	struct walk *w = it->w;

	for (unsigned i = 0; i < it->nrules; i++) {
		const struct field_rule *r = it->rules[i];
		const ProtobufCFieldDescriptor *f;

		if (it->got[i] >= r->min)
			continue;
		f = protobuf_c_message_descriptor_get_field(it->d, r->fnum);
		if (!f)
			continue; /* cannot happen: the table names our fields */
		if (r->min == r->max)
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: %" PRIu64 " %s, expected %" PRIu64,
				it->d->short_name, f->name, it->base + it->len, it->got[i],
				rule_unit(f), r->min);
		else
			bvc_set_err(w->err, w->errsz,
				"%s.%s: byte %zu: %" PRIu64 " %s, expected at least %" PRIu64,
				it->d->short_name, f->name, it->base + it->len, it->got[i],
				rule_unit(f), r->min);
		return -EBADMSG;
	}
	return 0;
}

/* The next field into @fl: 1, 0 at the end of the message, or an errno. */
static int iter_next(struct msg_iter *it, struct field *fl)
{
	const ProtobufCMessageDescriptor *d = it->d;
	const ProtobufCFieldDescriptor *f;
	const struct field_rule *rule = NULL;
	struct walk *w = it->w;
	const uint8_t *p = it->p;
	size_t start = it->pos, pos = it->pos, len = it->len, base = it->base, idx;
	uint64_t *count = NULL;
	const char *why;
	uint64_t tag, v;
	unsigned fnum, wt;
	int packed, ret;

	if (pos >= len)
		return iter_end(it);
	if (read_varint(p, len, &pos, &tag, &why)) {
		bvc_set_err(w->err, w->errsz, "%s: byte %zu: %s in a field tag",
			d->short_name, base + start, why);
		return -EBADMSG;
	}
	wt = (unsigned)(tag & 7);
	if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
		bvc_set_err(w->err, w->errsz, "%s: byte %zu: field number %" PRIu64 " is invalid",
			d->short_name, base + start, tag >> 3);
		return -EBADMSG;
	}
	fnum = (unsigned)(tag >> 3);
	/* Our messages number their fields 1..n in order: index directly. */
	if (fnum <= d->n_fields && d->fields[fnum - 1].id == fnum)
		f = &d->fields[fnum - 1];
	else
		f = protobuf_c_message_descriptor_get_field(d, fnum);
	if (!f) {
		bvc_set_err(w->err, w->errsz, "%s: byte %zu: unknown field %u (wire type %u)",
			d->short_name, base + start, fnum, wt);
		return -EPROTO;
	}
	/* A packed field we always send packed, in one piece. */
	packed = f->label == PROTOBUF_C_LABEL_REPEATED && (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED);
	if ((int)wt != (packed ? WT_LEN : wire_type_of(f))) {
		bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: wire type %u, expected %d",
			d->short_name, f->name, base + start, wt, packed ? WT_LEN : wire_type_of(f));
		return -EBADMSG;
	}
	for (unsigned i = 0; i < it->nrules; i++) {
		if (it->rules[i]->fnum == fnum) {
			rule = it->rules[i];
			count = &it->got[i];
		}
	}

	/* Repeated messages may appear many times; everything else once. */
	idx = (size_t)(f - d->fields);
	if (f->label != PROTOBUF_C_LABEL_REPEATED || packed) {
		if (it->seen & (1ull << idx)) {
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: field given twice",
				d->short_name, f->name, base + start);
			return -EBADMSG;
		}
		it->seen |= 1ull << idx;
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		/* Members of one oneof share their quantifier (case) slot. */
		for (unsigned i = 0; i < it->noneofs; i++) {
			const ProtobufCFieldDescriptor *o = it->oneofs[i];

			if (o->quantifier_offset == f->quantifier_offset) {
				bvc_set_err(w->err, w->errsz, "%s: byte %zu: both %s and %s in one oneof",
					d->short_name, base + start, o->name, f->name);
				return -EBADMSG;
			}
		}
		if (it->noneofs == WALK_MAX_ONEOFS) {
			/* Cannot happen with our schema: defensive. */
			bvc_set_err(w->err, w->errsz, "%s: too many oneofs", d->short_name);
			return -EBADMSG;
		}
		it->oneofs[it->noneofs++] = f;
	}

	fl->f = f;
	fl->at = base + start;
	fl->data = NULL;
	fl->data_base = 0;
	switch (wt) {
	case WT_VARINT:
		if (read_varint(p, len, &pos, &v, &why)) {
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: %s", d->short_name, f->name,
				base + start, why);
			return -EBADMSG;
		}
		if (!varint_fits(f, v)) {
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: value %" PRIu64 " does not fit the field",
				d->short_name, f->name, base + start, v);
			return -EBADMSG;
		}
		if (rule && (ret = check_rule_max(w, d, f, rule, v, base + start)))
			return ret;
		fl->v = v;
		break;
	case WT_I64:
	case WT_I32:
		if (len - pos < (wt == WT_I64 ? 8u : 4u)) {
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: truncated fixed-width value",
				d->short_name, f->name, base + start);
			return -EBADMSG;
		}
		fl->v = 0;
		fl->data = p + pos;
		pos += wt == WT_I64 ? 8 : 4;
		break;
	case WT_LEN:
		if (read_varint(p, len, &pos, &v, &why)) {
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: %s in a length", d->short_name,
				f->name, base + start, why);
			return -EBADMSG;
		}
		if (v > len - pos) {
			bvc_set_err(w->err, w->errsz,
				"%s.%s: byte %zu: length %" PRIu64 " runs past the end (%zu bytes left)",
				d->short_name, f->name, base + start, v, len - pos);
			return -EBADMSG;
		}
		fl->v = v;
		fl->data = p + pos;
		fl->data_base = base + pos;
		if (packed) {
			int64_t n = walk_packed(w, d, f, p, pos, pos + (size_t)v, base);

			if (n < 0)
				return -EBADMSG;
			if (rule) {
				*count = (uint64_t)n;
				ret = check_rule_max(w, d, f, rule, *count, base + start);
				if (ret)
					return ret;
			}
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			/* Counted before anyone reads it: a 10000th register is
			 * refused unread. */
			if (rule) {
				++*count;
				ret = check_rule_max(w, d, f, rule, *count, base + start);
				if (ret)
					return ret;
			}
		} else if (f->type == PROTOBUF_C_TYPE_BYTES && rule) {
			*count = v;
			ret = check_rule_max(w, d, f, rule, v, base + start);
			if (ret)
				return ret;
		} else if (f->type == PROTOBUF_C_TYPE_STRING && memchr(p + pos, 0, (size_t)v)) {
			/* protobuf-c hands strings over NUL-terminated: what
			 * follows a NUL would vanish unchecked. */
			bvc_set_err(w->err, w->errsz, "%s.%s: byte %zu: NUL inside a string",
				d->short_name, f->name, base + start);
			return -EBADMSG;
		}
		pos += (size_t)v;
		break;
	}
	it->pos = pos;
	return 1;
}

/* --- decode: work items, read during the walk -------------------------------- */

/*
 * Like the writer above, a work item skips protobuf-c: it is read through
 * the same field iterator as every other message (so it is checked by
 * exactly the same rules) and stored straight into the plain view. Field
 * numbers in the switches are those of proto/bpfvc.proto; the iterator
 * only yields fields of the schema.
 */

static int decode_scalar(struct walk *w, const struct field *in, int depth, struct bvc_scalar *s)
{
	struct msg_iter it;
	struct field fl;
	int ret = iter_init(&it, w, &bpfvc__wire__scalar__descriptor, in->data, in->v,
			    in->data_base, depth);

	while (!ret && (ret = iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case 1: s->var_off.value = fl.v; break;
		case 2: s->var_off.mask = fl.v; break;
		case 3: s->smin = unzigzag64(fl.v); break;
		case 4: s->smax = unzigzag64(fl.v); break;
		case 5: s->umin = fl.v; break;
		case 6: s->umax = fl.v; break;
		case 7: s->s32_min = unzigzag32(fl.v); break;
		case 8: s->s32_max = unzigzag32(fl.v); break;
		case 9: s->u32_min = (uint32_t)fl.v; break;
		case 10: s->u32_max = (uint32_t)fl.v; break;
		}
	}
	return ret;
}

static int decode_reg(struct walk *w, const struct field *in, int depth, struct bvc_reg_view *r)
{
	struct msg_iter it;
	struct field fl;
	int ret = iter_init(&it, w, &bpfvc__wire__register__descriptor, in->data, in->v,
			    in->data_base, depth);

	/* The iterator bounds the bools to 0..1 and frameno to a byte. */
	while (!ret && (ret = iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case 1: r->type = (uint32_t)fl.v; break;
		case 2: r->maybe_null = (uint8_t)fl.v; break;
		case 3: r->precise = (uint8_t)fl.v; break;
		case 4: r->frameno = (uint8_t)fl.v; break;
		case 5: r->off = unzigzag32(fl.v); break;
		case 6: ret = decode_scalar(w, &fl, depth + 1, &r->var); break;
		case 7: r->id = (uint32_t)fl.v; break;
		case 8: r->ref_obj_id = (uint32_t)fl.v; break;
		case 9: r->map_idx = (uint32_t)fl.v; break;
		case 10: r->mem_size = (uint32_t)fl.v; break;
		case 11: r->range = unzigzag32(fl.v); break;
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

		if ((k & 0x87) || fnum == 0 || fnum > 10 || (seen & (1u << fnum)))
			return -1;
		seen |= 1u << fnum;
		if (read_varint(p, len, &pos, &v, &why))
			return -1;
		if (fnum >= 7 && v > UINT32_MAX)
			return -1;
		switch (fnum) {
		case 1: s->var_off.value = v; break;
		case 2: s->var_off.mask = v; break;
		case 3: s->smin = unzigzag64(v); break;
		case 4: s->smax = unzigzag64(v); break;
		case 5: s->umin = v; break;
		case 6: s->umax = v; break;
		case 7: s->s32_min = unzigzag32(v); break;
		case 8: s->s32_max = unzigzag32(v); break;
		case 9: s->u32_min = (uint32_t)v; break;
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

		if ((k & 0x80) || fnum == 0 || fnum > 11 || (seen & (1u << fnum)) ||
		    (k & 7) != (fnum == 6 ? WT_LEN : WT_VARINT))
			return -1;
		seen |= 1u << fnum;
		if (read_varint(p, len, &pos, &v, &why))
			return -1;
		if (fnum == 6) {
			if (v > len - pos || fast_scalar(p + pos, (size_t)v, &r->var))
				return -1;
			pos += (size_t)v;
			continue;
		}
		if (v > UINT32_MAX || ((fnum == 2 || fnum == 3) && v > 1) ||
		    (fnum == 4 && v > UINT8_MAX))
			return -1;
		switch (fnum) {
		case 1: r->type = (uint32_t)v; break;
		case 2: r->maybe_null = (uint8_t)v; break;
		case 3: r->precise = (uint8_t)v; break;
		case 4: r->frameno = (uint8_t)v; break;
		case 5: r->off = unzigzag32(v); break;
		case 7: r->id = (uint32_t)v; break;
		case 8: r->ref_obj_id = (uint32_t)v; break;
		case 9: r->map_idx = (uint32_t)v; break;
		case 10: r->mem_size = (uint32_t)v; break;
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

	if (len < 10 || p[0] != (1 << 3 | WT_LEN) || p[1] != sizeof(s->stype))
		return -1;
	memcpy(s->stype, p + 2, sizeof(s->stype));
	pos = 10;
	if (pos == len)
		return 0;
	if (p[pos++] != (2 << 3 | WT_LEN) || read_varint(p, len, &pos, &v, &why) ||
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

		if ((k & 0x80) || fnum == 0 || fnum > 6 ||
		    (k & 7) != (fnum <= 2 ? WT_LEN : WT_VARINT))
			return -1;
		if (read_varint(p, len, &pos, &v, &why))
			return -1;
		if (fnum <= 2 && v > len - pos)
			return -1;
		if (fnum == 1) {
			if (nregs == VIEW_REGS || fast_reg(p + pos, (size_t)v, &fv->regs[nregs++]))
				return -1;
			pos += (size_t)v;
			continue;
		}
		if (fnum == 2) {
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
		case 3: fv->callsite = unzigzag32(v); break;
		case 4: fv->subprog = (uint32_t)v; break;
		case 5: fv->frameno = (uint32_t)v; break;
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
	int ret = iter_init(&it, w, &bpfvc__wire__slot__descriptor, in->data, in->v,
			    in->data_base, depth);

	while (!ret && (ret = iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case 1:
			/* At most 8 here; fewer is refused at the end. */
			memcpy(s->stype, fl.data, fl.v);
			break;
		case 2:
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
	int ret = iter_init(&it, w, &bpfvc__wire__frame__descriptor, in->data, in->v,
			    in->data_base, depth);

	*nslots = 0;
	while (!ret && (ret = iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case 1:
			/* The iterator refuses a 12th register before this. */
			if (nregs >= VIEW_REGS) {
				/* Cannot happen. */
				bvc_set_err(w->err, w->errsz, "work: internal error: register %u", nregs);
				return -EBADMSG;
			}
			ret = read_reg(w, &fl, depth + 1, &fv->regs[nregs++]);
			break;
		case 2:
			if (*nslots >= BVC_VIEW_MAX_SLOTS) {
				/* Cannot happen, likewise. */
				bvc_set_err(w->err, w->errsz, "work: internal error: slot %u", *nslots);
				return -EBADMSG;
			}
			memset(&slots[*nslots], 0, sizeof(slots[*nslots]));
			ret = decode_slot(w, &fl, depth + 1, &slots[(*nslots)++]);
			break;
		case 3: fv->callsite = unzigzag32(fl.v); break;
		case 4: fv->subprog = (uint32_t)fl.v; break;
		case 5: fv->frameno = (uint32_t)fl.v; break;
		case 6: fv->stack_depth = (uint32_t)fl.v; break;
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
 * Ids and the trail are checked after the walk (finish_work). */
/* A WorkItem in envelope field @kind (a Work or a Checkpoint). */
static int decode_work(struct walk *w, const struct field *in, int depth, enum bvc_wire_kind kind)
{
	struct bvc_wire_work *wk = &w->msg->u.work;
	struct bvc_work_view *v = &wk->view;
	struct msg_iter it;
	struct field fl;
	int ret = iter_init(&it, w, &bpfvc__wire__work_item__descriptor, in->data, in->v,
			    in->data_base, depth);

	w->msg->kind = kind;
	while (!ret && (ret = iter_next(&it, &fl)) > 0) {
		ret = 0;
		switch (fl.f->id) {
		case 1: wk->job_id = fl.v; break;
		case 2: wk->work_id = fl.v; break;
		case 3: v->insn = (uint32_t)fl.v; break;
		case 4: v->prev_insn = (uint32_t)fl.v; break;
		case 5:
			/* The iterator refuses a 9th frame before this. */
			if (v->nframes >= BVC_VIEW_MAX_FRAMES) {
				/* Cannot happen. */
				bvc_set_err(w->err, w->errsz, "work: internal error: frame %u", v->nframes);
				return -EBADMSG;
			}
			ret = decode_frame(w, &fl, depth + 1, &v->frames[v->nframes++]);
			break;
		case 6: {
			/* Packed, every element checked and counted (<= 64). */
			size_t pos = 0;
			const char *why;
			uint64_t ref;

			while (pos < fl.v && v->nrefs < BVC_VIEW_MAX_REFS &&
			       !read_varint(fl.data, fl.v, &pos, &ref, &why))
				v->refs[v->nrefs++] = (uint32_t)ref;
			break;
		}
		case 7:
			w->trail = fl.data;
			w->trail_len = fl.v;
			break;
		case 8: v->trail_len = (uint32_t)fl.v; break;
		}
	}
	return ret;
}

/* What a WorkItem must be beyond its shape, checked once the whole
 * envelope is walked (as for every other message); then the trail is
 * copied. */
static int finish_work(struct walk *w, char *err, size_t errsz)
{
	struct bvc_wire_work *wk = &w->msg->u.work;
	struct bvc_work_view *v = &wk->view;
	int ret;

	ret = check_job_id("work", wk->job_id, err, errsz);
	if (!ret)
		ret = check_work_id("work", wk->work_id, err, errsz);
	if (ret)
		return ret;
	if (w->trail_len != trail_bytes(v->trail_len)) {
		bvc_set_err(err, errsz, "work: trail of %zu bytes for %" PRIu32 " decisions, expected %zu",
			w->trail_len, v->trail_len, trail_bytes(v->trail_len));
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

/* --- decode: everything else -------------------------------------------------- */

/* Check the whole frame; decode a work item on the way. Everything else
 * protobuf-c unpacks afterwards. */
static int walk_message(struct walk *w, const ProtobufCMessageDescriptor *d,
			const uint8_t *p, size_t len, size_t base, int depth)
{
	struct msg_iter it;
	struct field fl;
	int ret = iter_init(&it, w, d, p, len, base, depth);

	while (!ret && (ret = iter_next(&it, &fl)) > 0) {
		ret = 0;
		if (d == &bpfvc__wire__envelope__descriptor && fl.f->id == 1) {
			w->have_version = 1;
			w->version = (uint32_t)fl.v;
		}
		if (fl.f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fl.f->descriptor == &bpfvc__wire__work_item__descriptor && w->msg)
			ret = decode_work(w, &fl, depth + 1,
					  fl.f->id == BVC_WIRE_CHECKPOINT ? BVC_WIRE_CHECKPOINT
									  : BVC_WIRE_WORK);
		else
			ret = walk_message(w, fl.f->descriptor, fl.data, (size_t)fl.v, fl.data_base,
					   depth + 1);
	}
	return ret;
}

static int convert(Bpfvc__Wire__Envelope *env, struct bvc_wire_msg *msg,
		   char *err, size_t errsz)
{
	int ret;

	switch (env->body_case) {
	case BPFVC__WIRE__ENVELOPE__BODY_HELLO:
		/* The walk guarantees no NUL inside, so strlen is the wire length. */
		ret = check_version("hello", env->hello->protocol_version, err, errsz);
		if (!ret)
			ret = check_build_id(env->hello->build_id, strlen(env->hello->build_id),
					     err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_HELLO;
		msg->u.hello.protocol_version = env->hello->protocol_version;
		memcpy(msg->u.hello.build_id, env->hello->build_id,
		       strlen(env->hello->build_id) + 1);
		msg->u.hello.cores = env->hello->cores;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_HEARTBEAT:
		msg->kind = BVC_WIRE_HEARTBEAT;
		msg->u.heartbeat.processed_insns = env->heartbeat->processed_insns;
		msg->u.heartbeat.job_id = env->heartbeat->job_id;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_CANCEL:
		ret = check_job_id("cancel", env->cancel->job_id, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_CANCEL;
		msg->u.cancel.job_id = env->cancel->job_id;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_REJECT:
		ret = check_job_id("reject", env->reject->job_id, err, errsz);
		if (!ret)
			ret = check_message(env->reject->message, strlen(env->reject->message),
					    err, errsz);
		if (!ret)
			ret = check_reject_kind(env->reject->kind, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_REJECT;
		msg->u.reject.kind = (enum bvc_verdict_kind)env->reject->kind;
		msg->u.reject.job_id = env->reject->job_id;
		msg->u.reject.insn = env->reject->insn;
		memcpy(msg->u.reject.message, env->reject->message,
		       strlen(env->reject->message) + 1);
		if (env->reject->trail.len != (env->reject->trail_len + 7u) / 8) {
			bvc_set_err(err, errsz, "reject: %zu bytes of trail for %u decisions",
				env->reject->trail.len, env->reject->trail_len);
			return -EBADMSG;
		}
		if (env->reject->trail_len) {
			msg->u.reject.trail = malloc(env->reject->trail.len);
			if (!msg->u.reject.trail) {
				bvc_set_err(err, errsz, "reject: out of memory for the trail");
				return -ENOMEM;
			}
			memcpy(msg->u.reject.trail, env->reject->trail.data, env->reject->trail.len);
			msg->u.reject.trail_len = env->reject->trail_len;
		}
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_JOB:
		ret = check_job(env->job->job_id, env->job->start_entry, env->job->object.data,
				env->job->object.len, err, errsz);
		if (!ret)
			ret = check_prog_name(env->job->prog_name, strlen(env->job->prog_name), err,
					      errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_JOB;
		msg->u.job.job_id = env->job->job_id;
		memcpy(msg->u.job.prog_name, env->job->prog_name, strlen(env->job->prog_name) + 1);
		msg->u.job.insn_limit = env->job->insn_limit;
		msg->u.job.prog_flags = env->job->prog_flags;
		msg->u.job.start_entry = env->job->start_entry;
		/* Take the object over rather than copy up to 16 MiB: protobuf-c
		 * unpacked with the default allocator, which is malloc(). */
		msg->u.job.object = env->job->object.data;
		msg->u.job.object_len = env->job->object.len;
		env->job->object.data = NULL;
		env->job->object.len = 0;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_DONATE:
		ret = check_job_id("donate", env->donate->job_id, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_DONATE;
		msg->u.donate.job_id = env->donate->job_id;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_DONE:
		ret = check_job_id("done", env->done->job_id, err, errsz);
		if (!ret)
			ret = check_work_id("done", env->done->work_id, err, errsz);
		if (ret)
			return ret;
		if (env->done->demand_frames > BVC_VIEW_MAX_FRAMES ||
		    env->done->n_demand_regs != env->done->demand_frames ||
		    env->done->n_demand_slots != env->done->demand_frames) {
			bvc_set_err(err, errsz, "done: %u demand frames with %zu register and %zu slot masks",
				env->done->demand_frames, env->done->n_demand_regs,
				env->done->n_demand_slots);
			return -EBADMSG;
		}
		msg->kind = BVC_WIRE_DONE;
		msg->u.done.job_id = env->done->job_id;
		msg->u.done.work_id = env->done->work_id;
		msg->u.done.demand.nframes = env->done->demand_frames;
		msg->u.done.demand.all = env->done->demand_all;
		for (uint32_t f = 0; f < env->done->demand_frames; f++) {
			if (env->done->demand_regs[f] > 0x3ff) {
				bvc_set_err(err, errsz, "done: demand register mask %#x",
					env->done->demand_regs[f]);
				return -EBADMSG;
			}
			msg->u.done.demand.regs[f] = (uint16_t)env->done->demand_regs[f];
			msg->u.done.demand.slots[f] = env->done->demand_slots[f];
		}
		return check_demand(&msg->u.done.demand, err, errsz) ? -EBADMSG : 0;
	case BPFVC__WIRE__ENVELOPE__BODY_FINISHED:
		ret = check_job_id("finished", env->finished->job_id, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_FINISHED;
		msg->u.finished.job_id = env->finished->job_id;
		msg->u.finished.processed_insns = env->finished->processed_insns;
		msg->u.finished.total_states = env->finished->total_states;
		msg->u.finished.peak_states = env->finished->peak_states;
		msg->u.finished.remote_prune_hits = env->finished->remote_prune_hits;
		if (env->finished->n_stack_depths > BVC_WIRE_MAX_FUNCS) {
			bvc_set_err(err, errsz, "finished: %zu functions, limit %u",
				env->finished->n_stack_depths, BVC_WIRE_MAX_FUNCS);
			return -EBADMSG;
		}
		for (size_t f = 0; f < env->finished->n_stack_depths; f++) {
			if (env->finished->stack_depths[f] > 512) {
				bvc_set_err(err, errsz, "finished: stack depth %u over 512",
					env->finished->stack_depths[f]);
				return -EBADMSG;
			}
			msg->u.finished.stack_depths[f] = env->finished->stack_depths[f];
		}
		msg->u.finished.nfuncs = (uint32_t)env->finished->n_stack_depths;
		return decode_facts(env->finished, &msg->u.finished, err, errsz);
	case BPFVC__WIRE__ENVELOPE__BODY__NOT_SET:
		bvc_set_err(err, errsz, "envelope carries no message");
		return -EPROTO;
	default:
		/* The walk refuses unknown fields and decodes work items
		 * itself, so protobuf-c cannot report this case: defensive. */
		bvc_set_err(err, errsz, "envelope carries unknown message %d", (int)env->body_case);
		return -EPROTO;
	}
}

int bvc_wire_decode(const void *buf, size_t len, struct bvc_wire_msg *msg,
		    char *err, size_t errsz)
{
	struct walk w = { .err = err, .errsz = errsz, .msg = msg };
	Bpfvc__Wire__Envelope *env;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (len == 0) {
		bvc_set_err(err, errsz, "empty frame");
		return -EBADMSG;
	}
	if (len > BVC_WIRE_FRAME_MAX) {
		bvc_set_err(err, errsz, "frame of %zu bytes, limit %u", len, BVC_WIRE_FRAME_MAX);
		return -EMSGSIZE;
	}

	ret = walk_message(&w, &bpfvc__wire__envelope__descriptor, buf, len, 0, 0);
	/* A peer of another protocol version fails the walk for reasons that
	 * are consequences (a field we do not know): name the cause instead. */
	if (w.have_version && w.version != BVC_WIRE_PROTOCOL_VERSION)
		ret = check_version("envelope", w.version, err, errsz);
	else if (!ret)
		ret = check_version("envelope", w.have_version ? w.version : 0, err, errsz);
	if (ret)
		goto fail;
	if (msg->kind == BVC_WIRE_WORK || msg->kind == BVC_WIRE_CHECKPOINT) {
		/* Decoded during the walk. */
		ret = finish_work(&w, err, errsz);
		if (ret)
			goto fail;
		return 0;
	}

	env = bpfvc__wire__envelope__unpack(NULL, len, buf);
	if (!env) {
		/* The walk accepted it, so this is the allocator failing. */
		bvc_set_err(err, errsz, "out of memory decoding a %zu-byte frame", len);
		return -ENOMEM;
	}
	ret = convert(env, msg, err, errsz);
	bpfvc__wire__envelope__free_unpacked(env, NULL);
	if (ret)
		goto fail;
	return 0;
fail:
	/* Nothing half-decoded is left behind. */
	bvc_wire_msg_release(msg);
	return ret;
}

int bvc_wire_check_hello(const struct bvc_wire_hello *peer, const char *ours, char *err,
			 size_t errsz)
{
	if (!ours)
		ours = BVC_BUILD_ID;
	if (peer->protocol_version != BVC_WIRE_PROTOCOL_VERSION) {
		bvc_set_err(err, errsz, "peer speaks protocol version %" PRIu32 ", we speak %d",
			peer->protocol_version, BVC_WIRE_PROTOCOL_VERSION);
		return -EPROTO;
	}
	if (strncmp(peer->build_id, ours, sizeof(peer->build_id)) != 0) {
		bvc_set_err(err, errsz, "verifier build id mismatch: peer has '%.*s', we have '%s'",
			BVC_WIRE_BUILD_ID_MAX, peer->build_id, ours);
		return -EPROTO;
	}
	return 0;
}
