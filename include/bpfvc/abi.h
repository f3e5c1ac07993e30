/* SPDX-License-Identifier: MIT */
/*
 * bpfvc abi: the numbers and names that several modules share, so each has
 * one definition. Plain data and lookups (abi/), libc only: the device
 * links it without the verifier, the JIT or the loader.
 *
 *   - The targets bpfvc compiles for. Their numbers are stored in every
 *     blob header (docs/design.md section 5): never renumber, only append.
 *   - The kernel's numbers bpfvc names: program types, map types, helper
 *     ids (their names are generated from the UAPI header), and the limits
 *     every layer checks alike (functions per program).
 *
 * What belongs here: a number or a name that two modules would otherwise
 * each spell. What does not: anything with state, anything that allocates
 * or prints.
 */
#ifndef BPFVC_ABI_H
#define BPFVC_ABI_H

#include <stddef.h>
#include <stdint.h>

/* --- targets -------------------------------------------------------------- */

enum bvc_jit_target {
	BVC_JIT_X86_64 = 1,   /* "x86_64": x86-64, System V */
	BVC_JIT_ARM64 = 2,    /* "arm64": AArch64, AAPCS64 */
	BVC_JIT_THUMBV7M = 3, /* "thumbv7m": ARMv7-M Thumb-2, Cortex-M3/M4 */
};

#define BVC_JIT_TARGET_FIRST BVC_JIT_X86_64
#define BVC_JIT_TARGET_LAST BVC_JIT_THUMBV7M

/* Target for @name ("x86_64", "arm64", "thumbv7m"; exact, lowercase).
 * Returns 0, or -EINVAL with @err listing the known names. */
int bvc_jit_target_from_name(const char *name, enum bvc_jit_target *out, char *err,
			     size_t errsz);

/* Name of @t, or NULL if @t is not a target. */
const char *bvc_jit_target_name(enum bvc_jit_target t);

/* Pointer size of @t in bytes (8 or 4), 0 if @t is not a target. */
unsigned int bvc_jit_target_ptr_size(enum bvc_jit_target t);

/* --- program and map types ------------------------------------------------ */

/* Program types: the kernel's enum bpf_prog_type values. */
enum bvc_prog_type {
	BVC_PROG_UNSPEC = 0,
	BVC_PROG_SOCKET_FILTER = 1,
	BVC_PROG_KPROBE = 2,
	BVC_PROG_SCHED_CLS = 3,
	BVC_PROG_SCHED_ACT = 4,
	BVC_PROG_TRACEPOINT = 5,
	BVC_PROG_XDP = 6,
	BVC_PROG_PERF_EVENT = 7,
	BVC_PROG_CGROUP_SKB = 8,
	BVC_PROG_RAW_TRACEPOINT = 17,
	/* Other kernel values pass through unchanged; the verifier refuses
	 * the ones it does not model. */
};

/* Map types bpfvc knows by name: the kernel's enum bpf_map_type values. */
enum bvc_map_type {
	BVC_MAP_HASH = 1,
	BVC_MAP_ARRAY = 2,
	BVC_MAP_PROG_ARRAY = 3,
	BVC_MAP_PERF_EVENT_ARRAY = 4,
	BVC_MAP_PERCPU_HASH = 5,
	BVC_MAP_PERCPU_ARRAY = 6,
	BVC_MAP_LRU_HASH = 9,
	BVC_MAP_SOCKMAP = 15,
	BVC_MAP_SOCKHASH = 18,
	BVC_MAP_RINGBUF = 27,
};

/* Name of a program type as bpftool prints it ("xdp", "socket_filter",
 * "sched_cls"), or NULL if unknown. */
const char *bvc_prog_type_name(uint32_t type);

/* Program type from a --type argument: a bpftool name ("socket_filter",
 * "sched_cls") or a libbpf section prefix ("socket", "tc", "raw_tp");
 * -1 if unknown. */
int bvc_prog_type_from_name(const char *name);

/* Name of a map type as bpftool prints it ("hash", "array"), or "unknown". */
const char *bvc_map_type_name(uint32_t type);

/* --- helpers and limits --------------------------------------------------- */

/* Helper ids with a meaning beyond "call a function": bpf_tail_call is a
 * jump (the verifier checks it apart, the JITs and the interpreter inline
 * it). abi/helper_names.c checks the number against the UAPI header. */
#define BVC_HELPER_TAIL_CALL 12 /* BPF_FUNC_tail_call */

/* Name of helper @id with its "bpf_" prefix ("bpf_map_lookup_elem"), or
 * NULL when the id is not a helper known to the UAPI header bpfvc was built
 * with (plus the few helpers added after it). */
const char *bvc_helper_name(int32_t id);

/* Functions in one program: the kernel's BPF_MAX_SUBPROGS, the main
 * function included. Tables indexed by function are BVC_MAX_FUNCS long
 * (one spare entry; the wire accepts that many). */
#define BVC_MAX_SUBPROGS 256
#define BVC_MAX_FUNCS (BVC_MAX_SUBPROGS + 1)

#endif /* BPFVC_ABI_H */
