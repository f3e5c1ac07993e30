// SPDX-License-Identifier: MIT
/*
 * The protocol's rules for each field, in one place: what a value may be
 * (ids from 1, text of a given alphabet and length, a known refusal kind,
 * the protocol version, a work item's shape, a Finished's facts), and the
 * limits the schema cannot say that the walk enforces while reading
 * (field_rules). Encoding applies the same functions as decoding, so we
 * never send what a peer would refuse.
 *
 * Must not: allocate, print, or read bytes off the wire (walk.c does);
 * every refusal says which message and field, for the peer's log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "bpfvc/state_serial.h"
#include "bpfvc/util.h"
#include "wire_internal.h"

/* A Finished's facts: within the program, ascending, every value one the
 * verifier can produce. Shared by encode and decode. */
int bvc_wire__check_facts(const struct bvc_wire_finished *f, char *err, size_t errsz)
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
		    x->mem_base != BVC_FACT_STACK && x->mem_base != BVC_FACT_OTHER &&
		    !BVC_FACT_IS_SOCK(x->mem_base)) {
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
int bvc_wire__check_build_id(const char *s, size_t len, char *err, size_t errsz)
{
	return check_text("hello", "build id", s, len, BVC_WIRE_BUILD_ID_MAX, 0x21, err, errsz);
}

/* A reject message is one line of kernel-style text: printable ASCII with
 * spaces, 1..BVC_WIRE_MESSAGE_MAX, so it can go to a terminal as is. */
int bvc_wire__check_message(const char *s, size_t len, char *err, size_t errsz)
{
	return check_text("reject", "message", s, len, BVC_WIRE_MESSAGE_MAX, 0x20, err, errsz);
}

/* A program name is a token like a build id: printable ASCII, no space,
 * 1..BVC_WIRE_PROG_NAME_MAX. */
int bvc_wire__check_prog_name(const char *s, size_t len, char *err, size_t errsz)
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

int bvc_wire__check_job_id(const char *what, uint64_t id, char *err, size_t errsz)
{
	return check_id(what, "job", id, err, errsz);
}

int bvc_wire__check_work_id(const char *what, uint64_t id, char *err, size_t errsz)
{
	return check_id(what, "work", id, err, errsz);
}

/* A precision demand: at most 8 frames, r0-r9, "all" only with frames. */
int bvc_wire__check_demand(const struct bvc_precision_demand *d, char *err, size_t errsz)
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
int bvc_wire__check_job(uint64_t job_id, uint32_t start_entry, const void *object,
			size_t object_len, char *err, size_t errsz)
{
	int ret = bvc_wire__check_job_id("job", job_id, err, errsz);

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
int bvc_wire__check_reject_kind(uint32_t kind, char *err, size_t errsz)
{
	if (kind != BVC_REJECT && kind != BVC_UNSUPPORTED && kind != BVC_INTERNAL) {
		bvc_set_err(err, errsz, "reject: kind %" PRIu32 " is not a refusal", kind);
		return -EBADMSG;
	}
	return 0;
}

int bvc_wire__check_version(const char *what, uint32_t v, char *err, size_t errsz)
{
	if (v != BVC_WIRE_PROTOCOL_VERSION) {
		bvc_set_err(err, errsz, "%s: protocol version %" PRIu32 ", expected %d", what, v,
			BVC_WIRE_PROTOCOL_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Bytes of a trail of @bits decisions, without overflow at UINT32_MAX. */
size_t bvc_wire__trail_bytes(uint32_t bits)
{
	return bits / 8 + (bits % 8 != 0);
}

/* The shape rules of a work item the sender can break (decoding enforces
 * the same ones in the walk): frames, references, slots, flags, trail. */
int bvc_wire__check_work_view(const struct bvc_work_view *v, char *err, size_t errsz)
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

/* The walk's limits (struct field_rule, in wire_internal.h), by message. */
const struct field_rule bvc_wire__field_rules[] = {
	{ &bpfvc__wire__job__descriptor, PB_JOB_OBJECT, 1, BVC_WIRE_OBJECT_MAX, -EMSGSIZE },
	{ &bpfvc__wire__work_item__descriptor, PB_WORK_FRAMES, 1, BVC_VIEW_MAX_FRAMES, -EBADMSG },
	{ &bpfvc__wire__work_item__descriptor, PB_WORK_REFS, 0, BVC_VIEW_MAX_REFS, -EBADMSG },
	{ &bpfvc__wire__frame__descriptor, PB_FRAME_REGS, VIEW_REGS, VIEW_REGS, -EBADMSG },
	{ &bpfvc__wire__frame__descriptor, PB_FRAME_SLOTS, 0, BVC_VIEW_MAX_SLOTS, -EBADMSG },
	{ &bpfvc__wire__slot__descriptor, PB_SLOT_STYPE, 8, 8, -EBADMSG },
	{ &bpfvc__wire__register__descriptor, PB_REGISTER_FRAMENO, 0, UINT8_MAX, -EBADMSG },
	{ &bpfvc__wire__reject__descriptor, PB_REJECT_TRAIL_LEN, 0, BVC_WIRE_MAX_TRAIL, -EBADMSG },
	{ &bpfvc__wire__reject__descriptor, PB_REJECT_TRAIL, 0, BVC_WIRE_MAX_TRAIL / 8, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_INSN_CNT, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_SEEN, 0, BVC_WIRE_MAX_INSNS / 8, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_FACT_INSN, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_FACT_MEM_BASE, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_FACT_CTX_FIELD, 0, BVC_WIRE_MAX_INSNS,
	  -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_FACT_CTX_OFF, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_FACT_CTX_SIZE, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
	{ &bpfvc__wire__finished__descriptor, PB_FINISHED_FACT_MAP_IDX, 0, BVC_WIRE_MAX_INSNS, -EBADMSG },
};

const size_t bvc_wire__nfield_rules =
	sizeof(bvc_wire__field_rules) / sizeof(bvc_wire__field_rules[0]);
