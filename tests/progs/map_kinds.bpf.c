// SPDX-License-Identifier: MIT
/*
 * The map types issue #15 added, each used as libbpf users write it: an
 * array of maps (its inner template from __array(values, ...)), a queue,
 * a devmap for bpf_redirect_map, and cgroup storage. Verified like the
 * kernel verifies them, but verify-only: the device runtime hosts none of
 * them, so `bpfvc build` refuses and says so.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u64);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, __u64);
	__type(value, __u64);
} bytes SEC(".maps");

/* Count in the inner array selected by the first outer slot, queue the
 * count, and redirect to port 0 (XDP_PASS when it has no device). */
SEC("xdp")
int count_and_redirect(struct xdp_md *ctx)
{
	__u32 zero = 0, slot = 1;
	__u64 *cnt, v;
	void *in;

	in = bpf_map_lookup_elem(&outer, &zero);
	if (!in)
		return XDP_PASS;
	cnt = bpf_map_lookup_elem(in, &slot);
	if (!cnt)
		return XDP_PASS;
	v = __sync_fetch_and_add(cnt, 1);
	bpf_map_push_elem(&events, &v, 0);
	return bpf_redirect_map(&ports, 0, XDP_PASS);
}

/* Take one count back off the queue. */
SEC("xdp")
int drain(struct xdp_md *ctx)
{
	__u64 v;

	if (bpf_map_pop_elem(&events, &v))
		return XDP_PASS;
	return v & 1 ? XDP_DROP : XDP_PASS;
}

/* Bytes per cgroup, in the program's cgroup storage. */
SEC("cgroup_skb/egress")
int cgroup_bytes(struct __sk_buff *skb)
{
	__u64 *b = bpf_get_local_storage(&bytes, 0);

	__sync_fetch_and_add(b, skb->len);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
