// SPDX-License-Identifier: MIT
/*
 * What every bpfvc subcommand does first: open the input (ELF object or raw
 * bytecode) and pick a program. Errors are one line naming the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/loader.h"
#include "cli.h"

void bvc_cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("bpfvc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ELF objects start with \x7fELF; anything else may be raw bytecode. */
static int looks_like_elf(const char *path)
{
	unsigned char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return n == 4 && !memcmp(magic, "\x7f" "ELF", 4);
}

struct bvc_image *bvc_cli_open(const char *path, const char *type_name)
{
	return bvc_cli_open_kc(path, type_name, NULL);
}

struct bvc_image *bvc_cli_open_kc(const char *path, const char *type_name,
				  const struct bvc_kconfig *kc)
{
	struct bvc_image *img = NULL;
	char err[512] = "";
	int elf, type, ret;

	elf = looks_like_elf(path);
	if (elf < 0 || elf == 1) {
		/* Programs the verifier cannot model (externs) are kept and
		 * marked, so verify refuses them as unsupported (exit 1) while
		 * the rest of the object is still verified. The loader words
		 * a missing file as well as we could. */
		struct bvc_load_opts lopts = { .sz = sizeof(lopts), .keep_unsupported = 1,
					       .kconfig = kc };

		ret = bvc_load_elf_opts(path, &lopts, &img, err, sizeof(err));
	} else if (type_name) {
		type = bvc_prog_type_from_name(type_name);
		if (type < 0) {
			bvc_cli_err("%s: unknown program type '%s'", path, type_name);
			return NULL;
		}
		ret = bvc_load_raw(path, (uint32_t)type, &img, err, sizeof(err));
	} else {
		bvc_cli_err("%s: not an ELF object; pass --type TYPE to read it as raw bytecode",
			    path);
		return NULL;
	}
	if (ret) {
		bvc_cli_err("%s", err);
		return NULL;
	}
	return img;
}

const struct bvc_prog *bvc_cli_pick(const struct bvc_image *img, const char *name)
{
	const struct bvc_prog *prog;

	if (name) {
		prog = bvc_image_find_prog(img, name);
		if (!prog)
			bvc_cli_err("%s: no program named '%s'", img->path, name);
		return prog;
	}
	if (img->prog_cnt == 1)
		return &img->progs[0];
	bvc_cli_err("%s: %zu programs; choose one with -p NAME", img->path, img->prog_cnt);
	return NULL;
}

void *bvc_cli_read_file(const char *path, size_t max, const char *what, size_t *size)
{
	size_t cap = 64 * 1024, n = 0;
	uint8_t *buf = NULL, *nb;
	FILE *f = fopen(path, "rb");

	if (!f) {
		bvc_cli_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		nb = realloc(buf, cap);
		if (!nb) {
			bvc_cli_err("%s: out of memory", path);
			goto fail;
		}
		buf = nb;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		if (cap > max) {
			bvc_cli_err("%s: larger than %zu bytes, not %s", path, max, what);
			goto fail;
		}
		cap *= 2;
	}
	if (ferror(f) || n > max) {
		if (ferror(f))
			bvc_cli_err("%s: read failed", path);
		else
			bvc_cli_err("%s: larger than %zu bytes, not %s", path, max, what);
		goto fail;
	}
	fclose(f);
	*size = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

int bvc_cli_wire_name(const struct bvc_prog *prog, const void *object, size_t len,
		      const char *type, char *buf, size_t bufsz)
{
	if (type && (len < 4 || memcmp(object, "\x7f" "ELF", 4)))
		return snprintf(buf, bufsz, "raw:%s", type) >= (int)bufsz ? -1 : 0;
	return snprintf(buf, bufsz, "%s", prog->name) >= (int)bufsz ? -1 : 0;
}


int bvc_cli_parse_size(const char *arg, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!arg || *arg < '0' || *arg > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || !v || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}
