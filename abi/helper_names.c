/* SPDX-License-Identifier: MIT */
/*
 * Helper names (id -> "bpf_<name>", as the kernel verifier log prints them
 * in "call bpf_map_lookup_elem#1"), and the check that the kernel numbers
 * in bpfvc/abi.h are the UAPI header's.
 *
 * The table is generated at compile time from the UAPI header's
 * __BPF_FUNC_MAPPER, so it is as complete as the linux-libc-dev we build
 * against and needs no upkeep. This is the only file of abi/ (and of
 * everything below the loader) that includes <linux/bpf.h>: the rest uses
 * our own BVC_* constants and must keep building without kernel headers,
 * so nothing from that header may leak out of this file.
 */
#include <linux/bpf.h>

#include "bpfvc/abi.h"

/*
 * The mapper hands us one name per helper, in id order; the designated
 * index makes the order irrelevant and the enum keeps names and ids in step.
 * Header generations differ in what else FN receives (6.1+ adds the id), but
 * all of them keep the one-argument, comma-separated form through
 * __BPF_FUNC_MAPPER(FN), which is the one used here.
 */
#define BVC_HELPER_NAME(name) [BPF_FUNC_##name] = "bpf_" #name

static const char *const helper_names[] = {
	__BPF_FUNC_MAPPER(BVC_HELPER_NAME)
};

#undef BVC_HELPER_NAME

_Static_assert(sizeof(helper_names) / sizeof(helper_names[0]) == __BPF_FUNC_MAX_ID,
	       "helper table and enum bpf_func_id disagree");

/*
 * Helpers are frozen upstream (new kernel interfaces are kfuncs), and the
 * last ones came after linux-libc-dev 6.1. An older header simply ends
 * before them; a newer one already has them and this table is never reached.
 */
static const struct {
	int32_t id;       /* helper id, as in the call's imm */
	const char *name; /* with the bpf_ prefix */
} late_helpers[] = {
	{ 210, "bpf_cgrp_storage_get" },
	{ 211, "bpf_cgrp_storage_delete" },
};

/* bpfvc/abi.h spells these numbers without the UAPI header; they must be
 * the header's (as ints: the two enums are different types). */
#define SAME(ours, uapi) ((int)(ours) == (int)(uapi))
_Static_assert(SAME(BVC_HELPER_TAIL_CALL, BPF_FUNC_tail_call), "tail-call helper id");
_Static_assert(SAME(BVC_PROG_SOCKET_FILTER, BPF_PROG_TYPE_SOCKET_FILTER) &&
		       SAME(BVC_PROG_KPROBE, BPF_PROG_TYPE_KPROBE) &&
		       SAME(BVC_PROG_SCHED_CLS, BPF_PROG_TYPE_SCHED_CLS) &&
		       SAME(BVC_PROG_SCHED_ACT, BPF_PROG_TYPE_SCHED_ACT) &&
		       SAME(BVC_PROG_TRACEPOINT, BPF_PROG_TYPE_TRACEPOINT) &&
		       SAME(BVC_PROG_XDP, BPF_PROG_TYPE_XDP) &&
		       SAME(BVC_PROG_PERF_EVENT, BPF_PROG_TYPE_PERF_EVENT) &&
		       SAME(BVC_PROG_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SKB) &&
		       SAME(BVC_PROG_RAW_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT),
	       "program type numbers");
_Static_assert(SAME(BVC_MAP_HASH, BPF_MAP_TYPE_HASH) && SAME(BVC_MAP_ARRAY, BPF_MAP_TYPE_ARRAY) &&
		       SAME(BVC_MAP_PROG_ARRAY, BPF_MAP_TYPE_PROG_ARRAY) &&
		       SAME(BVC_MAP_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY) &&
		       SAME(BVC_MAP_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH) &&
		       SAME(BVC_MAP_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY) &&
		       SAME(BVC_MAP_LRU_HASH, BPF_MAP_TYPE_LRU_HASH) &&
		       SAME(BVC_MAP_SOCKMAP, BPF_MAP_TYPE_SOCKMAP) &&
		       SAME(BVC_MAP_SOCKHASH, BPF_MAP_TYPE_SOCKHASH) &&
		       SAME(BVC_MAP_RINGBUF, BPF_MAP_TYPE_RINGBUF),
	       "map type numbers");
#undef SAME

const char *bvc_helper_name(int32_t id)
{
	size_t i;

	if (id < 0)
		return NULL;
	if ((size_t)id < sizeof(helper_names) / sizeof(helper_names[0]))
		return helper_names[id];
	for (i = 0; i < sizeof(late_helpers) / sizeof(late_helpers[0]); i++)
		if (late_helpers[i].id == id)
			return late_helpers[i].name;
	return NULL;
}
