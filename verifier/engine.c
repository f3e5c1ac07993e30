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
 * checked on that state and applied to it. At a conditional jump whose
 * outcome the state does not decide, the taken side is pushed on a stack
 * and the fall-through is followed first; the pushed states are popped
 * when a path ends (depth first, as the kernel). Each side is refined by
 * the condition (r1 > 5 on one side, r1 <= 5 on the other; a NULL check
 * turns "map_value_or_null" into "map_value" or into 0; a comparison with
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
 * The first unsafe step rejects the program with the kernel's message.
 * Whatever the engine does not model is refused as "unsupported: ...":
 * never accepted.
 *
 * Built to be split across processes later (docs/design.md section 4): states
 * are self-contained values, the pending stack is the set of work items,
 * and checkpoints are only used once finished.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvc/disasm.h"
#include "bpfvc/engine.h"
#include "engine_internal.h"

static int check_ld_imm64(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *dst = &cur_regs(env)[insn->dst];
	uint32_t idx = (uint32_t)insn->imm;

	switch (insn->src) {
	case 0:
		mark_reg_known(dst, bvc_ld_imm64_value(insn));
		return 0;
	case BVC_PSEUDO_MAP_IDX:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		if (idx >= env->img->map_cnt)
			return vrej(env, "fd %u is not pointing to valid bpf_map", idx);
		if (!bvc_map_type_supported(env->img->maps[idx].type))
			return vunsup(env, "map type %u", env->img->maps[idx].type);
		mark_reg_known(dst, 0);
		dst->map_idx = idx;
		if (insn->src == BVC_PSEUDO_MAP_IDX) {
			dst->type = BVC_CONST_PTR_MAP;
			return 0;
		}
		if ((uint32_t)insn[1].imm >= 1u << 29)
			return vrej(env, "direct value offset of %u is not allowed", (uint32_t)insn[1].imm);
		if (env->img->maps[idx].type != BVC_MAP_ARRAY)
			return vrej(env, "no direct value access support for this map type");
		/* Only single-element arrays (global data) have one address. */
		if (env->img->maps[idx].max_entries != 1 ||
		    (uint32_t)insn[1].imm >= env->img->maps[idx].value_size)
			return vrej(env, "invalid access to map value pointer, value_size=%u off=%u",
				    env->img->maps[idx].value_size, (uint32_t)insn[1].imm);
		dst->type = BVC_PTR_MAP_VALUE;
		dst->off = insn[1].imm;
		return 0;
	case BVC_PSEUDO_FUNC:
		return vunsup(env, "callbacks (ld_imm64 of a function)");
	default:
		return vunsup(env, "ld_imm64 with pseudo source %u", insn->src);
	}
}

static int check_ld_abs(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = cur_regs(env);

	if (!bvc_prog_type_may_ld_abs(env->prog->type))
		return vrej(env, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
	if (env->cur->curframe)
		/* It may end the program from inside a function: the kernel
		 * then checks the function's BTF return type and saved regs. */
		return vunsup(env, "LD_ABS/LD_IND inside a bpf-to-bpf function");
	if (regs[6].type == BVC_NOT_INIT)
		return vrej(env, "R6 !read_ok");
	if (regs[6].type != BVC_PTR_CTX)
		return vrej(env, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
	if (bvc_insn_mode(insn) == BVC_IND && regs[insn->src].type == BVC_NOT_INIT)
		return vrej(env, "R%u !read_ok", insn->src);
	if (env->cur->nrefs)
		return vrej(env, "BPF_LD_[ABS|IND] cannot be mixed with socket references");
	for (int r = 1; r <= 5; r++)
		mark_reg_not_init(&regs[r]);
	mark_reg_unknown(&regs[0]);
	bvc_scalar_coerce(&regs[0].var, bvc_size_bytes(bvc_insn_size(insn)));
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
		return vfail(env, fault.unsupported ? BVC_UNSUPPORTED : BVC_REJECT, fault.msg);

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		return check_alu(env, insn);
	case BVC_LDX:
		return check_load(env, insn);
	case BVC_ST:
		return check_store(env, insn);
	case BVC_STX:
		if (bvc_insn_mode(insn) == BVC_ATOMIC)
			return check_atomic_op(env, insn);
		return check_store(env, insn);
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
			return check_func_call(env, insn);
		if (insn->src == BVC_PSEUDO_KFUNC_CALL)
			return vunsup(env, "kfunc calls");
		return check_helper_call(env, insn);
	case BVC_JA:
		env->insn_idx = (uint32_t)((int64_t)env->insn_idx + 1 +
					   (cls == BVC_JMP32 ? insn->imm : insn->off));
		return 1;
	case BVC_EXIT:
		err = check_exit(env, &done);
		if (err)
			return err;
		return done ? 2 : 1;
	default:
		return check_cond_jmp(env, insn);
	}
}

/* The path ended (exit or pruned): its branch is done. */
static void end_path(struct bvc_env *env)
{
	update_branch_counts(env, env->cur);
	state_free(env->cur);
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
			state_free(p.st);
			continue;
		}
		switched = true;
		state_free(env->cur);
		env->cur = p.st;
		env->insn_idx = p.insn;
		env->prev_insn_idx = p.prev_insn;
	}
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

		if (!env->cur && !pop_next(env))
			return 0;
		if (budget && env->processed - start >= budget)
			return 1;
		if (env->opts.insn_limit && ++env->processed > env->opts.insn_limit)
			return vrej(env, "BPF program is too large. Processed %llu insn",
				    (unsigned long long)env->processed);
		if (!env->opts.insn_limit)
			env->processed++;
		env->aux[env->insn_idx].seen = true;

		env->hist_open = false;
		/* A followed path prunes nothing: it must reach what it did. */
		ret = env->opts.follow_len ? 0 : is_state_visited(env, env->insn_idx);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			vlog(env, "%u: safe\n", env->insn_idx);
			end_path(env);
			continue;
		}
		ret = hist_arrive(env);
		if (ret < 0)
			return ret;
		if (env->opts.log_level & 2) {
			char text[BVC_DISASM_TEXT_MAX];

			bvc_disasm_insn(env->insns, env->cnt, env->insn_idx, text, sizeof(text));
			vlog(env, "%u: (%02x) %s\n", env->insn_idx, env->insns[env->insn_idx].code, text);
		}

		/* prev_insn_idx stays the previous instruction while this one
		 * runs: its history entries point back there. */
		at = env->insn_idx;
		ret = do_insn(env);
		env->prev_insn_idx = at;
		if (ret < 0)
			return ret;
		if (ret == 0)
			env->insn_idx++;
		if (env->opts.follow_len && env->npending)
			follow_trail(env);
		if (ret == 2) {
			end_path(env);
			continue;
		}
		if (env->insn_idx >= env->cnt)
			return vrej(env, "invalid insn idx %u insn_cnt %u", env->insn_idx, env->cnt);
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
			      : a->ptr_type == BVC_PTR_STACK ? BVC_FACT_STACK : BVC_FACT_OTHER;
		f->ctx_field = (int16_t)a->ctx_field;
		f->ctx_field_off = a->ctx_field_off;
		f->ctx_field_size = a->ctx_field_size;
		f->map_idx = a->map_idx;
	}
}

/* As the in-process run merges them in its aux (the first pointer type
 * seen stays; ctx against any other is refused by check_mem_access_reg). */
int bvc_fact_merge(struct bvc_insn_fact *into, const struct bvc_insn_fact *f)
{
	into->seen |= f->seen;
	if (f->mem_base >= 0) {
		if (into->mem_base < 0)
			into->mem_base = f->mem_base;
		else if ((into->mem_base == BVC_FACT_CTX) != (f->mem_base == BVC_FACT_CTX))
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
	if (opts)
		memcpy(&env->opts, opts, opts->sz < sizeof(env->opts) ? opts->sz : sizeof(env->opts));
	env->gpl = license_is_gpl(img->license);
	env->aux = calloc(env->cnt, sizeof(*env->aux));
	env->explored = calloc(env->cnt, sizeof(*env->explored));
	env->cur = state_new();
	if (!env->aux || !env->explored || !env->cur)
		return -ENOMEM;
	for (uint32_t i = 0; i < env->cnt; i++) {
		env->aux[i].ptr_type = -1;
		env->aux[i].ctx_field = -1;
		env->aux[i].map_idx = -1;
	}
	fr = env->cur->frames[0];
	for (int r = 0; r < BVC_MAX_REG; r++)
		mark_reg_not_init(&fr->regs[r]);
	mark_reg_known(&fr->regs[1], 0);
	fr->regs[1].type = BVC_PTR_CTX;
	mark_reg_known(&fr->regs[BVC_REG_FP], 0);
	fr->regs[BVC_REG_FP].type = BVC_PTR_STACK;
	env->prev_insn_idx = BVC_HIST_NONE;
	if (!with_entry) {
		state_free(env->cur);
		env->cur = NULL;
	}
	return 0;
}

static void env_free(struct bvc_env *env)
{
	state_free(env->cur);
	for (uint32_t i = 0; i < env->npending; i++)
		state_free(env->pending[i].st);
	free(env->pending);
	explored_free(env);
	free(env->aux);
	free(env->log);
	free(env->err_trail);
}

struct bvc_engine {
	struct bvc_env env;
	int early;                 /* 1: the static passes decided; @early_verdict holds it */
	struct bvc_verdict early_verdict;
	uint64_t usec;             /* time spent in bvc_engine_run() */
	bool finished;             /* do_check returned 0 or rejected */
};

struct bvc_work {
	uint64_t id;
	struct bvc_state *st;
	uint32_t insn, prev_insn;
};

int bvc_engine_new(const struct bvc_image *img, const struct bvc_prog *prog,
		   const struct bvc_verify_opts *opts, int with_entry, struct bvc_engine **out)
{
	struct bvc_engine *eng = calloc(1, sizeof(*eng));
	struct bvc_env *env;
	struct bvc_isa_fault fault;
	int err;

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
	env = &eng->env;
	err = env_init(env, img, prog, opts, with_entry);
	if (!err && !bvc_prog_type_supported(prog->type))
		err = vunsup(env, "program type %u", prog->type);
	/* BPF_F_STRICT_ALIGNMENT (1) and BPF_F_SLEEPABLE (16), XDP frags
	 * (32) change the rules; ANY_ALIGNMENT (2), TEST_RND_HI32 (4),
	 * TEST_STATE_FREQ (8) and TEST_REG_INVARIANTS (128) do not change
	 * what is safe. */
	if (!err && ((env->opts.prog_flags | prog->prog_flags) & ~(2u | 4u | 8u | 128u)))
		err = vunsup(env, "program flags %#x", env->opts.prog_flags | prog->prog_flags);
	if (!err)
		err = check_load_time(env);
	if (!err)
		err = check_cfg(env);
	if (!err && !prog->func_cnt)
		err = check_abnormal_return(env);
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

int bvc_engine_donate(struct bvc_engine *eng, struct bvc_work **out)
{
	struct bvc_env *env = &eng->env;
	struct bvc_state *path;
	struct bvc_work *w;

	if (eng->early || env->rejected || !env->npending)
		return -ENOENT;
	if (env->ndonated == env->cap_donated) {
		uint32_t cap = env->cap_donated ? env->cap_donated * 2 : 16;
		struct bvc_donation *v = realloc(env->donated, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		env->donated = v;
		env->cap_donated = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	/* The oldest pending branch: the bottom of the stack, the biggest
	 * subtree. Its parent's branch count keeps counting it (the
	 * placeholder) until bvc_engine_work_done(). */
	w->st = env->pending[0].st;
	w->insn = env->pending[0].insn;
	w->prev_insn = env->pending[0].prev_insn;
	w->id = ++env->next_work_id;
	/* The placeholder keeps the item's path since its parent checkpoint:
	 * a precision demand continues its walk from there. */
	path = calloc(1, sizeof(*path));
	if (!path) {
		free(w);
		return -ENOMEM;
	}
	memmove(env->pending, env->pending + 1, (env->npending - 1) * sizeof(*env->pending));
	env->npending--;
	path->hist = w->st->hist;
	path->nhist = path->cap_hist = w->st->nhist;
	path->first_insn = w->st->first_insn;
	path->last_insn = w->prev_insn;
	path->insn_idx = w->insn;
	path->curframe = w->st->curframe;
	w->st->hist = NULL;
	w->st->nhist = w->st->cap_hist = 0;
	env->donated[env->ndonated++] = (struct bvc_donation){ w->id, w->st->parent, path };
	w->st->parent = NULL; /* the parent lives in this engine only */
	*out = w;
	return 0;
}

int bvc_engine_work_done(struct bvc_engine *eng, uint64_t work_id,
			 const struct bvc_precision_demand *demand)
{
	struct bvc_env *env = &eng->env;

	for (uint32_t i = 0; i < env->ndonated; i++) {
		struct bvc_donation *d = &env->donated[i];

		if (d->id != work_id)
			continue;
		if (demand && (demand->nframes || demand->all)) {
			struct bvc_prec_mask m = { .all = demand->all };
			int err;

			/* Masks for other frames than the item's cannot be
			 * followed: everything, then (sound, prunes less). */
			if (demand->nframes != d->path->curframe + 1)
				m.all = true;
			for (uint32_t f = 0; f < demand->nframes && f < BVC_MAX_FRAMES; f++) {
				m.regs[f] = demand->regs[f] & 0x3ff;
				m.slots[f] = demand->slots[f];
			}
			/* Applied before the count drops: the parent must not
			 * be finished without what its subtree needed. */
			err = apply_demand(env, d->path, d->parent, &m);
			if (err)
				return err;
		}
		if (d->parent)
			update_branch_counts(env, d->parent);
		state_free(d->path);
		*d = env->donated[--env->ndonated];
		return 0;
	}
	return -ENOENT;
}

/* The largest id in @st, so this engine's new ids stay clear of it. */
static uint32_t max_id(struct bvc_state *st)
{
	uint32_t m = 0;

	for_each_reg(st, reg, {
		if (reg->id > m)
			m = reg->id;
		if (reg->ref_obj_id > m)
			m = reg->ref_obj_id;
	});
	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i] > m)
			m = st->refs[i];
	return m;
}

int bvc_engine_accept(struct bvc_engine *eng, struct bvc_work **work)
{
	struct bvc_env *env = &eng->env;
	struct bvc_work *w = *work;
	struct bvc_state *anchor;
	uint32_t m;
	int err;

	if (eng->early || env->rejected)
		return -EINVAL;
	if (env->npending >= BVC_MAX_PENDING)
		return -EBUSY;
	if (env->npending == env->cap_pending) {
		uint32_t cap = env->cap_pending ? env->cap_pending * 2 : 64;
		struct bvc_pending *p = realloc(env->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		env->pending = p;
		env->cap_pending = cap;
	}
	/* A root for the item's subtree: when its count drops to 0 the
	 * item is done (update_branch_counts reports it). */
	anchor = calloc(1, sizeof(*anchor));
	if (!anchor)
		return -ENOMEM;
	anchor->branches = 1;
	anchor->anchor_id = w->id;
	anchor->curframe = w->st->curframe; /* the frames its demand covers */
	anchor->demand = calloc(1, sizeof(*anchor->demand));
	if (!anchor->demand) {
		free(anchor);
		return -ENOMEM;
	}
	err = list_push(&env->anchors, anchor);
	if (err) {
		state_free(anchor);
		return err;
	}
	w->st->parent = anchor;
	/* A fresh segment of the path starts at the item, and what is
	 * precise is for this engine's checkpoints to learn. */
	w->st->nhist = 0;
	w->st->first_insn = w->insn;
	for_each_reg(w->st, reg, { reg->precise = false; });
	m = max_id(w->st);
	if (m > env->id_gen)
		env->id_gen = m;
	env->pending[env->npending++] = (struct bvc_pending){ w->st, w->insn, w->prev_insn };
	eng->finished = false;
	free(w);
	*work = NULL;
	return 0;
}

int bvc_engine_poll_done(struct bvc_engine *eng, uint64_t *work_id,
			 struct bvc_precision_demand *demand)
{
	struct bvc_env *env = &eng->env;
	const struct bvc_state *anchor;
	const struct bvc_prec_mask *m;
	bool any;

	if (eng->early || !env->done.n)
		return -ENOENT;
	anchor = env->done.v[--env->done.n];
	*work_id = anchor->anchor_id;
	if (!demand)
		return 0;
	memset(demand, 0, sizeof(*demand));
	m = anchor->demand;
	any = m->all;
	for (uint32_t f = 0; f <= anchor->curframe; f++)
		any |= m->regs[f] || m->slots[f];
	if (!any)
		return 0;
	demand->nframes = anchor->curframe + 1;
	demand->all = m->all;
	for (uint32_t f = 0; f <= anchor->curframe; f++) {
		demand->regs[f] = m->regs[f];
		demand->slots[f] = m->slots[f];
	}
	return 0;
}

static void reg_to_view(const struct bvc_reg *r, struct bvc_reg_view *v)
{
	memset(v, 0, sizeof(*v));
	v->type = r->type;
	v->maybe_null = r->maybe_null;
	v->precise = r->precise;
	v->frameno = r->frameno;
	v->off = r->off;
	v->var = r->var;
	v->id = r->id;
	v->ref_obj_id = r->ref_obj_id;
	v->map_idx = r->map_idx;
	v->mem_size = r->mem_size;
	v->range = r->range;
}

int bvc_work_view_get(const struct bvc_work *work, struct bvc_work_view *v)
{
	const struct bvc_state *st = work->st;

	memset(v, 0, sizeof(*v));
	v->id = work->id;
	v->insn = work->insn;
	v->prev_insn = work->prev_insn;
	v->nframes = st->curframe + 1;
	v->nrefs = st->nrefs;
	memcpy(v->refs, st->refs, st->nrefs * sizeof(st->refs[0]));
	for (uint32_t f = 0; f < v->nframes; f++) {
		const struct bvc_frame *fr = st->frames[f];
		struct bvc_frame_view *fv = &v->frames[f];

		for (int r = 0; r < BVC_MAX_REG; r++)
			reg_to_view(&fr->regs[r], &fv->regs[r]);
		fv->callsite = fr->callsite;
		fv->subprog = fr->subprog;
		fv->frameno = fr->frameno;
		fv->stack_depth = fr->stack_depth;
		fv->nslots = fr->nslots;
		if (fr->nslots) {
			fv->slots = calloc(fr->nslots, sizeof(*fv->slots));
			if (!fv->slots) {
				bvc_work_view_release(v);
				return -ENOMEM;
			}
		}
		for (uint32_t s = 0; s < fr->nslots; s++) {
			memcpy(fv->slots[s].stype, fr->slots[s].stype, 8);
			reg_to_view(&fr->slots[s].spilled, &fv->slots[s].spilled);
		}
	}
	v->trail_len = st->trail_len;
	if (st->trail_len) {
		v->trail = malloc((st->trail_len + 7) / 8);
		if (!v->trail) {
			bvc_work_view_release(v);
			return -ENOMEM;
		}
		memcpy(v->trail, st->trail, (st->trail_len + 7) / 8);
	}
	return 0;
}

void bvc_work_view_release(struct bvc_work_view *v)
{
	for (uint32_t f = 0; f < BVC_VIEW_MAX_FRAMES; f++) {
		free(v->frames[f].slots);
		v->frames[f].slots = NULL;
	}
	free(v->trail);
	v->trail = NULL;
}

/* One register of a state from elsewhere: everything the engine later
 * indexes or trusts is checked here. */
static int reg_from_view(const struct bvc_image *img, const struct bvc_reg_view *v, uint32_t nframes,
			 struct bvc_reg *r, char *err, size_t errsz, const char *where)
{
	if (v->type > BVC_PTR_FUNC) {
		snprintf(err, errsz, "%s: register type %u is not a type", where, v->type);
		return -EBADMSG;
	}
	if ((v->type == BVC_CONST_PTR_MAP || v->type == BVC_PTR_MAP_VALUE ||
	     v->type == BVC_PTR_MAP_KEY) && v->map_idx >= img->map_cnt) {
		snprintf(err, errsz, "%s: map %u of %zu", where, v->map_idx, img->map_cnt);
		return -EBADMSG;
	}
	if (v->type == BVC_PTR_STACK && v->frameno >= nframes) {
		snprintf(err, errsz, "%s: stack pointer into frame %u of %u", where, v->frameno, nframes);
		return -EBADMSG;
	}
	if (v->type != BVC_NOT_INIT && !bvc_scalar_is_valid(&v->var)) {
		snprintf(err, errsz, "%s: bounds that hold no value", where);
		return -EBADMSG;
	}
	if (v->maybe_null > 1 || v->precise > 1 || v->range < 0 || v->range > BVC_PKT_MAX_RANGE) {
		snprintf(err, errsz, "%s: flag or packet range out of range", where);
		return -EBADMSG;
	}
	memset(r, 0, sizeof(*r));
	r->type = (enum bvc_rtype)v->type;
	r->maybe_null = v->maybe_null;
	r->precise = v->precise;
	r->frameno = v->frameno;
	r->off = v->off;
	r->var = v->var;
	r->id = v->id;
	r->ref_obj_id = v->ref_obj_id;
	r->map_idx = v->map_idx;
	r->mem_size = v->mem_size;
	r->range = v->range;
	return 0;
}

int bvc_work_from_view(const struct bvc_image *img, const struct bvc_prog *prog,
		       const struct bvc_work_view *v, struct bvc_work **out, char *err, size_t errsz)
{
	struct bvc_work *w;
	struct bvc_state *st;
	char where[64];
	int ret = -EBADMSG;

	*out = NULL;
	if (v->insn >= prog->insn_cnt || v->prev_insn >= prog->insn_cnt) {
		snprintf(err, errsz, "work item at insn %u of %zu", v->insn, prog->insn_cnt);
		return -EBADMSG;
	}
	if (!v->nframes || v->nframes > BVC_VIEW_MAX_FRAMES || v->nrefs > BVC_VIEW_MAX_REFS) {
		snprintf(err, errsz, "work item with %u frames and %u references", v->nframes, v->nrefs);
		return -EBADMSG;
	}
	if (v->trail_len && !v->trail) {
		snprintf(err, errsz, "work item trail of %u decisions without data", v->trail_len);
		return -EBADMSG;
	}
	w = calloc(1, sizeof(*w));
	st = state_new();
	if (!w || !st) {
		free(w);
		state_free(st);
		return -ENOMEM;
	}
	w->st = st;
	w->id = v->id;
	w->insn = v->insn;
	w->prev_insn = v->prev_insn;
	st->insn_idx = v->insn;
	st->curframe = v->nframes - 1;
	st->nrefs = v->nrefs;
	memcpy(st->refs, v->refs, v->nrefs * sizeof(v->refs[0]));
	for (uint32_t f = 0; f < v->nframes; f++) {
		const struct bvc_frame_view *fv = &v->frames[f];
		struct bvc_frame *fr = st->frames[f];

		if (!fr) {
			fr = st->frames[f] = calloc(1, sizeof(*fr));
			if (!fr) {
				ret = -ENOMEM;
				goto fail;
			}
		}
		if (fv->nslots > BVC_VIEW_MAX_SLOTS || (fv->nslots && !fv->slots) ||
		    fv->frameno != f || fv->stack_depth > BVC_STACK_SIZE ||
		    (f == 0) != (fv->callsite == -1) ||
		    (f && (fv->callsite < 0 || (size_t)fv->callsite >= prog->insn_cnt)) ||
		    fv->subprog > 256) {
			snprintf(err, errsz, "frame %u: malformed (slots, number, depth or call site)", f);
			goto fail;
		}
		fr->callsite = fv->callsite;
		fr->subprog = fv->subprog;
		fr->frameno = fv->frameno;
		fr->stack_depth = fv->stack_depth;
		for (int r = 0; r < BVC_MAX_REG; r++) {
			snprintf(where, sizeof(where), "frame %u R%d", f, r);
			ret = reg_from_view(img, &fv->regs[r], v->nframes, &fr->regs[r], err, errsz, where);
			if (ret)
				goto fail;
		}
		ret = grow_stack(fr, fv->nslots);
		if (ret)
			goto fail;
		for (uint32_t s = 0; s < fv->nslots; s++) {
			for (int b = 0; b < 8; b++) {
				if (fv->slots[s].stype[b] > BVC_STACK_ZERO) {
					snprintf(err, errsz, "frame %u slot %u: byte type %u", f, s,
						 fv->slots[s].stype[b]);
					ret = -EBADMSG;
					goto fail;
				}
			}
			memcpy(fr->slots[s].stype, fv->slots[s].stype, 8);
			snprintf(where, sizeof(where), "frame %u fp-%u", f, 8 * (s + 1));
			ret = reg_from_view(img, &fv->slots[s].spilled, v->nframes, &fr->slots[s].spilled,
					    err, errsz, where);
			if (ret)
				goto fail;
		}
	}
	if (v->trail_len) {
		st->trail = calloc(1, trail_bytes(v->trail_len));
		if (!st->trail) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(st->trail, v->trail, (v->trail_len + 7) / 8);
		st->trail_len = v->trail_len;
	}
	*out = w;
	return 0;
fail:
	bvc_work_free(w);
	return ret ? ret : -EBADMSG;
}

uint64_t bvc_work_id(const struct bvc_work *work)
{
	return work->id;
}

uint32_t bvc_work_insn(const struct bvc_work *work)
{
	return work->insn;
}

const uint8_t *bvc_work_trail(const struct bvc_work *work, uint32_t *bits)
{
	*bits = work->st->trail_len;
	return work->st->trail;
}

void bvc_work_free(struct bvc_work *work)
{
	if (work) {
		state_free(work->st);
		free(work);
	}
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
		err = check_max_stack_depth(env, 0, 0, 1);
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
	vlog(env, "processed %llu insns (limit %llu) max_states_per_insn %u total_states %llu peak_states %llu mark_read 0\n",
	     (unsigned long long)env->processed, (unsigned long long)env->opts.insn_limit,
	     env->max_states_per_insn, (unsigned long long)env->total_states,
	     (unsigned long long)env->peak_states);
	if (env->opts.log_level & 4)
		vlog(env, "verification time %llu usec\n", (unsigned long long)eng->usec);
	out->total_states = env->total_states;
	out->peak_states = env->peak_states;
	out->max_states_per_insn = env->max_states_per_insn;
	if (env->log) {
		out->log = env->log;
		out->log_len = env->log_len;
		env->log = NULL;
		env->log_len = env->log_cap = 0;
	}
	return err;
}

uint32_t bvc_engine_stack_depths(const struct bvc_engine *eng, uint32_t *depths, uint32_t max)
{
	const struct bvc_env *env = &eng->env;

	if (eng->early)
		return 0;
	for (uint32_t i = 0; i < env->nsubprogs && i < max; i++)
		depths[i] = env->subprogs[i].stack_depth;
	return env->nsubprogs;
}

int bvc_engine_merge_stack_depths(struct bvc_engine *eng, const uint32_t *depths, uint32_t n)
{
	struct bvc_env *env = &eng->env;

	if (eng->early || n != env->nsubprogs)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (depths[i] > env->subprogs[i].stack_depth)
			env->subprogs[i].stack_depth = depths[i];
	return 0;
}

void bvc_engine_share_limit(struct bvc_engine *eng, uint64_t limit)
{
	eng->env.share_limit = limit;
}

int bvc_engine_share(struct bvc_engine *eng, struct bvc_work **out)
{
	struct bvc_env *env = &eng->env;
	const struct bvc_state *cp;
	struct bvc_work *w;

	if (eng->early || !env->share.n)
		return -ENOENT;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	cp = env->share.v[0];
	w->st = state_copy(cp);
	if (!w->st) {
		free(w);
		return -ENOMEM;
	}
	memmove(env->share.v, env->share.v + 1, (env->share.n - 1) * sizeof(*env->share.v));
	env->share.n--;
	/* The state only: its path and parents stay here. */
	free(w->st->hist);
	w->st->hist = NULL;
	w->st->nhist = w->st->cap_hist = 0;
	w->st->parent = NULL;
	w->insn = cp->insn_idx;
	w->prev_insn = cp->last_insn == BVC_HIST_NONE ? 0 : cp->last_insn;
	w->id = cp->seq;
	*out = w;
	return 0;
}

int bvc_engine_add_checkpoint(struct bvc_engine *eng, struct bvc_work **work)
{
	struct bvc_env *env = &eng->env;
	struct bvc_work *w = *work;
	struct bvc_state *cp = w->st;
	int err;

	if (eng->early || !env->explored || w->insn >= env->cnt)
		return -EINVAL;
	cp->insn_idx = w->insn;
	cp->branches = 0; /* finished where it came from */
	cp->parent = NULL;
	cp->remote = true;
	cp->seq = 0;
	free(cp->trail);
	cp->trail = NULL;
	cp->trail_len = 0;
	err = list_push(&env->explored[w->insn], cp);
	if (err)
		return err;
	env->remote_added++;
	free(w);
	*work = NULL;
	return 0;
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

uint64_t bvc_engine_remote_hits(const struct bvc_engine *eng)
{
	return eng->env.remote_hits;
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
				err = list_push(&all, env->explored[i].v[k]);
	for (uint32_t k = 0; k < env->retired.n && !err; k++)
		if (!env->retired.v[k]->remote)
			err = list_push(&all, env->retired.v[k]);
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
		v->facts = NULL;
		v->fact_cnt = 0;
		v->func_stack = NULL;
		v->func_cnt = 0;
	}
}
