// SPDX-License-Identifier: MIT
/*
 * Target profiles (include/bpfvc/profile.h, docs/profile-format.md):
 * capture from a device's files, write, read back with every field checked.
 *
 * This file runs on devices (capture) and reads files from anywhere (read),
 * so it uses libc and zlib only and trusts nothing it reads: every length
 * is checked before the bytes behind it are touched, and the BTF is walked
 * record by record before anyone (libbpf included) parses it further.
 * It must not print, and must not look at this machine when the caller
 * names another device's files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "bpfvc/profile.h"
#include "bpfvc/util.h"

/* File layout (docs/profile-format.md). */
#define PROF_MAGIC "BPFVCPRF"
#define PROF_HDR 16
#define ENT_HDR 8
#define KIND_RELEASE 1
#define KIND_ARCH 2
#define KIND_KCONFIG 3
#define KIND_BTF 4
#define KIND_MAX 4
#define PROF_MAX (1u << 30)     /* the whole file */
#define KCONFIG_MAX (16u << 20) /* a .config is ~200 KiB */
#define BTF_MAX (512u << 20)    /* vmlinux BTF is ~6 MiB */

/* BTF (the kernel's Documentation/bpf/btf.rst). */
#define BTF_MAGIC 0xeb9f
#define BTF_HDR_MIN 24
#define BTF_KIND_ENUM 6
#define BTF_KIND_ENUM64 19
#define BTF_KIND_LAST 19

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Bytes that follow a BTF type record of @kind with @vlen entries; -1 for
 * a kind this reader does not know. */
static long btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case 1:  /* INT */
	case 14: /* VAR */
	case 17: /* DECL_TAG */
		return 4;
	case 3: /* ARRAY */
		return 12;
	case 4:  /* STRUCT */
	case 5:  /* UNION */
	case 15: /* DATASEC */
	case 19: /* ENUM64 */
		return 12L * vlen;
	case 6:  /* ENUM */
	case 13: /* FUNC_PROTO */
		return 8L * vlen;
	case 2:  /* PTR */
	case 7:  /* FWD */
	case 8:  /* TYPEDEF */
	case 9:  /* VOLATILE */
	case 10: /* CONST */
	case 11: /* RESTRICT */
	case 12: /* FUNC */
	case 16: /* FLOAT */
	case 18: /* TYPE_TAG */
		return 0;
	default:
		return -1;
	}
}

struct btf_view {
	const uint8_t *types, *strs;
	uint32_t types_len, strs_len;
};

/* A name offset must land inside the string section, on a string that
 * ends there. */
static const char *btf_str(const struct btf_view *v, uint32_t off)
{
	if (off >= v->strs_len || !memchr(v->strs + off, 0, v->strs_len - off))
		return NULL;
	return (const char *)v->strs + off;
}

static int btf_view(const void *btf, size_t size, struct btf_view *v, char *err, size_t errsz)
{
	const uint8_t *b = btf;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;

	if (size < BTF_HDR_MIN) {
		bvc_set_err(err, errsz, "BTF: %zu bytes, shorter than its header", size);
		return -EINVAL;
	}
	if (rd16(b) != BTF_MAGIC) {
		bvc_set_err(err, errsz, "BTF: bad magic 0x%04x (little-endian BTF expected)",
			    rd16(b));
		return -EINVAL;
	}
	if (b[2] != 1 || b[3] != 0) {
		bvc_set_err(err, errsz, "BTF: version %u flags %u, only version 1 flags 0 known",
			    b[2], b[3]);
		return -EINVAL;
	}
	hdr_len = rd32(b + 4);
	type_off = rd32(b + 8);
	type_len = rd32(b + 12);
	str_off = rd32(b + 16);
	str_len = rd32(b + 20);
	if (hdr_len < BTF_HDR_MIN || hdr_len > size) {
		bvc_set_err(err, errsz, "BTF: header length %u outside 24..%zu", hdr_len, size);
		return -EINVAL;
	}
	if ((uint64_t)type_off + type_len > size - hdr_len ||
	    (uint64_t)str_off + str_len > size - hdr_len || type_off % 4 || type_len % 4) {
		bvc_set_err(
			err, errsz,
			"BTF: type section %u+%u or string section %u+%u outside the %zu bytes after the header (or misaligned)",
			type_off, type_len, str_off, str_len, size - hdr_len);
		return -EINVAL;
	}
	if (!str_len || b[hdr_len + str_off] != 0 || b[hdr_len + str_off + str_len - 1] != 0) {
		bvc_set_err(err, errsz, "BTF: string section does not start and end with NUL");
		return -EINVAL;
	}
	v->types = b + hdr_len + type_off;
	v->types_len = type_len;
	v->strs = b + hdr_len + str_off;
	v->strs_len = str_len;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct bvc_profile_name *x = a, *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

/* The enumerators of enum @ename whose names start with @prefix, prefix
 * removed (lower-cased with @lower). "__MAX_..." style entries are left
 * out: they name no program type or helper. */
static int take_enum(const struct btf_view *v, const uint8_t *t, uint32_t vlen, const char *prefix,
		     int lower, struct bvc_profile_name **out, size_t *cnt)
{
	struct bvc_profile_name *names = calloc(vlen ? vlen : 1, sizeof(*names));
	size_t plen = strlen(prefix), n = 0, i, k;

	if (!names)
		return -ENOMEM;
	for (i = 0; i < vlen; i++) {
		const uint8_t *e = t + 12 + 8 * i;
		const char *s = btf_str(v, rd32(e));

		if (!s || strncmp(s, prefix, plen) || strlen(s + plen) >= sizeof(names[n].name) ||
		    !s[plen])
			continue;
		names[n].value = rd32(e + 4);
		for (k = 0; s[plen + k]; k++) {
			char c = s[plen + k];

			names[n].name[k] =
				lower && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_name);
	free(*out);
	*out = names;
	*cnt = n;
	return 0;
}

/* Walk every type record of the BTF: kinds known, records inside the type
 * section, names inside the string section. With @p, also collect its
 * enum bpf_prog_type and enum bpf_func_id. */
static int btf_walk(const void *btf, size_t size, struct bvc_profile *p, char *err, size_t errsz)
{
	struct btf_view v;
	uint32_t off = 0, id = 1;
	int ret = btf_view(btf, size, &v, err, errsz);

	if (ret)
		return ret;
	while (off < v.types_len) {
		const uint8_t *t = v.types + off;
		uint32_t info, kind, vlen;
		const char *name;
		long extra;

		if (v.types_len - off < 12) {
			bvc_set_err(err, errsz,
				    "BTF: type %u cut short at byte %u of the type section", id,
				    off);
			return -EINVAL;
		}
		info = rd32(t + 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		extra = btf_extra(kind, vlen);
		if (extra < 0) {
			bvc_set_err(err, errsz, "BTF: type %u has unknown kind %u", id, kind);
			return -EINVAL;
		}
		if ((uint64_t)v.types_len - off - 12 < (uint64_t)extra) {
			bvc_set_err(err, errsz,
				    "BTF: type %u (kind %u, vlen %u) runs past the type section",
				    id, kind, vlen);
			return -EINVAL;
		}
		name = btf_str(&v, rd32(t));
		if (!name) {
			bvc_set_err(err, errsz,
				    "BTF: type %u has name offset %u outside the strings", id,
				    rd32(t));
			return -EINVAL;
		}
		if (p && kind == BTF_KIND_ENUM) {
			if (!strcmp(name, "bpf_prog_type"))
				ret = take_enum(&v, t, vlen, "BPF_PROG_TYPE_", 1, &p->prog_types,
						&p->prog_type_cnt);
			else if (!strcmp(name, "bpf_func_id"))
				ret = take_enum(&v, t, vlen, "BPF_FUNC_", 0, &p->helpers,
						&p->helper_cnt);
			if (ret) {
				bvc_set_err(err, errsz, "out of memory");
				return ret;
			}
		}
		off += 12 + (uint32_t)extra;
		id++;
	}
	return 0;
}

int bvc_profile_check_btf(const void *btf, size_t size, char *err, size_t errsz)
{
	return btf_walk(btf, size, NULL, err, errsz);
}

/* Release and arch: non-empty, printable, no blank (they become words of
 * messages and blob fields). */
static int check_word(const char *s, size_t len, size_t max, const char *what, char *err,
		      size_t errsz)
{
	size_t i;

	if (!len || len > max) {
		bvc_set_err(err, errsz, "%s: length %zu outside 1..%zu", what, len, max);
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f) {
			bvc_set_err(err, errsz, "%s: byte %zu is 0x%02x, not a printable non-blank",
				    what, i, (unsigned char)s[i]);
			return -EINVAL;
		}
	return 0;
}

/* Kconfig text: printable ASCII, tabs and newlines; no NUL. */
static int check_text(const char *s, size_t len, const char *what, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f) {
			bvc_set_err(err, errsz, "%s: byte %zu is 0x%02x, not printable text", what,
				    i, c);
			return -EINVAL;
		}
	}
	return 0;
}

void bvc_profile_free(struct bvc_profile *p)
{
	if (!p)
		return;
	free(p->kconfig);
	free(p->btf);
	free(p->prog_types);
	free(p->helpers);
	free(p);
}

static int has(const struct bvc_profile_name *n, size_t cnt, uint32_t v)
{
	const struct bvc_profile_name key = { .value = v };

	if (!n)
		return -1;
	return bsearch(&key, n, cnt, sizeof(*n), cmp_name) != NULL;
}

int bvc_profile_has_helper(const struct bvc_profile *p, uint32_t id)
{
	return has(p->helpers, p->helper_cnt, id);
}

int bvc_profile_has_prog_type(const struct bvc_profile *p, uint32_t type)
{
	return has(p->prog_types, p->prog_type_cnt, type);
}

/* ---- writing and reading ------------------------------------------------ */

static uint8_t *put_entry(uint8_t *o, uint32_t kind, const void *data, size_t len)
{
	wr32(o, kind);
	wr32(o + 4, (uint32_t)len);
	memcpy(o + ENT_HDR, data, len);
	memset(o + ENT_HDR + len, 0, pad8(len) - len);
	return o + ENT_HDR + pad8(len);
}

int bvc_profile_write(const struct bvc_profile *p, uint8_t **buf, size_t *size, char *err,
		      size_t errsz)
{
	size_t rl = strlen(p->release), al = strlen(p->arch), n, cnt = 3;
	uint8_t *b, *o;
	int ret;

	ret = check_word(p->release, rl, BVC_PROFILE_RELEASE_MAX, "release", err, errsz);
	if (!ret)
		ret = check_word(p->arch, al, BVC_PROFILE_ARCH_MAX, "arch", err, errsz);
	if (!ret && p->kconfig && (p->kconfig_len > KCONFIG_MAX || !p->kconfig_len)) {
		bvc_set_err(err, errsz, "kconfig: %zu bytes, outside 1..%u", p->kconfig_len,
			    KCONFIG_MAX);
		ret = -EINVAL;
	}
	if (!ret && p->kconfig)
		ret = check_text(p->kconfig, p->kconfig_len, "kconfig", err, errsz);
	if (!ret && p->btf_size > BTF_MAX) {
		bvc_set_err(err, errsz, "BTF: %zu bytes, more than %u", p->btf_size, BTF_MAX);
		ret = -EFBIG;
	}
	if (!ret)
		ret = bvc_profile_check_btf(p->btf, p->btf_size, err, errsz);
	if (ret)
		return ret;
	n = PROF_HDR + 3 * ENT_HDR + pad8(rl) + pad8(al) + pad8(p->btf_size);
	if (p->kconfig) {
		n += ENT_HDR + pad8(p->kconfig_len);
		cnt++;
	}
	b = malloc(n);
	if (!b) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(b, PROF_MAGIC, 8);
	wr32(b + 8, BVC_PROFILE_VERSION);
	wr32(b + 12, (uint32_t)cnt);
	o = put_entry(b + PROF_HDR, KIND_RELEASE, p->release, rl);
	o = put_entry(o, KIND_ARCH, p->arch, al);
	if (p->kconfig)
		o = put_entry(o, KIND_KCONFIG, p->kconfig, p->kconfig_len);
	put_entry(o, KIND_BTF, p->btf, p->btf_size);
	*buf = b;
	*size = n;
	return 0;
}

static const char *const kind_names[] = { "?", "release", "arch", "kconfig", "btf" };

static int read_entry(struct bvc_profile *p, uint32_t kind, const uint8_t *d, uint32_t len,
		      char *err, size_t errsz)
{
	int ret;

	switch (kind) {
	case KIND_RELEASE:
		ret = check_word((const char *)d, len, BVC_PROFILE_RELEASE_MAX, "release", err,
				 errsz);
		if (!ret)
			memcpy(p->release, d, len);
		return ret;
	case KIND_ARCH:
		ret = check_word((const char *)d, len, BVC_PROFILE_ARCH_MAX, "arch", err, errsz);
		if (!ret)
			memcpy(p->arch, d, len);
		return ret;
	case KIND_KCONFIG:
		if (len > KCONFIG_MAX) {
			bvc_set_err(err, errsz, "kconfig: %u bytes, more than %u", len,
				    KCONFIG_MAX);
			return -EINVAL;
		}
		ret = check_text((const char *)d, len, "kconfig", err, errsz);
		if (ret)
			return ret;
		p->kconfig = malloc(len + 1);
		if (!p->kconfig)
			goto nomem;
		memcpy(p->kconfig, d, len);
		p->kconfig[len] = 0;
		p->kconfig_len = len;
		return 0;
	case KIND_BTF:
		if (len > BTF_MAX) {
			bvc_set_err(err, errsz, "BTF: %u bytes, more than %u", len, BTF_MAX);
			return -EINVAL;
		}
		ret = btf_walk(d, len, p, err, errsz);
		if (ret)
			return ret;
		p->btf = malloc(len);
		if (!p->btf)
			goto nomem;
		memcpy(p->btf, d, len);
		p->btf_size = len;
		return 0;
	}
	return -EINVAL; /* not reached: the caller checked the kind */
nomem:
	bvc_set_err(err, errsz, "out of memory");
	return -ENOMEM;
}

int bvc_profile_read(const void *buf, size_t size, struct bvc_profile **out, char *err,
		     size_t errsz)
{
	const uint8_t *b = buf;
	struct bvc_profile *p;
	uint32_t cnt, i, prev = 0, seen = 0;
	size_t off = PROF_HDR;
	int ret = -EINVAL;

	*out = NULL;
	if (size < PROF_HDR || memcmp(b, PROF_MAGIC, 8)) {
		bvc_set_err(err, errsz, "not a bpfvc profile (no %s magic)", PROF_MAGIC);
		return -EINVAL;
	}
	if (rd32(b + 8) != BVC_PROFILE_VERSION) {
		bvc_set_err(err, errsz, "profile format version %u, this reader knows version %u",
			    rd32(b + 8), BVC_PROFILE_VERSION);
		return -EINVAL;
	}
	if (size > PROF_MAX) {
		bvc_set_err(err, errsz, "profile of %zu bytes, more than %u", size, PROF_MAX);
		return -EINVAL;
	}
	cnt = rd32(b + 12);
	if (cnt < 3 || cnt > KIND_MAX) {
		bvc_set_err(err, errsz, "entry count %u outside 3..%u", cnt, KIND_MAX);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		uint32_t kind, len;
		size_t k;

		if (size - off < ENT_HDR) {
			bvc_set_err(err, errsz,
				    "entry %u: truncated at byte %zu (file of %zu bytes)", i, off,
				    size);
			goto fail;
		}
		kind = rd32(b + off);
		len = rd32(b + off + 4);
		if (!kind || kind > KIND_MAX) {
			bvc_set_err(err, errsz, "entry %u: unknown kind %u", i, kind);
			goto fail;
		}
		if (kind <= prev) {
			bvc_set_err(err, errsz,
				    "entry %u (%s) after %s: entries out of order or repeated", i,
				    kind_names[kind], kind_names[prev]);
			goto fail;
		}
		if (!len || len > size - off - ENT_HDR || pad8(len) > size - off - ENT_HDR) {
			bvc_set_err(
				err, errsz,
				"entry %u (%s): length %u outside 1..%zu (truncated or bad length)",
				i, kind_names[kind], len, size - off - ENT_HDR);
			goto fail;
		}
		for (k = len; k < pad8(len); k++)
			if (b[off + ENT_HDR + k]) {
				bvc_set_err(err, errsz, "entry %u (%s): padding byte not zero", i,
					    kind_names[kind]);
				goto fail;
			}
		ret = read_entry(p, kind, b + off + ENT_HDR, len, err, errsz);
		if (ret)
			goto fail;
		ret = -EINVAL;
		seen |= 1u << kind;
		prev = kind;
		off += ENT_HDR + pad8(len);
	}
	for (i = KIND_RELEASE; i <= KIND_BTF; i++)
		if (i != KIND_KCONFIG && !(seen & (1u << i))) {
			bvc_set_err(err, errsz, "no %s entry (required)", kind_names[i]);
			goto fail;
		}
	if (off != size) {
		bvc_set_err(err, errsz, "%zu bytes after the last entry", size - off);
		goto fail;
	}
	*out = p;
	return 0;
fail:
	bvc_profile_free(p);
	return ret;
}

/* ---- files ---------------------------------------------------------------- */

/* All of @path, at most @max bytes; zlib reads plain files unchanged and
 * gzip'd ones (/proc/config.gz) decompressed. Sysfs files report no size,
 * so read to the end. */
static int read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err,
		     size_t errsz)
{
	gzFile f = gzopen(path, "rb");
	size_t n = 0, cap = 1 << 16;
	uint8_t *b;
	int r;

	if (!f) {
		int e = errno ? errno : ENOENT;

		bvc_set_err(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	b = malloc(cap);
	if (!b)
		goto nomem;
	for (;;) {
		if (n == cap) {
			uint8_t *g;

			if (cap > max) {
				bvc_set_err(err, errsz, "%s: more than %zu bytes", path, max);
				free(b);
				gzclose(f);
				return -EFBIG;
			}
			g = realloc(b, cap * 2);
			if (!g)
				goto nomem;
			b = g;
			cap *= 2;
		}
		r = gzread(f, b + n, (unsigned)(cap - n));
		if (r < 0) {
			int e;
			const char *msg = gzerror(f, &e);

			bvc_set_err(err, errsz, "%s: read error: %s", path,
				    e == Z_ERRNO ? strerror(errno) : msg);
			free(b);
			gzclose(f);
			return -EIO;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	gzclose(f);
	if (n > max) {
		bvc_set_err(err, errsz, "%s: more than %zu bytes", path, max);
		free(b);
		return -EFBIG;
	}
	*buf = b;
	*len = n;
	return 0;
nomem:
	free(b);
	gzclose(f);
	bvc_set_err(err, errsz, "out of memory");
	return -ENOMEM;
}

/* The .BTF section of a little-endian ELF64 object (a BPF object built
 * with -g), so that capture takes a selftests' btf__*.o as it is. Returns
 * 1 with the section's place, 0 if @b is not ELF, -EINVAL if it is ELF
 * without a usable .BTF. */
static int elf_btf(const uint8_t *b, size_t n, size_t *off, size_t *len, char *err, size_t errsz)
{
	uint64_t shoff, i;
	uint32_t shentsize, shnum, shstrndx;
	const uint8_t *strsh;
	uint64_t stroff, strsize;

	if (n < 64 || memcmp(b, "\177ELF", 4))
		return 0;
	if (b[4] != 2 || b[5] != 1)
		goto bad;
	shoff = (uint64_t)rd32(b + 0x28) | (uint64_t)rd32(b + 0x2c) << 32;
	shentsize = rd16(b + 0x3a);
	shnum = rd16(b + 0x3c);
	shstrndx = rd16(b + 0x3e);
	if (shentsize != 64 || shoff > n || (uint64_t)shnum * 64 > n - shoff || shstrndx >= shnum)
		goto bad;
	strsh = b + shoff + (uint64_t)shstrndx * 64;
	stroff = (uint64_t)rd32(strsh + 0x18) | (uint64_t)rd32(strsh + 0x1c) << 32;
	strsize = (uint64_t)rd32(strsh + 0x20) | (uint64_t)rd32(strsh + 0x24) << 32;
	if (stroff > n || strsize > n - stroff)
		goto bad;
	for (i = 0; i < shnum; i++) {
		const uint8_t *sh = b + shoff + i * 64;
		uint32_t name = rd32(sh);
		uint64_t so = (uint64_t)rd32(sh + 0x18) | (uint64_t)rd32(sh + 0x1c) << 32;
		uint64_t ss = (uint64_t)rd32(sh + 0x20) | (uint64_t)rd32(sh + 0x24) << 32;

		if (name >= strsize || strsize - name < 5 || memcmp(b + stroff + name, ".BTF", 5))
			continue;
		if (so > n || ss > n - so)
			goto bad;
		*off = so;
		*len = ss;
		return 1;
	}
	bvc_set_err(err, errsz, "ELF object without a .BTF section");
	return -EINVAL;
bad:
	bvc_set_err(err, errsz, "not a usable little-endian ELF64 object");
	return -EINVAL;
}

/* The values libbpf computes for .kconfig externs rather than reading
 * .config (libbpf.c: kernel version from uname, the cookie from 5.15),
 * written in the .config syntax so one reader takes both. */
static int virtual_kconfig(const char *release, const char *config, size_t config_len, char *buf,
			   size_t bufsz)
{
	unsigned int a = 0, b = 0, c = 0;
	int wrapper = config && (strstr(config, "\nCONFIG_ARCH_HAS_SYSCALL_WRAPPER=y") ||
				 !strncmp(config, "CONFIG_ARCH_HAS_SYSCALL_WRAPPER=y", 33));

	(void)config_len;
	sscanf(release, "%u.%u.%u", &a, &b, &c);
	if (c > 255)
		c = 255;
	return snprintf(
		buf, bufsz,
		"LINUX_KERNEL_VERSION=%u\nLINUX_HAS_BPF_COOKIE=%d\nLINUX_HAS_SYSCALL_WRAPPER=%d\n",
		(a << 16) + (b << 8) + c, a > 5 || (a == 5 && b >= 15), wrapper);
}

int bvc_profile_capture(const struct bvc_profile_capture_opts *opts, struct bvc_profile **out,
			char *err, size_t errsz)
{
	const char *btf_path = BVC_OPTS_GET(opts, btf_path, NULL);
	const char *config_path = BVC_OPTS_GET(opts, config_path, NULL);
	const char *release = BVC_OPTS_GET(opts, release, NULL);
	const char *arch = BVC_OPTS_GET(opts, arch, NULL);
	int this_machine = !btf_path && !release;
	struct bvc_profile *p;
	struct utsname u;
	uint8_t *raw = NULL, *cfg = NULL;
	size_t raw_len, cfg_len = 0, off, len;
	char host_cfg[300], virt[256];
	int ret;

	*out = NULL;
	ret = bvc_opts_check(opts, sizeof(*opts), BVC_OPTS_END(struct bvc_profile_capture_opts, sz),
			     "bvc_profile_capture_opts", err, errsz);
	if (ret)
		return ret;
	if ((!release || !arch) && uname(&u)) {
		bvc_set_err(err, errsz, "uname: %s", strerror(errno));
		return -errno;
	}
	release = release ? release : u.release;
	arch = arch ? arch : u.machine;
	p = calloc(1, sizeof(*p));
	if (!p) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	ret = check_word(release, strlen(release), BVC_PROFILE_RELEASE_MAX, "release", err, errsz);
	if (!ret)
		ret = check_word(arch, strlen(arch), BVC_PROFILE_ARCH_MAX, "arch", err, errsz);
	if (ret)
		goto out;
	strcpy(p->release, release);
	strcpy(p->arch, arch);

	ret = read_file(btf_path ? btf_path : "/sys/kernel/btf/vmlinux", BTF_MAX, &raw, &raw_len,
			err, errsz);
	if (ret)
		goto out;
	ret = elf_btf(raw, raw_len, &off, &len, err, errsz);
	if (ret < 0)
		goto out;
	if (!ret) {
		off = 0;
		len = raw_len;
	}
	ret = btf_walk(raw + off, len, p, err, errsz);
	if (ret)
		goto out;
	p->btf = malloc(len ? len : 1);
	if (!p->btf) {
		ret = -ENOMEM;
		bvc_set_err(err, errsz, "out of memory");
		goto out;
	}
	memcpy(p->btf, raw + off, len);
	p->btf_size = len;

	if (!config_path && this_machine) {
		snprintf(host_cfg, sizeof(host_cfg), "/boot/config-%s", release);
		config_path = host_cfg;
		if (read_file(config_path, KCONFIG_MAX, &cfg, &cfg_len, err, errsz) &&
		    read_file("/proc/config.gz", KCONFIG_MAX, &cfg, &cfg_len, err, errsz))
			cfg = NULL; /* this machine has none: no Kconfig entry */
		config_path = NULL;
	} else if (config_path) {
		ret = read_file(config_path, KCONFIG_MAX, &cfg, &cfg_len, err, errsz);
		if (ret)
			goto out;
	}
	if (cfg) {
		int vl = virtual_kconfig(release, (const char *)cfg, cfg_len, virt, sizeof(virt));
		size_t sep = cfg_len && cfg[cfg_len - 1] != '\n';

		if (cfg_len + sep + (size_t)vl > KCONFIG_MAX) {
			ret = -EFBIG;
			bvc_set_err(err, errsz, "kconfig: more than %u bytes", KCONFIG_MAX);
			goto out;
		}
		p->kconfig = malloc(cfg_len + sep + (size_t)vl + 1);
		if (!p->kconfig) {
			ret = -ENOMEM;
			bvc_set_err(err, errsz, "out of memory");
			goto out;
		}
		memcpy(p->kconfig, cfg, cfg_len);
		if (sep)
			p->kconfig[cfg_len] = '\n';
		memcpy(p->kconfig + cfg_len + sep, virt, (size_t)vl + 1);
		p->kconfig_len = cfg_len + sep + (size_t)vl;
		ret = check_text(p->kconfig, p->kconfig_len, "kconfig", err, errsz);
	}
out:
	free(raw);
	free(cfg);
	if (ret)
		bvc_profile_free(p);
	else
		*out = p;
	return ret;
}

int bvc_profile_load(const char *path, struct bvc_profile **out, char *err, size_t errsz)
{
	uint8_t *b;
	size_t n;
	char why[256];
	FILE *f;
	int ret;

	*out = NULL;
	/* Read plainly: a gzip'd profile is not a profile. */
	f = fopen(path, "rb");

	if (!f) {
		ret = -errno;
		bvc_set_err(err, errsz, "%s: %s", path, strerror(errno));
		return ret;
	}
	b = NULL;
	n = 0;
	{
		size_t cap = 0;
		size_t r;

		do {
			if (n == cap) {
				uint8_t *g;

				if (cap >= PROF_MAX) {
					fclose(f);
					free(b);
					bvc_set_err(err, errsz, "%s: more than %u bytes", path,
						    PROF_MAX);
					return -EFBIG;
				}
				cap = cap ? cap * 2 : 1 << 16;
				g = realloc(b, cap);
				if (!g) {
					fclose(f);
					free(b);
					bvc_set_err(err, errsz, "out of memory");
					return -ENOMEM;
				}
				b = g;
			}
			r = fread(b + n, 1, cap - n, f);
			n += r;
		} while (r);
		if (ferror(f)) {
			fclose(f);
			free(b);
			bvc_set_err(err, errsz, "%s: read error", path);
			return -EIO;
		}
	}
	fclose(f);
	ret = bvc_profile_read(b, n, out, why, sizeof(why));
	if (ret)
		bvc_set_err(err, errsz, "%s: %s", path, why);
	free(b);
	return ret;
}
