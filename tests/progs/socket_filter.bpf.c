// SPDX-License-Identifier: MIT
/*
 * Socket filter accepting only IPv4 TCP frames (for a packet socket, where
 * the skb starts at the Ethernet header). It reads the packet with LD_ABS
 * loads (clang's llvm.bpf.load.* builtins) and returns the snap length from
 * a .rodata constant, so the object has a read-only global-data map.
 *
 * Test input for the loader and the verifier. Must stay accepted by the
 * kernel.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

/* LD_ABS loads: the kernel converts to host order and aborts the program
 * (returning 0) when the offset is past the packet. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

/* Bytes of an accepted packet passed to the socket; volatile so that clang
 * keeps the load from .rodata instead of folding the constant. */
const volatile __u32 snap_len = 0xffff;

SEC("socket")
int tcp_only(struct __sk_buff *skb)
{
	if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return 0;
	if (load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol)) != IPPROTO_TCP)
		return 0;
	return snap_len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
