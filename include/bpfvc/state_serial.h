/* SPDX-License-Identifier: MIT */
/*
 * bpfvc state-serial: the messages of the wire protocol (proto/bpfvc.proto)
 * to and from bytes, with full validation of everything decoded.
 *
 * One ZeroMQ frame carries one encoded envelope. The rest of bpfvc sees only
 * the plain structs below, never protobuf-c types: bvc_wire_decode() is the
 * one place where bytes from another process become data, and it refuses
 * anything it would not have produced itself (another protocol version, an
 * unknown field or message, an oversized or unprintable string, a field
 * given twice) with a message and a negative errno. It never
 * crashes or asserts on input.
 *
 * Messages: the handshake (Hello), Heartbeat, Cancel, Reject, and for
 * splitting a job (docs/design.md section 4) Job, Work (a work item: one verifier
 * state as struct bvc_work_view), Donate, Done and Finished. Pruning states
 * come with the issue that needs them.
 *
 * A decoded work item is checked for shape only (counts, sizes, widths):
 * whether it is a state of the program is bvc_work_from_view()'s business.
 */
#ifndef BPFVC_STATE_SERIAL_H
#define BPFVC_STATE_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/engine.h"

/* Bump on any change to proto/bpfvc.proto an older peer would misread. */
#define BVC_WIRE_PROTOCOL_VERSION 5
#define BVC_WIRE_MAX_FUNCS BVC_MAX_FUNCS /* functions of a program (bpfvc/abi.h) */
#define BVC_WIRE_MAX_INSNS (1u << 21) /* instructions of a program (an object fits 16 MiB) */
#define BVC_WIRE_MAX_TRAIL (1u << 23) /* branch decisions of one path (1 MiB) */

#define BVC_WIRE_BUILD_ID_MAX 64   /* bytes of a build id, without the NUL */
#define BVC_WIRE_MESSAGE_MAX 255   /* bytes of a Reject message, fits bvc_verdict.msg */
#define BVC_WIRE_FRAME_MAX (16u << 20) /* largest encoded envelope we accept */
#define BVC_WIRE_PROG_NAME_MAX 127 /* bytes of a Job's program name, without the NUL */
/* Bytes of a Job's ELF object: what a frame holds besides the rest of a Job. */
#define BVC_WIRE_OBJECT_MAX (BVC_WIRE_FRAME_MAX - 4096u)

/*
 * The session's rhythm and limits, which both sides must agree on: the
 * coordinator and the worker meet only on the wire, so they are defined
 * here and nowhere else.
 *
 * Heartbeats go both ways every BVC_WIRE_HEARTBEAT_MS. A worker sends its
 * heartbeats from a thread of their own, so a busy engine never delays
 * them; still, a peer is declared dead only after BVC_WIRE_DEAD_BEATS
 * intervals of silence, so that a machine under load (or a paused VM)
 * does not lose live workers.
 */
#define BVC_WIRE_HEARTBEAT_MS 1000
#define BVC_WIRE_DEAD_BEATS 10
/* Jobs one worker holds at once (a batch keeps several in flight); a
 * coordinator that sends more is refused. */
#define BVC_WIRE_MAX_JOBS 32
/* Job ids of a Cancel that speak of the session, not of a job. BYE: the
 * session is over (the worker returns). REJOIN: the coordinator declared
 * the worker dead (it was silent too long) and gave its work to others;
 * the worker drops every job, says Hello again on the same link and, once
 * answered, serves as a new worker. */
#define BVC_WIRE_CANCEL_BYE UINT64_MAX
#define BVC_WIRE_CANCEL_REJOIN (UINT64_MAX - 1)

/* Which message an envelope carries. Values are the oneof field numbers of
 * Envelope.body in proto/bpfvc.proto. */
enum bvc_wire_kind {
	BVC_WIRE_HELLO = 2,
	BVC_WIRE_HEARTBEAT = 3,
	BVC_WIRE_CANCEL = 4,
	BVC_WIRE_REJECT = 5,
	BVC_WIRE_JOB = 6,
	BVC_WIRE_WORK = 7,
	BVC_WIRE_DONATE = 8,
	BVC_WIRE_DONE = 9,
	BVC_WIRE_FINISHED = 10,
	BVC_WIRE_CHECKPOINT = 11, /* a finished checkpoint; in u.work, as a Work */
};

struct bvc_wire_hello {
	uint32_t protocol_version; /* sender's BVC_WIRE_PROTOCOL_VERSION */
	char build_id[BVC_WIRE_BUILD_ID_MAX + 1]; /* sender's verifier build id */
	uint32_t cores;            /* cores the sender offers or plans for */
};

struct bvc_wire_heartbeat {
	uint64_t processed_insns; /* instructions processed so far in the job */
	uint64_t job_id;          /* the job counted; 0: none (liveness only) */
};

/* Job ids start at 1; 0 means "no job" and is refused on the wire. */
struct bvc_wire_cancel {
	uint64_t job_id; /* job to stop */
};

struct bvc_wire_reject {
	uint64_t job_id; /* job with an unsafe path */
	enum bvc_verdict_kind kind; /* BVC_REJECT, BVC_UNSUPPORTED or BVC_INTERNAL
				     * (no verdict: the job failed); any other
				     * is refused both ways */
	uint64_t insn;   /* instruction the rejection is about */
	char message[BVC_WIRE_MESSAGE_MAX + 1]; /* kernel-worded, printable ASCII */
	uint8_t *trail;  /* the failing path's decisions (owned), NULL: none */
	uint32_t trail_len; /* bits, <= BVC_WIRE_MAX_TRAIL */
};

/* Coordinator -> worker, once per job. */
struct bvc_wire_job {
	uint64_t job_id;          /* never 0 */
	char prog_name[128];      /* program to verify in the object: printable
				   * ASCII, no space, 1..BVC_WIRE_PROG_NAME_MAX */
	uint64_t insn_limit;      /* budget for the whole job, 0 = none */
	uint32_t prog_flags;
	uint32_t start_entry;     /* 1: this worker starts from the program's entry; 0 or 1 */
	uint8_t *object;          /* ELF object bytes (owned by the message) */
	size_t object_len;        /* 1..BVC_WIRE_OBJECT_MAX */
};

/* A work item: donor -> coordinator -> another worker. On the wire the item
 * has one id, work_id: encoding ignores view.id, decoding sets view.id =
 * work_id, so the receiving engine reports done under the sender's id. */
struct bvc_wire_work {
	uint64_t job_id;          /* never 0 */
	uint64_t work_id;         /* as assigned by the sender, never 0 */
	struct bvc_work_view view;/* owned by the message: slots and trail */
};

/* Coordinator -> busy worker: give your oldest branch. */
struct bvc_wire_donate {
	uint64_t job_id; /* never 0 */
};

/* Holder -> coordinator -> donor: the item's subtree is finished, safe,
 * and relied on @demand at its root. */
struct bvc_wire_done {
	uint64_t job_id;  /* never 0 */
	uint64_t work_id; /* the id the item was sent under, never 0 */
	struct bvc_precision_demand demand; /* nframes 0..8; regs only r0-r9 */
};

/* One instruction's access facts (struct bvc_insn_fact without seen). */
struct bvc_wire_fact {       /* the wire's widths: checked, then narrowed */
	uint32_t insn;
	int32_t mem_base;         /* BVC_FACT_CTX/STACK/OTHER, -1 */
	int32_t ctx_field;        /* -1..4095 */
	uint32_t ctx_off;         /* 0..65535 */
	uint32_t ctx_size;        /* 0, 1, 2, 4 or 8 */
	int32_t map_idx;          /* -2..65535 */
};

/* Worker -> coordinator: nothing left to explore here. */
struct bvc_wire_finished {
	uint64_t job_id;          /* never 0 */
	uint64_t processed_insns; /* this worker's total for the job */
	uint64_t total_states, peak_states;
	uint64_t remote_prune_hits; /* paths pruned against other workers' checkpoints */
	uint32_t stack_depths[BVC_WIRE_MAX_FUNCS]; /* per function: deepest stack use
						    * seen here, bytes (<= 512) */
	uint32_t nfuncs;          /* entries in @stack_depths (0..BVC_WIRE_MAX_FUNCS) */
	/* Per-instruction facts (owned; see bvc_wire_msg_release()): */
	uint32_t insn_cnt;        /* the program's instructions, 0: no facts */
	uint8_t *seen;            /* (insn_cnt + 7) / 8 bytes: bit i, insn i reached */
	struct bvc_wire_fact *facts; /* changed since the last Finished, by
				      * ascending insn (< insn_cnt) */
	size_t nfacts;
};

/* One decoded envelope. The envelope's protocol version is not stored: a
 * decoded message always has ours. */
struct bvc_wire_msg {
	enum bvc_wire_kind kind; /* selects the member of u */
	union {
		struct bvc_wire_hello hello;
		struct bvc_wire_heartbeat heartbeat;
		struct bvc_wire_cancel cancel;
		struct bvc_wire_reject reject;
		struct bvc_wire_job job;
		struct bvc_wire_work work;
		struct bvc_wire_donate donate;
		struct bvc_wire_done done;
		struct bvc_wire_finished finished;
	} u;
};

/* Free what @msg owns (a Job's object, a Work's slots and trail) and zero
 * it. Safe on every kind, on a zeroed message and twice. Messages that
 * bvc_wire_decode() filled must be released; one the caller filled may be,
 * if its buffers came from malloc(). */
void bvc_wire_msg_release(struct bvc_wire_msg *msg);

/* This build's verifier build id: "bpfvc-VERSION-HASH", where HASH covers
 * the sources of the verifier, the public headers, the wire schema and this
 * module, so two processes agree on it only if they verify alike. */
const char *bvc_wire_build_id(void);

/* Fill @msg with our Hello: protocol version, build id, @cores. */
void bvc_wire_hello_init(struct bvc_wire_msg *msg, uint32_t cores);

/* Encode @msg into a malloc()ed buffer (*@buf, *@len; the caller free()s it).
 * The message is checked by the same rules as decoding, so we never send
 * what a peer would refuse. @msg stays the caller's. Returns 0, -EINVAL
 * (bad message, @err says why), -EMSGSIZE (a Job's object over
 * BVC_WIRE_OBJECT_MAX, a work item's trail longer than a frame) or
 * -ENOMEM. */
int bvc_wire_encode(const struct bvc_wire_msg *msg, void **buf, size_t *len,
		    char *err, size_t errsz);

/* Decode and validate one envelope of @len bytes into @msg (release it with
 * bvc_wire_msg_release()). Returns 0, or with @err set and @msg zeroed
 * (nothing to release):
 *   -EMSGSIZE  @len is over BVC_WIRE_FRAME_MAX, a Job's object over
 *              BVC_WIRE_OBJECT_MAX
 *   -EBADMSG   not a well-formed envelope: empty, truncated, bad tag, wire
 *              type or length, a field given twice, a varint too wide or
 *              overlong, a string with a NUL, too long or not printable,
 *              job id or work id 0, an empty object, start_entry not 0
 *              or 1; a work item of the wrong shape: 0 or over 8 frames,
 *              not exactly 11 registers in a frame, over 64 slots in a
 *              frame or references, slot types not exactly 8 bytes, trail
 *              bytes not (trail_len + 7) / 8, a register frame number
 *              over 255, a bool over 1
 *   -EPROTO    well-formed but not our protocol: another protocol version
 *              (reported first, whatever else is wrong), an unknown field,
 *              no message in the envelope
 *   -ENOMEM
 */
int bvc_wire_decode(const void *buf, size_t len, struct bvc_wire_msg *msg,
		    char *err, size_t errsz);

/* Check a peer's Hello against ours: same protocol version, same build id
 * (@ours, or bvc_wire_build_id() if NULL). Both sides of a handshake run
 * this equality, so they always agree on the outcome. Returns 0 or -EPROTO
 * with @err naming both values. */
int bvc_wire_check_hello(const struct bvc_wire_hello *peer, const char *ours, char *err,
			 size_t errsz);

/* "hello", "heartbeat", ... or "unknown". */
const char *bvc_wire_kind_name(enum bvc_wire_kind kind);

#endif /* BPFVC_STATE_SERIAL_H */
