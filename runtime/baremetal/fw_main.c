// SPDX-License-Identifier: MIT
/*
 * The mps2-an386 firmware: a blob and the trusted public key are linked
 * in (objcopy -I binary); it checks and loads the blob with the bare-metal
 * runtime, runs it on each packet of fw_inputs.h (XDP: the device context of
 * bpfvc/devabi.h, as runtime/ctx.c lays it out) and prints, over
 * semihosting,
 *   run NAME: r0 = V                  per input
 *   map NAME: KEYHEX -> VALUEHEX      every element after the last run
 * then exits with FW_EXIT_OK, or prints "bvc-fw: refused: WHY" and exits
 * with FW_EXIT_REFUSED. The lines are the ones tests/firmware/fw_ref.c
 * prints for the host's interpreter.
 */
#include "baremetal.h"
#include "bpfvc/abi.h"
#include "bpfvc/devabi.h"
#include "firmware.h"
#include "fw_inputs.h"

extern const uint8_t _blob_start[], _blob_end[];
extern const uint8_t _binary_pubkey_raw_start[], _binary_pubkey_raw_end[];

#define HEADROOM 256 /* runtime/ctx.c's, for bpf_xdp_adjust_head */

static struct bvc_bm_prog prog;
static uint8_t packet[HEADROOM + 1536] __attribute__((aligned(8)));
static uint8_t ctx[BVC_DEVCTX_XDP_SIZE] __attribute__((aligned(8)));

static void print(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	bvc_bm_vfmt(line, sizeof(line), fmt, ap);
	va_end(ap);
	fw_puts(line);
}

static void hex(char *out, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The XDP context: xdp_md with ingress_ifindex 1, then the 64-bit data,
 * data_end and data_meta pointers (high words 0 on a 32-bit device). */
static void make_xdp(const struct fw_input *in)
{
	uint32_t *w = (uint32_t *)(void *)ctx;
	uint8_t *data = packet + HEADROOM;

	memset(packet, 0, sizeof(packet));
	memcpy(data, in->data, in->len);
	memset(ctx, 0, sizeof(ctx));
	w[3] = 1; /* xdp_md.ingress_ifindex */
	w[BVC_DEVCTX_XDP_PTRS / 4 + 0] = (uint32_t)(uintptr_t)data;
	w[BVC_DEVCTX_XDP_PTRS / 4 + 2] = (uint32_t)(uintptr_t)(data + in->len);
	w[BVC_DEVCTX_XDP_PTRS / 4 + 4] = (uint32_t)(uintptr_t)data;
}

static void dump_map(const struct bvc_bm_map *m)
{
	static char k[2 * 512 + 1], v[2 * 4096 + 1];
	const uint8_t *key, *value;
	uint32_t it = 0;

	while (!bvc_bm_map_next(m, &it, &key, &value)) {
		hex(k, key, m->key_size);
		hex(v, value, m->value_size);
		fw_puts("map ");
		fw_puts(m->name);
		fw_puts(": ");
		fw_puts(k);
		fw_puts(" -> ");
		fw_puts(v);
		fw_puts("\n");
	}
}

int main(void)
{
	char err[160];
	uint64_t r0;
	int rc;

	bvc_bm_set_output(fw_puts);
	if (_binary_pubkey_raw_end - _binary_pubkey_raw_start != 32) {
		print("bvc-fw: refused: the linked-in public key is not 32 bytes\n");
		return FW_EXIT_REFUSED;
	}
	rc = bvc_bm_load(_blob_start, (size_t)(_blob_end - _blob_start), _binary_pubkey_raw_start,
			 &prog, err, sizeof(err));
	if (rc) {
		print("bvc-fw: refused: %s (%d)\n", err, rc);
		return FW_EXIT_REFUSED;
	}
	print("bvc-fw: loaded %s: %u bytes of code, %u maps\n", prog.name, prog.code_size,
	      prog.map_cnt);
	if (prog.prog_type != BVC_PROG_XDP) {
		print("bvc-fw: refused: program type %u: this firmware feeds xdp programs only\n",
		      prog.prog_type);
		return FW_EXIT_REFUSED;
	}
	for (uint32_t i = 0; i < FW_NINPUTS; i++) {
		make_xdp(&fw_inputs[i]);
		bvc_bm_run(&prog, ctx, sizeof(ctx), &r0);
		print("run %s: r0 = %llu\n", fw_inputs[i].name, (unsigned long long)r0);
	}
	for (uint32_t i = 0; i < prog.map_cnt; i++)
		dump_map(&prog.maps[i]);
	print("bvc-fw: RAM: arena %u of %u bytes (maps and code), stack %u of %u bytes\n",
	      bvc_bm_arena_used(), BVC_BM_ARENA_SIZE, fw_stack_used(), FW_STACK_SIZE);
	print("bvc-fw: done\n");
	return FW_EXIT_OK;
}
