// SPDX-License-Identifier: MIT
/*
 * BTF side of the loader: check .BTF and .BTF.ext on their raw bytes before
 * libbpf reads them, and read the .BTF.ext func_info, line_info and CO-RE
 * records.
 *
 * libbpf 1.1 checks the layout of BTF but not what types refer to: a member
 * naming type 9999, a name offset past the strings or a typedef that names
 * itself make it dereference NULL or loop forever while it parses maps, and
 * an extern of 3 GB has it return a bogus object pointer (later libbpf
 * versions added such checks after fuzzing). ld_check_btf() does what the
 * kernel's BTF verifier does first: every type id and name offset in range,
 * every kind known, no modifier or typedef loop, variable sizes that fit.
 *
 * .BTF.ext (format: the kernel's Documentation/bpf/btf.rst, ".BTF.ext
 * section") is a header followed by func_info, line_info and CO-RE blocks:
 * a record size, then per ELF section its name, a record count and the
 * records, whose insn_off is a byte offset into that section. CO-RE
 * records are read so the image can say which instructions carry one; they
 * are not applied (that needs the target kernel's BTF).
 *
 * Must not: read past either section; print.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <linux/btf.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BTF_MAGIC_LE 0xeB9F
#define EXT_HDR_MIN 24        /* magic .. line_info_len */
#define EXT_HDR_CORE 32       /* .. core_relo_len */
#define FUNC_REC_MIN 8        /* insn_off, type_id */
#define LINE_REC_MIN 16       /* insn_off, file_name_off, line_off, line_col */
#define CORE_REC_MIN 16       /* insn_off, type_id, access_str_off, kind */
#define BTF_MAX_CHAIN 64      /* modifiers/typedefs in a row: beyond is a loop */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Raw view of the type section while checking it. */
struct btf_raw {
	const uint8_t *types;  /* first type */
	uint32_t types_len;    /* bytes of types */
	uint32_t str_len;      /* bytes of strings */
	uint32_t *off;         /* per type id (1..n): byte offset in @types */
	uint32_t n;            /* types, void not counted */
};

static bool is_chain_kind(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE || kind == BTF_KIND_CONST ||
	       kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

static uint32_t kind_of(const struct btf_raw *b, uint32_t id)
{
	return id ? rd32(b->types + b->off[id] + 4) >> 24 & 0x1f : BTF_KIND_UNKN;
}

/* Bytes that follow the common struct btf_type for this kind, or -1 if
 * the kind is unknown. */
static int64_t extra_size(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT: return 4;
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY: return sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: return (int64_t)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return (int64_t)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return (int64_t)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return (int64_t)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64: return (int64_t)vlen * sizeof(struct btf_enum64);
	}
	return -1;
}

static int bad_btf(struct ld *ld, uint32_t id, const char *what)
{
	return ld_err(ld, -ENOEXEC, "corrupt BTF: type %u: %s", id, what);
}

/* Type ids and name offsets a type refers to, by kind. */
static int check_refs(struct ld *ld, const struct btf_raw *b, uint32_t id)
{
	const uint8_t *t = b->types + b->off[id], *x = t + 12;
	uint32_t info = rd32(t + 4), kind = info >> 24 & 0x1f, vlen = info & 0xffff, i;
	uint32_t ref = rd32(t + 8);

	if (rd32(t) >= b->str_len)
		return bad_btf(ld, id, "name offset past the strings");
	switch (kind) {
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: case BTF_KIND_TYPE_TAG:
		if (ref > b->n)
			return bad_btf(ld, id, "refers to a type past the end");
		break;
	case BTF_KIND_FUNC:
		if (ref > b->n || kind_of(b, ref) != BTF_KIND_FUNC_PROTO)
			return bad_btf(ld, id, "function without a prototype");
		break;
	case BTF_KIND_FUNC_PROTO:
		if (ref > b->n)
			return bad_btf(ld, id, "returns a type past the end");
		for (i = 0; i < vlen; i++)
			if (rd32(x + i * 8) >= b->str_len || rd32(x + i * 8 + 4) > b->n)
				return bad_btf(ld, id, "bad parameter");
		break;
	case BTF_KIND_ARRAY:
		if (rd32(x) > b->n || rd32(x + 4) > b->n)
			return bad_btf(ld, id, "array of a type past the end");
		break;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		for (i = 0; i < vlen; i++)
			if (rd32(x + i * 12) >= b->str_len || rd32(x + i * 12 + 4) > b->n)
				return bad_btf(ld, id, "bad member");
		break;
	case BTF_KIND_ENUM:
		for (i = 0; i < vlen; i++)
			if (rd32(x + i * 8) >= b->str_len)
				return bad_btf(ld, id, "bad enumerator");
		break;
	case BTF_KIND_ENUM64:
		for (i = 0; i < vlen; i++)
			if (rd32(x + i * 12) >= b->str_len)
				return bad_btf(ld, id, "bad enumerator");
		break;
	case BTF_KIND_DATASEC:
		for (i = 0; i < vlen; i++) {
			uint32_t v = rd32(x + i * 12), k;

			if (v == 0 || v > b->n)
				return bad_btf(ld, id, "section variable past the end");
			k = kind_of(b, v);
			if (k != BTF_KIND_VAR && k != BTF_KIND_FUNC)
				return bad_btf(ld, id, "section entry is not a variable");
		}
		break;
	}
	return 0;
}

/* Size of type @id as libbpf's btf__resolve_size() computes it; -1 if it
 * does not fit in an int (libbpf keeps some sizes in ints and turns a
 * negative one into a bogus object pointer) or nests too deep, -2 if the
 * type has no size. */
static int64_t resolve_size(const struct btf_raw *b, uint32_t id)
{
	int64_t nelems = 1, size;
	int depth;

	for (depth = 0; depth < 32; depth++) {
		const uint8_t *t;
		uint32_t n;

		if (!id)
			return -2;
		t = b->types + b->off[id];
		switch (kind_of(b, id)) {
		case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: case BTF_KIND_DATASEC: case BTF_KIND_FLOAT:
			size = rd32(t + 8);
			return size && nelems > INT32_MAX / size ? -1 : nelems * size;
		case BTF_KIND_PTR:
			return nelems > INT32_MAX / 8 ? -1 : nelems * 8;
		case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
		case BTF_KIND_TYPE_TAG:
			id = rd32(t + 8);
			break;
		case BTF_KIND_ARRAY:
			n = rd32(t + 12 + 8);
			if (n && nelems > INT32_MAX / n)
				return -1;
			nelems *= n;
			id = rd32(t + 12);
			break;
		default:
			return -2;
		}
	}
	return -1;
}

int ld_check_btf(struct ld *ld)
{
	const struct ld_sec *s;
	struct btf_header h;
	struct btf_raw b = { 0 };
	uint64_t at, cap = 64;
	uint32_t id, i, cur;
	int err = 0;

	if (!ld->btf_idx)
		return 0;
	s = &ld->secs[ld->btf_idx];
	if (s->size < sizeof(h))
		return ld_err(ld, -ENOEXEC, "corrupt BTF: %zu bytes", s->size);
	memcpy(&h, s->data, sizeof(h));
	if (h.magic != BTF_MAGIC_LE)
		return ld_err(ld, -ENOEXEC, "corrupt BTF: magic 0x%04x", h.magic);
	if (h.version != BTF_VERSION || h.hdr_len < sizeof(h) || h.hdr_len > s->size ||
	    h.type_off % 4 || (uint64_t)h.type_off + h.type_len > s->size - h.hdr_len ||
	    (uint64_t)h.str_off + h.str_len > s->size - h.hdr_len || h.str_len == 0 ||
	    s->data[h.hdr_len + h.str_off + h.str_len - 1] != '\0')
		return ld_err(ld, -ENOEXEC, "corrupt BTF: bad header");
	b.types = s->data + h.hdr_len + h.type_off;
	b.types_len = h.type_len;
	b.str_len = h.str_len;

	/* Pass 1: layout, and where each type starts. */
	b.off = malloc(cap * sizeof(*b.off));
	if (!b.off)
		return ld_err(ld, -ENOMEM, "out of memory");
	for (at = 0; at < b.types_len;) {
		uint32_t info;
		int64_t extra;

		if (b.types_len - at < 12) {
			err = bad_btf(ld, b.n + 1, "truncated");
			goto out;
		}
		info = rd32(b.types + at + 4);
		extra = extra_size(info >> 24 & 0x1f, info & 0xffff);
		if (extra < 0 || (uint64_t)extra > b.types_len - at - 12) {
			err = bad_btf(ld, b.n + 1, extra < 0 ? "unknown kind" : "truncated");
			goto out;
		}
		if (b.n + 2 > cap) {
			uint32_t *grown = realloc(b.off, cap * 2 * sizeof(*b.off));

			if (!grown) {
				err = ld_err(ld, -ENOMEM, "out of memory");
				goto out;
			}
			b.off = grown;
			cap *= 2;
		}
		b.off[++b.n] = (uint32_t)at;
		at += 12 + (uint64_t)extra;
	}

	/* Pass 2: references, then loops through modifiers and typedefs. */
	for (id = 1; id <= b.n && !err; id++)
		err = check_refs(ld, &b, id);
	for (id = 1; id <= b.n && !err; id++) {
		for (cur = id, i = 0; cur && is_chain_kind(kind_of(&b, cur)); i++) {
			if (i > BTF_MAX_CHAIN) {
				err = bad_btf(ld, id, "loop of modifiers or typedefs");
				break;
			}
			cur = rd32(b.types + b.off[cur] + 8);
		}
	}
	/* Variables (maps, globals, externs) must have a size libbpf can
	 * hold in an int. */
	for (id = 1; id <= b.n && !err; id++)
		if (kind_of(&b, id) == BTF_KIND_VAR && resolve_size(&b, id) == -1)
			err = bad_btf(ld, id, "variable too large or nested too deep");
out:
	free(b.off);
	return err;
}

/* Walk one func_info/line_info/core_relo block. With @out NULL only check
 * its shape; otherwise also name each section (needs libbpf's BTF). */
static int ext_block(struct ld *ld, const uint8_t *p, uint64_t len, uint32_t min_rec,
		     const char *what, struct ld_ext_sec **out, size_t *cnt)
{
	uint64_t at = 4, n;
	uint32_t rec_size;

	if (len == 0)
		return 0;
	if (len < 4)
		return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: %s of %llu bytes", what,
			      (unsigned long long)len);
	rec_size = rd32(p);
	if (rec_size < min_rec || rec_size % 4)
		return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: %s record size %u", what, rec_size);
	while (at < len) {
		struct ld_ext_sec *e, *grown;
		uint32_t name_off, num;

		if (len - at < 8)
			return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: %s truncated", what);
		name_off = rd32(p + at);
		num = rd32(p + at + 4);
		at += 8;
		n = (uint64_t)num * rec_size;
		if (num == 0 || n > len - at)
			return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: %s has %u records of %u bytes in %llu",
				      what, num, rec_size, (unsigned long long)(len - at));
		if (out) {
			grown = realloc(*out, (*cnt + 1) * sizeof(**out));
			if (!grown)
				return ld_err(ld, -ENOMEM, "out of memory");
			*out = grown;
			e = &(*out)[(*cnt)++];
			e->sec_name = btf__name_by_offset(ld->btf, name_off);
			if (!e->sec_name)
				return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: %s section name offset %u",
					      what, name_off);
			e->recs = p + at;
			e->rec_size = rec_size;
			e->cnt = num;
		}
		at += n;
	}
	return 0;
}

/* Check (@fill false) or read (@fill true) the whole .BTF.ext. */
static int walk_btf_ext(struct ld *ld, bool fill)
{
	const struct ld_sec *s = &ld->secs[ld->btf_ext_idx];
	const uint8_t *d = s->data;
	uint32_t hdr_len, off[3], len[3];
	uint64_t body;
	int i, err;

	if (s->size < EXT_HDR_MIN || (rd32(d) & 0xffff) != BTF_MAGIC_LE || d[2] != 1)
		return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: bad header");
	hdr_len = rd32(d + 4);
	if (hdr_len < EXT_HDR_MIN || hdr_len > s->size)
		return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: header length %u", hdr_len);
	for (i = 0; i < 3; i++) {
		/* CO-RE records only exist in a long enough header. */
		bool have = i < 2 || hdr_len >= EXT_HDR_CORE;

		off[i] = have ? rd32(d + 8 + i * 8) : 0;
		len[i] = have ? rd32(d + 12 + i * 8) : 0;
	}
	/* Offsets count from the end of the header. */
	body = s->size - hdr_len;
	for (i = 0; i < 3; i++)
		if ((uint64_t)off[i] + len[i] > body || off[i] % 4)
			return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: records past the end of the section");
	d += hdr_len;
	err = ext_block(ld, d + off[0], len[0], FUNC_REC_MIN, "func_info", fill ? &ld->fi : NULL,
			&ld->fi_cnt);
	if (!err)
		err = ext_block(ld, d + off[1], len[1], LINE_REC_MIN, "line_info",
				fill ? &ld->li : NULL, &ld->li_cnt);
	if (!err)
		err = ext_block(ld, d + off[2], len[2], CORE_REC_MIN, "core_relo",
				fill ? &ld->cr : NULL, &ld->cr_cnt);
	return err;
}

int ld_check_btf_ext(struct ld *ld)
{
	return ld->btf_ext_idx ? walk_btf_ext(ld, false) : 0;
}

int ld_parse_btf_ext(struct ld *ld)
{
	/* Without BTF the records name nothing: ignore them, as libbpf does. */
	if (!ld->btf_ext_idx || !ld->btf)
		return 0;
	return walk_btf_ext(ld, true);
}

/* Skip modifiers and typedefs from @id; the first typedef met after const
 * and volatile goes to @tdef when asked. The BTF was checked for loops
 * (ld_check_btf), the bound is for safety. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, const char **tdef)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int i = 0; t && i < BTF_MAX_CHAIN && (btf_is_mod(t) || btf_is_typedef(t)); i++) {
		if (tdef && !*tdef && btf_is_typedef(t))
			*tdef = btf__name_by_offset(btf, t->name_off);
		t = btf__type_by_id(btf, t->type);
	}
	return t && (btf_is_mod(t) || btf_is_typedef(t)) ? NULL : t;
}

static void copy_name(char *dst, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= BVC_ARG_NAME_MAX)
		n = BVC_ARG_NAME_MAX - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* The "arg:" decl tags of parameter @arg of function @fn_id. */
static uint8_t arg_tags(const struct btf *btf, uint32_t fn_id, uint32_t arg)
{
	static const char *const known[] = { "ctx", "nonnull", "trusted", "nullable", "arena" };
	uint32_t n = btf__type_cnt(btf);
	uint8_t tags = 0;

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		size_t k;

		if (!t || !btf_is_decl_tag(t) || t->type != fn_id ||
		    btf_decl_tag(t)->component_idx != (int)arg)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || strncmp(name, "arg:", 4))
			continue;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(name + 4, known[k]))
				break;
		tags |= k < sizeof(known) / sizeof(known[0]) ? (uint8_t)(1u << k) : BVC_ARG_TAG_UNKNOWN;
	}
	return tags;
}

int ld_func_args(struct ld *ld, uint32_t fn_id, struct bvc_func_info *fi)
{
	const struct btf *btf = ld->btf;
	const struct btf_type *fn = btf__type_by_id(btf, fn_id);
	const struct btf_type *proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	const struct btf_type *ret;
	const struct btf_param *p;

	if (!proto || !btf_is_func_proto(proto))
		return ld_err(ld, -ENOEXEC, "corrupt BTF: function type %u without a prototype", fn_id);
	fi->arg_cnt = btf_vlen(proto);
	ret = skip_mods(btf, proto->type, NULL);
	fi->ret_scalar = ret && proto->type && (btf_is_int(ret) || btf_is_any_enum(ret));
	p = btf_params(proto);
	for (uint32_t i = 0; i < fi->arg_cnt && i < BVC_FUNC_MAX_ARGS; i++) {
		struct bvc_func_arg *a = &fi->args[i];
		const struct btf_type *t = skip_mods(btf, p[i].type, NULL), *pt;
		const char *tdef = NULL;
		__s64 size;

		a->tags = arg_tags(btf, fn_id, i);
		if (!t)
			return ld_err(ld, -ENOEXEC, "corrupt BTF: parameter %u of function type %u", i,
				      fn_id);
		a->btf_kind = (uint8_t)btf_kind(t);
		if (!p[i].type) {
			a->kind = BVC_BTF_ARG_OTHER;
			continue;
		}
		if (btf_is_int(t) || btf_is_any_enum(t)) {
			a->kind = BVC_BTF_ARG_INT;
			continue;
		}
		if (!btf_is_ptr(t)) {
			a->kind = BVC_BTF_ARG_OTHER;
			continue;
		}
		a->kind = BVC_BTF_ARG_PTR;
		pt = skip_mods(btf, t->type, &tdef);
		if (!pt)
			return ld_err(ld, -ENOEXEC, "corrupt BTF: parameter %u of function type %u", i,
				      fn_id);
		copy_name(a->pointee_typedef, tdef);
		a->pointee_kind = t->type ? (uint8_t)btf_kind(pt) : 0;
		a->pointee_kflag = t->type ? (uint8_t)btf_kflag(pt) : 0;
		copy_name(a->pointee_name, t->type ? btf__name_by_offset(btf, pt->name_off) : "");
		/* Modifiers and typedefs pass their target's size through. */
		size = t->type ? btf__resolve_size(btf, t->type) : -1;
		a->pointee_size = size < 0 ? -1 : size;
	}
	return 0;
}
