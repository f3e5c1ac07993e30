// SPDX-License-Identifier: MIT
/*
 * Wire messages to and from bytes (proto/bpfvc.proto, DESIGN.md section 4).
 *
 * Decoding is where another process's bytes become our data, so it trusts
 * nothing: before protobuf-c sees a frame, a schema-driven walk checks every
 * tag, wire type, length and varint against the descriptors and says where
 * and why a frame is bad (protobuf-c itself only says "NULL"). The walk also
 * refuses what protobuf-c would silently accept and we would never send: an
 * unknown field, a field given twice, two members of one oneof, a varint
 * too wide for its field, a NUL inside a string. After unpacking, each field
 * is checked against the protocol: version, string length and alphabet.
 *
 * Must not: print, abort or assert on input, or let a protobuf-c type out of
 * this file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc.pb-c.h"
#include "bpfvc/state_serial.h"
#include "build_id.h"

/* Deeper than the schema can nest; a guard should the schema ever recurse. */
#define WALK_MAX_DEPTH 16
/* Fields per message we track for duplicates; the schema stays far below. */
#define WALK_MAX_FIELDS 64

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

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
	}
	return "unknown";
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

/* A build id is a token: printable ASCII, no space, 1..BVC_WIRE_BUILD_ID_MAX. */
static int check_build_id(const char *s, size_t len, char *err, size_t errsz)
{
	size_t i;

	if (len == 0) {
		set_err(err, errsz, "hello: empty build id");
		return -EBADMSG;
	}
	if (len > BVC_WIRE_BUILD_ID_MAX) {
		set_err(err, errsz, "hello: build id of %zu bytes, limit %d", len,
			BVC_WIRE_BUILD_ID_MAX);
		return -EBADMSG;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e) {
			set_err(err, errsz, "hello: build id byte %zu is 0x%02x, not printable ASCII",
				i, c);
			return -EBADMSG;
		}
	}
	return 0;
}

/* A reject message is one line of kernel-style text: printable ASCII with
 * spaces, 1..BVC_WIRE_MESSAGE_MAX, so it can go to a terminal as is. */
static int check_message(const char *s, size_t len, char *err, size_t errsz)
{
	size_t i;

	if (len == 0) {
		set_err(err, errsz, "reject: empty message");
		return -EBADMSG;
	}
	if (len > BVC_WIRE_MESSAGE_MAX) {
		set_err(err, errsz, "reject: message of %zu bytes, limit %d", len,
			BVC_WIRE_MESSAGE_MAX);
		return -EBADMSG;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e) {
			set_err(err, errsz, "reject: message byte %zu is 0x%02x, not printable ASCII",
				i, c);
			return -EBADMSG;
		}
	}
	return 0;
}

/* Job ids start at 1: 0 means "no job" and must never travel. */
static int check_job_id(const char *what, uint64_t id, char *err, size_t errsz)
{
	if (id == 0) {
		set_err(err, errsz, "%s: job id 0", what);
		return -EBADMSG;
	}
	return 0;
}

static int check_version(const char *what, uint32_t v, char *err, size_t errsz)
{
	if (v != BVC_WIRE_PROTOCOL_VERSION) {
		set_err(err, errsz, "%s: protocol version %" PRIu32 ", expected %d", what, v,
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

int bvc_wire_encode(const struct bvc_wire_msg *msg, void **buf, size_t *len,
		    char *err, size_t errsz)
{
	Bpfvc__Wire__Envelope env = BPFVC__WIRE__ENVELOPE__INIT;
	Bpfvc__Wire__Hello hello = BPFVC__WIRE__HELLO__INIT;
	Bpfvc__Wire__Heartbeat hb = BPFVC__WIRE__HEARTBEAT__INIT;
	Bpfvc__Wire__Cancel cancel = BPFVC__WIRE__CANCEL__INIT;
	Bpfvc__Wire__Reject reject = BPFVC__WIRE__REJECT__INIT;
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
		reject.job_id = msg->u.reject.job_id;
		reject.insn = msg->u.reject.insn;
		reject.message = (char *)msg->u.reject.message;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_REJECT;
		env.reject = &reject;
		break;
	default:
		set_err(err, errsz, "cannot encode message kind %d", (int)msg->kind);
		return -EINVAL;
	}

	n = bpfvc__wire__envelope__get_packed_size(&env);
	if (n > BVC_WIRE_FRAME_MAX) {
		/* Cannot happen with today's bounded fields. */
		set_err(err, errsz, "%s: encodes to %zu bytes, limit %u",
			bvc_wire_kind_name(msg->kind), n, BVC_WIRE_FRAME_MAX);
		return -EMSGSIZE;
	}
	out = malloc(n ? n : 1);
	if (!out) {
		set_err(err, errsz, "out of memory encoding %s", bvc_wire_kind_name(msg->kind));
		return -ENOMEM;
	}
	*len = bpfvc__wire__envelope__pack(&env, out);
	*buf = out;
	return 0;
}

/* --- decode: the wire walk ------------------------------------------------ */

struct walk {
	char *err;
	size_t errsz;
	int have_version;    /* Envelope.protocol_version was read */
	uint32_t version;    /* its value */
};

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Reads a base-128 varint at *pos. Refuses truncation, more than 64 bits and
 * overlong forms (a last byte of 0 after the first): protobuf-c never writes
 * them, so they only come from a corrupted or hostile peer. */
static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v,
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

static int walk_message(struct walk *w, const ProtobufCMessageDescriptor *d,
			const uint8_t *p, size_t len, size_t base, int depth)
{
	const ProtobufCFieldDescriptor *oneof_seen[WALK_MAX_FIELDS];
	uint64_t seen = 0;
	size_t pos = 0;

	if (depth > WALK_MAX_DEPTH || d->n_fields > WALK_MAX_FIELDS) {
		/* Cannot happen with our schema: defensive. */
		set_err(w->err, w->errsz, "%s: message nested too deep", d->short_name);
		return -EBADMSG;
	}
	memset(oneof_seen, 0, sizeof(oneof_seen));

	while (pos < len) {
		const ProtobufCFieldDescriptor *f;
		size_t start = pos, idx, i;
		const char *why;
		uint64_t tag, v;
		unsigned fnum, wt;

		if (read_varint(p, len, &pos, &tag, &why)) {
			set_err(w->err, w->errsz, "%s: byte %zu: %s in a field tag",
				d->short_name, base + start, why);
			return -EBADMSG;
		}
		wt = (unsigned)(tag & 7);
		if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
			set_err(w->err, w->errsz, "%s: byte %zu: field number %" PRIu64 " is invalid",
				d->short_name, base + start, tag >> 3);
			return -EBADMSG;
		}
		fnum = (unsigned)(tag >> 3);
		f = protobuf_c_message_descriptor_get_field(d, fnum);
		if (!f) {
			set_err(w->err, w->errsz, "%s: byte %zu: unknown field %u (wire type %u)",
				d->short_name, base + start, fnum, wt);
			return -EPROTO;
		}
		if ((int)wt != wire_type_of(f)) {
			set_err(w->err, w->errsz, "%s.%s: byte %zu: wire type %u, expected %d",
				d->short_name, f->name, base + start, wt, wire_type_of(f));
			return -EBADMSG;
		}

		/* Repeated fields: none in the schema yet. When they come, they
		 * may appear many times; everything else exactly once. */
		idx = (size_t)(f - d->fields);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			if (seen & (1ull << idx)) {
				set_err(w->err, w->errsz, "%s.%s: byte %zu: field given twice",
					d->short_name, f->name, base + start);
				return -EBADMSG;
			}
			seen |= 1ull << idx;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* Members of one oneof share their quantifier (case) slot. */
			for (i = 0; i < d->n_fields; i++) {
				const ProtobufCFieldDescriptor *o = oneof_seen[i];

				if (o && o != f && o->quantifier_offset == f->quantifier_offset) {
					set_err(w->err, w->errsz,
						"%s: byte %zu: both %s and %s in one oneof",
						d->short_name, base + start, o->name, f->name);
					return -EBADMSG;
				}
			}
			oneof_seen[idx] = f;
		}

		switch (wt) {
		case WT_VARINT:
			if (read_varint(p, len, &pos, &v, &why)) {
				set_err(w->err, w->errsz, "%s.%s: byte %zu: %s",
					d->short_name, f->name, base + start, why);
				return -EBADMSG;
			}
			if (!varint_fits(f, v)) {
				set_err(w->err, w->errsz,
					"%s.%s: byte %zu: value %" PRIu64 " does not fit the field",
					d->short_name, f->name, base + start, v);
				return -EBADMSG;
			}
			if (d == &bpfvc__wire__envelope__descriptor && fnum == 1) {
				w->have_version = 1;
				w->version = (uint32_t)v;
			}
			break;
		case WT_I64:
		case WT_I32:
			if (len - pos < (wt == WT_I64 ? 8u : 4u)) {
				set_err(w->err, w->errsz, "%s.%s: byte %zu: truncated fixed-width value",
					d->short_name, f->name, base + start);
				return -EBADMSG;
			}
			pos += wt == WT_I64 ? 8 : 4;
			break;
		case WT_LEN:
			if (read_varint(p, len, &pos, &v, &why)) {
				set_err(w->err, w->errsz, "%s.%s: byte %zu: %s in a length",
					d->short_name, f->name, base + start, why);
				return -EBADMSG;
			}
			if (v > len - pos) {
				set_err(w->err, w->errsz,
					"%s.%s: byte %zu: length %" PRIu64 " runs past the end (%zu bytes left)",
					d->short_name, f->name, base + start, v, len - pos);
				return -EBADMSG;
			}
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				int ret = walk_message(w, f->descriptor, p + pos, (size_t)v,
						       base + pos, depth + 1);
				if (ret)
					return ret;
			} else if (f->type == PROTOBUF_C_TYPE_STRING && memchr(p + pos, 0, (size_t)v)) {
				/* protobuf-c hands strings over NUL-terminated: what
				 * follows a NUL would vanish unchecked. */
				set_err(w->err, w->errsz, "%s.%s: byte %zu: NUL inside a string",
					d->short_name, f->name, base + start);
				return -EBADMSG;
			}
			pos += (size_t)v;
			break;
		}
	}
	return 0;
}

/* --- decode --------------------------------------------------------------- */

static int convert(const Bpfvc__Wire__Envelope *env, struct bvc_wire_msg *msg,
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
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_REJECT;
		msg->u.reject.job_id = env->reject->job_id;
		msg->u.reject.insn = env->reject->insn;
		memcpy(msg->u.reject.message, env->reject->message,
		       strlen(env->reject->message) + 1);
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY__NOT_SET:
		set_err(err, errsz, "envelope carries no message");
		return -EPROTO;
	default:
		/* The walk refuses unknown fields, so protobuf-c cannot report
		 * a case we do not know: defensive. */
		set_err(err, errsz, "envelope carries unknown message %d", (int)env->body_case);
		return -EPROTO;
	}
}

int bvc_wire_decode(const void *buf, size_t len, struct bvc_wire_msg *msg,
		    char *err, size_t errsz)
{
	struct walk w = { .err = err, .errsz = errsz };
	Bpfvc__Wire__Envelope *env;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (len == 0) {
		set_err(err, errsz, "empty frame");
		return -EBADMSG;
	}
	if (len > BVC_WIRE_FRAME_MAX) {
		set_err(err, errsz, "frame of %zu bytes, limit %u", len, BVC_WIRE_FRAME_MAX);
		return -EMSGSIZE;
	}

	ret = walk_message(&w, &bpfvc__wire__envelope__descriptor, buf, len, 0, 0);
	/* A peer of another protocol version fails the walk for reasons that
	 * are consequences (a field we do not know): name the cause instead. */
	if (w.have_version && w.version != BVC_WIRE_PROTOCOL_VERSION)
		return check_version("envelope", w.version, err, errsz);
	if (ret)
		return ret;
	ret = check_version("envelope", w.have_version ? w.version : 0, err, errsz);
	if (ret)
		return ret;

	env = bpfvc__wire__envelope__unpack(NULL, len, buf);
	if (!env) {
		/* The walk accepted it, so this is the allocator failing. */
		set_err(err, errsz, "out of memory decoding a %zu-byte frame", len);
		return -ENOMEM;
	}
	ret = convert(env, msg, err, errsz);
	bpfvc__wire__envelope__free_unpacked(env, NULL);
	if (ret)
		memset(msg, 0, sizeof(*msg));
	return ret;
}

int bvc_wire_check_hello(const struct bvc_wire_hello *peer, const char *ours, char *err,
			 size_t errsz)
{
	if (!ours)
		ours = BVC_BUILD_ID;
	if (peer->protocol_version != BVC_WIRE_PROTOCOL_VERSION) {
		set_err(err, errsz, "peer speaks protocol version %" PRIu32 ", we speak %d",
			peer->protocol_version, BVC_WIRE_PROTOCOL_VERSION);
		return -EPROTO;
	}
	if (strncmp(peer->build_id, ours, sizeof(peer->build_id)) != 0) {
		set_err(err, errsz, "verifier build id mismatch: peer has '%.*s', we have '%s'",
			BVC_WIRE_BUILD_ID_MAX, peer->build_id, ours);
		return -EPROTO;
	}
	return 0;
}
