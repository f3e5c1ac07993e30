/* SPDX-License-Identifier: MIT */
/*
 * Running thumbv7m JIT output in unicorn (ARM, Thumb, M class, Cortex-M4),
 * for the thumbv7m back-end tests.
 *
 * The code is mapped at EMU_CODE with its relocations filled: helpers and
 * runtime intrinsics point into a "helper page" of BX LR instructions
 * whose first instruction is hooked, so the helper runs in C (AAPCS: r0:r1,
 * r2:r3, then three doublewords on the stack; r0:r1 out) and the BX LR
 * takes the JITed code back; maps and map values get fixed fake 32-bit
 * addresses. The entry is called as AAPCS `uint64_t entry(void *ctx,
 * uint64_t len)` (r0, r2:r3) with lr = a sentinel; the run ends when the
 * PC reaches it, and SP and r4-r11 must be what they were at the call.
 */
#ifndef BVC_TEST_THUMB_EMU_H
#define BVC_TEST_THUMB_EMU_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/interp.h"
#include "bpfvc/jitter.h"

#define EMU_CODE 0x00100000u    /* code (up to 1 MiB + pool) */
#define EMU_HELPERS 0x00080000u /* helper page: 4 bytes per helper id < 1024 */
#define EMU_RUNTIME 0x00081000u /* intrinsic page: 4 bytes per enum bvc_rt_fn */
#define EMU_MEM 0x20000000u     /* the test's memory buffer */
#define EMU_STACK 0x30000000u   /* 1 MiB of stack below EMU_STACK + 1 MiB */
#define EMU_SENTINEL 0x0ff00000u /* return address of the entry */
#define EMU_MAP_ADDR(idx) (0x50000000u + (uint32_t)(idx) * 0x10000u)
#define EMU_MAP_VALUE_ADDR(idx, addend) \
	(0x60000000u + (uint32_t)(idx) * 0x10000u + (uint32_t)(int32_t)(addend))

struct emu_run {
	/* in */
	const struct bvc_jit_result *jit;  /* code and relocations */
	uint8_t *mem;                      /* mapped at EMU_MEM, copied back; may be NULL */
	size_t mem_len;
	uint32_t arg1;                     /* entry argument BPF r1 (r0): a 32-bit address */
	uint64_t arg2;                     /* entry argument BPF r2 (r2:r3) */
	bvc_helper_fn (*helper)(void *ctx, int32_t id); /* as the interpreter's */
	void *helper_ctx;
	uint32_t prog_array;               /* what BVC_RELOC_PROG_ARRAY slots get (an
					    * address in @mem); 0: refuse them */
	const uint8_t *packet;             /* LD_ABS/LD_IND bytes; may be NULL */
	size_t packet_len;
	/* out */
	uint64_t r0;                       /* r0:r1 when the entry returned */
	uint64_t helper_calls;             /* helpers and intrinsics run */
	char err[256];                     /* why the run failed */
};

/* Run @r->jit in a fresh unicorn instance. Returns 0 with r0 set, or -1
 * with err set (emulator fault, unknown helper, timeout, no return). */
int emu_run(struct emu_run *r);

/* Compile @insns with bvc_jit_thumbv7m directly, as a verifier would pass
 * them: an accepted verdict without facts and @stack_depth. */
int emu_compile(const struct bvc_insn *insns, size_t cnt, uint32_t stack_depth,
		struct bvc_jit_result *out, char *err, size_t errsz);

/* Free what emu_compile() put in @res (not @res itself). */
void emu_release(struct bvc_jit_result *res);

#endif
