// SPDX-License-Identifier: MIT
/*
 * The names of the targets, program types and map types
 * (include/bpfvc/abi.h): one table each, for every module that prints or
 * parses them (the CLI, the JIT, the blob reader, the device).
 *
 * Must not: depend on anything but libc, allocate, or print.
 */
#include <errno.h>
#include <string.h>

#include "bpfvc/abi.h"
#include "bpfvc/util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- targets -------------------------------------------------------------- */

struct target_info {
	enum bvc_jit_target target;
	const char *name;      /* --target spelling */
	unsigned int ptr_size; /* bytes */
};

static const struct target_info targets[] = {
	{ BVC_JIT_X86_64, "x86_64", 8 },
	{ BVC_JIT_ARM64, "arm64", 8 },
	{ BVC_JIT_THUMBV7M, "thumbv7m", 4 },
};

static const struct target_info *find_target(enum bvc_jit_target t)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(targets); i++)
		if (targets[i].target == t)
			return &targets[i];
	return NULL;
}

int bvc_jit_target_from_name(const char *name, enum bvc_jit_target *out, char *err,
			     size_t errsz)
{
	size_t i;

	for (i = 0; name && i < ARRAY_LEN(targets); i++) {
		if (strcmp(name, targets[i].name) == 0) {
			*out = targets[i].target;
			return 0;
		}
	}
	bvc_set_err(err, errsz, "unknown target '%s' (known: x86_64, arm64, thumbv7m)",
		name ? name : "(null)");
	return -EINVAL;
}

const char *bvc_jit_target_name(enum bvc_jit_target t)
{
	const struct target_info *ti = find_target(t);

	return ti ? ti->name : NULL;
}

unsigned int bvc_jit_target_ptr_size(enum bvc_jit_target t)
{
	const struct target_info *ti = find_target(t);

	return ti ? ti->ptr_size : 0;
}

/* --- program and map types ------------------------------------------------ */

/* Kernel enum bpf_prog_type, spelled as bpftool prints it. */
static const char *const prog_type_names[] = {
	[0] = "unspec",
	[1] = "socket_filter",
	[2] = "kprobe",
	[3] = "sched_cls",
	[4] = "sched_act",
	[5] = "tracepoint",
	[6] = "xdp",
	[7] = "perf_event",
	[8] = "cgroup_skb",
	[9] = "cgroup_sock",
	[10] = "lwt_in",
	[11] = "lwt_out",
	[12] = "lwt_xmit",
	[13] = "sock_ops",
	[14] = "sk_skb",
	[15] = "cgroup_device",
	[16] = "sk_msg",
	[17] = "raw_tracepoint",
	[18] = "cgroup_sock_addr",
	[19] = "lwt_seg6local",
	[20] = "lirc_mode2",
	[21] = "sk_reuseport",
	[22] = "flow_dissector",
	[23] = "cgroup_sysctl",
	[24] = "raw_tracepoint_writable",
	[25] = "cgroup_sockopt",
	[26] = "tracing",
	[27] = "struct_ops",
	[28] = "ext",
	[29] = "lsm",
	[30] = "sk_lookup",
	[31] = "syscall",
	[32] = "netfilter",
};

/* Other spellings users type: libbpf section prefixes and short forms. */
static const struct {
	const char *name;
	int type;
} prog_type_aliases[] = {
	{ "socket", 1 },      { "kprobe", 2 },     { "kretprobe", 2 }, { "uprobe", 2 },
	{ "tc", 3 },          { "classifier", 3 }, { "action", 4 },    { "tp", 5 },
	{ "raw_tp", 17 },     { "cgroup/skb", 8 }, { "perf", 7 },      { "sockops", 13 },
	{ "flow_dissector", 22 },
};

/* Kernel enum bpf_map_type, spelled as bpftool prints it. */
static const char *const map_type_names[] = {
	[0] = "unspec",
	[1] = "hash",
	[2] = "array",
	[3] = "prog_array",
	[4] = "perf_event_array",
	[5] = "percpu_hash",
	[6] = "percpu_array",
	[7] = "stack_trace",
	[8] = "cgroup_array",
	[9] = "lru_hash",
	[10] = "lru_percpu_hash",
	[11] = "lpm_trie",
	[12] = "array_of_maps",
	[13] = "hash_of_maps",
	[14] = "devmap",
	[15] = "sockmap",
	[16] = "cpumap",
	[17] = "xskmap",
	[18] = "sockhash",
	[19] = "cgroup_storage",
	[20] = "reuseport_sockarray",
	[21] = "percpu_cgroup_storage",
	[22] = "queue",
	[23] = "stack",
	[24] = "sk_storage",
	[25] = "devmap_hash",
	[26] = "struct_ops",
	[27] = "ringbuf",
	[28] = "inode_storage",
	[29] = "task_storage",
	[30] = "bloom_filter",
	[31] = "user_ringbuf",
	[32] = "cgrp_storage",
	[33] = "arena",
};

const char *bvc_prog_type_name(uint32_t type)
{
	if (type < ARRAY_LEN(prog_type_names))
		return prog_type_names[type];
	return NULL;
}

int bvc_prog_type_from_name(const char *name)
{
	size_t i;

	if (!name || !*name)
		return -1;
	/* 0 ("unspec") is not a type anyone can verify: leave it out. */
	for (i = 1; i < ARRAY_LEN(prog_type_names); i++)
		if (!strcmp(prog_type_names[i], name))
			return (int)i;
	for (i = 0; i < ARRAY_LEN(prog_type_aliases); i++)
		if (!strcmp(prog_type_aliases[i].name, name))
			return prog_type_aliases[i].type;
	return -1;
}

const char *bvc_map_type_name(uint32_t type)
{
	if (type < ARRAY_LEN(map_type_names))
		return map_type_names[type];
	return "unknown";
}
