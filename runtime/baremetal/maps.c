// SPDX-License-Identifier: MIT
/*
 * Maps in static memory: one arena, reset by each load, from which every
 * map and the code's RAM copy are cut. No heap on the device, and a
 * program's whole footprint is known once it is loaded.
 *
 * Arrays: max_entries values of value_size rounded up to 8 (the kernel's
 * element size, so a u64 in any element is 8-aligned).
 * Hashes: open addressing with linear probing in a power-of-two table at
 * least twice max_entries; a slot is a state word, the key and the value,
 * each 8-aligned; deleted slots are tombstones that lookups probe past and
 * inserts reuse. At most max_entries elements, as the kernel (-E2BIG).
 * percpu_array and percpu_hash are the same maps: one CPU, as runtime/maps.c
 * has them. Semantics (flags, errors) are runtime/maps.c's, which are the
 * kernel's.
 */
#include "bm_internal.h"
#include "bpfvc/abi.h"

#define BPF_NOEXIST 1
#define BPF_EXIST 2
#define SLOT_EMPTY 0
#define SLOT_USED 1
#define SLOT_DEAD 2
#define MAX_KEY 512    /* the kernel's limits on hash keys and values ... */
#define MAX_VALUE 4096 /* ... kept small for a device */

static uint8_t arena[BVC_BM_ARENA_SIZE] __attribute__((aligned(8)));
static uint32_t arena_used;

/* Per-map bookkeeping the struct has no room for: the element count and
 * the table size of each hash, by arena offset of its slots. */
struct hash_info {
	uint32_t count;  /* live elements */
	uint32_t nslots; /* power of two */
};

void bm_arena_reset(void)
{
	arena_used = 0;
}

uint32_t bvc_bm_arena_used(void)
{
	return arena_used;
}

void *bm_arena_alloc(uint32_t size)
{
	uint8_t *p;

	size = (size + 7) & ~7u;
	if (size > sizeof(arena) - arena_used)
		return (void *)0;
	p = arena + arena_used;
	arena_used += size;
	memset(p, 0, size);
	return p;
}

static int is_array(uint32_t type)
{
	return type == BVC_MAP_ARRAY || type == BVC_MAP_PERCPU_ARRAY;
}

static int is_hash(uint32_t type)
{
	return type == BVC_MAP_HASH || type == BVC_MAP_PERCPU_HASH;
}

static uint32_t round8(uint32_t n)
{
	return (n + 7) & ~7u;
}

static struct hash_info *info(const struct bvc_bm_map *m)
{
	return (struct hash_info *)(void *)m->mem;
}

static uint8_t *slot(const struct bvc_bm_map *m, uint32_t i)
{
	return m->mem + 8 + (size_t)i * m->slot_size;
}

int bm_map_init(struct bvc_bm_map *m, char *err, size_t errsz)
{
	uint64_t bytes;
	uint32_t n = 1;

	if (is_array(m->type)) {
		if (m->key_size != 4 || !m->value_size || m->value_size > MAX_VALUE ||
		    !m->max_entries)
			goto bad;
		bytes = (uint64_t)m->max_entries * round8(m->value_size);
	} else if (is_hash(m->type)) {
		if (!m->key_size || m->key_size > MAX_KEY || !m->value_size ||
		    m->value_size > MAX_VALUE || !m->max_entries || m->max_entries > (1u << 16))
			goto bad;
		while (n < 2 * m->max_entries)
			n <<= 1;
		m->slot_size = 8 + round8(m->key_size) + round8(m->value_size);
		bytes = 8 + (uint64_t)n * m->slot_size;
	} else {
		bvc_bm_fmt(err, errsz, "map %s: map type %u: not on this device", m->name, m->type);
		return -BVC_BM_EOPNOTSUPP;
	}
	m->mem = bytes <= BVC_BM_ARENA_SIZE ? bm_arena_alloc((uint32_t)bytes) : (void *)0;
	if (!m->mem && bytes) {
		bvc_bm_fmt(err, errsz, "map %s: %u bytes: out of device memory", m->name,
			   (unsigned)bytes);
		return -BVC_BM_ENOMEM;
	}
	if (is_hash(m->type))
		info(m)->nslots = n;
	return 0;
bad:
	bvc_bm_fmt(err, errsz, "map %s: key %u value %u max_entries %u: not on this device",
		   m->name, m->key_size, m->value_size, m->max_entries);
	return -BVC_BM_EOPNOTSUPP;
}

static uint32_t hash_key(const uint8_t *key, uint32_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (n--)
		h = (h ^ *key++) * 16777619u;
	return h;
}

/* The slot holding @key, or -1 with *@free the first reusable slot seen
 * (-1 if none). */
static int32_t hash_find(const struct bvc_bm_map *m, const void *key, int32_t *free)
{
	uint32_t mask = info(m)->nslots - 1, i = hash_key(key, m->key_size) & mask;

	*free = -1;
	for (uint32_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
		uint8_t *s = slot(m, i);

		if (s[0] == SLOT_EMPTY) {
			if (*free < 0)
				*free = (int32_t)i;
			return -1;
		}
		if (s[0] == SLOT_DEAD) {
			if (*free < 0)
				*free = (int32_t)i;
		} else if (!memcmp(s + 8, key, m->key_size)) {
			return (int32_t)i;
		}
	}
	return -1;
}

void *bm_map_lookup(const struct bvc_bm_map *m, const void *key)
{
	uint32_t idx;
	int32_t i, free;

	if (is_array(m->type)) {
		memcpy(&idx, key, 4);
		return idx < m->max_entries ? m->mem + (size_t)idx * round8(m->value_size)
					    : (void *)0;
	}
	i = hash_find(m, key, &free);
	return i < 0 ? (void *)0 : slot(m, (uint32_t)i) + 8 + round8(m->key_size);
}

int64_t bm_map_update(struct bvc_bm_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	int32_t i, free;
	uint8_t *s;

	if (flags > BPF_EXIST)
		return -BVC_BM_EINVAL;
	if (is_array(m->type)) {
		memcpy(&idx, key, 4);
		if (idx >= m->max_entries)
			return -BVC_BM_E2BIG;
		if (flags == BPF_NOEXIST)
			return -BVC_BM_EEXIST;
		memcpy(m->mem + (size_t)idx * round8(m->value_size), value, m->value_size);
		return 0;
	}
	i = hash_find(m, key, &free);
	if (i >= 0) {
		if (flags == BPF_NOEXIST)
			return -BVC_BM_EEXIST;
		memcpy(slot(m, (uint32_t)i) + 8 + round8(m->key_size), value, m->value_size);
		return 0;
	}
	if (flags == BPF_EXIST)
		return -BVC_BM_ENOENT;
	if (info(m)->count >= m->max_entries || free < 0)
		return -BVC_BM_E2BIG;
	s = slot(m, (uint32_t)free);
	s[0] = SLOT_USED;
	memcpy(s + 8, key, m->key_size);
	memcpy(s + 8 + round8(m->key_size), value, m->value_size);
	info(m)->count++;
	return 0;
}

int64_t bm_map_delete(struct bvc_bm_map *m, const void *key)
{
	int32_t i, free;

	if (!is_hash(m->type))
		return -BVC_BM_EINVAL;
	i = hash_find(m, key, &free);
	if (i < 0)
		return -BVC_BM_ENOENT;
	slot(m, (uint32_t)i)[0] = SLOT_DEAD;
	info(m)->count--;
	return 0;
}

int bvc_bm_map_next(const struct bvc_bm_map *m, uint32_t *iter, const uint8_t **key,
		    const uint8_t **value)
{
	static uint32_t idx; /* the array's key: it has no stored keys */

	if (is_array(m->type)) {
		if (*iter >= m->max_entries)
			return -BVC_BM_ENOENT;
		idx = *iter;
		*key = (const uint8_t *)&idx;
		*value = m->mem + (size_t)(*iter)++ * round8(m->value_size);
		return 0;
	}
	for (; *iter < info(m)->nslots; (*iter)++) {
		const uint8_t *s = slot(m, *iter);

		if (s[0] == SLOT_USED) {
			*key = s + 8;
			*value = s + 8 + round8(m->key_size);
			(*iter)++;
			return 0;
		}
	}
	return -BVC_BM_ENOENT;
}
