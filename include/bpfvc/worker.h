/* SPDX-License-Identifier: MIT */
/*
 * bpfvc worker: one process (or thread) exploring verifier work items for a
 * coordinator, over a ZeroMQ DEALER socket (DESIGN.md section 4).
 *
 * Today: placement (pin to one core) and the handshake. A worker connects,
 * sends its Hello (protocol version, verifier build id) and waits for the
 * coordinator's; the handshake is symmetric (each side runs
 * bvc_wire_check_hello() on the other's Hello), so both sides refuse a
 * mismatch with the same reason. The work loop, heartbeats and donation
 * come with the cluster issue.
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
};

struct bvc_worker;

/* Connect a DEALER socket to @endpoint ("ipc://...", "tcp://host:port").
 * ZeroMQ connects in the background: a coordinator that binds later is
 * still reached. @opts may be NULL. */
int bvc_worker_new(const char *endpoint, const struct bvc_worker_opts *opts,
		   struct bvc_worker **out, char *err, size_t errsz);
void bvc_worker_free(struct bvc_worker *w);

/* Send our Hello and wait for the coordinator's (filled into @theirs if not
 * NULL). Returns 0 when both sides agree, -ETIMEDOUT if nothing came back,
 * -EPROTO for a mismatch (protocol version, build id, an answer that is not
 * a Hello), -EBADMSG for a garbled answer; @err says which. */
int bvc_worker_hello(struct bvc_worker *w, struct bvc_wire_hello *theirs, char *err,
		     size_t errsz);

#endif /* BPFVC_WORKER_H */
