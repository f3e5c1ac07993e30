/* SPDX-License-Identifier: MIT */
/*
 * bpfvc worker: one process (or thread) exploring verifier work items for a
 * coordinator, over a ZeroMQ DEALER socket (docs/design.md section 4).
 *
 * Today: placement (pin to one core) and the handshake. A worker connects,
 * sends its Hello (protocol version, verifier build id) and waits for the
 * coordinator's; the handshake is symmetric (each side runs
 * bvc_wire_check_hello() on the other's Hello), so both sides refuse a
 * mismatch with the same reason. Then bvc_worker_serve() runs jobs: the
 * work loop, heartbeats both ways and work donation (docs/design.md section 4,
 * the message flow is described in worker/serve.c).
 *
 * Every receive has a timeout: no call here can block forever.
 */
#ifndef BPFVC_WORKER_H
#define BPFVC_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/state_serial.h"

#define BVC_CPUSET_STR_MAX 256 /* a cpuset in hwloc list syntax, with NUL */

/* Where one worker runs: one core. Plain data, so a coordinator can hand it
 * to a spawned process on its command line. */
struct bvc_core_slot {
	unsigned int worker;  /* worker index, from 0 */
	unsigned int core;    /* core logical index (hwloc "L#") */
	int core_os;          /* core OS index ("P#"), -1 if the OS gives none */
	unsigned int npus;    /* hardware threads (PUs) of the core */
	char cpuset[BVC_CPUSET_STR_MAX]; /* its PUs by OS index, hwloc list syntax: "0", "2-3" */
};

/* Bind the calling thread to @slot's PUs. Call it before creating the ZeroMQ
 * context, whose I/O threads inherit the binding. Returns 0, -EINVAL for a
 * cpuset that is empty, unparsable or outside this machine's allowed PUs, or
 * the errno of the failed binding. */
int bvc_worker_pin_to_core(const struct bvc_core_slot *slot, char *err, size_t errsz);

struct bvc_worker_opts {
	size_t sz;            /* sizeof(struct bvc_worker_opts), for growth */
	uint32_t cores;       /* cores offered in our Hello; 0 means 1 */
	int timeout_ms;       /* receive timeout; 0 means 5000 */
	const char *build_id; /* announce this build id instead of ours: for
			       * testing the refusal of a mismatch only */
	const char *routing_id; /* ZeroMQ routing id (1..255 bytes, not starting
				 * with NUL); NULL: ZeroMQ picks one. A
				 * coordinator that spawns workers names them */
	/* CURVE (all three or none, Z85 text): our key pair and the
	 * coordinator's public key. Without them the link is plain. */
	const char *curve_public;
	const char *curve_secret;
	const char *curve_server;
	int reconnect_max_ms; /* ZeroMQ reconnects after 100 ms, doubling up
			       * to this; 0: 5000 */
	uint64_t mem_limit;   /* bytes the verifier's states may take in this
			       * process, all jobs together (bvc_verify_opts
			       * .mem_limit); 0: bvc_mem_limit_default(1) */
};

struct bvc_worker;

/* Connect a DEALER socket to @endpoint ("ipc://...", "tcp://host:port").
 * ZeroMQ connects in the background: a coordinator that binds later is
 * still reached. @opts may be NULL. */
int bvc_worker_new(const char *endpoint, const struct bvc_worker_opts *opts,
		   struct bvc_worker **out, char *err, size_t errsz);
void bvc_worker_free(struct bvc_worker *w);

/* --- CURVE keys (worker/curve.c) --------------------------------------- */

#define BVC_CURVE_Z85_LEN 40 /* a 32-byte key as Z85 text */

struct bvc_curve_keypair {
	char pub[BVC_CURVE_Z85_LEN + 1];
	char sec[BVC_CURVE_Z85_LEN + 1];
};

/* Trusted public keys (Z85). */
struct bvc_curve_trust {
	char (*keys)[BVC_CURVE_Z85_LEN + 1];
	size_t n, cap;
};

/* Write a new key pair: NAME.key (secret, mode 0600) and NAME.pub, one line
 * of Z85 each. */
int bvc_curve_keygen(const char *name, char *err, size_t errsz);
/* Read a .key file; the public half is derived from the secret. */
int bvc_curve_read_secret(const char *path, struct bvc_curve_keypair *kp, char *err,
			  size_t errsz);
/* Read a .pub file. */
int bvc_curve_read_public(const char *path, char pub[BVC_CURVE_Z85_LEN + 1], char *err,
			  size_t errsz);
/* Read a trust store: a file of public keys, one a line ('#' comments), or
 * a directory of *.pub files. At least one key, or -ENOENT. */
int bvc_curve_read_trust(const char *path, struct bvc_curve_trust *t, char *err, size_t errsz);
void bvc_curve_trust_release(struct bvc_curve_trust *t);

/* Send our Hello and wait for the coordinator's (filled into @theirs if not
 * NULL). Returns 0 when both sides agree, -ETIMEDOUT if nothing came back,
 * -EPROTO for a mismatch (protocol version, build id, an answer that is not
 * a Hello), -EBADMSG for a garbled answer, -EACCES when the coordinator's
 * CURVE authenticator refused our key; @err says which. */
int bvc_worker_hello(struct bvc_worker *w, struct bvc_wire_hello *theirs, char *err,
		     size_t errsz);

/* Instructions one engine explores between two looks at the socket. */
#define BVC_WORKER_SLICE 20000
/* A worker whose work loop has not come round for this long stops its
 * heartbeats (a bug has wedged it): the coordinator then finds it dead
 * rather than wait on its work forever. */
#define BVC_WORKER_STALL_MS 60000

/* Counters of one bvc_worker_serve() session, for logs and tests. */
struct bvc_worker_stats {
	uint64_t jobs;      /* jobs started */
	uint64_t accepted;  /* work items received and explored */
	uint64_t donated;   /* work items given away */
	uint64_t processed; /* instructions processed, all jobs */
	uint64_t refused_checkpoints; /* peers' checkpoints that were not states
				       * of the program: dropped */
};

/*
 * After a successful bvc_worker_hello(): serve jobs until the coordinator
 * says goodbye (Cancel of job BVC_WIRE_CANCEL_BYE) or falls silent for
 * BVC_WIRE_DEAD_BEATS heartbeats; a Cancel of BVC_WIRE_CANCEL_REJOIN starts a
 * fresh session on the same link (a new Hello). A Job starts an engine
 * (with the entry if start_entry); Work is accepted into it; Donate is answered with Work (the oldest
 * pending branch) or with Donate (nothing to give); Done(id) releases a
 * placeholder; Cancel(job) drops the job. Up to BVC_WIRE_MAX_JOBS jobs
 * are held at once, each with its own engines; every message names its
 * job. The worker sends Done for every accepted item whose subtree
 * finished here, Finished(job) when it has nothing left to explore in
 * that job, Reject on the job's first unsafe path, and each interval a
 * Heartbeat per job held (one with job 0 when it holds none), from a
 * thread that owns the socket while the session lasts (worker/link.c).
 * Returns 0 on goodbye, -ETIMEDOUT when the coordinator fell
 * silent, another negative errno on failure (@err says why).
 */
int bvc_worker_serve(struct bvc_worker *w, struct bvc_worker_stats *stats, char *err,
		     size_t errsz);

#endif /* BPFVC_WORKER_H */
