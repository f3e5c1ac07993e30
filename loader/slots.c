// SPDX-License-Identifier: MIT
/*
 * prog_array initial slots: libbpf's `__array(values, ...)` member of a
 * BTF-defined map, filled in C with `.values = { [i] = &prog }`, leaves one
 * R_BPF_64_ABS64 relocation per filled slot in .rel.maps, at the map's
 * symbol offset + the `values` member's offset + 8 * i, against the
 * program's function symbol. libbpf puts the program in slot i at load
 * time; we record (i, program index) in the map (bvc_map.slots), so that
 * `bpfvc build` can verify and ship every program a tail call may reach.
 *
 * Relocations into other maps (map-in-map initial values) are left alone,
 * as before: the verifier does not model those maps.
 *
 * Must not: accept a slot naming anything but one of the image's programs,
 * an index past max_entries, or a relocation outside a prog_array's values.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef R_BPF_64_ABS64
#define R_BPF_64_ABS64 2
#endif

/* Byte offset of the `values` member in map @name's definition in .maps,
 * from BTF; -1 if the definition has none. */
static int64_t values_off(const struct ld *ld, const char *name)
{
	const struct btf_type *sec, *t;
	const struct btf_var_secinfo *vs;
	int id;

	if (!ld->btf)
		return -1;
	id = btf__find_by_name_kind(ld->btf, ".maps", BTF_KIND_DATASEC);
	if (id <= 0)
		return -1;
	sec = btf__type_by_id(ld->btf, (uint32_t)id);
	vs = btf_var_secinfos(sec);
	for (uint16_t i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(ld->btf, vs->type);
		const struct btf_member *m;
		const char *vname;

		if (!var || !btf_is_var(var))
			continue;
		vname = btf__name_by_offset(ld->btf, var->name_off);
		if (!vname || strcmp(vname, name))
			continue;
		id = btf__resolve_type(ld->btf, var->type);
		t = id > 0 ? btf__type_by_id(ld->btf, (uint32_t)id) : NULL;
		if (!t || !btf_is_struct(t))
			return -1;
		m = btf_members(t);
		for (uint16_t k = 0; k < btf_vlen(t); k++, m++) {
			const char *mname = btf__name_by_offset(ld->btf, m->name_off);

			if (mname && !strcmp(mname, "values"))
				return btf_member_bit_offset(t, k) / 8;
		}
		return -1;
	}
	return -1;
}

/* The image map whose .maps symbol covers byte @off, or -1. A map's
 * symbol size is its definition's size. */
static int map_at(const struct ld *ld, uint64_t off, uint64_t *start)
{
	const struct bvc_image *img = ld->img;

	for (size_t i = 0; i < img->map_cnt; i++) {
		uint64_t base = ld->map_offs[i];

		if (base == UINT64_MAX)
			continue;
		for (size_t s = 0; s < ld->sym_cnt; s++) {
			const GElf_Sym *sym = &ld->syms[s].sym;

			if (sym->st_shndx != ld->maps_idx || sym->st_value != base ||
			    GELF_ST_TYPE(sym->st_info) == STT_SECTION ||
			    strcmp(ld->syms[s].name, img->maps[i].name))
				continue;
			if (off >= base && off - base < sym->st_size) {
				*start = base;
				return (int)i;
			}
		}
	}
	return -1;
}

/* The program whose entry function symbol @sym names, or -1. */
static int prog_of_sym(const struct ld *ld, const struct ld_sym *sym)
{
	const struct bvc_image *img = ld->img;
	const struct ld_sec *sec;

	if (GELF_ST_TYPE(sym->sym.st_info) != STT_FUNC || sym->sym.st_shndx >= ld->sec_cnt)
		return -1;
	sec = &ld->secs[sym->sym.st_shndx];
	if (!sec->exec || sym->sym.st_value % sizeof(struct bvc_insn))
		return -1;
	for (size_t p = 0; p < img->prog_cnt; p++)
		if (!strcmp(img->progs[p].sec_name, sec->name) &&
		    img->progs[p].sec_insn_off == sym->sym.st_value / sizeof(struct bvc_insn))
			return (int)p;
	return -1;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct bvc_prog_slot *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int add_slot(struct ld *ld, struct bvc_map *m, uint32_t key, uint32_t prog)
{
	struct bvc_prog_slot *s = realloc(m->slots, (m->slot_cnt + 1) * sizeof(*s));

	if (!s)
		return ld_err(ld, -ENOMEM, "out of memory");
	m->slots = s;
	s[m->slot_cnt].key = key;
	s[m->slot_cnt].prog = prog;
	m->slot_cnt++;
	return 0;
}

int ld_build_slots(struct ld *ld)
{
	struct bvc_image *img = ld->img;
	int err;

	if (!ld->maps_idx)
		return 0;
	for (size_t r = 1; r < ld->sec_cnt; r++) {
		const struct ld_sec *rs = &ld->secs[r];
		size_t n;
		Elf_Data *data;
		Elf_Scn *scn;

		if (rs->sh.sh_type != SHT_REL || rs->sh.sh_info != ld->maps_idx)
			continue;
		if (!ld->symtab_idx)
			return ld_err(ld, -ENOEXEC, "corrupt object: relocations without a symbol table");
		scn = elf_getscn(ld->elf, r);
		data = scn ? elf_getdata(scn, NULL) : NULL;
		if (!data)
			return ld_err(ld, -ENOEXEC, "corrupt relocation section '%s'", rs->name);
		n = rs->size / sizeof(Elf64_Rel);
		for (size_t k = 0; k < n; k++) {
			const struct ld_sym *sym;
			uint64_t base = 0, voff;
			int64_t vo;
			int mi, p;
			struct bvc_map *m;
			GElf_Rel rel;

			if (!gelf_getrel(data, (int)k, &rel))
				return ld_err(ld, -ENOEXEC, "corrupt relocation #%zu of '%s'", k, rs->name);
			mi = map_at(ld, rel.r_offset, &base);
			if (mi < 0)
				return ld_err(ld, -ENOEXEC,
					      "relocation at offset %llu of '.maps' is not inside a map",
					      (unsigned long long)rel.r_offset);
			m = &img->maps[mi];
			if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_HASH_OF_MAPS)
				continue; /* map-in-map values: not modelled, left empty */
			if (m->type != BVC_MAP_PROG_ARRAY)
				return ld_err(ld, -ENOEXEC,
					      "relocation into map '%s' (%s), which takes no initial values",
					      m->name, bvc_map_type_name(m->type));
			if (GELF_R_SYM(rel.r_info) >= ld->sym_cnt || GELF_R_SYM(rel.r_info) == 0)
				return ld_err(ld, -ENOEXEC,
					      "prog_array '%s': relocation against unknown symbol #%llu",
					      m->name, (unsigned long long)GELF_R_SYM(rel.r_info));
			sym = &ld->syms[GELF_R_SYM(rel.r_info)];
			if (GELF_R_TYPE(rel.r_info) != R_BPF_64_ABS64)
				return ld_err(ld, -ENOEXEC,
					      "prog_array '%s': relocation type %llu against '%s', expected R_BPF_64_ABS64",
					      m->name, (unsigned long long)GELF_R_TYPE(rel.r_info),
					      sym->name);
			vo = values_off(ld, m->name);
			if (vo < 0)
				return ld_err(ld, -ENOEXEC,
					      "prog_array '%s': relocation against '%s' but the map has no 'values' member",
					      m->name, sym->name);
			voff = rel.r_offset - base;
			if (voff < (uint64_t)vo || (voff - (uint64_t)vo) % 8)
				return ld_err(ld, -ENOEXEC,
					      "prog_array '%s': relocation against '%s' at offset %llu is not on a 'values' slot",
					      m->name, sym->name, (unsigned long long)voff);
			if ((voff - (uint64_t)vo) / 8 >= m->max_entries)
				return ld_err(ld, -ENOEXEC,
					      "prog_array '%s': slot %llu ('%s') is past max_entries %u",
					      m->name, (unsigned long long)((voff - (uint64_t)vo) / 8),
					      sym->name, m->max_entries);
			p = prog_of_sym(ld, sym);
			if (p < 0)
				return ld_err(ld, -ENOEXEC,
					      "prog_array '%s': slot %llu refers to '%s', which is not a program",
					      m->name, (unsigned long long)((voff - (uint64_t)vo) / 8),
					      sym->name[0] ? sym->name : "(unnamed symbol)");
			if (img->progs[p].unsupported[0])
				return ld_err(ld, -EOPNOTSUPP, "prog_array '%s': slot %llu: %s", m->name,
					      (unsigned long long)((voff - (uint64_t)vo) / 8),
					      img->progs[p].unsupported);
			err = add_slot(ld, m, (uint32_t)((voff - (uint64_t)vo) / 8), (uint32_t)p);
			if (err)
				return err;
		}
	}
	for (size_t i = 0; i < img->map_cnt; i++) {
		struct bvc_map *m = &img->maps[i];

		if (m->slot_cnt < 2)
			continue;
		qsort(m->slots, m->slot_cnt, sizeof(*m->slots), cmp_slot);
		for (size_t k = 1; k < m->slot_cnt; k++)
			if (m->slots[k].key == m->slots[k - 1].key)
				return ld_err(ld, -ENOEXEC, "prog_array '%s': slot %u filled twice",
					      m->name, m->slots[k].key);
	}
	return 0;
}
