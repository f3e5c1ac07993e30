/* SPDX-License-Identifier: MIT */
/*
 * Running arm64 JIT output in unicorn, for the arm64 back-end tests.
 *
 * The code is mapped at EMU_CODE with its relocations filled: helpers and
 * runtime intrinsics point into a "helper page" of RET instructions whose
 * first instruction is hooked, so the helper runs in C (x0..x4 in, x0
 * out) and the RET takes the JITed code back; maps and map values get
 * fixed fake addresses (EMU_MAP_ADDR / EMU_MAP_VALUE_ADDR). The entry is
 * called as AAPCS64 `uint64_t entry(x0, x1)` with x30 = a sentinel
 * address; the run ends when the PC reaches it, and SP and the AAPCS64
 * callee-saved registers (x19..x29) must be what they were at the call.
 */
#ifndef BVC_TEST_A64_EMU_H
#define BVC_TEST_A64_EMU_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/interp.h"
#include "bpfvc/jitter.h"

#define EMU_CODE 0x00100000u    /* code (up to 1 MiB + pool) */
#define EMU_HELPERS 0x00080000u /* helper page: 4 bytes per helper id < 1024 */
#define EMU_RUNTIME 0x00081000u /* intrinsic page: 4 bytes per enum bvc_rt_fn */
#define EMU_MEM 0x20000000u     /* the test's memory buffer */
#define EMU_STACK 0x40000000u   /* 1 MiB of stack below EMU_STACK + 1 MiB */
#define EMU_SENTINEL 0x7fff0000u /* return address of the entry */
#define EMU_MAP_ADDR(idx) (UINT64_C(0x5000000000) + (uint64_t)(idx) * 0x10000)
#define EMU_MAP_VALUE_ADDR(idx, addend) \
	(UINT64_C(0x6000000000) + (uint64_t)(idx) * 0x10000 + (uint64_t)(int64_t)(addend))

struct emu_run {
	/* in */
	const struct bvc_jit_result *jit;  /* code and relocations */
	uint8_t *mem;                      /* mapped at EMU_MEM, copied back; may be NULL */
	size_t mem_len;
	uint64_t arg1, arg2;               /* entry arguments: BPF r1 (x0), r2 (x1) */
	bvc_helper_fn (*helper)(void *ctx, int32_t id); /* as the interpreter's */
	void *helper_ctx;
	const uint8_t *packet;             /* LD_ABS/LD_IND bytes; may be NULL */
	size_t packet_len;
	/* out */
	uint64_t r0;                       /* x0 when the entry returned */
	uint64_t helper_calls;             /* helpers and intrinsics run */
	char err[256];                     /* why the run failed */
};

/* Run @r->jit in a fresh unicorn instance. Returns 0 with r0 set, or -1
 * with err set (emulator fault, unknown helper, timeout, no return). */
int emu_run(struct emu_run *r);

/* Compile @insns with bvc_jit_arm64 directly, as a verifier would pass
 * them: an accepted verdict without facts and @stack_depth. */
int emu_compile(const struct bvc_insn *insns, size_t cnt, uint32_t stack_depth,
		struct bvc_jit_result *out, char *err, size_t errsz);

/* Free what emu_compile() put in @res (not @res itself). */
void emu_release(struct bvc_jit_result *res);

#endif
