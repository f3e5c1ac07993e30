// SPDX-License-Identifier: MIT
/*
 * libbpf side of the loader: open the object with libbpf for its BTF and
 * its BTF-defined maps, then lay out the image's maps (user maps, then one
 * single-element array per global-data section, then the inner map
 * template of each array/hash of maps).
 *
 * libbpf is given a copy of the object with SHF_EXECINSTR cleared, so that it
 * sees no code at all (and without .rel.maps, which would name programs; slots.c
 * reads it). Programs are ours to find (elf.c, progs.c): libbpf
 * 1.1 refuses things the kernel accepts, such as a static function in a
 * program's own section or a call to a global function outside .text, and
 * its program model would only duplicate what we do with the symbol table.
 *
 * libbpf prints through a process-wide callback. While it runs we swap in
 * one that keeps the last warning (for our error line) and swap the caller's
 * back after; a mutex keeps two loads from interleaving the swap.
 *
 * Must not: print; let libbpf see code; keep pointers into libbpf's object
 * in the image (it is closed before the image is returned).
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_mutex_t libbpf_lock = PTHREAD_MUTEX_INITIALIZER;
static char libbpf_msg[256]; /* last libbpf warning, under libbpf_lock */

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	n = strlen(libbpf_msg);
	while (n && (libbpf_msg[n - 1] == '\n' || libbpf_msg[n - 1] == ' '))
		libbpf_msg[--n] = '\0';
	return 0;
}

/* The object name libbpf uses for internal map names: the file's base name. */
static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	if (!path || !*path)
		return "bpfvc";
	return s && s[1] ? s + 1 : path;
}

/* A struct_ops map section (libbpf's ".struct_ops" and ".struct_ops.link")
 * or the relocations of one. */
static bool is_struct_ops_sec(const struct ld *ld, const struct ld_sec *s)
{
	if (s->sh.sh_type == SHT_REL) {
		if (!s->sh.sh_info || s->sh.sh_info >= ld->sec_cnt)
			return false;
		s = &ld->secs[s->sh.sh_info];
	}
	return s->sh.sh_type == SHT_PROGBITS &&
	       (!strcmp(s->name, ".struct_ops") || !strcmp(s->name, ".struct_ops.link"));
}

int ld_open_libbpf(struct ld *ld)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = base_name(ld->path));
	libbpf_print_fn_t old;
	Elf64_Ehdr eh;
	char msg[sizeof(libbpf_msg)];
	size_t i;
	int err = 0;

	ld->bpf_buf = malloc(ld->size);
	if (!ld->bpf_buf)
		return ld_err(ld, -ENOMEM, "out of memory");
	memcpy(ld->bpf_buf, ld->buf, ld->size);
	memcpy(&eh, ld->buf, sizeof(eh));
	for (i = 1; i < ld->sec_cnt; i++) {
		if (ld->secs[i].sh.sh_type != SHT_REL && is_struct_ops_sec(ld, &ld->secs[i])) {
			if (!ld->keep_unsupported)
				return ld_err(ld, -EOPNOTSUPP,
					      "unsupported: struct_ops maps (section '%s')",
					      ld->secs[i].name);
			ld->struct_ops_sec = ld->secs[i].name;
		}
	}
	for (i = 1; i < ld->sec_cnt; i++) {
		const struct ld_sec *s = &ld->secs[i];
		Elf64_Shdr sh;
		uint8_t *p = ld->bpf_buf + eh.e_shoff + i * sizeof(sh);

		memcpy(&sh, p, sizeof(sh));
		if (s->exec)
			sh.sh_flags &= ~(uint64_t)SHF_EXECINSTR;
		/* .rel.maps fills prog_array and map-in-map slots with
		 * programs libbpf cannot see here; slots.c reads the
		 * prog_array slots itself, so hide it (as an unknown data
		 * section). */
		else if (s->sh.sh_type == SHT_REL && ld->maps_idx && s->sh.sh_info == ld->maps_idx)
			sh.sh_type = SHT_PROGBITS;
		/* struct_ops maps name their programs through .rel.struct_ops*:
		 * libbpf, which sees no code here, would call the object
		 * corrupt. We do not model struct_ops: hide the maps and
		 * their relocations, and mark the programs (progs.c). */
		else if (is_struct_ops_sec(ld, s))
			sh.sh_type = s->sh.sh_type == SHT_REL ? SHT_PROGBITS : SHT_NOTE;
		else
			continue;
		memcpy(p, &sh, sizeof(sh));
	}

	pthread_mutex_lock(&libbpf_lock);
	libbpf_msg[0] = '\0';
	old = libbpf_set_print(capture_print);
	ld->obj = bpf_object__open_mem(ld->bpf_buf, ld->size, &opts);
	/* libbpf 1.1 turns only errors down to -4095 into NULL; a larger
	 * negative int (from a size it kept in an int) comes back as a
	 * "pointer" in the top 2 GB, where no user-space object lives. */
	if ((uintptr_t)ld->obj >= UINTPTR_MAX - INT32_MAX) {
		ld->obj = NULL;
		errno = EINVAL;
	}
	if (!ld->obj)
		err = -errno;
	libbpf_set_print(old);
	memcpy(msg, libbpf_msg, sizeof(msg));
	pthread_mutex_unlock(&libbpf_lock);

	if (!ld->obj) {
		/* libbpf's own codes (-4000 and below) mean a bad object. */
		if (err == 0 || err <= -__LIBBPF_ERRNO__START)
			err = -ENOEXEC;
		if (msg[0])
			return ld_err(ld, err, "%s", msg);
		return ld_err(ld, err, "libbpf: cannot open the object: %s", strerror(-err));
	}
	ld->btf = bpf_object__btf(ld->obj);
	return 0;
}

void ld_libbpf_quiet(char *last_msg, size_t sz, void (*fn)(void *), void *arg)
{
	libbpf_print_fn_t old;

	pthread_mutex_lock(&libbpf_lock);
	libbpf_msg[0] = '\0';
	old = libbpf_set_print(capture_print);
	fn(arg);
	libbpf_set_print(old);
	if (last_msg && sz)
		snprintf(last_msg, sz, "%s", libbpf_msg);
	pthread_mutex_unlock(&libbpf_lock);
}

void ld_prog_type(const char *sec_name, uint32_t *type, uint32_t *attach)
{
	enum bpf_prog_type t = BPF_PROG_TYPE_UNSPEC;
	enum bpf_attach_type a = 0;
	libbpf_print_fn_t old;

	/* An unknown name makes libbpf list every name it knows: keep quiet. */
	pthread_mutex_lock(&libbpf_lock);
	old = libbpf_set_print(capture_print);
	if (libbpf_prog_type_by_name(sec_name, &t, &a)) {
		t = BPF_PROG_TYPE_UNSPEC;
		a = 0;
	}
	libbpf_set_print(old);
	pthread_mutex_unlock(&libbpf_lock);
	*type = t;
	*attach = a;
}

void ld_close_libbpf(struct ld *ld)
{
	bpf_object__close(ld->obj);
	ld->obj = NULL;
	ld->btf = NULL;
	free(ld->bpf_buf);
	ld->bpf_buf = NULL;
}

static int set_name(struct ld *ld, char *dst, const char *src, const char *what)
{
	size_t n = strlen(src);

	if (n >= BVC_NAME_MAX)
		return ld_err(ld, -ENAMETOOLONG, "%s name '%.40s...' is longer than %d bytes", what,
			      src, BVC_NAME_MAX - 1);
	memcpy(dst, src, n + 1);
	return 0;
}

/* Offset of the .maps symbol that names @name, UINT64_MAX if none. */
static uint64_t map_symbol_off(const struct ld *ld, const char *name)
{
	size_t i;

	for (i = 0; i < ld->sym_cnt; i++) {
		const struct ld_sym *s = &ld->syms[i];

		if (ld->maps_idx && s->sym.st_shndx == ld->maps_idx &&
		    GELF_ST_TYPE(s->sym.st_info) != STT_SECTION && !strcmp(s->name, name))
			return s->sym.st_value;
	}
	return UINT64_MAX;
}

/*
 * Map values with fields the kernel treats apart. The kernel finds them in
 * the value's BTF (btf_parse_fields) and then refuses plain loads and
 * stores that touch them, checks kptr stores by type, and gives locks,
 * timers, lists and trees their own helpers. We model none of that, and a
 * value we treat as plain bytes would let a program overwrite a kernel
 * pointer or a lock: such maps are marked here, and a program that uses
 * one is refused as unsupported (verifier, ld_imm64).
 */
static const char *const special_structs[] = {
	"bpf_spin_lock", "bpf_res_spin_lock", "bpf_timer", "bpf_wq",       "bpf_task_work",
	"bpf_list_head", "bpf_list_node",     "bpf_rb_root", "bpf_rb_node", "bpf_refcount",
};

#define SPECIAL_DEPTH 32 /* nesting of structs and arrays we follow */

/* The first special field of BTF type @id (named @member where known) into
 * @out; true when there is one, or when the type nests deeper than we look
 * (an answer we cannot give is not "none"). */
static bool find_special(const struct btf *btf, uint32_t id, const char *member, char *out,
			 size_t outsz, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (depth > SPECIAL_DEPTH) {
		snprintf(out, outsz, "fields nested deeper than %d levels", SPECIAL_DEPTH);
		return true;
	}
	if (!t)
		return false;
	switch (btf_kind(t)) {
	case BTF_KIND_TYPE_TAG:
		/* kptr, kptr_untrusted, percpu_kptr, rcu, ...: all typed
		 * pointers with rules of their own. */
		snprintf(out, outsz, "%s '%s'", btf__name_by_offset(btf, t->name_off),
			 member ? member : "?");
		return true;
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_VAR:
		/* A pointer's own target is not in the value; only a tag
		 * directly under it matters, which the recursion sees. */
		if (btf_kind(t) == BTF_KIND_PTR) {
			const struct btf_type *to = btf__type_by_id(btf, t->type);

			return to && btf_kind(to) == BTF_KIND_TYPE_TAG &&
			       find_special(btf, t->type, member, out, outsz, depth + 1);
		}
		if (btf_kind(t) == BTF_KIND_VAR)
			member = btf__name_by_offset(btf, t->name_off);
		return find_special(btf, t->type, member, out, outsz, depth + 1);
	case BTF_KIND_ARRAY:
		return find_special(btf, btf_array(t)->type, member, out, outsz, depth + 1);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const char *name = btf__name_by_offset(btf, t->name_off);
		const struct btf_member *m = btf_members(t);

		for (size_t i = 0; name && i < sizeof(special_structs) / sizeof(special_structs[0]);
		     i++) {
			if (!strcmp(name, special_structs[i])) {
				snprintf(out, outsz, "%s '%s'", name, member ? member : "?");
				return true;
			}
		}
		for (uint16_t i = 0; i < btf_vlen(t); i++, m++)
			if (find_special(btf, m->type, btf__name_by_offset(btf, m->name_off), out,
					 outsz, depth + 1))
				return true;
		return false;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = btf_var_secinfos(t);

		for (uint16_t i = 0; i < btf_vlen(t); i++, v++)
			if (find_special(btf, v->type, NULL, out, outsz, depth + 1))
				return true;
		return false;
	}
	default:
		return false; /* integers, enums, floats, functions */
	}
}

static void mark_special_field(struct ld *ld, struct bvc_map *map)
{
	if (ld->btf && map->btf_value_type_id)
		find_special(ld->btf, map->btf_value_type_id, NULL, map->special_field,
			     sizeof(map->special_field), 0);
}

/* What libbpf says of a map's shape: type, sizes, entries, flags. */
static void copy_shape(struct bvc_map *map, const struct bpf_map *m)
{
	map->type = bpf_map__type(m);
	map->key_size = bpf_map__key_size(m);
	map->value_size = bpf_map__value_size(m);
	map->max_entries = bpf_map__max_entries(m);
	map->flags = bpf_map__map_flags(m);
}

static int add_user_map(struct ld *ld, const struct bpf_map *m)
{
	struct bvc_image *img = ld->img;
	struct bvc_map *map = &img->maps[img->map_cnt];
	int err;

	err = set_name(ld, map->name, bpf_map__name(m), "map");
	if (err)
		return err;
	copy_shape(map, m);
	if (map->type == BPF_MAP_TYPE_STRUCT_OPS)
		return ld_err(ld, -EOPNOTSUPP, "unsupported: struct_ops map '%s'", map->name);
	map->origin = BVC_MAP_USER;
	map->btf_key_type_id = bpf_map__btf_key_type_id(m);
	map->btf_value_type_id = bpf_map__btf_value_type_id(m);
	mark_special_field(ld, map);
	ld->map_offs[img->map_cnt] = map_symbol_off(ld, map->name);
	img->map_cnt++;
	return 0;
}

/* A global-data section as libbpf would create it: an array of one
 * element holding the whole section. */
static int add_data_map(struct ld *ld, size_t sec_idx)
{
	struct ld_sec *sec = &ld->secs[sec_idx];
	struct bvc_image *img = ld->img;
	struct bvc_map *map = &img->maps[img->map_cnt];
	int err, id;

	err = set_name(ld, map->name, sec->name, "section");
	if (err)
		return err;
	if (sec->size > UINT32_MAX)
		return ld_err(ld, -E2BIG, "section '%s': %zu bytes is too large for a map value",
			      sec->name, sec->size);
	map->type = BPF_MAP_TYPE_ARRAY;
	map->key_size = 4;
	map->value_size = (uint32_t)sec->size;
	map->max_entries = 1;
	map->origin = sec->data_kind;
	/* As libbpf 1.1 creates them: read-only for the program when the
	 * section is, and mmapable so user space can reach the variables. The
	 * verifier relies on RDONLY_PROG (and the map being frozen) to treat
	 * reads of .rodata as known constants. */
	map->flags = BPF_F_MMAPABLE;
	if (sec->data_kind == BVC_MAP_RODATA)
		map->flags |= BPF_F_RDONLY_PROG;
	map->init = calloc(1, sec->size);
	if (!map->init)
		return ld_err(ld, -ENOMEM, "out of memory");
	if (sec->data)
		memcpy(map->init, sec->data, sec->size);
	map->init_size = sec->size;
	if (ld->btf) {
		id = btf__find_by_name_kind(ld->btf, sec->name, BTF_KIND_DATASEC);
		map->btf_value_type_id = id > 0 ? (uint32_t)id : 0;
		mark_special_field(ld, map);
	}
	sec->map_idx = (int)img->map_cnt;
	ld->map_offs[img->map_cnt] = UINT64_MAX;
	img->map_cnt++;
	return 0;
}

/* The inner map template of user map @outer (libbpf's inner map, from
 * the outer map's __array(values, ...)), appended after every other map:
 * its index refers to no symbol. */
static int add_inner_map(struct ld *ld, uint32_t outer, const struct bpf_map *m)
{
	struct bvc_image *img = ld->img;
	struct bvc_map *map = &img->maps[img->map_cnt];
	int err;

	err = set_name(ld, map->name, bpf_map__name(m), "map");
	if (err)
		return err;
	copy_shape(map, m);
	map->origin = BVC_MAP_INNER;
	map->btf_key_type_id = bpf_map__btf_key_type_id(m);
	map->btf_value_type_id = bpf_map__btf_value_type_id(m);
	mark_special_field(ld, map);
	ld->map_offs[img->map_cnt] = UINT64_MAX;
	img->maps[outer].has_inner = true;
	img->maps[outer].inner_idx = (uint32_t)img->map_cnt;
	img->map_cnt++;
	return 0;
}

int ld_build_maps(struct ld *ld)
{
	struct bvc_image *img = ld->img;
	struct bpf_map *m;
	size_t n = 0, i;
	int err;

	bpf_object__for_each_map(m, ld->obj)
		if (!bpf_map__is_internal(m))
			n += bpf_map__inner_map(m) ? 2 : 1;
	for (i = 1; i < ld->sec_cnt; i++)
		if (ld->secs[i].is_data)
			n++;
	img->maps = calloc(n ? n : 1, sizeof(*img->maps));
	ld->map_offs = calloc(n ? n : 1, sizeof(*ld->map_offs));
	if (!img->maps || !ld->map_offs)
		return ld_err(ld, -ENOMEM, "out of memory");

	bpf_object__for_each_map(m, ld->obj) {
		if (bpf_map__is_internal(m))
			continue;
		err = add_user_map(ld, m);
		if (err)
			return err;
	}
	for (i = 1; i < ld->sec_cnt; i++) {
		if (!ld->secs[i].is_data)
			continue;
		err = add_data_map(ld, i);
		if (err)
			return err;
	}
	/* User map k is the image's map k. */
	i = 0;
	bpf_object__for_each_map(m, ld->obj) {
		if (bpf_map__is_internal(m))
			continue;
		if (bpf_map__inner_map(m)) {
			err = add_inner_map(ld, (uint32_t)i, bpf_map__inner_map(m));
			if (err)
				return err;
		}
		i++;
	}

	if (ld->btf) {
		const void *raw;
		uint32_t size;

		raw = btf__raw_data(ld->btf, &size);
		if (!raw)
			return ld_err(ld, -ENOMEM, "out of memory");
		img->btf = malloc(size);
		if (!img->btf)
			return ld_err(ld, -ENOMEM, "out of memory");
		memcpy(img->btf, raw, size);
		img->btf_size = size;
	}
	return 0;
}
