// SPDX-License-Identifier: MIT
/*
 * Static passes over the control-flow graph, before any path is explored:
 * subprogram boundaries, reachability ("unreachable insn N"), the prune
 * points where checkpoints may be kept (the kernel's choice: conditional
 * jumps, targets of unconditional jumps, call sites and the instruction
 * after every call), and register liveness.
 *
 * Liveness is a backward dataflow over each function: a register is live at
 * an instruction when some path from there reads it before writing it.
 * Calls read r1-r5 (all of them: sound, if coarser than per-helper argument
 * counts) and clobber r0-r5; exit reads r0. Pruning compares only live
 * registers, as Linux 6.15+ does with its static liveness.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "engine_internal.h"

#define R(n) (1u << (n))
#define CALLER_SAVED (R(0) | R(1) | R(2) | R(3) | R(4) | R(5))
#define ARG_REGS (R(1) | R(2) | R(3) | R(4) | R(5))

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static bool is_pseudo_func(const struct bvc_insn *insn)
{
	return bvc_insn_is_ld_imm64(insn) && insn->src == BVC_PSEUDO_FUNC;
}

/* Function starts: 0 and every bpf-to-bpf call or callback target (the ISA
 * pass has checked they are in range). */
static int find_subprogs(struct bvc_env *env)
{
	uint32_t starts[BVC_MAX_FUNCS], n = 1;

	starts[0] = 0;
	for (uint32_t i = 0; i < env->cnt; i++) {
		const struct bvc_insn *insn = &env->insns[i];
		uint32_t t;
		bool dup = false;

		if (!bvc_insn_is_pseudo_call(insn) && !is_pseudo_func(insn))
			goto next;
		t = (uint32_t)((int64_t)i + insn->imm + 1);
		for (uint32_t k = 0; k < n; k++)
			dup |= starts[k] == t;
		if (!dup) {
			if (n == BVC_MAX_SUBPROGS)
				return bvc_vrej(env, "too many subprograms");
			starts[n++] = t;
		}
next:
		if (bvc_insn_is_ld_imm64(insn))
			i++;
	}
	qsort(starts, n, sizeof(starts[0]), cmp_u32);
	for (uint32_t k = 0; k < n; k++) {
		env->subprogs[k].start = starts[k];
		env->subprogs[k].end = k + 1 < n ? starts[k + 1] : env->cnt;
	}
	env->nsubprogs = n;
	return 0;
}

/* Registers an instruction reads and writes (the kernel's
 * compute_insn_live_regs: a helper reads the arguments its prototype has,
 * LD_ABS/LD_IND count as reading everything). */
static void insn_use_def(const struct bvc_env *env, const struct bvc_insn *insn, uint16_t *use,
			 uint16_t *def)
{
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X;

	*use = 0;
	*def = 0;
	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		*def = R(insn->dst);
		if (op != BVC_MOV)
			*use |= R(insn->dst);
		if (x && op != BVC_END && op != BVC_NEG)
			*use |= R(insn->src);
		break;
	case BVC_LDX:
		*use = R(insn->src);
		*def = R(insn->dst);
		break;
	case BVC_ST:
		*use = R(insn->dst);
		break;
	case BVC_STX:
		*use = R(insn->dst) | R(insn->src);
		if (bvc_insn_mode(insn) == BVC_ATOMIC) {
			if (insn->imm == BVC_CMPXCHG) {
				*use |= R(0);
				*def = R(0);
			} else if (insn->imm & BVC_FETCH) {
				*def = R(insn->src);
			}
		}
		break;
	case BVC_LD:
		if (bvc_insn_mode(insn) == BVC_IMM) {
			*def = R(insn->dst);
		} else {
			/* It may end the program: everything is read. */
			*use = 0xffff;
		}
		break;
	case BVC_JMP:
	case BVC_JMP32:
		if (op == BVC_CALL) {
			const struct bvc_helper_proto *fn;

			*use = ARG_REGS;
			*def = CALLER_SAVED;
			if (insn->src == 0 && !bvc_helper_proto_get(insn->imm, env->prog->type, &fn)) {
				*use = 0;
				for (int a = 0; a < 5 && fn->args[a] != BVC_ARG_NONE; a++)
					*use |= R(a + 1);
			}
		} else if (op == BVC_EXIT) {
			*use = R(0);
		} else if (op != BVC_JA && op != BVC_JCOND) {
			*use = R(insn->dst) | (x ? R(insn->src) : 0);
		}
		break;
	}
	/* Fields past r10 are refused when the path reaches them. */
	*use &= (1u << BVC_MAX_REG) - 1;
	*def &= (1u << BVC_MAX_REG) - 1;
}

/* Successors inside the function (calls fall through). Returns how many. */
static int successors(const struct bvc_env *env, uint32_t i, uint32_t succ[2])
{
	const struct bvc_insn *insn = &env->insns[i];
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);

	if (bvc_insn_is_ld_imm64(insn)) {
		succ[0] = i + 2;
		return 1;
	}
	if (cls != BVC_JMP && cls != BVC_JMP32) {
		succ[0] = i + 1;
		return 1;
	}
	switch (op) {
	case BVC_EXIT:
		return 0;
	case BVC_CALL:
		succ[0] = i + 1;
		return 1;
	case BVC_JA:
		succ[0] = (uint32_t)((int64_t)i + 1 + (cls == BVC_JMP32 ? insn->imm : insn->off));
		return 1;
	}
	succ[0] = i + 1;
	succ[1] = (uint32_t)((int64_t)i + 1 + insn->off);
	return 2;
}

/* Depth-first reachability from the entry, following calls into callees,
 * marking prune points as the kernel's visit_insn() does. */
static int mark_reachable(struct bvc_env *env, uint8_t *reached)
{
	uint32_t *stack = malloc(env->cnt * 2 * sizeof(*stack) + sizeof(*stack));
	uint32_t sp = 0;

	if (!stack)
		return -ENOMEM;
	stack[sp++] = 0;
	reached[0] = 1;
	while (sp) {
		uint32_t i = stack[--sp], succ[3];
		const struct bvc_insn *insn = &env->insns[i];
		uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);
		int n = successors(env, i, succ);

		if (bvc_insn_is_pseudo_call(insn) || is_pseudo_func(insn)) {
			succ[n++] = (uint32_t)((int64_t)i + insn->imm + 1);
			env->aux[i].prune_point = true;
			/* The callee's entry: a branch target, as the kernel's. */
			if (bvc_insn_is_pseudo_call(insn) && succ[n - 1] < env->cnt)
				env->aux[succ[n - 1]].prune_point = true;
		}
		if (is_pseudo_func(insn)) {
			/* As the kernel's visit_func_call_insn(): the insn after
			 * the ld_imm64 is a prune point too. */
			env->has_callbacks = true;
			if (i + 2 < env->cnt)
				env->aux[i + 2].prune_point = true;
		}
		if ((cls == BVC_JMP || cls == BVC_JMP32) && op == BVC_CALL && insn->src == 0 &&
		    (insn->imm == BPF_FUNC_loop || insn->imm == BPF_FUNC_for_each_map_elem)) {
			/* Callback iterations come back here and converge
			 * here: a checkpoint on every visit (the kernel's
			 * mark_calls_callback and mark_force_checkpoint). */
			env->aux[i].calls_callback = true;
			env->aux[i].prune_point = true;
		}
		if ((cls == BVC_JMP || cls == BVC_JMP32) && op == BVC_CALL)
			env->aux[i + 1 < env->cnt ? i + 1 : i].prune_point = true;
		else if ((cls == BVC_JMP || cls == BVC_JMP32) && op == BVC_JA)
			env->aux[succ[0]].prune_point = true;
		else if ((cls == BVC_JMP || cls == BVC_JMP32) && op != BVC_EXIT) {
			/* The branch and its target (where paths join). */
			env->aux[i].prune_point = true;
			if (succ[1] < env->cnt)
				env->aux[succ[1]].prune_point = true;
		}
		for (int k = 0; k < n; k++) {
			if (succ[k] >= env->cnt)
				continue; /* the ISA pass refused these */
			if (!reached[succ[k]]) {
				reached[succ[k]] = 1;
				stack[sp++] = succ[k];
			}
		}
	}
	free(stack);
	return 0;
}

/* The slots [fp+off, fp+off+size) touches (slot i: fp-8*(i+1)). */
static uint64_t slots_of(int32_t off, int size)
{
	uint64_t m = 0;

	for (int32_t a = off; a < off + size; a++)
		if (a < 0 && a >= -BVC_STACK_SIZE)
			m |= 1ull << ((-a - 1) / 8);
	return m;
}

/*
 * Own stack slots an instruction reads and fully writes. @fp_regs: the
 * registers that may point into this function's own frame before the
 * instruction (stack_pointer_regs()). An access through such a register
 * other than r10, and a call handed one, may read any slot.
 */
static void insn_slot_use_def(const struct bvc_insn *insn, uint16_t fp_regs, uint64_t *use,
			      uint64_t *def)
{
	uint8_t cls = bvc_insn_class(insn), mode = bvc_insn_mode(insn);
	int size = bvc_size_bytes(bvc_insn_size(insn));
	uint16_t base;

	*use = 0;
	*def = 0;
	switch (cls) {
	case BVC_LDX:
		if (insn->src == BVC_REG_FP)
			*use = slots_of(insn->off, size);
		else if (fp_regs & R(insn->src))
			*use = ~0ull;
		break;
	case BVC_ST:
	case BVC_STX:
		base = R(insn->dst);
		if (insn->dst != BVC_REG_FP) {
			if (fp_regs & base)
				*use = ~0ull;
		} else if (mode == BVC_ATOMIC) {
			*use = slots_of(insn->off, size);
		} else if (size == 8 && insn->off % 8 == 0) {
			*def = slots_of(insn->off, size);
		}
		break;
	case BVC_JMP:
	case BVC_JMP32:
		if (bvc_insn_op(insn) == BVC_CALL && (fp_regs & ARG_REGS))
			*use = ~0ull;
		break;
	}
}

/*
 * Forward: the registers that may point into the function's own frame -
 * r10 and what is computed from it, and what a load may bring back once
 * such a pointer may have been stored anywhere (@spilled). Calls end the
 * caller-saved ones; r0 after a call never points into the caller's frame
 * (a helper returns no stack pointer, a function may not return one).
 */
static uint16_t fp_regs_after(const struct bvc_insn *insn, uint16_t in, bool spilled)
{
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);
	uint16_t d = R(insn->dst), s = R(insn->src), out = in;

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		if (op == BVC_MOV)
			out &= (uint16_t)~d;
		if (bvc_insn_srcbit(insn) == BVC_X && op != BVC_END && op != BVC_NEG && (in & s))
			out |= d;
		break;
	case BVC_LDX:
		out &= (uint16_t)~d;
		if (spilled)
			out |= d;
		break;
	case BVC_STX:
		if (bvc_insn_mode(insn) == BVC_ATOMIC && (insn->imm & BVC_FETCH)) {
			uint16_t load = insn->imm == BVC_CMPXCHG ? R(0) : s;

			out &= (uint16_t)~load;
			if (spilled)
				out |= load;
		}
		break;
	case BVC_LD:
		if (bvc_insn_mode(insn) == BVC_IMM)
			out &= (uint16_t)~d;
		else
			out &= (uint16_t)~CALLER_SAVED;
		break;
	case BVC_JMP:
	case BVC_JMP32:
		if (op == BVC_CALL)
			out &= (uint16_t)~CALLER_SAVED;
		break;
	}
	return (uint16_t)(out | R(BVC_REG_FP));
}

/* The forward pass of fp_regs_after() over each function, to a fixpoint,
 * into @fp_in (per instruction, before it). A function "spills" an
 * own-frame pointer when it stores one anywhere or hands one to a call
 * (which may store it): from then on any load may bring one back. */
static int compute_fp_regs(struct bvc_env *env, uint16_t *fp_in)
{
	bool *spilled = calloc(env->nsubprogs, sizeof(*spilled));
	bool changed = true;

	if (!spilled)
		return -ENOMEM;
	for (uint32_t i = 0; i < env->cnt; i++)
		fp_in[i] = 0;
	for (uint32_t f = 0; f < env->nsubprogs; f++)
		fp_in[env->subprogs[f].start] = R(BVC_REG_FP);
	while (changed) {
		changed = false;
		for (uint32_t f = 0; f < env->nsubprogs; f++) {
			for (uint32_t i = env->subprogs[f].start; i < env->subprogs[f].end; i++) {
				const struct bvc_insn *insn = &env->insns[i];
				uint32_t succ[2];
				uint16_t out;
				int n;

				if (i > 0 && bvc_insn_is_ld_imm64(&env->insns[i - 1]))
					continue;
				if (bvc_insn_class(insn) == BVC_STX && (fp_in[i] & R(insn->src)) &&
				    insn->src != BVC_REG_FP && !spilled[f]) {
					spilled[f] = true;
					changed = true;
				}
				if (bvc_insn_class(insn) == BVC_STX && insn->src == BVC_REG_FP && !spilled[f]) {
					spilled[f] = true;
					changed = true;
				}
				/* A helper or callee handed one may keep it anywhere. */
				if ((bvc_insn_class(insn) == BVC_JMP || bvc_insn_class(insn) == BVC_JMP32) &&
				    bvc_insn_op(insn) == BVC_CALL && (fp_in[i] & ARG_REGS) && !spilled[f]) {
					spilled[f] = true;
					changed = true;
				}
				out = fp_regs_after(insn, fp_in[i], spilled[f]);
				n = successors(env, i, succ);
				for (int k = 0; k < n; k++) {
					if (succ[k] >= env->cnt || (fp_in[succ[k]] | out) == fp_in[succ[k]])
						continue;
					fp_in[succ[k]] |= out;
					changed = true;
				}
			}
		}
	}
	free(spilled);
	return 0;
}

/* Backward dataflow to a fixpoint, all functions at once (edges never
 * cross functions: calls are modelled by their use/def sets): registers,
 * and each function's own stack slots. */
static int compute_liveness(struct bvc_env *env)
{
	uint16_t *fp_in = malloc(env->cnt * sizeof(*fp_in));
	bool changed = true;

	if (!fp_in || compute_fp_regs(env, fp_in)) {
		free(fp_in);
		return -ENOMEM;
	}
	while (changed) {
		changed = false;
		for (uint32_t i = env->cnt; i-- > 0;) {
			uint32_t succ[2];
			uint16_t use, def, out = 0, in;
			uint64_t suse, sdef, sout = 0, sin;
			int n;

			if (i > 0 && bvc_insn_is_ld_imm64(&env->insns[i - 1]))
				continue; /* second half of ld_imm64 */
			n = successors(env, i, succ);
			for (int k = 0; k < n; k++) {
				if (succ[k] < env->cnt) {
					out |= env->aux[succ[k]].live_regs;
					sout |= env->aux[succ[k]].live_slots;
				}
			}
			insn_use_def(env, &env->insns[i], &use, &def);
			insn_slot_use_def(&env->insns[i], fp_in[i], &suse, &sdef);
			in = (uint16_t)(use | (out & ~def));
			sin = suse | (sout & ~sdef);
			if (in != env->aux[i].live_regs || sin != env->aux[i].live_slots) {
				env->aux[i].live_regs = in;
				env->aux[i].live_slots = sin;
				changed = true;
			}
		}
	}
	free(fp_in);
	return 0;
}

int bvc_check_cfg(struct bvc_env *env)
{
	uint8_t *reached;
	int err;

	err = find_subprogs(env);
	if (err)
		return err;
	/* The kernel lists the functions before it walks the graph. */
	if (env->opts.log_level & 2)
		for (uint32_t sp = 0; sp < env->nsubprogs; sp++)
			bvc_vlog(env, "func#%u @%u\n", sp, env->subprogs[sp].start);
	reached = calloc(env->cnt, 1);
	if (!reached)
		return -ENOMEM;
	err = mark_reachable(env, reached);
	for (uint32_t i = 0; !err && i < env->cnt; i++) {
		if (!reached[i]) {
			env->insn_idx = i;
			err = bvc_vrej(env, "unreachable insn %u", i);
			break;
		}
		if (bvc_insn_is_ld_imm64(&env->insns[i])) {
			if (reached[i + 1]) {
				env->insn_idx = i;
				err = bvc_vrej(env, "jump into the middle of ldimm64 insn %u", i);
				break;
			}
			i++;
		}
	}
	free(reached);
	if (!err)
		err = compute_liveness(env);
	return err;
}
