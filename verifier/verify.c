// SPDX-License-Identifier: MIT
/*
 * The verifier's entry point. Runs the static passes and, until the
 * exploration engine lands, refuses every program that passes them as
 * unsupported: bpfvc never accepts a program whose behaviour it has not
 * modelled.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/isa.h"
#include "bpfvc/verifier.h"

int bvc_verify(const struct bvc_image *img, const struct bvc_prog *prog,
	       const struct bvc_verify_opts *opts, struct bvc_verdict *out)
{
	struct bvc_isa_fault fault;
	int err;

	(void)img;
	(void)opts;
	memset(out, 0, sizeof(*out));
	out->kind = BVC_REJECT;

	err = bvc_isa_check(prog->insns, prog->insn_cnt, &fault);
	if (err == -EINVAL) {
		out->insn = fault.insn;
		out->unsupported = !strncmp(fault.msg, "unsupported:", 12);
		snprintf(out->msg, sizeof(out->msg), "%s", fault.msg);
		return 0;
	}
	if (err)
		return err;

	out->unsupported = 1;
	snprintf(out->msg, sizeof(out->msg),
		 "unsupported: path exploration is not implemented yet");
	return 0;
}
