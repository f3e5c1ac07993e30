/* SPDX-License-Identifier: MIT */
/*
 * bpfvc verifier: decide whether one program of an image is safe.
 *
 * A rejected program is a result, not an error: bvc_verify() returns 0 with
 * verdict BVC_REJECT, the instruction and the message. Only infrastructure
 * failures (memory) are negative.
 *
 * Today this runs the static passes only (ISA, program shape) and refuses
 * every program that passes them with "unsupported: ...": the path
 * exploration engine is the next piece (see the verifier engine issue).
 * It never accepts what it has not modelled.
 */
#ifndef BPFVC_VERIFIER_H
#define BPFVC_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"

enum bvc_verdict_kind {
	BVC_ACCEPT = 0,
	BVC_REJECT = 1,
};

struct bvc_verify_opts {
	size_t sz;           /* sizeof(struct bvc_verify_opts), for growth */
	uint64_t insn_limit; /* processed-insn budget; 0 = none */
	int log_level;       /* 0, 1, 2, 4 as the kernel */
};

struct bvc_verdict {
	enum bvc_verdict_kind kind; /* accept or reject */
	int unsupported;            /* rejected because not modelled */
	size_t insn;                /* instruction the rejection is about */
	char msg[256];              /* kernel-worded message, "" on accept */
	uint64_t processed;         /* processed instructions */
};

/* Verify @prog of @img. Returns 0 with @out filled, or a negative errno. */
int bvc_verify(const struct bvc_image *img, const struct bvc_prog *prog,
	       const struct bvc_verify_opts *opts, struct bvc_verdict *out);

#endif /* BPFVC_VERIFIER_H */
