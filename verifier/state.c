// SPDX-License-Identifier: MIT
/*
 * Verifier states: allocation, deep copies and register helpers (log.c
 * prints them).
 *
 * A state owns its frames and each frame owns its stack slots; copies are
 * deep so a pending branch can never see the current path's later writes.
 * Checkpoints are owned by the explored lists (prune.c) and live until the
 * run ends; parents always point at checkpoints.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static struct bvc_frame *frame_copy(const struct bvc_frame *src)
{
	struct bvc_frame *fr = malloc(sizeof(*fr));

	if (!fr)
		return NULL;
	*fr = *src;
	fr->slots = NULL;
	if (src->nslots) {
		fr->slots = malloc(src->nslots * sizeof(*fr->slots));
		if (!fr->slots) {
			free(fr);
			return NULL;
		}
		memcpy(fr->slots, src->slots, src->nslots * sizeof(*fr->slots));
	}
	return fr;
}

static void frame_free(struct bvc_frame *fr)
{
	if (fr) {
		free(fr->slots);
		free(fr);
	}
}

/* Make room for @nslots slots; new slots are STACK_INVALID. */
int bvc_grow_stack(struct bvc_frame *fr, uint32_t nslots)
{
	struct bvc_slot *s;

	if (nslots <= fr->nslots)
		return 0;
	s = realloc(fr->slots, nslots * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + fr->nslots, 0, (nslots - fr->nslots) * sizeof(*s));
	fr->slots = s;
	fr->nslots = nslots;
	return 0;
}

struct bvc_state *bvc_state_new(void)
{
	struct bvc_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->frames[0] = calloc(1, sizeof(struct bvc_frame));
	if (!st->frames[0]) {
		free(st);
		return NULL;
	}
	st->frames[0]->callsite = -1;
	st->branches = 1;
	return st;
}

struct bvc_state *bvc_state_copy(const struct bvc_state *src)
{
	struct bvc_state *st = malloc(sizeof(*st));

	if (!st)
		return NULL;
	*st = *src;
	memset(st->frames, 0, sizeof(st->frames));
	st->trail = NULL;
	st->hist = NULL;
	st->cap_hist = st->nhist;
	st->demand = NULL;
	if (src->nhist) {
		st->hist = malloc(src->nhist * sizeof(*st->hist));
		if (!st->hist) {
			free(st);
			return NULL;
		}
		memcpy(st->hist, src->hist, src->nhist * sizeof(*st->hist));
	}
	if (src->trail_len) {
		/* Whole 8-byte words, as bvc_trail_push() grows it. */
		st->trail = calloc(1, bvc_trail_bytes(src->trail_len));
		if (!st->trail) {
			free(st->hist);
			free(st);
			return NULL;
		}
		memcpy(st->trail, src->trail, (src->trail_len + 7) / 8);
	}
	for (uint32_t i = 0; i <= src->curframe; i++) {
		st->frames[i] = frame_copy(src->frames[i]);
		if (!st->frames[i]) {
			bvc_state_free(st);
			return NULL;
		}
	}
	return st;
}

void bvc_state_free(struct bvc_state *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i < BVC_MAX_FRAMES; i++)
		frame_free(st->frames[i]);
	free(st->trail);
	free(st->hist);
	free(st->demand);
	free(st);
}

/* Bytes a trail of @len decisions occupies: whole 8-byte words. */
size_t bvc_trail_bytes(uint32_t len)
{
	return ((size_t)len + 63) / 64 * 8;
}

/* Record one more branch decision (1: taken) on @st's path. */
int bvc_trail_push(struct bvc_state *st, int taken)
{
	uint32_t n = st->trail_len;

	if (n % 64 == 0) {
		uint8_t *t = realloc(st->trail, n / 8 + 8);

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
	case BVC_CONST_PTR_MAP: return "map_ptr";
	case BVC_PTR_MAP_VALUE: return reg->maybe_null ? "map_value_or_null" : "map_value";
	case BVC_PTR_MAP_KEY: return "map_key";
	case BVC_PTR_STACK: return "fp";
	case BVC_PTR_PACKET_META: return "pkt_meta";
	case BVC_PTR_PACKET: return "pkt";
	case BVC_PTR_PACKET_END: return "pkt_end";
	case BVC_PTR_MEM: return reg->maybe_null ? "mem_or_null" : "mem";
	case BVC_PTR_FUNC: return "func";
	}
	return "?";
}
