/* SPDX-License-Identifier: MIT */
/* What worker/ files share: the worker itself. Not installed. */
#ifndef BVC_WORKER_INTERNAL_H
#define BVC_WORKER_INTERNAL_H

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
};

#endif
