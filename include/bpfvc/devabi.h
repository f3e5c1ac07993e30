/* SPDX-License-Identifier: MIT */
/*
 * bpfvc device ABI: what native code and the runtime agree on. Shared by
 * jitter/ (which emits code against it), runtime/ (which provides it) and
 * signer/ (which records it in blobs). Plain data: no functions.
 *
 * The context. A program reads its context through the kernel's UAPI
 * layout (struct __sk_buff, struct xdp_md, struct pt_regs, ...): the
 * device gives it exactly those bytes, so every scalar field is read where
 * the program expects it. Only the packet pointers differ: the UAPI has
 * 32-bit data/data_end/data_meta fields, the device has 64-bit pointers.
 * They live after the UAPI struct, at BVC_DEVCTX_PTRS(type) (+0 data,
 * +8 data_end, +16 data_meta), and the lowering pass (jitter/lower.c)
 * rewrites every verified load of those fields into a 64-bit load from
 * there. Tracing contexts (pt_regs, tracepoint records, raw_tp args,
 * perf_event data) are plain memory.
 *
 * Calls. Helpers are C functions `uint64_t f(uint64_t r1, ..., r5)` in the
 * runtime, called with the target's C convention. Their addresses, and the
 * addresses of maps and of global-data values, are never in the code: the
 * code has a 64-bit slot for each and a relocation saying what goes there.
 */
#ifndef BPFVC_DEVABI_H
#define BPFVC_DEVABI_H

#include <stdint.h>

/* Offset of the device's packet pointers in the context (UAPI size,
 * rounded up to 8). 0 for types without packet pointers. */
#define BVC_DEVCTX_SKB_PTRS 192 /* sizeof(struct __sk_buff) */
#define BVC_DEVCTX_XDP_PTRS 24  /* sizeof(struct xdp_md) */
#define BVC_DEVCTX_DATA 0       /* + offset: void *data */
#define BVC_DEVCTX_DATA_END 8   /* + offset: void *data_end */
#define BVC_DEVCTX_DATA_META 16 /* + offset: void *data_meta */
#define BVC_DEVCTX_SKB_SIZE (BVC_DEVCTX_SKB_PTRS + 24) /* whole device context */
#define BVC_DEVCTX_XDP_SIZE (BVC_DEVCTX_XDP_PTRS + 24)

/* UAPI offsets of the 32-bit packet-pointer fields the lowering rewrites. */
#define BVC_UAPI_SKB_DATA 76
#define BVC_UAPI_SKB_DATA_END 80
#define BVC_UAPI_SKB_DATA_META 140
#define BVC_UAPI_SKB_SK 168   /* a socket pointer: never on a device */
#define BVC_UAPI_XDP_DATA 0
#define BVC_UAPI_XDP_DATA_END 4
#define BVC_UAPI_XDP_DATA_META 8

/* What a relocation's 64-bit slot receives. */
enum bvc_reloc_kind {
	BVC_RELOC_HELPER = 1,    /* target = helper id: the helper's address */
	BVC_RELOC_MAP = 2,       /* target = map index: the runtime's map object */
	BVC_RELOC_MAP_VALUE = 3, /* target = map index: address of element 0's value + addend */
	BVC_RELOC_RUNTIME = 4,   /* target = enum bvc_rt_fn: a runtime intrinsic */
	BVC_RELOC_PROG_ARRAY = 5, /* target = map index of a prog_array: its
				   * struct bvc_dev_prog_array */
};

/* Tail calls (bpf_tail_call, helper 12) are not calls into the runtime:
 * the code reads the prog_array's table itself and jumps. The table a
 * BVC_RELOC_PROG_ARRAY slot points to: @max_entries, then one address per
 * slot, that of the tail entry of the program in it (where a tail call
 * jumps, bvc_blob_prog.tail_entry_off), or 0 for an empty slot. The
 * kernel's rules: an index (32 bits) >= max_entries fails first, then a
 * run past BVC_MAX_TAIL_CALLS tail calls fails, then the count goes up
 * and an empty slot fails; a failed tail call goes on after the call. */
#define BVC_MAX_TAIL_CALLS 33 /* the kernel's MAX_TAIL_CALL_CNT */

struct bvc_dev_prog_array {
	uint32_t max_entries; /* slots */
	uint32_t reserved;    /* 0 */
	uint64_t entries[];   /* tail entry addresses, 0 = empty */
};

/* Runtime intrinsics the code may call (BVC_RELOC_RUNTIME targets).
 * LD_ABS/LD_IND: int64_t f(const void *ctx, int64_t offset) returns the
 * big-endian value read from the packet (zero-extended, >= 0), or -1 when
 * the bytes are not inside it: the code then ends the program with r0 = 0,
 * as the kernel does. */
enum bvc_rt_fn {
	BVC_RT_LD_ABS_B = 1,
	BVC_RT_LD_ABS_H = 2,
	BVC_RT_LD_ABS_W = 3,
};

/* One relocation: put the address of (@kind, @target) + @addend into the
 * 8 bytes at @offset of the code, little-endian. */
struct bvc_reloc {
	uint32_t offset; /* byte offset of the 64-bit slot in the code */
	uint32_t kind;   /* enum bvc_reloc_kind */
	uint32_t target; /* helper id, map index or enum bvc_rt_fn */
	int32_t addend;  /* added to the address (map value offsets) */
};

#endif /* BPFVC_DEVABI_H */
