/* SPDX-License-Identifier: MIT */
/*
 * bpfvc jitter: native code for the device's CPU from a verified program.
 *
 * The target is always a value chosen by the caller (`--target ARCH`), never
 * the host: bpfvc cross-compiles. Target numbers are stable: the blob header
 * stores them (docs/design.md section 5), so never renumber, only append.
 *
 * Today: the target registry. bvc_jit_compile() exists so callers can be
 * written against it, and refuses every target with "unsupported: ..."
 * until the JIT issue fills it in; it never pretends to have compiled.
 */
#ifndef BPFVC_JITTER_H
#define BPFVC_JITTER_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/devabi.h"
#include "bpfvc/image.h"
#include "bpfvc/verifier.h"

enum bvc_jit_target {
	BVC_JIT_X86_64 = 1,   /* "x86_64": x86-64, System V */
	BVC_JIT_ARM64 = 2,    /* "arm64": AArch64, AAPCS64 */
	BVC_JIT_THUMBV7M = 3, /* "thumbv7m": ARMv7-M Thumb-2, Cortex-M3/M4 */
};

#define BVC_JIT_TARGET_FIRST BVC_JIT_X86_64
#define BVC_JIT_TARGET_LAST BVC_JIT_THUMBV7M

/* Target for @name ("x86_64", "arm64", "thumbv7m"; exact, lowercase).
 * Returns 0, or -EINVAL with @err listing the known names. */
int bvc_jit_target_from_name(const char *name, enum bvc_jit_target *out, char *err,
			     size_t errsz);

/* Name of @t, or NULL if @t is not a target. */
const char *bvc_jit_target_name(enum bvc_jit_target t);

/* Pointer size of @t in bytes (8 or 4), 0 if @t is not a target. */
unsigned int bvc_jit_target_ptr_size(enum bvc_jit_target t);

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
 * is not built yet" today). */
int bvc_jit_compile(const struct bvc_image *img, const struct bvc_prog *prog,
		    const struct bvc_verdict *verdict, const struct bvc_jit_opts *opts,
		    struct bvc_jit_result **out, char *err, size_t errsz);
void bvc_jit_result_free(struct bvc_jit_result *res);

#endif /* BPFVC_JITTER_H */
