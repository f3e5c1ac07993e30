// SPDX-License-Identifier: MIT
/*
 * Kconfig and version externs (`extern ... __kconfig`, the BTF datasec
 * ".kconfig"), resolved as libbpf 1.1 resolves them, against a target
 * kernel's profile instead of the running kernel.
 *
 * Two halves:
 *   - the profile (struct bvc_kconfig, public): NAME=VALUE lines as a
 *     kernel .config spells them, plus the virtual values libbpf computes
 *     itself (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE,
 *     LINUX_HAS_SYSCALL_WRAPPER). bvc_kconfig_from_host() reads this
 *     machine's (/boot/config-RELEASE, else /proc/config.gz, as libbpf,
 *     and uname); bvc_kconfig_from_text() takes any other source, such as
 *     a device's profile;
 *   - the externs (ld_build_kconfig, private): each variable of the
 *     object's .kconfig datasec, at the offset libbpf laid it out (libbpf
 *     writes the offsets back into the BTF it opened), typed and filled as
 *     libbpf does (bool, char, tristate, integers of 1/2/4/8 bytes, char
 *     arrays for strings), into one read-only single-element array map,
 *     ".kconfig", which the verifier reads as constants (as the kernel
 *     reads a frozen BPF_F_RDONLY_PROG map) and the blob carries.
 *
 * A weak extern the profile lacks is 0; a strong one fails the load
 * (-ESRCH), as libbpf's "extern '%s' (strong): not resolved". A value that
 * does not fit its type fails it too, with libbpf's words.
 *
 * Must not: print; read the host's configuration when the caller gave a
 * profile; accept an extern whose type libbpf would not fill.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "bpfvc/loader.h"
#include "bpfvc/util.h"
#include "internal.h"

/* One NAME=VALUE of the profile. */
struct kc_entry {
	char *name;  /* "CONFIG_BPF", "LINUX_KERNEL_VERSION" */
	char *value; /* "y", "m", "0x10", "\"str\"", as written */
};

struct bvc_kconfig {
	struct kc_entry *ents; /* in the order read; the first of a name wins */
	size_t cnt;            /* entries in @ents */
	size_t cap;            /* allocated entries */
	char source[128];      /* where the values came from, for messages
				* and the blob */
};

void bvc_kconfig_free(struct bvc_kconfig *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->cnt; i++) {
		free(kc->ents[i].name);
		free(kc->ents[i].value);
	}
	free(kc->ents);
	free(kc);
}

const char *bvc_kconfig_source(const struct bvc_kconfig *kc)
{
	return kc ? kc->source : "";
}

const char *bvc_kconfig_get(const struct bvc_kconfig *kc, const char *name)
{
	for (size_t i = 0; kc && i < kc->cnt; i++)
		if (!strcmp(kc->ents[i].name, name))
			return kc->ents[i].value;
	return NULL;
}

static int kc_add(struct bvc_kconfig *kc, const char *name, size_t nlen, const char *value,
		  size_t vlen)
{
	struct kc_entry *e;

	if (kc->cnt == kc->cap) {
		size_t cap = kc->cap ? kc->cap * 2 : 256;

		e = realloc(kc->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		kc->ents = e;
		kc->cap = cap;
	}
	e = &kc->ents[kc->cnt];
	e->name = strndup(name, nlen);
	e->value = strndup(value, vlen);
	if (!e->name || !e->value) {
		free(e->name);
		free(e->value);
		return -ENOMEM;
	}
	kc->cnt++;
	return 0;
}

/*
 * Lines of a .config: "NAME=VALUE" with a non-empty value, "# ..." comments
 * ("# CONFIG_X is not set" included: such an option is absent, as for
 * libbpf) and blank lines. Anything else is refused with its line number:
 * a profile is input from outside.
 */
static int kc_parse(struct bvc_kconfig *kc, const char *text, size_t len, char *err, size_t errsz)
{
	size_t pos = 0, line = 0;

	while (pos < len) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos), *eq;
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		int ret;

		pos += n + (nl != NULL);
		line++;
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (!n || l[0] == '#')
			continue;
		eq = memchr(l, '=', n);
		if (!eq || eq == l || eq == l + n - 1) {
			bvc_set_err(err, errsz, "%s: line %zu: expected NAME=VALUE", kc->source,
				    line);
			return -EINVAL;
		}
		for (const char *c = l; c < l + n; c++) {
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				bvc_set_err(err, errsz, "%s: line %zu: control character",
					    kc->source, line);
				return -EINVAL;
			}
		}
		ret = kc_add(kc, l, (size_t)(eq - l), eq + 1, n - (size_t)(eq - l) - 1);
		if (ret) {
			bvc_set_err(err, errsz, "out of memory");
			return ret;
		}
	}
	return 0;
}

int bvc_kconfig_from_text(const char *text, size_t len, const char *source,
			  struct bvc_kconfig **out, char *err, size_t errsz)
{
	struct bvc_kconfig *kc;
	int ret;

	if (!out || (!text && len))
		return -EINVAL;
	*out = NULL;
	kc = calloc(1, sizeof(*kc));
	if (!kc) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	snprintf(kc->source, sizeof(kc->source), "%s", source && *source ? source : "profile");
	ret = kc_parse(kc, text, len, err, errsz);
	if (ret) {
		bvc_kconfig_free(kc);
		return ret;
	}
	*out = kc;
	return 0;
}

/* All of a (possibly gzip'd) file; zlib reads plain files unchanged. */
static int read_gz(const char *path, char **buf, size_t *len)
{
	gzFile f = gzopen(path, "rb");
	size_t cap = 0, n = 0;
	char *b = NULL;
	int r;

	if (!f)
		return -errno ? -errno : -ENOENT;
	for (;;) {
		if (cap - n < 65536) {
			char *g;

			if (cap > (64u << 20)) {
				free(b);
				gzclose(f);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 262144;
			g = realloc(b, cap);
			if (!g) {
				free(b);
				gzclose(f);
				return -ENOMEM;
			}
			b = g;
		}
		r = gzread(f, b + n, (unsigned)(cap - n));
		if (r < 0) {
			free(b);
			gzclose(f);
			return -EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	gzclose(f);
	*buf = b;
	*len = n;
	return 0;
}

/* KERNEL_VERSION(a, b, c) of a release "6.18.44-...", the patch level
 * capped at 255 as the kernel's macro does; 0 when it does not parse. */
static uint32_t kernel_version(const char *release)
{
	unsigned int a, b, c;

	if (sscanf(release, "%u.%u.%u", &a, &b, &c) != 3)
		return 0;
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

int bvc_kconfig_from_host(struct bvc_kconfig **out, char *err, size_t errsz)
{
	struct utsname u;
	char path[128 + sizeof(u.release)], num[32], *text = NULL;
	const char *wrapper;
	size_t len = 0;
	uint32_t ver;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (uname(&u)) {
		ret = -errno;
		bvc_set_err(err, errsz, "uname: %s", strerror(-ret));
		return ret;
	}
	/* libbpf's order: the distribution's copy, then the kernel's own. */
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	ret = read_gz(path, &text, &len);
	if (ret) {
		snprintf(path, sizeof(path), "/proc/config.gz");
		ret = read_gz(path, &text, &len);
	}
	if (ret) {
		bvc_set_err(
			err, errsz,
			"cannot read this kernel's configuration (/boot/config-%s, /proc/config.gz): %s",
			u.release, strerror(-ret));
		return ret;
	}
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ", uname %s", u.release);
	ret = bvc_kconfig_from_text(text, len, path, out, err, errsz);
	free(text);
	if (ret)
		return ret;
	/* The virtual externs libbpf fills from the running kernel: its
	 * version, and two features it probes. Here they follow from the
	 * profile: bpf_get_attach_cookie came with 5.15, syscall wrappers
	 * are what CONFIG_ARCH_HAS_SYSCALL_WRAPPER says. */
	ver = kernel_version(u.release);
	wrapper = bvc_kconfig_get(*out, "CONFIG_ARCH_HAS_SYSCALL_WRAPPER");
	ret = 0;
	if (ver && !bvc_kconfig_get(*out, "LINUX_KERNEL_VERSION")) {
		snprintf(num, sizeof(num), "%u", ver);
		ret = kc_add(*out, "LINUX_KERNEL_VERSION", 20, num, strlen(num));
	}
	if (!ret && !bvc_kconfig_get(*out, "LINUX_HAS_BPF_COOKIE"))
		ret = kc_add(*out, "LINUX_HAS_BPF_COOKIE", 20,
			     ver >= (5u << 16) + (15u << 8) ? "1" : "0", 1);
	if (!ret && !bvc_kconfig_get(*out, "LINUX_HAS_SYSCALL_WRAPPER"))
		ret = kc_add(*out, "LINUX_HAS_SYSCALL_WRAPPER", 25,
			     wrapper && !strcmp(wrapper, "y") ? "1" : "0", 1);
	if (ret) {
		bvc_kconfig_free(*out);
		*out = NULL;
		bvc_set_err(err, errsz, "out of memory");
	}
	return ret;
}

/* ---- the object's externs ---------------------------------------------- */

/* What libbpf fills a .kconfig variable of this BTF type with. */
enum kcfg_kind { KCFG_UNKNOWN, KCFG_CHAR, KCFG_BOOL, KCFG_INT, KCFG_TRISTATE, KCFG_CHAR_ARR };

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int depth = 0; t && depth < 32; depth++) {
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			return t;
		t = btf__type_by_id(btf, t->type);
	}
	return NULL;
}

static enum kcfg_kind kcfg_kind(const struct btf *btf, uint32_t id, bool *is_signed, int depth)
{
	const struct btf_type *t = skip_mods(btf, id);
	const char *name;

	*is_signed = false;
	if (!t || depth > 2)
		return KCFG_UNKNOWN;
	name = btf__name_by_offset(btf, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			return t->size == 1 ? KCFG_BOOL : KCFG_UNKNOWN;
		*is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		if (t->size == 1)
			return KCFG_CHAR;
		if (t->size != 2 && t->size != 4 && t->size != 8)
			return KCFG_UNKNOWN;
		return KCFG_INT;
	case BTF_KIND_ENUM:
		return t->size == 4 && name && !strcmp(name, "libbpf_tristate") ? KCFG_TRISTATE
										: KCFG_UNKNOWN;
	case BTF_KIND_ENUM64:
		return name && !strcmp(name, "libbpf_tristate") ? KCFG_TRISTATE : KCFG_UNKNOWN;
	case BTF_KIND_ARRAY: {
		bool s;

		if (!btf_array(t)->nelems ||
		    kcfg_kind(btf, btf_array(t)->type, &s, depth + 1) != KCFG_CHAR)
			return KCFG_UNKNOWN;
		return KCFG_CHAR_ARR;
	}
	default:
		return KCFG_UNKNOWN;
	}
}

/* One extern being filled. */
struct kcfg_ext {
	const char *name; /* the variable's name */
	enum kcfg_kind kind;
	bool is_signed;     /* integers: signed type */
	uint32_t off, size; /* in the map's value */
	uint8_t *val;       /* where its bytes go */
};

/* Does @v fit the extern's integer of size bytes (libbpf's test: signed
 * types take -2^(n-1)..2^(n-1)-1 as a u64, unsigned ones the low n bits)? */
static bool fits(const struct kcfg_ext *e, uint64_t v)
{
	unsigned int bits = e->size * 8;

	if (e->size == 8)
		return true;
	if (e->is_signed)
		return v + (1ull << (bits - 1)) < (1ull << bits);
	return (v >> bits) == 0;
}

static int set_num(struct ld *ld, struct kcfg_ext *e, uint64_t v)
{
	if (e->kind != KCFG_INT && e->kind != KCFG_CHAR && e->kind != KCFG_BOOL)
		return ld_err(
			ld, -EINVAL,
			"extern (kcfg) '%s': value '%llu' implies integer, char, or boolean type",
			e->name, (unsigned long long)v);
	if (e->kind == KCFG_BOOL && v > 1)
		return ld_err(ld, -EINVAL,
			      "extern (kcfg) '%s': value '%llu' isn't boolean compatible", e->name,
			      (unsigned long long)v);
	if (!fits(e, v))
		return ld_err(ld, -ERANGE,
			      "extern (kcfg) '%s': value '%llu' doesn't fit in %u bytes", e->name,
			      (unsigned long long)v, e->size);
	/* Little-endian target: the low bytes first. */
	for (uint32_t i = 0; i < e->size; i++)
		e->val[i] = (uint8_t)(v >> (8 * i));
	return 0;
}

/* A value of the profile into extern @e, with libbpf's rules: y/n/m for
 * bool, tristate and char; "..." for char arrays; numbers (strtoull, base
 * 0) for integers and char. */
static int set_value(struct ld *ld, struct kcfg_ext *e, const char *value, bool config)
{
	unsigned long long num;
	char *end;
	size_t len;

	if (!config) {
		/* Virtual externs hold numbers (libbpf computes them). */
		errno = 0;
		num = strtoull(value, &end, 0);
		if (errno || *end || !*value)
			return ld_err(ld, -EINVAL,
				      "extern (kcfg) '%s': value '%s' isn't a valid integer",
				      e->name, value);
		return set_num(ld, e, num);
	}
	switch (value[0]) {
	case 'y':
	case 'n':
	case 'm':
		if (e->kind == KCFG_BOOL) {
			if (value[0] == 'm')
				return ld_err(
					ld, -EINVAL,
					"extern (kcfg) '%s': value '%c' implies tristate or char type",
					e->name, value[0]);
			e->val[0] = value[0] == 'y';
		} else if (e->kind == KCFG_TRISTATE) {
			/* enum libbpf_tristate: TRI_NO 0, TRI_YES 1, TRI_MODULE 2 */
			uint64_t t = value[0] == 'y' ? 1 : value[0] == 'm' ? 2 : 0;

			for (uint32_t i = 0; i < e->size; i++)
				e->val[i] = (uint8_t)(t >> (8 * i));
		} else if (e->kind == KCFG_CHAR) {
			e->val[0] = (uint8_t)value[0];
		} else {
			return ld_err(
				ld, -EINVAL,
				"extern (kcfg) '%s': value '%c' implies bool, tristate, or char type",
				e->name, value[0]);
		}
		return 0;
	case '"':
		if (e->kind != KCFG_CHAR_ARR)
			return ld_err(ld, -EINVAL,
				      "extern (kcfg) '%s': value '%s' implies char array type",
				      e->name, value);
		len = strlen(value);
		if (len < 2 || value[len - 1] != '"')
			return ld_err(ld, -EINVAL, "extern (kcfg) '%s': invalid string config '%s'",
				      e->name, value);
		len -= 2;
		/* libbpf cuts a long string to the array, NUL included. */
		if (len >= e->size)
			len = e->size - 1;
		memcpy(e->val, value + 1, len);
		e->val[len] = 0;
		return 0;
	default:
		errno = 0;
		num = strtoull(value, &end, 0);
		if (errno || *end)
			return ld_err(ld, -EINVAL,
				      "extern (kcfg) '%s': value '%s' isn't a valid integer",
				      e->name, value);
		if (e->kind != KCFG_INT && e->kind != KCFG_CHAR)
			return ld_err(ld, -EINVAL,
				      "extern (kcfg) '%s': value '%s' implies integer type",
				      e->name, value);
		return set_num(ld, e, num);
	}
}

/* Is the extern symbol @name weak? libbpf takes the ELF binding. */
static bool is_weak(const struct ld *ld, const char *name)
{
	for (size_t i = 0; i < ld->sym_cnt; i++) {
		const struct ld_sym *s = &ld->syms[i];

		if (s->sym.st_shndx == SHN_UNDEF && !strcmp(s->name, name))
			return GELF_ST_BIND(s->sym.st_info) == STB_WEAK;
	}
	return false;
}

static int fill_one(struct ld *ld, const struct bvc_kconfig *kc, struct kcfg_ext *e,
		    struct bvc_kconfig_var *rec)
{
	bool config = !strncmp(e->name, "CONFIG_", 7);
	bool virt = !strcmp(e->name, "LINUX_KERNEL_VERSION") ||
		    !strcmp(e->name, "LINUX_HAS_BPF_COOKIE") ||
		    !strcmp(e->name, "LINUX_HAS_SYSCALL_WRAPPER");
	const char *value = NULL;
	int ret;

	/* libbpf knows CONFIG_* and its three virtual externs; any other
	 * LINUX_* is 0 when weak, anything else an error. */
	if (!config && !virt && (strncmp(e->name, "LINUX_", 6) || !is_weak(ld, e->name)))
		return ld_err(ld, -EINVAL, "extern (kcfg) '%s': unrecognized virtual extern", e->name);
	if (config || virt)
		value = bvc_kconfig_get(kc, e->name);
	if (!value) {
		if (!is_weak(ld, e->name))
			return ld_err(ld, -ESRCH, "extern '%s' (strong): not resolved (%s)",
				      e->name, bvc_kconfig_source(kc));
		return 0; /* weak: 0, as libbpf */
	}
	ret = set_value(ld, e, value, config);
	if (ret)
		return ret;
	rec->set = true;
	return 0;
}

int ld_build_kconfig(struct ld *ld, const struct bvc_kconfig *given)
{
	struct bvc_image *img = ld->img;
	struct bvc_kconfig *host = NULL;
	const struct bvc_kconfig *kc = given;
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;
	struct bvc_map *map, *grown;
	char err[256] = "";
	int id, ret = 0;
	uint16_t n;

	if (!ld->btf)
		return 0;
	id = btf__find_by_name_kind(ld->btf, ".kconfig", BTF_KIND_DATASEC);
	if (id <= 0)
		return 0;
	sec = btf__type_by_id(ld->btf, (uint32_t)id);
	n = btf_vlen(sec);
	if (!n)
		return 0;
	if (!sec->size)
		return ld_err(ld, -ENOEXEC,
			      "corrupt BTF: .kconfig datasec of 0 bytes with %u externs", n);
	if (!kc) {
		ret = bvc_kconfig_from_host(&host, err, sizeof(err));
		if (ret)
			return ld_err(ld, ret, "kconfig externs: %s", err);
		kc = host;
	}

	grown = realloc(img->maps, (img->map_cnt + 1) * sizeof(*img->maps));
	if (!grown) {
		ret = ld_err(ld, -ENOMEM, "out of memory");
		goto out;
	}
	img->maps = grown;
	map = &img->maps[img->map_cnt];
	memset(map, 0, sizeof(*map));
	strcpy(map->name, ".kconfig");
	map->type = BVC_MAP_ARRAY;
	map->key_size = 4;
	map->value_size = sec->size;
	map->max_entries = 1;
	/* As libbpf creates it: read-only for the program, mmapable, and
	 * frozen once filled, so the kernel reads it as constants. */
	map->flags = BPF_F_MMAPABLE | BPF_F_RDONLY_PROG;
	map->origin = BVC_MAP_KCONFIG;
	map->btf_value_type_id = (uint32_t)id;
	map->init = calloc(1, sec->size);
	map->init_size = sec->size;
	img->kconfig_vars = calloc(n, sizeof(*img->kconfig_vars));
	if (!map->init || !img->kconfig_vars) {
		free(map->init);
		map->init = NULL;
		ret = ld_err(ld, -ENOMEM, "out of memory");
		goto out;
	}
	ld->kconfig_map = (int)img->map_cnt;
	img->map_cnt++;
	snprintf(img->kconfig_source, sizeof(img->kconfig_source), "%s", bvc_kconfig_source(kc));

	vs = btf_var_secinfos(sec);
	for (uint16_t i = 0; i < n; i++, vs++) {
		const struct btf_type *v = btf__type_by_id(ld->btf, vs->type);
		struct bvc_kconfig_var *rec = &img->kconfig_vars[img->kconfig_var_cnt];
		struct kcfg_ext e = { 0 };
		__s64 size;

		if (!v || !btf_is_var(v)) {
			ret = ld_err(ld, -ENOEXEC,
				     "corrupt BTF: .kconfig entry %u is not a variable", i);
			goto out;
		}
		e.name = btf__name_by_offset(ld->btf, v->name_off);
		size = btf__resolve_size(ld->btf, v->type);
		if (!e.name || !*e.name || strlen(e.name) >= BVC_NAME_MAX || size <= 0 ||
		    vs->offset > sec->size || (uint64_t)size > sec->size - vs->offset) {
			ret = ld_err(
				ld, -ENOEXEC,
				"corrupt BTF: .kconfig entry %u ('%s', %lld bytes at %u of %u)", i,
				e.name ? e.name : "?", (long long)size, vs->offset, sec->size);
			goto out;
		}
		e.kind = kcfg_kind(ld->btf, v->type, &e.is_signed, 0);
		if (e.kind == KCFG_UNKNOWN) {
			ret = ld_err(ld, -EOPNOTSUPP,
				     "unsupported: extern (kcfg) '%s': type is unsupported",
				     e.name);
			goto out;
		}
		e.off = vs->offset;
		e.size = (uint32_t)size;
		e.val = map->init + e.off;
		strcpy(rec->name, e.name);
		rec->off = e.off;
		rec->size = e.size;
		ret = fill_one(ld, kc, &e, rec);
		if (ret)
			goto out;
		img->kconfig_var_cnt++;
	}
	/* libbpf lays the externs out without overlap; a BTF that says
	 * otherwise would let one value hide another. */
	for (size_t i = 0; i < img->kconfig_var_cnt; i++)
		for (size_t k = i + 1; k < img->kconfig_var_cnt; k++) {
			const struct bvc_kconfig_var *a = &img->kconfig_vars[i],
						     *b = &img->kconfig_vars[k];

			if (a->off < b->off + b->size && b->off < a->off + a->size) {
				ret = ld_err(ld, -ENOEXEC,
					     "corrupt BTF: .kconfig externs '%s' and '%s' overlap",
					     a->name, b->name);
				goto out;
			}
		}
out:
	bvc_kconfig_free(host);
	return ret;
}

const struct bvc_kconfig_var *ld_kconfig_var(const struct ld *ld, const char *name)
{
	const struct bvc_image *img = ld->img;

	if (ld->kconfig_map < 0)
		return NULL;
	for (size_t i = 0; i < img->kconfig_var_cnt; i++)
		if (!strcmp(img->kconfig_vars[i].name, name))
			return &img->kconfig_vars[i];
	return NULL;
}
