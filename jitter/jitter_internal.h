/* SPDX-License-Identifier: MIT */
/*
 * Private to jitter/: what the back ends share with the front.
 */
#ifndef BVC_JITTER_INTERNAL_H
#define BVC_JITTER_INTERNAL_H

#include <stddef.h>

#include "bpfvc/jitter.h"

/* The program rewritten for the device ABI (lower.c). Same length as
 * @prog's; the caller frees *@out. */
int bvc_jit_lower(const struct bvc_prog *prog, const struct bvc_verdict *verdict,
		  struct bvc_insn **out, char *err, size_t errsz);

/*
 * A back end: native code for @insns (already lowered, @cnt of them, the
 * program's functions in order, entry at 0) into @res->code / relocs /
 * entry_off. @v holds the verifier's facts (stack depth, maps per call).
 * Returns 0, or a negative errno with one line in @err; an instruction the
 * back end cannot translate is "unsupported: ..." (-EOPNOTSUPP).
 */
typedef int (*bvc_jit_backend_fn)(const struct bvc_image *img, const struct bvc_prog *prog,
				  const struct bvc_insn *insns, size_t cnt,
				  const struct bvc_verdict *v, struct bvc_jit_result *res, char *err,
				  size_t errsz);

/* Every register field names r0..r10 and nothing writes r10: what the
 * verifier guarantees of reachable code and bvc_jit_lower() makes true of
 * dead code, checked again by each back end before it indexes its register
 * map. 0, or -EFAULT with "internal error: ..." in @err. */
int bvc_jit_check_regs(const struct bvc_insn *insns, size_t cnt, char *err, size_t errsz);

/* The frame the function starting at @start reserves: its own depth from
 * the verdict, or the whole call chain's when the verdict does not give
 * it (16-aligned either way). */
uint32_t bvc_jit_func_frame(const struct bvc_verdict *v, size_t start);

/* 1 if @img (may be NULL) has a prog_array map: then the back ends use
 * their tail-call layout (every program of the blob alike) and translate
 * bpf_tail_call as a jump. */
int bvc_jit_has_prog_array(const struct bvc_image *img);

int bvc_jit_x86_64(const struct bvc_image *img, const struct bvc_prog *prog,
		   const struct bvc_insn *insns, size_t cnt, const struct bvc_verdict *v,
		   struct bvc_jit_result *res, char *err, size_t errsz);
int bvc_jit_arm64(const struct bvc_image *img, const struct bvc_prog *prog,
		  const struct bvc_insn *insns, size_t cnt, const struct bvc_verdict *v,
		  struct bvc_jit_result *res, char *err, size_t errsz);
int bvc_jit_thumbv7m(const struct bvc_image *img, const struct bvc_prog *prog,
		     const struct bvc_insn *insns, size_t cnt, const struct bvc_verdict *v,
		     struct bvc_jit_result *res, char *err, size_t errsz);

#endif
