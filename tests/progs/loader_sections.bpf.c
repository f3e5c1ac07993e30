// SPDX-License-Identifier: MIT
/*
 * Section names newer than Debian's libbpf 1.1 (which knows none of them
 * and would leave the programs without a type), the flags and types a
 * section name brings: the loader must give each the type and expected
 * attach type libbpf 1.5 does, and the verifier the rules of that type
 * (the unix sockaddr hooks' return ranges, XDP frags, the flow dissector's
 * context). Loader-only: the loader test checks types and verdicts.
 */
#include <linux/bpf.h>

#define SEC(n) __attribute__((section(n), used))

/* tcx: sched_cls with BPF_TCX_INGRESS (46) / BPF_TCX_EGRESS (47). */
SEC("tcx/ingress") int tcx_in(struct __sk_buff *skb) { return skb->len ? 0 : 2; }
SEC("tc/egress") int tc_out(struct __sk_buff *skb) { return 0; }
SEC("netkit/peer") int nk_peer(struct __sk_buff *skb) { return 0; }

/* cgroup_sock_addr unix hooks: connect may return 0 or 1; recvmsg must
 * return 1, so returning 0 is rejected. */
SEC("cgroup/connect_unix") int unix_connect(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/recvmsg_unix") int unix_recvmsg_bad(struct bpf_sock_addr *ctx) { return 0; }
SEC("cgroup/getsockname_unix") int unix_getsockname(struct bpf_sock_addr *ctx) { return 1; }

/* xdp.frags: XDP with BPF_F_XDP_HAS_FRAGS. */
SEC("xdp.frags") int xdp_frags(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return 1;
	return *(unsigned char *)data ? 2 : 1;
}

/* flow_dissector: fills its flow keys from the packet. */
SEC("flow_dissector") int dissect(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct bpf_flow_keys *keys = skb->flow_keys;

	if (data + 14 > end)
		return BPF_DROP;
	keys->nhoff = 14;
	keys->thoff = 14;
	keys->n_proto = *(unsigned short *)(data + 12);
	return BPF_OK;
}

char _license[] SEC("license") = "GPL";
