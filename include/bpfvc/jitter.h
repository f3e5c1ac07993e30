/* SPDX-License-Identifier: MIT */
/*
 * bpfvc jitter: native code for the device's CPU from a verified program.
 *
 * The target is always a value chosen by the caller (`--target ARCH`), never
 * the host: bpfvc cross-compiles. The targets, their numbers (stable: the
 * blob header stores them) and names are in bpfvc/abi.h.
 *
 * x86_64, arm64 and thumbv7m have back ends; what one cannot translate is
 * refused with "unsupported: ..." (-EOPNOTSUPP), never pretended compiled.
 */
#ifndef BPFVC_JITTER_H
#define BPFVC_JITTER_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/abi.h"
#include "bpfvc/devabi.h"
#include "bpfvc/image.h"
#include "bpfvc/verifier.h"

struct bvc_jit_opts {
	size_t sz;                  /* sizeof(struct bvc_jit_opts), for growth */
	enum bvc_jit_target target; /* CPU to compile for */
};

/* Native code and relocations. */
struct bvc_jit_result {
	uint8_t *code;             /* position-independent machine code */
	size_t code_size;          /* bytes */
	size_t entry_off;          /* offset of the entry point in @code */
	size_t tail_entry_off;     /* where a tail call into this program jumps;
				    * 0 when the image has no prog_array (no
				    * tail-call layout) */
	struct bvc_reloc *relocs;  /* 64-bit slots to fill before running */
	size_t reloc_cnt;
	uint32_t stack_size;       /* bytes of BPF stack the code reserves */
	struct bvc_insn *lowered;  /* the lowered bytecode the code was made from
				    * (for the interpreter on other CPUs) */
	size_t lowered_cnt;
};

/* Compile @prog of @img, which @verdict accepted, for @opts->target.
 * Returns 0 with *@out set, or a negative errno: -EINVAL (bad arguments, a
 * verdict that is not an accept), -EOPNOTSUPP ("unsupported: JIT for TARGET
 * is not built yet", or a construct the back end refuses). */
int bvc_jit_compile(const struct bvc_image *img, const struct bvc_prog *prog,
		    const struct bvc_verdict *verdict, const struct bvc_jit_opts *opts,
		    struct bvc_jit_result **out, char *err, size_t errsz);
void bvc_jit_result_free(struct bvc_jit_result *res);

#endif /* BPFVC_JITTER_H */
