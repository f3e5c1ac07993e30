// SPDX-License-Identifier: MIT
/*
 * The verifier's words: the first refusal of a run (vrej, vunsup, vbug,
 * vfail), the kernel-style log (vlog) and the printing of states into it.
 *
 * A refusal is recorded once, with its kind, instruction and path, and
 * also written to the log, where the kernel writes its message. The log is
 * a courtesy to the reader: running out of memory for it never changes a
 * verdict. Nothing here decides what is safe, and nothing here prints: the
 * log goes back to the caller in the verdict.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* The first refusal ends the run: its kind, instruction, path and words. */
static int vfail_ap(struct bvc_env *env, enum bvc_verdict_kind kind, const char *prefix,
		    const char *fmt, va_list ap)
{
	size_t len;

	if (env->rejected)
		return -EACCES;
	/* A refusal is never an acceptance, whatever a caller passed. */
	if (kind != BVC_REJECT && kind != BVC_UNSUPPORTED)
		kind = BVC_INTERNAL;
	env->rejected = true;
	env->err_kind = kind;
	env->err_insn = env->insn_idx;
	/* The path to here, for a replay of this path alone (best effort:
	 * without memory the verdict just carries no trail). */
	if (env->cur && env->cur->trail_len) {
		size_t n = (env->cur->trail_len + 7) / 8;

		env->err_trail = malloc(n);
		if (env->err_trail) {
			memcpy(env->err_trail, env->cur->trail, n);
			env->err_trail_len = env->cur->trail_len;
		}
	}
	len = (size_t)snprintf(env->err, sizeof(env->err), "%s", prefix);
	if (len < sizeof(env->err))
		vsnprintf(env->err + len, sizeof(env->err) - len, fmt, ap);
	vlog(env, "%s\n", env->err);
	return -EACCES;
}

int vrej(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, BVC_REJECT, "", fmt, ap);
	va_end(ap);
	return ret;
}

int vunsup(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, BVC_UNSUPPORTED, "unsupported: ", fmt, ap);
	va_end(ap);
	return ret;
}

int vbug(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, BVC_INTERNAL, "verifier bug: ", fmt, ap);
	va_end(ap);
	return ret;
}

/* vfail()'s body: a message made elsewhere (an ISA fault), as it is. */
static int vfail_fmt(struct bvc_env *env, enum bvc_verdict_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vfail_fmt(struct bvc_env *env, enum bvc_verdict_kind kind, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, kind, "", fmt, ap);
	va_end(ap);
	return ret;
}

int vfail(struct bvc_env *env, enum bvc_verdict_kind kind, const char *msg)
{
	return vfail_fmt(env, kind, "%s", msg);
}

void vlog(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (env->opts.log_level <= 0)
		return;
	for (;;) {
		size_t room = env->log_cap - env->log_len;

		va_start(ap, fmt);
		n = vsnprintf(env->log ? env->log + env->log_len : NULL, env->log ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (env->log && (size_t)n < room) {
			env->log_len += (size_t)n;
			return;
		}
		{
			size_t cap = env->log_cap ? env->log_cap * 2 : 65536;
			char *p;

			while (cap - env->log_len <= (size_t)n)
				cap *= 2;
			if (cap > (64u << 20))
				return; /* the log is a courtesy, not a reason to fail */
			p = realloc(env->log, cap);
			if (!p)
				return;
			env->log = p;
			env->log_cap = cap;
		}
	}
}
/* " R1=value", or just the value for a spilled register (@i < 0). */
static void log_reg(struct bvc_env *env, int i, const struct bvc_reg *r)
{
	char buf[256];

	if (i >= 0)
		vlog(env, " R%d=", i);
	if (r->type == BVC_SCALAR) {
		/* P: precise, compared by value when pruning. */
		bvc_scalar_snprint(buf, sizeof(buf), &r->var);
		vlog(env, "%s%s", r->precise ? "P" : "", buf);
		return;
	}
	if (r->type == BVC_PTR_STACK && bvc_scalar_is_const(&r->var) && r->var.var_off.value == 0) {
		vlog(env, "fp%d", r->off);
		return;
	}
	vlog(env, "%s(", rtype_name(r));
	if (r->id)
		vlog(env, "id=%u,", r->id);
	if (r->ref_obj_id)
		vlog(env, "ref_obj_id=%u,", r->ref_obj_id);
	if (r->type == BVC_PTR_MAP_VALUE || r->type == BVC_CONST_PTR_MAP)
		vlog(env, "map=%s,ks=%u,vs=%u", env->img->maps[r->map_idx].name,
		     env->img->maps[r->map_idx].key_size, env->img->maps[r->map_idx].value_size);
	if (r->off)
		vlog(env, ",off=%d", r->off);
	if (is_pkt_pointer(r))
		vlog(env, "r=%d", r->range);
	if (!bvc_scalar_is_const(&r->var) || r->var.var_off.value) {
		bvc_scalar_snprint_fields(buf, sizeof(buf), &r->var, ",");
		vlog(env, "%s", buf);
	}
	vlog(env, ")");
}

/* One frame of @st: "R1=ctx() R10=fp0 fp-8=mmmmmmmm", no newline. */
void log_frame(struct bvc_env *env, const struct bvc_state *st, uint32_t f)
{
	const struct bvc_frame *fr = st->frames[f];

	for (int i = 0; i < BVC_MAX_REG; i++)
		if (fr->regs[i].type != BVC_NOT_INIT)
			log_reg(env, i, &fr->regs[i]);
	for (uint32_t s = 0; s < fr->nslots; s++) {
		const struct bvc_slot *sl = &fr->slots[s];
		static const char ch[] = { '?', 'r', 'm', '0' };
		char types[9];
		bool any = false;

		for (int b = 0; b < 8; b++) {
			types[7 - b] = ch[sl->stype[b] & 3];
			any |= sl->stype[b] != BVC_STACK_INVALID;
		}
		types[8] = 0;
		if (!any)
			continue;
		if (sl->stype[0] == BVC_STACK_SPILL && sl->stype[7] == BVC_STACK_SPILL) {
			vlog(env, " fp%d=", -8 * (int)(s + 1));
			log_reg(env, -1, &sl->spilled);
		} else {
			vlog(env, " fp%d=%s", -8 * (int)(s + 1), types);
		}
	}
	vlog(env, "\n");
}

/* "R1=ctx() R10=fp0 fp-8=mmmmmmmm" as the kernel's print_verifier_state. */
void log_state(struct bvc_env *env, const struct bvc_state *st)
{
	for (uint32_t f = 0; f <= st->curframe; f++) {
		if (f)
			vlog(env, " frame%u:", f);
		log_frame(env, st, f);
	}
}
