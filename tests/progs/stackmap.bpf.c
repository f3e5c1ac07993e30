// SPDX-License-Identifier: MIT
/*
 * A stack_trace map filled by bpf_get_stackid: verified like the kernel
 * verifies it, but verify-only: the device runtime has no stack traces, so
 * `bpfvc build` refuses it and says so.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
} stacks SEC(".maps");

SEC("kprobe/do_nanosleep")
int record_stack(void *ctx)
{
	long id = bpf_get_stackid(ctx, &stacks, 0);

	return id < 0 ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
