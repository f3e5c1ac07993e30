/* SPDX-License-Identifier: MIT */
/*
 * What the bare-metal runtime's files share (not for the firmware): the
 * arena, map creation and the helpers' addresses.
 */
#ifndef BPFVC_BM_INTERNAL_H
#define BPFVC_BM_INTERNAL_H

#include "baremetal.h"

void bm_arena_reset(void);
/* @size bytes, 8-aligned and zeroed, or NULL when the arena is full. */
void *bm_arena_alloc(uint32_t size);

/* Check @m's definition and give it zeroed memory in the arena. */
int bm_map_init(struct bvc_bm_map *m, char *err, size_t errsz);
void *bm_map_lookup(const struct bvc_bm_map *m, const void *key);
int64_t bm_map_update(struct bvc_bm_map *m, const void *key, const void *value, uint64_t flags);
int64_t bm_map_delete(struct bvc_bm_map *m, const void *key);

/* Address (Thumb bit set) of helper @id; bvc_bm_helper_supported(id). */
uintptr_t bm_helper_addr(uint32_t id);

#endif /* BPFVC_BM_INTERNAL_H */
