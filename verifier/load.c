// SPDX-License-Identifier: MIT
/*
 * What BPF_PROG_LOAD refuses before it explores any path, over the whole
 * program, dead code included (the kernel's resolve_pseudo_ldimm64 and
 * add_subprog_and_kfunc, 6.12):
 *
 *   - at most one cgroup storage map of each kind (shared, per-CPU) among
 *     the maps the program refers to;
 *   - every kfunc call (BPF_CALL, src BPF_PSEUDO_KFUNC_CALL) is checked
 *     when found, reached or not (add_kfunc_call): a non-GPL program may
 *     call none; a negative offset (module BTF index) is refused; an
 *     offset with no fd_array is refused, and a bpfvc image has none;
 *     imm 0 with offset 0 is let through to dead-code elimination. Any
 *     other call is looked up in the kernel's BTF, which bpfvc does not
 *     have: refused as unsupported, reached or not, since the kernel may
 *     refuse the program for it (no such function, no address).
 *   - then the exception callback of the program (bpf_throw): the loader
 *     looks it up in the object's BTF as the kernel does and leaves the
 *     kernel's message in bvc_prog.load_refused when it would refuse.
 *
 * Exploration skips dead code, so without this pass a program the kernel
 * refuses at load would be accepted. The kernel checks this before the
 * jump and opcode checks; ours run first (bvc_isa_check), so a program
 * with faults of both kinds gets the other message: rejected either way.
 */
#include <linux/bpf.h>
#include <string.h>

#include "engine_internal.h"

/* The kernel's license_is_gpl_compatible(). */
bool bvc_license_is_gpl(const char *license)
{
	static const char *const gpl[] = {
		"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
		"Dual MPL/GPL",
	};

	for (size_t i = 0; i < sizeof(gpl) / sizeof(gpl[0]); i++)
		if (!strcmp(license, gpl[i]))
			return true;
	return false;
}

static bool is_kfunc_call(const struct bvc_insn *insn)
{
	return insn->code == (BVC_JMP | BVC_CALL) && insn->src == BVC_PSEUDO_KFUNC_CALL;
}

static int check_kfunc_call(struct bvc_env *env, uint32_t i)
{
	const struct bvc_insn *insn = &env->insns[i];
	int err;

	env->insn_idx = i;
	/* The kernel asks this of the first kfunc call it meets, whatever
	 * its id (add_kfunc_call, when the program's kfunc table is new). */
	if (!env->gpl)
		return bvc_vrej(env, "cannot call kernel function from non-GPL compatible program");
	if (!insn->imm && !insn->off)
		return 0;
	/* The kernel logs the reason, then "failed to find BTF for kernel
	 * function"; the reason is the verdict's message. */
	if (insn->off) {
		err = bvc_vrej(env, insn->off < 0
				? "negative offset disallowed for kernel module function call"
				: "kfunc offset > 0 without fd_array is invalid");
		bvc_vlog(env, "failed to find BTF for kernel function\n");
		return err;
	}
	return bvc_vunsup(env, "kfunc call (btf_id %d): not checked against a kernel's BTF",
			  insn->imm);
}

/*
 * The kernel's resolve_pseudo_ldimm64 (bpf_cgroup_storage_assign): a
 * program refers to at most one cgroup storage map of each kind (shared,
 * per-CPU), since bpf_get_local_storage finds it by kind alone. Every
 * map reference counts, reached or not.
 */
static int check_cgroup_storage(struct bvc_env *env)
{
	int32_t seen[2] = { -1, -1 };

	for (uint32_t i = 0; i < env->cnt; i++) {
		const struct bvc_insn *insn = &env->insns[i];
		uint32_t idx = (uint32_t)insn->imm, type;
		int kind;

		if (insn->code != (BVC_LD | BVC_IMM | BVC_DW))
			continue;
		if ((insn->src == BVC_PSEUDO_MAP_IDX || insn->src == BVC_PSEUDO_MAP_IDX_VALUE) &&
		    idx < env->img->map_cnt) {
			type = env->img->maps[idx].type;
			kind = type == BPF_MAP_TYPE_CGROUP_STORAGE        ? 0
			       : type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE ? 1
									     : -1;
			if (kind >= 0 && seen[kind] >= 0 && (uint32_t)seen[kind] != idx) {
				env->insn_idx = i;
				return bvc_vrej(env, "only one cgroup storage of each type is allowed");
			}
			if (kind >= 0)
				seen[kind] = (int32_t)idx;
		}
		i++; /* the second half of the ld_imm64 */
	}
	return 0;
}

int bvc_check_load_time(struct bvc_env *env)
{
	uint32_t entry = env->insn_idx;
	int err;

	/* Map references are resolved before kfunc calls are looked up. */
	err = check_cgroup_storage(env);
	if (err)
		return err;
	for (uint32_t i = 0; i < env->cnt; i++) {
		if (!is_kfunc_call(&env->insns[i]))
			continue;
		err = check_kfunc_call(env, i);
		if (err)
			return err;
	}
	if (env->prog->load_refused[0]) {
		env->insn_idx = 0;
		return bvc_vrej(env, "%s", env->prog->load_refused);
	}
	/* Exploration starts where insn_idx says. */
	env->insn_idx = entry;
	return 0;
}
