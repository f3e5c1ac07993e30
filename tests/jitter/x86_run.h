/* SPDX-License-Identifier: MIT */
/*
 * Running x86_64 JIT output on this machine, for the jitter_x86 suite:
 * compile bytecode with the back end directly (a fake accepted verdict),
 * fill the relocations, map the code read+execute (W^X) and call it.
 */
#ifndef BVC_TESTS_X86_RUN_H
#define BVC_TESTS_X86_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/jitter.h"

/* The address for one relocation, or 0 when the test does not provide it. */
typedef uint64_t (*xrun_resolve_fn)(const struct bvc_reloc *r, void *arg);

/* Code mapped for running. */
struct xrun_prog {
	uint8_t *map;  /* the read+execute mapping */
	size_t size;   /* bytes mapped */
	uint64_t (*entry)(void *ctx, uint64_t r2); /* r1 = ctx, r2 as given */
};

/* Compile @insns with bvc_jit_x86_64 and a verdict that accepts them with
 * @stack_depth and facts unset. Returns 0 or the back end's error. */
int xrun_compile(const struct bvc_insn *insns, size_t cnt, uint32_t stack_depth,
		struct bvc_jit_result **out, char *err, size_t errsz);

/* Copy @res's code, fill every relocation with @resolve and map it
 * PROT_READ|PROT_EXEC. Returns 0, -ENOENT for a relocation @resolve does not
 * know (with @err naming it) or -errno of mmap/mprotect. */
int xrun_load(const struct bvc_jit_result *res, xrun_resolve_fn resolve, void *arg,
	     struct xrun_prog *out, char *err, size_t errsz);
void xrun_unload(struct xrun_prog *p);

#endif /* BVC_TESTS_X86_RUN_H */
