// SPDX-License-Identifier: MIT
/*
 * Safe on one kernel, not on another (issue #17): reads field b of a
 * record whose layout is the device kernel's (CO-RE, preserve_access_index)
 * from an 8-byte map value. With profile_btf_a's layout b is at offset 4,
 * inside the value: accepted. With profile_btf_b's, b moved to offset 16,
 * past the value's end: rejected. Without a profile the running kernel has
 * no struct dev_rec: the load is poisoned, and rejected where reached.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct dev_rec {
	__u32 a;
	__u32 b;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} recs SEC(".maps");

SEC("xdp")
int read_rec(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct dev_rec *r = bpf_map_lookup_elem(&recs, &k);

	if (!r)
		return XDP_PASS;
	return r->b ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
