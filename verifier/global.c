// SPDX-License-Identifier: MIT
/*
 * Global functions, as the kernel verifies them (6.12: check_func_call,
 * btf_prepare_func_args, btf_check_func_arg_match, do_check_subprogs).
 *
 * A function with global linkage in BTF is not explored in its caller's
 * context. Its BTF prototype types each argument: an integer or enum is
 * any scalar, a pointer to the program type's context struct (or one
 * tagged __arg_ctx) is the context, any other pointer is memory of the
 * pointee's BTF size, which may be NULL unless tagged __arg_nonnull. A
 * call checks that the caller's registers fit those types ("Func#N ('f')
 * is global and assumed valid."), then goes on with r1-r5 clobbered and r0
 * an unknown scalar. The function itself is verified once, after the main
 * program, starting from those types alone in frame 0 ("Validating f()
 * func#N..."); only functions some explored path called are verified, in
 * the kernel's order (passes over the functions in index order until a
 * pass finds none newly called). At its exit r0 must be a scalar.
 *
 * Memory a caller passes must be readable and writable for the whole BTF
 * size (the callee may do either), so the caller's stack bytes there are
 * some bytes afterwards: a pointer spilled there is gone. Where the kernel
 * lets a known NULL through to an argument tagged non-NULL, we reject.
 *
 * Not modelled, refused as unsupported: __arg_trusted, __arg_arena and
 * bpf_dynptr arguments.
 *
 * Splitting: a global function's states carry the function in frame 0
 * (bvc_frame.subprog), so they move between engines as any state. Each
 * engine verifies the functions its own paths called; an engine does not
 * report an accepted item done while functions it called are unverified
 * (bvc_global_work_left), so a lost worker's calls are found again by
 * whoever explores its items anew.
 */
#include <errno.h>
#include <stdio.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <string.h>

#include "engine_internal.h"

#define GLOBAL_CALLED 1u   /* a path called it */
#define GLOBAL_VERIFIED 2u /* its verification started in this engine */

/* What an argument of a global function is (the kernel's subset). */
enum garg_type {
	GARG_SCALAR = 1, /* ARG_ANYTHING */
	GARG_CTX,        /* ARG_PTR_TO_CTX */
	GARG_MEM,        /* ARG_PTR_TO_MEM, maybe NULL unless non-null */
};

struct garg {
	enum garg_type type;
	bool nullable;     /* GARG_MEM: may be NULL */
	uint32_t mem_size; /* GARG_MEM: bytes */
};

const struct bvc_func_info *bvc_func_info_of(const struct bvc_env *env, uint32_t sp)
{
	if (sp >= env->nsubprogs)
		return NULL;
	for (size_t i = 0; i < env->prog->func_cnt; i++)
		if (env->prog->funcs[i].insn == env->subprogs[sp].start)
			return &env->prog->funcs[i];
	return NULL;
}

bool bvc_is_global_subprog(const struct bvc_env *env, uint32_t sp)
{
	const struct bvc_func_info *fi = bvc_func_info_of(env, sp);

	return sp && fi && fi->linkage == BVC_FUNC_GLOBAL;
}

bool bvc_is_global_call(const struct bvc_env *env, uint32_t idx)
{
	uint32_t target = (uint32_t)((int64_t)idx + env->insns[idx].imm + 1), sp = 0;

	while (sp + 1 < env->nsubprogs && env->subprogs[sp + 1].start <= target)
		sp++;
	return env->subprogs[sp].start == target && bvc_is_global_subprog(env, sp);
}

/* The context struct of a program type as its BTF names it (the kernel's
 * include/linux/bpf_types.h, 6.12), "" for types without one (only
 * __arg_ctx marks their context arguments). KPROBE's is a typedef of
 * struct pt_regs. */
static const char *ctx_struct_name(uint32_t prog_type)
{
	switch (prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
	case BPF_PROG_TYPE_LWT_SEG6LOCAL:
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_FLOW_DISSECTOR: return "__sk_buff";
	case BPF_PROG_TYPE_XDP: return "xdp_md";
	case BPF_PROG_TYPE_CGROUP_SOCK: return "bpf_sock";
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR: return "bpf_sock_addr";
	case BPF_PROG_TYPE_SOCK_OPS: return "bpf_sock_ops";
	case BPF_PROG_TYPE_SK_MSG: return "sk_msg_md";
	case BPF_PROG_TYPE_KPROBE: return "pt_regs";
	case BPF_PROG_TYPE_PERF_EVENT: return "bpf_perf_event_data";
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: return "bpf_raw_tracepoint_args";
	case BPF_PROG_TYPE_CGROUP_DEVICE: return "bpf_cgroup_dev_ctx";
	case BPF_PROG_TYPE_CGROUP_SYSCTL: return "bpf_sysctl";
	case BPF_PROG_TYPE_CGROUP_SOCKOPT: return "bpf_sockopt";
	case BPF_PROG_TYPE_SK_REUSEPORT: return "sk_reuseport_md";
	case BPF_PROG_TYPE_SK_LOOKUP: return "bpf_sk_lookup";
	default: return "";
	}
}

static bool is_struct_kind(uint8_t kind)
{
	return kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION;
}

/* btf_is_prog_ctx_type: a pointer to the program's context struct, by
 * name (the kernel compares names, not fields). */
static bool is_ctx_arg(const struct bvc_env *env, const struct bvc_func_arg *a)
{
	const char *ctx = ctx_struct_name(env->prog->type);

	if (env->prog->type == BPF_PROG_TYPE_KPROBE &&
	    !strcmp(a->pointee_typedef, "bpf_user_pt_regs_t"))
		return true;
	if (!is_struct_kind(a->pointee_kind) || !a->pointee_name[0] || !ctx[0])
		return false;
	/* KPROBE's context is the typedef bpf_user_pt_regs_t: its name
	 * matches as well as the struct's (a struct of that name too). */
	if (env->prog->type == BPF_PROG_TYPE_KPROBE && !strcmp(a->pointee_name, "bpf_user_pt_regs_t"))
		return true;
	/* The kernel's own structs the UAPI ones project. */
	if ((!strcmp(ctx, "__sk_buff") && !strcmp(a->pointee_name, "sk_buff")) ||
	    (!strcmp(ctx, "xdp_md") && !strcmp(a->pointee_name, "xdp_buff")))
		return true;
	return !strcmp(ctx, a->pointee_name);
}

/* btf_validate_prog_ctx_type: what an __arg_ctx pointer may point to. */
static int check_ctx_tag(struct bvc_env *env, const struct bvc_func_arg *a, uint32_t i)
{
	uint32_t type = env->prog->type;
	bool u64 = a->pointee_kind == BTF_KIND_INT && a->pointee_size == 8;
	bool is_struct = a->pointee_kind == BTF_KIND_STRUCT;
	const char *ctx = ctx_struct_name(type);

	if ((type == BPF_PROG_TYPE_KPROBE || type == BPF_PROG_TYPE_PERF_EVENT) &&
	    !strcmp(a->pointee_typedef, "bpf_user_pt_regs_t"))
		return 0;
	if (a->pointee_kind == 0)
		return 0; /* void *: always */
	if (!a->pointee_name[0])
		return bvc_vrej(env, "arg#%u type doesn't have a name", i);
	switch (type) {
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_PERF_EVENT:
		/* x86_64: bpf_user_pt_regs_t is struct pt_regs. */
		if (is_struct && !strcmp(a->pointee_name, "pt_regs"))
			return 0;
		break;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
	case BPF_PROG_TYPE_LSM:
	case BPF_PROG_TYPE_STRUCT_OPS:
		if (u64)
			return 0;
		break;
	case BPF_PROG_TYPE_TRACING:
		/* Depends on the attach type: not a type we verify. */
		return bvc_vunsup(env, "__arg_ctx in a tracing program");
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_SYSCALL:
	case BPF_PROG_TYPE_EXT:
		return 0;
	default:
		break;
	}
	if (!ctx[0])
		return bvc_vrej(env, "arg#%u should be void pointer", i);
	if (!is_struct || strcmp(ctx, a->pointee_name))
		return bvc_vrej(env, "arg#%u should be `struct %s *`", i, ctx);
	return 0;
}

static const char *btf_kind_str(uint8_t kind)
{
	static const char *const names[] = {
		"UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF",
		"VOLATILE", "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT",
		"DECL_TAG", "TYPE_TAG", "ENUM64",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "UNKNOWN";
}

/* btf_prepare_func_args for global function @sp: its arguments' types in
 * @args (@nargs of them), or a rejection at the current instruction. */
static int prepare_args(struct bvc_env *env, uint32_t sp, struct garg *args, uint32_t *nargs)
{
	const struct bvc_func_info *fi = bvc_func_info_of(env, sp);

	if (!fi)
		return bvc_vbug(env, "global function #%u without func_info", sp);
	if (fi->arg_cnt > BVC_FUNC_MAX_ARGS)
		return bvc_vrej(env, "Global function %s() with %u > %d args. Buggy compiler.", fi->name,
				fi->arg_cnt, BVC_FUNC_MAX_ARGS);
	if (!fi->ret_scalar)
		return bvc_vrej(env, "Global function %s() doesn't return scalar. Only those are supported.",
				fi->name);
	for (uint32_t i = 0; i < fi->arg_cnt; i++) {
		const struct bvc_func_arg *a = &fi->args[i];
		uint8_t tags = a->tags;
		int err;

		if (tags & BVC_ARG_TAG_UNKNOWN)
			return bvc_vrej(env, "arg#%u has unsupported set of tags", i);
		if (a->kind != BVC_BTF_ARG_PTR) {
			if (tags)
				return bvc_vrej(env, "arg#%u has pointer tag, but is not a pointer type", i);
			if (a->kind != BVC_BTF_ARG_INT)
				return bvc_vrej(env, "Arg#%u type %s in %s() is not supported yet.", i,
						btf_kind_str(a->btf_kind), fi->name);
			args[i] = (struct garg){ .type = GARG_SCALAR };
			continue;
		}
		if ((tags & BVC_ARG_TAG_CTX) || is_ctx_arg(env, a)) {
			if (tags & ~BVC_ARG_TAG_CTX)
				return bvc_vrej(env, "arg#%u has invalid combination of tags", i);
			if (tags & BVC_ARG_TAG_CTX) {
				err = check_ctx_tag(env, a, i);
				if (err)
					return err;
			}
			args[i] = (struct garg){ .type = GARG_CTX };
			continue;
		}
		if ((a->pointee_kind == BTF_KIND_STRUCT ||
		     (a->pointee_kind == BTF_KIND_FWD && !a->pointee_kflag)) &&
		    !strcmp(a->pointee_name, "bpf_dynptr")) {
			if (tags)
				return bvc_vrej(env, "arg#%u has invalid combination of tags", i);
			return bvc_vunsup(env, "bpf_dynptr argument of global function %s()", fi->name);
		}
		if (tags & BVC_ARG_TAG_TRUSTED) {
			if (tags & BVC_ARG_TAG_NONNULL)
				return bvc_vrej(env, "arg#%u has invalid combination of tags", i);
			return bvc_vunsup(env, "__arg_trusted argument of global function %s()", fi->name);
		}
		if (tags & BVC_ARG_TAG_ARENA) {
			if (tags & ~BVC_ARG_TAG_ARENA)
				return bvc_vrej(env, "arg#%u arena cannot be combined with any other tags", i);
			return bvc_vunsup(env, "__arg_arena argument of global function %s()", fi->name);
		}
		if (tags & BVC_ARG_TAG_NULLABLE)
			return bvc_vrej(env, "arg#%u has invalid combination of tags", i);
		if (a->pointee_size < 0 || a->pointee_size > UINT32_MAX)
			return bvc_vrej(env, "arg#%u reference type('%s %s') size cannot be determined: %d", i,
					btf_kind_str(a->pointee_kind), a->pointee_name, -EINVAL);
		args[i] = (struct garg){ .type = GARG_MEM,
					 .nullable = !(tags & BVC_ARG_TAG_NONNULL),
					 .mem_size = (uint32_t)a->pointee_size };
	}
	*nargs = fi->arg_cnt;
	return 0;
}

/* Does function @sp call, itself or below, a helper that changes packet
 * data? (The kernel's changes_pkt_data, found by its CFG walk.) The call
 * graph has no cycles (cfg.c), @depth bounds it anyway. */
static bool changes_pkt_data(const struct bvc_env *env, uint32_t sp, uint32_t depth)
{
	if (depth > BVC_MAX_FUNCS)
		return true;
	for (uint32_t i = env->subprogs[sp].start; i < env->subprogs[sp].end; i++) {
		const struct bvc_insn *insn = &env->insns[i];
		const struct bvc_helper_proto *fn;

		if (insn->code != (BVC_JMP | BVC_CALL))
			continue;
		if (insn->src == 0 && !bvc_helper_proto_get(insn->imm, env->prog->type, &fn) &&
		    (fn->flags & BVC_HELPER_CHANGES_PKT))
			return true;
		if (insn->src == BVC_PSEUDO_CALL) {
			uint32_t target = (uint32_t)((int64_t)i + insn->imm + 1), k = 0;

			while (k + 1 < env->nsubprogs && env->subprogs[k + 1].start <= target)
				k++;
			if (k != sp && changes_pkt_data(env, k, depth + 1))
				return true;
		}
	}
	return false;
}

/* Argument @i (in r@i+1) against its type, as btf_check_func_arg_match. */
static int check_arg(struct bvc_env *env, uint32_t i, const struct garg *arg)
{
	uint32_t regno = i + 1;
	struct bvc_reg *reg = &bvc_cur_regs(env)[regno];
	bool was_null;
	int err;

	switch (arg->type) {
	case GARG_SCALAR:
		if (reg->type != BVC_SCALAR)
			return bvc_vrej(env, "R%u is not a scalar", regno);
		return 0;
	case GARG_CTX:
		if (reg->type == BVC_PTR_CTX &&
		    (reg->off || !bvc_scalar_is_const(&reg->var) || reg->var.var_off.value))
			return bvc_vrej(env, "dereference of modified ctx ptr R%u off=%d disallowed", regno,
					reg->off);
		if (reg->type != BVC_PTR_CTX)
			return bvc_vrej(env, "arg#%u expects pointer to ctx", i);
		return 0;
	case GARG_MEM:
		if (reg->type == BVC_SCALAR && bvc_scalar_is_const(&reg->var) &&
		    reg->var.var_off.value == 0) {
			/* 6.12 lets a known NULL through to a non-NULL
			 * argument, whose callee then dereferences it. */
			if (!arg->nullable)
				return bvc_vrej(env, "arg#%u is expected to be non-NULL", i);
			/* Safe because it is 0: keep it so when pruning. */
			return bvc_mark_precise(env, regno);
		}
		/* Checked as if not NULL; NULL is then the argument's
		 * business. The callee may read and write it all. */
		was_null = reg->maybe_null;
		reg->maybe_null = false;
		err = bvc_check_mem_region(env, regno, arg->mem_size, false, true, true, false);
		if (!err)
			err = bvc_check_mem_region(env, regno, arg->mem_size, true, true, true, false);
		reg = &bvc_cur_regs(env)[regno];
		reg->maybe_null = was_null;
		if (err)
			return err;
		if (!arg->nullable && was_null)
			return bvc_vrej(env, "arg#%u is expected to be non-NULL", i);
		return 0;
	}
	return bvc_vbug(env, "global function argument of type %d", arg->type);
}

int bvc_check_global_call(struct bvc_env *env, uint32_t sp)
{
	const struct bvc_func_info *fi = bvc_func_info_of(env, sp);
	struct garg args[BVC_FUNC_MAX_ARGS];
	struct bvc_reg *regs;
	uint32_t nargs = 0;
	int err;

	err = prepare_args(env, sp, args, &nargs);
	for (uint32_t i = 0; !err && i < nargs; i++)
		err = check_arg(env, i, &args[i]);
	if (err) {
		if (env->rejected && env->err_kind == BVC_REJECT) {
			char detail[sizeof(env->err)];

			/* The kernel's last line, then the why, in one message. */
			bvc_vlog(env, "Caller passes invalid args into func#%u ('%s')\n", sp,
				 fi ? fi->name : "?");
			snprintf(detail, sizeof(detail), "%s", env->err);
			snprintf(env->err, sizeof(env->err), "Caller passes invalid args into func#%u ('%.60s'): %.150s",
				 sp, fi ? fi->name : "?", detail);
		}
		return err;
	}
	bvc_vlog(env, "Func#%u ('%s') is global and assumed valid.\n", sp, fi->name);
	if (!(env->gflags[sp] & GLOBAL_VERIFIED))
		env->grescan = true;
	env->gflags[sp] |= GLOBAL_CALLED;
	regs = bvc_cur_regs(env);
	if (changes_pkt_data(env, sp, 0)) {
		for_each_reg(env->cur, reg, {
			if (bvc_is_pkt_pointer(reg) || reg->type == BVC_PTR_PACKET_END)
				bvc_mark_reg_unknown(reg);
		});
	}
	for (int r = 1; r <= 5; r++)
		bvc_mark_reg_not_init(&regs[r]);
	/* Every global function returns a 64-bit scalar. */
	bvc_mark_reg_unknown(&regs[0]);
	return 0;
}

/* The entry state of global function @sp: frame 0 with its arguments
 * typed by BTF, nothing else known. */
static int start_global(struct bvc_env *env, uint32_t sp)
{
	const struct bvc_func_info *fi = bvc_func_info_of(env, sp);
	struct garg args[BVC_FUNC_MAX_ARGS];
	struct bvc_state *st;
	struct bvc_frame *fr;
	uint32_t nargs = 0;
	int err;

	env->insn_idx = env->subprogs[sp].start;
	env->prev_insn_idx = BVC_HIST_NONE;
	bvc_vlog(env, "Validating %s() func#%u...\n", fi ? fi->name : "?", sp);
	err = prepare_args(env, sp, args, &nargs);
	if (err)
		return err;
	st = bvc_state_new(env->arena);
	if (!st)
		return -ENOMEM;
	fr = st->frames[0];
	fr->subprog = sp;
	for (int r = 0; r < BVC_MAX_REG; r++)
		bvc_mark_reg_not_init(&fr->regs[r]);
	bvc_mark_reg_known(&fr->regs[BVC_REG_FP], 0);
	fr->regs[BVC_REG_FP].type = BVC_PTR_STACK;
	for (uint32_t i = 0; i < nargs; i++) {
		struct bvc_reg *reg = &fr->regs[i + 1];

		switch (args[i].type) {
		case GARG_SCALAR:
			bvc_mark_reg_unknown(reg);
			break;
		case GARG_CTX:
			bvc_mark_reg_known(reg, 0);
			reg->type = BVC_PTR_CTX;
			break;
		case GARG_MEM:
			bvc_mark_reg_known(reg, 0);
			reg->type = BVC_PTR_MEM;
			reg->maybe_null = args[i].nullable;
			reg->mem_size = args[i].mem_size;
			reg->id = ++env->id_gen;
			break;
		}
	}
	st->insn_idx = env->insn_idx;
	st->first_insn = env->insn_idx;
	env->cur = st;
	env->gphase = sp;
	return 1;
}

int bvc_next_global(struct bvc_env *env)
{
	if (env->gphase) {
		const struct bvc_func_info *fi = bvc_func_info_of(env, env->gphase);

		bvc_vlog(env, "Func#%u ('%s') is safe for any args that match its prototype\n",
			 env->gphase, fi ? fi->name : "?");
		env->gphase = 0;
	}
	if (!env->gscan)
		env->gscan = 1;
	for (;;) {
		while (env->gscan < env->nsubprogs) {
			uint32_t sp = env->gscan++;

			if ((env->gflags[sp] & (GLOBAL_CALLED | GLOBAL_VERIFIED)) == GLOBAL_CALLED &&
			    bvc_is_global_subprog(env, sp)) {
				env->gflags[sp] |= GLOBAL_VERIFIED;
				return start_global(env, sp);
			}
		}
		/* The kernel passes again while a pass found work: here,
		 * while a call during it named a function not yet verified. */
		if (!env->grescan)
			return 0;
		env->grescan = false;
		env->gscan = 1;
	}
}

bool bvc_global_work_left(const struct bvc_env *env)
{
	if (env->gphase || env->grescan)
		return true;
	for (uint32_t sp = 1; sp < env->nsubprogs; sp++)
		if ((env->gflags[sp] & (GLOBAL_CALLED | GLOBAL_VERIFIED)) == GLOBAL_CALLED)
			return true;
	return false;
}
