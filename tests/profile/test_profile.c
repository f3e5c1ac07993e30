// SPDX-License-Identifier: MIT
/*
 * Target profiles (profile/, docs/profile-format.md): capture from given
 * files and from this machine, the round trip, and the reader's checks,
 * one rule at a time on a small hand-made profile: every truncation and
 * every single-byte change is read without a crash, and the malformed
 * ones are refused with the documented message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/profile.h"

/* A small BTF: [1] int, [2] enum bpf_func_id { BPF_FUNC_unspec = 0,
 * BPF_FUNC_map_lookup_elem = 1, __BPF_FUNC_MAX_ID = 2 }, [3] enum
 * bpf_prog_type { BPF_PROG_TYPE_XDP = 6 }. */
static const char strs[] = "\0int\0bpf_func_id\0BPF_FUNC_unspec\0BPF_FUNC_map_lookup_elem\0"
			   "__BPF_FUNC_MAX_ID\0bpf_prog_type\0BPF_PROG_TYPE_XDP";
#define S_INT 1
#define S_FID 5
#define S_UNSPEC 17
#define S_LOOKUP 33
#define S_MAX 58
#define S_PTYPE 76
#define S_XDP 90

static size_t put32s(uint8_t *p, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[4 * i] = (uint8_t)v[i];
		p[4 * i + 1] = (uint8_t)(v[i] >> 8);
		p[4 * i + 2] = (uint8_t)(v[i] >> 16);
		p[4 * i + 3] = (uint8_t)(v[i] >> 24);
	}
	return 4 * n;
}

static size_t make_btf(uint8_t *b)
{
	const uint32_t types[] = {
		S_INT,   1u << 24,     4, 0x01000020, /* int: 32 bits, signed */
		S_FID,   6u << 24 | 3, 4, S_UNSPEC,   0, S_LOOKUP, 1, S_MAX, 2,
		S_PTYPE, 6u << 24 | 1, 4, S_XDP,      6,
	};
	size_t tlen = sizeof(types), slen = sizeof(strs);
	uint32_t hdr[6] = { 0, 24, 0, (uint32_t)tlen, (uint32_t)tlen, (uint32_t)slen };

	put32s(b, hdr, 6);
	b[0] = 0x9f;
	b[1] = 0xeb;
	b[2] = 1;
	b[3] = 0;
	put32s(b + 24, types, sizeof(types) / 4);
	memcpy(b + 24 + tlen, strs, slen);
	return 24 + tlen + slen;
}

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bvc-profile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		cr_log_warn("could not remove %s", dir);
}

TestSuite(profile, .init = setup, .fini = teardown);

static void write_file(const char *name, const void *buf, size_t len, char *path, size_t psz)
{
	FILE *f;

	snprintf(path, psz, "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* The hand-made profile's bytes. */
static uint8_t *sample(size_t *size, struct bvc_profile **captured)
{
	uint8_t btf[512], *out = NULL;
	char bpath[256], cpath[256], err[512] = "";
	const char *config = "CONFIG_BPF=y\nCONFIG_ARCH_HAS_SYSCALL_WRAPPER=y";
	struct bvc_profile_capture_opts o = { .sz = sizeof(o) };
	struct bvc_profile *p = NULL;

	write_file("btf", btf, make_btf(btf), bpath, sizeof(bpath));
	write_file("config", config, strlen(config), cpath, sizeof(cpath));
	o.btf_path = bpath;
	o.config_path = cpath;
	o.release = "6.1.55-dev";
	o.arch = "aarch64";
	cr_assert_eq(bvc_profile_capture(&o, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_profile_write(p, &out, size, err, sizeof(err)), 0, "%s", err);
	if (captured)
		*captured = p;
	else
		bvc_profile_free(p);
	return out;
}

Test(profile, capture_from_files_and_round_trip)
{
	struct bvc_profile *p, *q = NULL;
	char err[512] = "";
	size_t size;
	uint8_t *buf = sample(&size, &p);

	cr_assert_str_eq(p->release, "6.1.55-dev");
	cr_assert_str_eq(p->arch, "aarch64");
	/* the .config, then what libbpf computes: 6.1.55, cookie from 5.15,
	 * the wrapper from the config line */
	cr_assert_str_eq(p->kconfig, "CONFIG_BPF=y\nCONFIG_ARCH_HAS_SYSCALL_WRAPPER=y\n"
				     "LINUX_KERNEL_VERSION=393527\nLINUX_HAS_BPF_COOKIE=1\n"
				     "LINUX_HAS_SYSCALL_WRAPPER=1\n");
	cr_assert_eq(p->helper_cnt, 2, "the __MAX entry is no helper");
	cr_assert_str_eq(p->helpers[1].name, "map_lookup_elem");
	cr_assert_eq(bvc_profile_has_helper(p, 1), 1);
	cr_assert_eq(bvc_profile_has_helper(p, 2), 0);
	cr_assert_eq(p->prog_type_cnt, 1);
	cr_assert_str_eq(p->prog_types[0].name, "xdp");
	cr_assert_eq(bvc_profile_has_prog_type(p, 6), 1);
	cr_assert_eq(bvc_profile_has_prog_type(p, 2), 0);

	cr_assert_eq(bvc_profile_read(buf, size, &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(q->release, p->release);
	cr_assert_str_eq(q->arch, p->arch);
	cr_assert_str_eq(q->kconfig, p->kconfig);
	cr_assert_eq(q->btf_size, p->btf_size);
	cr_assert_eq(memcmp(q->btf, p->btf, p->btf_size), 0);
	cr_assert_eq(q->helper_cnt, 2);
	bvc_profile_free(q);
	bvc_profile_free(p);
	free(buf);
}

Test(profile, capture_elf_object_btf)
{
	struct bvc_profile_capture_opts o = { .sz = sizeof(o),
					      .btf_path = BVC_PROGS_DIR "/profile_btf_a.bpf.o",
					      .release = "6.1.0" };
	struct bvc_profile *p = NULL;
	char err[512] = "";

	cr_assert_eq(bvc_profile_capture(&o, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p->btf[0], 0x9f, "the .BTF section, not the ELF file");
	cr_assert_null(p->kconfig, "another device's profile never takes this machine's .config");
	cr_assert_null(p->helpers, "no enum bpf_func_id: unknown, not none");
	cr_assert_eq(bvc_profile_has_helper(p, 1), -1);
	bvc_profile_free(p);
}

Test(profile, capture_this_machine)
{
	struct bvc_profile *p = NULL;
	char err[512] = "";

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		cr_skip_test("no /sys/kernel/btf/vmlinux");
	cr_assert_eq(bvc_profile_capture(NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(p->helper_cnt, 200, "Linux 6.x has more than 200 helpers");
	cr_assert_eq(bvc_profile_has_helper(p, 1), 1); /* map_lookup_elem */
	cr_assert_eq(bvc_profile_has_helper(p, 100000), 0);
	cr_assert_eq(bvc_profile_has_prog_type(p, 6), 1); /* xdp */
	bvc_profile_free(p);
}

Test(profile, capture_refusals)
{
	struct bvc_profile_capture_opts o = { .sz = sizeof(o) };
	struct bvc_profile *p = NULL;
	char err[512] = "", path[256];

	o.sz = 3;
	cr_assert_eq(bvc_profile_capture(&o, &p, err, sizeof(err)), -EINVAL);
	o.sz = sizeof(o);
	write_file("junk", "not BTF at all, longer than 24 bytes", 36, path, sizeof(path));
	o.btf_path = path;
	o.release = "6.1";
	cr_assert_eq(bvc_profile_capture(&o, &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "BTF: bad magic 0x6f6e (little-endian BTF expected)");
	o.btf_path = "/nonexistent/btf";
	cr_assert_eq(bvc_profile_capture(&o, &p, err, sizeof(err)), -ENOENT);
	o.release = "";
	cr_assert_eq(bvc_profile_capture(&o, &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "release: length 0 outside 1..64");
	cr_assert_null(p);
}

/* Every prefix is refused; every single-byte change is read without a
 * crash (ASan checks the reads), and one in the header or an entry's
 * header is refused unless it leaves a valid profile. */
Test(profile, truncations_and_flips)
{
	struct bvc_profile *p = NULL;
	char err[512];
	size_t size, i, btf_at = 0;
	uint8_t *buf = sample(&size, NULL), *b = malloc(size);

	for (i = 0; i < size; i++) {
		cr_assert_neq(bvc_profile_read(buf, i, &p, err, sizeof(err)), 0, "prefix %zu read",
			      i);
		cr_assert_null(p);
		cr_assert_neq(err[0], 0);
	}
	for (i = 16; i + 4 <= size && !btf_at; i += 8)
		if (!memcmp(buf + i, "\x9f\xeb\x01\x00", 4))
			btf_at = i;
	cr_assert_gt(btf_at, 0);
	for (i = 0; i < size; i++) {
		memcpy(b, buf, size);
		b[i] ^= 0x80;
		if (bvc_profile_read(b, size, &p, err, sizeof(err))) {
			cr_assert_null(p);
		} else {
			/* Bit 7 makes a text byte non-ASCII and a length or a
			 * count too large: only BTF contents (a size, an enum
			 * value, a kind flag) may still be valid. */
			cr_assert_geq(i, btf_at + 24, "flip of byte %zu accepted", i);
			bvc_profile_free(p);
			p = NULL;
		}
	}
	free(b);
	free(buf);
}

struct rule {
	const char *name;
	size_t off; /* byte to set */
	uint8_t val;
	const char *msg; /* the reader's words */
};

Test(profile, each_rule)
{
	/* offsets in the sample: header 16; release entry at 16 (kind, len
	 * 10, 16 bytes padded); arch at 40 (len 7, 8 padded); kconfig at 56 */
	static const struct rule rules[] = {
		{ "magic", 0, 'X', "not a bpfvc profile (no BPFVCPRF magic)" },
		{ "version", 8, 2, "profile format version 2, this reader knows version 1" },
		{ "count", 12, 9, "entry count 9 outside 3..4" },
		{ "unknown kind", 16, 7, "entry 0: unknown kind 7" },
		{ "order", 16, 2, "entry 1 (arch) after arch: entries out of order or repeated" },
		{ "length", 20, 200, "release: length 200 outside 1..64" },
		{ "past the end", 21, 200, NULL }, /* "... outside 1..<size - 24>" */
		{ "padding", 34, 1, "entry 0 (release): padding byte not zero" },
		{ "blank", 25, ' ', "release: byte 1 is 0x20, not a printable non-blank" },
		{ "arch text", 48, 0, "arch: byte 0 is 0x00, not a printable non-blank" },
	};
	struct bvc_profile *p = NULL;
	char err[512];
	size_t size, i;
	uint8_t *buf = sample(&size, NULL), *b = malloc(size);

	cr_assert_eq(memcmp(buf + 24, "6.1.55-dev", 10), 0, "the offsets above hold");
	cr_assert_eq(memcmp(buf + 48, "aarch64", 7), 0);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		memcpy(b, buf, size);
		b[rules[i].off] = rules[i].val;
		err[0] = 0;
		cr_assert_eq(bvc_profile_read(b, size, &p, err, sizeof(err)), -EINVAL, "%s: %s",
			     rules[i].name, err);
		if (rules[i].msg) {
			cr_assert_str_eq(err, rules[i].msg, "%s: %s", rules[i].name, err);
		} else {
			char want[128];

			snprintf(
				want, sizeof(want),
				"entry 0 (release): length 51210 outside 1..%zu (truncated or bad length)",
				size - 24);
			cr_assert_str_eq(err, want);
		}
	}
	/* bytes after the last entry */
	b = realloc(b, size + 8);
	memcpy(b, buf, size);
	memset(b + size, 0, 8);
	cr_assert_eq(bvc_profile_read(b, size + 8, &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "8 bytes after the last entry");
	free(b);
	free(buf);
}

/* The BTF is walked record by record before anyone parses it further. */
Test(profile, btf_checks)
{
	uint8_t btf[512];
	size_t n = make_btf(btf);
	char err[512];
	uint8_t c[512];

	cr_assert_eq(bvc_profile_check_btf(btf, n, err, sizeof(err)), 0, "%s", err);
	memcpy(c, btf, n);
	c[24 + 7] = 25; /* type 1's kind */
	cr_assert_eq(bvc_profile_check_btf(c, n, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "BTF: type 1 has unknown kind 25");
	memcpy(c, btf, n);
	c[24 + 16 + 4] = 0xff; /* enum bpf_func_id's vlen: past the section */
	cr_assert_eq(bvc_profile_check_btf(c, n, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "runs past the type section"), "%s", err);
	memcpy(c, btf, n);
	c[24] = 200; /* type 1's name offset */
	cr_assert_eq(bvc_profile_check_btf(c, n, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "BTF: type 1 has name offset 200 outside the strings");
	memcpy(c, btf, n);
	c[20] = 0xff; /* string section length */
	cr_assert_eq(bvc_profile_check_btf(c, n, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "outside the"), "%s", err);
	cr_assert_eq(bvc_profile_check_btf(btf, 23, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "BTF: 23 bytes, shorter than its header");
}
