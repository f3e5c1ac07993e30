// SPDX-License-Identifier: MIT
/*
 * Map semantics of the device runtime, through the user-side API (what
 * bpf(2) would give) and the program-side operations helpers use: array
 * bounds, hash update flags, LRU eviction, ring buffer ordering and
 * discard, wrap-around, perf event records, and definitions the runtime
 * must refuse. Expected values are the kernel's (kernel/bpf/arraymap.c,
 * hashtab.c, ringbuf.c), not what the code happens to do.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime/runtime_internal.h"
#include "bpfvc/runtime.h"

static struct bvc_rt_map *new_map(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max)
{
	struct bvc_blob_map d = { .type = type, .key_size = ks, .value_size = vs, .max_entries = max };
	struct bvc_rt_map *m = NULL;
	char err[256] = "";

	snprintf(d.name, sizeof(d.name), "m%u", type);
	cr_assert_eq(bvc_rt_map_new(&d, &m, err, sizeof(err)), 0, "%s", err);
	return m;
}

Test(maps, array_bounds_and_flags)
{
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_ARRAY, 4, 12, 4);
	uint32_t k, next;
	uint8_t v[12], out[12];
	void *p;

	memset(v, 0xab, sizeof(v));
	k = 3;
	cr_expect_eq(bvc_rt_map_update(m, &k, v, BPF_ANY), 0);
	cr_expect_eq(bvc_rt_map_update(m, &k, v, BPF_EXIST), 0);
	cr_expect_eq(bvc_rt_map_update(m, &k, v, BPF_NOEXIST), -EEXIST);
	cr_expect_eq(bvc_rt_map_update(m, &k, v, 3), -EINVAL);
	cr_expect_eq(bvc_rt_map_update(m, &k, v, BPF_F_LOCK), -EINVAL);
	k = 4;
	cr_expect_eq(bvc_rt_map_update(m, &k, v, BPF_ANY), -E2BIG);
	cr_expect_eq(bvc_rt_map_lookup(m, &k, out), -ENOENT);
	cr_expect_null(rt_map_lookup(m, &k));
	k = UINT32_MAX;
	cr_expect_null(rt_map_lookup(m, &k));
	k = 3;
	cr_expect_eq(bvc_rt_map_lookup(m, &k, out), 0);
	cr_expect_arr_eq(out, v, sizeof(v));
	p = rt_map_lookup(m, &k);
	cr_assert_not_null(p);
	cr_expect_arr_eq(p, v, sizeof(v));
	/* program-side pointers of two elements are a value stride apart (8-aligned) */
	k = 2;
	cr_expect_eq((uint8_t *)p - (uint8_t *)rt_map_lookup(m, &k), 16);
	cr_expect_eq(bvc_rt_map_delete(m, &k), -EINVAL);

	/* next_key: from nothing or out of range, 0; the last has no next */
	cr_expect_eq(bvc_rt_map_next_key(m, NULL, &next), 0);
	cr_expect_eq(next, 0);
	k = 99;
	cr_expect_eq(bvc_rt_map_next_key(m, &k, &next), 0);
	cr_expect_eq(next, 0);
	k = 1;
	cr_expect_eq(bvc_rt_map_next_key(m, &k, &next), 0);
	cr_expect_eq(next, 2);
	k = 3;
	cr_expect_eq(bvc_rt_map_next_key(m, &k, &next), -ENOENT);
	bvc_rt_map_free(m);
}

Test(maps, global_data_init_and_rodata)
{
	uint8_t init[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct bvc_blob_map d = { .name = "x.rodata", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				  .value_size = 16, .max_entries = 1,
				  .flags = BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, .init = init,
				  .init_size = 16 };
	struct bvc_rt_map *m = NULL;
	uint8_t out[16];
	uint32_t k = 0;
	char err[256] = "";

	cr_assert_eq(bvc_rt_map_new(&d, &m, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(bvc_rt_map_lookup(m, &k, out), 0);
	cr_expect_arr_eq(out, init, 16);
	cr_expect_eq(bvc_rt_map_update(m, &k, out, BPF_ANY), -EPERM);
	bvc_rt_map_free(m);

	/* init only for arrays, and exactly one value */
	d.init_size = 8;
	cr_expect_eq(bvc_rt_map_new(&d, &m, err, sizeof(err)), -EINVAL);
	cr_expect_null(m);
}

/* One step of a hash-map script: an operation and what the kernel returns. */
struct hstep {
	char op;        /* 'u'pdate, 'd'elete, 'l'ookup */
	uint32_t key;
	uint64_t val;   /* to write, or expected for a lookup */
	uint64_t flags;
	int ret;        /* expected */
};

static void run_script(struct bvc_rt_map *m, const struct hstep *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = 0;
		int r;

		switch (s[i].op) {
		case 'u': r = bvc_rt_map_update(m, &s[i].key, &s[i].val, s[i].flags); break;
		case 'd': r = bvc_rt_map_delete(m, &s[i].key); break;
		default:
			r = bvc_rt_map_lookup(m, &s[i].key, &v);
			if (!r)
				cr_expect_eq(v, s[i].val, "step %zu: key %u = %llu, expected %llu", i,
					     s[i].key, (unsigned long long)v, (unsigned long long)s[i].val);
			break;
		}
		cr_expect_eq(r, s[i].ret, "step %zu (%c key %u): %d, expected %d", i, s[i].op,
			     s[i].key, r, s[i].ret);
	}
}

static const struct hstep hash_script[] = {
	{ 'u', 1, 10, BPF_EXIST, -ENOENT },  /* EXIST needs the key */
	{ 'u', 1, 10, BPF_NOEXIST, 0 },
	{ 'u', 1, 11, BPF_NOEXIST, -EEXIST },
	{ 'l', 1, 10, 0, 0 },
	{ 'u', 1, 12, BPF_EXIST, 0 },
	{ 'l', 1, 12, 0, 0 },
	{ 'u', 2, 20, BPF_ANY, 0 },
	{ 'u', 2, 21, BPF_ANY, 0 },          /* ANY replaces */
	{ 'l', 2, 21, 0, 0 },
	{ 'u', 3, 30, BPF_ANY, 0 },
	{ 'u', 4, 40, BPF_ANY, -E2BIG },     /* full: max_entries 3 */
	{ 'u', 3, 31, BPF_ANY, 0 },          /* replacing works when full */
	{ 'u', 5, 50, 4, -EINVAL },          /* BPF_F_LOCK: no spin lock */
	{ 'd', 4, 0, 0, -ENOENT },
	{ 'd', 2, 0, 0, 0 },
	{ 'l', 2, 0, 0, -ENOENT },
	{ 'd', 2, 0, 0, -ENOENT },
	{ 'u', 4, 40, BPF_NOEXIST, 0 },      /* room again */
	{ 'l', 4, 40, 0, 0 },
	{ 'l', 1, 12, 0, 0 },
	{ 'l', 3, 31, 0, 0 },
};

Test(maps, hash_update_flags)
{
	uint32_t types[] = { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH };
	size_t t;

	for (t = 0; t < 2; t++) {
		struct bvc_rt_map *m = new_map(types[t], 4, 8, 3);

		run_script(m, hash_script, sizeof(hash_script) / sizeof(hash_script[0]));
		bvc_rt_map_free(m);
	}
}

Test(maps, hash_iteration_sees_every_key_once)
{
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_HASH, 4, 8, 100);
	uint8_t seen[100] = { 0 };
	uint32_t k, next;
	uint64_t v;
	int have = 0, n = 0;

	for (k = 0; k < 100; k++) {
		v = k * 7;
		cr_assert_eq(bvc_rt_map_update(m, &k, &v, BPF_NOEXIST), 0);
	}
	for (k = 0; k < 100; k += 3)
		cr_assert_eq(bvc_rt_map_delete(m, &k), 0);
	while (!bvc_rt_map_next_key(m, have ? &k : NULL, &next)) {
		cr_assert_lt(next, 100);
		cr_expect_neq(next % 3, 0, "deleted key %u seen", next);
		cr_expect_eq(seen[next]++, 0, "key %u seen twice", next);
		cr_assert_eq(bvc_rt_map_lookup(m, &next, &v), 0);
		cr_expect_eq(v, next * 7);
		k = next;
		have = 1;
		n++;
	}
	cr_expect_eq(n, 100 - 34);
	/* a key that is not there restarts the walk, as in the kernel */
	k = 3;
	cr_expect_eq(bvc_rt_map_next_key(m, &k, &next), 0);
	cr_expect_eq(next, 1);
	bvc_rt_map_free(m);
}

Test(maps, hash_collisions_with_long_keys)
{
	/* 40-byte keys differing in one byte: chains and memcmp, not just hash */
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_HASH, 40, 4, 64);
	uint8_t key[40];
	uint32_t v, i;

	for (i = 0; i < 64; i++) {
		memset(key, 0, sizeof(key));
		key[39] = (uint8_t)i;
		v = i + 1000;
		cr_assert_eq(bvc_rt_map_update(m, key, &v, BPF_NOEXIST), 0);
	}
	for (i = 0; i < 64; i++) {
		memset(key, 0, sizeof(key));
		key[39] = (uint8_t)i;
		cr_assert_eq(bvc_rt_map_lookup(m, key, &v), 0);
		cr_expect_eq(v, i + 1000);
	}
	bvc_rt_map_free(m);
}

Test(maps, lru_evicts_least_recently_used)
{
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_LRU_HASH, 4, 8, 3);
	uint32_t k;
	uint64_t v;

	for (k = 1; k <= 3; k++) {
		v = k * 100;
		cr_assert_eq(bvc_rt_map_update(m, &k, &v, BPF_NOEXIST), 0);
	}
	/* a program's lookup of 1 makes 2 the least recently used */
	k = 1;
	cr_assert_not_null(rt_map_lookup(m, &k));
	k = 4;
	v = 400;
	cr_expect_eq(bvc_rt_map_update(m, &k, &v, BPF_NOEXIST), 0, "a full LRU map evicts");
	k = 2;
	cr_expect_eq(bvc_rt_map_lookup(m, &k, &v), -ENOENT, "2 was evicted");
	for (k = 1; k <= 4; k += (k == 1 ? 2 : 1)) {
		cr_expect_eq(bvc_rt_map_lookup(m, &k, &v), 0, "key %u kept", k);
		cr_expect_eq(v, k * 100);
	}
	/* an update is a use too: 3 is now the oldest after touching 1 and 4 */
	k = 1;
	v = 101;
	cr_assert_eq(bvc_rt_map_update(m, &k, &v, BPF_EXIST), 0);
	k = 4;
	cr_assert_not_null(rt_map_lookup(m, &k));
	k = 5;
	v = 500;
	cr_assert_eq(bvc_rt_map_update(m, &k, &v, BPF_ANY), 0);
	k = 3;
	cr_expect_eq(bvc_rt_map_lookup(m, &k, &v), -ENOENT, "3 was evicted");
	/* EXIST still needs the key; eviction does not make it */
	k = 9;
	cr_expect_eq(bvc_rt_map_update(m, &k, &v, BPF_EXIST), -ENOENT);
	bvc_rt_map_free(m);
}

/* Ring buffer consumer callback: records into a flat log. */
struct rb_log {
	int n;
	uint32_t size[16];
	uint8_t first[16];
};

static int rb_collect(void *user, uint32_t index, const void *data, size_t size)
{
	struct rb_log *l = user;

	cr_assert_lt(l->n, 16);
	l->size[l->n] = (uint32_t)size;
	l->first[l->n] = size ? *(const uint8_t *)data : 0;
	l->n++;
	return 0;
}

Test(maps, ringbuf_reserve_submit_ordering)
{
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	struct rb_log log = { 0 };
	uint8_t *a, *b, *c, *d;

	a = rt_ringbuf_reserve(m, 10, 0);
	b = rt_ringbuf_reserve(m, 20, 0);
	cr_assert(a && b);
	cr_expect_eq(((uintptr_t)a | (uintptr_t)b) & 7, 0, "records are 8-aligned");
	cr_expect_eq(b - a, 8 + 16, "header + 10 bytes rounded to 8");
	memset(a, 'a', 10);
	memset(b, 'b', 20);
	rt_ringbuf_commit(b, 0);
	/* b is committed but a is not: a consumer sees nothing yet */
	cr_expect_eq(bvc_rt_ringbuf_consume(m, rb_collect, &log), 0);
	rt_ringbuf_commit(a, 0);
	cr_expect_eq(bvc_rt_ringbuf_consume(m, rb_collect, &log), 2);
	cr_expect_eq(log.n, 2);
	cr_expect_eq(log.size[0], 10);
	cr_expect_eq(log.first[0], 'a');
	cr_expect_eq(log.size[1], 20);
	cr_expect_eq(log.first[1], 'b');

	/* discard: skipped, and it does not block what follows */
	c = rt_ringbuf_reserve(m, 8, 0);
	d = rt_ringbuf_reserve(m, 8, 0);
	cr_assert(c && d);
	memset(d, 'd', 8);
	rt_ringbuf_commit(c, 1);
	rt_ringbuf_commit(d, 0);
	memset(&log, 0, sizeof(log));
	cr_expect_eq(bvc_rt_ringbuf_consume(m, rb_collect, &log), 1);
	cr_expect_eq(log.first[0], 'd');
	cr_expect_eq(rt_ringbuf_query(m, BPF_RB_AVAIL_DATA), 0);
	cr_expect_eq(rt_ringbuf_query(m, BPF_RB_RING_SIZE), 4096);
	cr_expect_eq(rt_ringbuf_query(m, BPF_RB_PROD_POS), 24 + 32 + 16 + 16);
	cr_expect_eq(rt_ringbuf_query(m, BPF_RB_CONS_POS), 24 + 32 + 16 + 16);

	/* flags: reserve takes none, output only the wakeup ones */
	cr_expect_null(rt_ringbuf_reserve(m, 8, 1));
	cr_expect_eq(rt_ringbuf_output(m, "xyz", 3, 4), -EINVAL);
	cr_expect_eq(rt_ringbuf_output(m, "xyz", 3, BPF_RB_NO_WAKEUP), 0);
	bvc_rt_map_free(m);
}

Test(maps, ringbuf_full_and_wraparound)
{
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	struct rb_log log = { 0 };
	uint8_t rec[200];
	int i, n = 0;

	/* 200 bytes + header = 208: 19 records fit in 4096, the 20th does not */
	for (i = 0; i < 19; i++)
		cr_assert_eq(rt_ringbuf_output(m, rec, sizeof(rec), 0), 0, "record %d", i);
	cr_expect_eq(rt_ringbuf_output(m, rec, sizeof(rec), 0), -EAGAIN);
	cr_expect_null(rt_ringbuf_reserve(m, 200, 0));
	cr_expect_null(rt_ringbuf_reserve(m, 4096, 0), "larger than the ring");
	cr_expect_eq(bvc_rt_ringbuf_consume(m, NULL, NULL), 19);

	/* Many laps with records that do not divide the ring: contents and
	 * order survive the wrap (a padding record fills each lap's end). */
	for (i = 0; i < 200; i++) {
		memset(rec, i & 0xff, sizeof(rec));
		cr_assert_eq(rt_ringbuf_output(m, rec, 100 + (i % 7) * 13, 0), 0, "lap record %d", i);
		if (i % 3 == 2) {
			memset(&log, 0, sizeof(log));
			cr_assert_eq(bvc_rt_ringbuf_consume(m, rb_collect, &log), 3);
			for (int j = 0; j < 3; j++) {
				cr_expect_eq(log.first[j], (uint8_t)(n + j));
				cr_expect_eq(log.size[j], (uint32_t)(100 + ((n + j) % 7) * 13));
			}
			n += 3;
		}
	}
	bvc_rt_map_free(m);
}

static int perf_collect(void *user, uint32_t index, const void *data, size_t size)
{
	char *s = user;
	char line[64];

	snprintf(line, sizeof(line), "%u:%.*s;", index, (int)size, (const char *)data);
	strcat(s, line);
	return 0;
}

Test(maps, perf_event_array_records)
{
	struct bvc_rt_map *m = new_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2);
	char out[256] = "";
	uint64_t lost = 99;

	cr_expect_eq(rt_perf_output(m, BPF_F_CURRENT_CPU, "one", 3, NULL, 0), 0);
	cr_expect_eq(rt_perf_output(m, 1, "two", 3, NULL, 0), 0);
	cr_expect_eq(rt_perf_output(m, 2, "bad", 3, NULL, 0), -E2BIG);
	cr_expect_eq(rt_perf_output(m, 0, "ab", 2, "cd", 2), 0);
	cr_expect_eq(bvc_rt_perf_consume(m, perf_collect, out, &lost), 3);
	cr_expect_str_eq(out, "0:one;1:two;0:abcd;");
	cr_expect_eq(lost, 0);
	cr_expect_eq(bvc_rt_perf_consume(m, perf_collect, out, &lost), 0, "consumed once");
	bvc_rt_map_free(m);
}

/* Definitions the runtime must refuse, with the reason. */
struct bad_def {
	struct bvc_blob_map def;
	int ret;
	const char *msg;
};

static const struct bad_def bad_defs[] = {
	{ { "r", BPF_MAP_TYPE_RINGBUF, 0, 0, 5000, 0, NULL, 0 }, -EINVAL,
	  "map r: ring buffer size 5000 is not a power of 2 and a multiple of 4096" },
	{ { "r", BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0, NULL, 0 }, -EINVAL,
	  "map r: a ring buffer has key_size and value_size 0" },
	{ { "a", BPF_MAP_TYPE_ARRAY, 8, 8, 4, 0, NULL, 0 }, -EINVAL,
	  "map a: invalid key_size 8, value_size 8 or max_entries 4 for an array" },
	{ { "h", BPF_MAP_TYPE_HASH, 4, 8, 0, 0, NULL, 0 }, -EINVAL,
	  "map h: invalid key_size 4, value_size 8 or max_entries 0 for a hash" },
	{ { "h", BPF_MAP_TYPE_HASH, 513, 8, 4, 0, NULL, 0 }, -E2BIG,
	  "map h: key_size 513 is larger than 512" },
	{ { "s", BPF_MAP_TYPE_STACK, 0, 8, 4, 0, NULL, 0 }, -EOPNOTSUPP,
	  "map s: map type 23 is not supported by this runtime" },
	{ { "big", BPF_MAP_TYPE_ARRAY, 4, 1024, 4u << 20, 0, NULL, 0 }, -E2BIG,
	  "map big: 4294967296 bytes is too large for this runtime" },
};

Test(maps, refused_definitions)
{
	size_t i;

	for (i = 0; i < sizeof(bad_defs) / sizeof(bad_defs[0]); i++) {
		struct bvc_rt_map *m = (void *)1;
		char err[256] = "";

		cr_expect_eq(bvc_rt_map_new(&bad_defs[i].def, &m, err, sizeof(err)), bad_defs[i].ret,
			     "row %zu", i);
		cr_expect_null(m);
		cr_expect_str_eq(err, bad_defs[i].msg, "row %zu", i);
	}
}
