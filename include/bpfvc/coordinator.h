/* SPDX-License-Identifier: MIT */
/*
 * bpfvc coordinator: owns a verification job and hands its work items to
 * workers over a ZeroMQ ROUTER socket (DESIGN.md section 4).
 *
 * Today: the placement plan (one local worker per core, from hwloc) and the
 * handshake. The coordinator answers every Hello, and every frame refused
 * for a protocol reason (another version), with its own Hello, so a worker
 * can say why it was refused; it never answers garbage. The job, work
 * queue, leases, pruning cache and heartbeats come with the cluster issue.
 *
 * Every receive has a timeout: no call here can block forever.
 */
#ifndef BPFVC_COORDINATOR_H
#define BPFVC_COORDINATOR_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/state_serial.h"
#include "bpfvc/worker.h"

/* Where local workers go: one per core of the cores this process may use. */
struct bvc_coord_plan {
	unsigned int ncores;         /* cores found (hwloc, allowed PUs only) */
	unsigned int npus;           /* hardware threads in them */
	unsigned int nworkers;       /* entries in @slots */
	struct bvc_core_slot *slots; /* worker i runs on slots[i] */
	char *topology;              /* human description of machine and plan, for -v */
};

/* Plan @nworkers workers (0: one per core). With more workers than cores,
 * worker i goes to core i mod ncores. Returns 0, -ENOMEM, or -EIO when hwloc
 * cannot read the topology. */
int bvc_coord_plan_cores(unsigned int nworkers, struct bvc_coord_plan **out, char *err,
			 size_t errsz);
void bvc_coord_plan_free(struct bvc_coord_plan *plan);

struct bvc_coord_opts {
	size_t sz;            /* sizeof(struct bvc_coord_opts), for growth */
	uint32_t cores;       /* cores announced in our Hello */
	const char *build_id; /* announce and require this build id instead of
			       * ours: for testing the refusal of a mismatch only */
};

struct bvc_coord;

/* Bind a ROUTER socket to @endpoint ("ipc://PATH", "tcp://ADDR:PORT", where
 * ADDR may be the wildcard). @opts may be NULL. */
int bvc_coord_new(const char *endpoint, const struct bvc_coord_opts *opts,
		  struct bvc_coord **out, char *err, size_t errsz);
void bvc_coord_free(struct bvc_coord *c);

/* The endpoint actually bound (a tcp port 0 comes back as the real port). */
const char *bvc_coord_endpoint(const struct bvc_coord *c);

#define BVC_COORD_PEER_ID_MAX 255 /* ZeroMQ routing ids are 1..255 bytes */

struct bvc_coord_peer {
	uint8_t id[BVC_COORD_PEER_ID_MAX]; /* ZeroMQ routing id */
	size_t id_len;                     /* its length */
	struct bvc_wire_hello hello;       /* what the worker announced */
};

/* Wait up to @timeout_ms for one message and run the handshake on it.
 * Returns 0 with @peer filled when a worker's Hello matched ours (it has
 * been answered); -ETIMEDOUT when nothing came; otherwise the message is
 * refused and @err names the peer and the reason: -EBADMSG/-EMSGSIZE for
 * garbage, -EPROTO for a protocol violation (another version or build id,
 * several frames, a message other than Hello). */
int bvc_coord_handshake(struct bvc_coord *c, int timeout_ms, struct bvc_coord_peer *peer,
			char *err, size_t errsz);

#endif /* BPFVC_COORDINATOR_H */
