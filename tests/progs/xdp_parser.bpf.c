// SPDX-License-Identifier: MIT
/*
 * XDP packet parser: Ethernet -> IPv4 -> TCP/UDP, counting packets per
 * protocol in a hash map. Every header read is preceded by a check against
 * data_end, the way the kernel verifier wants it.
 *
 * Test input for the loader and the verifier: one program, one user hash
 * map, an atomic add, packet pointers. Must stay accepted by the kernel.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Keys: the IPv4 protocol number, or one of these for what is not IPv4. */
#define KEY_NOT_IPV4 256
#define KEY_MALFORMED 257

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 260);
} proto_count SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 one = 1, *val;

	val = bpf_map_lookup_elem(&proto_count, &key);
	if (val)
		__sync_fetch_and_add(val, 1);
	else
		bpf_map_update_elem(&proto_count, &key, &one, BPF_NOEXIST);
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 hdr_len;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		count(KEY_NOT_IPV4);
		return XDP_PASS;
	}

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	hdr_len = ip->ihl * 4;
	if (hdr_len < sizeof(*ip)) {
		count(KEY_MALFORMED);
		return XDP_DROP;
	}

	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)ip + hdr_len;

		if ((void *)(tcp + 1) > data_end) {
			count(KEY_MALFORMED);
			return XDP_DROP;
		}
		/* TCP with a bad data offset is dropped, not counted as TCP. */
		if (tcp->doff < 5) {
			count(KEY_MALFORMED);
			return XDP_DROP;
		}
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)ip + hdr_len;

		if ((void *)(udp + 1) > data_end) {
			count(KEY_MALFORMED);
			return XDP_DROP;
		}
		if (bpf_ntohs(udp->len) < sizeof(*udp)) {
			count(KEY_MALFORMED);
			return XDP_DROP;
		}
	}
	count(ip->protocol);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
