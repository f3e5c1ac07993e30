// SPDX-License-Identifier: MIT
/*
 * An object with a map, global data and no program: the loader must refuse
 * it with "no programs". Loader-only: there is nothing for a kernel to load.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} lonely SEC(".maps");

/* A .text function is a subprogram, never a program. */
__noinline int not_a_program(int x)
{
	return x + 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
