// SPDX-License-Identifier: MIT
/*
 * The program image as plain data: building one from raw bytecode, finding
 * a program in it, freeing it, and the names of program and map types.
 *
 * The loader (loader/) builds images from ELF objects; this file only knows
 * the layout, so the verifier, the JITs and the CLI can use images without
 * libbpf or libelf.
 *
 * Must not: depend on anything but libc, print, or check instructions (the
 * ISA module does that).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/image.h"

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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int bvc_image_from_raw(const struct bvc_insn *insns, size_t cnt, uint32_t type,
		       const char *path, struct bvc_image **out)
{
	struct bvc_image *img;
	struct bvc_prog *prog;

	*out = NULL;
	if (!insns || !cnt)
		return -EINVAL;
	if (cnt > SIZE_MAX / sizeof(*insns))
		return -E2BIG;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->path = strdup(path ? path : "");
	img->progs = calloc(1, sizeof(*img->progs));
	if (!img->path || !img->progs)
		goto nomem;
	img->prog_cnt = 1;

	prog = &img->progs[0];
	strcpy(prog->name, "prog");
	prog->type = type;
	prog->insns = malloc(cnt * sizeof(*insns));
	if (!prog->insns)
		goto nomem;
	memcpy(prog->insns, insns, cnt * sizeof(*insns));
	prog->insn_cnt = cnt;
	prog->main_cnt = cnt;

	*out = img;
	return 0;

nomem:
	bvc_image_free(img);
	return -ENOMEM;
}

const struct bvc_prog *bvc_image_find_prog(const struct bvc_image *img, const char *name)
{
	size_t i;

	if (!img || !name)
		return NULL;
	/* Function names are unique in an object; section names are not, so
	 * they are only the fallback ("-p xdp" picks the first xdp program). */
	for (i = 0; i < img->prog_cnt; i++)
		if (!strcmp(img->progs[i].name, name))
			return &img->progs[i];
	for (i = 0; i < img->prog_cnt; i++)
		if (!strcmp(img->progs[i].sec_name, name))
			return &img->progs[i];
	return NULL;
}

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

/* libbpf's names for enum bpf_core_relo_kind (core_relo_kind_str). */
static const char *const core_relo_kind_names[] = {
	[0] = "byte_off",       [1] = "byte_sz",        [2] = "field_exists",
	[3] = "signed",         [4] = "lshift_u64",     [5] = "rshift_u64",
	[6] = "local_type_id",  [7] = "target_type_id", [8] = "type_exists",
	[9] = "type_size",      [10] = "enumval_exists", [11] = "enumval_value",
	[12] = "type_matches",
};

const char *bvc_core_relo_kind_name(uint32_t kind)
{
	if (kind < ARRAY_LEN(core_relo_kind_names))
		return core_relo_kind_names[kind];
	return "unknown";
}

void bvc_image_free(struct bvc_image *img)
{
	size_t i;

	if (!img)
		return;
	for (i = 0; i < img->prog_cnt; i++) {
		free(img->progs[i].insns);
		free(img->progs[i].funcs);
		free(img->progs[i].lines);
		free(img->progs[i].core_relos);
	}
	free(img->progs);
	for (i = 0; i < img->map_cnt; i++) {
		free(img->maps[i].init);
		free(img->maps[i].slots);
	}
	free(img->maps);
	free(img->strings);
	free(img->btf);
	free(img->path);
	free(img);
}
