// SPDX-License-Identifier: MIT
/*
 * Loading and running blobs built in memory: relocations of hand-assembled
 * x86_64 code run natively (map, map value, helper and intrinsic slots),
 * the code mapping W^X, the interpreter fallback on lowered bytecode giving
 * the same results as native code, and every refusal with its message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/jitter.h"
#include "bpfvc/runtime.h"
#include "common/insns.h"

#define X86_ONLY()                                                                   \
	do {                                                                         \
		if (bvc_rt_host_target() != BVC_JIT_X86_64)                          \
			cr_skip_test("hand-made x86_64 code needs an x86_64 host");  \
	} while (0)

static struct bvc_blob_map array_map(const char *name, uint32_t vs, const uint8_t *init)
{
	struct bvc_blob_map m = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = vs,
				  .max_entries = 1, .init = init, .init_size = init ? vs : 0 };

	snprintf(m.name, sizeof(m.name), "%s", name);
	return m;
}

static void init_blob(struct bvc_blob *b, uint32_t target, const uint8_t *code, size_t size,
		      const struct bvc_reloc *r, size_t nr, struct bvc_blob_map *maps, size_t nm)
{
	memset(b, 0, sizeof(*b));
	b->target = target;
	b->code = code;
	b->code_size = size;
	b->relocs = r;
	b->reloc_cnt = nr;
	b->maps = maps;
	b->map_cnt = nm;
	b->meta.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	strcpy(b->meta.prog_name, "handmade");
}

static struct bvc_rt_prog *load_ok(const struct bvc_blob *b, const struct bvc_rt_opts *o)
{
	struct bvc_rt_prog *p = NULL;
	char err[256] = "";

	cr_assert_eq(bvc_rt_load(b, o, &p, err, sizeof(err)), 0, "%s", err);
	return p;
}

static uint64_t run_ok(struct bvc_rt_prog *p, struct bvc_rt_ctx *c)
{
	char err[256] = "";
	uint64_t r0 = 0;

	cr_assert_eq(bvc_rt_run(p, c, &r0, err, sizeof(err)), 0, "%s", err);
	return r0;
}

static struct bvc_rt_ctx *skb_ctx(const void *pkt, size_t len)
{
	struct bvc_rt_ctx *c = NULL;
	char err[256] = "";

	cr_assert_eq(bvc_rt_ctx_new(BPF_PROG_TYPE_SCHED_CLS, pkt, len, &c, err, sizeof(err)), 0,
		     "%s", err);
	return c;
}

/* movabs rax, imm64; ret */
static const uint8_t movabs_ret[] = { 0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xc3 };

Test(exec, map_slot_gets_the_map_object)
{
	struct bvc_blob_map m = array_map("counters", 8, NULL);
	struct bvc_reloc r = { .offset = 2, .kind = BVC_RELOC_MAP, .target = 0 };
	struct bvc_rt_ctx *c = skb_ctx(NULL, 0);
	struct bvc_rt_prog *p;
	struct bvc_blob b;

	X86_ONLY();
	init_blob(&b, BVC_JIT_X86_64, movabs_ret, sizeof(movabs_ret), &r, 1, &m, 1);
	p = load_ok(&b, NULL);
	cr_expect(bvc_rt_prog_is_native(p));
	cr_expect_eq(run_ok(p, c), (uint64_t)(uintptr_t)bvc_rt_prog_map(p, 0));
	bvc_rt_prog_free(p);
	bvc_rt_ctx_free(c);
}

Test(exec, map_value_slot_reads_global_data)
{
	/* movabs rax, &value + 8; mov rax, [rax]; ret */
	static const uint8_t code[] = { 0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x8b, 0x00, 0xc3 };
	uint8_t init[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	struct bvc_blob_map m = array_map("x.data", 16, init);
	struct bvc_reloc r = { .offset = 2, .kind = BVC_RELOC_MAP_VALUE, .target = 0, .addend = 8 };
	struct bvc_rt_ctx *c = skb_ctx(NULL, 0);
	struct bvc_rt_prog *p;
	struct bvc_blob b;

	X86_ONLY();
	init_blob(&b, BVC_JIT_X86_64, code, sizeof(code), &r, 1, &m, 1);
	p = load_ok(&b, NULL);
	cr_expect_eq(run_ok(p, c), 0x1122334455667788ull);
	bvc_rt_prog_free(p);
	bvc_rt_ctx_free(c);
}

Test(exec, helper_and_intrinsic_slots)
{
	/* sub rsp, 8; movabs rax, helper; call rax; add rsp, 8; ret */
	static const uint8_t call_helper[] = { 0x48, 0x83, 0xec, 0x08, 0x48, 0xb8, 0, 0, 0, 0, 0,
					       0, 0, 0, 0xff, 0xd0, 0x48, 0x83, 0xc4, 0x08, 0xc3 };
	/* mov esi, 12; then the same call: r0 = LD_ABS_H(ctx, 12) */
	static const uint8_t ld_abs[] = { 0xbe, 0x0c, 0, 0, 0, 0x48, 0x83, 0xec, 0x08, 0x48, 0xb8,
					  0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xd0, 0x48, 0x83, 0xc4,
					  0x08, 0xc3 };
	static const uint8_t pkt[14] = { [12] = 0x86, [13] = 0xdd };
	struct bvc_reloc r = { .offset = 6, .kind = BVC_RELOC_HELPER,
			       .target = BPF_FUNC_get_current_pid_tgid };
	struct bvc_rt_ctx *c = skb_ctx(pkt, sizeof(pkt));
	struct bvc_rt_prog *p;
	struct bvc_blob b;

	X86_ONLY();
	init_blob(&b, BVC_JIT_X86_64, call_helper, sizeof(call_helper), &r, 1, NULL, 0);
	p = load_ok(&b, NULL);
	cr_expect_eq(run_ok(p, c) >> 32, (uint64_t)getpid());
	bvc_rt_prog_free(p);

	r.offset = 11;
	r.kind = BVC_RELOC_RUNTIME;
	r.target = BVC_RT_LD_ABS_H;
	init_blob(&b, BVC_JIT_X86_64, ld_abs, sizeof(ld_abs), &r, 1, NULL, 0);
	p = load_ok(&b, NULL);
	cr_expect_eq(run_ok(p, c), 0x86dd);
	bvc_rt_prog_free(p);
	bvc_rt_ctx_free(c);
}

/* The permissions /proc/self/maps shows for the mapping holding @addr. */
static int perms_of(const void *addr, char perms[5])
{
	uintptr_t a = (uintptr_t)addr, lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
			found = 1;
	}
	fclose(f);
	return found;
}

Test(exec, code_is_never_writable_and_executable)
{
	struct bvc_blob_map m = array_map("counters", 8, NULL);
	struct bvc_reloc r = { .offset = 2, .kind = BVC_RELOC_MAP, .target = 0 };
	struct bvc_rt_prog *p;
	struct bvc_blob b;
	const void *code;
	char perms[5];
	size_t size;

	X86_ONLY();
	init_blob(&b, BVC_JIT_X86_64, movabs_ret, sizeof(movabs_ret), &r, 1, &m, 1);
	p = load_ok(&b, NULL);
	code = bvc_rt_prog_code(p, &size);
	cr_assert_not_null(code);
	cr_expect_eq(size, sizeof(movabs_ret));
	cr_assert(perms_of(code, perms));
	cr_expect_str_eq(perms, "r-xp", "code mapping is %s", perms);
	/* the copy is relocated, the blob's bytes are not */
	cr_expect_eq(memcmp((const uint8_t *)code + 2, &(uint64_t){ (uintptr_t)bvc_rt_prog_map(p, 0) }, 8), 0);
	cr_expect_eq(movabs_ret[2], 0);
	bvc_rt_prog_free(p);
}

#if !defined(__SANITIZE_ADDRESS__)
/* A store into the code faults: the pages are not writable. (ASan turns
 * the SIGSEGV into its own report, so this runs in plain builds.) */
Test(exec, writing_the_code_faults, .signal = SIGSEGV)
{
	struct bvc_blob_map m = array_map("counters", 8, NULL);
	struct bvc_reloc r = { .offset = 2, .kind = BVC_RELOC_MAP, .target = 0 };
	struct bvc_rt_prog *p;
	struct bvc_blob b;
	volatile uint8_t *code;

	X86_ONLY();
	init_blob(&b, BVC_JIT_X86_64, movabs_ret, sizeof(movabs_ret), &r, 1, &m, 1);
	p = load_ok(&b, NULL);
	code = (volatile uint8_t *)bvc_rt_prog_code(p, NULL);
	code[0] = 0xc3;
	bvc_rt_prog_free(p);
}
#endif

/*
 * An array counter, twice: hand-made x86_64 and the bytecode it stands
 * for. key = 0; v = lookup(map, &key); if (!v) return 0; lock *v += 1;
 * return *v.
 */
static const uint8_t counter_x86[] = {
	0x48, 0x83, 0xec, 0x18,                         /*  0 sub rsp, 24 */
	0xc7, 0x44, 0x24, 0x08, 0, 0, 0, 0,             /*  4 mov dword [rsp+8], 0 */
	0x48, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0,             /* 12 movabs rdi, map */
	0x48, 0x8d, 0x74, 0x24, 0x08,                   /* 22 lea rsi, [rsp+8] */
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,             /* 27 movabs rax, lookup */
	0xff, 0xd0,                                     /* 37 call rax */
	0x48, 0x85, 0xc0,                               /* 39 test rax, rax */
	0x74, 0x0d,                                     /* 42 jz out */
	0xf0, 0x48, 0x83, 0x00, 0x01,                   /* 44 lock add qword [rax], 1 */
	0x48, 0x8b, 0x00,                               /* 49 mov rax, [rax] */
	0x48, 0x83, 0xc4, 0x18,                         /* 52 add rsp, 24 */
	0xc3,                                           /* 56 ret */
	0x31, 0xc0,                                     /* 57 out: xor eax, eax */
	0x48, 0x83, 0xc4, 0x18,                         /* 59 add rsp, 24 */
	0xc3,                                           /* 63 ret */
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

static void counter_blob(struct bvc_blob *b, struct bvc_blob_map *m, uint32_t target)
{
	*m = array_map("counter", 8, NULL);
	init_blob(b, target, counter_x86, sizeof(counter_x86), counter_relocs, 2, m, 1);
	b->bytecode = counter_bpf;
	b->bytecode_cnt = sizeof(counter_bpf) / sizeof(counter_bpf[0]);
	b->meta.helper_ids[0] = BPF_FUNC_map_lookup_elem;
	b->meta.helper_cnt = 1;
}

static void log_line(void *user, const char *line)
{
	snprintf(user, 256, "%s", line);
}

Test(exec, interpreter_fallback_matches_native)
{
	struct bvc_blob_map m;
	struct bvc_blob b;
	struct bvc_rt_prog *native, *interp, *other;
	struct bvc_rt_ctx *c = skb_ctx(NULL, 0);
	char notice[256] = "";
	struct bvc_rt_opts o = { .sz = sizeof(o), .log = log_line, .user = notice };
	uint32_t key = 0;
	uint64_t v1 = 0, v2 = 0, v3 = 0;
	int i;

	X86_ONLY();
	counter_blob(&b, &m, BVC_JIT_X86_64);
	native = load_ok(&b, &o);
	cr_expect(bvc_rt_prog_is_native(native));
	cr_expect_str_eq(notice, "", "no notice for native code");
	o.force_interp = 1;
	interp = load_ok(&b, &o);
	cr_expect_not(bvc_rt_prog_is_native(interp));
	cr_expect_str_eq(notice, "handmade: running its bytecode on the interpreter");
	/* a blob for another CPU: its bytecode, with a notice */
	o.force_interp = 0;
	b.target = BVC_JIT_ARM64;
	other = load_ok(&b, &o);
	cr_expect_not(bvc_rt_prog_is_native(other));
	cr_expect_str_eq(notice,
			 "handmade: blob is for arm64, this device is x86_64: running its bytecode on the interpreter");
	cr_expect_null(bvc_rt_prog_code(other, NULL));

	for (i = 1; i <= 5; i++) {
		cr_expect_eq(run_ok(native, c), (uint64_t)i);
		cr_expect_eq(run_ok(interp, c), (uint64_t)i);
		cr_expect_eq(run_ok(other, c), (uint64_t)i);
	}
	cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(native, 0), &key, &v1), 0);
	cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(interp, 0), &key, &v2), 0);
	cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(other, 0), &key, &v3), 0);
	cr_expect_eq(v1, 5);
	cr_expect_eq(v2, 5);
	cr_expect_eq(v3, 5);
	bvc_rt_prog_free(native);
	bvc_rt_prog_free(interp);
	bvc_rt_prog_free(other);
	bvc_rt_ctx_free(c);
}

Test(exec, interpreter_keeps_programs_in_their_memory)
{
	/* r0 = *(u64 *)(map_value + 8): past the 8-byte value, outside the region */
	static const struct bvc_insn oob[] = {
		I_LD_IMM64_LO(1, BVC_PSEUDO_MAP_IDX_VALUE, 0), I_RAW(0, 0, 0, 0, 0),
		I_LDX(BVC_DW, 0, 1, 8),
		I_EXIT(),
	};
	struct bvc_blob_map m = array_map("g", 8, NULL);
	struct bvc_rt_ctx *c = skb_ctx(NULL, 0);
	struct bvc_rt_prog *p;
	struct bvc_blob b;
	char err[256] = "";
	uint64_t r0;

	init_blob(&b, BVC_JIT_THUMBV7M, NULL, 0, NULL, 0, &m, 1);
	b.bytecode = oob;
	b.bytecode_cnt = 4;
	p = load_ok(&b, NULL);
	cr_expect_eq(bvc_rt_run(p, c, &r0, err, sizeof(err)), -EFAULT);
	cr_expect(strstr(err, "insn 2: invalid read of 8 bytes at 0x") == err, "%s", err);
	bvc_rt_prog_free(p);
	bvc_rt_ctx_free(c);
}

Test(exec, context_kind_must_match)
{
	struct bvc_blob_map m;
	struct bvc_blob b;
	struct bvc_rt_ctx *x = NULL, *y = NULL;
	struct bvc_rt_prog *p;
	char err[256] = "";
	uint64_t r0;

	counter_blob(&b, &m, BVC_JIT_ARM64);
	p = load_ok(&b, NULL);
	cr_assert_eq(bvc_rt_ctx_new(BPF_PROG_TYPE_XDP, NULL, 0, &x, err, sizeof(err)), 0);
	cr_expect_eq(bvc_rt_run(p, x, &r0, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "handmade: a context made for program type 6 cannot run a 3 program");
	cr_expect_eq(bvc_rt_ctx_new(BPF_PROG_TYPE_LSM, NULL, 0, &y, err, sizeof(err)), -EOPNOTSUPP);
	cr_expect_null(y);
	cr_expect_str_eq(err, "program type 29 is not supported by this runtime");
	bvc_rt_ctx_free(x);
	bvc_rt_prog_free(p);
}

/* A blob the runtime must refuse: what to break, the code and message. */
struct refusal {
	const char *what;
	int ret;
	const char *msg;
};

static const struct refusal refusals[] = {
	{ "helper", -EOPNOTSUPP, "blob needs helper bpf_skb_adjust_room#50 which this runtime lacks" },
	{ "reloc_helper", -EOPNOTSUPP, "blob needs helper bpf_redirect_map#51 which this runtime lacks" },
	{ "bytecode_helper", -EOPNOTSUPP, "blob needs helper unknown#999 which this runtime lacks" },
	{ "target", -EINVAL, "unknown target 9" },
	{ "prog_type", -EOPNOTSUPP, "program type 29 (lsm) is not supported by this runtime" },
	{ "reloc_offset", -EINVAL, "relocation 1: slot at 60 is outside the 64-byte code" },
	{ "reloc_overlap", -EINVAL, "relocation slots at 14 and 18 overlap" },
	{ "reloc_map", -EINVAL, "relocation 0: map index 1 out of range (1 maps)" },
	{ "reloc_kind", -EINVAL, "relocation 0: unknown kind 7" },
	{ "reloc_value_hash", -EINVAL, "relocation 0: map counter: direct value access needs an array" },
	{ "reloc_value_off", -EINVAL, "relocation 0: map counter: value offset 8 outside its 8-byte value" },
	{ "reloc_runtime", -EOPNOTSUPP, "relocation 0: runtime function 9 is not provided by this runtime" },
	{ "entry", -EINVAL, "entry offset 64 is outside the 64-byte code" },
	{ "map_type", -EOPNOTSUPP, "map counter: map type 11 is not supported by this runtime" },
	{ "no_bytecode", -EOPNOTSUPP, "blob for arm64 has no bytecode to interpret on this x86_64 device" },
	{ "ld_imm64_map", -EINVAL, "insn 1: map index 3 out of range (1 maps)" },
	{ "ld_imm64_src", -EOPNOTSUPP, "insn 1: ld_imm64 with pseudo source 4 is not supported by this runtime" },
	{ "kfunc", -EOPNOTSUPP, "insn 5: kfunc calls are not supported by this runtime" },
};

Test(exec, refusals)
{
	size_t i;

	X86_ONLY(); /* the messages name the host */
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *t = &refusals[i];
		struct bvc_insn insns[sizeof(counter_bpf) / sizeof(counter_bpf[0])];
		struct bvc_reloc relocs[2];
		struct bvc_rt_prog *p = (void *)1;
		struct bvc_blob_map m;
		struct bvc_blob b;
		char err[256] = "";

		counter_blob(&b, &m, BVC_JIT_X86_64);
		memcpy(relocs, counter_relocs, sizeof(relocs));
		memcpy(insns, counter_bpf, sizeof(insns));
		b.relocs = relocs;
		b.bytecode = insns;
		if (!strcmp(t->what, "helper")) {
			b.meta.helper_ids[1] = 50;
			b.meta.helper_cnt = 2;
		} else if (!strcmp(t->what, "reloc_helper")) {
			relocs[1].target = 51;
		} else if (!strcmp(t->what, "bytecode_helper")) {
			insns[5].imm = 999;
		} else if (!strcmp(t->what, "target")) {
			b.target = 9;
		} else if (!strcmp(t->what, "prog_type")) {
			b.meta.prog_type = BPF_PROG_TYPE_LSM;
		} else if (!strcmp(t->what, "reloc_offset")) {
			relocs[1].offset = 60;
		} else if (!strcmp(t->what, "reloc_overlap")) {
			relocs[1].offset = 18;
		} else if (!strcmp(t->what, "reloc_map")) {
			relocs[0].target = 1;
		} else if (!strcmp(t->what, "reloc_kind")) {
			relocs[0].kind = 7;
		} else if (!strcmp(t->what, "reloc_value_hash")) {
			relocs[0].kind = BVC_RELOC_MAP_VALUE;
			m.type = BPF_MAP_TYPE_HASH;
		} else if (!strcmp(t->what, "reloc_value_off")) {
			relocs[0].kind = BVC_RELOC_MAP_VALUE;
			relocs[0].addend = 8;
		} else if (!strcmp(t->what, "reloc_runtime")) {
			relocs[0].kind = BVC_RELOC_RUNTIME;
			relocs[0].target = 9;
		} else if (!strcmp(t->what, "entry")) {
			b.entry_off = sizeof(counter_x86);
		} else if (!strcmp(t->what, "map_type")) {
			m.type = BPF_MAP_TYPE_LPM_TRIE;
		} else if (!strcmp(t->what, "no_bytecode")) {
			b.target = BVC_JIT_ARM64;
			b.bytecode = NULL;
			b.bytecode_cnt = 0;
		} else if (!strcmp(t->what, "ld_imm64_map")) {
			b.target = BVC_JIT_ARM64;
			insns[1].imm = 3;
		} else if (!strcmp(t->what, "ld_imm64_src")) {
			b.target = BVC_JIT_ARM64;
			insns[1].src = BVC_PSEUDO_FUNC;
		} else if (!strcmp(t->what, "kfunc")) {
			insns[5].src = BVC_PSEUDO_KFUNC_CALL;
		}
		cr_expect_eq(bvc_rt_load(&b, NULL, &p, err, sizeof(err)), t->ret, "%s: %s", t->what,
			     err);
		cr_expect_null(p, "%s", t->what);
		cr_expect_str_eq(err, t->msg, "%s", t->what);
	}
}

Test(exec, no_mapping_is_writable_and_executable)
{
	struct bvc_blob_map m;
	struct bvc_rt_prog *p;
	struct bvc_blob b;
	char line[512], perms[5];
	FILE *f;

	X86_ONLY();
	counter_blob(&b, &m, BVC_JIT_X86_64);
	p = load_ok(&b, NULL);
	f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*x-%*x %4s", perms) == 1)
			cr_expect(perms[1] != 'w' || perms[2] != 'x', "W+X mapping: %s", line);
	fclose(f);
	bvc_rt_prog_free(p);
}
