// SPDX-License-Identifier: MIT
/*
 * XDP counters for the bare-metal device (issue #20): per-length-bucket
 * packet and byte counts in an array map, global data in all three
 * sections, atomics on map values, and 64-bit arithmetic a 32-bit core
 * must get exact (multiply, divide, modulo, shifts, signed shifts and
 * comparisons) over the first bytes of each packet, and a bpf_printk line
 * per packet.
 *
 * Test input for tests/firmware (the mps2-an386 firmware against the
 * interpreter). Must stay accepted by the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct stats {
	__u64 packets;
	__u64 bytes;
	__u64 mix;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct stats);
	__uint(max_entries, 8);
} buckets SEC(".maps");

/* .data: the running hash, carried from packet to packet. */
__u64 seed = 0x9e3779b97f4a7c15ULL;
/* .bss */
__u64 total_bytes;
__s64 signed_acc;
/* .rodata: volatile so that the program reads it at run time. */
const volatile __u32 bucket_shift = 4;

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 len = end - data, h = seed;
	__u32 key = len >> bucket_shift;
	struct stats *s;
	__u8 *p = data;

	if (key > 7)
		key = 7;
	s = bpf_map_lookup_elem(&buckets, &key);
	if (!s)
		return XDP_ABORTED;
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);

#pragma unroll
	for (int i = 0; i < 16; i++) {
		if ((void *)(p + i + 1) > end)
			break;
		h = (h ^ p[i]) * 0x100000001b3ULL;
	}
	s->mix ^= h / (len | 1) + h % 1000003 + (h >> 17) + (h << 29);
	/* Signed: arithmetic shifts and comparisons (no sdiv before cpu v4). */
	signed_acc += (__s64)h < 0 ? ((__s64)h >> 40) : -(__s64)(h >> 45);
	total_bytes += len;
	seed = h;
	/* 32-bit and 64-bit conversions, signed and not (bpf_trace_printk). */
	bpf_printk("len %u key %d h %llx", len, (int)key - 4, h);
	return len & 1 ? XDP_PASS : XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
