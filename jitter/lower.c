// SPDX-License-Identifier: MIT
/*
 * Lowering: the verified bytecode, rewritten for the device ABI
 * (bpfvc/devabi.h) before any back end sees it, as the kernel's
 * convert_ctx_accesses does before its JIT. Every load of a UAPI packet
 * pointer field (32 bits in struct __sk_buff / xdp_md) becomes a 64-bit
 * load of the device's pointer after the UAPI struct, and every
 * instruction no path reached becomes `ja -1`, as the kernel's
 * sanitize_dead_code does: the verifier checks reserved fields and
 * registers on reachable paths only, so dead code may hold anything (r15,
 * a write to r10) and no back end may ever see it as written. Everything
 * else is unchanged, so back ends and the interpreter run the same
 * instructions.
 *
 * Must not: change the instruction count (jump offsets stay valid) or
 * trust anything the verifier's facts do not state.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/devabi.h"
#include "jitter_internal.h"

/* Where the device keeps the pointer for UAPI field offset @off of @type's
 * context, or -1 when @off is not a packet pointer field. */
static bool is_skb_ctx(uint32_t type)
{
	return type == BVC_PROG_SOCKET_FILTER || type == BVC_PROG_SCHED_CLS ||
	       type == BVC_PROG_SCHED_ACT || type == BVC_PROG_CGROUP_SKB;
}

static int devctx_pointer(uint32_t type, uint16_t off)
{
	switch (type) {
	case BVC_PROG_XDP:
		if (off == BVC_UAPI_XDP_DATA)
			return BVC_DEVCTX_XDP_PTRS + BVC_DEVCTX_DATA;
		if (off == BVC_UAPI_XDP_DATA_END)
			return BVC_DEVCTX_XDP_PTRS + BVC_DEVCTX_DATA_END;
		if (off == BVC_UAPI_XDP_DATA_META)
			return BVC_DEVCTX_XDP_PTRS + BVC_DEVCTX_DATA_META;
		return -1;
	case BVC_PROG_SOCKET_FILTER:
	case BVC_PROG_SCHED_CLS:
	case BVC_PROG_SCHED_ACT:
	case BVC_PROG_CGROUP_SKB:
		if (off == BVC_UAPI_SKB_DATA)
			return BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA;
		if (off == BVC_UAPI_SKB_DATA_END)
			return BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA_END;
		if (off == BVC_UAPI_SKB_DATA_META)
			return BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA_META;
		return -1;
	}
	return -1;
}

/* The program types a device gives a context to (bpfvc/devabi.h). The
 * verifier models more (sk_msg, sockopt, sock_addr, ...): their contexts
 * hold kernel pointers a device cannot provide, so they are verify-only. */
static bool has_device_ctx(uint32_t type)
{
	switch (type) {
	case BVC_PROG_SOCKET_FILTER:
	case BVC_PROG_KPROBE:
	case BVC_PROG_SCHED_CLS:
	case BVC_PROG_SCHED_ACT:
	case BVC_PROG_TRACEPOINT:
	case BVC_PROG_XDP:
	case BVC_PROG_PERF_EVENT:
	case BVC_PROG_CGROUP_SKB:
	case BVC_PROG_RAW_TRACEPOINT:
		return true;
	default:
		return false;
	}
}

/* What an unreachable instruction becomes: a jump to itself, which every
 * back end and the interpreter translate, and which no path reaches. */
static const struct bvc_insn dead_insn = { .code = BVC_JMP | BVC_JA, .off = -1 };

int bvc_jit_lower(const struct bvc_prog *prog, const struct bvc_verdict *verdict,
		  struct bvc_insn **out, char *err, size_t errsz)
{
	struct bvc_insn *insns;

	if (!bvc_verdict_accepted(verdict) || verdict->fact_cnt != prog->insn_cnt) {
		snprintf(err, errsz, "%s: not an accepted program with facts", prog->name);
		return -EINVAL;
	}
	if (!has_device_ctx(prog->type)) {
		snprintf(err, errsz, "%s: program type %u is verify-only (no device context)",
			 prog->name, prog->type);
		return -EOPNOTSUPP;
	}
	insns = malloc(prog->insn_cnt * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	memcpy(insns, prog->insns, prog->insn_cnt * sizeof(*insns));
	for (size_t i = 0; i < prog->insn_cnt; i++) {
		const struct bvc_insn_fact *f = &verdict->facts[i];
		struct bvc_insn *insn = &insns[i];
		int dev;

		if (!f->seen) {
			*insn = dead_insn;
			continue;
		}
		if (bvc_insn_is_ld_imm64(insn) && i + 1 < prog->insn_cnt) {
			i++; /* its second half is never "seen" on its own */
			continue;
		}
		if (BVC_FACT_IS_SOCK(f->mem_base) ||
		    (f->mem_base == BVC_FACT_CTX && is_skb_ctx(prog->type) &&
		     f->ctx_field_off == BVC_UAPI_SKB_SK)) {
			/* A socket exists in the kernel only: the device's
			 * __sk_buff has no sk to load or read through. */
			free(insns);
			snprintf(err, errsz, "%s: insn %zu: socket access is verify-only", prog->name, i);
			return -EOPNOTSUPP;
		}
		if (f->mem_base != BVC_FACT_CTX)
			continue;
		if (bvc_insn_class(insn) != BVC_LDX)
			continue; /* stores go to plain UAPI bytes */
		dev = devctx_pointer(prog->type, f->ctx_field_off);
		if (dev < 0)
			continue;
		if (bvc_insn_size(insn) != BVC_W || insn->off != f->ctx_field_off ||
		    bvc_insn_mode(insn) != BVC_MEM) {
			/* The verifier only lets whole 4-byte loads of these. */
			free(insns);
			snprintf(err, errsz, "%s: insn %zu: unexpected access to a packet pointer field",
				 prog->name, i);
			return -EINVAL;
		}
		insn->code = BVC_LDX | BVC_MEM | BVC_DW;
		insn->off = (int16_t)dev;
	}
	*out = insns;
	return 0;
}
