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
 * Today: the handshake (Hello), Heartbeat, Cancel and Reject. Verifier
 * states, work items and pruning states come with the cluster issues.
 */
#ifndef BPFVC_STATE_SERIAL_H
#define BPFVC_STATE_SERIAL_H

#include <stddef.h>
#include <stdint.h>

/* Bump on any change to proto/bpfvc.proto an older peer would misread. */
#define BVC_WIRE_PROTOCOL_VERSION 1

#define BVC_WIRE_BUILD_ID_MAX 64   /* bytes of a build id, without the NUL */
#define BVC_WIRE_MESSAGE_MAX 255   /* bytes of a Reject message, fits bvc_verdict.msg */
#define BVC_WIRE_FRAME_MAX (1u << 20) /* largest encoded envelope we accept */

/* Which message an envelope carries. Values are the oneof field numbers of
 * Envelope.body in proto/bpfvc.proto. */
enum bvc_wire_kind {
	BVC_WIRE_HELLO = 2,
	BVC_WIRE_HEARTBEAT = 3,
	BVC_WIRE_CANCEL = 4,
	BVC_WIRE_REJECT = 5,
};

struct bvc_wire_hello {
	uint32_t protocol_version; /* sender's BVC_WIRE_PROTOCOL_VERSION */
	char build_id[BVC_WIRE_BUILD_ID_MAX + 1]; /* sender's verifier build id */
	uint32_t cores;            /* cores the sender offers or plans for */
};

struct bvc_wire_heartbeat {
	uint64_t processed_insns; /* instructions processed so far in the job */
};

/* Job ids start at 1; 0 means "no job" and is refused on the wire. */
struct bvc_wire_cancel {
	uint64_t job_id; /* job to stop */
};

struct bvc_wire_reject {
	uint64_t job_id; /* job with an unsafe path */
	uint64_t insn;   /* instruction the rejection is about */
	char message[BVC_WIRE_MESSAGE_MAX + 1]; /* kernel-worded, printable ASCII */
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
	} u;
};

/* This build's verifier build id: "bpfvc-VERSION-HASH", where HASH covers
 * the sources of the verifier, the public headers, the wire schema and this
 * module, so two processes agree on it only if they verify alike. */
const char *bvc_wire_build_id(void);

/* Fill @msg with our Hello: protocol version, build id, @cores. */
void bvc_wire_hello_init(struct bvc_wire_msg *msg, uint32_t cores);

/* Encode @msg into a malloc()ed buffer (*@buf, *@len; the caller free()s it).
 * The message is checked by the same rules as decoding, so we never send
 * what a peer would refuse. Returns 0, -EINVAL (bad message, @err says why)
 * or -ENOMEM. */
int bvc_wire_encode(const struct bvc_wire_msg *msg, void **buf, size_t *len,
		    char *err, size_t errsz);

/* Decode and validate one envelope of @len bytes into @msg. Returns 0, or
 * with @err set and @msg zeroed:
 *   -EMSGSIZE  @len is over BVC_WIRE_FRAME_MAX
 *   -EBADMSG   not a well-formed envelope: empty, truncated, bad tag, wire
 *              type or length, a field given twice, a varint too wide or
 *              overlong, a string with a NUL, too long or not printable,
 *              job id 0
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
