// SPDX-License-Identifier: MIT
/*
 * Verifier states: allocation, deep copies and register helpers (log.c
 * prints them).
 *
 * A state owns its frames and each frame owns its stack slots; copies are
 * deep so a pending branch can never see the current path's later writes.
 * Everything comes from the engine's arena (arena.c): a copy takes blocks
 * off free lists, and a stack grows in place up to its block's size
 * class. Checkpoints are owned by the explored lists (prune.c), which
 * free an evicted one once no path below it is pending; parents always
 * point at checkpoints.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static struct bvc_frame *frame_copy(struct bvc_arena *a, const struct bvc_frame *src)
{
	struct bvc_frame *fr = bvc_arena_alloc(a, sizeof(*fr));

	if (!fr)
		return NULL;
	*fr = *src;
	fr->slots = NULL;
	if (src->nslots) {
		fr->slots = bvc_arena_alloc(a, src->nslots * sizeof(*fr->slots));
		if (!fr->slots) {
			bvc_arena_free(fr);
			return NULL;
		}
		memcpy(fr->slots, src->slots, src->nslots * sizeof(*fr->slots));
	}
	return fr;
}

struct bvc_frame *bvc_frame_new(struct bvc_arena *a)
{
	return bvc_arena_zalloc(a, sizeof(struct bvc_frame));
}

void bvc_frame_free(struct bvc_frame *fr)
{
	if (fr) {
		bvc_arena_free(fr->slots);
		bvc_arena_free(fr);
	}
}

/* Make room for @nslots slots; new slots are STACK_INVALID. The block
 * grows by size classes, so a path writing ever deeper copies its stack a
 * few times, not at every new slot. */
int bvc_grow_stack(struct bvc_arena *a, struct bvc_frame *fr, uint32_t nslots)
{
	struct bvc_slot *s = fr->slots;

	if (nslots <= fr->nslots)
		return 0;
	if (nslots * sizeof(*s) > bvc_arena_usable(s)) {
		/* Room for twice as many: the next slots come soon. */
		uint32_t want = nslots < BVC_STACK_SLOTS / 2 ? nslots * 2 : nslots;

		if (want < nslots || want > BVC_STACK_SLOTS)
			want = nslots;
		s = bvc_arena_grow(a, s, want * sizeof(*s));
		if (!s)
			return -ENOMEM;
	}
	memset(s + fr->nslots, 0, (nslots - fr->nslots) * sizeof(*s));
	fr->slots = s;
	fr->nslots = nslots;
	return 0;
}

struct bvc_state *bvc_state_new(struct bvc_arena *a)
{
	struct bvc_state *st = bvc_arena_zalloc(a, sizeof(*st));

	if (!st)
		return NULL;
	st->frames[0] = bvc_frame_new(a);
	if (!st->frames[0]) {
		bvc_arena_free(st);
		return NULL;
	}
	st->frames[0]->callsite = -1;
	st->branches = 1;
	return st;
}

struct bvc_state *bvc_state_copy(struct bvc_arena *a, const struct bvc_state *src, unsigned int what)
{
	struct bvc_state *st = bvc_arena_alloc(a, sizeof(*st));

	if (!st)
		return NULL;
	*st = *src;
	memset(st->frames, 0, sizeof(st->frames));
	st->trail = NULL;
	st->hist = NULL;
	st->nhist = st->cap_hist = 0;
	st->demand = NULL;
	st->evicted = st->in_share = false;
	if (!(what & BVC_COPY_TRAIL))
		st->trail_len = 0;
	if ((what & BVC_COPY_HIST) && src->nhist) {
		st->hist = bvc_arena_alloc(a, src->nhist * sizeof(*st->hist));
		if (!st->hist)
			goto fail;
		memcpy(st->hist, src->hist, src->nhist * sizeof(*st->hist));
		st->nhist = src->nhist;
		st->cap_hist = (uint32_t)(bvc_arena_usable(st->hist) / sizeof(*st->hist));
	}
	if (st->trail_len) {
		/* Whole 8-byte words, zero past the last decision, as
		 * bvc_trail_push() expects. */
		size_t used = (src->trail_len + 7) / 8, n = bvc_trail_bytes(src->trail_len);

		st->trail = bvc_arena_alloc(a, n);
		if (!st->trail)
			goto fail;
		memcpy(st->trail, src->trail, used);
		memset(st->trail + used, 0, n - used);
	}
	for (uint32_t i = 0; i <= src->curframe; i++) {
		st->frames[i] = frame_copy(a, src->frames[i]);
		if (!st->frames[i])
			goto fail;
	}
	return st;
fail:
	bvc_state_free(st);
	return NULL;
}

void bvc_state_free(struct bvc_state *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i < BVC_MAX_FRAMES; i++)
		bvc_frame_free(st->frames[i]);
	bvc_arena_free(st->trail);
	bvc_arena_free(st->hist);
	bvc_arena_free(st->demand);
	bvc_arena_free(st);
}

/* Bytes a trail of @len decisions occupies: whole 8-byte words. */
size_t bvc_trail_bytes(uint32_t len)
{
	return ((size_t)len + 63) / 64 * 8;
}

/* Record one more branch decision (1: taken) on @st's path. */
int bvc_trail_push(struct bvc_arena *a, struct bvc_state *st, int taken)
{
	uint32_t n = st->trail_len;

	if (n % 64 == 0) {
		uint8_t *t = bvc_arena_grow(a, st->trail, n / 8 + 8);

		if (!t)
			return -ENOMEM;
		memset(t + n / 8, 0, 8);
		st->trail = t;
	}
	if (taken)
		st->trail[n / 8] |= (uint8_t)(1u << (n % 8));
	st->trail_len = n + 1;
	return 0;
}

struct bvc_frame *bvc_cur_frame(struct bvc_env *env)
{
	return env->cur->frames[env->cur->curframe];
}

struct bvc_reg *bvc_cur_regs(struct bvc_env *env)
{
	return bvc_cur_frame(env)->regs;
}

void bvc_mark_reg_not_init(struct bvc_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = BVC_NOT_INIT;
	reg->var = bvc_scalar_unknown();
}

void bvc_mark_reg_unknown(struct bvc_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = BVC_SCALAR;
	reg->var = bvc_scalar_unknown();
}

void bvc_mark_reg_known(struct bvc_reg *reg, uint64_t v)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = BVC_SCALAR;
	reg->var = bvc_scalar_const(v);
}

bool bvc_is_pointer(const struct bvc_reg *reg)
{
	return reg->type != BVC_SCALAR && reg->type != BVC_NOT_INIT;
}

bool bvc_is_pkt_pointer(const struct bvc_reg *reg)
{
	return reg->type == BVC_PTR_PACKET || reg->type == BVC_PTR_PACKET_META;
}

/* The kernel's names for register types, as the log prints them. */
const char *bvc_rtype_name(const struct bvc_reg *reg)
{
	switch (reg->type) {
	case BVC_NOT_INIT: return "?";
	case BVC_SCALAR: return "scalar";
	case BVC_PTR_CTX: return "ctx";
	case BVC_CONST_PTR_MAP: return reg->maybe_null ? "map_ptr_or_null" : "map_ptr";
	case BVC_PTR_MAP_VALUE: return reg->maybe_null ? "map_value_or_null" : "map_value";
	case BVC_PTR_MAP_KEY: return "map_key";
	case BVC_PTR_STACK: return "fp";
	case BVC_PTR_PACKET_META: return "pkt_meta";
	case BVC_PTR_PACKET: return "pkt";
	case BVC_PTR_PACKET_END: return "pkt_end";
	case BVC_PTR_MEM: return reg->maybe_null ? "mem_or_null" : "mem";
	case BVC_PTR_FUNC: return "func";
	case BVC_PTR_FLOW_KEYS: return "flow_keys";
	case BVC_PTR_SOCK_COMMON: return reg->maybe_null ? "sock_common_or_null" : "sock_common";
	case BVC_PTR_SOCKET: return reg->maybe_null ? "sock_or_null" : "sock";
	case BVC_PTR_TCP_SOCK: return reg->maybe_null ? "tcp_sock_or_null" : "tcp_sock";
	}
	return "?";
}
