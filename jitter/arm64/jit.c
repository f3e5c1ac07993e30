// SPDX-License-Identifier: MIT
/*
 * arm64 back end: placeholder until the back end is written; refuses.
 */
#include <errno.h>
#include <stdio.h>

#include "../jitter_internal.h"

int bvc_jit_arm64(const struct bvc_image *img, const struct bvc_prog *prog,
		   const struct bvc_insn *insns, size_t cnt, const struct bvc_verdict *v,
		   struct bvc_jit_result *res, char *err, size_t errsz)
{
	snprintf(err, errsz, "unsupported: JIT for arm64 is not built yet");
	return -EOPNOTSUPP;
}
