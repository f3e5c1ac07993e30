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

#include "bpfvc/disasm.h"
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
		/* The whole ring (a reset may have shortened the text in it
		 * since it wrapped): the text then starts at 0. */
		size_t max = log_size(env);

		reverse(env->log, env->log_start);
		reverse(env->log + env->log_start, max - env->log_start);
		reverse(env->log, max);
	}
	env->log[env->log_len] = '\0';
	*log = env->log;
	*len = env->log_len;
	env->log = NULL;
	env->log_len = env->log_cap = env->log_start = 0;
	env->log_true_len = 0;
}


/*
 * Cut the log back to @pos (a value of log_true_len): the kernel's
 * bpf_vlog_reset. Level 1 forgets a finished path this way, and the
 * state after an instruction replaces that line's newline. Text the ring
 * already lost is gone either way.
 */
void bvc_log_reset(struct bvc_env *env, uint64_t pos)
{
	uint64_t drop;

	if (pos >= env->log_true_len)
		return;
	drop = env->log_true_len - pos;
	env->log_true_len = pos;
	if (drop <= env->log_len) {
		env->log_len -= (size_t)drop;
	} else {
		env->log_len = 0;
		env->log_start = 0;
	}
}

/* Every register and slot is printed at the next instruction: a path
 * starts (the entry, a popped branch). */
void bvc_scratch_all(struct bvc_env *env)
{
	env->scratched_regs = 0xffff;
	env->scratched_slots = ~0ull;
}

/* Stack bytes [@lo, @hi) (offsets below fp, negative) were read or written. */
void bvc_scratch_stack(struct bvc_env *env, int32_t lo, int32_t hi)
{
	if (hi <= lo || lo < -BVC_STACK_SIZE || hi > 0)
		return;
	for (int32_t spi = -hi / 8; spi <= (-lo - 1) / 8 && spi < 64; spi++)
		env->scratched_slots |= 1ull << spi;
}

/* The registers the kernel's check_reg_arg() touches for @insn (its
 * operands, both sides; a call's R0-R5; LD_ABS's R6, R0-R5), which the
 * next state line prints. Read from the encoding so the checks need no
 * log hooks. */
void bvc_scratch_insn(struct bvc_env *env, const struct bvc_insn *insn)
{
	uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn), mode = bvc_insn_mode(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X;
	uint16_t m = 0;

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		m = 1u << insn->dst;
		if (x && op != BVC_END && op != BVC_NEG)
			m |= 1u << insn->src;
		break;
	case BVC_LDX:
	case BVC_STX:
		m = 1u << insn->dst | 1u << insn->src;
		if (cls == BVC_STX && mode == BVC_ATOMIC && insn->imm == BVC_CMPXCHG)
			m |= 1;
		break;
	case BVC_ST:
		m = 1u << insn->dst;
		break;
	case BVC_LD:
		if (mode == BVC_IMM)
			m = 1u << insn->dst;
		else
			m = 0x7f | (mode == BVC_IND ? 1u << insn->src : 0);
		break;
	default:
		if (op == BVC_CALL)
			/* A global function's call leaves R0; a static one's
			 * printed both frames and scratched everything. */
			m = insn->src == BVC_PSEUDO_CALL ? 1 : 0x3f;
		else if (op == BVC_EXIT)
			m = 1;
		else if (op != BVC_JA)
			m = 1u << insn->dst | (x ? 1u << insn->src : 0);
		break;
	}
	env->scratched_regs |= m & 0x7ff;
}

/*
 * A line being written: the state dumps are most of a level-2 log, and
 * formatting them fragment by fragment through vsnprintf cost several
 * times the verification itself. Fragments are copied here and the line
 * goes to the log in one piece.
 */
struct lbuf {
	struct bvc_env *env;
	size_t n;
	bool flushed;          /* part of the line already went to the log */
	char b[4096];
};

static void lb_flush(struct lbuf *l)
{
	if (l->n && l->env->opts.log_level > 0)
		log_put(l->env, l->b, l->n);
	l->n = 0;
	l->flushed = true;
}

static void lb_put(struct lbuf *l, const char *s, size_t n)
{
	if (n <= 8 && l->n + n <= sizeof(l->b)) {
		/* Most fragments are a few bytes: no call for them. */
		for (size_t i = 0; i < n; i++)
			l->b[l->n + i] = s[i];
		l->n += n;
		return;
	}
	if (l->n + n > sizeof(l->b)) {
		lb_flush(l);
		if (n > sizeof(l->b)) {
			if (l->env->opts.log_level > 0)
				log_put(l->env, s, n);
			return;
		}
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void lb_str(struct lbuf *l, const char *s)
{
	lb_put(l, s, strlen(s));
}

/* A string literal: its length is known. */
#define LB_LIT(l, lit) lb_put(l, lit, sizeof(lit) - 1)

static void lb_uint(struct lbuf *l, uint64_t v)
{
	char t[24];
	int i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	lb_put(l, t + i, sizeof(t) - (size_t)i);
}

/* A signed number as the kernel's verbose_snum: decimal in the s16 range. */
static void lb_snum(struct lbuf *l, int64_t v)
{
	char buf[32];

	if (v >= -32768 && v <= 32767) {
		if (v < 0)
			lb_put(l, "-", 1);
		lb_uint(l, v < 0 ? (uint64_t)-v : (uint64_t)v);
		return;
	}
	bvc_snum_snprint(buf, sizeof(buf), v);
	lb_str(l, buf);
}

/*
 * The name libbpf gives a global-data map in the kernel (its
 * internal_map_name): ".rodata" of verifier_x.o is "verifier.rodata",
 * the object's name (up to its first '.') cut to leave room for the
 * section's; a custom section (".data.foo") keeps its own name. False
 * when @name is not such a map's.
 */
static bool internal_map_name(const struct bvc_env *env, const char *name, char out[16])
{
	const char *obj = env->img->path, *slash;
	size_t sfx, pfx, olen;

	if (name[0] != '.' || strchr(name + 1, '.') || !obj)
		return false;
	slash = strrchr(obj, '/');
	obj = slash ? slash + 1 : obj;
	olen = strcspn(obj, ".");
	sfx = strlen(name) > 7 ? strlen(name) : 7;
	pfx = sfx + 1 < 16 ? 16 - sfx - 1 : 0;
	if (pfx > olen)
		pfx = olen;
	snprintf(out, 16, "%.*s%.*s", (int)pfx, obj, (int)sfx, name);
	for (char *c = out; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '.'))
			*c = '_';
	return true;
}

/* The value of one register, as the kernel's print_reg_state: a constant
 * scalar as a number, a stack pointer as fp-8, anything else as
 * type(field=...,...). @frameno is the frame being printed. */
static void log_reg(struct lbuf *l, const struct bvc_reg *r, uint32_t frameno)
{
	const char *sep = "";
	char buf[256];

	if (r->type == BVC_SCALAR) {
		/* P: precise, compared by value when pruning. */
		if (r->precise)
			lb_put(l, "P", 1);
		if (bvc_scalar_is_const(&r->var)) {
			lb_snum(l, (int64_t)r->var.var_off.value);
			return;
		}
	}
	if (r->type == BVC_PTR_CTX && !r->off && !r->id && bvc_scalar_is_const(&r->var) &&
	    !r->var.var_off.value) {
		LB_LIT(l, "ctx()"); /* the most printed pointer, made quickly */
		return;
	}
	if (r->type == BVC_PTR_MEM && r->ref_obj_id)
		LB_LIT(l, "ringbuf_"); /* the only referenced memory we model */
	lb_str(l, bvc_rtype_name(r));
	if (r->type == BVC_PTR_STACK) {
		if (r->frameno != frameno) {
			lb_put(l, "[", 1);
			lb_uint(l, r->frameno);
			lb_put(l, "]", 1);
		}
		if (bvc_scalar_is_const(&r->var)) {
			lb_snum(l, (int64_t)(r->var.var_off.value + (uint64_t)(int64_t)r->off));
			return;
		}
	}
	lb_put(l, "(", 1);
	if (r->id) {
		LB_LIT(l, "id=");
		lb_uint(l, r->id);
		sep = ",";
	}
	if (r->ref_obj_id) {
		lb_str(l, sep);
		LB_LIT(l, "ref_obj_id=");
		lb_uint(l, r->ref_obj_id);
		sep = ",";
	}
	if (r->type == BVC_PTR_MAP_VALUE || r->type == BVC_CONST_PTR_MAP || r->type == BVC_PTR_MAP_KEY) {
		const struct bvc_map *m = &l->env->img->maps[r->map_idx];

		if (m->name[0]) {
			char iname[16];

			/* The kernel keeps BPF_OBJ_NAME_LEN - 1 bytes of a name. */
			lb_str(l, sep);
			LB_LIT(l, "map=");
			if (internal_map_name(l->env, m->name, iname))
				lb_str(l, iname);
			else
				lb_put(l, m->name, strnlen(m->name, 15));
			sep = ",";
		}
		lb_str(l, sep);
		LB_LIT(l, "ks=");
		lb_uint(l, m->key_size);
		LB_LIT(l, ",vs=");
		lb_uint(l, m->value_size);
		sep = ",";
	}
	if (r->type != BVC_SCALAR && r->off) {
		lb_str(l, sep);
		LB_LIT(l, "off=");
		lb_snum(l, r->off);
		sep = ",";
	}
	if (bvc_is_pkt_pointer(r)) {
		/* An int printed unsigned: beyond pkt_end (-2) reads 0xff..fe. */
		bvc_unum_snprint(buf, sizeof(buf), (uint64_t)(int64_t)r->range);
		lb_str(l, sep);
		LB_LIT(l, "r=");
		lb_str(l, buf);
		sep = ",";
	}
	if (r->type == BVC_PTR_MEM) {
		bvc_unum_snprint(buf, sizeof(buf), r->mem_size);
		lb_str(l, sep);
		LB_LIT(l, "sz=");
		lb_str(l, buf);
		sep = ",";
	}
	if (bvc_scalar_is_const(&r->var)) {
		if (r->var.var_off.value) {
			lb_str(l, sep);
			LB_LIT(l, "imm=");
			lb_snum(l, (int64_t)r->var.var_off.value);
		}
	} else {
		bvc_scalar_snprint_fields(buf, sizeof(buf), &r->var, sep);
		lb_str(l, buf);
	}
	lb_put(l, ")", 1);
}

/*
 * Frame @f of @st, as the kernel's print_verifier_state: " R1=ctx()
 * R10=fp0 fp-8=mmmmmmmm refs=2", then a newline. With @all false only
 * the registers and slots scratched since the last print, whose marks
 * are then cleared.
 */
static void state_text(struct lbuf *lp, const struct bvc_state *st, uint32_t f, bool all)
{
	static const char ch[] = { '?', 'r', 'm', '0' };
	const struct bvc_frame *fr = st->frames[f];
	struct bvc_env *env = lp->env;

	if (fr->frameno) {
		LB_LIT(lp, " frame");
		lb_uint(lp, fr->frameno);
		lb_put(lp, ":", 1);
	}
	for (int i = 0; i < BVC_MAX_REG; i++) {
		if (fr->regs[i].type == BVC_NOT_INIT)
			continue;
		if (!all && !(env->scratched_regs & (1u << i)))
			continue;
		LB_LIT(lp, " R");
		lb_uint(lp, (uint64_t)i);
		lb_put(lp, "=", 1);
		log_reg(lp, &fr->regs[i], fr->frameno);
	}
	for (uint32_t s = 0; s < fr->nslots; s++) {
		const struct bvc_slot *sl = &fr->slots[s];
		char types[9];
		bool any = false;

		if (!all && (s >= 64 || !(env->scratched_slots & (1ull << s))))
			continue;
		/* The kernel's order: the highest address first. */
		for (int b = 0; b < 8; b++) {
			types[7 - b] = ch[sl->stype[b] & 3];
			any |= sl->stype[b] != BVC_STACK_INVALID;
		}
		types[8] = 0;
		if (!any)
			continue;
		LB_LIT(lp, " fp-");
		lb_uint(lp, 8 * (uint64_t)(s + 1));
		lb_put(lp, "=", 1);
		if (sl->stype[0] == BVC_STACK_SPILL) {
			/* The bytes above a narrow spill, then the register. */
			size_t k = 0;

			while (k < 8 && types[k] != 'r')
				k++;
			lb_put(lp, types, k);
			log_reg(lp, &sl->spilled, fr->frameno);
		} else {
			lb_put(lp, types, 8);
		}
	}
	if (st->nrefs) {
		LB_LIT(lp, " refs=");
		lb_uint(lp, st->refs[0]);
		for (uint32_t i = 1; i < st->nrefs; i++) {
			lb_put(lp, ",", 1);
			lb_uint(lp, st->refs[i]);
		}
	}
	lb_put(lp, "\n", 1);
}

static void log_state(struct bvc_env *env, const struct bvc_state *st, uint32_t f, bool all)
{
	struct lbuf l;

	l.env = env;
	l.n = 0;
	l.flushed = false;
	state_text(&l, st, f, all);
	lb_flush(&l);
	if (!all) {
		env->scratched_regs = 0;
		env->scratched_slots = 0;
	}
}

/* One frame of @st, whole: "R1=ctx() R10=fp0 fp-8=mmmmmmmm". */
void bvc_log_frame(struct bvc_env *env, const struct bvc_state *st, uint32_t f)
{
	log_state(env, st, f, true);
}

/*
 * The registers and slots scratched since the last print, as the kernel's
 * print_insn_state: appended to the instruction's own line when nothing
 * was logged after it (its newline replaced by padding to a column, as
 * vlog_alignment does: at least 4 spaces, ';' in column 40 or the next
 * multiple of 8 minus 2), else on a line of its own, "@idx: R1=...".
 */
void bvc_log_insn_state(struct bvc_env *env, uint32_t idx)
{
	if (!(env->opts.log_level & 3) || !env->cur)
		return;
	if (env->prev_log_pos && env->prev_log_pos == env->log_true_len) {
		uint32_t pos = env->prev_insn_print_pos;
		uint32_t col = pos + 4 > 40 ? pos + 4 : 40;

		static const char pad[] = "                                                ";

		col = (col + 7) & ~7u;
		bvc_log_reset(env, env->prev_log_pos - 1);
		/* The kernel's "%*c;": col - pos - 1 spaces (pos + 4 < col + 8). */
		log_put(env, pad, col - pos - 1 < sizeof(pad) - 1 ? col - pos - 1 : sizeof(pad) - 1);
		log_put(env, ";", 1);
	} else {
		bvc_vlog(env, "%u:", idx);
	}
	log_state(env, env->cur, env->cur->curframe, false);
}

/* The source line of @idx, when it is not the line printed last: the
 * kernel's verbose_linfo ("; text @ file.c:12"). */
static void log_linfo(struct bvc_env *env, uint32_t idx)
{
	const struct bvc_line_info *l = NULL, *prev = env->prev_linfo;
	const char *s, *fname;
	size_t lo = 0, hi = env->prog->line_cnt;

	/* The last record at or before @idx. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (env->prog->lines[mid].insn <= idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return;
	l = &env->prog->lines[lo - 1];
	if (l == prev)
		return;
	/* Two records of one line (columns differ): printed once. */
	if (prev && prev->line == l->line && prev->file == l->file)
		return;
	if (prev && prev->line == l->line && prev->file && l->file && !strcmp(prev->file, l->file))
		return;
	for (s = l->source ? l->source : ""; *s == ' ' || (*s >= '\t' && *s <= '\r'); s++)
		;
	fname = l->file ? strrchr(l->file, '/') : NULL;
	fname = fname ? fname + 1 : (l->file ? l->file : "");
	bvc_vlog(env, "; %s @ %s:%u\n", s, fname, l->line);
	env->prev_linfo = l;
}

/* The line "N: (op) insn\n" of @idx and its length: made once per
 * instruction (a loop prints the same ones many times); into @buf when
 * there is no memory to keep it. */
static const char *insn_line(struct bvc_env *env, uint32_t idx, char *buf, size_t size,
			     size_t *len)
{
	char text[BVC_DISASM_TEXT_MAX];
	int n;

	if (!env->insn_text) {
		env->insn_text = calloc(env->cnt, sizeof(*env->insn_text));
		env->insn_text_len = calloc(env->cnt, sizeof(*env->insn_text_len));
		if (!env->insn_text || !env->insn_text_len) {
			free(env->insn_text);
			free(env->insn_text_len);
			env->insn_text = NULL;
			env->insn_text_len = NULL;
		}
	}
	if (env->insn_text && env->insn_text[idx]) {
		*len = env->insn_text_len[idx];
		return env->insn_text[idx];
	}
	bvc_disasm_insn(env->insns, env->cnt, idx, text, sizeof(text));
	n = snprintf(buf, size, "%u: (%02x) %s\n", idx, env->insns[idx].code, text);
	*len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	if (env->insn_text) {
		env->insn_text[idx] = strdup(buf);
		env->insn_text_len[idx] = (uint32_t)*len;
	}
	return buf;
}

void bvc_log_free(struct bvc_env *env)
{
	for (uint32_t i = 0; env->insn_text && i < env->cnt; i++)
		free(env->insn_text[i]);
	free(env->insn_text);
	free(env->insn_text_len);
	env->insn_text = NULL;
	env->insn_text_len = NULL;
}

/*
 * What the kernel's do_check logs before an instruction runs: at level
 * 2, "from X to Y:" and the whole state when a path was just taken up;
 * the scratched state; the source line; then "N: (op) insn".
 */
void bvc_log_insn(struct bvc_env *env)
{
	char text[BVC_DISASM_TEXT_MAX + 32];
	uint32_t idx = env->insn_idx;

	if (!(env->opts.log_level & 3))
		return;
	if ((env->opts.log_level & 2) && env->print_from) {
		struct lbuf l; /* not zeroed: 4 KiB per path */
		size_t from;

		l.env = env;
		l.n = 0;
		l.flushed = false;
		LB_LIT(&l, "\nfrom ");
		if (env->prev_insn_idx == BVC_HIST_NONE)
			LB_LIT(&l, "-1");
		else
			lb_uint(&l, env->prev_insn_idx);
		LB_LIT(&l, " to ");
		lb_uint(&l, idx);
		lb_put(&l, ":", 1);
		from = l.n;
		state_text(&l, env->cur, env->cur->curframe, true);
		if (!l.flushed && env->scratched_regs == 0xffff && env->scratched_slots == ~0ull &&
		    l.n - from + 16 < sizeof(l.b) - l.n) {
			/* Everything is scratched after a pop: the next state
			 * line is this one again (the kernel prints it twice);
			 * made once. */
			size_t end = l.n, len = end - from;

			lb_uint(&l, idx);
			lb_put(&l, ":", 1);
			memcpy(l.b + l.n, l.b + from, len);
			l.n += len;
			env->scratched_regs = 0;
			env->scratched_slots = 0;
		}
		lb_flush(&l);
	}
	env->print_from = false;
	if (env->scratched_regs || env->scratched_slots)
		bvc_log_insn_state(env, idx);
	if (env->prog->line_cnt)
		log_linfo(env, idx);
	env->prev_log_pos = env->log_true_len;
	{
		size_t len;
		const char *line = insn_line(env, idx, text, sizeof(text), &len);

		log_put(env, line, len);
	}
	env->prev_insn_print_pos = (uint32_t)(env->log_true_len - env->prev_log_pos);
	env->prev_log_pos = env->log_true_len;
}

/* A path ended by pruning: "from X to Y: safe" when it had just been taken
 * up, else "N: safe". */
void bvc_log_safe(struct bvc_env *env)
{
	if (!(env->opts.log_level & 3))
		return;
	if (env->print_from)
		bvc_vlog(env, "\nfrom %d to %u: safe\n", (int)env->prev_insn_idx, env->insn_idx);
	else
		bvc_vlog(env, "%u: safe\n", env->insn_idx);
}

/*
 * Before the paths (level 2; cfg.c printed "func#N @start" per function):
 * the registers live before each instruction, as 6.18 prints them
 * ("    %3u: 0123456789 (op) insn", '.' for a dead register; 6.18 puts
 * the number of a loop's strongly connected component in the first four
 * columns, which we do not compute).
 */
void bvc_log_prologue(struct bvc_env *env)
{
	char text[BVC_DISASM_TEXT_MAX], live[11];

	if (!(env->opts.log_level & 2))
		return;
	bvc_vlog(env, "Live regs before insn:\n");
	for (uint32_t i = 0; i < env->cnt; i++) {
		for (int r = 0; r < 10; r++)
			live[r] = (env->aux[i].live_regs & (1u << r)) ? (char)('0' + r) : '.';
		live[10] = '\0';
		bvc_disasm_insn(env->insns, env->cnt, i, text, sizeof(text));
		bvc_vlog(env, "    %3u: %s (%02x) %s\n", i, live, env->insns[i].code, text);
		if (bvc_insn_is_ld_imm64(&env->insns[i]))
			i++;
	}
}
