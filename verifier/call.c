// SPDX-License-Identifier: MIT
/*
 * Calls and returns: helper calls checked against their prototypes
 * (helpers.c), bpf-to-bpf calls that push a frame, exits that pop one or
 * end the program, and the whole-program checks on functions (the call
 * chain's stack, LD_ABS and tail calls in functions without BTF).
 *
 * A helper's arguments are checked as memory accesses (mem.c) of the sizes
 * its prototype names; r1-r5 are clobbered and r0 gets the result type.
 * References (ringbuf records) are acquired and released here and must all
 * be gone at the program's exit. What a helper does that we do not model
 * is refused as unsupported, never assumed harmless.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>

#include "bpfvc/disasm.h"
#include "engine_internal.h"

#define BVC_MAX_ERRNO 4095 /* the kernel's MAX_ERRNO */

static uint32_t subprog_of(const struct bvc_env *env, uint32_t insn)
{
	uint32_t i = 0;

	while (i + 1 < env->nsubprogs && env->subprogs[i + 1].start <= insn)
		i++;
	return i;
}

/* The argument a helper's size parameter pairs with, checked and sized.
 * The size's upper bound goes to *@msize_max before any check, as the
 * kernel's check_mem_size_reg() records it for do_refine_retval_range(). */
static int check_size_arg(struct bvc_env *env, uint32_t regno, uint8_t kind, uint32_t mem_regno,
			  bool mem_write, bool pkt_ok, bool null_ok, uint64_t *msize_max)
{
	struct bvc_reg *reg = &bvc_cur_regs(env)[regno];
	bool zero_ok = kind == BVC_ARG_CONST_SIZE_OR_ZERO;
	int err;

	*msize_max = reg->var.umax;
	if (reg->type != BVC_SCALAR)
		return bvc_vrej(env, "R%u type=%s expected=scalar", regno, bvc_rtype_name(reg));
	if (reg->var.smin < 0)
		return bvc_vrej(env, "R%u min value is negative, either use unsigned or 'var &= const'",
				regno);
	if (reg->var.umin == 0 && !zero_ok) {
		return bvc_vrej(env, "R%u invalid zero-sized read: u64=[%llu,%llu]", regno,
				(unsigned long long)reg->var.umin, (unsigned long long)reg->var.umax);
	}
	if (reg->var.umax >= BVC_MAX_VAR_OFF)
		return bvc_vrej(env, "R%u unbounded memory access, use 'var &= const' or 'if (var < const)'",
				regno);
	err = bvc_check_mem_region(env, mem_regno, reg->var.umax, mem_write,
				   zero_ok && reg->var.umin == 0, pkt_ok, null_ok);
	/* The access was checked against the size's bounds. */
	return err ? err : bvc_mark_precise(env, regno);
}

static bool is_acquired(const struct bvc_state *st, uint32_t id)
{
	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i] == id)
			return true;
	return false;
}

static void release_reference(struct bvc_state *st, uint32_t ref)
{
	for (uint32_t i = 0; i < st->nrefs; i++) {
		if (st->refs[i] == ref) {
			st->refs[i] = st->refs[--st->nrefs];
			break;
		}
	}
	for_each_reg(st, reg, {
		if (reg->ref_obj_id == ref)
			bvc_mark_reg_unknown(reg);
	});
}

static bool is_sock(const struct bvc_reg *reg)
{
	return !reg->maybe_null && (reg->type == BVC_PTR_SOCK_COMMON || reg->type == BVC_PTR_SOCKET ||
				    reg->type == BVC_PTR_TCP_SOCK);
}

static void invalidate_pkt_pointers(struct bvc_state *st)
{
	for_each_reg(st, reg, {
		if (bvc_is_pkt_pointer(reg) || reg->type == BVC_PTR_PACKET_END)
			bvc_mark_reg_unknown(reg);
	});
}

/*
 * The key of an array map helper when it is a constant on the stack (in
 * *@key, else -1): Linux 6.18 then knows an in-range lookup cannot return
 * NULL. A spilled constant it relies on becomes precise.
 */
static int const_map_key(struct bvc_env *env, const struct bvc_reg *key, uint32_t key_size,
			 int64_t *out)
{
	const struct bvc_frame *fr = env->cur->frames[key->frameno];
	int64_t addr;
	const struct bvc_slot *s;
	bool zero = true;

	*out = -1;
	if (key->type != BVC_PTR_STACK || key_size != 4 || !bvc_scalar_is_const(&key->var))
		return 0;
	addr = (int64_t)key->var.var_off.value + key->off;
	if (addr >= 0 || addr < -BVC_STACK_SIZE || addr % 4 || (uint32_t)((-addr - 1) / 8) >= fr->nslots)
		return 0;
	s = &fr->slots[(-addr - 1) / 8];
	for (int i = 0; i < 4; i++)
		zero &= s->stype[(addr + 8 * ((-addr - 1) / 8 + 1)) + i] == BVC_STACK_ZERO;
	if (zero) {
		*out = 0;
		return 0;
	}
	if (addr % 8 == 0 && s->stype[0] == BVC_STACK_SPILL && s->stype[3] == BVC_STACK_SPILL &&
	    s->stype[4] != BVC_STACK_SPILL && s->spilled.type == BVC_SCALAR &&
	    bvc_scalar_is_const(&s->spilled.var)) {
		/* The spilled register's whole value, as the kernel takes it
		 * (a 64-bit constant spilled in 4 bytes is out of range). */
		*out = s->spilled.var.var_off.value > INT64_MAX ? -1
		       : (int64_t)s->spilled.var.var_off.value;
		return bvc_mark_precise_slot(env, key->frameno, (uint32_t)((-addr - 1) / 8));
	}
	return 0;
}

/* ARG_PTR_TO_INT/LONG are MEM_ALIGNED: the whole address is a multiple
 * of the size, as the kernel checks with strict alignment. */
static int check_arg_aligned(struct bvc_env *env, uint32_t regno, int size)
{
	const struct bvc_reg *reg = &bvc_cur_regs(env)[regno];
	struct bvc_tnum addr = bvc_tnum_add(reg->var.var_off,
					    bvc_tnum_const((uint64_t)(int64_t)reg->off));
	char tn[64];

	if (!bvc_is_pointer(reg) || bvc_tnum_is_aligned(addr, (uint64_t)size))
		return 0;
	bvc_tnum_snprint(tn, sizeof(tn), reg->var.var_off);
	return bvc_vrej(env, "misaligned %saccess off %s+%d+%d size %d",
			reg->type == BVC_PTR_STACK ? "stack " : reg->type == BVC_PTR_MAP_VALUE ? "value " : "",
			tn, reg->off, 0, size);
}

/*
 * bpf_check_mtu's mtu_len (our only ARG_PTR_TO_INT) is in/out: the helper
 * reads it as the length to check. The privileged kernel lets a helper read
 * stack never written (allow_uninit_stack), and 6.18 accepts an
 * uninitialised mtu_len; the 6.12 selftests (verifier_mtu) expect "invalid
 * indirect read from stack". We take the stricter side: each of the 4 bytes
 * at a known stack address must have been written. Bounds are checked
 * before this.
 */
static int check_int_arg_init(struct bvc_env *env, uint32_t regno)
{
	const struct bvc_reg *reg = &bvc_cur_regs(env)[regno];
	const struct bvc_frame *fr;
	int64_t a0;

	if (reg->type != BVC_PTR_STACK)
		return 0;
	if (!bvc_scalar_is_const(&reg->var))
		return bvc_vunsup(env, "helper int argument R%u at a variable stack offset", regno);
	fr = env->cur->frames[reg->frameno];
	a0 = (int64_t)reg->var.var_off.value + reg->off;
	for (int64_t a = a0; a < a0 + 4; a++) {
		uint32_t slot = (uint32_t)((-a - 1) / 8);
		int idx = (int)(a + 8 * ((int64_t)slot + 1));

		if (a >= 0 || slot >= fr->nslots || fr->slots[slot].stype[idx] == BVC_STACK_INVALID)
			return bvc_vrej(env, "invalid indirect read from stack R%u off %lld+%lld size 4",
					regno, (long long)a0, (long long)(a - a0));
	}
	return 0;
}

/*
 * Helpers whose result is bounded by their buffer's size argument (the
 * kernel's do_refine_retval_range): a negative errno down to -MAX_ERRNO, or
 * at most as many bytes as the size register's largest value. Programs rely
 * on it to use the result as a length after `if (r0 s< 0)`.
 */
static void refine_retval_range(struct bvc_reg *r0, int32_t id, uint64_t msize_max)
{
	switch (id) {
	case BPF_FUNC_get_stack:
	case BPF_FUNC_get_task_stack:
	case BPF_FUNC_probe_read_str:
	case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_probe_read_user_str:
		/* The kernel stores the u64 bound into s64 and s32 fields;
		 * the size check keeps it below BVC_MAX_VAR_OFF, so both
		 * take it unchanged. */
		r0->var.smax = (int64_t)msize_max;
		r0->var.s32_max = (int32_t)msize_max;
		r0->var.smin = -BVC_MAX_ERRNO;
		r0->var.s32_min = -BVC_MAX_ERRNO;
		bvc_scalar_sync(&r0->var);
		break;
	}
}

/*
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags), as the kernel
 * models it (push_callback_call, set_loop_callback_state): the path goes
 * on after the call as if the loop were over (r0 an unknown scalar), and
 * a copy of the state before the call enters the callback with r1 the
 * index (any u64) and r2 = callback_ctx. The callback's exit comes back
 * to this call, which runs again with the same arguments and one more
 * iteration counted in the caller's frame (callback_depth): at most
 * nr_loops' largest value of them, or until the call's checkpoint
 * (cfg.c: calls_callback) covers a later visit (prune.c).
 */
static bool map_has_for_each(uint32_t type)
{
	switch (type) {
	case BVC_MAP_HASH:
	case BVC_MAP_ARRAY:
	case BVC_MAP_PERCPU_HASH:
	case BVC_MAP_PERCPU_ARRAY:
	case BVC_MAP_LRU_HASH:
	case 10: /* BPF_MAP_TYPE_LRU_PERCPU_HASH */
		return true;
	default:
		return false;
	}
}

/*
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags) and
 * bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags).
 * for_each_map_elem's callback gets (map, key, value, callback_ctx) and
 * is entered again on every visit of the call until the iterations
 * converge (the kernel has no count for it); bpf_loop's as below.
 */
static int check_loop_call(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_state *st = env->cur, *cb;
	struct bvc_frame *caller = bvc_cur_frame(env), *callee, *cb_caller;
	struct bvc_reg *regs = caller->regs;
	bool for_each = insn->imm == BPF_FUNC_for_each_map_elem;
	uint32_t sp, map = 0;
	int err;

	for (uint32_t r = 1; r <= 4; r++)
		if (regs[r].type == BVC_NOT_INIT)
			return bvc_vrej(env, "R%u !read_ok", r);
	if (for_each) {
		if (regs[1].type != BVC_CONST_PTR_MAP)
			return bvc_vrej(env, "R1 type=%s expected=map_ptr", bvc_rtype_name(&regs[1]));
		map = regs[1].map_idx;
		if (!map_has_for_each(env->img->maps[map].type))
			return bvc_vrej(env, "callback function not allowed for map");
		if (env->img->maps[map].special_field[0])
			return bvc_vunsup(env, "map '%s' has a %s field in its value",
					  env->img->maps[map].name, env->img->maps[map].special_field);
		env->aux[env->insn_idx].map_idx = env->aux[env->insn_idx].map_idx == -1 ||
							  env->aux[env->insn_idx].map_idx == (int32_t)map
						  ? (int32_t)map : -2;
	}
	if (regs[2].type != BVC_PTR_FUNC)
		return bvc_vrej(env, "R2 type=%s expected=func", bvc_rtype_name(&regs[2]));
	if (regs[2].off || !bvc_scalar_is_const(&regs[2].var) || regs[2].var.var_off.value)
		return bvc_vrej(env, "dereference of modified func ptr R2 off=%d disallowed", regs[2].off);
	if (regs[3].type == BVC_SCALAR) {
		if (!bvc_scalar_is_const(&regs[3].var) || regs[3].var.var_off.value)
			return bvc_vrej(env, "R3 type=scalar expected=fp");
		/* NULL is fine only because it is 0: a path with another
		 * scalar there must not be pruned against this one (the
		 * kernel does not mark it; being stricter is sound). */
		err = bvc_mark_precise(env, 3);
		if (err)
			return err;
	} else if (regs[3].type != BVC_PTR_STACK) {
		return bvc_vrej(env, "R3 type=%s expected=fp", bvc_rtype_name(&regs[3]));
	}
	sp = regs[2].map_idx;
	if (sp == 0 || sp >= env->nsubprogs || bvc_is_global_subprog(env, sp))
		return bvc_vunsup(env, "a global function or the main program as a callback");
	/* Whether another iteration may run depends on nr_loops. */
	if (!for_each) {
		err = bvc_mark_precise(env, 1);
		if (err)
			return err;
	}
	regs = bvc_cur_regs(env);
	if (for_each || caller->callback_depth < regs[1].var.umax) {
		if (st->curframe + 1 >= BVC_MAX_FRAMES)
			return bvc_vrej(env, "the call stack of %u frames is too deep", st->curframe + 2);
		cb = bvc_push_state(env, env->subprogs[sp].start, env->insn_idx);
		if (!cb)
			return env->rejected ? -EACCES : -ENOMEM;
		callee = bvc_frame_new(env->arena);
		if (!callee)
			return -ENOMEM;
		cb_caller = cb->frames[cb->curframe];
		callee->callsite = (int32_t)env->insn_idx;
		callee->frameno = cb->curframe + 1;
		callee->subprog = sp;
		callee->in_callback = true;
		callee->cb_ref_base = env->id_gen;
		callee->cb_nrefs = cb->nrefs;
		for (int r = 0; r < BVC_MAX_REG; r++)
			bvc_mark_reg_not_init(&callee->regs[r]);
		if (for_each) {
			/* (map, key, value, callback_ctx), as the kernel's
			 * map_set_for_each_callback_args(). */
			bvc_mark_reg_known(&callee->regs[1], 0);
			callee->regs[1].type = BVC_CONST_PTR_MAP;
			callee->regs[1].map_idx = map;
			bvc_mark_reg_known(&callee->regs[2], 0);
			callee->regs[2].type = BVC_PTR_MAP_KEY;
			callee->regs[2].map_idx = map;
			bvc_mark_reg_known(&callee->regs[3], 0);
			callee->regs[3].type = BVC_PTR_MAP_VALUE;
			callee->regs[3].map_idx = map;
			callee->regs[4] = cb_caller->regs[3];
		} else {
			bvc_mark_reg_unknown(&callee->regs[1]);
			callee->regs[2] = cb_caller->regs[3];
		}
		bvc_mark_reg_known(&callee->regs[BVC_REG_FP], 0);
		callee->regs[BVC_REG_FP].type = BVC_PTR_STACK;
		callee->regs[BVC_REG_FP].frameno = (uint8_t)callee->frameno;
		cb->frames[++cb->curframe] = callee;
		cb->cb_unroll++;
		cb_caller->callback_depth++;
	} else if (env->opts.log_level & 2) {
		bvc_vlog(env, "frame%u bpf_loop iteration limit reached\n", st->curframe);
	}
	caller->callback_depth = 0;
	for (int r = 1; r <= 5; r++)
		bvc_mark_reg_not_init(&regs[r]);
	bvc_mark_reg_unknown(&regs[0]);
	return 0;
}

int bvc_check_helper_call(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env);
	const struct bvc_helper_proto *fn;
	const char *name = bvc_helper_name(insn->imm);
	int32_t map = -1;
	int64_t const_key = -1;
	uint32_t release_ref = 0, meta_ref = 0;
	uint64_t alloc_size = 0, msize_max = 0;
	int err;

	err = bvc_helper_proto_get(insn->imm, env->prog->type, &fn);
	if ((!err || err == -EOPNOTSUPP) &&
	    !bvc_helper_attach_ok(insn->imm, env->prog->type, env->prog->expected_attach_type))
		err = -EACCES;
	if (err == -ERANGE)
		return bvc_vrej(env, "invalid func %s#%d", name ? name : "unknown", insn->imm);
	if (err == -EOPNOTSUPP && (insn->imm == BPF_FUNC_loop || insn->imm == BPF_FUNC_for_each_map_elem))
		return check_loop_call(env, insn);
	if (err == -EOPNOTSUPP)
		return bvc_vunsup(env, "helper %s#%d", name ? name : "unknown", insn->imm);
	if (err)
		return bvc_vrej(env, "program of this type cannot use helper %s#%d",
				name ? name : "unknown", insn->imm);
	if (insn->imm == BVC_HELPER_TAIL_CALL && env->cur->nrefs)
		return bvc_vrej(env, "tail_call would lead to reference leak");
	if ((fn->flags & BVC_HELPER_GPL_ONLY) && !env->gpl)
		return bvc_vrej(env, "cannot call GPL-restricted function from non-GPL compatible program");

	for (uint32_t a = 0; a < 5 && fn->args[a] != BVC_ARG_NONE; a++) {
		uint32_t regno = a + 1;
		struct bvc_reg *reg = &regs[regno];
		uint8_t kind = fn->args[a];
		bool pkt_ok = fn->flags & BVC_HELPER_PKT_ACCESS;

		if (reg->type == BVC_NOT_INIT)
			return bvc_vrej(env, "R%u !read_ok", regno);
		/* The reference a cast's result shares (casts take one
		 * argument). 6.12 refused two referenced arguments to any
		 * helper; 6.18 accepts them, and nothing here depends on it. */
		if (reg->ref_obj_id && !meta_ref)
			meta_ref = reg->ref_obj_id;
		switch (kind) {
		case BVC_ARG_ANYTHING:
			break;
		case BVC_ARG_CONST_MAP_PTR:
			if (reg->type != BVC_CONST_PTR_MAP || reg->maybe_null)
				return bvc_vrej(env, "R%u type=%s expected=map_ptr", regno, bvc_rtype_name(reg));
			map = (int32_t)reg->map_idx;
			if (bvc_map_func_compatible(env->img->maps[map].type, insn->imm))
				break;
			/* A program may delete from a sockmap where no socket
			 * is locked (may_update_sockmap()); an update stores a
			 * socket, which we do not model. */
			if ((env->img->maps[map].type == BVC_MAP_SOCKMAP ||
			     env->img->maps[map].type == BVC_MAP_SOCKHASH) &&
			    bvc_sockmap_may_update(env->prog->type)) {
				if (insn->imm == 3 /* map_delete_elem */)
					break;
				if (insn->imm == 2 /* map_update_elem */)
					return bvc_vunsup(env, "update of a sockmap or sockhash (a socket value)");
			}
			return bvc_vrej(env, "cannot pass map_type %u into func %s#%d",
					env->img->maps[map].type, name ? name : "?", insn->imm);
		case BVC_ARG_MAP_KEY:
		case BVC_ARG_MAP_VALUE:
		case BVC_ARG_MAP_VALUE_UNINIT:
			if (map < 0)
				return bvc_vrej(env, "invalid map_ptr to access map->%s",
						kind == BVC_ARG_MAP_KEY ? "key" : "value");
			if (reg->type == BVC_SCALAR || reg->maybe_null)
				return bvc_vrej(env, "R%u type=%s expected=fp, pkt, pkt_meta, map_key, map_value",
						regno, bvc_rtype_name(reg));
			/* A value the helper fills (pop, peek) need not be
			 * initialised, must be writable, and may be in the
			 * packet only if the helper says so. */
			err = bvc_check_mem_region(env, regno,
						   kind == BVC_ARG_MAP_KEY ? env->img->maps[map].key_size
								       : env->img->maps[map].value_size,
						   kind == BVC_ARG_MAP_VALUE_UNINIT, false,
						   kind != BVC_ARG_MAP_VALUE_UNINIT || pkt_ok, false);
			if (err)
				return err;
			if (kind == BVC_ARG_MAP_KEY &&
			    (env->img->maps[map].type == BVC_MAP_ARRAY ||
			     env->img->maps[map].type == BVC_MAP_PERCPU_ARRAY)) {
				err = const_map_key(env, reg, env->img->maps[map].key_size, &const_key);
				if (err)
					return err;
			}
			break;
		case BVC_ARG_MEM:
		case BVC_ARG_MEM_OR_NULL:
		case BVC_ARG_MEM_RW:
		case BVC_ARG_UNINIT_MEM:
			if (a + 1 >= 5 || (fn->args[a + 1] != BVC_ARG_CONST_SIZE &&
					   fn->args[a + 1] != BVC_ARG_CONST_SIZE_OR_ZERO))
				return bvc_vunsup(env, "helper %s#%d memory argument without size",
						  name ? name : "?", insn->imm);
			if (regs[regno + 1].type == BVC_NOT_INIT)
				return bvc_vrej(env, "R%u !read_ok", regno + 1);
			if (kind == BVC_ARG_MEM_OR_NULL && reg->type == BVC_SCALAR &&
			    bvc_scalar_is_const(&reg->var) && reg->var.var_off.value == 0) {
				/* NULL is fine here only because it is 0. */
				err = bvc_mark_precise(env, regno);
				if (err)
					return err;
			}
			err = check_size_arg(env, regno + 1, fn->args[a + 1], regno,
					     kind == BVC_ARG_UNINIT_MEM || kind == BVC_ARG_MEM_RW,
					     pkt_ok, kind == BVC_ARG_MEM_OR_NULL, &msize_max);
			if (err)
				return err;
			a++;
			break;
		case BVC_ARG_CTX:
			if (reg->type != BVC_PTR_CTX)
				return bvc_vrej(env, "R%u type=%s expected=ctx", regno, bvc_rtype_name(reg));
			if (reg->off < 0)
				return bvc_vrej(env, "negative offset ctx ptr R%u off=%d disallowed", regno,
						reg->off);
			if (reg->off || !bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
				return bvc_vrej(env, "dereference of modified ctx ptr R%u off=%d disallowed",
						regno, reg->off);
			break;
		case BVC_ARG_ALLOC_MEM:
			if (reg->type != BVC_PTR_MEM || reg->maybe_null || !reg->ref_obj_id)
				return bvc_vrej(env, "R%u type=%s expected=ringbuf_mem", regno, bvc_rtype_name(reg));
			if (reg->off || !bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
				return bvc_vrej(env, "R%u must have zero offset when passed to release func",
						regno);
			if (!is_acquired(env->cur, reg->ref_obj_id))
				return bvc_vrej(env, "R%u must be referenced when passed to release function",
						regno);
			release_ref = reg->ref_obj_id;
			break;
		case BVC_ARG_SOCKET_OR_NULL:
			if (reg->type == BVC_SCALAR && bvc_scalar_is_const(&reg->var) &&
			    reg->var.var_off.value == 0) {
				/* NULL is fine here only because it is 0. */
				err = bvc_mark_precise(env, regno);
				if (err)
					return err;
				break;
			}
			if (reg->type != BVC_PTR_SOCKET)
				return bvc_vrej(env, "R%u type=%s expected=sock", regno, bvc_rtype_name(reg));
			if (reg->off || !bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
				return bvc_vbug(env, "R%u socket pointer with an offset", regno);
			break;
		case BVC_ARG_SOCK_COMMON:
		case BVC_ARG_SOCK_COMMON_BTF:
		case BVC_ARG_SOCK_RELEASE:
			if (!is_sock(reg))
				return bvc_vrej(env, "R%u type=%s expected=%s", regno, bvc_rtype_name(reg),
						kind == BVC_ARG_SOCK_COMMON
							? "sock_common, sock, tcp_sock, xdp_sock"
							: "sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_");
			if (reg->off || !bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
				/* Cannot happen: no arithmetic on sockets. */
				return bvc_vbug(env, "R%u socket pointer with an offset", regno);
			if (kind != BVC_ARG_SOCK_RELEASE)
				break;
			if (!reg->ref_obj_id || !is_acquired(env->cur, reg->ref_obj_id))
				return bvc_vrej(env, "R%u must be referenced when passed to release function",
						regno);
			release_ref = reg->ref_obj_id;
			break;
		case BVC_ARG_CONST_ALLOC_SIZE_OR_ZERO:
			if (reg->type != BVC_SCALAR)
				return bvc_vrej(env, "R%u type=%s expected=scalar", regno, bvc_rtype_name(reg));
			if (!bvc_scalar_is_const(&reg->var))
				return bvc_vrej(env, "R%u is not a known constant'", regno);
			alloc_size = reg->var.var_off.value;
			err = bvc_mark_precise(env, regno);
			if (err)
				return err;
			break;
		case BVC_ARG_PTR_TO_INT:
		case BVC_ARG_PTR_TO_LONG:
			err = check_arg_aligned(env, regno, kind == BVC_ARG_PTR_TO_INT ? 4 : 8);
			if (err)
				return err;
			if (kind == BVC_ARG_PTR_TO_INT) {
				err = bvc_check_mem_region(env, regno, 4, false, false, false, false);
				if (!err)
					err = check_int_arg_init(env, regno);
				if (err)
					return err;
			}
			err = bvc_check_mem_region(env, regno, kind == BVC_ARG_PTR_TO_INT ? 4 : 8, true,
						   false, false, false);
			if (err)
				return err;
			break;
		default:
			return bvc_vunsup(env, "helper %s#%d argument kind %u", name ? name : "?", insn->imm,
					  kind);
		}
	}

	if (insn->imm == BPF_FUNC_get_local_storage) {
		/* The helper cannot fail, so it takes no flags: the kernel
		 * wants a known 0 and relies on it (precise). */
		if (regs[2].type != BVC_SCALAR || !bvc_scalar_is_const(&regs[2].var) ||
		    regs[2].var.var_off.value)
			return bvc_vrej(env, "get_local_storage() doesn't support non-zero flags");
		err = bvc_mark_precise(env, 2);
		if (err)
			return err;
	}
	if (insn->imm == BVC_HELPER_TAIL_CALL && map >= 0 && regs[3].type == BVC_SCALAR &&
	    bvc_scalar_is_const(&regs[3].var) &&
	    regs[3].var.var_off.value < env->img->maps[map].max_entries) {
		/* As the kernel, which then jumps straight to that slot. */
		err = bvc_mark_precise(env, 3);
		if (err)
			return err;
	}
	if (release_ref)
		release_reference(env->cur, release_ref);
	if (map >= 0) {
		int32_t *fact = &env->aux[env->insn_idx].map_idx;

		*fact = (*fact == -1 || *fact == map) ? map : -2;
	}
	/* A tail call that returns changed nothing. One that jumps from
	 * inside a function (a callee frame, or a global function verified
	 * on its own) comes back to that function's caller once the other
	 * program has run, which may have moved the packet: every frame's
	 * packet pointers are stale, as the kernel has it. */
	if ((fn->flags & BVC_HELPER_CHANGES_PKT) ||
	    (insn->imm == BVC_HELPER_TAIL_CALL &&
	     (env->cur->curframe || env->cur->frames[0]->subprog)))
		invalidate_pkt_pointers(env->cur);

	/* Caller-saved registers are clobbered; r0 holds the result. */
	for (int r = 1; r <= 5; r++)
		bvc_mark_reg_not_init(&regs[r]);
	switch (fn->ret) {
	case BVC_RET_INTEGER:
		bvc_mark_reg_unknown(&regs[0]);
		refine_retval_range(&regs[0], insn->imm, msize_max);
		break;
	case BVC_RET_VOID:
		bvc_mark_reg_not_init(&regs[0]);
		break;
	case BVC_RET_MAP_VALUE_OR_NULL:
		if (map < 0)
			return bvc_vrej(env, "kernel subsystem misconfigured verifier");
		if (env->img->maps[map].type == BVC_MAP_SOCKMAP ||
		    env->img->maps[map].type == BVC_MAP_SOCKHASH) {
			if (insn->imm != 1 /* map_lookup_elem */)
				return bvc_vunsup(env, "helper %s#%d on a socket map", name ? name : "?",
						  insn->imm);
			/* A referenced socket or NULL, to be released on
			 * every path. 6.12 typed it a map value or NULL
			 * that its NULL check turned into a socket; 6.18
			 * (our oracle) says sock_or_null at once: the same
			 * rules either way, since nothing accepts a map
			 * value or NULL that refuses a socket or NULL. */
			if (env->cur->nrefs == BVC_MAX_REFS)
				return bvc_vunsup(env, "more than %d acquired references", BVC_MAX_REFS);
			bvc_mark_reg_known(&regs[0], 0);
			regs[0].type = BVC_PTR_SOCKET;
			regs[0].maybe_null = true;
			++env->id_gen;
			regs[0].id = ++env->id_gen;
			regs[0].ref_obj_id = regs[0].id;
			env->cur->refs[env->cur->nrefs++] = regs[0].id;
			break;
		}
		/* An xskmap lookup yields an XDP socket, not modelled. (A
		 * devmap's is a value, read-only: mem.c.) */
		if (env->img->maps[map].type == BPF_MAP_TYPE_XSKMAP)
			return bvc_vunsup(env, "lookup in an xskmap (an XDP socket pointer)");
		bvc_mark_reg_known(&regs[0], 0);
		regs[0].type = BVC_PTR_MAP_VALUE;
		regs[0].maybe_null = true;
		regs[0].map_idx = (uint32_t)map;
		if (env->img->maps[map].has_inner &&
		    (env->img->maps[map].type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
		     env->img->maps[map].type == BPF_MAP_TYPE_HASH_OF_MAPS)) {
			/* An element of an array/hash of maps is a map shaped
			 * as the inner template (the kernel's inner_map_meta);
			 * 6.18 types it so from the call on, map_ptr_or_null,
			 * where 6.12 converts a map_value_or_null at the NULL
			 * check. The verdicts are the same. */
			regs[0].type = BVC_CONST_PTR_MAP;
			regs[0].map_idx = env->img->maps[map].inner_idx;
		}
		/* Not for an inner array of BPF_F_INNER_MAP: the arrays
		 * it may hold have other sizes than the template's. */
		if (insn->imm == 1 /* map_lookup_elem */ &&
		    (env->img->maps[map].type == BVC_MAP_ARRAY ||
		     env->img->maps[map].type == BVC_MAP_PERCPU_ARRAY) &&
		    !(env->img->maps[map].origin == BVC_MAP_INNER &&
		      (env->img->maps[map].flags & BPF_F_INNER_MAP)) &&
		    const_key >= 0 && const_key < env->img->maps[map].max_entries)
			/* Linux 6.18: an in-range constant index of an
			 * array; no id is taken (the log's ids follow). */
			regs[0].maybe_null = false;
		else
			regs[0].id = ++env->id_gen;
		break;
	case BVC_RET_MAP_VALUE:
		if (map < 0)
			return bvc_vrej(env, "kernel subsystem misconfigured verifier");
		/* No NULL check, hence no id (a spin lock would need one:
		 * such maps are refused at their ld_imm64). */
		bvc_mark_reg_known(&regs[0], 0);
		regs[0].type = BVC_PTR_MAP_VALUE;
		regs[0].map_idx = (uint32_t)map;
		break;
	case BVC_RET_ALLOC_MEM_OR_NULL:
		if (env->cur->nrefs == BVC_MAX_REFS)
			return bvc_vunsup(env, "more than %d acquired references", BVC_MAX_REFS);
		bvc_mark_reg_known(&regs[0], 0);
		regs[0].type = BVC_PTR_MEM;
		regs[0].maybe_null = true;
		regs[0].mem_size = (uint32_t)alloc_size;
		/* The kernel numbers as it does: an id for the NULL check,
		 * then the reference's, which replaces it (the log shows
		 * id=2 for the first record). */
		++env->id_gen;
		regs[0].id = ++env->id_gen;
		regs[0].ref_obj_id = regs[0].id;
		env->cur->refs[env->cur->nrefs++] = regs[0].id;
		break;
	case BVC_RET_SOCKET_OR_NULL:
	case BVC_RET_SOCK_COMMON_OR_NULL:
	case BVC_RET_TCP_SOCK_OR_NULL:
		if ((fn->flags & BVC_HELPER_ACQUIRES) && env->cur->nrefs == BVC_MAX_REFS)
			return bvc_vunsup(env, "more than %d acquired references", BVC_MAX_REFS);
		bvc_mark_reg_known(&regs[0], 0);
		regs[0].type = fn->ret == BVC_RET_SOCKET_OR_NULL	   ? BVC_PTR_SOCKET
			       : fn->ret == BVC_RET_SOCK_COMMON_OR_NULL ? BVC_PTR_SOCK_COMMON
									 : BVC_PTR_TCP_SOCK;
		regs[0].maybe_null = true;
		regs[0].id = ++env->id_gen;
		if (fn->flags & BVC_HELPER_CAST) {
			/* The same socket seen as another type: releasing
			 * the socket invalidates it too. A NULL check on it
			 * frees nothing (branch.c). */
			regs[0].ref_obj_id = meta_ref;
		} else if (fn->flags & BVC_HELPER_ACQUIRES) {
			/* As for a ringbuf record: the reference's id
			 * replaces the NULL check's. */
			regs[0].id = ++env->id_gen;
			regs[0].ref_obj_id = regs[0].id;
			env->cur->refs[env->cur->nrefs++] = regs[0].id;
		}
		break;
	}
	return 0;
}

/* bpf-to-bpf call: a new frame whose r1-r5 are the caller's. */
int bvc_check_func_call(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_state *st = env->cur;
	uint32_t target = (uint32_t)((int64_t)env->insn_idx + insn->imm + 1);
	struct bvc_frame *caller = bvc_cur_frame(env), *callee;

	/* The kernel verifies global functions once, on their BTF argument
	 * types, not in the caller's context (global.c). */
	if (bvc_is_global_subprog(env, subprog_of(env, target)))
		return bvc_check_global_call(env, subprog_of(env, target));
	if (st->curframe + 1 >= BVC_MAX_FRAMES)
		return bvc_vrej(env, "the call stack of %u frames is too deep !", st->curframe + 2);
	callee = bvc_frame_new(env->arena);
	if (!callee)
		return -ENOMEM;
	callee->callsite = (int32_t)env->insn_idx;
	callee->frameno = st->curframe + 1;
	callee->subprog = subprog_of(env, target);
	for (int r = 0; r < BVC_MAX_REG; r++)
		bvc_mark_reg_not_init(&callee->regs[r]);
	for (int r = 1; r <= 5; r++)
		callee->regs[r] = caller->regs[r];
	bvc_mark_reg_known(&callee->regs[BVC_REG_FP], 0);
	callee->regs[BVC_REG_FP].type = BVC_PTR_STACK;
	callee->regs[BVC_REG_FP].frameno = (uint8_t)callee->frameno;
	st->frames[++st->curframe] = callee;
	/* r1-r5 of the caller are dead after the call. */
	for (int r = 1; r <= 5; r++)
		bvc_mark_reg_not_init(&caller->regs[r]);
	env->insn_idx = target;
	if (env->opts.log_level & 3) {
		bvc_vlog(env, "caller:\n");
		bvc_log_frame(env, st, st->curframe - 1);
		bvc_vlog(env, "callee:\n");
		bvc_log_frame(env, st, st->curframe);
		bvc_scratch_all(env);
	}
	return 1;
}

/* " smin=A smax=B" for the signed bounds that are not the extremes, as the
 * kernel's verbose_invalid_scalar(). */
static void invalid_scalar_text(const struct bvc_reg *r0, char *buf, size_t size)
{
	int n = 0;

	buf[0] = '\0';
	if (r0->var.smin > INT64_MIN)
		n = snprintf(buf, size, " smin=%lld", (long long)r0->var.smin);
	if (r0->var.smax < INT64_MAX && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " smax=%lld", (long long)r0->var.smax);
}

/* The state at a callback's exit becomes cur's: an imprecise scalar that
 * differs from the previous iteration's (the checkpoint at the same call
 * on this path) is made unknown, as the kernel's widen_imprecise_scalars(),
 * so that a counter the callback bumps lets the iterations converge.
 * Widening only forgets: always sound. */
static void widen_from_prev_iteration(struct bvc_env *env)
{
	struct bvc_state *cur = env->cur, *old = NULL;
	struct bvc_checkpoint_list *l = &env->explored[env->insn_idx];

	for (uint32_t i = l->n; i-- > 0 && !old;) {
		struct bvc_state *o = l->v[i];
		bool same = o->branches && o->curframe == cur->curframe;

		for (uint32_t f = 0; same && f <= o->curframe; f++)
			same = o->frames[f]->callsite == cur->frames[f]->callsite;
		if (!same)
			continue;
		for (const struct bvc_state *p = cur->parent; p; p = p->parent)
			if (p == o) {
				old = o;
				break;
			}
	}
	if (!old)
		return;
	for (uint32_t f = 0; f <= old->curframe; f++) {
		struct bvc_frame *of = old->frames[f], *cf = cur->frames[f];

		for (int r = 0; r < BVC_MAX_REG; r++) {
			struct bvc_reg *o = &of->regs[r], *c = &cf->regs[r];

			if (o->type == BVC_SCALAR && c->type == BVC_SCALAR && !o->precise &&
			    !c->precise && !(bvc_scalar_equal(&o->var, &c->var) && o->id == c->id))
				bvc_mark_reg_unknown(c);
		}
		for (uint32_t s = 0; s < of->nslots && s < cf->nslots; s++) {
			struct bvc_reg *o = &of->slots[s].spilled, *c = &cf->slots[s].spilled;

			if (of->slots[s].stype[0] != BVC_STACK_SPILL ||
			    cf->slots[s].stype[0] != BVC_STACK_SPILL)
				continue;
			if (o->type == BVC_SCALAR && c->type == BVC_SCALAR && !o->precise &&
			    !c->precise && !(bvc_scalar_equal(&o->var, &c->var) && o->id == c->id))
				bvc_mark_reg_unknown(c);
		}
	}
}


/* Leave the innermost frame for the caller's instruction @resume: the
 * function's deepest stack use is kept, the caller's pointers into the
 * dying frame become unknown, and the frame goes. Both a function's exit
 * and a callback's (which resumes at its helper call) end this way. */
static void pop_frame(struct bvc_env *env, uint32_t resume)
{
	struct bvc_state *st = env->cur;
	struct bvc_frame *callee = st->frames[st->curframe];
	struct bvc_frame *caller = st->frames[st->curframe - 1];
	struct bvc_subprog *sp = &env->subprogs[callee->subprog];

	if (callee->stack_depth > sp->stack_depth)
		sp->stack_depth = callee->stack_depth;
	for (int r = 0; r < BVC_MAX_REG; r++)
		if (caller->regs[r].type == BVC_PTR_STACK && caller->regs[r].frameno == callee->frameno)
			bvc_mark_reg_unknown(&caller->regs[r]);
	env->insn_idx = resume;
	if (env->opts.log_level & 3) {
		bvc_vlog(env, "returning from callee:\n");
		bvc_log_frame(env, st, st->curframe);
		bvc_vlog(env, "to caller at %u:\n", env->insn_idx);
		bvc_log_frame(env, st, st->curframe - 1);
	}
	bvc_frame_free(callee);
	st->frames[st->curframe--] = NULL;
}

/*
 * A callback's exit (the kernel's prepare_func_exit() for in_callback_fn):
 * r0 a scalar in [0, 1], made precise; no reference acquired inside may
 * survive it, and none of the caller's may have gone; then back to the
 * helper call, which decides on the next iteration.
 */
static int callback_exit(struct bvc_env *env)
{
	struct bvc_state *st = env->cur;
	struct bvc_frame *callee = st->frames[st->curframe];
	struct bvc_reg *r0 = &callee->regs[0];
	uint32_t outer = 0;
	char buf[128];
	int err;

	for (uint32_t i = 0; i < st->nrefs; i++) {
		if (st->refs[i] > callee->cb_ref_base)
			return bvc_vrej(env, "Unreleased reference id=%u alloc_insn=%u", st->refs[i], 0u);
		outer++;
	}
	if (outer != callee->cb_nrefs)
		return bvc_vunsup(env, "a callback releasing a reference acquired outside it");
	if (r0->type != BVC_SCALAR)
		return bvc_vrej(env, "R0 not a scalar value");
	err = bvc_mark_precise(env, 0);
	if (err)
		return err;
	r0 = &callee->regs[0];
	if (r0->var.smin < 0 || r0->var.smax > 1) {
		invalid_scalar_text(r0, buf, sizeof(buf));
		return bvc_vrej(env, "At callback return the register R0 has%s should have been in [0, 1]",
				buf[0] ? buf : " unknown scalar value");
	}
	pop_frame(env, (uint32_t)callee->callsite);
	widen_from_prev_iteration(env);
	return 0;
}

int bvc_check_exit(struct bvc_env *env, bool *path_done)
{
	struct bvc_state *st = env->cur;
	struct bvc_reg *r0 = &bvc_cur_regs(env)[0];
	int64_t lo, hi;

	*path_done = false;
	if (st->curframe) {
		struct bvc_frame *callee = st->frames[st->curframe];
		struct bvc_frame *caller = st->frames[st->curframe - 1];

		/* Static functions return anything but their own stack. */
		if (r0->type == BVC_PTR_STACK)
			return bvc_vrej(env, "cannot return stack pointer to the caller");
		if (callee->in_callback)
			return callback_exit(env);
		caller->regs[0] = *r0;
		pop_frame(env, (uint32_t)callee->callsite + 1);
		return 0;
	}
	/* Only the program's own exit needs r0: a function may return
	 * nothing, and its caller then must not read r0. */
	if (r0->type == BVC_NOT_INIT)
		return bvc_vrej(env, "R0 !read_ok");
	if (st->nrefs)
		return bvc_vrej(env, "Unreleased reference id=%u alloc_insn=%u", st->refs[0], 0u);
	if (st->frames[0]->subprog) {
		/* A global function verified on its own: any scalar. */
		if (r0->type != BVC_SCALAR)
			return bvc_vrej(env, "At subprogram exit the register R0 is not a scalar value (%s)",
					bvc_rtype_name(r0));
	} else if (bvc_prog_ret_range(env->prog->type, env->prog->expected_attach_type, &lo, &hi)) {
		char buf[128];

		int err;

		if (r0->type != BVC_SCALAR)
			return bvc_vrej(env, "At program exit the register R0 is not a known value (%s)",
					bvc_rtype_name(r0));
		err = bvc_mark_precise(env, 0);
		if (err)
			return err;
		if (r0->var.smin < lo || r0->var.smax > hi) {
			/* The kernel's verbose_invalid_scalar: the signed bounds
			 * that are not the extremes. */
			int n = 0;

			buf[0] = '\0';
			if (r0->var.smin > INT64_MIN)
				n = snprintf(buf, sizeof(buf), " smin=%lld", (long long)r0->var.smin);
			if (r0->var.smax < INT64_MAX && n >= 0 && (size_t)n < sizeof(buf))
				snprintf(buf + n, sizeof(buf) - (size_t)n, " smax=%lld",
					 (long long)r0->var.smax);
			return bvc_vrej(env, "At program exit the register R0 has%s should have been in [%lld, %lld]",
					buf[0] ? buf : " unknown scalar value", (long long)lo, (long long)hi);
		}
	}
	if (bvc_cur_frame(env)->stack_depth > env->subprogs[st->frames[0]->subprog].stack_depth)
		env->subprogs[st->frames[0]->subprog].stack_depth = bvc_cur_frame(env)->stack_depth;
	*path_done = true;
	return 0;
}


/* The kernel's check_max_stack_depth: the deepest call chain's frames,
 * each rounded up to 32 bytes, fit in 512. */
int bvc_check_max_stack_depth(struct bvc_env *env, uint32_t sp, uint32_t depth, uint32_t frames)
{
	uint32_t here = env->subprogs[sp].stack_depth;

	here = here ? (here + 31) & ~31u : 32;
	depth += here;
	if (depth > env->max_stack)
		env->max_stack = depth;
	if (depth > BVC_STACK_SIZE)
		return bvc_vrej(env, "combined stack size of %u calls is %u. Too large", frames, depth);
	for (uint32_t i = env->subprogs[sp].start; i < env->subprogs[sp].end; i++) {
		const struct bvc_insn *insn = &env->insns[i];
		int err;

		/* Every call, reached or not, as the kernel walks them. */
		/* A sync callback's ld_imm64 counts as a call of it, as the
		 * kernel's check_max_stack_depth_subprog() has it. */
		if ((insn->code != (BVC_JMP | BVC_CALL) || insn->src != BVC_PSEUDO_CALL) &&
		    !(bvc_insn_is_ld_imm64(insn) && insn->src == BVC_PSEUDO_FUNC))
			continue;
		/* The kernel names the new frame's index (main's is 0). */
		if (frames >= BVC_MAX_FRAMES)
			return bvc_vrej(env, "the call stack of %u frames is too deep !", frames);
		err = bvc_check_max_stack_depth(env, subprog_of(env, (uint32_t)((int64_t)i + insn->imm + 1)),
						depth, frames + 1);
		if (err)
			return err;
	}
	return 0;
}

/* Without BTF func info the kernel cannot check what a function returns
 * when LD_ABS or a tail call leaves it early: it refuses both in any
 * function but the main one, reached or not. */
int bvc_check_abnormal_return(struct bvc_env *env)
{
	for (uint32_t sp = 1; sp < env->nsubprogs; sp++) {
		for (uint32_t i = env->subprogs[sp].start; i < env->subprogs[sp].end; i++) {
			const struct bvc_insn *insn = &env->insns[i];
			uint8_t mode = bvc_insn_mode(insn);

			if (bvc_insn_class(insn) == BVC_LD && (mode == BVC_ABS || mode == BVC_IND)) {
				env->insn_idx = i;
				return bvc_vrej(env, "LD_ABS is not allowed in subprogs without BTF");
			}
			if (insn->code == (BVC_JMP | BVC_CALL) && insn->src == 0 &&
			    insn->imm == BVC_HELPER_TAIL_CALL) {
				env->insn_idx = i;
				return bvc_vrej(env, "tail_call is not allowed in subprogs without BTF");
			}
		}
	}
	return 0;
}
