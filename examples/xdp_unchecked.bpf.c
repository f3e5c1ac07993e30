// SPDX-License-Identifier: MIT
/*
 * Example for `make demo`: an XDP program that reads the EtherType without
 * first checking the packet is long enough. Every verifier must refuse it;
 * the demo shows bpfvc's message beside the kernel's.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int read_ethertype(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	/* Missing: if ((void *)(eth + 1) > (void *)(long)ctx->data_end) */
	return eth->h_proto == 0x0008 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
