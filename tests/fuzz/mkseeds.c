// SPDX-License-Identifier: MIT
/*
 * Writes the seed inputs of the fuzz harnesses (scripts/fuzz.sh --seed):
 *   wire/     one real encoded message of every kind (work items and
 *             checkpoints donated by a real engine run)
 *   blob/     blobs signed by the test key, for x86_64 and arm64
 *   verify/   raw programs in the bytecode harnesses' format (fuzz.h):
 *             every program of the ELF objects given, and a few written
 *             here (issue #19's findings among them); run/ and jit_x86/
 *             take the same seeds
 * Usage: fuzz_mkseeds OUTDIR [OBJ.o ...]. The corpus kept in the
 * repository is these seeds after a campaign and a merge (minimized).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfvc/engine.h"
#include "bpfvc/loader.h"
#include "bpfvc/signer.h"
#include "bpfvc/state_serial.h"
#include "common/insns.h"
#include "fuzz.h"

static const char *outdir;
static unsigned nseeds;

static void put(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "mkseeds: cannot write %s\n", path);
		exit(2);
	}
	nseeds++;
}

static void put_msg(const char *name, const struct bvc_wire_msg *m)
{
	char err[256];
	void *buf;
	size_t len;

	if (bvc_wire_encode(m, &buf, &len, err, sizeof(err))) {
		fprintf(stderr, "mkseeds: %s: %s\n", name, err);
		exit(2);
	}
	put("wire", name, buf, len);
	free(buf);
}

static void wire_seeds(void)
{
	static uint8_t trail[4] = { 0xa5, 0x01 };
	static uint8_t object[64] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95 };
	static uint8_t seen[8] = { 0xff, 0x0f };
	static struct bvc_wire_fact facts[2] = {
		{ .insn = 1, .mem_base = BVC_FACT_CTX, .ctx_field = 0, .ctx_off = 0, .ctx_size = 4,
		  .map_idx = -1 },
		{ .insn = 3, .mem_base = BVC_FACT_STACK, .ctx_field = -1, .map_idx = -1 },
	};
	const struct bvc_image *img = fuzz_wire_image();
	struct bvc_verify_opts vo = { .sz = sizeof(vo) };
	struct bvc_wire_msg m;
	struct bvc_engine *eng;
	unsigned nwork = 0;
	int ret = BVC_ENGINE_MORE;

	bvc_wire_hello_init(&m, 4);
	put_msg("hello", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_HEARTBEAT;
	m.u.heartbeat.job_id = 3;
	m.u.heartbeat.processed_insns = 123456;
	put_msg("heartbeat", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_CANCEL;
	m.u.cancel.job_id = BVC_WIRE_CANCEL_REJOIN;
	put_msg("cancel", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_REJECT;
	m.u.reject.job_id = 2;
	m.u.reject.kind = BVC_REJECT;
	m.u.reject.insn = 7;
	snprintf(m.u.reject.message, sizeof(m.u.reject.message), "R0 !read_ok");
	m.u.reject.trail = trail;
	m.u.reject.trail_len = 9;
	put_msg("reject", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_JOB;
	m.u.job.job_id = 1;
	snprintf(m.u.job.prog_name, sizeof(m.u.job.prog_name), "raw:socket_filter");
	m.u.job.insn_limit = 1000000;
	m.u.job.start_entry = 1;
	m.u.job.object = object;
	m.u.job.object_len = 16;
	put_msg("job", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_DONATE;
	m.u.donate.job_id = 5;
	put_msg("donate", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_DONE;
	m.u.done.job_id = 5;
	m.u.done.work_id = 9;
	m.u.done.demand.nframes = 2;
	m.u.done.demand.regs[0] = 0x41;
	m.u.done.demand.slots[1] = 0x3;
	put_msg("done", &m);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_FINISHED;
	m.u.finished.job_id = 5;
	m.u.finished.processed_insns = 77;
	m.u.finished.total_states = 4;
	m.u.finished.peak_states = 3;
	m.u.finished.nfuncs = 2;
	m.u.finished.stack_depths[0] = 48;
	m.u.finished.stack_depths[1] = 24;
	m.u.finished.insn_cnt = 12;
	m.u.finished.seen = seen;
	m.u.finished.facts = facts;
	m.u.finished.nfacts = 2;
	put_msg("finished", &m);

	/* Work items and checkpoints: real states, donated by an engine. */
	if (bvc_engine_new(img, &img->progs[0], &vo, 1, &eng)) {
		fprintf(stderr, "mkseeds: cannot start an engine\n");
		exit(2);
	}
	while (ret == BVC_ENGINE_MORE && nwork < 6) {
		struct bvc_work *w;
		char name[32];

		ret = bvc_engine_run(eng, 1);
		if (bvc_engine_pending(eng) >= 2 && bvc_engine_donate(eng, &w) == 0) {
			memset(&m, 0, sizeof(m));
			m.kind = nwork % 2 ? BVC_WIRE_CHECKPOINT : BVC_WIRE_WORK;
			m.u.work.job_id = 1;
			m.u.work.work_id = nwork + 1;
			if (bvc_work_view_get(w, &m.u.work.view) == 0) {
				snprintf(name, sizeof(name), "%s-%u",
					 nwork % 2 ? "checkpoint" : "work", nwork);
				put_msg(name, &m);
				bvc_work_view_release(&m.u.work.view);
			}
			bvc_engine_work_done(eng, bvc_work_id(w), NULL);
			bvc_work_free(w);
			nwork++;
		}
	}
	bvc_engine_free(eng);
}

/* One bytecode seed: header, instructions, 64 bytes of input. */
static void put_prog(const char *name, uint32_t type, const struct bvc_insn *insns, size_t cnt)
{
	uint8_t buf[FUZZ_HDR + FUZZ_MAX_INSNS * 8 + 64];
	size_t i;

	if (cnt > FUZZ_MAX_INSNS)
		return;
	for (i = 0; i < fuzz_prog_type_cnt && fuzz_prog_types[i] != type; i++)
		;
	if (i == fuzz_prog_type_cnt)
		return;
	buf[0] = (uint8_t)i;
	buf[1] = FUZZ_F_VAR;
	buf[2] = (uint8_t)cnt;
	memcpy(buf + FUZZ_HDR, insns, cnt * 8);
	for (i = 0; i < 64; i++) /* an Ethernet + IPv4 header shape */
		buf[FUZZ_HDR + cnt * 8 + i] = i == 12 ? 0x08 : i == 14 ? 0x45 : (uint8_t)(i * 7);
	put("verify", name, buf, FUZZ_HDR + cnt * 8 + 64);
}

/* A signed blob of @insns, if the verifier accepts them. */
static void put_blob(const char *name, uint32_t type, const struct bvc_insn *insns, size_t cnt)
{
	static const enum bvc_jit_target targets[] = { BVC_JIT_X86_64, BVC_JIT_ARM64 };
	uint8_t buf[FUZZ_HDR + FUZZ_MAX_INSNS * 8];
	struct fuzz_prog p;
	struct bvc_image *img;
	struct bvc_verdict v;

	buf[0] = 0;
	for (size_t i = 0; i < fuzz_prog_type_cnt; i++)
		if (fuzz_prog_types[i] == type)
			buf[0] = (uint8_t)i;
	buf[1] = 0;
	buf[2] = (uint8_t)cnt;
	memcpy(buf + FUZZ_HDR, insns, cnt * 8);
	if (cnt > FUZZ_MAX_INSNS || fuzz_prog_parse(buf, FUZZ_HDR + cnt * 8, &p) ||
	    fuzz_verify(&p, 0, &img, &v))
		return;
	for (size_t t = 0; t < 2 && bvc_verdict_accepted(&v); t++) {
		struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = targets[t] };
		struct bvc_jit_result *jr;
		struct bvc_blob b;
		char err[256], file[128];
		uint8_t *out;
		size_t out_size;

		if (bvc_jit_compile(img, &img->progs[0], &v, &jo, &jr, err, sizeof(err)))
			continue;
		fuzz_blob_of(img, jr, targets[t], &v, &b);
		if (bvc_blob_write(&b, fuzz_key(), &out, &out_size, err, sizeof(err)) == 0) {
			snprintf(file, sizeof(file), "%s-%s", name, bvc_jit_target_name(targets[t]));
			put("blob", file, out, out_size);
			free(out);
		}
		bvc_jit_result_free(jr);
	}
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

static void prog_seeds(void)
{
	struct bvc_insn p[32];
	size_t n;

	/* issue #19: dead code with r15 */
	n = 0;
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_JMP_IMM(BVC_JEQ, 0, 0, 1);
	p[n++] = I_ALU64_IMM(BVC_ADD, 15, 0);
	p[n++] = I_EXIT();
	put_prog("dead-r15", BVC_PROG_SOCKET_FILTER, p, n);
	/* issue #19: a read of never-written stack */
	n = 0;
	p[n++] = I_MOV64_REG(2, 10);
	p[n++] = I_LDX(BVC_DW, 0, 2, -8);
	p[n++] = I_EXIT();
	put_prog("stack-unwritten", BVC_PROG_KPROBE, p, n);
	/* xdp: bounds-checked packet read and write */
	n = 0;
	p[n++] = I_LDX(BVC_W, 2, 1, 0); /* xdp_md->data */
	p[n++] = I_LDX(BVC_W, 3, 1, 4); /* xdp_md->data_end */
	p[n++] = I_MOV64_REG(4, 2);
	p[n++] = I_ALU64_IMM(BVC_ADD, 4, 14);
	p[n++] = I_JMP_REG(BVC_JGT, 4, 3, 4);
	p[n++] = I_LDX(BVC_H, 0, 2, 12);
	p[n++] = I_STX(BVC_B, 2, 0, 0);
	p[n++] = I_MOV64_IMM(0, 2);
	p[n++] = I_EXIT();
	p[n++] = I_MOV64_IMM(0, 1);
	p[n++] = I_EXIT();
	put_prog("xdp-bounds", BVC_PROG_XDP, p, n);
	put_blob("xdp-bounds", BVC_PROG_XDP, p, n);
	/* socket filter: skb->len, a loop, a helper */
	n = 0;
	p[n++] = I_LDX(BVC_W, 6, 1, 0);
	p[n++] = I_MOV64_IMM(7, 0);
	p[n++] = I_ALU64_IMM(BVC_ADD, 7, 1);
	p[n++] = I_JMP_IMM(BVC_JLT, 7, 8, -2);
	p[n++] = I_CALL(8); /* get_smp_processor_id */
	p[n++] = I_ALU64_REG(BVC_ADD, 0, 6);
	p[n++] = I_EXIT();
	put_prog("skb-loop", BVC_PROG_SOCKET_FILTER, p, n);
	put_blob("skb-loop", BVC_PROG_SOCKET_FILTER, p, n);
	/* a bpf-to-bpf call with a stack argument */
	n = 0;
	p[n++] = I_ST(BVC_DW, 10, -8, 42);
	p[n++] = I_MOV64_REG(1, 10);
	p[n++] = I_ALU64_IMM(BVC_ADD, 1, -8);
	p[n++] = I_CALL_LOCAL(1);
	p[n++] = I_EXIT();
	p[n++] = I_LDX(BVC_DW, 0, 1, 0);
	p[n++] = I_EXIT();
	put_prog("call-stack", BVC_PROG_SOCKET_FILTER, p, n);
	put_blob("call-stack", BVC_PROG_SOCKET_FILTER, p, n);
}

static void object_seeds(const char *path)
{
	struct bvc_image *img;
	char err[256], name[256];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (bvc_load_elf(path, &img, err, sizeof(err)))
		return;
	for (size_t i = 0; i < img->prog_cnt; i++) {
		snprintf(name, sizeof(name), "%.100s-%.100s", base, img->progs[i].name);
		put_prog(name, img->progs[i].type, img->progs[i].insns, img->progs[i].insn_cnt);
	}
	bvc_image_free(img);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fuzz_mkseeds OUTDIR [OBJ.o ...]\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	wire_seeds();
	prog_seeds();
	for (int i = 2; i < argc; i++)
		object_seeds(argv[i]);
	printf("mkseeds: %u seeds in %s\n", nseeds, outdir);
	return 0;
}
