// SPDX-License-Identifier: MIT
/*
 * Programs of an ELF object: which functions are programs, their types, and
 * their code with relocations applied, as libbpf prepares them for
 * BPF_PROG_LOAD but with maps by index instead of by fd:
 *
 *   - every global function of a code section other than .text is a program
 *     (several per section are fine); its type comes from the section name,
 *     through libbpf_prog_type_by_name();
 *   - each function a program reaches by a bpf-to-bpf call or a function
 *     pointer (ld_imm64 of code: callbacks) is appended after it once, in
 *     the order first reached, and the call's imm becomes the relative
 *     offset; a call without relocation is relative to its own section, as
 *     clang emits calls to a static function of the same section;
 *   - ld_imm64 of a .maps symbol becomes BVC_PSEUDO_MAP_IDX, of global data
 *     BVC_PSEUDO_MAP_IDX_VALUE with the byte offset (symbol value + the
 *     addend clang leaves in imm) in the second half;
 *   - .BTF.ext func_info, line_info and CO-RE records follow their
 *     function to wherever it lands in the program (CO-RE records are kept,
 *     not applied);
 *   - an exception callback named by a decl tag is looked up as
 *     BPF_PROG_LOAD does; where the kernel would refuse the program, its
 *     words go to bvc_prog.load_refused;
 *   - ld_imm64 of a .kconfig extern becomes BVC_PSEUDO_MAP_IDX_VALUE into
 *     the .kconfig map (kconfig.c) at the extern's offset;
 *   - a relocation against another extern fails the load, or (keep_unsupported)
 *     marks the program unsupported and leaves an instruction no verifier
 *     accepts without modelling it.
 *
 * Must not: print; read an instruction, record or string without checking
 * that it lies inside its section; accept a relocation it cannot explain.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A function placed in the program being built. */
struct place {
	const struct ld_func *f; /* which function */
	size_t pos;              /* index of its first insn in the program */
};

/* The program being built. */
struct pb {
	struct bvc_prog *prog;   /* insns and counts grow here */
	struct place *pl;        /* placed functions, entry first */
	size_t pl_cnt;           /* entries in @pl */
	size_t pl_cap;           /* allocated entries in @pl */
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Position of @f in the program, appending it if it is not there yet. */
static int place(struct ld *ld, struct pb *pb, const struct ld_func *f, size_t *pos)
{
	struct bvc_prog *prog = pb->prog;
	struct bvc_insn *insns;
	size_t i;

	for (i = 0; i < pb->pl_cnt; i++) {
		if (pb->pl[i].f == f) {
			*pos = pb->pl[i].pos;
			return 0;
		}
	}
	if (pb->pl_cnt == pb->pl_cap) {
		size_t cap = pb->pl_cap ? pb->pl_cap * 2 : 8;
		struct place *pl = realloc(pb->pl, cap * sizeof(*pl));

		if (!pl)
			return ld_err(ld, -ENOMEM, "out of memory");
		pb->pl = pl;
		pb->pl_cap = cap;
	}
	insns = realloc(prog->insns, (prog->insn_cnt + f->cnt) * sizeof(*insns));
	if (!insns)
		return ld_err(ld, -ENOMEM, "out of memory");
	prog->insns = insns;
	memcpy(insns + prog->insn_cnt, ld->secs[f->sec].data + (size_t)f->off * 8,
	       (size_t)f->cnt * 8);
	pb->pl[pb->pl_cnt].f = f;
	pb->pl[pb->pl_cnt].pos = prog->insn_cnt;
	pb->pl_cnt++;
	*pos = prog->insn_cnt;
	prog->insn_cnt += f->cnt;
	return 0;
}

/* The function starting at byte @boff of section @sec, placed; its
 * position relative to the instruction after @at goes to *@rel. */
static int link_target(struct ld *ld, struct pb *pb, size_t sec, int64_t boff, size_t at,
		       const char *what, const char *sec_name, uint64_t sidx, int32_t *rel)
{
	const struct ld_func *g = NULL;
	size_t gpos;
	int err;

	if (boff >= 0 && boff % 8 == 0 && (uint64_t)boff < ld->secs[sec].size)
		g = ld_func_at(ld, sec, (uint64_t)boff / 8);
	if (!g)
		return ld_err(ld, -ENOEXEC,
			      "%s at insn %llu of section '%s': target (byte %lld of section '%s') is not the start of a function",
			      what, (unsigned long long)sidx, sec_name, (long long)boff,
			      ld->secs[sec].name);
	err = place(ld, pb, g, &gpos);
	if (err)
		return err;
	*rel = (int32_t)((int64_t)gpos - (int64_t)at - 1);
	return 0;
}

static int reloc_ld64(struct ld *ld, struct pb *pb, const struct ld_sec *sec, uint64_t sidx,
		      size_t at, const struct ld_rel *r)
{
	const struct ld_sym *sym = &ld->syms[r->sym];
	size_t s = sym->sym.st_shndx, j;
	const struct ld_sec *ts = &ld->secs[s];
	struct bvc_insn *insn = &pb->prog->insns[at];
	int64_t off;
	int32_t rel;
	int err;

	if (ld->maps_idx && s == ld->maps_idx) {
		/* libbpf ignores imm here too: the symbol picks the map. */
		for (j = 0; j < ld->img->map_cnt; j++)
			if (ld->map_offs[j] == sym->sym.st_value)
				break;
		if (j == ld->img->map_cnt)
			return ld_err(ld, -ENOEXEC,
				      "relocation at insn %llu of section '%s': no map at offset %llu of .maps ('%s')",
				      (unsigned long long)sidx, sec->name,
				      (unsigned long long)sym->sym.st_value, sym->name);
		insn[0].src = BVC_PSEUDO_MAP_IDX;
		insn[0].imm = (int32_t)j;
		insn[1].imm = 0;
		return 0;
	}
	if (ts->map_idx >= 0) {
		/* Section symbols carry the offset in imm, variable symbols
		 * in st_value (imm is then 0 or a field offset). Whether it
		 * lies inside the value is the verifier's to say, with the
		 * kernel's message. */
		off = (int64_t)sym->sym.st_value + insn[0].imm;
		if (off < 0 || off > INT32_MAX)
			return ld_err(ld, -ENOEXEC,
				      "relocation at insn %llu of section '%s': offset %lld into '%s' cannot be encoded",
				      (unsigned long long)sidx, sec->name, (long long)off, ts->name);
		insn[0].src = BVC_PSEUDO_MAP_IDX_VALUE;
		insn[0].imm = ts->map_idx;
		insn[1].imm = (int32_t)off;
		return 0;
	}
	if (ts->exec) {
		/* A function's address (a callback): byte offset in imm. */
		off = (int64_t)sym->sym.st_value + insn[0].imm;
		err = link_target(ld, pb, s, off, at, "function pointer", sec->name, sidx, &rel);
		if (err)
			return err;
		insn = &pb->prog->insns[at];
		insn[0].src = BVC_PSEUDO_FUNC;
		insn[0].imm = rel;
		insn[1].imm = 0;
		return 0;
	}
	return ld_err(ld, -ENOEXEC,
		      "relocation at insn %llu of section '%s' against '%s' in section '%s': not a map, global data or a function",
		      (unsigned long long)sidx, sec->name, sym->name, ts->name);
}

static int reloc_call(struct ld *ld, struct pb *pb, const struct ld_func *f, uint64_t sidx,
		      size_t at, const struct ld_rel *r)
{
	const struct ld_sec *sec = &ld->secs[f->sec];
	struct bvc_insn *insn = &pb->prog->insns[at];
	size_t tsec = f->sec;
	int64_t boff;
	int32_t rel;
	int err;

	if (r) {
		const struct ld_sym *sym = &ld->syms[r->sym];

		tsec = sym->sym.st_shndx;
		if (!ld->secs[tsec].exec || sym->sym.st_value % 8)
			return ld_err(ld, -ENOEXEC,
				      "call at insn %llu of section '%s' to '%s', which is not a function",
				      (unsigned long long)sidx, sec->name, sym->name);
		/* Global functions: imm is -1; section symbols (static
		 * functions): imm + 1 is the target's insn in that section. */
		boff = (int64_t)sym->sym.st_value + ((int64_t)insn->imm + 1) * 8;
	} else {
		boff = ((int64_t)sidx + insn->imm + 1) * 8;
	}
	err = link_target(ld, pb, tsec, boff, at, "call", sec->name, sidx, &rel);
	if (err)
		return err;
	pb->prog->insns[at].imm = rel;
	return 0;
}

/* A relocation against an extern (.kconfig or .ksyms variable, kfunc, or
 * a function of another object): refused, or with keep_unsupported the
 * program is marked and the instruction made one no verifier accepts
 * without modelling it (a kfunc call, a BTF-id load, both with id 0). */
static int reloc_extern(struct ld *ld, struct pb *pb, const struct ld_sec *sec, uint64_t sidx,
			size_t at, const struct ld_rel *r)
{
	struct bvc_insn *insn = &pb->prog->insns[at];
	const char *name = ld->syms[r->sym].name;

	if (!ld->keep_unsupported)
		return ld_err(ld, -EOPNOTSUPP, "unsupported: extern '%s' (insn %llu of section '%s')",
			      name, (unsigned long long)sidx, sec->name);
	if (!pb->prog->unsupported[0])
		snprintf(pb->prog->unsupported, sizeof(pb->prog->unsupported),
			 "unsupported: extern '%s' (insn %llu of section '%s')", name,
			 (unsigned long long)sidx, sec->name);
	if (bvc_insn_is_ld_imm64(insn)) {
		/* relocate_func checked that the second half is there. */
		insn[0].src = BVC_PSEUDO_BTF_ID;
		insn[0].imm = 0;
		insn[1].imm = 0;
	} else {
		insn->src = BVC_PSEUDO_KFUNC_CALL;
		insn->imm = 0;
	}
	return 0;
}

/* An ld_imm64 of a .kconfig extern: the address of its value in the
 * .kconfig map, as libbpf relocates it (the symbol picks the offset; clang's
 * imm is not added). */
static void reloc_kconfig(struct ld *ld, struct pb *pb, size_t at, const struct bvc_kconfig_var *v)
{
	struct bvc_insn *insn = &pb->prog->insns[at];

	insn[0].src = BVC_PSEUDO_MAP_IDX_VALUE;
	insn[0].imm = ld->kconfig_map;
	insn[1].imm = (int32_t)v->off;
}

/* Relocate the instructions of placed function @k (its callees get placed
 * on the way, after it). */
static int relocate_func(struct ld *ld, struct pb *pb, size_t k)
{
	const struct ld_func *f = pb->pl[k].f;
	const struct ld_sec *sec = &ld->secs[f->sec];
	size_t pos = pb->pl[k].pos, i;
	int err;

	for (i = 0; i < f->cnt; i++) {
		uint64_t sidx = (uint64_t)f->off + i;
		const struct ld_rel *r = ld_find_rel(sec, sidx * 8);
		const struct bvc_insn *insn = &pb->prog->insns[pos + i];
		bool wide = bvc_insn_is_ld_imm64(insn);

		if (wide && i + 1 >= f->cnt)
			return ld_err(ld, -ENOEXEC,
				      "insn %llu of section '%s' (end of function '%s'): ld_imm64 without its second half",
				      (unsigned long long)sidx, sec->name, f->name);
		if (wide && ld_find_rel(sec, (sidx + 1) * 8))
			return ld_err(ld, -ENOEXEC,
				      "relocation at insn %llu of section '%s' is on the second half of an ld_imm64",
				      (unsigned long long)sidx + 1, sec->name);
		err = 0;
		if (r && ld->syms[r->sym].sym.st_shndx == SHN_UNDEF && wide &&
		    ld_kconfig_var(ld, ld->syms[r->sym].name))
			reloc_kconfig(ld, pb, pos + i, ld_kconfig_var(ld, ld->syms[r->sym].name));
		else if (r && ld->syms[r->sym].sym.st_shndx == SHN_UNDEF)
			err = reloc_extern(ld, pb, sec, sidx, pos + i, r);
		else if (wide && r)
			err = reloc_ld64(ld, pb, sec, sidx, pos + i, r);
		else if (!wide && insn->code == (BVC_JMP | BVC_CALL) && insn->src == BVC_PSEUDO_CALL)
			err = reloc_call(ld, pb, f, sidx, pos + i, r);
		else if (r)
			return ld_err(ld, -ENOEXEC,
				      "relocation at insn %llu of section '%s' against '%s' on a call with src %u (not a bpf-to-bpf call)",
				      (unsigned long long)sidx, sec->name, ld->syms[r->sym].name,
				      insn->src);
		if (err)
			return err;
		if (wide)
			i++;
	}
	return 0;
}

static const struct ld_ext_sec *ext_for(const struct ld_ext_sec *e, size_t cnt, const char *sec)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (!strcmp(e[i].sec_name, sec))
			return &e[i];
	return NULL;
}

/* Map a record's byte offset in its section to the program's index, if it
 * lies in placed function @p. */
static int ext_insn(struct ld *ld, const struct place *p, uint32_t insn_off, const char *what,
		    size_t *idx)
{
	uint64_t i = insn_off / 8;

	if (i < p->f->off || i >= (uint64_t)p->f->off + p->f->cnt)
		return 0;
	if (insn_off % 8)
		return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: %s at byte %u of section '%s'", what,
			      insn_off, ld->secs[p->f->sec].name);
	*idx = p->pos + (i - p->f->off);
	return 1;
}

static int cmp_func_info(const void *a, const void *b)
{
	const struct bvc_func_info *x = a, *y = b;

	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int add_func_info(struct ld *ld, struct pb *pb)
{
	struct bvc_prog *prog = pb->prog;
	size_t k, j, n = 0, idx;
	int in;

	for (k = 0; k < pb->pl_cnt; k++) {
		const struct ld_ext_sec *e = ext_for(ld->fi, ld->fi_cnt, ld->secs[pb->pl[k].f->sec].name);

		for (j = 0; e && j < e->cnt; j++) {
			const uint8_t *rec = e->recs + (size_t)j * e->rec_size;
			const struct btf_type *t;
			struct bvc_func_info *fi, *grown;
			const char *name;
			uint32_t id = rd32(rec + 4);

			in = ext_insn(ld, &pb->pl[k], rd32(rec), "func_info", &idx);
			if (in < 0)
				return in;
			if (!in)
				continue;
			t = btf__type_by_id(ld->btf, id);
			if (!t || btf_kind(t) != BTF_KIND_FUNC)
				return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: func_info type %u is not a function",
					      id);
			name = btf__name_by_offset(ld->btf, t->name_off);
			if (!name || strlen(name) >= BVC_NAME_MAX)
				return ld_err(ld, -ENOEXEC, "corrupt BTF: name of function type %u", id);
			grown = realloc(prog->funcs, (n + 1) * sizeof(*grown));
			if (!grown)
				return ld_err(ld, -ENOMEM, "out of memory");
			prog->funcs = grown;
			fi = &grown[n++];
			memset(fi, 0, sizeof(*fi));
			fi->insn = (uint32_t)idx;
			fi->btf_id = id;
			fi->linkage = (enum bvc_func_linkage)btf_vlen(t);
			strcpy(fi->name, name);
			prog->func_cnt = n;
			in = ld_func_args(ld, id, fi);
			if (in < 0)
				return in;
		}
	}
	if (!prog->func_cnt)
		return 0;
	qsort(prog->funcs, prog->func_cnt, sizeof(*prog->funcs), cmp_func_info);
	/* What the kernel demands of func_info, and what users of the image
	 * may rely on: one record per function, at its first instruction
	 * (so funcs[0].insn == 0). */
	for (k = 0; k < pb->pl_cnt; k++) {
		if (k >= prog->func_cnt || prog->funcs[k].insn != pb->pl[k].pos)
			return ld_err(ld, -ENOEXEC,
				      "corrupt .BTF.ext: func_info of program '%s' does not match function '%s'",
				      prog->name, pb->pl[k].f->name);
		/* libbpf marks a global function of hidden visibility static
		 * in the BTF it loads, so the kernel verifies it with its
		 * caller's context (usdt.bpf.h's bpf_usdt_arg() relies on
		 * it); we verify what the kernel is given. */
		if (pb->pl[k].f->hidden && prog->funcs[k].linkage == BVC_FUNC_GLOBAL)
			prog->funcs[k].linkage = BVC_FUNC_STATIC;
	}
	if (prog->func_cnt != pb->pl_cnt)
		return ld_err(ld, -ENOEXEC,
			      "corrupt .BTF.ext: %zu func_info records for %zu functions in program '%s'",
			      prog->func_cnt, pb->pl_cnt, prog->name);
	return 0;
}

static int cmp_line_info(const void *a, const void *b)
{
	const struct bvc_line_info *x = a, *y = b;

	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int add_line_info(struct ld *ld, struct pb *pb)
{
	struct bvc_image *img = ld->img;
	struct bvc_prog *prog = pb->prog;
	size_t k, j, n = 0, idx;
	int in;

	for (k = 0; k < pb->pl_cnt; k++) {
		const struct ld_ext_sec *e = ext_for(ld->li, ld->li_cnt, ld->secs[pb->pl[k].f->sec].name);

		for (j = 0; e && j < e->cnt; j++) {
			const uint8_t *rec = e->recs + (size_t)j * e->rec_size;
			uint32_t file = rd32(rec + 4), line = rd32(rec + 8), lc = rd32(rec + 12);
			struct bvc_line_info *li, *grown;

			in = ext_insn(ld, &pb->pl[k], rd32(rec), "line_info", &idx);
			if (in < 0)
				return in;
			if (!in)
				continue;
			if (file >= img->strings_size || line >= img->strings_size)
				return ld_err(ld, -ENOEXEC, "corrupt .BTF.ext: line_info string offset");
			grown = realloc(prog->lines, (n + 1) * sizeof(*grown));
			if (!grown)
				return ld_err(ld, -ENOMEM, "out of memory");
			prog->lines = grown;
			li = &grown[n++];
			li->insn = (uint32_t)idx;
			li->line = lc >> 10; /* BPF_LINE_INFO_LINE_NUM */
			li->col = lc & 0x3ff; /* BPF_LINE_INFO_LINE_COL */
			li->file = img->strings + file;
			li->source = img->strings + line;
			prog->line_cnt = n;
		}
	}
	/* Functions are placed at increasing positions and clang writes each
	 * section's records in order: sort only odd objects (qsort would not
	 * keep the order of several records of one insn). */
	for (k = 1; k < prog->line_cnt; k++)
		if (prog->lines[k].insn < prog->lines[k - 1].insn)
			break;
	if (k < prog->line_cnt)
		qsort(prog->lines, prog->line_cnt, sizeof(*prog->lines), cmp_line_info);
	return 0;
}

static int cmp_core_relo(const void *a, const void *b)
{
	const struct bvc_core_relo *x = a, *y = b;

	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* CO-RE records of the placed functions: kept, not applied, so that
 * whoever would sign or compare the program knows its offsets are clang's. */
static int add_core_relos(struct ld *ld, struct pb *pb)
{
	struct bvc_image *img = ld->img;
	struct bvc_prog *prog = pb->prog;
	size_t k, j, n = 0, idx;
	int in;

	for (k = 0; k < pb->pl_cnt; k++) {
		const struct ld_ext_sec *e = ext_for(ld->cr, ld->cr_cnt, ld->secs[pb->pl[k].f->sec].name);

		for (j = 0; e && j < e->cnt; j++) {
			const uint8_t *rec = e->recs + (size_t)j * e->rec_size;
			uint32_t type_id = rd32(rec + 4), access = rd32(rec + 8);
			struct bvc_core_relo *cr, *grown;
			const struct btf_type *t;

			in = ext_insn(ld, &pb->pl[k], rd32(rec), "core_relo", &idx);
			if (in < 0)
				return in;
			if (!in)
				continue;
			t = btf__type_by_id(ld->btf, type_id);
			if (access >= img->strings_size || !t || t->name_off >= img->strings_size)
				return ld_err(ld, -ENOEXEC,
					      "corrupt .BTF.ext: core_relo at byte %u of section '%s': type %u, access string offset %u",
					      rd32(rec), ld->secs[pb->pl[k].f->sec].name, type_id, access);
			grown = realloc(prog->core_relos, (n + 1) * sizeof(*grown));
			if (!grown)
				return ld_err(ld, -ENOMEM, "out of memory");
			prog->core_relos = grown;
			cr = &grown[n++];
			cr->insn = (uint32_t)idx;
			cr->type_id = type_id;
			cr->type_name = img->strings + t->name_off;
			cr->access = img->strings + access;
			cr->kind = rd32(rec + 12);
			prog->core_relo_cnt = n;
		}
	}
	if (n > 1)
		qsort(prog->core_relos, n, sizeof(*prog->core_relos), cmp_core_relo);
	return 0;
}

/* The "exception_callback:" decl tags on the program's function, as the
 * kernel's btf_find_decl_tag_value() counts them: tags on the function
 * itself (component -1) whose name starts with the prefix. The first one's
 * value goes to *@name. */
static int exc_cb_tags(const struct btf *btf, uint32_t main_id, const char **name)
{
	static const char key[] = "exception_callback:";
	uint32_t id, n = btf__type_cnt(btf);
	int found = 0;

	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tag;

		if (!t || !btf_is_decl_tag(t) || t->type != main_id ||
		    btf_decl_tag(t)->component_idx != -1)
			continue;
		tag = btf__name_by_offset(btf, t->name_off);
		if (!tag || strncmp(tag, key, sizeof(key) - 1))
			continue;
		if (!found++)
			*name = tag + sizeof(key) - 1;
	}
	return found;
}

/*
 * An exception callback (bpf_throw) is named by a decl tag on the program's
 * function. BPF_PROG_LOAD looks it up before verifying anything
 * (bpf_find_exception_callback_insn_off, 6.12): one tag at most, a global
 * function of that name in the BTF, and a func_info record for it at a
 * subprogram. Our programs hold the functions they call, as libbpf 1.1
 * builds them (later libbpf versions append the callback): a callback the
 * program never calls has no func_info record, and the kernel refuses the
 * program with these words. A callback that is there is not modelled.
 */
static int check_exc_cb(struct ld *ld, struct pb *pb)
{
	struct bvc_prog *prog = pb->prog;
	const struct btf_type *t;
	const char *name = NULL;
	int tags, ret = 0;
	uint32_t id;
	size_t i;

	if (!prog->func_cnt)
		return 0;
	tags = exc_cb_tags(ld->btf, prog->funcs[0].btf_id, &name);
	if (!tags)
		return 0;
	if (tags > 1) {
		snprintf(prog->load_refused, sizeof(prog->load_refused),
			 "multiple exception callback tags for main subprog");
		return 0;
	}
	ret = btf__find_by_name_kind(ld->btf, name, BTF_KIND_FUNC);
	if (ret < 0) {
		snprintf(prog->load_refused, sizeof(prog->load_refused),
			 "exception callback '%s' could not be found in BTF", name);
		return 0;
	}
	id = (uint32_t)ret;
	t = btf__type_by_id(ld->btf, id);
	if (!t || btf_vlen(t) != BVC_FUNC_GLOBAL) {
		snprintf(prog->load_refused, sizeof(prog->load_refused),
			 "exception callback '%s' must have global linkage", name);
		return 0;
	}
	/* The kernel keeps the last record of that type. */
	ret = -1;
	for (i = 0; i < prog->func_cnt; i++)
		if (prog->funcs[i].btf_id == id)
			ret = (int)prog->funcs[i].insn;
	if (ret < 0) {
		snprintf(prog->load_refused, sizeof(prog->load_refused),
			 "exception callback type id not found in func_info");
		return 0;
	}
	if (ret == 0) {
		snprintf(prog->load_refused, sizeof(prog->load_refused),
			 "invalid exception callback insn_off in func_info: 0");
		return 0;
	}
	if (!ld->keep_unsupported)
		return ld_err(ld, -EOPNOTSUPP, "unsupported: exception callback '%s' of program '%s'",
			      name, prog->name);
	if (!prog->unsupported[0])
		snprintf(prog->unsupported, sizeof(prog->unsupported),
			 "unsupported: exception callback '%s'", name);
	return 0;
}

/* Keep a copy of the BTF string section: line info points into it. */
static int copy_strings(struct ld *ld)
{
	const struct btf_header *hdr;
	const uint8_t *raw;
	struct bvc_image *img = ld->img;

	if (!ld->btf || !img->btf || img->btf_size < sizeof(*hdr))
		return 0;
	raw = img->btf;
	hdr = (const struct btf_header *)raw;
	if ((uint64_t)hdr->hdr_len + hdr->str_off + hdr->str_len > img->btf_size ||
	    hdr->str_len == 0 || raw[hdr->hdr_len + hdr->str_off + hdr->str_len - 1])
		return ld_err(ld, -ENOEXEC, "corrupt BTF: string section");
	img->strings = malloc(hdr->str_len);
	if (!img->strings)
		return ld_err(ld, -ENOMEM, "out of memory");
	memcpy(img->strings, raw + hdr->hdr_len + hdr->str_off, hdr->str_len);
	img->strings_size = hdr->str_len;
	return 0;
}

/* Load flags libbpf 1.1 attaches to section names (its SEC_SLEEPABLE and
 * SEC_XDP_FRAGS): sleepable when the part before '/' ends in ".s" (lsm.s,
 * fentry.s, uprobe.s, ...) or is "syscall"; xdp.frags* has frags. */
static uint32_t sec_prog_flags(const char *sec)
{
	size_t n = strcspn(sec, "/");

	if (!strncmp(sec, "xdp.frags", 9) && (sec[9] == '\0' || sec[9] == '/'))
		return BPF_F_XDP_HAS_FRAGS;
	if ((n >= 2 && sec[n - 2] == '.' && sec[n - 1] == 's') || !strcmp(sec, "syscall"))
		return BPF_F_SLEEPABLE;
	return 0;
}

/*
 * Section names newer libbpf (1.5, which the 6.12 selftests use) knows and
 * libbpf 1.1 (Debian 12's, which we link) does not: the type and expected
 * attach type libbpf 1.5 gives them. Exact names, as its SEC_DEFs without
 * '+'. The tc, tcx and netkit attach types change nothing the verifier
 * checks; the unix ones choose the sockaddr fields and return range.
 */
static void sec_prog_type_newer(const char *sec, uint32_t *type, uint32_t *attach)
{
	static const struct {
		const char *sec;
		uint32_t type;
		uint32_t attach;
	} newer[] = {
		{ "tc/ingress", BPF_PROG_TYPE_SCHED_CLS, 46 /* BPF_TCX_INGRESS */ },
		{ "tc/egress", BPF_PROG_TYPE_SCHED_CLS, 47 /* BPF_TCX_EGRESS */ },
		{ "tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, 46 },
		{ "tcx/egress", BPF_PROG_TYPE_SCHED_CLS, 47 },
		{ "netkit/primary", BPF_PROG_TYPE_SCHED_CLS, 54 /* BPF_NETKIT_PRIMARY */ },
		{ "netkit/peer", BPF_PROG_TYPE_SCHED_CLS, 55 /* BPF_NETKIT_PEER */ },
		{ "netfilter", 32 /* BPF_PROG_TYPE_NETFILTER */, 45 /* BPF_NETFILTER */ },
		{ "cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 49 /* BPF_CGROUP_UNIX_CONNECT */ },
		{ "cgroup/sendmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 50 },
		{ "cgroup/recvmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 51 },
		{ "cgroup/getpeername_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 52 },
		{ "cgroup/getsockname_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 53 },
	};
	size_t i;

	if (*type != BPF_PROG_TYPE_UNSPEC)
		return;
	for (i = 0; i < sizeof(newer) / sizeof(newer[0]); i++) {
		if (!strcmp(sec, newer[i].sec)) {
			*type = newer[i].type;
			*attach = newer[i].attach;
			return;
		}
	}
}

static int build_prog(struct ld *ld, const struct ld_func *entry, struct bvc_prog *prog)
{
	const struct ld_sec *sec = &ld->secs[entry->sec];
	const char *sec_name = sec->name;
	struct pb pb = { .prog = prog };
	size_t pos, k;
	int err;

	if (strlen(entry->name) >= BVC_NAME_MAX || strlen(sec_name) >= BVC_NAME_MAX)
		return ld_err(ld, -ENAMETOOLONG, "program '%.40s' in section '%.40s': name longer than %d bytes",
			      entry->name, sec_name, BVC_NAME_MAX - 1);
	strcpy(prog->name, entry->name);
	strcpy(prog->sec_name, sec_name);
	/* "?xdp" is libbpf's "do not autoload" mark on an xdp program. */
	ld_prog_type(sec_name[0] == '?' ? sec_name + 1 : sec_name, &prog->type,
		     &prog->expected_attach_type);
	sec_prog_type_newer(sec_name[0] == '?' ? sec_name + 1 : sec_name, &prog->type,
			    &prog->expected_attach_type);
	prog->prog_flags = sec_prog_flags(sec_name[0] == '?' ? sec_name + 1 : sec_name);
	prog->sec_insn_off = entry->off;
	prog->main_cnt = entry->cnt;
	/* Their maps were hidden from libbpf (maps.c): say what is missing
	 * rather than let the verifier name only the program type. */
	if (prog->type == BPF_PROG_TYPE_STRUCT_OPS && ld->struct_ops_sec)
		snprintf(prog->unsupported, sizeof(prog->unsupported),
			 "unsupported: struct_ops (maps in section '%s')", ld->struct_ops_sec);

	err = place(ld, &pb, entry, &pos);
	for (k = 0; !err && k < pb.pl_cnt; k++)
		err = relocate_func(ld, &pb, k);
	if (!err && ld->btf) {
		err = add_func_info(ld, &pb);
		if (!err)
			err = add_line_info(ld, &pb);
		if (!err)
			err = add_core_relos(ld, &pb);
		if (!err)
			err = check_exc_cb(ld, &pb);
	}
	free(pb.pl);
	return err;
}

int ld_build_progs(struct ld *ld)
{
	struct bvc_image *img = ld->img;
	size_t i, n = 0;
	int err;

	err = copy_strings(ld);
	if (err)
		return err;
	for (i = 0; i < ld->func_cnt; i++)
		if (ld->funcs[i].global && ld->funcs[i].sec != ld->text_idx)
			n++;
	if (!n)
		return ld_err(ld, -ENOENT,
			      "no programs (no global function in a code section other than .text)");
	img->progs = calloc(n, sizeof(*img->progs));
	if (!img->progs)
		return ld_err(ld, -ENOMEM, "out of memory");
	for (i = 0; i < ld->func_cnt; i++) {
		const struct ld_func *f = &ld->funcs[i];

		if (!f->global || f->sec == ld->text_idx)
			continue;
		err = build_prog(ld, f, &img->progs[img->prog_cnt++]);
		if (err)
			return err;
	}
	return 0;
}
