/* SPDX-License-Identifier: MIT */
/* What coordinator/ files share: the coordinator's socket. Not installed. */
#ifndef BVC_COORD_INTERNAL_H
#define BVC_COORD_INTERNAL_H

#include "bpfvc/coordinator.h"

struct bvc_coord {
	void *ctx;        /* ZeroMQ context, ours alone */
	void *sock;       /* ROUTER bound to endpoint */
	char endpoint[512]; /* as bound (ZMQ_LAST_ENDPOINT) */
	uint32_t cores;   /* cores announced in our Hello */
	char build_id[BVC_WIRE_BUILD_ID_MAX + 1]; /* build id we announce and require */
};

#endif
