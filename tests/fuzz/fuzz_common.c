// SPDX-License-Identifier: MIT
/*
 * Shared parts of the libFuzzer harnesses (fuzz.h): parsing the bytecode
 * harnesses' input, verifying it, the in-memory blob of a JIT result, the
 * wire harness's program and the blob harnesses' key.
 *
 * Must not: print except for a finding, or keep state between inputs that
 * changes a verdict (the image and key built once are read only).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/signer.h"
#include "bpfvc/state_serial.h"
#include "common/insns.h"
#include "fuzz.h"

const uint32_t fuzz_prog_types[] = {
	BVC_PROG_SOCKET_FILTER, BVC_PROG_XDP,        BVC_PROG_SCHED_CLS,
	BVC_PROG_SCHED_ACT,     BVC_PROG_CGROUP_SKB, BVC_PROG_KPROBE,
	BVC_PROG_TRACEPOINT,    BVC_PROG_PERF_EVENT, BVC_PROG_RAW_TRACEPOINT,
};
const size_t fuzz_prog_type_cnt = sizeof(fuzz_prog_types) / sizeof(fuzz_prog_types[0]);

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("FUZZ FINDING: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int fuzz_prog_parse(const uint8_t *data, size_t size, struct fuzz_prog *p)
{
	size_t n, fit;

	if (size < FUZZ_HDR + sizeof(struct bvc_insn))
		return -1;
	p->type = fuzz_prog_types[data[0] % fuzz_prog_type_cnt];
	p->flags = data[1];
	fit = (size - FUZZ_HDR) / sizeof(struct bvc_insn);
	n = data[2] ? data[2] : fit;
	if (n > fit)
		n = fit;
	if (n > FUZZ_MAX_INSNS)
		n = FUZZ_MAX_INSNS;
	memcpy(p->insns, data + FUZZ_HDR, n * sizeof(struct bvc_insn));
	p->cnt = n;
	p->input = data + FUZZ_HDR + n * sizeof(struct bvc_insn);
	p->input_len = size - FUZZ_HDR - n * sizeof(struct bvc_insn);
	return 0;
}

int fuzz_verify(const struct fuzz_prog *p, int log_level, struct bvc_image **img,
		struct bvc_verdict *v)
{
	struct bvc_verify_opts o = { .sz = sizeof(o), .insn_limit = FUZZ_INSN_LIMIT,
				     .log_level = log_level, .log_size = 1 << 16 };
	int ret;

	memset(v, 0, sizeof(*v));
	if (bvc_image_from_raw(p->insns, p->cnt, p->type, "fuzz", img))
		return -1;
	/* GPL, so that GPL-only helpers are reached too. */
	snprintf((*img)->license, sizeof((*img)->license), "GPL");
	ret = bvc_verify(*img, &(*img)->progs[0], &o, v);
	if (ret)
		fuzz_fail("bvc_verify returned %d on a raw program", ret);
	switch (v->kind) {
	case BVC_ACCEPT:
	case BVC_REJECT:
	case BVC_UNSUPPORTED:
		break;
	default:
		fuzz_fail("verdict of kind %s: %s", bvc_verdict_kind_name(v->kind), v->msg);
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void fuzz_blob_of(const struct bvc_image *img, const struct bvc_jit_result *jr,
		  enum bvc_jit_target target, const struct bvc_verdict *v,
		  struct bvc_blob *blob)
{
	uint32_t ids[256];
	size_t n = 0, out = 0;

	memset(blob, 0, sizeof(*blob));
	blob->target = target;
	blob->code = jr->code;
	blob->code_size = jr->code_size;
	blob->entry_off = jr->entry_off;
	blob->relocs = jr->relocs;
	blob->reloc_cnt = jr->reloc_cnt;
	blob->bytecode = jr->lowered;
	blob->bytecode_cnt = jr->lowered_cnt;
	/* The helpers it calls, as `bpfvc build` collects them. */
	for (size_t i = 0; i < jr->lowered_cnt && n < 256; i++) {
		const struct bvc_insn *in = &jr->lowered[i];

		if (in->code == (BVC_JMP | BVC_CALL) && in->src == 0 && in->imm > 0)
			ids[n++] = (uint32_t)in->imm;
	}
	for (size_t i = 0; i < jr->reloc_cnt && n < 256; i++)
		if (jr->relocs[i].kind == BVC_RELOC_HELPER)
			ids[n++] = jr->relocs[i].target;
	qsort(ids, n, sizeof(ids[0]), cmp_u32);
	for (size_t i = 0; i < n && out < BVC_BLOB_MAX_HELPERS; i++)
		if (!out || ids[i] != blob->meta.helper_ids[out - 1])
			blob->meta.helper_ids[out++] = ids[i];
	blob->meta.helper_cnt = (uint32_t)out;
	snprintf(blob->meta.prog_name, sizeof(blob->meta.prog_name), "fuzz");
	snprintf(blob->meta.license, sizeof(blob->meta.license), "GPL");
	snprintf(blob->meta.verifier, sizeof(blob->meta.verifier), "%s", bvc_wire_build_id());
	blob->meta.prog_type = img->progs[0].type;
	blob->meta.stack_depth = jr->stack_size;
	blob->meta.processed_insns = v->processed;
}

const struct bvc_image *fuzz_wire_image(void)
{
	static struct bvc_image *img;
	struct bvc_insn p[64];
	size_t n = 0;

	if (img)
		return img;
	/* main: a few branches on skb->len, stack spills, one call */
	p[n++] = I_MOV64_REG(6, 1);
	p[n++] = I_LDX(BVC_W, 7, 1, 0);
	p[n++] = I_STX(BVC_DW, 10, 6, -8);
	p[n++] = I_ST(BVC_DW, 10, -16, 5);
	for (int i = 0; i < 4; i++) {
		p[n++] = I_MOV64_REG(3, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 3, 1 << i);
		p[n++] = I_JMP_IMM(BVC_JNE, 3, 0, 2);
		p[n++] = I_STX(BVC_DW, 10, 6, -24 - 8 * i);
		p[n++] = I_JA(1);
		p[n++] = I_STX(BVC_DW, 10, 7, -24 - 8 * i);
	}
	p[n++] = I_MOV64_REG(1, 7);
	p[n++] = I_CALL_LOCAL(2);
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	/* the subprogram: branches on its argument */
	p[n++] = I_MOV64_REG(7, 1);
	for (int i = 0; i < 3; i++) {
		p[n++] = I_MOV64_REG(3, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 3, 1 << i);
		p[n++] = I_JMP_IMM(BVC_JNE, 3, 0, 1);
		p[n++] = I_ST(BVC_DW, 10, -8 * (i + 1), i);
	}
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	if (bvc_image_from_raw(p, n, BVC_PROG_SOCKET_FILTER, "wire", &img))
		fuzz_fail("cannot build the wire harness's program");
	snprintf(img->license, sizeof(img->license), "GPL");
	return img;
}

const struct bvc_key *fuzz_key(void)
{
	static struct bvc_key *key;
	char err[256];

	if (!key && bvc_signer_load_private(BVC_FUZZ_DIR "/fuzz_key", &key, err, sizeof(err)))
		fuzz_fail("cannot load the test key: %s", err);
	return key;
}
