// SPDX-License-Identifier: MIT
/*
 * bpfvc inspect OUT.bvc [--pubkey KEY.pub]: what a blob holds - header,
 * section table, signature, metadata, maps, relocations, the native code
 * disassembled with capstone (relocation slots marked) and the lowered
 * bytecode in kernel log syntax.
 *
 * Without --pubkey the blob is checked for structure only and the output
 * says the signature was not checked. With it, a signature that does not
 * verify is reported, the rest still shown, and the exit code is 1.
 * Exit 0 shown (and verified with --pubkey), 1 refused by the reader or a
 * bad signature, 2 bad usage or an unreadable file or key.
 *
 * capstone is opened here, when there is code to show (dlopen): linked
 * into bpfvc, its relocations alone cost every command about 2 ms of CPU
 * at start-up. Without it the code is not disassembled, and the output
 * says why.
 *
 * Must not: look at any byte bvc_blob_read() has not accepted.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "bpfvc/blob.h"
#include "bpfvc/disasm.h"
#include "bpfvc/jitter.h"
#include "bpfvc/signer.h"
#include "cli.h"

static const char inspect_usage[] = "usage: bpfvc inspect OUT.bvc [--pubkey KEY.pub]\n";

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *helper_str(uint32_t id, char *buf, size_t sz)
{
	const char *name = id <= INT32_MAX ? bvc_helper_name((int32_t)id) : NULL;

	snprintf(buf, sz, "%s#%u", name ? name : "unknown", id);
	return buf;
}

static const char *rt_name(uint32_t fn)
{
	switch (fn) {
	case BVC_RT_LD_ABS_B: return "ld_abs_b";
	case BVC_RT_LD_ABS_H: return "ld_abs_h";
	case BVC_RT_LD_ABS_W: return "ld_abs_w";
	}
	return "unknown";
}

/* "helper bpf_map_lookup_elem#1", "map_value 1 (.data)+8", ... */
static const char *reloc_str(const struct bvc_blob *b, const struct bvc_reloc *r, char *buf,
			     size_t sz)
{
	char h[96];

	switch (r->kind) {
	case BVC_RELOC_HELPER:
		snprintf(buf, sz, "helper %s", helper_str(r->target, h, sizeof(h)));
		break;
	case BVC_RELOC_MAP:
		snprintf(buf, sz, "map %u (%s)", r->target, b->maps[r->target].name);
		break;
	case BVC_RELOC_MAP_VALUE:
		snprintf(buf, sz, "map_value %u (%s)+%d", r->target, b->maps[r->target].name,
			 r->addend);
		break;
	case BVC_RELOC_RUNTIME:
		snprintf(buf, sz, "runtime %s", rt_name(r->target));
		break;
	case BVC_RELOC_PROG_ARRAY:
		snprintf(buf, sz, "prog_array table %u (%s)", r->target, b->maps[r->target].name);
		break;
	default:
		snprintf(buf, sz, "kind %u target %u", r->kind, r->target); /* reader refuses */
		break;
	}
	return buf;
}

static void print_sections(const uint8_t *buf)
{
	uint32_t n = le32(buf + 20), i;

	printf("sections (%u):\n", n);
	printf("  %-2s %-10s %10s %10s\n", "#", "kind", "offset", "size");
	for (i = 0; i < n; i++) {
		const uint8_t *e = buf + BVC_BLOB_HEADER_SIZE + i * BVC_BLOB_SECTION_ENTRY_SIZE;

		printf("  %-2u %-10s %#10x %10u\n", i, bvc_blob_sec_name(le32(e)), le32(e + 4),
		       le32(e + 8));
	}
}

static void print_meta(const struct bvc_blob *b)
{
	const struct bvc_blob_meta *m = &b->meta;
	const char *tn = bvc_prog_type_name(m->prog_type);
	char h[96];
	int i;

	printf("program: %s, type %s (%u), expected attach type %u, license \"%s\"\n",
	       m->prog_name, tn ? tn : "unknown", m->prog_type, m->expected_attach_type,
	       m->license);
	printf("entry: %#zx, stack depth %u bytes\n", b->entry_off, m->stack_depth);
	printf("bytecode sha256: ");
	for (i = 0; i < 32; i++)
		printf("%02x", m->bytecode_sha256[i]);
	printf("\n");
	printf("verifier: %s, processed %llu insns, total states %llu, peak states %llu, "
	       "max states per insn %u\n",
	       m->verifier[0] ? m->verifier : "(none)", (unsigned long long)m->processed_insns,
	       (unsigned long long)m->total_states, (unsigned long long)m->peak_states,
	       m->max_states_per_insn);
	printf("helpers (%u):", m->helper_cnt);
	for (uint32_t k = 0; k < m->helper_cnt; k++)
		printf(" %s", helper_str(m->helper_ids[k], h, sizeof(h)));
	printf("\n");
	/* The kernel it was verified for: a device with another refuses it. */
	if (b->has_kernel) {
		printf("kernel: %s (%s), BTF sha256 ", b->kernel_release,
		       b->kernel_arch[0] ? b->kernel_arch : "?");
		for (i = 0; i < 32; i++)
			printf("%02x", b->kernel_btf_sha256[i]);
		printf("\n");
	}
}

static void print_maps(const struct bvc_blob *b)
{
	printf("maps (%zu):\n", b->map_cnt);
	for (size_t i = 0; i < b->map_cnt; i++) {
		const struct bvc_blob_map *m = &b->maps[i];

		printf("  %zu: %s: %s key %u value %u max_entries %u flags %#x", i, m->name,
		       bvc_map_type_name(m->type), m->key_size, m->value_size, m->max_entries,
		       m->flags);
		if (m->init)
			printf(", initial data %u bytes", m->init_size);
		printf("\n");
	}
}

/* The program table and the prog_array slots (tail calls). */
static void print_progs(const struct bvc_blob *b)
{
	if (!b->prog_cnt)
		return;
	printf("programs (%zu):\n", b->prog_cnt);
	for (size_t i = 0; i < b->prog_cnt; i++) {
		const struct bvc_blob_prog *p = &b->progs[i];

		printf("  %zu: %s: entry %#x, tail entry %#x, stack %u bytes, bytecode [%u, +%u)\n", i,
		       p->name, p->entry_off, p->tail_entry_off, p->stack_depth, p->insn_off,
		       p->insn_cnt);
	}
	printf("prog_array slots (%zu):\n", b->slot_cnt);
	for (size_t i = 0; i < b->slot_cnt; i++)
		printf("  %s[%u] = %s\n", b->maps[b->slots[i].map].name, b->slots[i].key,
		       b->progs[b->slots[i].prog].name);
}

/* The .kconfig externs, with the values the program was verified with
 * (little-endian numbers; char arrays as text). */
static void print_kconfig(const struct bvc_blob *b)
{
	const struct bvc_blob_map *m;

	if (!b->kconfig_var_cnt)
		return;
	m = &b->maps[b->kconfig_map];
	printf("kconfig externs (%zu, map %s, profile: %s):\n", b->kconfig_var_cnt, m->name,
	       b->kconfig_source[0] ? b->kconfig_source : "-");
	for (size_t i = 0; i < b->kconfig_var_cnt; i++) {
		const struct bvc_blob_kconfig_var *v = &b->kconfig_vars[i];
		const uint8_t *val = m->init + v->off;
		uint64_t x = 0;

		printf("  %s = ", v->name);
		if (v->size > 8) {
			printf("\"");
			for (uint32_t k = 0; k < v->size && val[k]; k++)
				putchar(val[k] >= 0x20 && val[k] < 0x7f ? val[k] : '?');
			printf("\"\n");
			continue;
		}
		for (uint32_t k = v->size; k-- > 0;)
			x = x << 8 | val[k];
		printf("%llu (%#llx)\n", (unsigned long long)x, (unsigned long long)x);
	}
}

static void print_relocs(const struct bvc_blob *b)
{
	char s[160];

	printf("relocations (%zu):\n", b->reloc_cnt);
	for (size_t i = 0; i < b->reloc_cnt; i++)
		printf("  %zu: %#06x %s\n", i, b->relocs[i].offset,
		       reloc_str(b, &b->relocs[i], s, sizeof(s)));
}

static void print_bytes(const uint8_t *p, size_t n)
{
	int col = 0;

	for (size_t i = 0; i < n; i++)
		col += printf("%02x ", p[i]);
	printf("%*s", col < 33 ? 33 - col : 1, "");
}

/* The part of capstone we use, opened on first use. */
static struct {
	cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
	size_t (*disasm)(csh handle, const uint8_t *code, size_t size, uint64_t address,
			 size_t count, cs_insn **insn);
	void (*free)(cs_insn *insn, size_t count);
	cs_err (*close)(csh *handle);
} cs_api;

/* 0, or -1 with @why set: capstone (BVC_CAPSTONE_SONAME, the library we
 * were built against) cannot be opened. */
static int capstone_load(char *why, size_t whysz)
{
	void *h;

	if (cs_api.open)
		return 0;
	h = dlopen(BVC_CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, whysz, "%s", dlerror());
		return -1;
	}
	*(void **)&cs_api.disasm = dlsym(h, "cs_disasm");
	*(void **)&cs_api.free = dlsym(h, "cs_free");
	*(void **)&cs_api.close = dlsym(h, "cs_close");
	*(void **)&cs_api.open = dlsym(h, "cs_open");
	if (!cs_api.disasm || !cs_api.free || !cs_api.close || !cs_api.open) {
		snprintf(why, whysz, "%s lacks cs_open, cs_disasm, cs_free or cs_close",
			 BVC_CAPSTONE_SONAME);
		cs_api.open = NULL;
		dlclose(h);
		return -1;
	}
	return 0;
}

/* Native code, one instruction a line; 8-byte relocation slots that are not
 * inside an instruction (arm64 and Thumb literals) print as ".quad". */
static void print_code(const struct bvc_blob *b)
{
	const char *tname = bvc_jit_target_name((enum bvc_jit_target)b->target);
	size_t pos = 0, ri = 0;
	cs_arch arch;
	cs_mode mode;
	csh cs;
	int x86 = 0, step;
	char s[160];

	printf("code (%s, %zu bytes, entry %#zx):\n", tname ? tname : "?", b->code_size,
	       b->entry_off);
	switch (b->target) {
	case BVC_JIT_X86_64: arch = CS_ARCH_X86; mode = CS_MODE_64; x86 = 1; step = 1; break;
	case BVC_JIT_ARM64: arch = CS_ARCH_ARM64; mode = CS_MODE_ARM; step = 4; break;
	case BVC_JIT_THUMBV7M:
		arch = CS_ARCH_ARM;
		mode = (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS);
		step = 2;
		break;
	default: return; /* the reader refuses other targets */
	}
	if (capstone_load(s, sizeof(s))) {
		printf("  (capstone cannot be loaded: %s: not disassembled)\n", s);
		return;
	}
	if (cs_api.open(arch, mode, &cs) != CS_ERR_OK) {
		printf("  (capstone cannot open %s: not disassembled)\n", tname ? tname : "?");
		return;
	}
	while (pos < b->code_size) {
		size_t limit = b->code_size - pos;
		cs_insn *insn = NULL;
		size_t n;

		while (ri < b->reloc_cnt && b->relocs[ri].offset + 8 <= pos)
			ri++;
		if (pos == b->entry_off)
			printf("<entry>:\n");
		if (!x86 && ri < b->reloc_cnt && b->relocs[ri].offset == pos) {
			uint64_t v = 0;

			for (int k = 7; k >= 0; k--)
				v = v << 8 | b->code[pos + (size_t)k];
			printf("  %04zx: ", pos);
			print_bytes(b->code + pos, 8);
			printf(".quad %#llx    ; reloc %s\n", (unsigned long long)v,
			       reloc_str(b, &b->relocs[ri], s, sizeof(s)));
			pos += 8;
			continue;
		}
		/* Stop before the next literal slot and the entry label. */
		if (!x86 && ri < b->reloc_cnt && b->relocs[ri].offset > pos)
			limit = b->relocs[ri].offset - pos < limit ? b->relocs[ri].offset - pos : limit;
		if (b->entry_off > pos && b->entry_off - pos < limit)
			limit = b->entry_off - pos;
		n = cs_api.disasm(cs, b->code + pos, limit, pos, 1, &insn);
		if (n == 1) {
			printf("  %04zx: ", pos);
			print_bytes(b->code + pos, insn->size);
			printf("%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
			for (size_t k = ri; k < b->reloc_cnt && b->relocs[k].offset < pos + insn->size;
			     k++)
				if (b->relocs[k].offset >= pos)
					printf("    ; reloc %s at %#x",
					       reloc_str(b, &b->relocs[k], s, sizeof(s)),
					       b->relocs[k].offset);
			printf("\n");
			pos += insn->size;
			cs_api.free(insn, n);
			continue;
		}
		n = limit < (size_t)step ? limit : (size_t)step;
		printf("  %04zx: ", pos);
		print_bytes(b->code + pos, n);
		printf("(bad)\n");
		pos += n;
	}
	cs_api.close(&cs);
}

static void print_blob(const char *path, const uint8_t *buf, const struct bvc_blob *b,
		       const char *sigline)
{
	const char *tname = bvc_jit_target_name((enum bvc_jit_target)b->target);
	char hex[17];

	printf("%s: %zu bytes\n", path, b->size);
	printf("header: bpfvc blob format %d, target %s (%u), flags %#x\n", BVC_BLOB_VERSION,
	       tname ? tname : "?", b->target, b->flags);
	print_sections(buf);
	printf("signature: Ed25519 by key %s: %s\n", bvc_signer_key_id_hex(b->key_id, hex),
	       sigline);
	print_meta(b);
	print_maps(b);
	print_progs(b);
	print_kconfig(b);
	print_relocs(b);
	print_code(b);
	if (b->bytecode) {
		printf("bytecode (%zu insns):\n", b->bytecode_cnt);
		fflush(stdout);
		bvc_disasm_prog(b->bytecode, b->bytecode_cnt, stdout);
	} else {
		printf("bytecode: none\n");
	}
}

/* Declared here and in main.c rather than in cli.h, which this change
 * leaves alone; move it there when convenient. */
int bvc_cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path, *pubpath = NULL;
	struct bvc_key *key = NULL;
	struct bvc_blob *b = NULL;
	char err[512] = "", line[700];
	uint8_t *buf = NULL;
	size_t size = 0;
	int c, ret, rc = BVC_EXIT_BAD_INPUT;

	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': pubpath = optarg; break;
		case 'h': fputs(inspect_usage, stdout); return BVC_EXIT_OK;
		default: fputs(inspect_usage, stderr); return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind + 1 != argc) {
		bvc_cli_err("inspect: expected one blob file");
		fputs(inspect_usage, stderr);
		return BVC_EXIT_BAD_INPUT;
	}
	path = argv[optind];
	if (pubpath && bvc_signer_load_public(pubpath, &key, err, sizeof(err))) {
		bvc_cli_err("inspect: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	buf = bvc_cli_read_file(path, BVC_BLOB_MAX_SIZE, "a blob", &size);
	if (!buf)
		goto out;

	ret = bvc_blob_read(buf, size, key, &b, err, sizeof(err));
	if (!ret) {
		if (key)
			snprintf(line, sizeof(line), "verified with %s", pubpath);
		else
			snprintf(line, sizeof(line),
				 "not checked (structure only; pass --pubkey KEY.pub to verify)");
		print_blob(path, buf, b, line);
		rc = BVC_EXIT_OK;
	} else if (key && ret == -EKEYREJECTED) {
		/* Show what the blob holds, and why it is not trusted. */
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(line, sizeof(line), "REJECTED with %s: %s", pubpath, why);
		if (bvc_blob_read(buf, size, NULL, &b, err, sizeof(err)) == 0)
			print_blob(path, buf, b, line);
		bvc_cli_err("%s: refused: %s", path, why);
		rc = BVC_EXIT_REJECT;
	} else {
		bvc_cli_err("%s: refused: %s", path, err);
		rc = ret == -ENOMEM ? BVC_EXIT_BAD_INPUT : BVC_EXIT_REJECT;
	}
out:
	bvc_blob_free(b);
	free(buf);
	bvc_signer_key_free(key);
	return rc;
}
