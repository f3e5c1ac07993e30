/* SPDX-License-Identifier: MIT */
/*
 * bpfvc runtime: the device side (docs/design.md sections 1 and 5). No verifier
 * and no JIT here: a signed blob comes in, and the runtime
 *   - checks what the blob needs against what it has (target, helpers,
 *     map types, program type) and refuses with one line otherwise;
 *   - gives each map its memory (global data initialised from the blob);
 *   - copies the native code into fresh pages, fills every relocation
 *     (helper, map, map value and intrinsic addresses) and only then makes
 *     the pages executable: code is never writable and executable at once;
 *   - or, when the blob was compiled for another CPU (or when asked), runs
 *     the blob's lowered bytecode on the reference interpreter
 *     (bpfvc/interp.h) with map addresses patched into its ld_imm64s;
 *   - runs the entry with a device context (bpfvc/devabi.h) built from the
 *     caller's input: a packet for networking programs, the raw context
 *     bytes for tracing programs.
 *
 * The host CPU (the device's) is fixed when the runtime is built: this is
 * the one place in bpfvc that may look at __x86_64__ / __aarch64__.
 *
 * Threads: a program, its maps and a context are used by one thread at a
 * time. Errors are negative errno with one line in @err; nothing prints,
 * except through the callbacks of struct bvc_rt_opts.
 */
#ifndef BPFVC_RUNTIME_H
#define BPFVC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/blob.h"

struct bvc_rt_prog; /* a loaded program with its maps */
struct bvc_rt_map;  /* one map; its address is what BVC_RELOC_MAP slots get */
struct bvc_rt_ctx;  /* the context (and packet) of one run */

/* One line of output (no trailing newline): runtime notices or
 * bpf_trace_printk() text. */
typedef void (*bvc_rt_print_fn)(void *user, const char *line);

struct bvc_rt_opts {
	size_t sz;             /* sizeof(struct bvc_rt_opts), for growth */
	bvc_rt_print_fn log;   /* notices ("running ... on the interpreter"); NULL: none */
	bvc_rt_print_fn trace; /* bpf_trace_printk() lines; NULL: dropped */
	void *user;            /* passed to @log and @trace */
	int force_interp;      /* 1: interpret the bytecode even if the code could run */
	uint64_t max_steps;    /* interpreter step budget per run; 0: the interpreter's */
	const char *kernel_btf; /* this device kernel's raw BTF, compared with a
				 * blob verified for one kernel (bvc_blob_check_kernel);
				 * NULL: /sys/kernel/btf/vmlinux */
};

/* The CPU this runtime was built for (enum bvc_jit_target), 0 if it has
 * no JIT target: then every blob runs on the interpreter. */
uint32_t bvc_rt_host_target(void);

/*
 * Make @blob runnable. Everything needed is copied: @blob (and the buffer
 * it points into) may be freed afterwards. Refusals (-EINVAL, -EOPNOTSUPP
 * for what this runtime lacks, e.g. "blob needs helper bpf_X#N which this
 * runtime lacks") and failures (-ENOMEM, mmap/mprotect errors) leave one
 * line in @err. @opts may be NULL.
 */
int bvc_rt_load(const struct bvc_blob *blob, const struct bvc_rt_opts *opts,
		struct bvc_rt_prog **out, char *err, size_t errsz);

/* bvc_blob_read() (signature against @trusted, every structural rule)
 * then bvc_rt_load(), on a blob in memory. @name is for messages. */
int bvc_rt_open_mem(const uint8_t *buf, size_t size, const char *name,
		    const struct bvc_key *trusted, const struct bvc_rt_opts *opts,
		    struct bvc_rt_prog **out, char *err, size_t errsz);

/* The same, reading the blob from @path. Messages start with "@path: ". */
int bvc_rt_open_file(const char *path, const struct bvc_key *trusted,
		     const struct bvc_rt_opts *opts, struct bvc_rt_prog **out, char *err,
		     size_t errsz);

/* Unmap the code, free the maps. NULL is fine. */
void bvc_rt_prog_free(struct bvc_rt_prog *prog);

/* 1 when bvc_rt_run() calls native code, 0 when it interprets bytecode. */
int bvc_rt_prog_is_native(const struct bvc_rt_prog *prog);
uint32_t bvc_rt_prog_type(const struct bvc_rt_prog *prog);
const char *bvc_rt_prog_name(const struct bvc_rt_prog *prog);
/* The executable copy of the code (native programs; NULL otherwise). */
const void *bvc_rt_prog_code(const struct bvc_rt_prog *prog, size_t *size);
size_t bvc_rt_prog_map_cnt(const struct bvc_rt_prog *prog);
/* The name of the program in slot @key of prog_array @map of @prog, NULL
 * when the slot is empty (or @map is not a prog_array). */
const char *bvc_rt_prog_slot(const struct bvc_rt_prog *prog, const struct bvc_rt_map *map,
			     uint32_t key);
struct bvc_rt_map *bvc_rt_prog_map(const struct bvc_rt_prog *prog, size_t idx);

/*
 * Contexts. @input is the packet for socket_filter, sched_cls, sched_act,
 * cgroup_skb and xdp (data .. data_end; headroom and tailroom around it for
 * bpf_xdp_adjust_head/tail/meta), or the first bytes of the zeroed context
 * for tracing types (pt_regs, tracepoint record, raw_tp args, perf_event
 * data). @input may be NULL with @len 0. The __sk_buff / xdp_md fields the
 * runtime fills: len, wire_len, protocol (from the Ethernet header),
 * ifindex / ingress_ifindex (1), gso_segs (1); everything else is 0.
 */
int bvc_rt_ctx_new(uint32_t prog_type, const void *input, size_t len,
		   struct bvc_rt_ctx **out, char *err, size_t errsz);
/* Put back the context and packet bvc_rt_ctx_new() made (a run may have
 * written the packet, moved data or data_end, or written ctx fields). */
void bvc_rt_ctx_reset(struct bvc_rt_ctx *ctx);
void bvc_rt_ctx_free(struct bvc_rt_ctx *ctx);
/* The packet as the program left it (data .. data_end), NULL for tracing. */
const uint8_t *bvc_rt_ctx_packet(const struct bvc_rt_ctx *ctx, size_t *len);

/* Run @prog once on @ctx; r0 in *@r0. Returns 0, -EINVAL for a context of
 * another kind, or the interpreter's fault (-EFAULT, -ELOOP, ...) with
 * "insn N: why" in @err. Maps keep their contents across runs. */
int bvc_rt_run(struct bvc_rt_prog *prog, struct bvc_rt_ctx *ctx, uint64_t *r0, char *err,
	       size_t errsz);

/*
 * Maps, as user space sees them through bpf(2): copies in and out.
 * Flags and errors as the kernel's: BPF_ANY / BPF_NOEXIST / BPF_EXIST,
 * -ENOENT, -EEXIST, -E2BIG (full, or index out of range), -EINVAL, -EPERM
 * (read-only global data). Per-CPU maps have one CPU: value_size bytes.
 * Ring buffers and perf event arrays have no elements: see below.
 */
int bvc_rt_map_new(const struct bvc_blob_map *def, struct bvc_rt_map **out, char *err,
		   size_t errsz);
void bvc_rt_map_free(struct bvc_rt_map *map);
const char *bvc_rt_map_name(const struct bvc_rt_map *map);
uint32_t bvc_rt_map_type(const struct bvc_rt_map *map);
uint32_t bvc_rt_map_key_size(const struct bvc_rt_map *map);
uint32_t bvc_rt_map_value_size(const struct bvc_rt_map *map);
uint32_t bvc_rt_map_max_entries(const struct bvc_rt_map *map);
int bvc_rt_map_lookup(struct bvc_rt_map *map, const void *key, void *value);
int bvc_rt_map_update(struct bvc_rt_map *map, const void *key, const void *value,
		      uint64_t flags);
int bvc_rt_map_delete(struct bvc_rt_map *map, const void *key);
/* The key after @key (NULL or a missing key: the first), -ENOENT at the end. */
int bvc_rt_map_next_key(struct bvc_rt_map *map, const void *key, void *next);

/* A record from a ring buffer (@index 0) or a perf event array (@index =
 * the slot perf_event_output() chose). Return non-zero to stop. */
typedef int (*bvc_rt_record_fn)(void *user, uint32_t index, const void *data, size_t size);

/* Ring buffer consumer: hand every submitted record to @fn in reserve
 * order and release it; stops at the first record still reserved (as the
 * kernel's consumer does); discarded records are skipped. Returns how many
 * records @fn saw, or -EINVAL if @map is not a ring buffer. */
int bvc_rt_ringbuf_consume(struct bvc_rt_map *map, bvc_rt_record_fn fn, void *user);

/* Perf event array: hand every record bpf_perf_event_output() appended to
 * @fn in order and clear the buffer. *@lost (may be NULL) gets the records
 * dropped because the buffer was full. Returns the count, or -EINVAL. */
int bvc_rt_perf_consume(struct bvc_rt_map *map, bvc_rt_record_fn fn, void *user,
			uint64_t *lost);

/* Helpers: 1 if this runtime implements helper @id. */
int bvc_rt_helper_supported(int32_t id);

/* Maps: 1 if this runtime can create maps of @type (the kernel's enum
 * bpf_map_type); `bpfvc build` refuses programs using the others, which
 * stay verify-only (stack_trace, ...). */
int bvc_rt_map_type_supported(uint32_t type);

#endif /* BPFVC_RUNTIME_H */
