// SPDX-License-Identifier: MIT
/*
 * bpfvc-run as a user runs it: signed blobs written with bvc_blob_write()
 * and a fresh key pair, then the binary's output and exit code (0 ran,
 * 2 refused with one line naming the file). Blobs: a hand-made x86_64
 * array counter with its bytecode (no back end needed), and xdp_parser
 * through the whole pipeline when the x86_64 back end is built.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfvc/blob.h"
#include "bpfvc/jitter.h"
#include "bpfvc/runtime.h"
#include "bpfvc/signer.h"
#include "common/insns.h"

#define RUN BVC_BUILD_DIR "/runtime/bpfvc-run"

static char dir[64];

static void setup(void)
{
	char err[256] = "", path[128];

	strcpy(dir, "/tmp/bvc_run_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	cr_assert_eq(bvc_signer_keygen(path, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/other", dir);
	cr_assert_eq(bvc_signer_keygen(path, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0])
		cr_expect_eq(system(cmd), 0);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* The array counter of test_exec.c: x86_64 code and the same bytecode. */
static const uint8_t counter_x86[] = {
	0x48, 0x83, 0xec, 0x18, 0xc7, 0x44, 0x24, 0x08, 0, 0, 0, 0, 0x48, 0xbf, 0, 0,
	0, 0, 0, 0, 0, 0, 0x48, 0x8d, 0x74, 0x24, 0x08, 0x48, 0xb8, 0, 0, 0,
	0, 0, 0, 0, 0, 0xff, 0xd0, 0x48, 0x85, 0xc0, 0x74, 0x0d, 0xf0, 0x48, 0x83, 0x00,
	0x01, 0x48, 0x8b, 0x00, 0x48, 0x83, 0xc4, 0x18, 0xc3, 0x31, 0xc0, 0x48, 0x83, 0xc4,
	0x18, 0xc3,
};

static const struct bvc_reloc counter_relocs[] = {
	{ .offset = 14, .kind = BVC_RELOC_MAP, .target = 0 },
	{ .offset = 29, .kind = BVC_RELOC_HELPER, .target = BPF_FUNC_map_lookup_elem },
};

static const struct bvc_insn counter_bpf[] = {
	I_ST(BVC_W, BVC_REG_FP, -4, 0),
	I_LD_IMM64_LO(1, BVC_PSEUDO_MAP_IDX, 0), I_RAW(0, 0, 0, 0, 0),
	I_MOV64_REG(2, BVC_REG_FP),
	I_ALU64_IMM(BVC_ADD, 2, -4),
	I_CALL(BPF_FUNC_map_lookup_elem),
	I_JMP_IMM(BVC_JEQ, 0, 0, 4),
	I_MOV64_IMM(1, 1),
	I_RAW(BVC_STX | BVC_ATOMIC | BVC_DW, 0, 1, 0, BVC_ADD),
	I_LDX(BVC_DW, 0, 0, 0),
	I_EXIT(),
	I_MOV64_IMM(0, 0),
	I_EXIT(),
};

/* Write the counter blob for @target, signed with @key, to @name in dir. */
static void write_counter(const char *name, uint32_t target, const char *key, int corrupt)
{
	struct bvc_blob_map m = { .name = "counter", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				  .value_size = 8, .max_entries = 1 };
	struct bvc_blob b = { .target = target, .code = counter_x86,
			      .code_size = sizeof(counter_x86), .relocs = counter_relocs,
			      .reloc_cnt = 2, .maps = &m, .map_cnt = 1, .bytecode = counter_bpf,
			      .bytecode_cnt = sizeof(counter_bpf) / sizeof(counter_bpf[0]) };
	struct bvc_key *k = NULL;
	char path[128], err[512] = "";
	uint8_t *buf = NULL;
	size_t size = 0;
	FILE *f;

	strcpy(b.meta.prog_name, "count");
	strcpy(b.meta.license, "MIT");
	b.meta.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	b.meta.helper_ids[0] = BPF_FUNC_map_lookup_elem;
	b.meta.helper_cnt = 1;
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	cr_assert_eq(bvc_signer_load_private(path, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_write(&b, k, &buf, &size, err, sizeof(err)), 0, "%s", err);
	if (corrupt)
		buf[size / 2] ^= 1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
	bvc_signer_key_free(k);
}

/* Run bpfvc-run with @args (in dir); stdout+stderr into @out. Returns the exit code. */
static int run(const char *args, char *out, size_t outsz)
{
	char cmd[1024];
	size_t n = 0, got;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "cd %s && %s %s 2>&1", dir, RUN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (n + 1 < outsz && (got = fread(out + n, 1, outsz - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s: did not exit", cmd);
	return WEXITSTATUS(st);
}

Test(cli, runs_a_signed_blob)
{
	char out[4096];

	if (bvc_rt_host_target() != BVC_JIT_X86_64)
		cr_skip_test("hand-made x86_64 code needs an x86_64 host");
	write_counter("c.bvc", BVC_JIT_X86_64, "key", 0);
	cr_assert_eq(run("c.bvc --pubkey key.pub --repeat 5 --dump-maps", out, sizeof(out)), 0,
		     "%s", out);
	cr_expect(strstr(out, "load: ") == out && strstr(out, " us (native)\n"), "%s", out);
	cr_expect(strstr(out, "\nr0 = 5 (0x5)\n"), "%s", out);
	cr_expect(strstr(out, "\nrun: ") && strstr(out, " ns (median of 5 runs)\n"), "%s", out);
	cr_expect(strstr(out, "\nmap counter: array key 4 value 8 max_entries 1\n"
			      "  00 00 00 00 -> 05 00 00 00 00 00 00 00\n"
			      "  1 element, 0 zero not shown\n"), "%s", out);

	/* --interp: the bytecode, same result */
	cr_assert_eq(run("c.bvc --pubkey key.pub --interp", out, sizeof(out)), 0, "%s", out);
	cr_expect(strstr(out, "bpfvc-run: count: running its bytecode on the interpreter\n"), "%s",
		  out);
	cr_expect(strstr(out, " us (interpreter)\n"), "%s", out);
	cr_expect(strstr(out, "\nr0 = 1 (0x1)\n"), "%s", out);
}

Test(cli, falls_back_to_the_interpreter)
{
	char out[4096];

	if (bvc_rt_host_target() != BVC_JIT_X86_64)
		cr_skip_test("the message names an x86_64 host");
	write_counter("a.bvc", BVC_JIT_ARM64, "key", 0);
	cr_assert_eq(run("a.bvc --pubkey key.pub --repeat 3", out, sizeof(out)), 0, "%s", out);
	cr_expect(strstr(out, "bpfvc-run: count: blob is for arm64, this device is x86_64: "
			      "running its bytecode on the interpreter\n"), "%s", out);
	cr_expect(strstr(out, "\nr0 = 3 (0x3)\n"), "%s", out);
}

Test(cli, refuses)
{
	char out[4096];

	write_counter("c.bvc", BVC_JIT_X86_64, "key", 0);
	write_counter("bad.bvc", BVC_JIT_X86_64, "key", 1);

	cr_expect_eq(run("c.bvc", out, sizeof(out)), 2);
	cr_expect_str_eq(out, "bpfvc-run: c.bvc: --pubkey KEY.pub is required: unsigned blobs are refused\n");

	cr_expect_eq(run("c.bvc --pubkey other.pub", out, sizeof(out)), 2);
	cr_expect(strstr(out, "bpfvc-run: c.bvc: signed by key ") == out, "%s", out);
	cr_expect(strstr(out, ", not by the trusted key "), "%s", out);
	cr_expect_eq(strchr(out, '\n') - out + 1, (long)strlen(out), "one line: %s", out);

	cr_expect_eq(run("bad.bvc --pubkey key.pub", out, sizeof(out)), 2);
	cr_expect(strstr(out, "bpfvc-run: bad.bvc: ") == out, "%s", out);

	cr_expect_eq(run("missing.bvc --pubkey key.pub", out, sizeof(out)), 2);
	cr_expect_str_eq(out, "bpfvc-run: missing.bvc: No such file or directory\n");

	cr_expect_eq(run("c.bvc --pubkey key.pub --packet nope", out, sizeof(out)), 2);
	cr_expect_str_eq(out, "bpfvc-run: nope: No such file or directory\n");

	cr_expect_eq(run("c.bvc --pubkey key.pub --repeat 0", out, sizeof(out)), 2);
	cr_expect_eq(run("--pubkey key.pub", out, sizeof(out)), 2);
}
