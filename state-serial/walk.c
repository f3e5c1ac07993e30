// SPDX-License-Identifier: MIT
/*
 * The schema walk: the first code to read another process's bytes.
 *
 * Before protobuf-c sees a frame, this walk checks every tag, wire type,
 * length and varint against the generated descriptors and says where and
 * why a frame is bad (protobuf-c itself only says "NULL"). It also refuses
 * what protobuf-c would silently accept and we would never send: an
 * unknown field, a field given twice, two members of one oneof, a varint
 * too wide for its field, a NUL inside a string, a repeated scalar field
 * not packed, and anything over the limits of rules.c (counted before it
 * is read, so a frame never costs more memory than its size justifies).
 *
 * One field iterator (bvc_wire__iter_*) does all of this; the work-item
 * decoder (work.c) reads through it too, so what one accepts the other
 * does. A work item met on the way is handed to work.c.
 *
 * Must not: allocate, trust a length before checking it against what is
 * left, or know what a field means (the protocol's rules are in rules.c,
 * the messages in wire.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "bpfvc/state_serial.h"
#include "bpfvc/util.h"
#include "wire_internal.h"

/* Reads a base-128 varint at *pos. Refuses truncation, more than 64 bits and
 * overlong forms (a last byte of 0 after the first): protobuf-c never writes
 * them, so they only come from a corrupted or hostile peer. */
int bvc_wire__read_varint_long(const uint8_t *p, size_t len, size_t *pos, uint64_t *v,
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

		if (bvc_wire__read_varint(p, end, &pos, &v, &why)) {
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

int bvc_wire__iter_init(struct msg_iter *it, struct walk *w, const ProtobufCMessageDescriptor *d,
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
	for (size_t i = 0; i < bvc_wire__nfield_rules; i++) {
		if (bvc_wire__field_rules[i].d != d)
			continue;
		if (it->nrules == WALK_MAX_RULES) {
			/* Cannot happen: the table is ours. */
			bvc_set_err(w->err, w->errsz, "%s: too many rules", d->short_name);
			return -EBADMSG;
		}
		it->got[it->nrules] = 0;
		it->rules[it->nrules++] = &bvc_wire__field_rules[i];
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
int bvc_wire__iter_next(struct msg_iter *it, struct field *fl)
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
	if (bvc_wire__read_varint(p, len, &pos, &tag, &why)) {
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
		if (bvc_wire__read_varint(p, len, &pos, &v, &why)) {
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
		if (bvc_wire__read_varint(p, len, &pos, &v, &why)) {
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

/* --- the whole frame ------------------------------------------------------ */

/* Check the whole frame; decode a work item on the way. Everything else
 * protobuf-c unpacks afterwards. */
int bvc_wire__walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			   size_t len, size_t base, int depth)
{
	struct msg_iter it;
	struct field fl;
	int ret = bvc_wire__iter_init(&it, w, d, p, len, base, depth);

	while (!ret && (ret = bvc_wire__iter_next(&it, &fl)) > 0) {
		ret = 0;
		if (d == &bpfvc__wire__envelope__descriptor &&
		    fl.f->id == PB_ENVELOPE_PROTOCOL_VERSION) {
			w->have_version = 1;
			w->version = (uint32_t)fl.v;
		}
		if (fl.f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fl.f->descriptor == &bpfvc__wire__work_item__descriptor && w->msg)
			ret = bvc_wire__decode_work(w, &fl, depth + 1,
					  fl.f->id == BVC_WIRE_CHECKPOINT ? BVC_WIRE_CHECKPOINT
									  : BVC_WIRE_WORK);
		else
			ret = bvc_wire__walk_message(w, fl.f->descriptor, fl.data, (size_t)fl.v,
						     fl.data_base, depth + 1);
	}
	return ret;
}
