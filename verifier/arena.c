// SPDX-License-Identifier: MIT
/*
 * The engine's memory: an arena per engine that states, frames, stacks,
 * trails and path histories come from, and the memory limit.
 *
 * Why: a path explosion copies a state at every branch and checkpoint and
 * frees it when the path ends; with malloc() that was most of the run's
 * time. Here every block has a size class and freed blocks go to their
 * class's free list, so after the first few thousand states an engine
 * allocates nothing: blocks are carved from 256 KiB chunks and reused.
 * Blocks keep their class in a 16-byte header, so freeing needs no size
 * and a block knows how much it can grow in place.
 *
 * The limit: every chunk (and every block too big for a class) is counted
 * against the engine's limit and against a process-wide total, so the
 * engines of one worker share the worker's budget. Past the limit an
 * allocation fails like malloc() and the engine turns that into its
 * "exceeds the memory limit" rejection; nothing here decides verdicts.
 *
 * A NULL arena means plain malloc(), unaccounted: work items in transit
 * between engines, which must not depend on an engine's lifetime.
 *
 * Under AddressSanitizer every block is its own malloc() (still counted):
 * a state used after it was freed must be caught, not quietly reused.
 * Must not print, and must not know what a state is.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/verifier.h"
#include "engine_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_SANITIZE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_SANITIZE 1
#endif
#endif
#ifndef ARENA_SANITIZE
#define ARENA_SANITIZE 0
#endif

#define ARENA_CHUNK (256u << 10)
#define ARENA_HDR 16u
#define ARENA_BIG 0xffu /* class of a block malloc()ed on its own */
#define ARENA_PLAIN 0xfeu /* class of a block of the NULL arena */

/* Block sizes, header included: powers of two and the halfway points,
 * so a block wastes at most a third. */
static const uint32_t class_size[] = {
	32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
	6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536,
};
#define NCLASS (sizeof(class_size) / sizeof(class_size[0]))

struct blk {
	struct bvc_arena *arena; /* owner; NULL for plain malloc() */
	uint32_t cls;            /* index in class_size, ARENA_BIG or ARENA_PLAIN */
	uint32_t len;            /* (big and plain blocks) bytes asked for */
};

/* A big block: linked so the arena can free what is left at its end. */
struct big {
	struct big *prev, *next;
	size_t size;             /* bytes malloc()ed, headers included */
	uint64_t pad;            /* keeps the block's header 16-byte aligned */
};

struct chunk {
	struct chunk *next;
	uint64_t pad;
};

struct bvc_arena {
	void *free[NCLASS];      /* per class: freed blocks, linked through their payload */
	struct chunk *chunks;    /* every chunk, for bvc_arena_free_all() */
	char *cur, *end;         /* the unused part of the newest chunk */
	struct big big;          /* list head of big blocks */
	uint64_t bytes;          /* chunks and big blocks held */
	uint64_t limit;          /* bytes this arena and the process may hold; 0: none */
};

/* Bytes every arena of this process holds: the engines of a worker share
 * one budget. */
static _Atomic uint64_t process_bytes;

_Static_assert(sizeof(struct blk) == ARENA_HDR, "block header");
_Static_assert(sizeof(struct big) % 16 == 0 && sizeof(struct chunk) % 16 == 0, "alignment");

static uint64_t meminfo_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb;
	uint64_t v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
			v = (uint64_t)kb << 10;
			break;
		}
	fclose(f);
	return v;
}

uint64_t bvc_mem_limit_default(unsigned int nprocs)
{
	uint64_t avail = meminfo_available();
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t phys = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
	uint64_t v;

	/* Three quarters of what is free now (the rest for the page cache,
	 * the log, the per-insn tables and everyone else), never more than
	 * half of the machine when /proc says nothing. */
	if (avail)
		v = avail / 4 * 3;
	else if (phys)
		v = phys / 2;
	else
		v = 1ull << 30;
	if (!nprocs)
		nprocs = 1;
	v /= nprocs;
	if (v < (64ull << 20))
		v = 64ull << 20;
	return v & ~((1ull << 20) - 1);
}

struct bvc_arena *bvc_arena_new(uint64_t limit)
{
	struct bvc_arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->limit = limit;
	a->big.next = a->big.prev = &a->big;
	return a;
}

/* Take @n more bytes from the budget, or say no. */
static bool charge(struct bvc_arena *a, uint64_t n)
{
	uint64_t now = atomic_fetch_add(&process_bytes, n) + n;

	if (a->limit && (now > a->limit || a->bytes + n > a->limit)) {
		atomic_fetch_sub(&process_bytes, n);
		return false;
	}
	a->bytes += n;
	return true;
}

static void uncharge(struct bvc_arena *a, uint64_t n)
{
	atomic_fetch_sub(&process_bytes, n);
	a->bytes -= n;
}

void bvc_arena_free_all(struct bvc_arena *a)
{
	if (!a)
		return;
	while (a->chunks) {
		struct chunk *c = a->chunks;

		a->chunks = c->next;
		free(c);
	}
	while (a->big.next != &a->big) {
		struct big *b = a->big.next;

		a->big.next = b->next;
		free(b);
	}
	atomic_fetch_sub(&process_bytes, a->bytes);
	free(a);
}

static int class_of(size_t size)
{
	size_t need = size + ARENA_HDR;
	int lo = 0, hi = (int)NCLASS - 1;

	if (need > class_size[NCLASS - 1])
		return -1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (class_size[mid] >= need)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void *alloc_big(struct bvc_arena *a, size_t size)
{
	size_t total = sizeof(struct big) + ARENA_HDR + size;
	struct big *b;
	struct blk *h;

	if (size > UINT32_MAX || !charge(a, total))
		return NULL;
	b = malloc(total);
	if (!b) {
		uncharge(a, total);
		return NULL;
	}
	b->size = total;
	b->next = a->big.next;
	b->prev = &a->big;
	a->big.next->prev = b;
	a->big.next = b;
	h = (struct blk *)(b + 1);
	*h = (struct blk){ a, ARENA_BIG, (uint32_t)size };
	return h + 1;
}

void *bvc_arena_alloc(struct bvc_arena *a, size_t size)
{
	struct blk *h;
	int cls;

	if (!a) {
		if (size > UINT32_MAX)
			return NULL;
		h = malloc(ARENA_HDR + size);
		if (!h)
			return NULL;
		*h = (struct blk){ NULL, ARENA_PLAIN, (uint32_t)size };
		return h + 1;
	}
	cls = class_of(size);
	if (cls < 0 || ARENA_SANITIZE)
		return alloc_big(a, size);
	if (a->free[cls]) {
		void *p = a->free[cls];

		memcpy(&a->free[cls], p, sizeof(void *));
		return p;
	}
	if ((size_t)(a->end - a->cur) < class_size[cls]) {
		struct chunk *c;

		if (!charge(a, ARENA_CHUNK))
			return NULL;
		c = malloc(ARENA_CHUNK);
		if (!c) {
			uncharge(a, ARENA_CHUNK);
			return NULL;
		}
		/* The old chunk's tail is smaller than this class: it stays
		 * unused (at most 64 KiB of 256). */
		c->next = a->chunks;
		a->chunks = c;
		a->cur = (char *)(c + 1);
		a->end = (char *)c + ARENA_CHUNK;
	}
	h = (struct blk *)a->cur;
	a->cur += class_size[cls];
	*h = (struct blk){ a, (uint32_t)cls, 0 };
	return h + 1;
}

void *bvc_arena_zalloc(struct bvc_arena *a, size_t size)
{
	void *p = bvc_arena_alloc(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

size_t bvc_arena_usable(const void *p)
{
	const struct blk *h;

	if (!p)
		return 0;
	h = (const struct blk *)p - 1;
	if (h->cls == ARENA_BIG || h->cls == ARENA_PLAIN)
		return h->len;
	return class_size[h->cls] - ARENA_HDR;
}

void bvc_arena_free(void *p)
{
	struct blk *h;
	struct bvc_arena *a;

	if (!p)
		return;
	h = (struct blk *)p - 1;
	a = h->arena;
	if (h->cls == ARENA_PLAIN) {
		free(h);
		return;
	}
	if (h->cls == ARENA_BIG) {
		struct big *b = (struct big *)h - 1;

		b->prev->next = b->next;
		b->next->prev = b->prev;
		uncharge(a, b->size);
		free(b);
		return;
	}
	memcpy(p, &a->free[h->cls], sizeof(void *));
	a->free[h->cls] = p;
}

void *bvc_arena_grow(struct bvc_arena *a, void *p, size_t size)
{
	size_t have = bvc_arena_usable(p);
	void *n;

	if (p && size <= have)
		return p;
	n = bvc_arena_alloc(a, size);
	if (!n)
		return NULL;
	if (p)
		memcpy(n, p, have);
	bvc_arena_free(p);
	return n;
}

uint64_t bvc_arena_bytes(const struct bvc_arena *a)
{
	return a ? a->bytes : 0;
}

uint64_t bvc_arena_limit(const struct bvc_arena *a)
{
	return a ? a->limit : 0;
}
