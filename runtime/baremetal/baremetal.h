/* SPDX-License-Identifier: MIT */
/*
 * bpfvc bare-metal runtime (issue #20): what a microcontroller needs to
 * take a signed thumbv7m blob and run it, in freestanding C11 (no libc, no
 * allocation, no OpenSSL). Built with arm-none-eabi-gcc for a Cortex-M4 by
 * runtime/baremetal/CMakeLists.txt (cmake/arm-none-eabi.cmake); the host
 * build never compiles it.
 *
 * bvc_bm_load() reads a blob as signer/blob_read.c does (docs/blob-format.md:
 * header and section table, then the Ed25519 signature with
 * signer/ed25519_verify.c, then the sections it uses), refuses what this
 * device does not offer (another target, a helper or map type it lacks,
 * tail calls, LD_ABS, kconfig or kernel sections), makes the maps in one
 * static arena, copies the code into RAM and fills its relocation slots.
 * bvc_bm_run() calls the entry with the JIT's convention
 * (jitter/thumbv7m/jit.c: uint64_t entry(void *ctx, uint64_t ctx_size)).
 *
 * One program at a time: a load resets the arena. Errors are negative
 * errno (Linux numbers, BVC_BM_E*) with one line in @err:
 *   -EBADMSG       malformed blob;
 *   -EKEYREJECTED  unsigned, another key's, or a signature that fails;
 *   -ENOEXEC       built for another CPU;
 *   -EOPNOTSUPP    needs a helper, map type or section the device lacks;
 *   -ENOMEM        the arena is too small for its maps and code.
 */
#ifndef BPFVC_BAREMETAL_H
#define BPFVC_BAREMETAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Linux's errno numbers: helpers return them to programs, which must see
 * what the interpreter gives them on the host. */
#define BVC_BM_ENOENT 2
#define BVC_BM_E2BIG 7
#define BVC_BM_ENOEXEC 8
#define BVC_BM_ENOMEM 12
#define BVC_BM_EEXIST 17
#define BVC_BM_EINVAL 22
#define BVC_BM_EBADMSG 74
#define BVC_BM_EOPNOTSUPP 95
#define BVC_BM_EKEYREJECTED 129

#define BVC_BM_MAX_MAPS 16            /* maps per program on this device */
#define BVC_BM_ARENA_SIZE (64u << 10) /* maps and the code's RAM copy */
#define BVC_BM_NAME_MAX 64

struct bvc_bm_map {
	char name[BVC_BM_NAME_MAX];
	uint32_t type; /* array, hash, percpu_array, percpu_hash (one CPU) */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
	uint32_t slot_size; /* hash: bytes per slot (state word, key, value) */
	uint8_t *mem;       /* array: the values; hash: the slots */
};

struct bvc_bm_prog {
	char name[BVC_BM_NAME_MAX];
	uint32_t prog_type;
	uint8_t *code; /* relocated copy in the arena */
	uint32_t code_size;
	uint32_t entry_off;
	uint32_t stack_depth; /* BPF stack of the deepest call chain (meta) */
	struct bvc_bm_map maps[BVC_BM_MAX_MAPS];
	uint32_t map_cnt;
};

/* Read, check and load @blob (@size bytes) signed by @pub (32 bytes, raw
 * Ed25519 public key) into @prog. */
int bvc_bm_load(const uint8_t *blob, size_t size, const uint8_t pub[32], struct bvc_bm_prog *prog,
		char *err, size_t errsz);

/* Run @prog once on the device context @ctx of @ctx_size bytes; r0 into
 * *@r0. */
void bvc_bm_run(const struct bvc_bm_prog *prog, void *ctx, uint32_t ctx_size, uint64_t *r0);

/* Bytes of the arena the loaded program's maps and code take. */
uint32_t bvc_bm_arena_used(void);

/* 1 if the device offers helper @id. */
int bvc_bm_helper_supported(uint32_t id);

/* Where bpf_trace_printk's lines go (semihosting on the firmware); NULL
 * drops them. */
void bvc_bm_set_output(void (*out)(const char *s));

/* Maps as the firmware's owner sees them: 0 or -ENOENT. @iter starts at 0;
 * bvc_bm_map_next() gives each element's key and value in slot order and
 * returns -ENOENT after the last. */
int bvc_bm_map_next(const struct bvc_bm_map *map, uint32_t *iter, const uint8_t **key,
		    const uint8_t **value);

/* The little formatter the runtime and firmware print with: %s %c %d %u
 * %x %X %ld %lu %lx %lld %llu %llx %zu %%, with an optional 0 and width for
 * the integers. Always NUL-terminates (when @sz > 0); returns the length
 * it wrote. No format attribute: on arm-none-eabi uint32_t is unsigned
 * long, which -Wformat would want as %lu, but int and long are both 32
 * bits there and %u reads a uint32_t exactly; %ll is for 64-bit values. */
size_t bvc_bm_vfmt(char *buf, size_t sz, const char *fmt, va_list ap);
size_t bvc_bm_fmt(char *buf, size_t sz, const char *fmt, ...);

/* SHA-256 (FIPS 180-4): the blob's key id is its first 8 bytes over the
 * signer's public key. */
void bvc_bm_sha256(const uint8_t *msg, size_t len, uint8_t out[32]);

/* What the compiler may call in freestanding code. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* BPFVC_BAREMETAL_H */
