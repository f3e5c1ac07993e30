// SPDX-License-Identifier: MIT
/*
 * The kernel a verdict is for (issue #17): a profile given with --profile,
 * or this machine. verify and build share it: CO-RE records are resolved
 * against the target's BTF before the program is verified, and an accepted
 * program's helpers must be ones the target's kernel knows. The BTF's
 * SHA-256 is what a blob records and a device compares.
 *
 * Never falls back from a profile to this machine: a profile that cannot be
 * read is bad input (exit 2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bpfvc/abi.h"
#include "bpfvc/isa.h"
#include "bpfvc/loader.h"
#include "bpfvc/profile.h"
#include "cli.h"

#define HOST_BTF "/sys/kernel/btf/vmlinux"
#define CORE_POISON 195896080 /* libbpf's poisoned-instruction helper id */

/* @src into @dst, cut to fit (uname fields are longer than a blob's). */
static void set_text(char *dst, size_t sz, const char *src)
{
	size_t n = strlen(src);

	if (n >= sz)
		n = sz - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

int bvc_cli_target_open(struct bvc_cli_target *t, const char *profile_path)
{
	char err[512], source[100];

	memset(t, 0, sizeof(*t));
	if (!profile_path)
		return 0;
	if (bvc_profile_load(profile_path, &t->profile, err, sizeof(err))) {
		bvc_cli_err("%s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	set_text(t->release, sizeof(t->release), t->profile->release);
	set_text(t->arch, sizeof(t->arch), t->profile->arch);
	/* .kconfig externs take the profile's values, never this machine's:
	 * a profile without Kconfig gives none (strong externs then fail). */
	snprintf(source, sizeof(source), "profile %s", t->profile->release);
	if (bvc_kconfig_from_text(t->profile->kconfig ? t->profile->kconfig : "",
				  t->profile->kconfig_len, source, &t->kconfig, err, sizeof(err))) {
		bvc_cli_err("%s: Kconfig: %s", profile_path, err);
		bvc_cli_target_close(t);
		return BVC_EXIT_BAD_INPUT;
	}
	return 0;
}

void bvc_cli_target_close(struct bvc_cli_target *t)
{
	bvc_core_target_free(t->core);
	bvc_kconfig_free(t->kconfig);
	bvc_profile_free(t->profile);
	free(t->host_btf);
	memset(t, 0, sizeof(*t));
}

/* The target's BTF: the profile's, or this machine's read once. */
static int target_btf(struct bvc_cli_target *t, const uint8_t **btf, size_t *size)
{
	if (t->profile) {
		*btf = t->profile->btf;
		*size = t->profile->btf_size;
		return 0;
	}
	if (!t->host_btf) {
		struct utsname u;

		t->host_btf = bvc_cli_read_file(HOST_BTF, 1u << 29, "BTF", &t->host_btf_size);
		if (!t->host_btf)
			return -1;
		if (!uname(&u)) {
			set_text(t->release, sizeof(t->release), u.release);
			set_text(t->arch, sizeof(t->arch), u.machine);
		}
	}
	*btf = t->host_btf;
	*size = t->host_btf_size;
	return 0;
}

int bvc_cli_target_hash(struct bvc_cli_target *t, uint8_t md[32])
{
	const uint8_t *btf;
	size_t size;
	unsigned int len = 0;

	if (target_btf(t, &btf, &size))
		return -1;
	if (!EVP_Digest(btf, size, md, &len, EVP_sha256(), NULL) || len != 32) {
		bvc_cli_err("SHA-256 failed");
		return -1;
	}
	return 0;
}

static void refuse(struct bvc_verdict *v, enum bvc_verdict_kind kind, const char *fmt,
		   const char *a, const char *b)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	snprintf(v->msg, sizeof(v->msg), fmt, a, b);
}

int bvc_cli_target_prepare(struct bvc_cli_target *t, struct bvc_image *img, struct bvc_prog *prog,
			   struct bvc_verdict *refusal)
{
	const uint8_t *btf;
	size_t size;
	char why[512];
	int ret;

	if (t->profile && prog->type && bvc_profile_has_prog_type(t->profile, prog->type) == 0) {
		refuse(refusal, BVC_REJECT,
		       "program type %s is not offered by the target kernel %s",
		       bvc_prog_type_name(prog->type), t->release);
		return 1;
	}
	if (!prog->core_relo_cnt)
		return 0;
	/* This machine without BTF: nothing to relocate against. The records
	 * stay (verify notes them, build refuses the program). */
	if (!t->profile && !t->host_btf && access(HOST_BTF, R_OK))
		return 0;
	if (!t->core) {
		if (target_btf(t, &btf, &size))
			return BVC_EXIT_BAD_INPUT;
		if (bvc_core_target_new(btf, size, &t->core, why, sizeof(why))) {
			bvc_cli_err("%s: %s", t->profile ? "profile" : HOST_BTF, why);
			return BVC_EXIT_BAD_INPUT;
		}
	}
	ret = bvc_core_apply(img, prog, t->core, why, sizeof(why));
	if (ret == -ENOMEM) {
		bvc_cli_err("out of memory");
		return BVC_EXIT_BAD_INPUT;
	}
	if (ret) {
		/* libbpf would not load it for this kernel either: refused, not
		 * bad input, so the rest of a batch goes on. */
		memset(refusal, 0, sizeof(*refusal));
		refusal->kind = ret == -EOPNOTSUPP ? BVC_UNSUPPORTED : BVC_REJECT;
		set_text(refusal->msg, sizeof(refusal->msg), why);
		return 1;
	}
	return 0;
}

int bvc_cli_target_check_helpers(const struct bvc_cli_target *t, const struct bvc_prog *prog,
				 struct bvc_verdict *v)
{
	size_t i;

	if (!t->profile || !bvc_verdict_accepted(v))
		return 0;
	for (i = 0; i < prog->insn_cnt; i++) {
		const struct bvc_insn *in = &prog->insns[i];
		const char *name;
		char what[96];

		if (in->code != (BVC_JMP | BVC_CALL) || in->src || in->imm == CORE_POISON)
			continue;
		if (v->facts && v->fact_cnt == prog->insn_cnt && !v->facts[i].seen)
			continue; /* dead code: the kernel never looks at it */
		if (bvc_profile_has_helper(t->profile, (uint32_t)in->imm) != 0)
			continue;
		name = bvc_helper_name(in->imm);
		snprintf(what, sizeof(what), "%s#%d", name ? name : "unknown", in->imm);
		v->kind = BVC_REJECT;
		v->insn = i;
		snprintf(v->msg, sizeof(v->msg), "helper %s is not offered by the target kernel %s",
			 what, t->release);
		return 1;
	}
	return 0;
}
