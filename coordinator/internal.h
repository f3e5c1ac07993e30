/* SPDX-License-Identifier: MIT */
/* What coordinator/ files share: the coordinator's socket. Not installed. */
#ifndef BVC_COORD_INTERNAL_H
#define BVC_COORD_INTERNAL_H

#include <pthread.h>

#include "bpfvc/coordinator.h"

struct bvc_coord {
	void *ctx;        /* ZeroMQ context, ours alone */
	void *sock;       /* ROUTER bound to endpoint */
	char endpoint[512]; /* as bound (ZMQ_LAST_ENDPOINT) */
	uint32_t cores;   /* cores announced in our Hello */
	char build_id[BVC_WIRE_BUILD_ID_MAX + 1]; /* build id we announce and require */
	/* CURVE: the ZAP handler thread and the keys it lets in */
	pthread_t zap_thread;
	int zap_running;
	volatile int zap_stop;
	void *zap_sock;   /* REP on inproc://zeromq.zap.01, the thread's */
	uint8_t (*trusted)[32];
	size_t ntrusted;
	uint64_t zap_refused, zap_accepted;
};

/* Why bvc_coord__hello() refused a message: its callers act on this,
 * never on the words of the error. */
enum bvc_hello_fault {
	BVC_HELLO_OK = 0,
	BVC_HELLO_GARBAGE,   /* not a message we can read (another protocol
			      * version included: answered with our Hello) */
	BVC_HELLO_NOT_HELLO, /* a valid message, but not a Hello (say, a late
			      * one from a worker we declared dead) */
	BVC_HELLO_MISMATCH,  /* a Hello we refuse: another protocol version
			      * or verifier build id */
	BVC_HELLO_SEND,      /* our answering Hello could not be sent */
};

/* The handshake on a message already received from @peer (routing id
 * filled): same results as bvc_coord_handshake(); @fault (may be NULL)
 * says which refusal it was. */
int bvc_coord__hello(struct bvc_coord *c, struct bvc_coord_peer *peer, const void *payload,
		     size_t len, enum bvc_hello_fault *fault, char *err, size_t errsz);

/* Make the accepted verdict @v of a cluster job final (coordinator/
 * verdict.c): the call-chain stack check over the workers' merged depths
 * in @js, with the per-function frames a JIT needs; it may become a
 * refusal. A refusal is left as it is. 0 done; a negative errno with @why
 * set when the check could not run (-ENODATA: no depths, or facts of
 * another size), and then @v must not be taken as accepted. */
int bvc_coord__final_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			     uint32_t prog_flags, const struct bvc_cluster_job_stats *js,
			     struct bvc_verdict *v, char *why, size_t whysz);

#endif
