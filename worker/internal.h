/* SPDX-License-Identifier: MIT */
/* What worker/ files share: the worker itself. Not installed. */
#ifndef BVC_WORKER_INTERNAL_H
#define BVC_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "bpfvc/worker.h"

struct bvc_worker {
	void *ctx;        /* ZeroMQ context, ours alone */
	void *sock;       /* DEALER connected to the coordinator */
	char *endpoint;   /* where, for messages */
	uint32_t cores;   /* cores offered in our Hello */
	int timeout_ms;   /* receive timeout */
	char build_id[BVC_WIRE_BUILD_ID_MAX + 1]; /* build id we announce and require */
	void *mon;        /* PAIR reading the DEALER's handshake events (CURVE
			   * only, until the hello is answered), or NULL */
	int curve;        /* the link is CURVE */
	uint64_t mem_limit; /* every engine's opts.mem_limit (0: the default) */
};

/* The link thread (link.c): owns the DEALER during bvc_worker_serve(),
 * sends the heartbeats, relays every other frame both ways. */
struct bvc_link {
	void *dealer;      /* the worker's DEALER: the thread's while it runs */
	void *pipe_main;   /* PAIR, the work loop's end: send and receive here */
	void *pipe_thr;    /* PAIR, the thread's end */
	pthread_t thread;
	int running;       /* @thread was started and not yet joined */
	atomic_int stop;   /* the work loop asks the thread to end */
	atomic_int error;  /* negative errno once the thread gave up (@why) */
	atomic_int silent; /* the coordinator said nothing for DEAD_BEATS */
	atomic_uint_least64_t main_ms; /* the work loop's last round (ms) */
	char why[128];     /* set before @error */
	struct {           /* a seqlock: odd @seq while being written */
		atomic_uint_least64_t seq, id, processed;
	} jobs[BVC_WIRE_MAX_JOBS]; /* what each job slot holds, for heartbeats */
};

/* Start the thread on @w's DEALER (after the handshake). */
int bvc_link_start(struct bvc_link *l, struct bvc_worker *w, char *err, size_t errsz);
/* Stop it; the DEALER is the caller's again. Safe after a failed start. */
void bvc_link_stop(struct bvc_link *l);
/* Job slot @k now holds job @id (0: none) with @processed instructions. */
void bvc_link_publish(struct bvc_link *l, unsigned int k, uint64_t id, uint64_t processed);
/* The work loop came round: the thread may go on beating. */
void bvc_link_alive(struct bvc_link *l);
/* 0, or why the session cannot go on (-ETIMEDOUT: the coordinator fell
 * silent), with @err set. */
int bvc_link_status(struct bvc_link *l, char *err, size_t errsz);

#endif
