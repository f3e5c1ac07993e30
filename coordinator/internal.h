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

/* The handshake on a message already received from @peer (routing id
 * filled): same results as bvc_coord_handshake(). */
int bvc_coord__hello(struct bvc_coord *c, struct bvc_coord_peer *peer, const void *payload,
		     size_t len, char *err, size_t errsz);

#endif
