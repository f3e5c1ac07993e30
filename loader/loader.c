// SPDX-License-Identifier: MIT
/*
 * The loader's public edge: read a file, run the ELF pipeline (see
 * internal.h) or wrap raw bytecode, and turn every failure into one line
 * "PATH: problem" plus a negative errno (also left in errno).
 *
 * Raw bytecode is taken as it is: a file of whole 8-byte instructions. A
 * trailing half ld_imm64 or any other encoding problem is the ISA check's to
 * report (bvc_isa_check), with the kernel's words, not ours. In an ELF object
 * the loader itself refuses an ld_imm64 that is cut by the end of its
 * function, because it has to read both halves to relocate it.
 *
 * Must not: print, crash or leak on any input; keep anything from a failed
 * load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfvc/abi.h"
#include "bpfvc/loader.h"
#include "bpfvc/util.h"
#include "internal.h"

/* Largest object or raw file we read: far above any real program, and it
 * keeps instruction indexes well inside 32 bits. */
#define LD_MAX_FILE (1u << 30)

static int vset_err(char *err, size_t errsz, const char *path, const char *fmt, va_list ap)
{
	char *c;
	int n;

	if (!err || !errsz)
		return 0;
	n = snprintf(err, errsz, "%s: ", path);
	if (n >= 0 && (size_t)n < errsz)
		vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
	/* Names come from the file: keep the message one printable line. */
	for (c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return 0;
}

static int set_err(char *err, size_t errsz, const char *path, int ret, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int set_err(char *err, size_t errsz, const char *path, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(err, errsz, path, fmt, ap);
	va_end(ap);
	return ret;
}

int ld_err(struct ld *ld, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(ld->err, ld->errsz, ld->path, fmt, ap);
	va_end(ap);
	return err;
}

/* Read all of @path (regular file, pipe or device) into a new buffer. */
static int read_file(const char *path, uint8_t **bufp, size_t *sizep, char *err, size_t errsz)
{
	uint8_t *buf = NULL, *grown;
	size_t size = 0, cap = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	*bufp = NULL;
	*sizep = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return set_err(err, errsz, path, ret, "cannot open: %s", strerror(-ret));
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return set_err(err, errsz, path, ret, "cannot stat: %s", strerror(-ret));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return set_err(err, errsz, path, -EISDIR, "is a directory");
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > LD_MAX_FILE) {
		close(fd);
		return set_err(err, errsz, path, -EFBIG, "%lld bytes is too large (limit %u)",
			       (long long)st.st_size, LD_MAX_FILE);
	}
	for (;;) {
		if (size == cap) {
			cap = cap ? cap * 2 : (S_ISREG(st.st_mode) && st.st_size ? (size_t)st.st_size + 1 : 65536);
			if (cap > (size_t)LD_MAX_FILE + 1)
				cap = (size_t)LD_MAX_FILE + 1;
			if (size == cap) {
				free(buf);
				close(fd);
				return set_err(err, errsz, path, -EFBIG, "too large (limit %u bytes)",
					       LD_MAX_FILE);
			}
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				close(fd);
				return set_err(err, errsz, path, -ENOMEM, "out of memory");
			}
			buf = grown;
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			free(buf);
			close(fd);
			return set_err(err, errsz, path, ret, "read error: %s", strerror(-ret));
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*sizep = size;
	return 0;
}

static int set_errno(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* license and version: small, fixed sections libbpf also reads. */
static int read_license_version(struct ld *ld)
{
	struct bvc_image *img = ld->img;
	const struct ld_sec *s;
	size_t n;

	if (ld->license_idx) {
		s = &ld->secs[ld->license_idx];
		n = s->size < sizeof(img->license) - 1 ? s->size : sizeof(img->license) - 1;
		n = strnlen((const char *)s->data, n);
		memcpy(img->license, s->data, n);
		img->license[n] = '\0';
	}
	if (ld->version_idx) {
		s = &ld->secs[ld->version_idx];
		if (s->size != sizeof(uint32_t))
			return ld_err(ld, -ENOEXEC, "corrupt 'version' section: %zu bytes, want 4",
				      s->size);
		memcpy(&img->kern_version, s->data, sizeof(uint32_t));
	}
	return 0;
}

int bvc_load_elf_mem_opts(const void *buf, size_t size, const char *path,
			  const struct bvc_load_opts *opts, struct bvc_image **out, char *err,
			  size_t errsz)
{
	struct ld ld = {
		.path = path && *path ? path : "<memory>",
		.keep_unsupported = BVC_OPTS_GET(opts, keep_unsupported, 0) != 0,
		.kconfig = BVC_OPTS_GET(opts, kconfig, NULL),
		.kconfig_map = -1,
		.err = err,
		.errsz = errsz,
	};
	int ret;

	if (err && errsz)
		err[0] = '\0';
	if (!out)
		return set_errno(-EINVAL);
	*out = NULL;
	if (bvc_opts_check(opts, sizeof(*opts), sizeof(size_t), "bvc_load_opts", err, errsz))
		return set_errno(-EINVAL);
	if (!buf || size == 0)
		return set_errno(ld_err(&ld, -ENOEXEC, "empty file, not an ELF object"));
	if (size > LD_MAX_FILE)
		return set_errno(ld_err(&ld, -EFBIG, "%zu bytes is too large (limit %u)", size,
					LD_MAX_FILE));

	ld.buf = malloc(size);
	ld.img = calloc(1, sizeof(*ld.img));
	if (!ld.buf || !ld.img || !(ld.img->path = strdup(ld.path))) {
		ret = ld_err(&ld, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(ld.buf, buf, size);
	ld.size = size;

	ret = ld_check_elf(&ld);
	if (!ret)
		ret = ld_collect_elf(&ld);
	if (!ret)
		ret = read_license_version(&ld);
	if (!ret)
		ret = ld_check_btf(&ld);
	if (!ret)
		ret = ld_check_btf_ext(&ld);
	if (!ret)
		ret = ld_open_libbpf(&ld);
	if (!ret)
		ret = ld_build_maps(&ld);
	if (!ret)
		ret = ld_build_kconfig(&ld, ld.kconfig);
	if (!ret)
		ret = ld_parse_btf_ext(&ld);
	if (!ret)
		ret = ld_build_progs(&ld);
	if (!ret)
		ret = ld_build_slots(&ld);

out:
	ld_close_libbpf(&ld);
	free(ld.fi);
	free(ld.li);
	free(ld.cr);
	free(ld.map_offs);
	ld_free_elf(&ld);
	free(ld.buf);
	if (ret) {
		bvc_image_free(ld.img);
		return set_errno(ret);
	}
	*out = ld.img;
	return 0;
}

int bvc_load_elf_mem(const void *buf, size_t size, const char *path, struct bvc_image **out,
		     char *err, size_t errsz)
{
	return bvc_load_elf_mem_opts(buf, size, path, NULL, out, err, errsz);
}

int bvc_load_elf(const char *path, struct bvc_image **out, char *err, size_t errsz)
{
	return bvc_load_elf_opts(path, NULL, out, err, errsz);
}

int bvc_load_elf_opts(const char *path, const struct bvc_load_opts *opts, struct bvc_image **out,
		      char *err, size_t errsz)
{
	uint8_t *buf;
	size_t size;
	int ret;

	if (err && errsz)
		err[0] = '\0';
	if (!out || !path)
		return set_errno(-EINVAL);
	*out = NULL;
	ret = read_file(path, &buf, &size, err, errsz);
	if (ret)
		return set_errno(ret);
	if (size == 0)
		ret = set_err(err, errsz, path, -ENOEXEC, "empty file, not an ELF object");
	else
		ret = bvc_load_elf_mem_opts(buf, size, path, opts, out, err, errsz);
	free(buf);
	return set_errno(ret);
}

int bvc_load_raw(const char *path, uint32_t type, struct bvc_image **out, char *err, size_t errsz)
{
	uint8_t *buf;
	size_t size;
	int ret;

	if (err && errsz)
		err[0] = '\0';
	if (!out || !path)
		return set_errno(-EINVAL);
	*out = NULL;
	ret = read_file(path, &buf, &size, err, errsz);
	if (ret)
		return set_errno(ret);
	if (size == 0)
		ret = set_err(err, errsz, path, -EINVAL, "empty file, no instructions");
	else if (size % sizeof(struct bvc_insn))
		ret = set_err(err, errsz, path, -EINVAL,
			      "size %zu is not a multiple of 8 (one eBPF instruction)", size);
	else {
		/* malloc'd memory is aligned for struct bvc_insn. */
		ret = bvc_image_from_raw((const struct bvc_insn *)buf, size / sizeof(struct bvc_insn),
					 type, path, out);
		if (ret)
			set_err(err, errsz, path, ret, "%s", strerror(-ret));
	}
	free(buf);
	return set_errno(ret);
}

int bvc_load_job(const void *object, size_t len, const char *prog_name, struct bvc_image **img,
		 const struct bvc_prog **prog, char *why, size_t whysz)
{
	int ret;

	*img = NULL;
	*prog = NULL;
	if (!strncmp(prog_name, "raw:", 4)) {
		int type = bvc_prog_type_from_name(prog_name + 4);

		if (type < 0) {
			snprintf(why, whysz, "unknown program type '%s'", prog_name + 4);
			return -EINVAL;
		}
		if (len % sizeof(struct bvc_insn)) {
			snprintf(why, whysz, "raw program of %zu bytes", len);
			return -EINVAL;
		}
		ret = bvc_image_from_raw((const struct bvc_insn *)object,
					 len / sizeof(struct bvc_insn), (uint32_t)type, "job", img);
		if (ret) {
			snprintf(why, whysz, "raw program: %s", strerror(-ret));
			return ret;
		}
		*prog = &(*img)->progs[0];
		return 0;
	} else {
		/* .kconfig externs take this machine's profile, as the
		 * caller's loader did when it sent the job: the same values
		 * for local workers only. A remote worker on another kernel
		 * would fold in its own, until the Job carries the target's
		 * profile (the target-kernel issue). */
		struct bvc_load_opts lo = { .sz = sizeof(lo), .keep_unsupported = 1 };

		ret = bvc_load_elf_mem_opts(object, len, "job", &lo, img, why, whysz);
		if (ret)
			return ret;
		*prog = bvc_image_find_prog(*img, prog_name);
		if (!*prog) {
			snprintf(why, whysz, "no program named '%s'", prog_name);
			bvc_image_free(*img);
			*img = NULL;
			return -ENOENT;
		}
	}
	return 0;
}
