// SPDX-License-Identifier: MIT
/*
 * Unicorn harness for the thumbv7m back end (see emu.h). One emulator per
 * run, so no translated code outlives the program it came from. The CPU
 * is a Cortex-M4 in privileged thread mode, as after reset.
 *
 * Must not: trust the code under test (every fault is an error message,
 * a runaway program hits the timeout) or print.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "emu.h"
#include "jitter_internal.h"

#define PAGE 0x1000u
#define STACK_SIZE 0x100000u
#define TIMEOUT_US (2u * 1000u * 1000u)
#define T_BX_LR 0x4770u

static size_t page_up(size_t n)
{
	return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

static void set_err(struct emu_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct emu_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* LD_ABS/LD_IND intrinsic: as the reference interpreter reads its packet. */
static uint64_t ld_pkt(const struct emu_run *r, int64_t off, int n)
{
	uint64_t v = 0;
	int k;

	if (off < 0 || !r->packet || (uint64_t)off > r->packet_len ||
	    r->packet_len - (uint64_t)off < (uint64_t)n)
		return (uint64_t)-1;
	for (k = 0; k < n; k++)
		v = (v << 8) | r->packet[off + k];
	return v;
}

static uint32_t reg32(uc_engine *uc, int reg)
{
	uint32_t v = 0;

	uc_reg_read(uc, reg, &v);
	return v;
}

/* The first instruction of a helper slot: run the helper in C. The slot's
 * BX LR then returns to the JITed code. */
static void on_helper(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct emu_run *r = user;
	uint64_t a[5], res = 0;
	uint32_t sp = reg32(uc, UC_ARM_REG_SP), lo, hi;
	uint8_t stk[24];
	int k;

	a[0] = reg32(uc, UC_ARM_REG_R0) | (uint64_t)reg32(uc, UC_ARM_REG_R1) << 32;
	a[1] = reg32(uc, UC_ARM_REG_R2) | (uint64_t)reg32(uc, UC_ARM_REG_R3) << 32;
	if (uc_mem_read(uc, sp, stk, sizeof(stk)) != UC_ERR_OK) {
		set_err(r, "helper at 0x%llx: stack 0x%x unreadable", (unsigned long long)addr, sp);
		uc_emu_stop(uc);
		return;
	}
	for (k = 0; k < 3; k++) {
		a[2 + k] = 0;
		for (int b = 7; b >= 0; b--)
			a[2 + k] = a[2 + k] << 8 | stk[8 * k + b];
	}
	if (sp & 7) {
		set_err(r, "helper called with sp 0x%x (AAPCS wants 8-byte alignment)", sp);
		uc_emu_stop(uc);
		return;
	}
	r->helper_calls++;
	if (addr >= EMU_RUNTIME) {
		uint64_t fn = (addr - EMU_RUNTIME) / 4;

		switch (fn) {
		case BVC_RT_LD_ABS_B: res = ld_pkt(r, (int64_t)a[1], 1); break;
		case BVC_RT_LD_ABS_H: res = ld_pkt(r, (int64_t)a[1], 2); break;
		case BVC_RT_LD_ABS_W: res = ld_pkt(r, (int64_t)a[1], 4); break;
		default:
			set_err(r, "unknown runtime intrinsic %llu", (unsigned long long)fn);
			uc_emu_stop(uc);
			return;
		}
	} else {
		int32_t id = (int32_t)((addr - EMU_HELPERS) / 4);
		bvc_helper_fn fn = r->helper ? r->helper(r->helper_ctx, id) : NULL;

		if (!fn) {
			set_err(r, "unknown helper %d", id);
			uc_emu_stop(uc);
			return;
		}
		res = fn(r->helper_ctx, a[0], a[1], a[2], a[3], a[4]);
	}
	lo = (uint32_t)res;
	hi = (uint32_t)(res >> 32);
	uc_reg_write(uc, UC_ARM_REG_R0, &lo);
	uc_reg_write(uc, UC_ARM_REG_R1, &hi);
}

/* AAPCS callee-saved registers: the entry must give them back. */
static const int saved_regs[] = {
	UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
	UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
};
#define N_SAVED (sizeof(saved_regs) / sizeof(saved_regs[0]))

static uint32_t saved_pattern(size_t k)
{
	return 0x5a5a0000u | (uint32_t)(4 + k) << 8 | (uint32_t)(4 + k);
}

/* The value the device would put in relocation @rl's slot: a 32-bit
 * address, Thumb functions with bit 0 set. */
static int reloc_value(struct emu_run *r, const struct bvc_reloc *rl, uint64_t *v)
{
	switch (rl->kind) {
	case BVC_RELOC_HELPER:
		if (rl->target >= 1024)
			break;
		*v = (EMU_HELPERS + 4 * (uint64_t)rl->target) | 1;
		return 0;
	case BVC_RELOC_RUNTIME:
		if (rl->target >= 1024)
			break;
		*v = (EMU_RUNTIME + 4 * (uint64_t)rl->target) | 1;
		return 0;
	case BVC_RELOC_MAP:
		*v = EMU_MAP_ADDR(rl->target);
		return 0;
	case BVC_RELOC_MAP_VALUE:
		*v = EMU_MAP_VALUE_ADDR(rl->target, rl->addend);
		return 0;
	case BVC_RELOC_PROG_ARRAY:
		if (!r->prog_array)
			break;
		*v = r->prog_array;
		return 0;
	}
	set_err(r, "relocation kind %u target %u not known to the harness", rl->kind, rl->target);
	return -1;
}

int emu_run(struct emu_run *r)
{
	const struct bvc_jit_result *jit = r->jit;
	uint16_t rets[2 * PAGE / 2];
	uc_engine *uc = NULL;
	uint8_t *code = NULL;
	uc_hook hook;
	uint64_t v;
	uint32_t w, pc = 0;
	uc_err e;
	size_t k;
	int rc = -1;

	r->err[0] = '\0';
	r->r0 = 0;
	r->helper_calls = 0;
	if (!jit || !jit->code || !jit->code_size || jit->entry_off >= jit->code_size) {
		set_err(r, "no code");
		return -1;
	}
	code = malloc(jit->code_size);
	if (!code) {
		set_err(r, "out of memory");
		return -1;
	}
	memcpy(code, jit->code, jit->code_size);
	for (k = 0; k < jit->reloc_cnt; k++) {
		const struct bvc_reloc *rl = &jit->relocs[k];
		int b;

		if (rl->offset % 8 || (size_t)rl->offset + 8 > jit->code_size) {
			set_err(r, "relocation %zu at %u: misaligned or outside the code", k, rl->offset);
			goto out;
		}
		if (reloc_value(r, rl, &v))
			goto out;
		for (b = 0; b < 8; b++)
			code[rl->offset + b] = (uint8_t)(v >> (8 * b));
	}

	e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc);
	if (e != UC_ERR_OK) {
		set_err(r, "uc_open: %s", uc_strerror(e));
		goto out;
	}
	e = uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
	if (e != UC_ERR_OK) {
		set_err(r, "cortex-m4: %s", uc_strerror(e));
		goto out;
	}
	for (k = 0; k < sizeof(rets) / sizeof(rets[0]); k++)
		rets[k] = (k & 1) ? 0xbf00 : T_BX_LR; /* bx lr; nop (little-endian host) */
	if ((e = uc_mem_map(uc, EMU_CODE, page_up(jit->code_size), UC_PROT_READ | UC_PROT_EXEC)) ||
	    (e = uc_mem_write(uc, EMU_CODE, code, jit->code_size)) ||
	    (e = uc_mem_map(uc, EMU_HELPERS, 2 * PAGE, UC_PROT_READ | UC_PROT_EXEC)) ||
	    (e = uc_mem_write(uc, EMU_HELPERS, rets, sizeof(rets))) ||
	    (e = uc_mem_map(uc, EMU_STACK, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE)) ||
	    (e = uc_mem_map(uc, EMU_SENTINEL, PAGE, UC_PROT_READ | UC_PROT_EXEC))) {
		set_err(r, "mapping: %s", uc_strerror(e));
		goto out;
	}
	if (r->mem && r->mem_len) {
		if ((e = uc_mem_map(uc, EMU_MEM, page_up(r->mem_len), UC_PROT_READ | UC_PROT_WRITE)) ||
		    (e = uc_mem_write(uc, EMU_MEM, r->mem, r->mem_len))) {
			set_err(r, "mapping memory: %s", uc_strerror(e));
			goto out;
		}
	}
	e = uc_hook_add(uc, &hook, UC_HOOK_CODE, (void *)on_helper, r, EMU_HELPERS,
			EMU_HELPERS + 2 * PAGE - 1);
	if (e) {
		set_err(r, "uc_hook_add: %s", uc_strerror(e));
		goto out;
	}
	w = EMU_STACK + STACK_SIZE;
	uc_reg_write(uc, UC_ARM_REG_SP, &w);
	w = EMU_SENTINEL | 1;
	uc_reg_write(uc, UC_ARM_REG_LR, &w);
	uc_reg_write(uc, UC_ARM_REG_R0, &r->arg1);
	w = 0x11111111; /* the second argument is in r2:r3, not r1 */
	uc_reg_write(uc, UC_ARM_REG_R1, &w);
	w = (uint32_t)r->arg2;
	uc_reg_write(uc, UC_ARM_REG_R2, &w);
	w = (uint32_t)(r->arg2 >> 32);
	uc_reg_write(uc, UC_ARM_REG_R3, &w);
	for (k = 0; k < N_SAVED; k++) {
		w = saved_pattern(k);
		uc_reg_write(uc, saved_regs[k], &w);
	}

	e = uc_emu_start(uc, (EMU_CODE + jit->entry_off) | 1, EMU_SENTINEL, TIMEOUT_US, 0);
	pc = reg32(uc, UC_ARM_REG_PC);
	if (e != UC_ERR_OK) {
		set_err(r, "emulation: %s at pc 0x%x (code + 0x%x)", uc_strerror(e), pc,
			pc - EMU_CODE);
		goto out;
	}
	if (r->err[0])
		goto out;
	if (pc != EMU_SENTINEL) {
		set_err(r, "stopped at pc 0x%x (code + 0x%x), not at the return address (timeout?)",
			pc, pc - EMU_CODE);
		goto out;
	}
	r->r0 = reg32(uc, UC_ARM_REG_R0) | (uint64_t)reg32(uc, UC_ARM_REG_R1) << 32;
	w = reg32(uc, UC_ARM_REG_SP);
	if (w != EMU_STACK + STACK_SIZE) {
		set_err(r, "sp 0x%x after return, expected 0x%x", w, EMU_STACK + STACK_SIZE);
		goto out;
	}
	for (k = 0; k < N_SAVED; k++) {
		w = reg32(uc, saved_regs[k]);
		if (w != saved_pattern(k)) {
			set_err(r, "callee-saved r%zu is 0x%x after return, was 0x%x", 4 + k, w,
				saved_pattern(k));
			goto out;
		}
	}
	if (r->mem && r->mem_len && (e = uc_mem_read(uc, EMU_MEM, r->mem, r->mem_len))) {
		set_err(r, "reading memory back: %s", uc_strerror(e));
		goto out;
	}
	rc = 0;
out:
	if (uc)
		uc_close(uc);
	free(code);
	return rc;
}

int emu_compile(const struct bvc_insn *insns, size_t cnt, uint32_t stack_depth,
		struct bvc_jit_result *out, char *err, size_t errsz)
{
	struct bvc_verdict v;
	struct bvc_prog *prog;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	v.kind = BVC_ACCEPT;
	v.stack_depth = stack_depth;
	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	snprintf(prog->name, sizeof(prog->name), "test");
	prog->insns = (struct bvc_insn *)insns;
	prog->insn_cnt = cnt;
	prog->main_cnt = cnt;
	rc = bvc_jit_thumbv7m(NULL, prog, insns, cnt, &v, out, err, errsz);
	free(prog);
	return rc;
}

void emu_release(struct bvc_jit_result *res)
{
	free(res->code);
	free(res->relocs);
	free(res->lowered);
	memset(res, 0, sizeof(*res));
}
