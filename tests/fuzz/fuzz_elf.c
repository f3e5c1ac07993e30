// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the ELF loader from memory (libbpf, libelf and our
 * .BTF.ext reader), then the verifier on what it loaded, with a small
 * budget: the loader's output (maps, relocations, subprograms, BTF func
 * info) is the verifier's input. A crash, sanitizer report, hang or
 * "no verdict" is a finding.
 */
#include <string.h>

#include "bpfvc/loader.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bvc_load_opts lo = { .sz = sizeof(lo), .keep_unsupported = 1 };
	struct bvc_image *img = NULL;
	char err[256];

	if (bvc_load_elf_mem_opts(data, size, "fuzz.o", &lo, &img, err, sizeof(err)))
		return 0;
	for (size_t i = 0; i < img->prog_cnt && i < 4; i++) {
		struct bvc_verify_opts o = { .sz = sizeof(o), .insn_limit = FUZZ_INSN_LIMIT };
		struct bvc_verdict v;
		int ret;

		if (img->progs[i].unsupported[0])
			continue;
		ret = bvc_verify(img, &img->progs[i], &o, &v);
		if (ret == 0 && v.kind != BVC_ACCEPT && v.kind != BVC_REJECT &&
		    v.kind != BVC_UNSUPPORTED)
			fuzz_fail("%s: verdict of kind %s: %s", img->progs[i].name,
				  bvc_verdict_kind_name(v.kind), v.msg);
		if (ret == 0)
			bvc_verdict_release(&v);
	}
	bvc_image_free(img);
	return 0;
}
