// SPDX-License-Identifier: MIT
/*
 * Maps of the device: array, percpu_array, hash, percpu_hash, lru_hash,
 * ringbuf, prog_array and perf_event_array, with the kernel's semantics for
 * what a program or a user can observe (flags, error codes, ring buffer
 * ordering). The device has one CPU, so the per-CPU maps are the plain ones.
 *
 * Memory. Everything a program may touch (array values, hash keys and
 * values, ring buffer records) lives in one mmap'd area per map, so the
 * interpreter can be given each map as one region and read-only global
 * data can be made PROT_READ once initialised. Hash elements are
 * preallocated (the kernel's default) and their bookkeeping (bucket chains,
 * LRU list) is kept apart from that area, where a program cannot reach it.
 *
 * LRU: exact least-recently-used order (lookups and updates move an element
 * to the front; a full map evicts the back). The kernel approximates this
 * with per-element reference bits; an exact order is one the kernel's may
 * produce, and it makes tests deterministic.
 *
 * Ring buffer: the kernel's record format (8-byte header: length with the
 * busy and discard bits, then the header's offset in the data area) and
 * positions that only grow. The kernel maps the data area twice so a record
 * may wrap; here a record that would wrap is preceded by a discarded
 * padding record that fills the end of the area, which consumers skip.
 *
 * prog_array: the device table tail calls read (devabi.h struct
 * bvc_dev_prog_array: max_entries, then one code address per slot) and,
 * beside it, the program index in each slot; the loader fills both from
 * the blob's slots. User space cannot change them (no program fds here).
 * perf_event_array: every slot is open; bpf_perf_event_output() appends to
 * one buffer per map (1 MiB, then records are counted as lost), read by
 * bvc_rt_perf_consume().
 *
 * Must not: print, or trust a map address a helper got without its magic.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime_internal.h"

#define MAX_KEY_SIZE 512          /* MAX_BPF_STACK: the kernel's hash key limit */
#define MAX_VALUE_SIZE (1u << 22) /* about KMALLOC_MAX_SIZE */
#define MAX_MAP_BYTES (UINT64_C(1) << 30)
#define PERF_BUF_MAX (1u << 20)
#define RB_PTR_SLOT 8 /* the map's address, just before a ring buffer's data */

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int rt_is_map(const void *p)
{
	return p && ((const struct bvc_rt_map *)p)->magic == RT_MAP_MAGIC;
}

static int is_hash(uint32_t type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_HASH;
}

static int is_array(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* FNV-1a over the key: keys are short and this needs no alignment. */
static uint32_t hash_key(const void *key, uint32_t size)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;
	uint32_t i;

	for (i = 0; i < size; i++)
		h = (h ^ p[i]) * 16777619u;
	return h ^ (h >> 15);
}

static uint8_t *elem_key(struct bvc_rt_map *m, uint32_t idx)
{
	return m->data + (size_t)idx * m->stride;
}

static uint8_t *elem_value(struct bvc_rt_map *m, uint32_t idx)
{
	return m->data + (size_t)idx * m->stride + m->val_off;
}

/* Check a definition the way the kernel's map_alloc_check callbacks do. */
int bvc_rt_map_type_supported(uint32_t type)
{
	/* The types check_def() knows; keep the two together. */
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_RINGBUF:
		return 1;
	default:
		return 0;
	}
}

static int check_def(const struct bvc_blob_map *d, char *err, size_t errsz)
{
	const char *n = d->name;

	switch (d->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		if (d->key_size != 4 || !d->value_size || !d->max_entries)
			goto bad_sizes;
		break;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
		if (!d->key_size || !d->value_size || !d->max_entries)
			goto bad_sizes;
		if (d->key_size > MAX_KEY_SIZE) {
			bvc_set_err(err, errsz, "map %s: key_size %u is larger than %u", n, d->key_size,
			       MAX_KEY_SIZE);
			return -E2BIG;
		}
		break;
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		/* libbpf sets a perf event array's size to the CPU count when it
		 * is 0: one CPU here. */
		if (d->key_size != 4 || d->value_size != 4 ||
		    (!d->max_entries && d->type == BPF_MAP_TYPE_PROG_ARRAY))
			goto bad_sizes;
		break;
	case BPF_MAP_TYPE_RINGBUF:
		if (d->key_size || d->value_size) {
			bvc_set_err(err, errsz, "map %s: a ring buffer has key_size and value_size 0", n);
			return -EINVAL;
		}
		if (d->max_entries < 4096 || (d->max_entries & (d->max_entries - 1)) ||
		    d->max_entries % 4096) {
			bvc_set_err(err, errsz,
			       "map %s: ring buffer size %u is not a power of 2 and a multiple of 4096",
			       n, d->max_entries);
			return -EINVAL;
		}
		break;
	default:
		bvc_set_err(err, errsz, "map %s: map type %u is not supported by this runtime", n, d->type);
		return -EOPNOTSUPP;
	}
	if (d->value_size > MAX_VALUE_SIZE) {
		bvc_set_err(err, errsz, "map %s: value_size %u is larger than %u", n, d->value_size,
		       MAX_VALUE_SIZE);
		return -E2BIG;
	}
	if (d->init && (!is_array(d->type) || d->init_size != d->value_size)) {
		bvc_set_err(err, errsz, "map %s: initial data (%u bytes) needs an array with value_size %u",
		       n, d->init_size, d->value_size);
		return -EINVAL;
	}
	return 0;
bad_sizes:
	bvc_set_err(err, errsz, "map %s: invalid key_size %u, value_size %u or max_entries %u for %s",
	       n, d->key_size, d->value_size, d->max_entries,
	       d->type == BPF_MAP_TYPE_PROG_ARRAY ? "prog_array" :
	       d->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY ? "perf_event_array" :
	       is_array(d->type) ? "an array" : "a hash");
	return -EINVAL;
}

/* mmap @bytes (rounded to pages) of zeroes into m->mem. */
static int map_mem(struct bvc_rt_map *m, uint64_t bytes, char *err, size_t errsz)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t size = (bytes + page - 1) / page * page;
	void *p;

	if (bytes > MAX_MAP_BYTES) {
		bvc_set_err(err, errsz, "map %s: %llu bytes is too large for this runtime", m->name,
		       (unsigned long long)bytes);
		return -E2BIG;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		bvc_set_err(err, errsz, "map %s: cannot map %llu bytes: %s", m->name,
		       (unsigned long long)size, strerror(errno));
		return -ENOMEM;
	}
	m->mem = p;
	m->mem_size = (size_t)size;
	return 0;
}

static int init_hash(struct bvc_rt_map *m)
{
	uint32_t nb = 1, i;

	while (nb < m->max_entries && nb < (1u << 31))
		nb <<= 1;
	m->buckets = malloc((size_t)nb * sizeof(*m->buckets));
	m->nodes = calloc(m->max_entries, sizeof(*m->nodes));
	if (!m->buckets || !m->nodes)
		return -ENOMEM;
	for (i = 0; i < nb; i++)
		m->buckets[i] = RT_NONE;
	m->bucket_mask = nb - 1;
	/* Free list in index order, so the first elements taken are 0, 1, ... */
	for (i = 0; i < m->max_entries; i++)
		m->nodes[i].next = i + 1 < m->max_entries ? i + 1 : RT_NONE;
	m->free_head = 0;
	m->lru_head = m->lru_tail = RT_NONE;
	return 0;
}

int bvc_rt_map_new(const struct bvc_blob_map *def, struct bvc_rt_map **out, char *err,
		   size_t errsz)
{
	struct bvc_rt_map *m;
	int ret;

	*out = NULL;
	ret = check_def(def, err, errsz);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->type = def->type;
	m->key_size = def->key_size;
	m->value_size = def->value_size;
	m->max_entries = def->max_entries ? def->max_entries : 1;
	m->flags = def->flags;
	memcpy(m->name, def->name, sizeof(m->name) - 1);
	m->name[sizeof(m->name) - 1] = '\0';

	if (is_array(m->type)) {
		m->stride = (uint32_t)round8(m->value_size);
		ret = map_mem(m, (uint64_t)m->stride * m->max_entries, err, errsz);
		if (ret)
			goto fail;
		m->data = m->mem;
		m->data_size = (size_t)m->stride * m->max_entries;
		if (def->init)
			memcpy(m->data, def->init, def->init_size);
		if (m->flags & BPF_F_RDONLY_PROG) {
			/* .rodata: constants, frozen as libbpf freezes them. */
			m->rdonly = 1;
			if (mprotect(m->mem, m->mem_size, PROT_READ)) {
				ret = -errno;
				bvc_set_err(err, errsz, "map %s: mprotect: %s", m->name, strerror(errno));
				goto fail;
			}
		}
	} else if (is_hash(m->type)) {
		m->val_off = (uint32_t)round8(m->key_size);
		m->stride = m->val_off + (uint32_t)round8(m->value_size);
		ret = map_mem(m, (uint64_t)m->stride * m->max_entries, err, errsz);
		if (ret)
			goto fail;
		m->data = m->mem;
		m->data_size = (size_t)m->stride * m->max_entries;
		ret = init_hash(m);
		if (ret) {
			bvc_set_err(err, errsz, "map %s: out of memory", m->name);
			goto fail;
		}
	} else if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
		if (m->max_entries > RT_MAX_PROG_ARRAY) {
			bvc_set_err(err, errsz, "map %s: prog_array of %u entries, more than this runtime's %u",
			       m->name, m->max_entries, RT_MAX_PROG_ARRAY);
			ret = -E2BIG;
			goto fail;
		}
		m->prog_tab = calloc(1, sizeof(*m->prog_tab) + (size_t)m->max_entries * 8);
		m->slot_prog = malloc((size_t)m->max_entries * sizeof(*m->slot_prog));
		if (!m->prog_tab || !m->slot_prog) {
			bvc_set_err(err, errsz, "map %s: out of memory", m->name);
			ret = -ENOMEM;
			goto fail;
		}
		m->prog_tab->max_entries = m->max_entries;
		for (uint32_t k = 0; k < m->max_entries; k++)
			m->slot_prog[k] = -1;
	} else if (m->type == BPF_MAP_TYPE_RINGBUF) {
		ret = map_mem(m, RB_PTR_SLOT + (uint64_t)m->max_entries, err, errsz);
		if (ret)
			goto fail;
		memcpy(m->mem, &m, sizeof(m));
		m->data = m->mem + RB_PTR_SLOT;
		m->data_size = m->max_entries;
	}
	m->magic = RT_MAP_MAGIC;
	*out = m;
	return 0;
fail:
	bvc_rt_map_free(m);
	return ret;
}

void bvc_rt_map_free(struct bvc_rt_map *m)
{
	if (!m)
		return;
	m->magic = 0;
	if (m->mem)
		munmap(m->mem, m->mem_size);
	free(m->buckets);
	free(m->nodes);
	free(m->perf);
	free(m->prog_tab);
	free(m->slot_prog);
	free(m);
}

const char *bvc_rt_map_name(const struct bvc_rt_map *m)
{
	return m->name;
}

uint32_t bvc_rt_map_type(const struct bvc_rt_map *m)
{
	return m->type;
}

uint32_t bvc_rt_map_key_size(const struct bvc_rt_map *m)
{
	return m->key_size;
}

uint32_t bvc_rt_map_value_size(const struct bvc_rt_map *m)
{
	return m->value_size;
}

uint32_t bvc_rt_map_max_entries(const struct bvc_rt_map *m)
{
	return m->max_entries;
}

/* ---- hash tables ---- */

static uint32_t hash_find(struct bvc_rt_map *m, const void *key, uint32_t h)
{
	uint32_t i;

	for (i = m->buckets[h & m->bucket_mask]; i != RT_NONE; i = m->nodes[i].next)
		if (m->nodes[i].hash == h && !memcmp(elem_key(m, i), key, m->key_size))
			return i;
	return RT_NONE;
}

static void lru_unlink(struct bvc_rt_map *m, uint32_t i)
{
	struct rt_hnode *n = &m->nodes[i];

	if (n->lru_prev != RT_NONE)
		m->nodes[n->lru_prev].lru_next = n->lru_next;
	else
		m->lru_head = n->lru_next;
	if (n->lru_next != RT_NONE)
		m->nodes[n->lru_next].lru_prev = n->lru_prev;
	else
		m->lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = RT_NONE;
}

static void lru_push_front(struct bvc_rt_map *m, uint32_t i)
{
	struct rt_hnode *n = &m->nodes[i];

	n->lru_prev = RT_NONE;
	n->lru_next = m->lru_head;
	if (m->lru_head != RT_NONE)
		m->nodes[m->lru_head].lru_prev = i;
	m->lru_head = i;
	if (m->lru_tail == RT_NONE)
		m->lru_tail = i;
}

/* Mark @i most recently used: every element of every hash type is on the
 * list (it costs little), only lru_hash evicts from it. */
static void lru_touch(struct bvc_rt_map *m, uint32_t i)
{
	if (m->lru_head == i)
		return;
	lru_unlink(m, i);
	lru_push_front(m, i);
}

static void hash_remove(struct bvc_rt_map *m, uint32_t i)
{
	uint32_t *link = &m->buckets[m->nodes[i].hash & m->bucket_mask];

	while (*link != i) {
		if (*link == RT_NONE)
			return; /* defensive: @i was not in its bucket */
		link = &m->nodes[*link].next;
	}
	*link = m->nodes[i].next;
	lru_unlink(m, i);
	m->nodes[i].used = 0;
	memset(elem_key(m, i), 0, m->stride);
	m->nodes[i].next = m->free_head;
	m->free_head = i;
	m->count--;
}

static long hash_update(struct bvc_rt_map *m, const void *key, const void *value,
			uint64_t flags)
{
	uint32_t h = hash_key(key, m->key_size);
	uint32_t i = hash_find(m, key, h);

	if (i != RT_NONE) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy(elem_value(m, i), value, m->value_size);
		lru_touch(m, i);
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (m->free_head == RT_NONE) {
		if (m->type != BPF_MAP_TYPE_LRU_HASH || m->lru_tail == RT_NONE)
			return -E2BIG;
		hash_remove(m, m->lru_tail);
	}
	i = m->free_head;
	m->free_head = m->nodes[i].next;
	m->nodes[i].used = 1;
	m->nodes[i].hash = h;
	memcpy(elem_key(m, i), key, m->key_size);
	memcpy(elem_value(m, i), value, m->value_size);
	m->nodes[i].next = m->buckets[h & m->bucket_mask];
	m->buckets[h & m->bucket_mask] = i;
	lru_push_front(m, i);
	m->count++;
	return 0;
}

/* ---- the program's side ---- */

void *rt_map_lookup(struct bvc_rt_map *m, const void *key)
{
	uint32_t idx, i;

	if (is_array(m->type)) {
		memcpy(&idx, key, sizeof(idx));
		return idx < m->max_entries ? elem_key(m, idx) : NULL;
	}
	if (is_hash(m->type)) {
		i = hash_find(m, key, hash_key(key, m->key_size));
		if (i == RT_NONE)
			return NULL;
		lru_touch(m, i);
		return elem_value(m, i);
	}
	return NULL; /* the verifier allows lookups in no other type */
}

long rt_map_update(struct bvc_rt_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;

	if (flags > BPF_EXIST) /* BPF_F_LOCK needs a spin lock: none here */
		return -EINVAL;
	if (is_array(m->type)) {
		memcpy(&idx, key, sizeof(idx));
		if (idx >= m->max_entries)
			return -E2BIG;
		if (flags == BPF_NOEXIST)
			return -EEXIST; /* every element of an array exists */
		memcpy(elem_key(m, idx), value, m->value_size);
		return 0;
	}
	if (is_hash(m->type))
		return hash_update(m, key, value, flags);
	return -EINVAL;
}

long rt_map_delete(struct bvc_rt_map *m, const void *key)
{
	uint32_t i;

	if (!is_hash(m->type))
		return -EINVAL; /* arrays cannot delete, as in the kernel */
	i = hash_find(m, key, hash_key(key, m->key_size));
	if (i == RT_NONE)
		return -ENOENT;
	hash_remove(m, i);
	return 0;
}

/* ---- the user's side ---- */

int bvc_rt_map_lookup(struct bvc_rt_map *m, const void *key, void *value)
{
	uint32_t idx, i;

	if (is_array(m->type)) {
		memcpy(&idx, key, sizeof(idx));
		if (idx >= m->max_entries)
			return -ENOENT;
		memcpy(value, elem_key(m, idx), m->value_size);
		return 0;
	}
	if (!is_hash(m->type))
		return -EINVAL;
	/* Not a use: a user's lookup leaves the LRU order alone. */
	i = hash_find(m, key, hash_key(key, m->key_size));
	if (i == RT_NONE)
		return -ENOENT;
	memcpy(value, elem_value(m, i), m->value_size);
	return 0;
}

int bvc_rt_map_update(struct bvc_rt_map *m, const void *key, const void *value, uint64_t flags)
{
	if (m->rdonly)
		return -EPERM;
	return (int)rt_map_update(m, key, value, flags);
}

int bvc_rt_map_delete(struct bvc_rt_map *m, const void *key)
{
	return (int)rt_map_delete(m, key);
}

int bvc_rt_map_next_key(struct bvc_rt_map *m, const void *key, void *next)
{
	uint32_t idx, i;

	if (is_array(m->type)) {
		if (key)
			memcpy(&idx, key, sizeof(idx));
		if (!key || idx >= m->max_entries)
			idx = 0;
		else if (idx + 1 == m->max_entries)
			return -ENOENT;
		else
			idx++;
		memcpy(next, &idx, sizeof(idx));
		return 0;
	}
	if (!is_hash(m->type))
		return -EINVAL;
	/* Element order; a key that is not there restarts, as in the kernel. */
	i = key ? hash_find(m, key, hash_key(key, m->key_size)) : RT_NONE;
	for (i = i == RT_NONE ? 0 : i + 1; i < m->max_entries; i++) {
		if (m->nodes[i].used) {
			memcpy(next, elem_key(m, i), m->key_size);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- ring buffers ---- */

struct rb_hdr {
	uint32_t len; /* record bytes | RT_RB_BUSY | RT_RB_DISCARD */
	uint32_t off; /* of this header in the data area */
};

static struct rb_hdr *rb_hdr_at(struct bvc_rt_map *m, uint64_t pos)
{
	return (struct rb_hdr *)(m->data + (pos & (m->data_size - 1)));
}

void *rt_ringbuf_reserve(struct bvc_rt_map *m, uint64_t size, uint64_t flags)
{
	uint64_t total, off, pad = 0;
	struct rb_hdr *h;

	if (m->type != BPF_MAP_TYPE_RINGBUF || flags)
		return NULL;
	if (size > m->data_size - RT_RB_HDR)
		return NULL;
	total = round8(size + RT_RB_HDR);
	off = m->prod & (m->data_size - 1);
	if (off + total > m->data_size)
		pad = m->data_size - off; /* a multiple of 8, at least 8 */
	if (m->prod + pad + total - m->cons > m->data_size)
		return NULL;
	if (pad) {
		h = rb_hdr_at(m, m->prod);
		h->len = (uint32_t)(pad - RT_RB_HDR) | RT_RB_DISCARD;
		h->off = (uint32_t)off;
		m->prod += pad;
	}
	h = rb_hdr_at(m, m->prod);
	h->len = (uint32_t)size | RT_RB_BUSY;
	h->off = (uint32_t)((uint8_t *)h - m->data);
	m->prod += total;
	return h + 1;
}

void rt_ringbuf_commit(void *sample, int discard)
{
	struct rb_hdr *h;
	struct bvc_rt_map *m;
	uint8_t *data;

	if (!sample)
		return;
	h = (struct rb_hdr *)sample - 1;
	data = (uint8_t *)h - h->off;
	memcpy(&m, data - RB_PTR_SLOT, sizeof(m));
	/* Defensive: verified code only commits what it reserved. */
	if (!rt_is_map(m) || m->type != BPF_MAP_TYPE_RINGBUF || m->data != data ||
	    !(h->len & RT_RB_BUSY))
		return;
	h->len &= ~RT_RB_BUSY;
	if (discard)
		h->len |= RT_RB_DISCARD;
}

long rt_ringbuf_output(struct bvc_rt_map *m, const void *data, uint64_t size, uint64_t flags)
{
	void *rec;

	if (flags & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = rt_ringbuf_reserve(m, size, 0);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	rt_ringbuf_commit(rec, 0);
	return 0;
}

uint64_t rt_ringbuf_query(struct bvc_rt_map *m, uint64_t flags)
{
	if (m->type != BPF_MAP_TYPE_RINGBUF)
		return 0;
	switch (flags) {
	case BPF_RB_AVAIL_DATA: return m->prod - m->cons;
	case BPF_RB_RING_SIZE: return m->data_size;
	case BPF_RB_CONS_POS: return m->cons;
	case BPF_RB_PROD_POS: return m->prod;
	default: return 0;
	}
}

int bvc_rt_ringbuf_consume(struct bvc_rt_map *m, bvc_rt_record_fn fn, void *user)
{
	struct rb_hdr *h;
	uint32_t len;
	int n = 0;

	if (m->type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	while (m->cons < m->prod) {
		h = rb_hdr_at(m, m->cons);
		if (h->len & RT_RB_BUSY)
			break; /* later records wait for this one, as in the kernel */
		len = h->len & ~(RT_RB_BUSY | RT_RB_DISCARD);
		if (!(h->len & RT_RB_DISCARD)) {
			n++;
			if (fn && fn(user, 0, h + 1, len)) {
				m->cons += round8((size_t)len + RT_RB_HDR);
				break;
			}
		}
		m->cons += round8((size_t)len + RT_RB_HDR);
	}
	return n;
}

/* ---- perf event arrays ---- */

long rt_perf_output(struct bvc_rt_map *m, uint64_t flags, const void *data, uint64_t size,
		    const void *extra, uint64_t extra_size)
{
	uint64_t index = flags & BPF_F_INDEX_MASK;
	size_t need, cap;
	uint32_t hdr[2];
	uint8_t *p;

	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	if (index == BPF_F_CURRENT_CPU)
		index = 0;
	if (index >= m->max_entries)
		return -E2BIG;
	if (size + extra_size > UINT32_MAX)
		return -E2BIG;
	need = sizeof(hdr) + round8((size_t)(size + extra_size));
	if (m->perf_len + need > PERF_BUF_MAX) {
		m->perf_lost++;
		return -ENOSPC;
	}
	if (m->perf_len + need > m->perf_cap) {
		cap = m->perf_cap ? m->perf_cap : 4096;
		while (cap < m->perf_len + need)
			cap *= 2;
		p = realloc(m->perf, cap);
		if (!p) {
			m->perf_lost++;
			return -ENOMEM;
		}
		m->perf = p;
		m->perf_cap = cap;
	}
	p = m->perf + m->perf_len;
	hdr[0] = (uint32_t)index;
	hdr[1] = (uint32_t)(size + extra_size);
	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), data, size);
	if (extra_size)
		memcpy(p + sizeof(hdr) + size, extra, extra_size);
	memset(p + sizeof(hdr) + size + extra_size, 0, need - sizeof(hdr) - size - extra_size);
	m->perf_len += need;
	return 0;
}

int bvc_rt_perf_consume(struct bvc_rt_map *m, bvc_rt_record_fn fn, void *user, uint64_t *lost)
{
	uint32_t hdr[2];
	size_t pos = 0;
	int n = 0, stop = 0;

	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;

	while (pos < m->perf_len && !stop) {
		memcpy(hdr, m->perf + pos, sizeof(hdr));
		n++;
		stop = fn && fn(user, hdr[0], m->perf + pos + sizeof(hdr), hdr[1]);
		pos += sizeof(hdr) + round8(hdr[1]);
	}
	/* What @fn did not get stays for the next call. */
	if (pos) {
		memmove(m->perf, m->perf + pos, m->perf_len - pos);
		m->perf_len -= pos;
	}
	if (lost)
		*lost = m->perf_lost;
	m->perf_lost = 0;
	return n;
}
