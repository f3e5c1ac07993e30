// SPDX-License-Identifier: MIT
/*
 * Tail calls through a prog_array filled statically (libbpf's
 * `__array(values, ...)` with `.values = { [i] = &prog }`): a tc entry
 * tail-calls the slot named by the packet's first byte. Slot 0 chains on
 * to slot 2, slot 1 is empty, slot 3 tail-calls itself until the kernel's
 * limit of 33 tail calls stops it, and an index >= 4 is out of range.
 * Every program counts its runs in `counts`, so tests can check the exact
 * path: which programs ran, how often, and what the entry returned.
 *
 * Expected (key: return value; counts[0..4] added by one run):
 *   0: 3000; 1 0 1 1 0      1: 1001; 1 1 0 0 0 (empty slot)
 *   2: 3000; 1 0 0 1 0      3: 4000; 1 0 0 0 33 (limit)
 *   7: 1007; 1 1 0 0 0 (out of range)
 * Must stay accepted by the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
}

int tc_chain_a(struct __sk_buff *skb);
int tc_chain_b(struct __sk_buff *skb);
int tc_self(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(struct __sk_buff *));
} jmp_table SEC(".maps") = {
	.values = {
		[0] = (void *)&tc_chain_a,
		[2] = (void *)&tc_chain_b,
		[3] = (void *)&tc_self,
	},
};

SEC("tc")
int tc_entry(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 key = 0;

	if (data + 1 <= end)
		key = *(__u8 *)data;
	count(0);
	bpf_tail_call(skb, &jmp_table, key);
	count(1);
	return 1000 + key;
}

SEC("tc")
int tc_chain_a(struct __sk_buff *skb)
{
	count(2);
	bpf_tail_call(skb, &jmp_table, 2);
	return 2000;
}

SEC("tc")
int tc_chain_b(struct __sk_buff *skb)
{
	count(3);
	return 3000;
}

SEC("tc")
int tc_self(struct __sk_buff *skb)
{
	count(4);
	bpf_tail_call(skb, &jmp_table, 3);
	return 4000;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
