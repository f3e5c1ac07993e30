/* SPDX-License-Identifier: MIT */
/*
 * bpfvc verifier: decide whether one program of an image is safe.
 *
 * A rejected program is a result, not an error: bvc_verify() returns 0 with
 * verdict BVC_REJECT, the instruction and the message. Only infrastructure
 * failures (memory) are negative.
 *
 * The engine explores every path in one process (verifier/engine.c has
 * the essay). What it does not model is refused with "unsupported: ...":
 * it never accepts what it has not modelled.
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
	uint32_t prog_flags; /* BPF_F_* load flags; unmodelled ones are refused */
};

struct bvc_verdict {
	enum bvc_verdict_kind kind; /* accept or reject */
	int unsupported;            /* rejected because not modelled */
	size_t insn;                /* instruction the rejection is about */
	char msg[256];              /* kernel-worded message, "" on accept */
	uint64_t processed;         /* processed instructions */
	uint64_t total_states;      /* checkpoints created */
	uint64_t peak_states;       /* checkpoints alive at once */
	uint32_t max_states_per_insn; /* longest checkpoint list */
	char *log;                  /* kernel-style log (opts.log_level > 0), owned */
	size_t log_len;             /* bytes in @log */
};

/* Free what a verdict owns (the log); the struct itself is the caller's. */
void bvc_verdict_release(struct bvc_verdict *v);

/* Verify @prog of @img. Returns 0 with @out filled, or a negative errno. */
int bvc_verify(const struct bvc_image *img, const struct bvc_prog *prog,
	       const struct bvc_verify_opts *opts, struct bvc_verdict *out);

#endif /* BPFVC_VERIFIER_H */
