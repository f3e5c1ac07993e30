// SPDX-License-Identifier: MIT
/*
 * The sample blob of sample.h. Relocation slots hold zeros, as a JIT leaves
 * them.
 */
#include <string.h>

#include "sample.h"

/* x86-64: every slot is the imm64 of a movabs. */
static const uint8_t code_x86[] = {
	0x55,                         /* 00 push rbp */
	0x48, 0x89, 0xe5,             /* 01 mov rbp, rsp */
	0x48, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0, /* 04 movabs rdi, MAP 0        slot 0x06 */
	0x48, 0xbe, 0, 0, 0, 0, 0, 0, 0, 0, /* 0e movabs rsi, MAP_VALUE 1+8 slot 0x10 */
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, /* 18 movabs rax, HELPER 1     slot 0x1a */
	0xff, 0xd0,                   /* 22 call rax */
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, /* 24 movabs rax, RUNTIME 1    slot 0x26 */
	0xff, 0xd0,                   /* 2e call rax */
	0x5d,                         /* 30 pop rbp */
	0xc3,                         /* 31 ret */
};

static const struct bvc_reloc relocs_x86[] = {
	{ .offset = 0x06, .kind = BVC_RELOC_MAP, .target = 0 },
	{ .offset = 0x10, .kind = BVC_RELOC_MAP_VALUE, .target = 1, .addend = 8 },
	{ .offset = 0x1a, .kind = BVC_RELOC_HELPER, .target = 1 },
	{ .offset = 0x26, .kind = BVC_RELOC_RUNTIME, .target = BVC_RT_LD_ABS_B },
};

/* arm64: slots are literals after the code, loaded with ldr (literal). */
static const uint8_t code_arm64[] = {
	0x00, 0x01, 0x00, 0x58, /* 00 ldr x0, #0x20 (pc + 0x20) */
	0x21, 0x01, 0x00, 0x58, /* 04 ldr x1, #0x28 (pc + 0x24) */
	0x42, 0x01, 0x00, 0x58, /* 08 ldr x2, #0x30 (pc + 0x28) */
	0x40, 0x00, 0x3f, 0xd6, /* 0c blr x2 */
	0x42, 0x01, 0x00, 0x58, /* 10 ldr x2, #0x38 (pc + 0x28) */
	0x40, 0x00, 0x3f, 0xd6, /* 14 blr x2 */
	0xc0, 0x03, 0x5f, 0xd6, /* 18 ret */
	0x1f, 0x20, 0x03, 0xd5, /* 1c nop */
	0, 0, 0, 0, 0, 0, 0, 0, /* 20 MAP 0 */
	0, 0, 0, 0, 0, 0, 0, 0, /* 28 MAP_VALUE 1+8 */
	0, 0, 0, 0, 0, 0, 0, 0, /* 30 HELPER 1 */
	0, 0, 0, 0, 0, 0, 0, 0, /* 38 RUNTIME 1 */
};

static const struct bvc_reloc relocs_arm64[] = {
	{ .offset = 0x20, .kind = BVC_RELOC_MAP, .target = 0 },
	{ .offset = 0x28, .kind = BVC_RELOC_MAP_VALUE, .target = 1, .addend = 8 },
	{ .offset = 0x30, .kind = BVC_RELOC_HELPER, .target = 1 },
	{ .offset = 0x38, .kind = BVC_RELOC_RUNTIME, .target = BVC_RT_LD_ABS_B },
};

static const uint8_t data[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* r1 = map[id:0] ll; r0 = 0; exit */
static const struct bvc_insn bytecode[] = {
	{ .code = 0x18, .dst = 1, .src = BVC_PSEUDO_MAP_IDX, .imm = 0 },
	{ .code = 0 },
	{ .code = 0xb7, .dst = 0, .imm = 0 },
	{ .code = 0x95 },
};

static struct bvc_blob_map maps[2];

void bvc_test_sample_blob(struct bvc_blob *b, uint32_t target)
{
	memset(b, 0, sizeof(*b));
	memset(maps, 0, sizeof(maps));
	b->target = target;
	if (target == 2) {
		b->code = code_arm64;
		b->code_size = sizeof(code_arm64);
		b->relocs = relocs_arm64;
		b->reloc_cnt = sizeof(relocs_arm64) / sizeof(relocs_arm64[0]);
	} else {
		b->code = code_x86;
		b->code_size = sizeof(code_x86);
		b->relocs = relocs_x86;
		b->reloc_cnt = sizeof(relocs_x86) / sizeof(relocs_x86[0]);
	}
	b->entry_off = 0;

	strcpy(maps[0].name, "counts");
	maps[0].type = 1; /* hash */
	maps[0].key_size = 4;
	maps[0].value_size = 8;
	maps[0].max_entries = 16;
	strcpy(maps[1].name, ".data");
	maps[1].type = 2; /* array */
	maps[1].key_size = 4;
	maps[1].value_size = 16;
	maps[1].max_entries = 1;
	maps[1].flags = 0x400;
	maps[1].init = data;
	maps[1].init_size = sizeof(data);
	b->maps = maps;
	b->map_cnt = 2;

	b->bytecode = bytecode;
	b->bytecode_cnt = sizeof(bytecode) / sizeof(bytecode[0]);

	strcpy(b->meta.prog_name, "sample_prog");
	b->meta.prog_type = 6; /* xdp */
	b->meta.expected_attach_type = 37;
	strcpy(b->meta.license, "GPL");
	b->meta.stack_depth = 64;
	for (int i = 0; i < 32; i++)
		b->meta.bytecode_sha256[i] = (uint8_t)(0xa0 + i);
	strcpy(b->meta.verifier, "test-build-1");
	b->meta.processed_insns = 123456789012ull;
	b->meta.total_states = 77;
	b->meta.peak_states = 33;
	b->meta.max_states_per_insn = 5;
	b->meta.helper_ids[0] = 1;  /* bpf_map_lookup_elem */
	b->meta.helper_ids[1] = 6;  /* bpf_trace_printk */
	b->meta.helper_cnt = 2;
}
