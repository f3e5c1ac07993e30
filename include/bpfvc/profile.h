/* SPDX-License-Identifier: MIT */
/*
 * bpfvc target profiles: what one device kernel is, so that bpfvc can
 * verify for it away from it (issue #17). A profile holds the kernel's BTF
 * (its /sys/kernel/btf/vmlinux), release ("6.18.44-..."), architecture
 * ("x86_64") and Kconfig text (NAME=VALUE lines of its .config, plus the
 * values libbpf computes itself: LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE,
 * LINUX_HAS_SYSCALL_WRAPPER). The program types and helpers the kernel
 * offers are read from its BTF (enum bpf_prog_type, enum bpf_func_id).
 *
 * The file format is docs/profile-format.md. A profile is input from
 * outside: the reader checks every field and the BTF's layout and says
 * what is wrong in one line. Capturing needs libc and zlib only (it runs
 * on the device), nothing here prints.
 *
 * Errors: a negative errno (-EINVAL a malformed profile or argument,
 * -ENOENT/-EACCES/... a file that cannot be read, -EFBIG too large,
 * -ENOMEM) with one line in @err.
 */
#ifndef BPFVC_PROFILE_H
#define BPFVC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define BVC_PROFILE_VERSION 1
#define BVC_PROFILE_RELEASE_MAX 64 /* bytes of the release, NUL excluded */
#define BVC_PROFILE_ARCH_MAX 31    /* bytes of the architecture, NUL excluded */

/* One enumerator of the profile BTF's enum bpf_prog_type or bpf_func_id,
 * its prefix (BPF_PROG_TYPE_, BPF_FUNC_) removed. */
struct bvc_profile_name {
	uint32_t value; /* the kernel's number */
	char name[64];  /* "xdp" (lower case), "map_lookup_elem" */
};

/* A profile as read or captured. Read-only for callers. */
struct bvc_profile {
	char release[BVC_PROFILE_RELEASE_MAX + 1]; /* uname -r of the device */
	char arch[BVC_PROFILE_ARCH_MAX + 1];       /* uname -m of the device */
	char *kconfig;                             /* NUL-terminated Kconfig text, NULL if
				      * the profile has none */
	size_t kconfig_len;                        /* bytes of @kconfig, NUL excluded */
	uint8_t *btf;                              /* the kernel's raw BTF */
	size_t btf_size;                           /* bytes of @btf */
	struct bvc_profile_name *prog_types;       /* from @btf, ascending by value;
					      * NULL if it has no such enum */
	size_t prog_type_cnt;
	struct bvc_profile_name *helpers; /* idem, enum bpf_func_id */
	size_t helper_cnt;
};

/* Where capture reads from; NULL fields take this machine's. Zero it and
 * set sz (LIBBPF_OPTS style). */
struct bvc_profile_capture_opts {
	size_t sz;               /* sizeof(struct bvc_profile_capture_opts) */
	const char *btf_path;    /* raw BTF, or an ELF object's .BTF section;
				  * default /sys/kernel/btf/vmlinux */
	const char *config_path; /* a .config, plain or gzip'd. Default: this
				  * machine's (/boot/config-RELEASE, else
				  * /proc/config.gz) only when neither
				  * btf_path nor release is given, so another
				  * device's profile never gets this
				  * machine's Kconfig; none found: no
				  * Kconfig in the profile */
	const char *release;     /* default uname -r */
	const char *arch;        /* default uname -m */
};

/* Capture a profile from the files @opts names (NULL: this machine). */
int bvc_profile_capture(const struct bvc_profile_capture_opts *opts, struct bvc_profile **out,
			char *err, size_t errsz);

/* The profile's bytes (docs/profile-format.md); the caller frees @buf. */
int bvc_profile_write(const struct bvc_profile *p, uint8_t **buf, size_t *size, char *err,
		      size_t errsz);

/* Read and check @size bytes of a profile. @buf is only read. */
int bvc_profile_read(const void *buf, size_t size, struct bvc_profile **out, char *err,
		     size_t errsz);

/* bvc_profile_read() on the file at @path; messages start with @path. */
int bvc_profile_load(const char *path, struct bvc_profile **out, char *err, size_t errsz);

/* 1 if the profile's kernel knows helper @id, 0 if not, -1 if its BTF
 * does not say (no enum bpf_func_id). */
int bvc_profile_has_helper(const struct bvc_profile *p, uint32_t id);

/* 1, 0 or -1 likewise for program type @type (enum bpf_prog_type). */
int bvc_profile_has_prog_type(const struct bvc_profile *p, uint32_t type);

/* Check @size bytes as BTF the way the reader does (header, every type
 * record, name offsets). 0 or -EINVAL with why in @err. */
int bvc_profile_check_btf(const void *btf, size_t size, char *err, size_t errsz);

void bvc_profile_free(struct bvc_profile *p);

#endif /* BPFVC_PROFILE_H */
