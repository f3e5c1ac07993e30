// SPDX-License-Identifier: MIT
/*
 * The bare-metal blob reader and loader: docs/blob-format.md's checks, in
 * its three stages (header and table, signature, contents), for a device
 * without libc or OpenSSL, then the maps, the code's RAM copy and its
 * relocation slots.
 *
 * Why not signer/blob_read.c: it allocates, formats with snprintf and
 * checks signatures with OpenSSL, none of which a microcontroller has.
 * This reader keeps its rules (canonical layout, everything before the
 * signature section signed, key id checked, nothing used before it is
 * checked) with the host reader's messages where it has the same check,
 * and refuses what this device does not run rather than reading it: tail
 * calls (progs), kconfig and kernel sections, LD_ABS intrinsics.
 *
 * Byte offsets are docs/blob-format.md's (signer/signer_internal.h has
 * the same ones, but it needs OpenSSL's headers).
 */
#include "baremetal.h"
#include "bpfvc/abi.h"
#include "bpfvc/devabi.h"
#include "bpfvc/ed25519.h"
#include "bm_internal.h"

#define HDR_SIZE 32
#define SEC_ENTRY 16
#define MAX_SECTIONS 10
#define SEC_CODE 1
#define SEC_RELOCS 2
#define SEC_MAPS 3
#define SEC_DATA 4
#define SEC_BYTECODE 5
#define SEC_META 6
#define SEC_PROGS 7
#define SEC_KCONFIG 8
#define SEC_KERNEL 9
#define SEC_SIGNATURE 255
#define SIG_SIZE 80
#define MAP_REC 96
#define META_MIN 344
#define META_MAX_HELPERS 64
#define MAX_STACK 65536

struct sec {
	uint32_t off, size;
};

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#define fail(code, ...)                                      \
	do {                                                 \
		if (err)                                     \
			bvc_bm_fmt(err, errsz, __VA_ARGS__); \
		return -(code);                              \
	} while (0)

static int kind_index(uint32_t kind)
{
	if (kind >= SEC_CODE && kind <= SEC_KERNEL)
		return (int)kind;
	return kind == SEC_SIGNATURE ? 0 : -1;
}

/* A text field: NUL within @cap, printable before it, zeros after it. */
static int text_ok(const uint8_t *p, size_t cap, int may_be_empty)
{
	size_t n = 0;

	while (n < cap && p[n])
		if (p[n] < 0x20 || p[n++] > 0x7e)
			return 0;
	if (n == cap || (!n && !may_be_empty))
		return 0;
	for (; n < cap; n++)
		if (p[n])
			return 0;
	return 1;
}

/* Stage 1: header and section table; @secs indexed by kind_index(). */
static int read_table(const uint8_t *b, size_t size, struct sec secs[10], char *err, size_t errsz)
{
	uint32_t nsec, target, prev = 0, cursor;

	if (size < HDR_SIZE)
		fail(BVC_BM_EBADMSG, "blob is %zu bytes, shorter than its %d-byte header", size,
		     HDR_SIZE);
	if (memcmp(b, "BPFVCBLB", 8))
		fail(BVC_BM_EBADMSG, "not a bpfvc blob (bad magic)");
	if (u32(b + 8) != 2)
		fail(BVC_BM_EBADMSG, "blob format version %u, this reader knows version 2",
		     u32(b + 8));
	if (u32(b + 24) != size)
		fail(BVC_BM_EBADMSG, "header says the blob is %u bytes, but it is %zu", u32(b + 24),
		     size);
	target = u32(b + 12);
	if (target < 1 || target > BVC_JIT_TARGET_LAST)
		fail(BVC_BM_EBADMSG, "unknown target %u in the header", target);
	if (u32(b + 16))
		fail(BVC_BM_EBADMSG, "unknown header flags 0x%x", u32(b + 16));
	if (u32(b + 28))
		fail(BVC_BM_EBADMSG, "reserved header field is 0x%x, not 0", u32(b + 28));
	nsec = u32(b + 20);
	if (nsec < 1 || nsec > MAX_SECTIONS)
		fail(BVC_BM_EBADMSG, "section count %u out of range (1..%d)", nsec, MAX_SECTIONS);
	cursor = HDR_SIZE + SEC_ENTRY * nsec;
	if (cursor > size)
		fail(BVC_BM_EBADMSG, "section table (%u entries) runs past the end of the blob",
		     nsec);
	memset(secs, 0, 10 * sizeof(*secs));
	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *e = b + HDR_SIZE + SEC_ENTRY * i;
		uint32_t kind = u32(e), off = u32(e + 4), sz = u32(e + 8);
		uint32_t expect = (cursor + 7) & ~7u;
		int k = kind_index(kind);

		if (k < 0)
			fail(BVC_BM_EBADMSG, "section %u (kind %u): unknown section kind %u", i,
			     kind, kind);
		if (u32(e + 12))
			fail(BVC_BM_EBADMSG, "section %u: reserved field is 0x%x, not 0", i,
			     u32(e + 12));
		/* Kinds strictly ascending: no duplicate, and the signature last. */
		if (i && kind <= prev)
			fail(BVC_BM_EBADMSG,
			     "section %u (kind %u) comes after kind %u: sections out of order", i,
			     kind, prev);
		if (!sz)
			fail(BVC_BM_EBADMSG, "section %u is empty", i);
		if (off > size || sz > size - off)
			fail(BVC_BM_EBADMSG,
			     "section %u [0x%x, +%u) runs past the end of the blob (%zu bytes)", i,
			     off, sz, size);
		if (off != expect)
			fail(BVC_BM_EBADMSG,
			     "section %u starts at 0x%x, expected 0x%x (sections are packed on 8-byte boundaries)",
			     i, off, expect);
		for (uint32_t j = cursor; j < off; j++)
			if (b[j])
				fail(BVC_BM_EBADMSG,
				     "nonzero padding byte at 0x%x before section %u", j, i);
		secs[k].off = off;
		secs[k].size = sz;
		cursor = off + sz;
		prev = kind;
	}
	if (prev != SEC_SIGNATURE)
		fail(BVC_BM_EKEYREJECTED, "unsigned: the blob has no signature section");
	if (cursor != size)
		fail(BVC_BM_EBADMSG, "%zu bytes after the signature section", size - cursor);
	if (!secs[SEC_CODE].size)
		fail(BVC_BM_EBADMSG, "the blob has no code section");
	if (!secs[SEC_META].size)
		fail(BVC_BM_EBADMSG, "the blob has no meta section");
	return 0;
}

static void hex8(char out[17], const uint8_t *id)
{
	for (int i = 0; i < 8; i++) {
		out[2 * i] = "0123456789abcdef"[id[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[id[i] & 15];
	}
	out[16] = '\0';
}

/* Stage 2: the signature over [0, signature section). */
static int check_signature(const uint8_t *b, const struct sec *s, const uint8_t pub[32], char *err,
			   size_t errsz)
{
	const uint8_t *p = b + s->off;
	uint8_t id[32];
	char have[17], want[17];

	if (s->size != SIG_SIZE)
		fail(BVC_BM_EBADMSG, "signature section is %u bytes, expected %d", s->size,
		     SIG_SIZE);
	if (u32(p) != 1)
		fail(BVC_BM_EBADMSG, "unknown signature algorithm %u (1 is Ed25519)", u32(p));
	if (u32(p + 4))
		fail(BVC_BM_EBADMSG, "signature section: reserved field is 0x%x, not 0",
		     u32(p + 4));
	/* The key id is outside the signed bytes: it must name our key exactly. */
	bvc_bm_sha256(pub, 32, id);
	if (memcmp(p + 8, id, 8)) {
		hex8(have, p + 8);
		hex8(want, id);
		fail(BVC_BM_EKEYREJECTED, "signed by key %s, not by the trusted key %s", have,
		     want);
	}
	if (!bvc_ed25519_verify(p + 16, b, s->off, pub)) {
		hex8(want, id);
		fail(BVC_BM_EKEYREJECTED, "bad signature: signature does not verify with key %s",
		     want);
	}
	return 0;
}

/* Stage 3: meta. */
static int read_meta(const uint8_t *b, const struct sec *secs, struct bvc_bm_prog *prog, char *err,
		     size_t errsz)
{
	const struct sec *s = &secs[SEC_META];
	const uint8_t *p = b + s->off;
	uint32_t cnt, prev = 0;

	if (s->size < META_MIN)
		fail(BVC_BM_EBADMSG, "meta section is %u bytes, shorter than %d", s->size,
		     META_MIN);
	cnt = u32(p + 340);
	if (cnt > META_MAX_HELPERS)
		fail(BVC_BM_EBADMSG, "meta: %u helper ids, more than the limit of %d", cnt,
		     META_MAX_HELPERS);
	if (s->size != META_MIN + 4 * cnt)
		fail(BVC_BM_EBADMSG, "meta section is %u bytes, expected %u for %u helper ids",
		     s->size, META_MIN + 4 * cnt, cnt);
	if (!text_ok(p, 64, 0) || !text_ok(p + 72, 128, 1) || !text_ok(p + 240, 72, 1))
		fail(BVC_BM_EBADMSG, "meta: a text field is malformed");
	memcpy(prog->name, p, BVC_BM_NAME_MAX);
	prog->prog_type = u32(p + 64);
	if (u32(p + 204) > MAX_STACK)
		fail(BVC_BM_EBADMSG, "meta: stack depth %u bytes, more than the limit of %d",
		     u32(p + 204), MAX_STACK);
	prog->stack_depth = u32(p + 204);
	prog->entry_off = u32(p + 200);
	if (prog->entry_off >= secs[SEC_CODE].size)
		fail(BVC_BM_EBADMSG, "meta: entry offset 0x%x outside the code (%u bytes)",
		     prog->entry_off, secs[SEC_CODE].size);
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t id = u32(p + META_MIN + 4 * i);

		if (!id)
			fail(BVC_BM_EBADMSG, "meta: helper id 0 at %u is not a helper", i);
		if (i && id <= prev)
			fail(BVC_BM_EBADMSG,
			     "meta: helper ids not strictly ascending (%u after %u)", id, prev);
		prev = id;
		if (!bvc_bm_helper_supported(id))
			fail(BVC_BM_EOPNOTSUPP, "blob needs helper #%u which this runtime lacks",
			     id);
	}
	return 0;
}

/* Stage 3: maps and their initial data, made in the arena. */
static int read_maps(const uint8_t *b, const struct sec *secs, struct bvc_bm_prog *prog, char *err,
		     size_t errsz)
{
	const struct sec *s = &secs[SEC_MAPS], *d = &secs[SEC_DATA];
	uint32_t cnt, data_used = 0;
	int rc;

	if (d->size && !s->size)
		fail(BVC_BM_EBADMSG, "data section without a maps section");
	if (s->size % MAP_REC)
		fail(BVC_BM_EBADMSG, "maps section is %u bytes, not a multiple of %d", s->size,
		     MAP_REC);
	cnt = s->size / MAP_REC;
	if (cnt > BVC_BM_MAX_MAPS)
		fail(BVC_BM_EOPNOTSUPP, "%u maps, more than this device's %d", cnt,
		     BVC_BM_MAX_MAPS);
	for (uint32_t i = 0; i < cnt; i++) {
		const uint8_t *r = b + s->off + MAP_REC * i;
		struct bvc_bm_map *m = &prog->maps[i];
		uint32_t doff = u32(r + 84), dsize = u32(r + 88);

		if (!text_ok(r, 64, 0))
			fail(BVC_BM_EBADMSG, "map %u: name is malformed", i);
		memcpy(m->name, r, BVC_BM_NAME_MAX);
		m->type = u32(r + 64);
		m->key_size = u32(r + 68);
		m->value_size = u32(r + 72);
		m->max_entries = u32(r + 76);
		m->flags = u32(r + 80);
		if (!m->type)
			fail(BVC_BM_EBADMSG, "map %u (%s): map type 0", i, m->name);
		if (u32(r + 92))
			fail(BVC_BM_EBADMSG, "map %u (%s): reserved field is 0x%x, not 0", i,
			     m->name, u32(r + 92));
		rc = bm_map_init(m, err, errsz);
		if (rc)
			return rc;
		if (!dsize) {
			if (doff)
				fail(BVC_BM_EBADMSG,
				     "map %u (%s): data offset 0x%x without initial data", i,
				     m->name, doff);
			continue;
		}
		if (m->type != BVC_MAP_ARRAY || !m->max_entries)
			fail(BVC_BM_EBADMSG,
			     "map %u (%s): initial data for a map that is not a non-empty array", i,
			     m->name);
		if (dsize != m->value_size)
			fail(BVC_BM_EBADMSG,
			     "map %u (%s): %u bytes of initial data for a %u-byte value", i,
			     m->name, dsize, m->value_size);
		if (doff != data_used)
			fail(BVC_BM_EBADMSG,
			     "map %u (%s): initial data at 0x%x, expected 0x%x (packed in map order)",
			     i, m->name, doff, data_used);
		if (doff > d->size || dsize > d->size - doff)
			fail(BVC_BM_EBADMSG,
			     "map %u (%s): initial data outside the data section (%u bytes)", i,
			     m->name, d->size);
		memcpy(m->mem, b + d->off + doff, dsize);
		data_used += dsize;
	}
	if (data_used != d->size)
		fail(BVC_BM_EBADMSG, "data section is %u bytes, but the maps' initial data take %u",
		     d->size, data_used);
	prog->map_cnt = cnt;
	return 0;
}

/* Stage 3: relocations, checked and applied to the RAM copy of the code.
 * Slots are 64 bits; pointers here are 32, so the high word is 0. */
static int relocate(const uint8_t *b, const struct sec *secs, struct bvc_bm_prog *prog, char *err,
		    size_t errsz)
{
	const struct sec *s = &secs[SEC_RELOCS];
	const uint8_t *meta = b + secs[SEC_META].off;
	uint32_t nhelp = u32(meta + 340), end = 0;

	if (s->size % 16)
		fail(BVC_BM_EBADMSG, "relocs section is %u bytes, not a multiple of 16", s->size);
	for (uint32_t i = 0; i < s->size / 16; i++) {
		const uint8_t *r = b + s->off + 16 * i;
		uint32_t off = u32(r), kind = u32(r + 4), target = u32(r + 8);
		int32_t addend = (int32_t)u32(r + 12);
		uintptr_t addr = 0;
		int listed = 0;

		if (off >= prog->code_size || prog->code_size - off < 8)
			fail(BVC_BM_EBADMSG,
			     "relocation %u: slot at 0x%x is outside the code (%u bytes)", i, off,
			     prog->code_size);
		if (i && off < end)
			fail(BVC_BM_EBADMSG,
			     "relocation %u: slot at 0x%x overlaps or precedes the previous one", i,
			     off);
		end = off + 8;
		if (addend && kind != BVC_RELOC_MAP_VALUE)
			fail(BVC_BM_EBADMSG,
			     "relocation %u: addend %d on a relocation that takes none", i, addend);
		switch (kind) {
		case BVC_RELOC_HELPER:
			for (uint32_t h = 0; h < nhelp; h++)
				listed |= u32(meta + META_MIN + 4 * h) == target;
			if (!listed)
				fail(BVC_BM_EBADMSG,
				     "relocation %u: helper #%u is not in the meta section's helper list",
				     i, target);
			addr = bm_helper_addr(target);
			break;
		case BVC_RELOC_MAP:
		case BVC_RELOC_MAP_VALUE:
			if (target >= prog->map_cnt)
				fail(BVC_BM_EBADMSG,
				     "relocation %u: map index %u out of range (%u maps)", i,
				     target, prog->map_cnt);
			if (kind == BVC_RELOC_MAP) {
				addr = (uintptr_t)&prog->maps[target];
				break;
			}
			if (prog->maps[target].type != BVC_MAP_ARRAY ||
			    !prog->maps[target].max_entries)
				fail(BVC_BM_EOPNOTSUPP,
				     "relocation %u: a value address of map %u, not an array", i,
				     target);
			if (addend < 0 || (uint32_t)addend >= prog->maps[target].value_size)
				fail(BVC_BM_EBADMSG,
				     "relocation %u: offset %d outside map %u (%s)'s %u-byte value",
				     i, addend, target, prog->maps[target].name,
				     prog->maps[target].value_size);
			addr = (uintptr_t)prog->maps[target].mem + (uint32_t)addend;
			break;
		case BVC_RELOC_RUNTIME:
			fail(BVC_BM_EOPNOTSUPP,
			     "relocation %u: runtime function %u (LD_ABS): not on this device", i,
			     target);
		case BVC_RELOC_PROG_ARRAY:
			fail(BVC_BM_EOPNOTSUPP, "relocation %u: tail calls: not on this device", i);
		default:
			fail(BVC_BM_EBADMSG, "relocation %u: unknown kind %u", i, kind);
		}
		put_u32(prog->code + off, (uint32_t)addr);
		put_u32(prog->code + off + 4, 0);
	}
	return 0;
}

int bvc_bm_load(const uint8_t *blob, size_t size, const uint8_t pub[32], struct bvc_bm_prog *prog,
		char *err, size_t errsz)
{
	struct sec secs[10];
	int rc;

	memset(prog, 0, sizeof(*prog));
	bm_arena_reset();
	rc = read_table(blob, size, secs, err, errsz);
	if (rc)
		return rc;
	rc = check_signature(blob, &secs[0], pub, err, errsz);
	if (rc)
		return rc;
	/* Signed from here on: what follows guards against our own writer's
	 * bugs and against what this device cannot run. */
	if (u32(blob + 12) != BVC_JIT_THUMBV7M)
		fail(BVC_BM_ENOEXEC, "blob is for target %u, this device is thumbv7m (%d)",
		     u32(blob + 12), BVC_JIT_THUMBV7M);
	if (secs[SEC_PROGS].size)
		fail(BVC_BM_EOPNOTSUPP, "unsupported: tail calls (progs section) on this device");
	if (secs[SEC_KCONFIG].size || secs[SEC_KERNEL].size)
		fail(BVC_BM_EOPNOTSUPP,
		     "unsupported: a blob verified for a Linux kernel (kconfig or kernel section)");
	if (secs[SEC_BYTECODE].size % 8)
		fail(BVC_BM_EBADMSG, "bytecode section is %u bytes, not a multiple of 8",
		     secs[SEC_BYTECODE].size);
	rc = read_meta(blob, secs, prog, err, errsz);
	if (rc)
		return rc;
	rc = read_maps(blob, secs, prog, err, errsz);
	if (rc)
		return rc;
	prog->code_size = secs[SEC_CODE].size;
	prog->code = bm_arena_alloc(prog->code_size);
	if (!prog->code)
		fail(BVC_BM_ENOMEM, "code of %u bytes: out of device memory", prog->code_size);
	memcpy(prog->code, blob + secs[SEC_CODE].off, prog->code_size);
	rc = relocate(blob, secs, prog, err, errsz);
	if (rc)
		return rc;
#if defined(__arm__)
	/* The code was written as data: let the core fetch the new bytes. */
	__asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
	return 0;
}

#if defined(__arm__)
void bvc_bm_run(const struct bvc_bm_prog *prog, void *ctx, uint32_t ctx_size, uint64_t *r0)
{
	uint64_t (*entry)(void *, uint64_t);

	/* Thumb: bit 0 of the address says so to BLX. */
	entry = (uint64_t(*)(void *, uint64_t))((uintptr_t)(prog->code + prog->entry_off) | 1);
	*r0 = entry(ctx, ctx_size);
}
#endif /* __arm__: the host tests check loading only */
