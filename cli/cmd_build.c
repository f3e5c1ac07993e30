// SPDX-License-Identifier: MIT
/*
 * bpfvc build PROG.o [-p NAME] --target ARCH --key KEY -o OUT.bvc [-w N]:
 * load, verify (in-process, or with -w N >= 1 on a cluster of N local
 * workers: the JIT's facts are then merged over the workers' paths and the
 * coordinator library checks the call chains), JIT for ARCH, and write
 * the signed blob (docs/blob-format.md).
 *
 * Exit 0 built, 1 rejected by the verifier or not supported (the JIT back
 * end, a name too long for the format), 2 bad input or usage, or no
 * verdict (an internal error of the verifier, a cluster failure).
 *
 * Tail calls: when the object has prog_array maps, every program in one of
 * their slots (libbpf's `.values = { [i] = &prog }`) goes into the blob
 * too, verified and compiled like the entry (program 0), with the same
 * program type as the entry (the kernel refuses a prog_array update with a
 * program of another type). Their code is laid out after the entry's, each
 * part 16-byte aligned, with one program table and the slots
 * (docs/blob-format.md, progs section).
 *
 * Must not: write OUT unless the whole pipeline succeeded (the blob goes
 * to a temporary file renamed into place), or sign anything the verifier
 * did not accept.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bpfvc/blob.h"
#include "bpfvc/coordinator.h"
#include "bpfvc/jitter.h"
#include "bpfvc/runtime.h"
#include "bpfvc/signer.h"
#include "bpfvc/state_serial.h"
#include "bpfvc/verifier.h"
#include "cli.h"

static const char build_usage[] =
	"usage: bpfvc build PROG.o [-p NAME] [--type TYPE] --target x86_64|arm64|thumbv7m\n"
	"                   --key KEY -o OUT.bvc [-w N] [--insn-limit N] [--profile FILE]\n"
	"--profile: verify and build for that kernel (bpfvc profile capture): CO-RE\n"
	"relocated for its BTF, which the blob records; a device with another kernel\n"
	"refuses it. Without it, this machine's kernel (recorded when CO-RE used it).\n";

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One program of a multi-program blob, verified and compiled. */
struct part {
	const struct bvc_prog *prog;  /* in the image */
	struct bvc_verdict v;         /* its accept */
	int verified;                 /* @v holds something to release */
	struct bvc_jit_result *jr;    /* its code */
};

/* The helpers the code may call: every helper call in the lowered
 * bytecode and every helper relocation, sorted, without duplicates. */
static int collect_helpers(const struct part *parts, size_t nparts,
			   const struct bvc_jit_result *entry, struct bvc_blob_meta *m,
			   const char *where)
{
	static uint32_t ids[16384];
	size_t n = 0, i, out = 0;

	for (size_t k = 0; k < (nparts ? nparts : 1); k++) {
		const struct bvc_jit_result *jr = nparts ? parts[k].jr : entry;

		for (i = 0; i < jr->lowered_cnt; i++) {
			const struct bvc_insn *insn = &jr->lowered[i];

			if (insn->code == (BVC_JMP | BVC_CALL) && insn->src == 0 && insn->imm > 0) {
				if (n == sizeof(ids) / sizeof(ids[0]))
					break;
				ids[n++] = (uint32_t)insn->imm;
			}
		}
		for (i = 0; i < jr->reloc_cnt && n < sizeof(ids) / sizeof(ids[0]); i++)
			if (jr->relocs[i].kind == BVC_RELOC_HELPER)
				ids[n++] = jr->relocs[i].target;
	}
	qsort(ids, n, sizeof(ids[0]), cmp_u32);
	for (i = 0; i < n; i++) {
		if (out && ids[i] == m->helper_ids[out - 1])
			continue;
		if (out == BVC_BLOB_MAX_HELPERS) {
			bvc_cli_err("%s: unsupported: calls more than %d different helpers "
				    "(the blob format's limit)", where, BVC_BLOB_MAX_HELPERS);
			return -EOPNOTSUPP;
		}
		m->helper_ids[out++] = ids[i];
	}
	m->helper_cnt = (uint32_t)out;
	return 0;
}

/* Copy @src into a name field of @cap bytes; refuse (not cut) a longer one. */
static int copy_name(char *dst, size_t cap, const char *src, const char *what, const char *where)
{
	if (strlen(src) >= cap) {
		bvc_cli_err("%s: unsupported: %s '%s' is longer than %zu bytes (the blob format's limit)",
			    where, what, src, cap - 1);
		return -EOPNOTSUPP;
	}
	snprintf(dst, cap, "%s", src);
	return 0;
}

static int sha256(const void *buf, size_t len, uint8_t md[32])
{
	unsigned int mdlen = 0;

	return EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32 ? 0 : -EIO;
}

/* Write @buf to @path through a temporary file in the same directory, mode
 * 0644 whatever the umask, so a failure never leaves a partial blob. */
static int write_blob(const char *path, const uint8_t *buf, size_t len)
{
	char *tmp = NULL;
	size_t done = 0;
	int fd, ret = 0;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
		bvc_cli_err("out of memory");
		return -ENOMEM;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		bvc_cli_err("%s: %s", path, strerror(errno));
		free(tmp);
		return ret;
	}
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (!ret && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		bvc_cli_err("%s: %s", path, strerror(-ret));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

static int parse_num(const char *arg, const char *opt, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-') {
		bvc_cli_err("build: %s expects a number, got '%s'", opt, arg);
		return -EINVAL;
	}
	return 0;
}

/* Where programs are verified: in-process, or on a cluster. */
struct verifier {
	struct bvc_cluster *cl;       /* NULL: in-process */
	void *object;                 /* the object's bytes, for the workers */
	size_t len;
	const char *type;             /* --type, for raw bytecode */
};

/* Verify @prog into @v (0), or a negative errno with a message printed. */
static int verify_prog(const struct verifier *vf, const struct bvc_image *img,
		       const struct bvc_prog *prog, const struct bvc_verify_opts *vopts,
		       struct bvc_verdict *v)
{
	char pname[160], err[512];
	int ret;

	if (!vf->cl)
		return bvc_verify(img, prog, vopts, v);
	bvc_cli_wire_name(prog, vf->object, vf->len, vf->type, pname, sizeof(pname));
	/* The library's verdict is final: call chains checked, frames set. */
	ret = bvc_cluster_verify(vf->cl, vf->object, vf->len, pname, vopts, v, err, sizeof(err));
	if (ret)
		bvc_cli_err("%s: %s: cluster failure: %s", img->path, prog->name, err);
	return ret;
}

/* Say why @v is no acceptance; the exit code: 1 for a refusal of the
 * program, 2 when there is no verdict (an internal error). */
static int refused(const char *where, const struct bvc_verdict *v)
{
	if (v->kind == BVC_REJECT || v->kind == BVC_UNSUPPORTED) {
		bvc_cli_err("%s: rejected at insn %zu: %s", where, v->insn, v->msg);
		return BVC_EXIT_REJECT;
	}
	bvc_cli_err("%s: internal error, no verdict: %s", where, v->msg[0] ? v->msg : "(no message)");
	return BVC_EXIT_INTERNAL;
}

/* The kernel the blob is for (--profile, or this machine's). */
static struct bvc_cli_target build_tgt;
static int build_tgt_used; /* its BTF decided something: the blob records it */

/* A program with CO-RE records: clang compiled in the offsets of its own
 * headers, so they are resolved against the target's BTF first (in this
 * process: cluster workers would load the object unrelocated, so with
 * workers such programs are still refused). Returns an exit code when
 * the program cannot be built, 0 when it is ready. */
static int refuse_core(const char *where, struct bvc_image *img, const struct bvc_prog *cprog,
		       int workers)
{
	struct bvc_prog *prog = (struct bvc_prog *)cprog; /* the image is ours */
	const struct bvc_core_relo *r = prog->core_relos;
	struct bvc_verdict v;
	int ret;

	if (!workers || !prog->core_relo_cnt) {
		if (prog->core_relo_cnt)
			build_tgt_used = 1;
		ret = bvc_cli_target_prepare(&build_tgt, img, prog, &v);
		if (ret == 1)
			bvc_cli_err("%s: %s%s", where,
				    strncmp(v.msg, "unsupported", 11) ? "rejected: " : "", v.msg);
		if (ret || !prog->core_relo_cnt)
			return ret;
		bvc_cli_err("%s: unsupported: CO-RE relocation at insn %u (%s of '%s', access %s; %zu in the program): no target BTF (this machine has none; use --profile)",
			    where, r->insn, bvc_core_relo_kind_name(r->kind), r->type_name, r->access,
			    prog->core_relo_cnt);
		return BVC_EXIT_REJECT;
	}
	bvc_cli_err("%s: unsupported: CO-RE relocation at insn %u (%s of '%s', access %s; %zu in the program): not applied with workers yet (use -w 0)",
		    where, r->insn, bvc_core_relo_kind_name(r->kind), r->type_name, r->access,
		    prog->core_relo_cnt);
	return BVC_EXIT_REJECT;
}

/*
 * A verified program the device runtime could not load: a map type it
 * cannot create or a helper it does not implement. Such programs are
 * verify-only (`bpfvc verify` decides them); building a blob the device
 * would refuse helps no one, so say so here. Returns 1 when refused.
 */
static int refuse_device(const char *where, const struct bvc_image *img,
			 const struct bvc_prog *prog)
{
	for (size_t i = 0; i < prog->insn_cnt; i++) {
		const struct bvc_insn *insn = &prog->insns[i];

		if (bvc_insn_is_ld_imm64(insn) &&
		    (insn->src == BVC_PSEUDO_MAP_IDX || insn->src == BVC_PSEUDO_MAP_IDX_VALUE) &&
		    (size_t)(uint32_t)insn->imm < img->map_cnt) {
			const struct bvc_map *m = &img->maps[(uint32_t)insn->imm];

			if (!bvc_rt_map_type_supported(m->type)) {
				bvc_cli_err(
					"%s: unsupported on the device: map '%s' (%s) is verify-only, the device runtime cannot host it",
					where, m->name, bvc_map_type_name(m->type));
				return 1;
			}
		}
		if (insn->code == (BVC_JMP | BVC_CALL) && insn->src == 0 &&
		    insn->imm != BVC_HELPER_TAIL_CALL && !bvc_rt_helper_supported(insn->imm)) {
			const char *hn = bvc_helper_name(insn->imm);

			bvc_cli_err(
				"%s: unsupported on the device: helper %s#%d is verify-only, the device runtime does not implement it",
				where, hn ? hn : "unknown", insn->imm);
			return 1;
		}
		if (bvc_insn_is_ld_imm64(insn))
			i++;
	}
	return 0;
}

/* Does @prog load map @idx (ld_imm64 of the map or of its value)? */
static int reads_map(const struct bvc_prog *prog, size_t idx)
{
	for (size_t i = 0; i < prog->insn_cnt; i++) {
		const struct bvc_insn *insn = &prog->insns[i];

		if (!bvc_insn_is_ld_imm64(insn))
			continue;
		if ((insn->src == BVC_PSEUDO_MAP_IDX || insn->src == BVC_PSEUDO_MAP_IDX_VALUE) &&
		    (uint32_t)insn->imm == idx)
			return 1;
		i++;
	}
	return 0;
}

static int cmp_kvar_off(const void *a, const void *b)
{
	const struct bvc_blob_kconfig_var *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * The .kconfig externs the blob's programs read: their values were folded
 * in from one target kernel's profile and branches pruned on them, so the
 * blob records which externs, where, and which profile (the values are the
 * .kconfig map's initial data). *@vars is malloc'd, ascending by offset.
 */
static int kconfig_meta(const struct bvc_image *img, const struct part *parts, size_t nparts,
			const struct bvc_prog *prog, struct bvc_blob *blob,
			struct bvc_blob_kconfig_var **vars, const char *where)
{
	size_t idx = img->map_cnt;
	int used;

	*vars = NULL;
	for (size_t i = 0; i < img->map_cnt; i++)
		if (img->maps[i].origin == BVC_MAP_KCONFIG)
			idx = i;
	if (idx == img->map_cnt || !img->kconfig_var_cnt)
		return 0;
	used = reads_map(prog, idx);
	for (size_t k = 1; k < nparts && !used; k++)
		used = reads_map(parts[k].prog, idx);
	if (!used)
		return 0;
	if (img->kconfig_var_cnt > BVC_BLOB_MAX_KCONFIG) {
		bvc_cli_err("%s: unsupported: %zu kconfig externs (the blob format's limit is %d)",
			    where, img->kconfig_var_cnt, BVC_BLOB_MAX_KCONFIG);
		return -EOPNOTSUPP;
	}
	*vars = calloc(img->kconfig_var_cnt, sizeof(**vars));
	if (!*vars) {
		bvc_cli_err("%s: out of memory", where);
		return -ENOMEM;
	}
	for (size_t i = 0; i < img->kconfig_var_cnt; i++) {
		if (copy_name((*vars)[i].name, sizeof((*vars)[i].name), img->kconfig_vars[i].name,
			      "kconfig extern", where))
			return -EOPNOTSUPP;
		(*vars)[i].off = img->kconfig_vars[i].off;
		(*vars)[i].size = img->kconfig_vars[i].size;
	}
	qsort(*vars, img->kconfig_var_cnt, sizeof(**vars), cmp_kvar_off);
	blob->kconfig_vars = *vars;
	blob->kconfig_var_cnt = img->kconfig_var_cnt;
	blob->kconfig_map = (uint32_t)idx;
	snprintf(blob->kconfig_source, sizeof(blob->kconfig_source), "%s", img->kconfig_source);
	return 0;
}

/* Verify and compile @pt->prog; returns an exit code (BVC_EXIT_OK on success). */
static int build_part(const struct verifier *vf, struct bvc_image *img, struct part *pt,
		      const struct bvc_verify_opts *vopts, const struct bvc_jit_opts *jopts)
{
	char err[512], where[512];
	int ret;

	snprintf(where, sizeof(where), "%s: %s", img->path, pt->prog->name);
	if (pt->prog->unsupported[0]) {
		bvc_cli_err("%s: %s", where, pt->prog->unsupported);
		return BVC_EXIT_REJECT;
	}
	ret = refuse_core(where, img, pt->prog, vf->cl != NULL);
	if (ret)
		return ret;
	ret = verify_prog(vf, img, pt->prog, vopts, &pt->v);
	if (ret) {
		bvc_cli_err("%s: cannot verify (%d)", where, ret);
		return BVC_EXIT_BAD_INPUT;
	}
	pt->verified = 1;
	bvc_cli_target_check_helpers(&build_tgt, pt->prog, &pt->v);
	if (!bvc_verdict_accepted(&pt->v))
		return refused(where, &pt->v);
	if (refuse_device(where, img, pt->prog))
		return BVC_EXIT_REJECT;
	ret = bvc_jit_compile(img, pt->prog, &pt->v, jopts, &pt->jr, err, sizeof(err));
	if (ret) {
		bvc_cli_err("%s: %s", where, err);
		return ret == -EOPNOTSUPP ? BVC_EXIT_REJECT : BVC_EXIT_BAD_INPUT;
	}
	return BVC_EXIT_OK;
}

/* The programs a tail call may reach: every program in a prog_array slot,
 * after the entry, in image order. Refuses one of another program type. */
static int tail_targets(const struct bvc_image *img, const struct bvc_prog *entry,
			struct part *parts, size_t *n)
{
	*n = 1;
	parts[0].prog = entry;
	for (size_t p = 0; p < img->prog_cnt; p++) {
		const struct bvc_prog *prog = &img->progs[p];
		int in_slot = 0;

		for (size_t m = 0; m < img->map_cnt && !in_slot; m++)
			for (size_t k = 0; k < img->maps[m].slot_cnt && !in_slot; k++)
				if (img->maps[m].slots[k].prog == p) {
					in_slot = 1;
					if (prog->type != entry->type) {
						const char *a = bvc_prog_type_name(prog->type);
						const char *b = bvc_prog_type_name(entry->type);

						bvc_cli_err("%s: %s: in slot %u of prog_array '%s' but a %s program, the entry '%s' is %s (the kernel refuses such a prog_array update)",
							    img->path, prog->name,
							    img->maps[m].slots[k].key, img->maps[m].name,
							    a ? a : "unknown", entry->name, b ? b : "unknown");
						return BVC_EXIT_REJECT;
					}
				}
		if (!in_slot || prog == entry)
			continue;
		if (*n == BVC_BLOB_MAX_PROGS) {
			bvc_cli_err("%s: unsupported: more than %d programs reachable by tail calls (the blob format's limit)",
				    img->path, BVC_BLOB_MAX_PROGS);
			return BVC_EXIT_REJECT;
		}
		parts[(*n)++].prog = prog;
	}
	return BVC_EXIT_OK;
}

/* Lay the parts' code out after the entry's (16-byte aligned; x86 pads
 * with int3, arm64 with zero words, UDF), relocations and bytecode
 * appended, and fill the program table and the slots. */
static int link_parts(const struct bvc_image *img, struct part *parts, size_t n,
		      enum bvc_jit_target target, struct bvc_blob *blob, uint8_t **code,
		      struct bvc_reloc **relocs, struct bvc_insn **bc, struct bvc_blob_prog *progs,
		      struct bvc_blob_slot **slots, const char *where)
{
	size_t code_size = 0, reloc_cnt = 0, bc_cnt = 0, slot_cnt = 0, k;

	for (k = 0; k < n; k++) {
		code_size = (code_size + 15) & ~(size_t)15;
		code_size += parts[k].jr->code_size;
		reloc_cnt += parts[k].jr->reloc_cnt;
		bc_cnt += parts[k].jr->lowered_cnt;
	}
	for (size_t m = 0; m < img->map_cnt; m++)
		slot_cnt += img->maps[m].slot_cnt;
	*code = malloc(code_size);
	*relocs = calloc(reloc_cnt ? reloc_cnt : 1, sizeof(**relocs));
	*bc = calloc(bc_cnt ? bc_cnt : 1, sizeof(**bc));
	*slots = calloc(slot_cnt ? slot_cnt : 1, sizeof(**slots));
	if (!*code || !*relocs || !*bc || !*slots) {
		bvc_cli_err("out of memory");
		return BVC_EXIT_BAD_INPUT;
	}
	memset(*code, target == BVC_JIT_X86_64 ? 0xcc : 0, code_size);
	code_size = reloc_cnt = bc_cnt = 0;
	for (k = 0; k < n; k++) {
		const struct bvc_jit_result *jr = parts[k].jr;
		struct bvc_blob_prog *bp = &progs[k];

		code_size = (code_size + 15) & ~(size_t)15;
		memcpy(*code + code_size, jr->code, jr->code_size);
		for (size_t r = 0; r < jr->reloc_cnt; r++) {
			(*relocs)[reloc_cnt] = jr->relocs[r];
			(*relocs)[reloc_cnt++].offset += (uint32_t)code_size;
		}
		memcpy(*bc + bc_cnt, jr->lowered, jr->lowered_cnt * sizeof(**bc));
		if (copy_name(bp->name, sizeof(bp->name), parts[k].prog->name, "program name", where))
			return BVC_EXIT_REJECT;
		bp->prog_type = parts[k].prog->type;
		bp->expected_attach_type = parts[k].prog->expected_attach_type;
		bp->entry_off = (uint32_t)(code_size + jr->entry_off);
		bp->tail_entry_off = (uint32_t)(code_size + jr->tail_entry_off);
		bp->stack_depth = jr->stack_size;
		bp->insn_off = (uint32_t)bc_cnt;
		bp->insn_cnt = (uint32_t)jr->lowered_cnt;
		if (sha256(parts[k].prog->insns, parts[k].prog->insn_cnt * sizeof(struct bvc_insn),
			   bp->bytecode_sha256)) {
			bvc_cli_err("%s: SHA-256 failed", where);
			return BVC_EXIT_BAD_INPUT;
		}
		bc_cnt += jr->lowered_cnt;
		code_size += jr->code_size;
	}
	slot_cnt = 0;
	for (size_t m = 0; m < img->map_cnt; m++)
		for (size_t s = 0; s < img->maps[m].slot_cnt; s++) {
			const struct bvc_prog *sp = &img->progs[img->maps[m].slots[s].prog];

			for (k = 0; k < n && parts[k].prog != sp; k++)
				;
			(*slots)[slot_cnt].map = (uint32_t)m;
			(*slots)[slot_cnt].key = img->maps[m].slots[s].key;
			(*slots)[slot_cnt++].prog = (uint32_t)k;
		}
	blob->code = *code;
	blob->code_size = code_size;
	blob->relocs = *relocs;
	blob->reloc_cnt = reloc_cnt;
	blob->bytecode = *bc;
	blob->bytecode_cnt = bc_cnt;
	blob->progs = progs;
	blob->prog_cnt = n;
	blob->slots = *slots;
	blob->slot_cnt = slot_cnt;
	return BVC_EXIT_OK;
}

/* Declared here and in main.c rather than in cli.h, which this change
 * leaves alone; move it there when convenient. */
int bvc_cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "target", required_argument, NULL, 'T' },
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "workers", required_argument, NULL, 'w' },
		{ "insn-limit", required_argument, NULL, 'L' },
		{ "profile", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_verify_opts vopts = { .sz = sizeof(vopts), .insn_limit = 1000000 };
	struct bvc_jit_opts jopts = { .sz = sizeof(jopts) };
	const char *name = NULL, *type = NULL, *target = NULL, *keypath = NULL, *outpath = NULL;
	const char *profile = NULL;
	struct bvc_verdict v = { .kind = BVC_VERDICT_NONE };
	struct bvc_jit_result *jr = NULL;
	struct bvc_blob_map *maps = NULL;
	struct bvc_blob_kconfig_var *kvars = NULL;
	struct bvc_image *img = NULL;
	const struct bvc_prog *prog;
	struct bvc_blob blob;
	struct bvc_key *key = NULL;
	static struct part parts[BVC_BLOB_MAX_PROGS];
	static struct bvc_blob_prog progs[BVC_BLOB_MAX_PROGS];
	struct bvc_blob_slot *slots = NULL;
	struct bvc_reloc *all_relocs = NULL;
	struct bvc_insn *all_bc = NULL;
	uint8_t *all_code = NULL;
	size_t nparts = 0;
	unsigned long long num;
	uint8_t *out = NULL;
	size_t out_size = 0;
	char err[512] = "", where[512], hex[17];
	int c, ret, rc = BVC_EXIT_BAD_INPUT, verified = 0;
	struct verifier vf = { 0 };
	unsigned int nworkers = 0;

	while ((c = getopt_long(argc, argv, "p:t:o:w:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 't': type = optarg; break;
		case 'T': target = optarg; break;
		case 'k': keypath = optarg; break;
		case 'o': outpath = optarg; break;
		case 'P': profile = optarg; break;
		case 'w':
			if (parse_num(optarg, "-w", &num) || num > 1024) {
				bvc_cli_err("build: -w expects 0..1024 workers");
				return BVC_EXIT_BAD_INPUT;
			}
			nworkers = (unsigned int)num;
			break;
		case 'L':
			if (parse_num(optarg, "--insn-limit", &num))
				return BVC_EXIT_BAD_INPUT;
			vopts.insn_limit = num;
			break;
		case 'h': fputs(build_usage, stdout); return BVC_EXIT_OK;
		default: fputs(build_usage, stderr); return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind + 1 != argc || !target || !keypath || !outpath) {
		bvc_cli_err("build: expected one PROG.o, --target, --key and -o");
		fputs(build_usage, stderr);
		return BVC_EXIT_BAD_INPUT;
	}
	if (bvc_jit_target_from_name(target, &jopts.target, err, sizeof(err))) {
		bvc_cli_err("build: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	if (profile && nworkers) {
		bvc_cli_err("build: --profile is not supported with workers yet (use -w 0)");
		return BVC_EXIT_BAD_INPUT;
	}
	if (bvc_cli_target_open(&build_tgt, profile))
		return BVC_EXIT_BAD_INPUT;
	build_tgt_used = profile != NULL;
	/* The key first: a bad key should not cost a verification. */
	if (bvc_signer_load_private(keypath, &key, err, sizeof(err))) {
		bvc_cli_err("build: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	img = bvc_cli_open_kc(argv[optind], type, build_tgt.kconfig);
	if (!img)
		goto out;
	prog = bvc_cli_pick(img, name);
	if (!prog)
		goto out;
	snprintf(where, sizeof(where), "%s: %s", img->path, prog->name);
	if (prog->unsupported[0]) {
		bvc_cli_err("%s: %s", where, prog->unsupported);
		rc = BVC_EXIT_REJECT;
		goto out;
	}
	ret = refuse_core(where, img, prog, nworkers != 0);
	if (ret) {
		rc = ret;
		goto out;
	}

	if (nworkers) {
		struct bvc_cluster_opts copts = { .sz = sizeof(copts), .nworkers = nworkers,
						  .pin = 1 };

		vf.object = bvc_cli_read_file(argv[optind], BVC_WIRE_OBJECT_MAX,
					      "an object for the workers", &vf.len);
		if (!vf.object)
			goto out;
		vf.type = type;
		if (bvc_cluster_new(&copts, &vf.cl, err, sizeof(err))) {
			bvc_cli_err("build: cannot start %u workers: %s", nworkers, err);
			goto out;
		}
	}
	ret = verify_prog(&vf, img, prog, &vopts, &v);
	if (ret) {
		bvc_cli_err("%s: cannot verify (%d)", where, ret);
		goto out;
	}
	verified = 1;
	bvc_cli_target_check_helpers(&build_tgt, prog, &v);
	if (!bvc_verdict_accepted(&v)) {
		rc = refused(where, &v);
		goto out;
	}
	if (refuse_device(where, img, prog)) {
		rc = BVC_EXIT_REJECT;
		goto out;
	}

	ret = bvc_jit_compile(img, prog, &v, &jopts, &jr, err, sizeof(err));
	if (ret) {
		bvc_cli_err("%s: %s", where, err);
		rc = ret == -EOPNOTSUPP ? BVC_EXIT_REJECT : BVC_EXIT_BAD_INPUT;
		goto out;
	}
	/* Tail-call targets: each verified and compiled as the entry is. */
	memset(parts, 0, sizeof(parts));
	memset(progs, 0, sizeof(progs));
	for (size_t m = 0; m < img->map_cnt; m++)
		if (img->maps[m].type == BVC_MAP_PROG_ARRAY)
			nparts = 1;
	if (nparts) {
		rc = tail_targets(img, prog, parts, &nparts);
		for (size_t k = 1; rc == BVC_EXIT_OK && k < nparts; k++)
			rc = build_part(&vf, img, &parts[k], &vopts, &jopts);
		if (rc != BVC_EXIT_OK)
			goto out;
		rc = BVC_EXIT_BAD_INPUT;
		parts[0].jr = jr;
	}

	memset(&blob, 0, sizeof(blob));
	blob.target = jopts.target;
	blob.code = jr->code;
	blob.code_size = jr->code_size;
	blob.entry_off = jr->entry_off;
	blob.relocs = jr->relocs;
	blob.reloc_cnt = jr->reloc_cnt;
	blob.bytecode = jr->lowered;
	blob.bytecode_cnt = jr->lowered_cnt;
	if (nparts) {
		rc = link_parts(img, parts, nparts, jopts.target, &blob, &all_code, &all_relocs,
				&all_bc, progs, &slots, where);
		if (rc != BVC_EXIT_OK)
			goto out;
		rc = BVC_EXIT_BAD_INPUT;
	}
	if (img->map_cnt) {
		maps = calloc(img->map_cnt, sizeof(*maps));
		if (!maps) {
			bvc_cli_err("out of memory");
			goto out;
		}
	}
	blob.maps = maps;
	blob.map_cnt = img->map_cnt;
	for (size_t i = 0; i < img->map_cnt; i++) {
		const struct bvc_map *m = &img->maps[i];

		if (copy_name(maps[i].name, sizeof(maps[i].name), m->name, "map name", where)) {
			rc = BVC_EXIT_REJECT;
			goto out;
		}
		maps[i].type = m->type;
		maps[i].key_size = m->key_size;
		maps[i].value_size = m->value_size;
		maps[i].max_entries = m->max_entries;
		maps[i].flags = m->flags;
		/* .bss has no bytes in the object: zeros, which the device gives
		 * every new map anyway. */
		if (m->init && m->init_size) {
			maps[i].init = m->init;
			maps[i].init_size = (uint32_t)m->init_size;
		}
	}
	if (copy_name(blob.meta.prog_name, sizeof(blob.meta.prog_name), prog->name,
		      "program name", where) ||
	    copy_name(blob.meta.license, sizeof(blob.meta.license), img->license, "license",
		      where) ||
	    copy_name(blob.meta.verifier, sizeof(blob.meta.verifier), bvc_wire_build_id(),
		      "verifier build id", where) ||
	    collect_helpers(parts, nparts, jr, &blob.meta, where)) {
		rc = BVC_EXIT_REJECT;
		goto out;
	}
	ret = kconfig_meta(img, parts, nparts, prog, &blob, &kvars, where);
	if (ret) {
		rc = ret == -ENOMEM ? BVC_EXIT_INTERNAL : BVC_EXIT_REJECT;
		goto out;
	}
	blob.meta.prog_type = prog->type;
	blob.meta.expected_attach_type = prog->expected_attach_type;
	blob.meta.stack_depth = jr->stack_size;
	blob.meta.processed_insns = v.processed;
	blob.meta.total_states = v.total_states;
	blob.meta.peak_states = v.peak_states;
	blob.meta.max_states_per_insn = v.max_states_per_insn;
	/* The bytecode as it came from the object: struct bvc_insn is its
	 * file layout (isa.h). */
	if (sha256(prog->insns, prog->insn_cnt * sizeof(*prog->insns),
		   blob.meta.bytecode_sha256)) {
		bvc_cli_err("%s: SHA-256 failed", where);
		goto out;
	}

	if (build_tgt_used) {
		/* The blob runs on the kernel it was verified for only. */
		if (bvc_cli_target_hash(&build_tgt, blob.kernel_btf_sha256))
			goto out;
		blob.has_kernel = 1;
		_Static_assert(sizeof(blob.kernel_release) == sizeof(build_tgt.release), "release");
		_Static_assert(sizeof(blob.kernel_arch) == sizeof(build_tgt.arch), "arch");
		memcpy(blob.kernel_release, build_tgt.release, sizeof(blob.kernel_release));
		memcpy(blob.kernel_arch, build_tgt.arch, sizeof(blob.kernel_arch));
	}
	ret = bvc_blob_write(&blob, key, &out, &out_size, err, sizeof(err));
	if (ret) {
		bvc_cli_err("%s: %s", where, err);
		rc = ret == -EINVAL ? BVC_EXIT_REJECT : BVC_EXIT_BAD_INPUT;
		goto out;
	}
	if (write_blob(outpath, out, out_size))
		goto out;
	printf("%s: %s for %s: %zu bytes of code, %zu relocations, %zu maps, %zu insns of "
	       "bytecode; %zu-byte blob signed by key %s\n",
	       outpath, prog->name, target, blob.code_size, blob.reloc_cnt, img->map_cnt,
	       blob.bytecode_cnt, out_size, bvc_signer_key_id_hex(bvc_signer_key_id(key), hex));
	for (size_t k = 1; k < nparts; k++)
		printf("  + %s (tail-call target): %zu bytes of code at 0x%x\n", progs[k].name,
		       parts[k].jr->code_size, progs[k].entry_off);
	rc = BVC_EXIT_OK;
out:
	free(out);
	free(maps);
	free(kvars);
	free(slots);
	free(all_relocs);
	free(all_bc);
	free(all_code);
	for (size_t k = 1; k < nparts; k++) {
		bvc_jit_result_free(parts[k].jr);
		if (parts[k].verified)
			bvc_verdict_release(&parts[k].v);
	}
	bvc_jit_result_free(jr);
	if (verified)
		bvc_verdict_release(&v);
	bvc_image_free(img);
	bvc_signer_key_free(key);
	bvc_cluster_free(vf.cl);
	free(vf.object);
	bvc_cli_target_close(&build_tgt);
	return rc;
}
