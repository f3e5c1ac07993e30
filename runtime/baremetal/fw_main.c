// SPDX-License-Identifier: MIT
/*
 * The mps2-an386 firmware: a blob and the trusted public key are linked
 * in (objcopy -I binary); it checks and loads the blob with the bare-metal
 * runtime, runs it on each packet of fw_inputs.h (XDP: the device context of
 * bpfvc/devabi.h, as runtime/ctx.c lays it out) and prints, over
 * semihosting,
 *   trace: LINE                       the program's bpf_trace_printk
 *   run NAME: r0 = V                  per input
 *   map NAME: KEYHEX -> VALUEHEX      every element after the last run
 * then exits with FW_EXIT_OK, or prints "bvc-fw: refused: WHY" and exits
 * with FW_EXIT_REFUSED.
 *
 * With "sweep" as the last word of the command line (qemu -append sweep) it first loads, in a
 * RAM copy, every blob that differs from the linked-in one in one byte
 * (each byte XOR 0xff): every one must be refused (FW_EXIT_ACCEPTED_CHANGE
 * otherwise, naming the offsets), then goes on as above. The lines are the ones tests/firmware/fw_ref.c
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
static uint8_t copy[16384];
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

/* bpf_trace_printk's lines, marked as the program's. */
static void trace_line(const char *s)
{
	fw_puts("trace: ");
	fw_puts(s);
	fw_puts("\n");
}

/* QEMU's semihosting command line is "KERNEL ARGS" (-append) or the
 * -semihosting-config arg= words: look at the last word. */
static int last_word_is(const char *line, const char *word)
{
	size_t n = 0, w = 0;

	while (line[n])
		n++;
	while (word[w])
		w++;
	return n >= w && !memcmp(line + n - w, word, w) && (n == w || line[n - w - 1] == ' ');
}

/* Every single-byte change of the blob must be refused. */
static int sweep(const uint8_t *blob, uint32_t size, const uint8_t *pub)
{
	char err[160];
	uint32_t refused = 0;

	if (size > sizeof(copy)) {
		print("bvc-fw: sweep: the blob is %u bytes, more than %u\n", size,
		      (unsigned)sizeof(copy));
		return FW_EXIT_REFUSED;
	}
	memcpy(copy, blob, size);
	for (uint32_t off = 0; off < size; off++) {
		copy[off] ^= 0xff;
		if (bvc_bm_load(copy, size, pub, &prog, err, sizeof(err)))
			refused++;
		else
			print("bvc-fw: sweep: byte %u changed, the blob is still accepted\n", off);
		copy[off] ^= 0xff;
	}
	print("bvc-fw: sweep: %u of %u single-byte changes refused\n", refused, size);
	return refused == size ? FW_EXIT_OK : FW_EXIT_ACCEPTED_CHANGE;
}

int main(void)
{
	char err[160], cmdline[64];
	uint64_t r0;
	int rc;

	bvc_bm_set_output(trace_line);
	if (_binary_pubkey_raw_end - _binary_pubkey_raw_start != 32) {
		print("bvc-fw: refused: the linked-in public key is not 32 bytes\n");
		return FW_EXIT_REFUSED;
	}
	if (!fw_cmdline(cmdline, sizeof(cmdline)) && last_word_is(cmdline, "sweep")) {
		rc = sweep(_blob_start, (uint32_t)(_blob_end - _blob_start),
			   _binary_pubkey_raw_start);
		if (rc)
			return rc;
	}
	rc = bvc_bm_load(_blob_start, (size_t)(_blob_end - _blob_start), _binary_pubkey_raw_start,
			 &prog, err, sizeof(err));
	if (rc) {
		print("bvc-fw: refused: %s (%d)\n", err, rc);
		return FW_EXIT_REFUSED;
	}
	print("bvc-fw: loaded %s: %u bytes of code, %u maps\n", prog.name, prog.code_size,
	      prog.map_cnt);
	/* No MPU guard below the stack: a program whose frames could reach
	 * .bss is refused. Half the stack leaves room for the JIT's register
	 * file, its saves per call and a helper's own frames (the kernel's
	 * chains are at most 512 bytes; the blob format allows 64 KiB). */
	if (prog.stack_depth > FW_STACK_SIZE / 2) {
		print("bvc-fw: refused: stack depth %u bytes, more than this firmware's %u\n",
		      prog.stack_depth, FW_STACK_SIZE / 2);
		return FW_EXIT_REFUSED;
	}
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
