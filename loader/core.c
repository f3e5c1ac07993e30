// SPDX-License-Identifier: MIT
/*
 * CO-RE at build time (issue #17): a program's .BTF.ext core_relo records
 * resolved against a target kernel's BTF, the instructions patched so that
 * they carry that kernel's offsets, sizes, existence bits, type ids and
 * enum values. The device then needs neither libbpf nor BTF.
 *
 * libbpf 1.1 does this only inside bpf_object__load(), which loads into the
 * running kernel, so the rules are implemented here from their documentation
 * (libbpf's relo_core.c comments, Documentation/bpf/llvm_reloc.rst) and
 * tested against libbpf's own results on the selftests' test_core_reloc_*
 * objects (tests/profile). The rules, in short:
 *   - candidates: every target type of a compatible kind whose name equals
 *     the local one up to a "___flavor" suffix;
 *   - field relocations walk the access string ("0:1:2") on the local type,
 *     then find each named member by name in the candidate (through
 *     anonymous members), arrays by index; the final fields must be of
 *     compatible kinds;
 *   - all matching candidates must agree, else the relocation is refused;
 *   - none matches: existence kinds give 0, the others "poison" the
 *     instruction (call to helper 0xbad2310, which the verifier rejects if
 *     the instruction is reachable), as libbpf does;
 *   - the instruction must hold the value clang computed for the local
 *     type (else the object is not what its records say), and a load or
 *     store whose field changes size is resized only for unsigned integers
 *     and pointers.
 * Anonymous root types are refused as unsupported, as libbpf refuses them.
 * Nothing here prints.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfvc/isa.h"
#include "bpfvc/loader.h"
#include "bpfvc/util.h"
#include "internal.h"

/* enum bpf_core_relo_kind (include/uapi/linux/bpf.h) */
enum {
	FIELD_BYTE_OFFSET = 0,
	FIELD_BYTE_SIZE = 1,
	FIELD_EXISTS = 2,
	FIELD_SIGNED = 3,
	FIELD_LSHIFT_U64 = 4,
	FIELD_RSHIFT_U64 = 5,
	TYPE_ID_LOCAL = 6,
	TYPE_ID_TARGET = 7,
	TYPE_EXISTS = 8,
	TYPE_SIZE = 9,
	ENUMVAL_EXISTS = 10,
	ENUMVAL_VALUE = 11,
	TYPE_MATCHES = 12,
};

#define SPEC_MAX 64          /* accessors per spec, as libbpf's limit */
#define POISON_IMM 195896080 /* 0xbad2310: "bad relo", libbpf's value */

struct bvc_core_target {
	struct btf *btf;
};

struct btf_new_args {
	const void *data;
	uint32_t size;
	struct btf *btf;
	int err;
};

static void btf_new_cb(void *arg)
{
	struct btf_new_args *a = arg;

	a->btf = btf__new(a->data, a->size);
	a->err = a->btf ? 0 : errno;
}

/* btf__new() with libbpf's messages captured, not printed. */
static struct btf *btf_new_quiet(const void *data, uint32_t size, char *msg, size_t msgsz)
{
	struct btf_new_args a = { .data = data, .size = size };

	ld_libbpf_quiet(msg, msgsz, btf_new_cb, &a);
	errno = a.err;
	return a.btf;
}

/* One step of an access path: a named member or an array index. */
struct acc {
	uint32_t type_id; /* the struct/union holding the member, or the
			   * element type for an index */
	uint32_t idx;     /* member index or array index */
	const char *name; /* member name; NULL for an array index */
};

/* An access path resolved in one BTF. */
struct spec {
	const struct btf *btf;
	uint32_t root_id;
	uint32_t kind;
	struct acc acc[SPEC_MAX]; /* named members and indexes only */
	int len;
	int raw_len;      /* every step, anonymous members included */
	uint32_t bit_off; /* of the accessed field from the root */
};

/* What one relocation does to its instruction. */
struct res {
	uint64_t orig, val;       /* clang's value, the target's */
	int poison;               /* the target lacks it: poison the insn */
	int validate;             /* the insn must hold @orig */
	int bad_resize;           /* size changes where it may not */
	uint32_t orig_sz, new_sz; /* field sizes for loads and stores */
	uint32_t orig_tid, new_tid;
};

static int is_field(uint32_t k)
{
	return k <= FIELD_RSHIFT_U64;
}

static int is_type(uint32_t k)
{
	return (k >= TYPE_ID_LOCAL && k <= TYPE_SIZE) || k == TYPE_MATCHES;
}

static int is_enumval(uint32_t k)
{
	return k == ENUMVAL_EXISTS || k == ENUMVAL_VALUE;
}

/* The name without its "___flavor" suffix: the length up to the last
 * "X___Y" separator (X, Y not '_'). */
static size_t essential_len(const char *name)
{
	size_t n = strlen(name);
	long i;

	for (i = (long)n - 5; i >= 0; i--)
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
		    name[i + 3] == '_' && name[i + 4] != '_')
			return (size_t)i + 1;
	return n;
}

static int same_essential(const char *a, const char *b)
{
	size_t la = essential_len(a), lb = essential_len(b);

	return la == lb && !strncmp(a, b, la);
}

/* Skip const/volatile/restrict/type tags and typedefs. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int depth = 0;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)) && depth++ < 64) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (res_id)
		*res_id = id;
	return depth >= 64 ? NULL : t;
}

/* A zero-length array as the last member of its struct (acc @prev). */
static int is_flex(const struct btf *btf, const struct acc *prev, const struct btf_array *a)
{
	if (!prev->name || a->nelems)
		return 0;
	return prev->idx == (uint32_t)btf_vlen(btf__type_by_id(btf, prev->type_id)) - 1;
}

/* Type compatibility for type-based relocations (libbpf's
 * bpf_core_types_are_compat): kinds agree through pointers, arrays and
 * function prototypes; named aggregates and enums by name only (the
 * caller matched the names); integers unless they are bitfield-like. */
static int types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
			int level)
{
	const struct btf_type *lt = btf__type_by_id(lb, lid), *tt = btf__type_by_id(tb, tid);
	int depth;

	if (!lt || !tt || !btf_kind_core_compat(lt, tt))
		return 0;
	for (depth = 0; depth < 32; depth++) {
		lt = skip_mods(lb, lid, &lid);
		tt = skip_mods(tb, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (!btf_kind_core_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_UNKN:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_FWD:
			return 1;
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_PTR:
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
			int i, r;

			if (btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (i = 0; i < btf_vlen(lt); i++) {
				uint32_t a, b;

				if (level <= 0)
					return -EINVAL;
				skip_mods(lb, lp[i].type, &a);
				skip_mods(tb, tp[i].type, &b);
				r = types_compat(lb, a, tb, b, level - 1);
				if (r <= 0)
					return r;
			}
			skip_mods(lb, lt->type, &lid);
			skip_mods(tb, tt->type, &tid);
			continue;
		}
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Names equal up to a flavor; an anonymous target matches an anonymous
 * local only. */
static int names_match(const struct btf *lb, uint32_t loff, const struct btf *tb, uint32_t toff)
{
	const char *ln = btf__name_by_offset(lb, loff), *tn = btf__name_by_offset(tb, toff);

	if (!ln || !tn)
		return 0;
	if (!*tn)
		return !*ln;
	return same_essential(ln, tn);
}

static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       int behind_ptr, int level);

/* Enums: the same size, every local enumerator's name in the target
 * (values may differ). */
static int enums_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
		       const struct btf_type *tt)
{
	int i, j;

	if (lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (i = 0; i < btf_vlen(lt); i++) {
		uint32_t ln = btf_is_enum(lt) ? btf_enum(lt)[i].name_off : btf_enum64(lt)[i].name_off;

		for (j = 0; j < btf_vlen(tt); j++)
			if (names_match(lb, ln, tb,
					btf_is_enum(tt) ? btf_enum(tt)[j].name_off
							: btf_enum64(tt)[j].name_off))
				break;
		if (j == btf_vlen(tt))
			return 0;
	}
	return 1;
}

/* Aggregates: every local member has a target member of the same name
 * whose type matches. */
static int composites_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
			    const struct btf_type *tt, int behind_ptr, int level)
{
	const struct btf_member *lm = btf_members(lt);
	int i, j, r;

	if (btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (i = 0; i < btf_vlen(lt); i++, lm++) {
		const struct btf_member *tm = btf_members(tt);
		int matched = 0;

		for (j = 0; j < btf_vlen(tt) && !matched; j++, tm++) {
			if (!names_match(lb, lm->name_off, tb, tm->name_off))
				continue;
			r = types_match(lb, lm->type, tb, tm->type, behind_ptr, level - 1);
			if (r < 0)
				return r;
			matched = r > 0;
		}
		if (!matched)
			return 0;
	}
	return 1;
}

/* TYPE_MATCHES (libbpf's bpf_core_types_match): stricter than
 * types_compat. Modifiers and typedefs skipped, names matched at every
 * level; integers by size and signedness; arrays by length and element;
 * pointers by target (behind a pointer, an aggregate matches by name and
 * kind only, a forward declaration of the same kind too); aggregates
 * member by member; enums by enumerator names and size; function
 * prototypes argument by argument. */
static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       int behind_ptr, int level)
{
	int depth;

	if (level <= 0)
		return -EINVAL;
	for (depth = 0; depth < 32; depth++) {
		const struct btf_type *lt = skip_mods(lb, lid, &lid), *tt = skip_mods(tb, tid, &tid);
		int lk, tk;

		if (!lt || !tt)
			return -EINVAL;
		if (!names_match(lb, lt->name_off, tb, tt->name_off))
			return 0;
		lk = btf_kind(lt);
		tk = btf_kind(tt);
		switch (lk) {
		case BTF_KIND_UNKN:
			return lk == tk;
		case BTF_KIND_FWD:
			if (behind_ptr && lk != tk)
				return (tk == BTF_KIND_STRUCT && !btf_kflag(lt)) ||
				       (tk == BTF_KIND_UNION && btf_kflag(lt));
			return lk == tk && btf_kflag(lt) == btf_kflag(tt);
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			return btf_is_any_enum(tt) && enums_match(lb, lt, tb, tt);
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (behind_ptr) {
				if (lk == tk)
					return 1;
				return tk == BTF_KIND_FWD && (lk == BTF_KIND_UNION) == btf_kflag(tt);
			}
			return lk == tk ? composites_match(lb, lt, tb, tt, behind_ptr, level) : 0;
		case BTF_KIND_INT:
			return lk == tk && lt->size == tt->size &&
			       (btf_int_encoding(lt) & BTF_INT_SIGNED) ==
				       (btf_int_encoding(tt) & BTF_INT_SIGNED);
		case BTF_KIND_PTR:
			if (lk != tk)
				return 0;
			behind_ptr = 1;
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems)
				return 0;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
			int i, r;

			if (lk != tk || btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (i = 0; i < btf_vlen(lt); i++) {
				r = types_match(lb, lp[i].type, tb, tp[i].type, behind_ptr, level - 1);
				if (r <= 0)
					return r;
			}
			lid = lt->type;
			tid = tt->type;
			continue;
		}
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Compatibility of the accessed fields (libbpf's bpf_core_fields_are_compat):
 * any two aggregates, pointers or floats; enums and forward declarations
 * by name (or one anonymous); integers unless bitfield-like; arrays by
 * their element types. */
static int fields_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	int depth;

	for (depth = 0; depth < 32; depth++) {
		const struct btf_type *lt = skip_mods(lb, lid, &lid),
				      *tt = skip_mods(tb, tid, &tid);

		if (!lt || !tt)
			return -EINVAL;
		if (btf_is_composite(lt) && btf_is_composite(tt))
			return 1;
		if (!btf_kind_core_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			const char *ln = btf__name_by_offset(lb, lt->name_off);
			const char *tn = btf__name_by_offset(tb, tt->name_off);

			if (!ln || !tn)
				return -EINVAL;
			return !essential_len(ln) || !essential_len(tn) || same_essential(ln, tn);
		}
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Parse the access string of a record on the local (object's) BTF. */
static int parse_spec(const struct btf *btf, uint32_t root, uint32_t kind, const char *str,
		      struct spec *s, char *why, size_t whysz)
{
	uint32_t raw[SPEC_MAX], id;
	const struct btf_type *t;
	int n = 0, i;
	long long sz;

	memset(s, 0, sizeof(*s));
	s->btf = btf;
	s->root_id = root;
	s->kind = kind;
	if (!str || !*str || *str == ':')
		goto bad;
	if (is_type(kind)) {
		if (strcmp(str, "0"))
			goto bad;
		return 0;
	}
	while (*str) {
		char *end;
		unsigned long v;

		if (*str == ':')
			str++;
		if (*str < '0' || *str > '9')
			goto bad;
		v = strtoul(str, &end, 10);
		if (v > INT_MAX)
			goto bad;
		if (n == SPEC_MAX) {
			bvc_set_err(why, whysz, "access string too deep");
			return -E2BIG;
		}
		raw[n++] = (uint32_t)v;
		str = end;
	}
	s->raw_len = n;
	t = skip_mods(btf, root, &id);
	if (!t)
		goto bad;
	s->acc[0].type_id = id;
	s->acc[0].idx = raw[0];
	s->len = 1;
	if (is_enumval(kind)) {
		if (!btf_is_any_enum(t) || n > 1 || raw[0] >= btf_vlen(t))
			goto bad;
		s->acc[0].name =
			btf__name_by_offset(btf, btf_is_enum(t) ? btf_enum(t)[raw[0]].name_off
								: btf_enum64(t)[raw[0]].name_off);
		return s->acc[0].name ? 0 : -EINVAL;
	}
	if (!is_field(kind))
		goto bad;
	sz = btf__resolve_size(btf, id);
	if (sz < 0)
		goto bad;
	s->bit_off = (uint32_t)(raw[0] * sz * 8);
	for (i = 1; i < n; i++) {
		t = skip_mods(btf, id, &id);
		if (!t)
			goto bad;
		if (btf_is_composite(t)) {
			const struct btf_member *m;

			if (raw[i] >= btf_vlen(t))
				goto bad;
			s->bit_off += btf_member_bit_offset(t, raw[i]);
			m = btf_members(t) + raw[i];
			if (m->name_off) {
				const char *name = btf__name_by_offset(btf, m->name_off);

				if (!name || !*name)
					goto bad;
				s->acc[s->len].type_id = id;
				s->acc[s->len].idx = raw[i];
				s->acc[s->len].name = name;
				s->len++;
			}
			id = m->type;
		} else if (btf_is_array(t)) {
			const struct btf_array *a = btf_array(t);

			t = skip_mods(btf, a->type, &id);
			if (!t)
				goto bad;
			if (!is_flex(btf, &s->acc[s->len - 1], a) && raw[i] >= a->nelems)
				goto bad;
			s->acc[s->len].type_id = id;
			s->acc[s->len].idx = raw[i];
			s->acc[s->len].name = NULL;
			s->len++;
			sz = btf__resolve_size(btf, id);
			if (sz < 0)
				goto bad;
			s->bit_off += (uint32_t)(raw[i] * sz * 8);
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	bvc_set_err(why, whysz, "malformed CO-RE record (type %u, access \"%s\")", root,
		    str ? str : "");
	return -EINVAL;
}

/* Find the local member @la names in target aggregate @tid, through
 * anonymous members. 1 found (@ts extended, *@next its type), 0 not. */
static int match_member(const struct btf *lb, const struct acc *la, const struct btf *tb,
			uint32_t tid, struct spec *ts, uint32_t *next)
{
	const struct btf_type *lt = btf__type_by_id(lb, la->type_id), *tt;
	const struct btf_member *lm = btf_members(lt) + la->idx, *m;
	int i, n, r;

	tt = skip_mods(tb, tid, &tid);
	if (!tt)
		return -EINVAL;
	if (!btf_is_composite(tt))
		return 0;
	n = btf_vlen(tt);
	m = btf_members(tt);
	for (i = 0; i < n; i++, m++) {
		uint32_t boff = btf_member_bit_offset(tt, i);
		const char *tn = btf__name_by_offset(tb, m->name_off);

		if (ts->raw_len == SPEC_MAX || ts->len == SPEC_MAX)
			return -E2BIG;
		ts->bit_off += boff;
		ts->raw_len++;
		if (!tn || !*tn) {
			r = match_member(lb, la, tb, m->type, ts, next);
			if (r)
				return r;
		} else if (!strcmp(la->name, tn)) {
			ts->acc[ts->len].type_id = tid;
			ts->acc[ts->len].idx = (uint32_t)i;
			ts->acc[ts->len].name = tn;
			ts->len++;
			*next = m->type;
			r = fields_compat(lb, lm->type, tb, m->type);
			if (!r)
				ts->len--;
			return r;
		}
		ts->bit_off -= boff;
		ts->raw_len--;
	}
	return 0;
}

/* Match local spec @ls against target type @tid. 1 matched (@ts filled),
 * 0 not, negative on a malformed BTF. */
static int match_spec(const struct spec *ls, const struct btf *tb, uint32_t tid, struct spec *ts)
{
	const struct btf_type *tt;
	int i;

	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root_id = tid;
	ts->kind = ls->kind;
	if (ls->kind == TYPE_MATCHES)
		return types_match(ls->btf, ls->root_id, tb, tid, 0, 32);
	if (is_type(ls->kind))
		return types_compat(ls->btf, ls->root_id, tb, tid, 32);
	if (is_enumval(ls->kind)) {
		tt = skip_mods(tb, tid, &tid);
		if (!tt || !btf_is_any_enum(tt))
			return 0;
		for (i = 0; i < btf_vlen(tt); i++) {
			const char *tn = btf__name_by_offset(
				tb, btf_is_enum(tt) ? btf_enum(tt)[i].name_off
						    : btf_enum64(tt)[i].name_off);

			if (tn && same_essential(ls->acc[0].name, tn)) {
				ts->acc[0].type_id = tid;
				ts->acc[0].idx = (uint32_t)i;
				ts->acc[0].name = tn;
				ts->len = 1;
				ts->raw_len = 1;
				return 1;
			}
		}
		return 0;
	}
	for (i = 0; i < ls->len; i++) {
		const struct acc *la = &ls->acc[i];
		long long sz;

		tt = skip_mods(tb, tid, &tid);
		if (!tt)
			return -EINVAL;
		if (la->name) {
			int r = match_member(ls->btf, la, tb, tid, ts, &tid);

			if (r <= 0)
				return r;
			continue;
		}
		if (i > 0) {
			const struct btf_array *a;

			if (!btf_is_array(tt))
				return 0;
			a = btf_array(tt);
			if (!is_flex(tb, &ts->acc[ts->len - 1], a) && la->idx >= a->nelems)
				return 0;
			if (!skip_mods(tb, a->type, &tid))
				return -EINVAL;
		}
		if (ts->raw_len == SPEC_MAX || ts->len == SPEC_MAX)
			return -E2BIG;
		ts->acc[ts->len].type_id = tid;
		ts->acc[ts->len].idx = la->idx;
		ts->acc[ts->len].name = NULL;
		ts->len++;
		ts->raw_len++;
		sz = btf__resolve_size(tb, tid);
		if (sz < 0)
			return (int)sz;
		ts->bit_off += (uint32_t)(la->idx * sz * 8);
	}
	return 1;
}

/* A field relocation's value on @s (NULL: the field is absent). -ENOENT
 * asks for poisoning. */
static int field_value(const struct spec *s, uint32_t kind, uint64_t *val, uint32_t *fsz,
		       uint32_t *ftid, int *validate, char *why, size_t whysz)
{
	const struct acc *a;
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	uint32_t boff, bsz, byte_off, byte_sz, ftype;
	long long sz;
	int bitfield;

	*fsz = 0;
	if (kind == FIELD_EXISTS) {
		*val = s != NULL;
		return 0;
	}
	if (!s)
		return -ENOENT;
	a = &s->acc[s->len - 1];
	t = btf__type_by_id(s->btf, a->type_id);
	if (!a->name) {
		sz = btf__resolve_size(s->btf, a->type_id);
		if (sz < 0)
			return -EINVAL;
		if (kind == FIELD_BYTE_OFFSET) {
			*val = s->bit_off / 8;
			*fsz = (uint32_t)sz;
			*ftid = a->type_id;
		} else if (kind == FIELD_BYTE_SIZE) {
			*val = (uint64_t)sz;
		} else {
			bvc_set_err(why, whysz, "CO-RE relocation kind %u on an array element",
				    kind);
			return -EINVAL;
		}
		if (validate)
			*validate = 1;
		return 0;
	}
	m = btf_members(t) + a->idx;
	mt = skip_mods(s->btf, m->type, &ftype);
	if (!mt)
		return -EINVAL;
	boff = s->bit_off;
	bsz = btf_member_bitfield_size(t, a->idx);
	bitfield = bsz > 0;
	if (bitfield) {
		/* The smallest naturally aligned load holding the bits. */
		byte_sz = mt->size;
		if (!byte_sz)
			return -EINVAL;
		byte_off = boff / 8 / byte_sz * byte_sz;
		while (boff + bsz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8) {
				bvc_set_err(why, whysz,
					    "CO-RE: bitfield cannot be read with one 64-bit load");
				return -E2BIG;
			}
			byte_sz *= 2;
			byte_off = boff / 8 / byte_sz * byte_sz;
		}
	} else {
		sz = btf__resolve_size(s->btf, ftype);
		if (sz < 0)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = boff / 8;
		bsz = byte_sz * 8;
	}
	/* clang and we may place bitfield loads differently: only the
	 * signedness and the right shift are certain there. */
	if (validate)
		*validate = !bitfield;
	switch (kind) {
	case FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*fsz = byte_sz;
			*ftid = ftype;
		}
		break;
	case FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
		       (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		if (validate)
			*validate = 1;
		break;
	case FIELD_LSHIFT_U64: /* little-endian targets only (the profile's) */
		*val = 64 - (boff + bsz - byte_off * 8);
		break;
	case FIELD_RSHIFT_U64:
		*val = 64 - bsz;
		if (validate)
			*validate = 1;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int type_value(const struct spec *s, uint32_t kind, uint64_t *val, int *validate)
{
	long long sz;

	if (validate)
		*validate = 1;
	if (!s) {
		*val = 0;
		return 0;
	}
	switch (kind) {
	case TYPE_ID_TARGET:
		*val = s->root_id;
		if (validate)
			*validate = 0; /* ids change when objects are linked */
		return 0;
	case TYPE_EXISTS:
	case TYPE_MATCHES:
		*val = 1;
		return 0;
	case TYPE_SIZE:
		sz = btf__resolve_size(s->btf, s->root_id);
		if (sz < 0)
			return -EINVAL;
		*val = (uint64_t)sz;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int enum_value(const struct spec *s, uint32_t kind, uint64_t *val)
{
	const struct btf_type *t;

	if (kind == ENUMVAL_EXISTS) {
		*val = s != NULL;
		return 0;
	}
	if (!s)
		return -ENOENT;
	t = btf__type_by_id(s->btf, s->acc[0].type_id);
	/* A 32-bit enumerator is sign-extended whatever its signedness, as
	 * libbpf does: an ld_imm64 of an unsigned 0x80000000 gets the high
	 * bits set, ALU immediates see 32 bits only. */
	if (btf_is_enum(t))
		*val = (uint64_t)(int64_t)btf_enum(t)[s->acc[0].idx].val;
	else
		*val = btf_enum64_value(btf_enum64(t) + s->acc[0].idx);
	return 0;
}

/* The relocation's effect for local spec @ls and target spec @ts (NULL:
 * no candidate matched). */
static int calc(const struct spec *ls, const struct spec *ts, struct res *r, char *why,
		size_t whysz)
{
	int err = -EOPNOTSUPP;

	memset(r, 0, sizeof(*r));
	r->validate = 1;
	if (is_field(ls->kind)) {
		err = field_value(ls, ls->kind, &r->orig, &r->orig_sz, &r->orig_tid, &r->validate,
				  why, whysz);
		if (!err)
			err = field_value(ts, ls->kind, &r->val, &r->new_sz, &r->new_tid, NULL, why,
					  whysz);
		if (!err && r->orig_sz != r->new_sz) {
			const struct btf_type *o = btf__type_by_id(ls->btf, r->orig_tid);
			const struct btf_type *n = btf__type_by_id(ts->btf, r->new_tid);

			/* Zero extension keeps unsigned integers and (32-bit
			 * kernel) pointers right; anything else would read a
			 * different value. */
			if (!(btf_is_ptr(o) && btf_is_ptr(n)) &&
			    !(btf_is_int(o) && btf_is_int(n) &&
			      !(btf_int_encoding(o) & BTF_INT_SIGNED) &&
			      !(btf_int_encoding(n) & BTF_INT_SIGNED)))
				r->bad_resize = 1;
		}
	} else if (is_type(ls->kind)) {
		err = type_value(ls, ls->kind, &r->orig, &r->validate);
		if (!err)
			err = type_value(ts, ls->kind, &r->val, NULL);
	} else if (is_enumval(ls->kind)) {
		err = enum_value(ls, ls->kind, &r->orig);
		if (!err)
			err = enum_value(ts, ls->kind, &r->val);
	}
	if (err == -ENOENT) {
		r->poison = 1;
		err = 0;
	} else if (err == -EOPNOTSUPP) {
		bvc_set_err(why, whysz, "unsupported: CO-RE relocation kind %u", ls->kind);
	} else if (err && why && !*why) {
		bvc_set_err(why, whysz, "CO-RE: malformed BTF");
	}
	return err;
}

static void poison(struct bvc_insn *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		in[i].code = BVC_JMP | BVC_CALL;
		in[i].dst = 0;
		in[i].src = 0;
		in[i].off = 0;
		in[i].imm = POISON_IMM;
	}
}

static int size_bytes(uint8_t code)
{
	switch (code & 0x18) {
	case BVC_DW:
		return 8;
	case BVC_W:
		return 4;
	case BVC_H:
		return 2;
	default:
		return 1;
	}
}

/* Patch insn @i of @insns (libbpf's bpf_core_patch_insn rules). */
static int patch(struct bvc_insn *insns, size_t cnt, uint32_t i, const struct res *r, char *why,
		 size_t whysz)
{
	struct bvc_insn *in = &insns[i];
	uint8_t cls;

	if (i >= cnt) {
		bvc_set_err(why, whysz, "CO-RE: insn %u past the program's %zu", i, cnt);
		return -EINVAL;
	}
	cls = in->code & 7;

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		if (in->code & 0x08) /* BPF_X */
			break;
		if (r->poison) {
			poison(in, 1);
			return 0;
		}
		if (r->validate && (uint32_t)in->imm != r->orig) {
			bvc_set_err(
				why, whysz,
				"CO-RE: insn %u holds %u, the object's BTF says %llu: record and code disagree",
				i, (uint32_t)in->imm, (unsigned long long)r->orig);
			return -EINVAL;
		}
		in->imm = (int32_t)(uint32_t)r->val;
		return 0;
	case BVC_LDX:
	case BVC_ST:
	case BVC_STX:
		if (r->poison) {
			poison(in, 1);
			return 0;
		}
		if (r->validate && (uint64_t)(int64_t)in->off != r->orig) {
			bvc_set_err(
				why, whysz,
				"CO-RE: insn %u has offset %d, the object's BTF says %llu: record and code disagree",
				i, in->off, (unsigned long long)r->orig);
			return -EINVAL;
		}
		if (r->val > SHRT_MAX) {
			bvc_set_err(why, whysz,
				    "CO-RE: insn %u: offset %llu too large for a load/store", i,
				    (unsigned long long)r->val);
			return -ERANGE;
		}
		if (r->bad_resize) {
			poison(in, 1);
			return 0;
		}
		in->off = (int16_t)r->val;
		if (r->new_sz != r->orig_sz) {
			uint8_t sz;

			if ((uint32_t)size_bytes(in->code) != r->orig_sz) {
				bvc_set_err(why, whysz,
					    "CO-RE: insn %u accesses %d bytes, the field has %u", i,
					    size_bytes(in->code), r->orig_sz);
				return -EINVAL;
			}
			switch (r->new_sz) {
			case 8:
				sz = BVC_DW;
				break;
			case 4:
				sz = BVC_W;
				break;
			case 2:
				sz = BVC_H;
				break;
			case 1:
				sz = BVC_B;
				break;
			default:
				bvc_set_err(why, whysz, "CO-RE: insn %u: new access size %u", i,
					    r->new_sz);
				return -EINVAL;
			}
			in->code = (uint8_t)((in->code & ~0x18) | sz);
		}
		return 0;
	case BVC_LD: {
		uint64_t imm;

		if (in->code != (BVC_LD | BVC_IMM | BVC_DW) || i + 1 >= cnt || in->src || in->off ||
		    in[1].code || in[1].dst || in[1].src || in[1].off)
			break;
		if (r->poison) {
			poison(in, 2);
			return 0;
		}
		imm = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
		if (r->validate && imm != r->orig) {
			bvc_set_err(
				why, whysz,
				"CO-RE: insn %u holds %llu, the object's BTF says %llu: record and code disagree",
				i, (unsigned long long)imm, (unsigned long long)r->orig);
			return -EINVAL;
		}
		in[0].imm = (int32_t)(uint32_t)r->val;
		in[1].imm = (int32_t)(uint32_t)(r->val >> 32);
		return 0;
	}
	}
	bvc_set_err(why, whysz, "CO-RE: insn %u (code 0x%02x) is not one a relocation can patch", i,
		    in->code);
	return -EINVAL;
}

/* Target candidates of one local type. As libbpf's cache does, the list
 * narrows to the candidates that matched a record, so that every later
 * record of the same local type resolves against the same target type(s):
 * a program never mixes fields of two different target structs. */
struct cands {
	uint32_t local_id;
	uint32_t *ids;
	uint32_t n;
};

/* The candidates of @local_id (named @lname, of @lt's kind) in @tb. */
static struct cands *cands_of(struct cands **cache, size_t *ncache, const struct btf_type *lt,
			      uint32_t local_id, const char *lname, const struct btf *tb)
{
	struct cands *c, *grown;
	uint32_t id, n = btf__type_cnt(tb);
	size_t i;

	for (i = 0; i < *ncache; i++)
		if ((*cache)[i].local_id == local_id)
			return &(*cache)[i];
	grown = realloc(*cache, (*ncache + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	*cache = grown;
	c = &grown[*ncache];
	memset(c, 0, sizeof(*c));
	c->local_id = local_id;
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(tb, id);
		const char *tn = btf__name_by_offset(tb, t->name_off);
		uint32_t *ids;

		if (!btf_kind_core_compat(t, lt) || !tn || !*tn || !same_essential(lname, tn))
			continue;
		ids = realloc(c->ids, (c->n + 1) * sizeof(*ids));
		if (!ids) {
			free(c->ids);
			return NULL;
		}
		c->ids = ids;
		c->ids[c->n++] = id;
	}
	(*ncache)++;
	return c;
}

/* Resolve one record: the result for every candidate must agree. */
static int resolve(const struct btf *lb, const struct bvc_core_relo *cr, const struct btf *tb,
		   struct cands **cache, size_t *ncache, struct res *out, char *why, size_t whysz)
{
	struct cands *cl;
	uint32_t k, kept = 0;
	const struct btf_type *lt = btf__type_by_id(lb, cr->type_id);
	const char *lname = lt ? btf__name_by_offset(lb, lt->name_off) : NULL;
	struct spec *ls, *cs, *ts;
	struct res r;
	uint32_t id;
	int err, found = 0;

	if (!lname) {
		bvc_set_err(why, whysz, "malformed CO-RE record (type %u)", cr->type_id);
		return -EINVAL;
	}
	if (cr->kind > TYPE_MATCHES) {
		bvc_set_err(why, whysz, "unsupported: CO-RE relocation kind %u", cr->kind);
		return -EOPNOTSUPP;
	}
	ls = calloc(3, sizeof(*ls));
	if (!ls) {
		bvc_set_err(why, whysz, "out of memory");
		return -ENOMEM;
	}
	cs = ls + 1;
	ts = ls + 2;
	err = parse_spec(lb, cr->type_id, cr->kind, cr->access, ls, why, whysz);
	if (err)
		goto out;
	if (cr->kind == TYPE_ID_LOCAL) {
		memset(out, 0, sizeof(*out));
		out->orig = out->val = cr->type_id;
		goto out;
	}
	if (!*lname) {
		bvc_set_err(
			why, whysz,
			"unsupported: CO-RE relocation %s of an anonymous type (libbpf refuses it too)",
			bvc_core_relo_kind_name(cr->kind));
		err = -EOPNOTSUPP;
		goto out;
	}
	cl = cands_of(cache, ncache, lt, cr->type_id, lname, tb);
	if (!cl) {
		bvc_set_err(why, whysz, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < cl->n; k++) {
		const char *tn;

		id = cl->ids[k];
		tn = btf__name_by_offset(tb, btf__type_by_id(tb, id)->name_off);
		err = match_spec(ls, tb, id, cs);
		if (err < 0) {
			bvc_set_err(why, whysz, "CO-RE: target BTF type %u (%s) is malformed", id,
				    tn);
			goto out;
		}
		if (!err)
			continue;
		err = calc(ls, cs, &r, why, whysz);
		if (err)
			goto out;
		if (!found) {
			*out = r;
			*ts = *cs;
		} else if (cs->bit_off != ts->bit_off) {
			bvc_set_err(
				why, whysz,
				"CO-RE: field offset ambiguity for '%s' (access %s): bit %u in one target type, %u in another",
				lname, cr->access, cs->bit_off, ts->bit_off);
			err = -EINVAL;
			goto out;
		} else if (r.poison != out->poison || r.val != out->val) {
			bvc_set_err(
				why, whysz,
				"CO-RE: relocation decision ambiguity for '%s' (access %s): %llu != %llu",
				lname, cr->access, (unsigned long long)r.val,
				(unsigned long long)out->val);
			err = -EINVAL;
			goto out;
		}
		found++;
		cl->ids[kept++] = id;
	}
	if (found)
		cl->n = kept;
	err = found ? 0 : calc(ls, NULL, out, why, whysz);
out:
	free(ls);
	return err;
}

int bvc_core_target_new(const void *btf, size_t size, struct bvc_core_target **out, char *err,
			size_t errsz)
{
	struct bvc_core_target *t;
	char msg[256] = "";
	int e;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	if (size > UINT32_MAX) {
		free(t);
		bvc_set_err(err, errsz, "target BTF: %zu bytes, too large", size);
		return -EINVAL;
	}
	t->btf = btf_new_quiet(btf, (uint32_t)size, msg, sizeof(msg));
	if (!t->btf) {
		e = errno ? errno : EINVAL;
		free(t);
		bvc_set_err(err, errsz, "target BTF: not usable: %s", *msg ? msg : strerror(e));
		return -EINVAL;
	}
	*out = t;
	return 0;
}

void bvc_core_target_free(struct bvc_core_target *t)
{
	if (!t)
		return;
	btf__free(t->btf);
	free(t);
}

int bvc_core_apply(const struct bvc_image *img, struct bvc_prog *prog,
		   const struct bvc_core_target *target, char *why, size_t whysz)
{
	struct bvc_insn *insns;
	struct btf *lb;
	struct cands *cache = NULL;
	char msg[256] = "";
	size_t i, ncache = 0;
	int err = 0;

	if (!prog->core_relo_cnt)
		return 0;
	if (!img->btf) {
		bvc_set_err(why, whysz, "CO-RE records without the object's BTF");
		return -EINVAL;
	}
	lb = btf_new_quiet(img->btf, (uint32_t)img->btf_size, msg, sizeof(msg));
	if (!lb) {
		bvc_set_err(why, whysz, "the object's BTF: %s", *msg ? msg : "not usable");
		return -EINVAL;
	}
	/* Patch a copy: a failure leaves the program as loaded. */
	insns = malloc(prog->insn_cnt * sizeof(*insns));
	if (!insns) {
		btf__free(lb);
		bvc_set_err(why, whysz, "out of memory");
		return -ENOMEM;
	}
	memcpy(insns, prog->insns, prog->insn_cnt * sizeof(*insns));
	for (i = 0; i < prog->core_relo_cnt && !err; i++) {
		const struct bvc_core_relo *cr = &prog->core_relos[i];
		struct res r;
		char w[256] = "";

		err = resolve(lb, cr, target->btf, &cache, &ncache, &r, w, sizeof(w));
		if (!err)
			err = patch(insns, prog->insn_cnt, cr->insn, &r, w, sizeof(w));
		if (err)
			bvc_set_err(why, whysz,
				    "%s (CO-RE relocation #%zu at insn %u: %s of '%s', access %s)",
				    w, i, cr->insn, bvc_core_relo_kind_name(cr->kind),
				    cr->type_name, cr->access);
	}
	btf__free(lb);
	for (i = 0; i < ncache; i++)
		free(cache[i].ids);
	free(cache);
	if (err) {
		free(insns);
		return err;
	}
	memcpy(prog->insns, insns, prog->insn_cnt * sizeof(*insns));
	free(insns);
	free(prog->core_relos);
	prog->core_relos = NULL;
	prog->core_relo_cnt = 0;
	return 0;
}
