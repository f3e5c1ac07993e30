// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the verifier on raw bytecode (input format in
 * fuzz.h), with a small instruction budget. Any crash, sanitizer report,
 * hang or internal error is a finding; so is an accepted program that a
 * back end refuses to compile: `bpfvc build` must never disagree with
 * `bpfvc verify` (issue #19's dead-register finding).
 */
#include <string.h>

#include "bpfvc/jitter.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bvc_jit_target targets[] = { BVC_JIT_X86_64, BVC_JIT_ARM64 };
	struct fuzz_prog p;
	struct bvc_image *img = NULL;
	struct bvc_verdict v;

	if (fuzz_prog_parse(data, size, &p))
		return 0;
	if (fuzz_verify(&p, (p.flags & FUZZ_F_LOG) == FUZZ_F_LOG ? 2 : 0, &img, &v))
		return 0;
	if (bvc_verdict_accepted(&v)) {
		for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
			struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = targets[t] };
			struct bvc_jit_result *jr = NULL;
			char err[256];
			int ret;

			ret = bvc_jit_compile(img, &img->progs[0], &v, &jo, &jr, err, sizeof(err));
			if (ret)
				fuzz_fail("accepted, but the %s JIT refuses it (%d): %s",
					  bvc_jit_target_name(targets[t]), ret, err);
			bvc_jit_result_free(jr);
		}
	}
	bvc_verdict_release(&v);
	bvc_image_free(img);
	return 0;
}
