// SPDX-License-Identifier: MIT
/*
 * Unicorn harness for the arm64 back end (see emu.h). One emulator per
 * run, so no translated code outlives the program it came from.
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
#define TIMEOUT_US (20u * 1000u * 1000u)
#define A64_RET 0xd65f03c0u

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

/* The first instruction of a helper slot: run the helper in C. The slot's
 * RET then returns to the JITed code. */
static void on_helper(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	static const int argregs[5] = { UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2,
					UC_ARM64_REG_X3, UC_ARM64_REG_X4 };
	struct emu_run *r = user;
	uint64_t a[5], res = 0;
	int k;

	for (k = 0; k < 5; k++)
		uc_reg_read(uc, argregs[k], &a[k]);
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
	uc_reg_write(uc, UC_ARM64_REG_X0, &res);
}

/* AAPCS64 callee-saved registers: the entry must give them back. */
static const int saved_regs[] = {
	UC_ARM64_REG_X19, UC_ARM64_REG_X20, UC_ARM64_REG_X21, UC_ARM64_REG_X22,
	UC_ARM64_REG_X23, UC_ARM64_REG_X24, UC_ARM64_REG_X25, UC_ARM64_REG_X26,
	UC_ARM64_REG_X27, UC_ARM64_REG_X28, UC_ARM64_REG_X29,
};
#define N_SAVED (sizeof(saved_regs) / sizeof(saved_regs[0]))

static uint64_t saved_pattern(size_t k)
{
	return UINT64_C(0x5a5a000000000000) | (uint64_t)(19 + k) << 32 | (uint64_t)(19 + k);
}

/* The value the device would put in relocation @rl's slot. */
static int reloc_value(struct emu_run *r, const struct bvc_reloc *rl, uint64_t *v)
{
	switch (rl->kind) {
	case BVC_RELOC_HELPER:
		if (rl->target >= 1024)
			break;
		*v = EMU_HELPERS + 4 * (uint64_t)rl->target;
		return 0;
	case BVC_RELOC_RUNTIME:
		if (rl->target >= 1024)
			break;
		*v = EMU_RUNTIME + 4 * (uint64_t)rl->target;
		return 0;
	case BVC_RELOC_MAP:
		*v = EMU_MAP_ADDR(rl->target);
		return 0;
	case BVC_RELOC_MAP_VALUE:
		*v = EMU_MAP_VALUE_ADDR(rl->target, rl->addend);
		return 0;
	}
	set_err(r, "relocation kind %u target %u not known to the harness", rl->kind, rl->target);
	return -1;
}

int emu_run(struct emu_run *r)
{
	const struct bvc_jit_result *jit = r->jit;
	uint32_t rets[2 * PAGE / 4];
	uc_engine *uc = NULL;
	uint8_t *code = NULL;
	uc_hook hook;
	uint64_t v, pc = 0;
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

	e = uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc);
	if (e != UC_ERR_OK) {
		set_err(r, "uc_open: %s", uc_strerror(e));
		goto out;
	}
	for (k = 0; k < sizeof(rets) / sizeof(rets[0]); k++)
		rets[k] = A64_RET; /* little-endian host, little-endian guest */
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
	v = EMU_STACK + STACK_SIZE;
	uc_reg_write(uc, UC_ARM64_REG_SP, &v);
	v = EMU_SENTINEL;
	uc_reg_write(uc, UC_ARM64_REG_X30, &v);
	uc_reg_write(uc, UC_ARM64_REG_X0, &r->arg1);
	uc_reg_write(uc, UC_ARM64_REG_X1, &r->arg2);
	for (k = 0; k < N_SAVED; k++) {
		v = saved_pattern(k);
		uc_reg_write(uc, saved_regs[k], &v);
	}

	e = uc_emu_start(uc, EMU_CODE + jit->entry_off, EMU_SENTINEL, TIMEOUT_US, 0);
	uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
	if (e != UC_ERR_OK) {
		set_err(r, "emulation: %s at pc 0x%llx (code + 0x%llx)", uc_strerror(e),
			(unsigned long long)pc, (unsigned long long)(pc - EMU_CODE));
		goto out;
	}
	if (r->err[0])
		goto out;
	if (pc != EMU_SENTINEL) {
		set_err(r, "stopped at pc 0x%llx (code + 0x%llx), not at the return address%s",
			(unsigned long long)pc, (unsigned long long)(pc - EMU_CODE),
			" (timeout?)");
		goto out;
	}
	uc_reg_read(uc, UC_ARM64_REG_X0, &r->r0);
	v = 0;
	uc_reg_read(uc, UC_ARM64_REG_SP, &v);
	if (v != EMU_STACK + STACK_SIZE) {
		set_err(r, "sp 0x%llx after return, expected 0x%llx", (unsigned long long)v,
			(unsigned long long)(EMU_STACK + STACK_SIZE));
		goto out;
	}
	for (k = 0; k < N_SAVED; k++) {
		v = 0;
		uc_reg_read(uc, saved_regs[k], &v);
		if (v != saved_pattern(k)) {
			set_err(r, "callee-saved x%zu is 0x%llx after return, was 0x%llx", 19 + k,
				(unsigned long long)v, (unsigned long long)saved_pattern(k));
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
	rc = bvc_jit_arm64(NULL, prog, insns, cnt, &v, out, err, errsz);
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
