// SPDX-License-Identifier: MIT
/*
 * The verifier engine: path exploration in one process.
 *
 * How it works (the kernel's design, which bpfvc follows so its verdicts
 * and messages can be compared with the kernel's):
 *
 * Static passes first: the ISA pass (isa.c) refuses malformed encodings
 * and jumps out of range; load.c what BPF_PROG_LOAD refuses before it
 * explores, dead code included (kfunc calls, a missing exception
 * callback); cfg.c refuses unreachable code, finds functions and prune
 * points and computes which registers are live where.
 *
 * Then every path from the entry is walked, instruction by instruction, on
 * an abstract state: per register a type (scalar, or a pointer to ctx,
 * stack, map value, packet, ...) with a fixed offset and a value set for
 * the number or the pointer's variable offset (bvc_scalar: a tnum plus
 * signed/unsigned 64- and 32-bit ranges); per stack byte whether it is
 * unwritten, a spilled register, some bytes, or zeros. Each instruction is
 * checked on that state and applied to it (alu.c, mem.c; calls and exits
 * in call.c). At a conditional jump whose outcome the state does not
 * decide, the taken side is pushed on a stack and the fall-through is
 * followed first; the pushed states are popped when a path ends (depth
 * first, as the kernel). Each side is refined by the condition (branch.c:
 * r1 > 5 on one side, r1 <= 5 on the other; a NULL check turns
 * "map_value_or_null" into "map_value" or into 0; a comparison with
 * data_end proves a packet range).
 *
 * Paths multiply, so at prune points the current state is compared with
 * checkpoints kept earlier at the same instruction (prune.c); if one that
 * is finished (every path below it explored and safe) includes the current
 * state, the current path is safe and ends. Bounded loops terminate the
 * same way: each iteration changes the state until it is covered or the
 * instruction budget runs out ("BPF program is too large"); an iteration
 * that comes back with the very same state is an infinite loop.
 *
 * The first unsafe step rejects the program with the kernel's message
 * (log.c). Whatever the engine does not model is refused as
 * "unsupported: ...": never accepted. A run whose states outgrow the
 * memory limit (opts.mem_limit; arena.c counts every state's bytes) is
 * rejected as too large, as one past the instruction limit: it ends
 * with a verdict, never with the process killed for lack of memory.
 *
 * One verification can be split across engines and processes
 * (docs/design.md section 4; split.c): states are self-contained values,
 * the pending stack is the set of work items, and checkpoints are only
 * used once finished.
 *
 * This file holds the loop (do_check), the instructions it handles itself
 * (ld_imm64, LD_ABS), the engine's life cycle and its verdict. It must not
 * grow the checks of one kind of instruction: those have their files.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvc/disasm.h"
#include "bpfvc/engine.h"
#include "bpfvc/util.h"
#include "engine_internal.h"

static int check_ld_imm64(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *dst = &bvc_cur_regs(env)[insn->dst];
	uint32_t idx = (uint32_t)insn->imm;

	switch (insn->src) {
	case 0:
		bvc_mark_reg_known(dst, bvc_ld_imm64_value(insn));
		return 0;
	case BVC_PSEUDO_MAP_IDX:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		if (idx >= env->img->map_cnt)
			return bvc_vrej(env, "fd %u is not pointing to valid bpf_map", idx);
		if (!bvc_map_type_supported(env->img->maps[idx].type))
			return bvc_vunsup(env, "map type %u", env->img->maps[idx].type);
		if (env->img->maps[idx].special_field[0])
			return bvc_vunsup(env, "map '%s' has a %s field in its value",
					  env->img->maps[idx].name, env->img->maps[idx].special_field);
		if (!bvc_inner_map_ok(env->img, idx)) {
			const struct bvc_map *outer = &env->img->maps[idx];

			if (!outer->has_inner || outer->inner_idx >= env->img->map_cnt)
				return bvc_vunsup(env, "map-in-map '%s' without an inner map template",
						  outer->name);
			return bvc_vunsup(env, "map-in-map '%s': inner maps of type %u%s%s",
					  outer->name, env->img->maps[outer->inner_idx].type,
					  env->img->maps[outer->inner_idx].special_field[0] ? " with a " : "",
					  env->img->maps[outer->inner_idx].special_field);
		}
		bvc_mark_reg_known(dst, 0);
		dst->map_idx = idx;
		if (insn->src == BVC_PSEUDO_MAP_IDX) {
			dst->type = BVC_CONST_PTR_MAP;
			return 0;
		}
		if ((uint32_t)insn[1].imm >= 1u << 29)
			return bvc_vrej(env, "direct value offset of %u is not allowed", (uint32_t)insn[1].imm);
		if (env->img->maps[idx].type != BVC_MAP_ARRAY)
			return bvc_vrej(env, "no direct value access support for this map type");
		/* Only single-element arrays (global data) have one address. */
		if (env->img->maps[idx].max_entries != 1 ||
		    (uint32_t)insn[1].imm >= env->img->maps[idx].value_size)
			return bvc_vrej(env, "invalid access to map value pointer, value_size=%u off=%u",
					env->img->maps[idx].value_size, (uint32_t)insn[1].imm);
		dst->type = BVC_PTR_MAP_VALUE;
		dst->off = insn[1].imm;
		return 0;
	case BVC_PSEUDO_FUNC: {
		/* A function's address, only ever passed to a helper that
		 * calls it (call.c); the kernel's PTR_TO_FUNC. map_idx holds
		 * the function, so pruning compares it as it does a map. */
		uint32_t target = (uint32_t)((int64_t)env->insn_idx + insn->imm + 1);
		uint32_t sp;

		for (sp = 0; sp < env->nsubprogs; sp++)
			if (env->subprogs[sp].start == target)
				break;
		if (sp == env->nsubprogs)
			return bvc_vbug(env, "ld_imm64 of insn %u: not a function", target);
		bvc_mark_reg_known(dst, 0);
		dst->type = BVC_PTR_FUNC;
		dst->map_idx = sp;
		return 0;
	}
	default:
		return bvc_vunsup(env, "ld_imm64 with pseudo source %u", insn->src);
	}
}

static int check_ld_abs(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env);

	if (!bvc_prog_type_may_ld_abs(env->prog->type))
		return bvc_vrej(env, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
	if (env->cur->curframe || env->cur->frames[0]->subprog)
		/* It may end the program from inside a function: the kernel
		 * then checks the function's BTF return type and saved regs. */
		return bvc_vunsup(env, "LD_ABS/LD_IND inside a bpf-to-bpf function");
	if (regs[6].type == BVC_NOT_INIT)
		return bvc_vrej(env, "R6 !read_ok");
	if (regs[6].type != BVC_PTR_CTX)
		return bvc_vrej(env, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
	if (bvc_insn_mode(insn) == BVC_IND && regs[insn->src].type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->src);
	if (env->cur->nrefs)
		return bvc_vrej(env, "BPF_LD_[ABS|IND] cannot be mixed with socket references");
	for (int r = 1; r <= 5; r++)
		bvc_mark_reg_not_init(&regs[r]);
	/* As the kernel: R0 is unknown, not narrowed to the load's size
	 * (a narrower R0 would decide branches the kernel explores). */
	bvc_mark_reg_unknown(&regs[0]);
	return 0;
}

/* One instruction on the current state. Returns 0 to fall through to the
 * next, 1 when it set env->insn_idx itself, 2 when the path ended. */
static int do_insn(struct bvc_env *env)
{
	const struct bvc_insn *insn = &env->insns[env->insn_idx];
	struct bvc_isa_fault fault;
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);
	bool done;
	int err;

	if (bvc_isa_check_insn(env->insns, env->cnt, env->insn_idx, &fault))
		return bvc_vfail(env, fault.unsupported ? BVC_UNSUPPORTED : BVC_REJECT, fault.msg);

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		return bvc_check_alu(env, insn);
	case BVC_LDX:
		return bvc_check_load(env, insn);
	case BVC_ST:
		return bvc_check_store(env, insn);
	case BVC_STX:
		if (bvc_insn_mode(insn) == BVC_ATOMIC)
			return bvc_check_atomic_op(env, insn);
		return bvc_check_store(env, insn);
	case BVC_LD:
		if (bvc_insn_mode(insn) == BVC_IMM) {
			err = check_ld_imm64(env, insn);
			if (err)
				return err;
			env->insn_idx += 2;
			return 1;
		}
		return check_ld_abs(env, insn);
	}

	/* Jumps. */
	env->jmps_processed++;
	switch (op) {
	case BVC_CALL:
		if (insn->src == BVC_PSEUDO_CALL)
			return bvc_check_func_call(env, insn);
		if (insn->src == BVC_PSEUDO_KFUNC_CALL)
			return bvc_vunsup(env, "kfunc calls");
		return bvc_check_helper_call(env, insn);
	case BVC_JA:
		env->insn_idx = (uint32_t)((int64_t)env->insn_idx + 1 +
					   (cls == BVC_JMP32 ? insn->imm : insn->off));
		return 1;
	case BVC_EXIT:
		err = bvc_check_exit(env, &done);
		if (err)
			return err;
		return done ? 2 : 1;
	default:
		return bvc_check_cond_jmp(env, insn);
	}
}

/* The path ended (exit or pruned): its branch is done. */
static void end_path(struct bvc_env *env)
{
	bvc_update_branch_counts(env, env->cur);
	bvc_state_free(env->cur);
	env->cur = NULL;
}

/* Take the newest pending state (depth first, as the kernel). */
static bool pop_next(struct bvc_env *env)
{
	struct bvc_pending p;

	if (!env->npending)
		return false;
	p = env->pending[--env->npending];
	env->cur = p.st;
	env->insn_idx = p.insn;
	env->prev_insn_idx = p.prev_insn;
	/* Level 1 keeps only the failing path: the log as it was when this
	 * branch was pushed (the kernel's pop_log). */
	if ((env->opts.log_level & 3) == 1)
		bvc_log_reset(env, p.log_pos);
	bvc_scratch_all(env);
	env->print_from = true;
	return true;
}

/* opts.follow: the branches this instruction pushed are decided by the
 * trail. Each pushed state's last trail bit is its decision's index; bit 1
 * there switches to it, 0 drops it (the current state goes on). */
static void follow_trail(struct bvc_env *env)
{
	uint32_t n = env->npending;
	bool switched = false;

	env->npending = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct bvc_pending p = env->pending[i];
		uint32_t k = p.st->trail_len - 1;
		bool take = k < env->opts.follow_len &&
			    ((env->opts.follow[k / 8] >> (k % 8)) & 1);

		/* Once on a pushed side, the later pushes were the old
		 * side's: not on this path. */
		if (!take || switched || !env->cur) {
			bvc_state_free(p.st);
			continue;
		}
		switched = true;
		bvc_state_free(env->cur);
		env->cur = p.st;
		env->insn_idx = p.insn;
		env->prev_insn_idx = p.prev_insn;
	}
}

/* The log after instruction @at ran (@ret as do_insn's): its operands
 * are printed with the next state; a conditional jump prints them now,
 * and a return from a function starts a new "from X to Y:" block. */
static void log_after_insn(struct bvc_env *env, uint32_t at, int ret)
{
	const struct bvc_insn *insn = &env->insns[at];
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);

	if (op == BVC_EXIT && ret == 1 && (cls == BVC_JMP || cls == BVC_JMP32)) {
		/* Back in the caller: both frames were printed whole. */
		env->scratched_regs = 0;
		env->scratched_slots = 0;
		env->print_from = true;
		return;
	}
	bvc_scratch_insn(env, insn);
	if (cls != BVC_JMP && cls != BVC_JMP32)
		return;
	if (op != BVC_CALL && op != BVC_EXIT && op != BVC_JA && env->cur)
		bvc_log_insn_state(env, at);
}

/* Explore for up to @budget instructions (0: no limit). Returns 0 when
 * nothing is left, 1 when the budget ran out, negative on rejection or
 * error. */
static int do_check(struct bvc_env *env, uint64_t budget)
{
	uint64_t start = env->processed;

	for (;;) {
		uint32_t at;
		int ret;

		if (!env->cur && !pop_next(env)) {
			/* The main program's paths are done: the global
			 * functions they called are verified next. */
			ret = bvc_next_global(env);
			if (ret <= 0)
				return ret;
		}
		if (budget && env->processed - start >= budget)
			return 1;
		if (env->opts.insn_limit && ++env->processed > env->opts.insn_limit)
			return bvc_vrej(env, "BPF program is too large. Processed %llu insn",
					(unsigned long long)env->processed);
		if (!env->opts.insn_limit)
			env->processed++;
		env->aux[env->insn_idx].seen = true;

		env->hist_open = false;
		/* A followed path prunes nothing: it must reach what it did. */
		ret = env->opts.follow_len ? 0 : bvc_is_state_visited(env, env->insn_idx);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			bvc_log_safe(env);
			end_path(env);
			continue;
		}
		ret = bvc_hist_arrive(env);
		if (ret < 0)
			return ret;
		bvc_log_insn(env);

		/* prev_insn_idx stays the previous instruction while this one
		 * runs: its history entries point back there. */
		at = env->insn_idx;
		ret = do_insn(env);
		env->prev_insn_idx = at;
		if (ret < 0)
			return ret;
		if (env->opts.log_level & 3)
			log_after_insn(env, at, ret);
		if (ret == 0)
			env->insn_idx++;
		if (env->opts.follow_len && env->npending)
			follow_trail(env);
		if (ret == 2) {
			end_path(env);
			continue;
		}
		if (env->insn_idx >= env->cnt)
			return bvc_vrej(env, "invalid insn idx %u insn_cnt %u", env->insn_idx, env->cnt);
	}
}

/* The per-instruction facts of the paths explored so far. */
static void fill_facts(const struct bvc_env *env, struct bvc_insn_fact *facts)
{
	for (uint32_t i = 0; i < env->cnt; i++) {
		const struct bvc_insn_aux *a = &env->aux[i];
		struct bvc_insn_fact *f = &facts[i];

		f->seen = a->seen;
		f->mem_base = a->ptr_type < 0 ? -1
			      : a->ptr_type == BVC_PTR_CTX ? BVC_FACT_CTX
			      : a->ptr_type == BVC_PTR_STACK ? BVC_FACT_STACK
			      : a->ptr_type == BVC_PTR_SOCKET ? BVC_FACT_SOCK
			      : a->ptr_type == BVC_PTR_SOCK_COMMON ? BVC_FACT_SOCK_COMMON
			      : a->ptr_type == BVC_PTR_TCP_SOCK ? BVC_FACT_TCP_SOCK
			      : BVC_FACT_OTHER;
		f->ctx_field = (int16_t)a->ctx_field;
		f->ctx_field_off = a->ctx_field_off;
		f->ctx_field_size = a->ctx_field_size;
		f->map_idx = a->map_idx;
	}
}

/* As the in-process run merges them in its aux (the first pointer type
 * seen stays; ctx or a socket against any other is refused by
 * bvc_check_mem_access_reg). */
int bvc_fact_merge(struct bvc_insn_fact *into, const struct bvc_insn_fact *f)
{
	into->seen |= f->seen;
	if (f->mem_base >= 0) {
		if (into->mem_base < 0)
			into->mem_base = f->mem_base;
		else if (into->mem_base != f->mem_base &&
			 (into->mem_base == BVC_FACT_CTX || f->mem_base == BVC_FACT_CTX ||
			  BVC_FACT_IS_SOCK(into->mem_base) || BVC_FACT_IS_SOCK(f->mem_base)))
			/* Rewritten accesses (ctx, each socket view) take one
			 * pointer kind per instruction, as
			 * bvc_check_mem_access_reg: a worker that saw a
			 * sock_common where another saw a full socket must
			 * not pass either. */
			return -1;
	}
	if (f->ctx_field >= 0 && into->ctx_field < 0) {
		into->ctx_field = f->ctx_field;
		into->ctx_field_off = f->ctx_field_off;
		into->ctx_field_size = f->ctx_field_size;
	}
	if (f->map_idx != -1)
		into->map_idx = into->map_idx == -1 || into->map_idx == f->map_idx ? f->map_idx : -2;
	return 0;
}

/* The per-instruction facts of an accepted program, for the JIT. */
static int export_facts(const struct bvc_env *env, struct bvc_verdict *out)
{
	out->facts = calloc(env->cnt, sizeof(*out->facts));
	if (!out->facts)
		return -ENOMEM;
	fill_facts(env, out->facts);
	out->fact_cnt = env->cnt;
	/* Each function's own frame, so a JIT need not reserve the whole
	 * chain's stack in every frame. */
	out->func_stack = calloc(env->nsubprogs, sizeof(*out->func_stack));
	if (!out->func_stack)
		return -ENOMEM;
	for (uint32_t sp = 0; sp < env->nsubprogs; sp++)
		out->func_stack[sp] = (struct bvc_func_stack){ env->subprogs[sp].start,
							       env->subprogs[sp].stack_depth };
	out->func_cnt = env->nsubprogs;
	return 0;
}

static int env_init(struct bvc_env *env, const struct bvc_image *img, const struct bvc_prog *prog,
		    const struct bvc_verify_opts *opts, bool with_entry)
{
	struct bvc_frame *fr;

	memset(env, 0, sizeof(*env));
	env->img = img;
	env->prog = prog;
	env->insns = prog->insns;
	env->cnt = (uint32_t)prog->insn_cnt;
	if (bvc_opts_copy(&env->opts, sizeof(env->opts), opts, sizeof(size_t), "bvc_verify_opts", NULL, 0))
		return -EINVAL;
	env->gpl = bvc_license_is_gpl(img->license);
	if (!env->opts.mem_limit)
		env->opts.mem_limit = bvc_mem_limit_default(1);
	env->arena = bvc_arena_new(env->opts.mem_limit);
	env->aux = calloc(env->cnt, sizeof(*env->aux));
	env->explored = calloc(env->cnt, sizeof(*env->explored));
	if (!env->arena || !env->aux || !env->explored)
		return -ENOMEM;
	env->cur = bvc_state_new(env->arena);
	if (!env->cur)
		return -ENOMEM;
	for (uint32_t i = 0; i < env->cnt; i++) {
		env->aux[i].ptr_type = -1;
		env->aux[i].ctx_field = -1;
		env->aux[i].map_idx = -1;
	}
	fr = env->cur->frames[0];
	for (int r = 0; r < BVC_MAX_REG; r++)
		bvc_mark_reg_not_init(&fr->regs[r]);
	bvc_mark_reg_known(&fr->regs[1], 0);
	fr->regs[1].type = BVC_PTR_CTX;
	bvc_mark_reg_known(&fr->regs[BVC_REG_FP], 0);
	fr->regs[BVC_REG_FP].type = BVC_PTR_STACK;
	env->prev_insn_idx = BVC_HIST_NONE;
	bvc_scratch_all(env);
	if (!with_entry) {
		bvc_state_free(env->cur);
		env->cur = NULL;
	}
	return 0;
}

static void env_free(struct bvc_env *env)
{
	bvc_state_free(env->cur);
	for (uint32_t i = 0; i < env->npending; i++)
		bvc_state_free(env->pending[i].st);
	free(env->pending);
	bvc_explored_free(env);
	free(env->aux);
	free(env->log);
	bvc_log_free(env);
	free(env->err_trail);
	/* Last: evicted checkpoints nothing freed yet live here too. */
	bvc_arena_free_all(env->arena);
	env->arena = NULL;
}

/* The states outgrew the memory limit (or malloc() failed under it): the
 * program is too large for this budget, a verdict like the instruction
 * limit's. */
static int reject_memory(struct bvc_env *env)
{
	return bvc_vrej(env,
			"BPF program is too large: the verifier's states exceed the memory limit of %llu MiB (%llu insns processed)",
			(unsigned long long)(env->opts.mem_limit >> 20),
			(unsigned long long)env->processed);
}

int bvc_engine_new(const struct bvc_image *img, const struct bvc_prog *prog,
		   const struct bvc_verify_opts *opts, int with_entry, struct bvc_engine **out)
{
	struct bvc_engine *eng;
	struct bvc_env *env;
	struct bvc_isa_fault fault;
	int err;

	*out = NULL;
	if (bvc_opts_valid(opts, sizeof(*opts), sizeof(size_t)))
		return -EINVAL;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return -ENOMEM;
	*out = eng;
	err = bvc_isa_check(prog->insns, prog->insn_cnt, &fault);
	if (err == -EINVAL) {
		eng->early = 1;
		eng->early_verdict.kind = fault.unsupported ? BVC_UNSUPPORTED : BVC_REJECT;
		eng->early_verdict.insn = fault.insn;
		snprintf(eng->early_verdict.msg, sizeof(eng->early_verdict.msg), "%s", fault.msg);
		return 0;
	}
	if (err)
		goto fail;
	if (prog->unsupported[0]) {
		eng->early = 1;
		eng->early_verdict.kind = BVC_UNSUPPORTED;
		snprintf(eng->early_verdict.msg, sizeof(eng->early_verdict.msg), "%s",
			 prog->unsupported);
		return 0;
	}
	if (prog->core_relo_cnt) {
		/* Clang's offsets are not the ones the device will run: until
		 * bvc_core_apply() has put the target kernel's in, the code
		 * is not the code we would vouch for. Fail closed. */
		const struct bvc_core_relo *cr = &prog->core_relos[0];

		eng->early = 1;
		eng->early_verdict.kind = BVC_UNSUPPORTED;
		eng->early_verdict.insn = cr->insn;
		snprintf(eng->early_verdict.msg, sizeof(eng->early_verdict.msg),
			 "unsupported: CO-RE relocation at insn %u (%s of '%s', access %s; %zu in the program) not applied: the target kernel's BTF is needed",
			 cr->insn, bvc_core_relo_kind_name(cr->kind),
			 cr->type_name ? cr->type_name : "", cr->access ? cr->access : "",
			 prog->core_relo_cnt);
		return 0;
	}
	env = &eng->env;
	err = env_init(env, img, prog, opts, with_entry);
	if (!err && !bvc_prog_type_supported(prog->type))
		err = bvc_vunsup(env, "program type %u", prog->type);
	/* BPF_PROG_LOAD refuses it with EINVAL before verifying. */
	if (!err && !bvc_prog_attach_valid(prog->type, prog->expected_attach_type))
		err = bvc_vrej(env, "invalid expected_attach_type %u for program type %u",
			       prog->expected_attach_type, prog->type);
	/* BPF_F_STRICT_ALIGNMENT (1) and BPF_F_SLEEPABLE (16) change the
	 * rules; ANY_ALIGNMENT (2), TEST_RND_HI32 (4), TEST_STATE_FREQ (8)
	 * and TEST_REG_INVARIANTS (128) do not change what is safe. Nor does
	 * BPF_F_XDP_HAS_FRAGS (32) for XDP: the 6.12 verifier never looks at
	 * it (data..data_end is still the linear part, which is all a direct
	 * access may touch); it only pairs the program with prog_array,
	 * devmap and cpumap entries of the same kind at attach and update
	 * time. Elsewhere it means nothing we have checked: refused. */
	if (!err && ((env->opts.prog_flags | prog->prog_flags) &
		     ~(2u | 4u | 8u | 128u | (prog->type == BPF_PROG_TYPE_XDP ? 32u : 0u))))
		err = bvc_vunsup(env, "program flags %#x", env->opts.prog_flags | prog->prog_flags);
	if (!err)
		err = bvc_check_load_time(env);
	if (!err)
		err = bvc_check_cfg(env);
	if (!err)
		bvc_log_prologue(env);
	if (!err && prog->func_cnt && prog->funcs[0].linkage == BVC_FUNC_GLOBAL &&
	    !prog->funcs[0].ret_scalar && (env->opts.log_level & 3))
		/* What btf_prepare_func_args logs of the main function, and
		 * the kernel goes on: only a global subprogram must return
		 * a scalar. */
		bvc_vlog(env, "Global function %s() doesn't return scalar. Only those are supported.\n",
			 prog->funcs[0].name);
	if (!err && !prog->func_cnt)
		err = bvc_check_abnormal_return(env);
	if (env->rejected) {
		eng->finished = true;
		return 0;
	}
	if (!err)
		return 0;
fail:
	bvc_engine_free(eng);
	*out = NULL;
	return err;
}

int bvc_engine_run(struct bvc_engine *eng, uint64_t budget)
{
	struct bvc_env *env = &eng->env;
	struct timespec t0, t1;
	int ret;

	if (eng->early || env->rejected)
		return BVC_ENGINE_DONE;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = do_check(env, budget);
	if (ret == -ENOMEM && !env->rejected)
		ret = reject_memory(env);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	eng->usec += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000);
	if (ret == 1)
		return BVC_ENGINE_MORE;
	if (ret < 0 && !env->rejected)
		return ret;
	eng->finished = true;
	return BVC_ENGINE_DONE;
}

size_t bvc_engine_pending(const struct bvc_engine *eng)
{
	return eng->early ? 0 : eng->env.npending;
}

int bvc_engine_verdict(struct bvc_engine *eng, struct bvc_verdict *out)
{
	struct bvc_env *env = &eng->env;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (eng->early) {
		*out = eng->early_verdict;
		return 0;
	}
	if (!eng->finished)
		return -EAGAIN;
	if (!env->rejected && env->ndonated)
		return -EAGAIN; /* donated items still out */
	if (!env->rejected) {
		/* No instruction is at fault: say 0, wherever the run ended
		 * (split runs end anywhere). */
		env->insn_idx = 0;
		err = bvc_check_max_stack_depth(env, 0, 0, 1);
	}
	out->processed = env->processed;
	if (env->rejected) {
		/* Set where the refusal was raised; a refusal of no kind would
		 * be our bug, and is not an acceptance either. */
		out->kind = env->err_kind ? env->err_kind : BVC_INTERNAL;
		out->insn = env->err_insn;
		snprintf(out->msg, sizeof(out->msg), "%s", env->err);
		out->trail = env->err_trail;
		out->trail_len = env->err_trail_len;
		env->err_trail = NULL;
		env->err_trail_len = 0;
		err = 0;
	} else if (!err) {
		out->stack_depth = env->max_stack;
		err = export_facts(env, out);
		/* Accepted only once every check ran and passed. */
		if (!err)
			out->kind = BVC_ACCEPT;
	}
	bvc_vlog(env, "processed %llu insns (limit %llu) max_states_per_insn %u total_states %llu peak_states %llu mark_read 0\n",
		 (unsigned long long)env->processed, (unsigned long long)env->opts.insn_limit,
		 env->max_states_per_insn, (unsigned long long)env->total_states,
		 (unsigned long long)env->peak_states);
	if (env->opts.log_level & 4)
		bvc_vlog(env, "verification time %llu usec\n", (unsigned long long)eng->usec);
	out->total_states = env->total_states;
	out->peak_states = env->peak_states;
	out->max_states_per_insn = env->max_states_per_insn;
	bvc_log_take(env, &out->log, &out->log_len, &out->log_true_len);
	return err;
}

int bvc_engine_facts(const struct bvc_engine *eng, struct bvc_insn_fact *out, size_t cnt)
{
	if (eng->early || cnt != eng->env.cnt)
		return -EINVAL; /* the static passes refused it: no facts */
	fill_facts(&eng->env, out);
	return 0;
}

void bvc_engine_states(const struct bvc_engine *eng, uint64_t *total, uint64_t *peak)
{
	*total = eng->early ? 0 : eng->env.total_states;
	*peak = eng->early ? 0 : eng->env.peak_states;
}

uint64_t bvc_engine_processed(const struct bvc_engine *eng)
{
	return eng->early ? 0 : eng->env.processed;
}

static int by_seq(const void *a, const void *b)
{
	const struct bvc_state *x = *(const struct bvc_state *const *)a;
	const struct bvc_state *y = *(const struct bvc_state *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int bvc_engine_precision_dump(const struct bvc_engine *eng, char **out)
{
	const struct bvc_env *env = &eng->env;
	struct bvc_checkpoint_list all = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err = 0;

	*out = NULL;
	for (uint32_t i = 0; env->explored && i < env->cnt && !err; i++)
		for (uint32_t k = 0; k < env->explored[i].n && !err; k++)
			if (!env->explored[i].v[k]->remote)
				err = bvc_list_push(&all, env->explored[i].v[k]);
	for (uint32_t k = 0; k < env->retired.n && !err; k++)
		if (!env->retired.v[k]->remote)
			err = bvc_list_push(&all, env->retired.v[k]);
	f = err ? NULL : open_memstream(&buf, &len);
	if (!f) {
		free(all.v);
		return -ENOMEM;
	}
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), by_seq);
	for (uint32_t k = 0; k < all.n; k++) {
		const struct bvc_state *st = all.v[k];

		fprintf(f, "%llu@%u", (unsigned long long)st->seq, st->insn_idx);
		for (uint32_t fr = 0; fr <= st->curframe; fr++) {
			const struct bvc_frame *frame = st->frames[fr];
			unsigned int regs = 0;
			unsigned long long slots = 0;

			for (int r = 0; r < BVC_MAX_REG; r++)
				if (frame->regs[r].type == BVC_SCALAR && frame->regs[r].precise)
					regs |= 1u << r;
			for (uint32_t sl = 0; sl < frame->nslots && sl < 64; sl++)
				if (frame->slots[sl].stype[0] == BVC_STACK_SPILL &&
				    frame->slots[sl].spilled.type == BVC_SCALAR &&
				    frame->slots[sl].spilled.precise)
					slots |= 1ull << sl;
			fprintf(f, " f%u r=%#x s=%#llx", fr, regs, slots);
		}
		fputc('\n', f);
	}
	free(all.v);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

int bvc_engine_out_of_memory(struct bvc_engine *eng, struct bvc_work **work)
{
	reject_memory(&eng->env);
	eng->finished = true;
	bvc_work_free(*work);
	*work = NULL;
	return 0;
}

void bvc_engine_keep_checkpoints(struct bvc_engine *eng)
{
	if (!eng->early)
		eng->env.keep_evicted = true;
}

uint64_t bvc_engine_mem_bytes(const struct bvc_engine *eng)
{
	return eng->early ? 0 : bvc_arena_bytes(eng->env.arena);
}

void bvc_engine_free(struct bvc_engine *eng)
{
	if (!eng)
		return;
	if (!eng->early)
		env_free(&eng->env);
	free(eng);
}

int bvc_verify(const struct bvc_image *img, const struct bvc_prog *prog,
	       const struct bvc_verify_opts *opts, struct bvc_verdict *out)
{
	struct bvc_engine *eng;
	int err;

	memset(out, 0, sizeof(*out));
	err = bvc_engine_new(img, prog, opts, 1, &eng);
	if (err)
		return err;
	err = bvc_engine_run(eng, 0);
	if (err >= 0)
		err = bvc_engine_verdict(eng, out);
	bvc_engine_free(eng);
	return err;
}

int bvc_verdict_accepted(const struct bvc_verdict *v)
{
	return v && v->kind == BVC_ACCEPT;
}

const char *bvc_verdict_kind_name(enum bvc_verdict_kind kind)
{
	switch (kind) {
	case BVC_ACCEPT: return "accept";
	case BVC_REJECT: return "reject";
	case BVC_UNSUPPORTED: return "unsupported";
	case BVC_INTERNAL: return "internal";
	default: return "none";
	}
}

void bvc_verdict_release(struct bvc_verdict *v)
{
	if (v) {
		free(v->log);
		free(v->facts);
		free(v->func_stack);
		free(v->trail);
		v->trail = NULL;
		v->trail_len = 0;
		v->log = NULL;
		v->log_len = 0;
		v->log_true_len = 0;
		v->facts = NULL;
		v->fact_cnt = 0;
		v->func_stack = NULL;
		v->func_cnt = 0;
	}
}
