/* SPDX-License-Identifier: MIT */
/*
 * What state-serial/'s files share; not part of the API, not installed
 * (tests/serial reaches bvc_wire_no_fast_path and the field numbers).
 *
 * A frame from a socket goes through, in this order:
 *   walk.c   the schema walk: every tag, wire type, length and varint
 *            checked against the descriptors and the rules of rules.c;
 *            a work item is decoded on the way (work.c)
 *   wire.c   protobuf-c unpacks every other message; each field is
 *            checked against the protocol (rules.c) and copied out
 * and a message to a socket through wire.c (the same rules, as the
 * caller's mistake) and, for a work item, work.c's own writer.
 *
 * Protobuf-c types stay inside state-serial/: this header is its own.
 */
#ifndef BPFVC_WIRE_INTERNAL_H
#define BPFVC_WIRE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvc.pb-c.h"
#include "bpfvc/state_serial.h"

/* True: decode registers and scalars only through the generic field
 * iterator, never the fast paths. For tests comparing the two; the
 * decoder reads it unlocked, so set it before any decoding starts. */
extern bool bvc_wire_no_fast_path;

/* --- field numbers of proto/bpfvc.proto that the code names --------------- */

/*
 * The work-item codec reads and writes these messages without protobuf-c,
 * and the walk's rules name fields of others: their numbers, once. Must
 * match the schema (tests/serial checks each against the descriptors).
 */
enum bvc_wire_field {
	PB_ENVELOPE_PROTOCOL_VERSION = 1,

	PB_SCALAR_VALUE = 1,
	PB_SCALAR_MASK = 2,
	PB_SCALAR_SMIN = 3,
	PB_SCALAR_SMAX = 4,
	PB_SCALAR_UMIN = 5,
	PB_SCALAR_UMAX = 6,
	PB_SCALAR_S32_MIN = 7, /* the 32-bit bounds: 7 and up */
	PB_SCALAR_S32_MAX = 8,
	PB_SCALAR_U32_MIN = 9,
	PB_SCALAR_U32_MAX = 10, /* the last */

	PB_REGISTER_TYPE = 1,
	PB_REGISTER_MAYBE_NULL = 2,
	PB_REGISTER_PRECISE = 3,
	PB_REGISTER_FRAMENO = 4,
	PB_REGISTER_OFF = 5,
	PB_REGISTER_VAR = 6, /* a Scalar: the only message field */
	PB_REGISTER_ID = 7,
	PB_REGISTER_REF_OBJ_ID = 8,
	PB_REGISTER_MAP_IDX = 9,
	PB_REGISTER_MEM_SIZE = 10,
	PB_REGISTER_RANGE = 11, /* the last */

	PB_SLOT_STYPE = 1,
	PB_SLOT_SPILLED = 2,

	PB_FRAME_REGS = 1,
	PB_FRAME_SLOTS = 2, /* regs and slots: the length-delimited ones */
	PB_FRAME_CALLSITE = 3,
	PB_FRAME_SUBPROG = 4,
	PB_FRAME_FRAMENO = 5,
	PB_FRAME_STACK_DEPTH = 6, /* the last */

	PB_WORK_JOB_ID = 1,
	PB_WORK_WORK_ID = 2,
	PB_WORK_INSN = 3,
	PB_WORK_PREV_INSN = 4,
	PB_WORK_FRAMES = 5,
	PB_WORK_REFS = 6,
	PB_WORK_TRAIL = 7,
	PB_WORK_TRAIL_LEN = 8,

	PB_JOB_OBJECT = 6,
	PB_REJECT_TRAIL_LEN = 4,
	PB_REJECT_TRAIL = 5,
	PB_FINISHED_INSN_CNT = 7,
	PB_FINISHED_SEEN = 8,
	PB_FINISHED_FACT_INSN = 9,
	PB_FINISHED_FACT_MEM_BASE = 10,
	PB_FINISHED_FACT_CTX_FIELD = 11,
	PB_FINISHED_FACT_CTX_OFF = 12,
	PB_FINISHED_FACT_CTX_SIZE = 13,
	PB_FINISHED_FACT_MAP_IDX = 14,
};

/* Protobuf wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Registers per frame: R0..R10, the size of bvc_frame_view.regs. */
#define VIEW_REGS 11
_Static_assert(sizeof(((struct bvc_frame_view *)0)->regs) == VIEW_REGS * sizeof(struct bvc_reg_view),
	       "a frame view holds R0..R10");

/* Deeper than the schema can nest; a guard should the schema ever recurse. */
#define WALK_MAX_DEPTH 16
/* Fields per message we track for duplicates; the schema stays far below. */
#define WALK_MAX_FIELDS 64
#define WALK_MAX_RULES 8  /* rules of one message; the table stays below */
#define WALK_MAX_ONEOFS 4 /* oneofs of one message; the schema has one */

/* --- rules.c: what each field may hold ------------------------------------ */

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

extern const struct field_rule bvc_wire__field_rules[];
extern const size_t bvc_wire__nfield_rules;

/* Each returns 0 or a negative errno with @err set (check_facts and
 * check_demand: -1); the message names the message and the field. */
int bvc_wire__check_facts(const struct bvc_wire_finished *f, char *err, size_t errsz);
int bvc_wire__check_build_id(const char *s, size_t len, char *err, size_t errsz);
int bvc_wire__check_message(const char *s, size_t len, char *err, size_t errsz);
int bvc_wire__check_prog_name(const char *s, size_t len, char *err, size_t errsz);
int bvc_wire__check_job_id(const char *what, uint64_t id, char *err, size_t errsz);
int bvc_wire__check_work_id(const char *what, uint64_t id, char *err, size_t errsz);
int bvc_wire__check_demand(const struct bvc_precision_demand *d, char *err, size_t errsz);
int bvc_wire__check_job(uint64_t job_id, uint32_t start_entry, const void *object,
			size_t object_len, char *err, size_t errsz);
int bvc_wire__check_reject_kind(uint32_t kind, char *err, size_t errsz);
int bvc_wire__check_version(const char *what, uint32_t v, char *err, size_t errsz);
int bvc_wire__check_work_view(const struct bvc_work_view *v, char *err, size_t errsz);
/* Bytes of a trail of @bits decisions, without overflow at UINT32_MAX. */
size_t bvc_wire__trail_bytes(uint32_t bits);

/* --- walk.c: the schema walk ---------------------------------------------- */

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

/* Reads a base-128 varint at *pos. Refuses truncation, more than 64 bits and
 * overlong forms: 0, or -1 with @why set. */
int bvc_wire__read_varint_long(const uint8_t *p, size_t len, size_t *pos, uint64_t *v,
			       const char **why);

/* Most keys and many values are one byte: that case inline. */
static inline int bvc_wire__read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v,
					const char **why)
{
	if (*pos < len && p[*pos] < 0x80) {
		*v = p[(*pos)++];
		return 0;
	}
	return bvc_wire__read_varint_long(p, len, pos, v, why);
}

/* Start reading message @d in @p[0..@len), at frame offset @base. */
int bvc_wire__iter_init(struct msg_iter *it, struct walk *w, const ProtobufCMessageDescriptor *d,
			const uint8_t *p, size_t len, size_t base, int depth);
/* The next field into @fl: 1, 0 at the end of the message, or an errno. */
int bvc_wire__iter_next(struct msg_iter *it, struct field *fl);
/* Check the whole frame; decode a work item on the way. */
int bvc_wire__walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			   size_t len, size_t base, int depth);

/* --- work.c: work items without protobuf-c -------------------------------- */

/* A WorkItem as envelope field @field (a Work or a Checkpoint), checked by
 * the caller, into a new buffer. */
int bvc_wire__encode_work(const struct bvc_wire_work *wk, unsigned field, void **buf, size_t *len,
			  char *err, size_t errsz);
/* A WorkItem in envelope field @kind into w->msg, during the walk. */
int bvc_wire__decode_work(struct walk *w, const struct field *in, int depth,
			  enum bvc_wire_kind kind);
/* What a decoded WorkItem must be beyond its shape, once the whole
 * envelope is walked; then its trail is copied. */
int bvc_wire__finish_work(struct walk *w, char *err, size_t errsz);

#endif /* BPFVC_WIRE_INTERNAL_H */
