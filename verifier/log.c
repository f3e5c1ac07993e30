// SPDX-License-Identifier: MIT
/*
 * The verifier's words: the first refusal of a run (bvc_vrej, bvc_vunsup,
 * bvc_vbug, bvc_vfail), the kernel-style log (bvc_vlog) and the printing of
 * states into it.
 *
 * A refusal is recorded once, with its kind, instruction and path, and
 * also written to the log, where the kernel writes its message. A log
 * longer than opts.log_size (64 MiB by default) keeps its end, as the
 * kernel's rotating log does: the refusal and the stats line come last and
 * are what a reader needs, so the start is what goes. The log is a
 * courtesy to the reader: running out of memory for it never changes a
 * verdict. Nothing here decides what is safe, and nothing here prints: the
 * log goes back to the caller in the verdict.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

#define LOG_SIZE_DEFAULT (64u << 20) /* bytes kept when opts.log_size is 0 */

/* Bytes of the log kept: its end. */
static size_t log_size(const struct bvc_env *env)
{
	return env->opts.log_size ? env->opts.log_size : LOG_SIZE_DEFAULT;
}

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
	bvc_vlog(env, "%s\n", env->err);
	return -EACCES;
}

int bvc_vrej(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, BVC_REJECT, "", fmt, ap);
	va_end(ap);
	return ret;
}

int bvc_vunsup(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, BVC_UNSUPPORTED, "unsupported: ", fmt, ap);
	va_end(ap);
	return ret;
}

int bvc_vbug(struct bvc_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail_ap(env, BVC_INTERNAL, "verifier bug: ", fmt, ap);
	va_end(ap);
	return ret;
}

/* bvc_vfail()'s body: a message made elsewhere (an ISA fault), as it is. */
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

int bvc_vfail(struct bvc_env *env, enum bvc_verdict_kind kind, const char *msg)
{
	return vfail_fmt(env, kind, "%s", msg);
}

/* Room for @need bytes of text and its NUL, within @limit: false only when
 * memory ran out short of that. */
static bool log_reserve(struct bvc_env *env, size_t need, size_t limit)
{
	size_t cap = env->log_cap ? env->log_cap : 65536;
	char *p;

	if (need > limit)
		need = limit;
	if (need <= env->log_cap)
		return true;
	while (cap < need)
		cap *= 2;
	if (cap > limit)
		cap = limit;
	p = realloc(env->log, cap);
	if (!p)
		return false;
	env->log = p;
	env->log_cap = cap;
	return true;
}

/*
 * Append @n bytes, keeping the end of the log: past LOG_SIZE bytes the
 * buffer becomes a ring of exactly that many, whose oldest bytes are
 * overwritten (log_start is where the oldest kept byte is). That is the
 * kernel's rotating log: the error and the stats line are at the end, and
 * a log that outgrows its buffer must not lose them.
 */
static void log_put(struct bvc_env *env, const char *s, size_t n)
{
	size_t max = log_size(env), end, first;

	env->log_true_len += n;
	if (n > max) {
		s += n - max;
		n = max;
	}
	/* The log is a courtesy: without memory for it the text is lost,
	 * never the verdict. */
	if (!n || !log_reserve(env, env->log_len + n + 1, max + 1))
		return;
	/* Contiguous from 0 until the ring is full, wrapping after. */
	end = (env->log_start + env->log_len) % max;
	first = n < max - end ? n : max - end;
	memcpy(env->log + end, s, first);
	memcpy(env->log, s + first, n - first);
	env->log_len += n;
	if (env->log_len > max) {
		env->log_start = (env->log_start + env->log_len - max) % max;
		env->log_len = max;
	}
}

void bvc_vlog(struct bvc_env *env, const char *fmt, ...)
{
	char line[512], *big;
	va_list ap;
	int n;

	if (env->opts.log_level <= 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line)) {
		log_put(env, line, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	n = vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		log_put(env, big, (size_t)n);
	free(big);
}

static void reverse(char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n - i; i++) {
		char c = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = c;
	}
}

void bvc_log_take(struct bvc_env *env, char **log, size_t *len, uint64_t *true_len)
{
	*true_len = env->log_true_len;
	*log = NULL;
	*len = 0;
	if (!env->log)
		return;
	/* A ring that wrapped: rotate it to start at its oldest byte (three
	 * reversals, in place: the buffer may be large). */
	if (env->log_start) {
		reverse(env->log, env->log_start);
		reverse(env->log + env->log_start, env->log_len - env->log_start);
		reverse(env->log, env->log_len);
	}
	env->log[env->log_len] = '\0';
	*log = env->log;
	*len = env->log_len;
	env->log = NULL;
	env->log_len = env->log_cap = env->log_start = 0;
	env->log_true_len = 0;
}

/* " R1=value", or just the value for a spilled register (@i < 0). */
static void log_reg(struct bvc_env *env, int i, const struct bvc_reg *r)
{
	char buf[256];

	if (i >= 0)
		bvc_vlog(env, " R%d=", i);
	if (r->type == BVC_SCALAR) {
		/* P: precise, compared by value when pruning. */
		bvc_scalar_snprint(buf, sizeof(buf), &r->var);
		bvc_vlog(env, "%s%s", r->precise ? "P" : "", buf);
		return;
	}
	if (r->type == BVC_PTR_STACK && bvc_scalar_is_const(&r->var) && r->var.var_off.value == 0) {
		bvc_vlog(env, "fp%d", r->off);
		return;
	}
	bvc_vlog(env, "%s(", bvc_rtype_name(r));
	if (r->id)
		bvc_vlog(env, "id=%u,", r->id);
	if (r->ref_obj_id)
		bvc_vlog(env, "ref_obj_id=%u,", r->ref_obj_id);
	if (r->type == BVC_PTR_MAP_VALUE || r->type == BVC_CONST_PTR_MAP)
		bvc_vlog(env, "map=%s,ks=%u,vs=%u", env->img->maps[r->map_idx].name,
			 env->img->maps[r->map_idx].key_size, env->img->maps[r->map_idx].value_size);
	if (r->off)
		bvc_vlog(env, ",off=%d", r->off);
	if (bvc_is_pkt_pointer(r))
		bvc_vlog(env, "r=%d", r->range);
	if (!bvc_scalar_is_const(&r->var) || r->var.var_off.value) {
		bvc_scalar_snprint_fields(buf, sizeof(buf), &r->var, ",");
		bvc_vlog(env, "%s", buf);
	}
	bvc_vlog(env, ")");
}

/* One frame of @st: "R1=ctx() R10=fp0 fp-8=mmmmmmmm", no newline. */
void bvc_log_frame(struct bvc_env *env, const struct bvc_state *st, uint32_t f)
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
			bvc_vlog(env, " fp%d=", -8 * (int)(s + 1));
			log_reg(env, -1, &sl->spilled);
		} else {
			bvc_vlog(env, " fp%d=%s", -8 * (int)(s + 1), types);
		}
	}
	bvc_vlog(env, "\n");
}
