// SPDX-License-Identifier: MIT
/*
 * tc (sched_cls) program calling a subprogram in .text that runs a bounded
 * loop over the first bytes of the packet, which in turn calls a second
 * subprogram: the loader must append both after the program and turn the
 * calls into BVC_PSEUDO_CALL with relative offsets. The result is stored in
 * skb->mark.
 *
 * Test input for the loader (bpf-to-bpf calls, func_info of subprograms) and
 * the verifier (bounded loops, calls with a stack pointer argument). Must stay
 * accepted by the kernel.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define NBYTES 16

/* One step of a small multiplicative hash. Not inlined so the loader has a
 * call from one .text function to another. */
static __noinline __u32 mix(__u32 h, __u32 byte)
{
	return (h ^ byte) * 16777619u;
}

/* Fold NBYTES bytes of @buf. The loop is bounded (the verifier must see
 * that it terminates) and kept a loop: clang would unroll it otherwise. */
static __noinline __u32 fold(const __u8 *buf)
{
	__u32 h = 2166136261u;
	int i;

#pragma clang loop unroll(disable)
	for (i = 0; i < NBYTES; i++)
		h = mix(h, buf[i]);
	return h;
}

SEC("tc")
int hash_head(struct __sk_buff *skb)
{
	__u8 buf[NBYTES] = {};

	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)) < 0)
		return TC_ACT_OK;
	skb->mark = fold(buf);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
