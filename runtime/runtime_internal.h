/* SPDX-License-Identifier: MIT */
/*
 * Private to runtime/: the objects the runtime's files share. Helpers get
 * maps and contexts as plain addresses from the program, so both carry a
 * magic number the helpers check before trusting the rest (a defensive
 * branch: verified code never passes anything else).
 */
#ifndef BVC_RUNTIME_INTERNAL_H
#define BVC_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/interp.h"
#include "bpfvc/devabi.h"
#include "bpfvc/runtime.h"
#include "bpfvc/util.h"

#define RT_MAP_MAGIC 0x70616d52u /* "Rmap" */
#define RT_CTX_MAGIC 0x78746352u /* "Rctx" */

#define RT_NAME_MAX 64
#define RT_XDP_HEADROOM 256 /* XDP_PACKET_HEADROOM: room for bpf_xdp_adjust_head */
#define RT_TAILROOM 256     /* room for bpf_xdp_adjust_tail to grow into */
#define RT_TRACE_CTX_SIZE 8192 /* the largest tracing context (a tracepoint record) */

/* Ring buffer record header, as the kernel's (struct bpf_ringbuf_hdr). */
#define RT_RB_BUSY (1u << 31)    /* BPF_RINGBUF_BUSY_BIT: reserved, not committed */
#define RT_RB_DISCARD (1u << 30) /* BPF_RINGBUF_DISCARD_BIT: skipped by consumers */
#define RT_RB_HDR 8              /* BPF_RINGBUF_HDR_SZ */

/* One hash-table element's bookkeeping; its key and value sit in the
 * map's data area, so the program only ever sees key/value bytes. */
struct rt_hnode {
	uint32_t next;     /* next element in the bucket, or RT_NONE */
	uint32_t lru_prev; /* toward the most recently used, or RT_NONE */
	uint32_t lru_next; /* toward the least recently used, or RT_NONE */
	uint32_t hash;     /* of the key */
	uint8_t used;      /* holds a live key */
};

#define RT_NONE UINT32_MAX

struct bvc_rt_map {
	uint32_t magic;       /* RT_MAP_MAGIC while alive */
	uint32_t type;        /* kernel map type */
	uint32_t key_size;    /* bytes */
	uint32_t value_size;  /* bytes */
	uint32_t max_entries; /* elements (ring buffer: data bytes) */
	uint32_t flags;       /* BPF_F_* map flags */
	char name[RT_NAME_MAX]; /* for messages and dumps */
	int rdonly;           /* read-only global data: no writes from anyone */
	uint8_t *mem;         /* mmap'd storage, NULL for maps without any */
	size_t mem_size;      /* bytes mapped at @mem */
	uint8_t *data;        /* what programs may touch: values, key|value slots,
			       * ring buffer records; inside @mem */
	size_t data_size;     /* bytes at @data */
	uint32_t stride;      /* bytes per element in @data (8-aligned) */
	uint32_t val_off;     /* offset of the value in an element */
	/* hash, percpu_hash, lru_hash */
	uint32_t *buckets;    /* heads of the bucket chains */
	uint32_t bucket_mask; /* bucket count - 1 (a power of two) */
	struct rt_hnode *nodes; /* max_entries of them */
	uint32_t free_head;   /* free elements, chained through next */
	uint32_t count;       /* live elements */
	uint32_t lru_head;    /* most recently used */
	uint32_t lru_tail;    /* least recently used: evicted first */
	/* ringbuf */
	uint64_t prod;        /* producer position (bytes ever reserved) */
	uint64_t cons;        /* consumer position */
	/* perf_event_array */
	uint8_t *perf;        /* records: u32 index, u32 size, bytes padded to 8 */
	size_t perf_len;      /* bytes used */
	size_t perf_cap;      /* bytes allocated */
	uint64_t perf_lost;   /* records dropped: buffer full */
	/* prog_array */
	struct bvc_dev_prog_array *prog_tab; /* what native tail calls read */
	int32_t *slot_prog;   /* program index per slot, -1 empty */
};

#define RT_MAX_PROG_ARRAY (1u << 20) /* slots of one prog_array */

/* One program of a multi-program blob (tail-call targets). */
struct rt_tprog {
	char name[RT_NAME_MAX];  /* from the blob's program table */
	size_t insn_off;         /* its bytecode in bvc_rt_prog.insns */
	size_t insn_cnt;
};

/* What kind of context a program type runs with. */
enum rt_ctx_kind {
	RT_CTX_NONE = 0, /* not a type this runtime runs */
	RT_CTX_SKB,      /* struct __sk_buff + device pointers */
	RT_CTX_XDP,      /* struct xdp_md + device pointers */
	RT_CTX_TRACE,    /* plain read-only bytes */
};

struct bvc_rt_ctx {
	uint32_t magic;       /* RT_CTX_MAGIC while alive */
	uint32_t prog_type;   /* the type it was made for */
	enum rt_ctx_kind kind;
	uint8_t *buf;         /* packet buffer: headroom | packet | tailroom */
	size_t buf_size;      /* bytes at @buf */
	uint8_t *input;       /* a copy of the caller's packet, for resets */
	size_t len;           /* its bytes */
	size_t ptrs;          /* offset of data/data_end/data_meta in @dev, 0 for tracing */
	size_t size;          /* bytes of @dev */
	_Alignas(16) uint8_t dev[]; /* what r1 points to */
};

/* The native code of a program, in its own pages. */
struct rt_code {
	uint8_t *mem;    /* RX after rt_code_load(); NULL when none */
	size_t map_size; /* bytes mapped */
	size_t size;     /* bytes of code */
};

typedef uint64_t (*rt_entry_fn)(void *ctx, uint64_t len);

struct bvc_rt_prog {
	char name[RT_NAME_MAX];  /* program name from the blob */
	uint32_t prog_type;      /* kernel program type */
	uint32_t target;         /* the blob's target */
	enum rt_ctx_kind kind;   /* the context it needs */
	struct bvc_rt_map **maps; /* in blob order: BVC_RELOC_MAP targets */
	size_t map_cnt;
	int native;              /* 1: @entry, 0: @insns on the interpreter */
	struct rt_code code;     /* native code */
	rt_entry_fn entry;       /* in @code */
	struct bvc_insn *insns;  /* relocated lowered bytecode (every program's) */
	size_t insn_cnt;
	struct rt_tprog *progs;  /* the blob's program table; progs[0] is the
				  * entry; NULL for a one-program blob */
	size_t prog_cnt;
	struct bvc_interp_region *regions; /* map data, then ctx and packet */
	size_t map_region_cnt;   /* regions of maps, before the two per run */
	struct bvc_rt_opts opts; /* the caller's, zero-filled past its sz */
};

/* The run in progress on this thread (helpers that need more than their
 * arguments: trace_printk's output, redirect's program type). */
struct rt_run {
	struct bvc_rt_prog *prog;
	struct bvc_rt_ctx *ctx;
};
extern _Thread_local struct rt_run rt_cur;

/* maps.c: the program's side of the map operations. */
void *rt_map_lookup(struct bvc_rt_map *m, const void *key);
long rt_map_update(struct bvc_rt_map *m, const void *key, const void *value, uint64_t flags);
long rt_map_delete(struct bvc_rt_map *m, const void *key);
void *rt_ringbuf_reserve(struct bvc_rt_map *m, uint64_t size, uint64_t flags);
void rt_ringbuf_commit(void *sample, int discard);
long rt_ringbuf_output(struct bvc_rt_map *m, const void *data, uint64_t size, uint64_t flags);
uint64_t rt_ringbuf_query(struct bvc_rt_map *m, uint64_t flags);
long rt_perf_output(struct bvc_rt_map *m, uint64_t flags, const void *data, uint64_t size,
		    const void *extra, uint64_t extra_size);
/* 1 if @p is a live map object. */
int rt_is_map(const void *p);

/* ctx.c */
enum rt_ctx_kind rt_ctx_kind_of(uint32_t prog_type);
/* The context behind the address a program got in r1, or NULL. */
struct bvc_rt_ctx *rt_ctx_from_dev(const void *dev);
/* Pointers of a packet context: [0] data, [1] data_end, [2] data_meta. */
uint8_t **rt_ctx_ptrs(struct bvc_rt_ctx *c);

/* loader.c: the interpreter's tail-call resolver (bvc_interp_opts.tail_call). */
int rt_interp_tail_call(void *ctx, uint64_t map, uint32_t index, const struct bvc_insn **insns,
			size_t *cnt);

/* helpers.c */
/* Native address of helper @id, 0 if this runtime lacks it. */
uint64_t rt_helper_addr(int32_t id);
/* The ids this runtime implements, ascending, into @ids (up to @max);
 * returns how many there are. */
size_t rt_helper_ids(uint32_t *ids, size_t max);
/* The interpreter's resolver (bvc_interp_opts.helper). */
bvc_helper_fn rt_interp_helper(void *ctx, int32_t id);
/* Native address of intrinsic @fn (enum bvc_rt_fn), 0 if unknown. */
uint64_t rt_intrinsic_addr(uint32_t fn);

/* exec.c */
int rt_code_load(struct rt_code *c, const uint8_t *code, size_t size,
		 const struct bvc_reloc *relocs, size_t reloc_cnt, const uint64_t *reloc_addr,
		 char *err, size_t errsz);
void rt_code_unload(struct rt_code *c);

#endif /* BVC_RUNTIME_INTERNAL_H */
