// SPDX-License-Identifier: MIT
/*
 * The blob reader (docs/design.md section 5, docs/blob-format.md): what a device
 * runs before it trusts a byte of a blob.
 *
 * The format is canonical: sections come in the order of their kinds,
 * packed, each on an 8-byte boundary with zero padding, no section empty,
 * the signature last and ending the blob. Every byte before the signature
 * section is signed, so there is exactly one blob for one content and no
 * byte a device reads that the signer did not vouch for.
 *
 * The reader runs in three stages and uses nothing before it has checked
 * it: (1) header and section table, which it needs to find the signature;
 * (2) the signature against the trusted key; (3) every section's contents,
 * cross-checked (relocations against the code, maps and helper list; maps
 * against the data section). Every check has its own message; the reader
 * never reads outside @buf whatever the bytes are.
 *
 * Must not: print, trust any count or offset before bounding it, read
 * unaligned through a struct pointer, depend on the verifier engine or the
 * JIT, or call the writer or anything that signs (a device links this file
 * without blob_write.c; besides libcrypto it needs only bvc_abi, for the
 * names in its messages).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bpfvc/blob.h"
#include "bpfvc/abi.h"
#include "bpfvc/util.h"
#include "signer_internal.h"

/* Largest stack a blob may ask for: far above what any verified program
 * needs (512 bytes per frame, 8 frames), low enough to bound the device. */
#define MAX_STACK_DEPTH (64 * 1024)

/* Target numbers are enum bvc_jit_target's (bpfvc/abi.h). */
static const char *target_name(uint32_t t)
{
	return bvc_jit_target_name((enum bvc_jit_target)t);
}

const char *bvc_blob_sec_name(uint32_t kind)
{
	switch (kind) {
	case BVC_BLOB_SEC_CODE: return "code";
	case BVC_BLOB_SEC_RELOCS: return "relocs";
	case BVC_BLOB_SEC_MAPS: return "maps";
	case BVC_BLOB_SEC_DATA: return "data";
	case BVC_BLOB_SEC_BYTECODE: return "bytecode";
	case BVC_BLOB_SEC_META: return "meta";
	case BVC_BLOB_SEC_PROGS: return "progs";
	case BVC_BLOB_SEC_KCONFIG:
		return "kconfig";
	case BVC_BLOB_SEC_KERNEL: return "kernel";
	case BVC_BLOB_SEC_SIGNATURE: return "signature";
	}
	return NULL;
}

/* Little-endian loads, whatever the host. */
static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* A text field of @cap bytes: NUL-terminated, printable ASCII before the
 * NUL, zero after it (so the signed bytes hold nothing hidden). Copies it
 * to @out (@cap bytes) and returns 0, or -EBADMSG with @err naming @what. */
static int get_str(const uint8_t *p, size_t cap, bool need_text, char *out, const char *what,
		   char *err, size_t errsz)
{
	const uint8_t *nul = memchr(p, 0, cap);
	size_t len, i;

	if (!nul) {
		bvc_set_err(err, errsz, "%s is not NUL-terminated within its %zu bytes", what, cap);
		return -EBADMSG;
	}
	len = (size_t)(nul - p);
	if (need_text && len == 0) {
		bvc_set_err(err, errsz, "%s is empty", what);
		return -EBADMSG;
	}
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] > 0x7e) {
			bvc_set_err(err, errsz, "%s has a non-printable byte 0x%02x at %zu", what, p[i], i);
			return -EBADMSG;
		}
	}
	for (i = len; i < cap; i++) {
		if (p[i]) {
			bvc_set_err(err, errsz, "%s has nonzero bytes after its NUL", what);
			return -EBADMSG;
		}
	}
	memcpy(out, p, cap);
	return 0;
}

/* What the reader allocates besides the public struct. */
struct blob_owned {
	struct bvc_blob b;          /* first: bvc_blob_free() casts back */
	struct bvc_reloc *relocs;   /* decoded relocations */
	struct bvc_insn *bytecode;  /* a copy, only when the buffer's bytecode is
				     * not aligned for struct bvc_insn */
	struct bvc_blob_prog *progs; /* decoded program table */
	struct bvc_blob_slot *slots; /* decoded prog_array slots */
	struct bvc_blob_kconfig_var *kvars; /* decoded kconfig externs */
};

/* One section as the table gives it, after stage 1. */
struct sec {
	uint32_t off, size;
};

struct reader {
	const uint8_t *buf;
	size_t size;
	struct sec sec[NKINDS];  /* by position in kinds[]; size 0 = absent */
	char *err;
	size_t errsz;
};

static const struct sec *sec_of(const struct reader *r, uint32_t kind)
{
	const struct sec *s = &r->sec[kind_index(kind)];

	return s->size ? s : NULL;
}

/* Describe table entry @i of kind @kind for a message. */
static const char *sec_desc(char *buf, size_t sz, uint32_t i, uint32_t kind)
{
	const char *name = bvc_blob_sec_name(kind);

	if (name)
		snprintf(buf, sz, "section %u (%s)", i, name);
	else
		snprintf(buf, sz, "section %u (kind %u)", i, kind);
	return buf;
}

/* Section [@off, @end) starts before the end of what came before it: name
 * what it overlaps (the table, or the first earlier section it meets). */
static void overlap_err(const struct reader *r, uint32_t i, const char *desc, uint32_t off,
			uint64_t end, size_t table_end)
{
	const uint8_t *e = r->buf + BVC_BLOB_HEADER_SIZE;
	char d2[48];
	uint32_t j;

	if (off < table_end) {
		bvc_set_err(r->err, r->errsz,
			"%s [0x%x, 0x%llx) overlaps the header and section table [0, 0x%zx)", desc,
			off, (unsigned long long)end, table_end);
		return;
	}
	/* Earlier entries passed every check, so they are packed and in order. */
	for (j = 0; j < i; j++, e += BVC_BLOB_SECTION_ENTRY_SIZE) {
		uint32_t o = get_u32(e + SEC_OFFSET), sz = get_u32(e + SEC_SIZE);

		if (off < (uint64_t)o + sz && end > o) {
			bvc_set_err(r->err, r->errsz, "%s [0x%x, 0x%llx) overlaps %s [0x%x, 0x%llx)",
				desc, off, (unsigned long long)end,
				sec_desc(d2, sizeof(d2), j, get_u32(e + SEC_KIND)), o,
				(unsigned long long)o + sz);
			return;
		}
	}
	bvc_set_err(r->err, r->errsz, "%s [0x%x, 0x%llx) starts before the end of the previous section",
		desc, off, (unsigned long long)end);
}

/* Stage 1: header and section table. */
static int check_layout(struct reader *r, uint32_t *target)
{
	const uint8_t *buf = r->buf;
	uint32_t nsec, total, prev_kind = 0, i;
	size_t cursor, table_end;
	char d1[48], d2[48];
	uint32_t prev_i = 0;
	bool seen_any = false;

	if (r->size < BVC_BLOB_HEADER_SIZE) {
		bvc_set_err(r->err, r->errsz, "blob is %zu bytes, shorter than its %d-byte header",
			r->size, BVC_BLOB_HEADER_SIZE);
		return -EBADMSG;
	}
	if (memcmp(buf + HDR_MAGIC, BVC_BLOB_MAGIC, 8) != 0) {
		bvc_set_err(r->err, r->errsz, "not a bpfvc blob (bad magic)");
		return -EBADMSG;
	}
	if (get_u32(buf + HDR_VERSION) != BVC_BLOB_VERSION) {
		bvc_set_err(r->err, r->errsz, "blob format version %u, this reader knows version %d",
			get_u32(buf + HDR_VERSION), BVC_BLOB_VERSION);
		return -EBADMSG;
	}
	total = get_u32(buf + HDR_TOTAL);
	if (total != r->size) {
		bvc_set_err(r->err, r->errsz, "header says the blob is %u bytes, but it is %zu%s", total,
			r->size, total > r->size ? " (truncated)" : "");
		return -EBADMSG;
	}
	if (total > BVC_BLOB_MAX_SIZE) {
		bvc_set_err(r->err, r->errsz, "blob is %u bytes, more than the limit of %u", total,
			BVC_BLOB_MAX_SIZE);
		return -EBADMSG;
	}
	*target = get_u32(buf + HDR_TARGET);
	if (!target_name(*target)) {
		bvc_set_err(r->err, r->errsz, "unknown target %u in the header", *target);
		return -EBADMSG;
	}
	if (get_u32(buf + HDR_FLAGS) != 0) {
		bvc_set_err(r->err, r->errsz, "unknown header flags 0x%x", get_u32(buf + HDR_FLAGS));
		return -EBADMSG;
	}
	if (get_u32(buf + HDR_RESERVED) != 0) {
		bvc_set_err(r->err, r->errsz, "reserved header field is 0x%x, not 0",
			get_u32(buf + HDR_RESERVED));
		return -EBADMSG;
	}
	nsec = get_u32(buf + HDR_NSEC);
	if (nsec == 0 || nsec > NKINDS) {
		bvc_set_err(r->err, r->errsz, "section count %u out of range (1..%zu)", nsec, NKINDS);
		return -EBADMSG;
	}
	table_end = BVC_BLOB_HEADER_SIZE + (size_t)nsec * BVC_BLOB_SECTION_ENTRY_SIZE;
	if (table_end > r->size) {
		bvc_set_err(r->err, r->errsz,
			"section table (%u entries, ends at 0x%zx) runs past the end of the blob (%zu bytes)",
			nsec, table_end, r->size);
		return -EBADMSG;
	}

	cursor = table_end;
	for (i = 0; i < nsec; i++) {
		const uint8_t *e = buf + BVC_BLOB_HEADER_SIZE + (size_t)i * BVC_BLOB_SECTION_ENTRY_SIZE;
		uint32_t kind = get_u32(e + SEC_KIND);
		uint32_t off = get_u32(e + SEC_OFFSET);
		uint32_t size = get_u32(e + SEC_SIZE);
		uint64_t end = (uint64_t)off + size;
		int k = kind_index(kind);
		size_t j;

		sec_desc(d1, sizeof(d1), i, kind);
		if (k < 0) {
			bvc_set_err(r->err, r->errsz, "%s: unknown section kind %u", d1, kind);
			return -EBADMSG;
		}
		if (get_u32(e + SEC_RESERVED) != 0) {
			bvc_set_err(r->err, r->errsz, "%s: reserved field is 0x%x, not 0", d1,
				get_u32(e + SEC_RESERVED));
			return -EBADMSG;
		}
		if (seen_any && kind == prev_kind) {
			bvc_set_err(r->err, r->errsz, "%s: duplicate %s section", d1,
				bvc_blob_sec_name(kind));
			return -EBADMSG;
		}
		if (seen_any && kind < prev_kind) {
			bvc_set_err(r->err, r->errsz, "%s comes after %s: sections out of order", d1,
				sec_desc(d2, sizeof(d2), prev_i, prev_kind));
			return -EBADMSG;
		}
		if (size == 0) {
			bvc_set_err(r->err, r->errsz, "%s is empty", d1);
			return -EBADMSG;
		}
		if (end > r->size) {
			bvc_set_err(r->err, r->errsz,
				"%s [0x%x, 0x%llx) runs past the end of the blob (%zu bytes)", d1, off,
				(unsigned long long)end, r->size);
			return -EBADMSG;
		}
		if (off < cursor) {
			overlap_err(r, i, d1, off, end, table_end);
			return -EBADMSG;
		}
		if (off != align_up(cursor)) {
			bvc_set_err(r->err, r->errsz,
				"%s starts at 0x%x, expected 0x%zx (sections are packed on %d-byte boundaries)",
				d1, off, align_up(cursor), BVC_BLOB_ALIGN);
			return -EBADMSG;
		}
		for (j = cursor; j < off; j++) {
			if (buf[j]) {
				bvc_set_err(r->err, r->errsz, "nonzero padding byte at 0x%zx before %s", j,
					d1);
				return -EBADMSG;
			}
		}
		r->sec[k].off = off;
		r->sec[k].size = size;
		cursor = (size_t)end;
		prev_kind = kind;
		prev_i = i;
		seen_any = true;
	}
	if (prev_kind != BVC_BLOB_SEC_SIGNATURE) {
		bvc_set_err(r->err, r->errsz, "unsigned: the blob has no signature section");
		return -EKEYREJECTED;
	}
	if (cursor != r->size) {
		bvc_set_err(r->err, r->errsz, "%zu bytes after the signature section", r->size - cursor);
		return -EBADMSG;
	}
	if (!sec_of(r, BVC_BLOB_SEC_CODE)) {
		bvc_set_err(r->err, r->errsz, "the blob has no code section");
		return -EBADMSG;
	}
	if (!sec_of(r, BVC_BLOB_SEC_META)) {
		bvc_set_err(r->err, r->errsz, "the blob has no meta section");
		return -EBADMSG;
	}
	return 0;
}

/* Stage 2: the signature section, and the signature when @trusted is set. */
static int check_signature(struct reader *r, const struct bvc_key *trusted, struct bvc_blob *b)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_SIGNATURE);
	const uint8_t *p = r->buf + s->off;
	char have[17], want[17], why[256];
	int ret;

	if (s->size != SIG_SIZE) {
		bvc_set_err(r->err, r->errsz, "signature section is %u bytes, expected %d", s->size,
			SIG_SIZE);
		return -EBADMSG;
	}
	if (get_u32(p + SIG_ALG) != BVC_BLOB_SIG_ED25519) {
		bvc_set_err(r->err, r->errsz, "unknown signature algorithm %u (1 is Ed25519)",
			get_u32(p + SIG_ALG));
		return -EBADMSG;
	}
	if (get_u32(p + SIG_RESERVED) != 0) {
		bvc_set_err(r->err, r->errsz, "signature section: reserved field is 0x%x, not 0",
			get_u32(p + SIG_RESERVED));
		return -EBADMSG;
	}
	memcpy(b->key_id, p + SIG_KEY_ID, sizeof(b->key_id));
	memcpy(b->signature, p + SIG_SIG, sizeof(b->signature));
	if (!trusted)
		return 0;

	if (memcmp(b->key_id, bvc_signer_key_id(trusted), BVC_SIGNER_KEY_ID_LEN) != 0) {
		bvc_set_err(r->err, r->errsz, "signed by key %s, not by the trusted key %s",
			bvc_signer_key_id_hex(b->key_id, have),
			bvc_signer_key_id_hex(bvc_signer_key_id(trusted), want));
		return -EKEYREJECTED;
	}
	why[0] = '\0';
	ret = bvc_signer_verify(trusted, r->buf, s->off, b->signature, why, sizeof(why));
	if (ret == -EBADMSG) {
		bvc_set_err(r->err, r->errsz, "bad signature: %s", why);
		return -EKEYREJECTED;
	}
	if (ret) {
		bvc_set_err(r->err, r->errsz, "%s", why);
		return ret;
	}
	b->sig_checked = 1;
	return 0;
}

static int check_meta(struct reader *r, struct bvc_blob *b)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_META);
	const uint8_t *p = r->buf + s->off;
	struct bvc_blob_meta *m = &b->meta;
	uint32_t i, cnt;
	int ret;

	if (s->size < META_HELPERS) {
		bvc_set_err(r->err, r->errsz, "meta section is %u bytes, shorter than %d", s->size,
			META_HELPERS);
		return -EBADMSG;
	}
	cnt = get_u32(p + META_HELPER_CNT);
	if (cnt > BVC_BLOB_MAX_HELPERS) {
		bvc_set_err(r->err, r->errsz, "meta: %u helper ids, more than the limit of %d", cnt,
			BVC_BLOB_MAX_HELPERS);
		return -EBADMSG;
	}
	if (s->size != META_HELPERS + 4 * cnt) {
		bvc_set_err(r->err, r->errsz, "meta section is %u bytes, expected %u for %u helper ids",
			s->size, META_HELPERS + 4 * cnt, cnt);
		return -EBADMSG;
	}
	ret = get_str(p + META_PROG_NAME, sizeof(m->prog_name), true, m->prog_name,
		      "meta: program name", r->err, r->errsz);
	if (!ret)
		ret = get_str(p + META_LICENSE, sizeof(m->license), false, m->license,
			      "meta: license", r->err, r->errsz);
	if (!ret)
		ret = get_str(p + META_VERIFIER, sizeof(m->verifier), false, m->verifier,
			      "meta: verifier version", r->err, r->errsz);
	if (ret)
		return ret;
	m->prog_type = get_u32(p + META_PROG_TYPE);
	m->expected_attach_type = get_u32(p + META_ATTACH_TYPE);
	m->stack_depth = get_u32(p + META_STACK_DEPTH);
	memcpy(m->bytecode_sha256, p + META_SHA256, sizeof(m->bytecode_sha256));
	m->processed_insns = get_u64(p + META_PROCESSED);
	m->total_states = get_u64(p + META_TOTAL_STATES);
	m->peak_states = get_u64(p + META_PEAK_STATES);
	m->max_states_per_insn = get_u32(p + META_MAX_STATES);
	m->helper_cnt = cnt;
	b->entry_off = get_u32(p + META_ENTRY_OFF);

	if (m->stack_depth > MAX_STACK_DEPTH) {
		bvc_set_err(r->err, r->errsz, "meta: stack depth %u bytes, more than the limit of %d",
			m->stack_depth, MAX_STACK_DEPTH);
		return -EBADMSG;
	}
	if (b->entry_off >= b->code_size) {
		bvc_set_err(r->err, r->errsz, "meta: entry offset 0x%zx outside the code (%zu bytes)",
			b->entry_off, b->code_size);
		return -EBADMSG;
	}
	for (i = 0; i < cnt; i++) {
		m->helper_ids[i] = get_u32(p + META_HELPERS + 4 * i);
		if (m->helper_ids[i] == 0) {
			bvc_set_err(r->err, r->errsz, "meta: helper id 0 at %u is not a helper", i);
			return -EBADMSG;
		}
		if (i && m->helper_ids[i] <= m->helper_ids[i - 1]) {
			bvc_set_err(r->err, r->errsz,
				"meta: helper ids not strictly ascending (%u after %u)",
				m->helper_ids[i], m->helper_ids[i - 1]);
			return -EBADMSG;
		}
	}
	return 0;
}

static int check_maps(struct reader *r, struct bvc_blob *b)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_MAPS);
	const struct sec *data = sec_of(r, BVC_BLOB_SEC_DATA);
	uint32_t data_size = data ? data->size : 0;
	uint32_t cursor = 0;
	size_t i, cnt;

	if (!s) {
		if (data) {
			bvc_set_err(r->err, r->errsz, "data section without a maps section");
			return -EBADMSG;
		}
		return 0;
	}
	if (s->size % MAP_SIZE) {
		bvc_set_err(r->err, r->errsz, "maps section is %u bytes, not a multiple of %d", s->size,
			MAP_SIZE);
		return -EBADMSG;
	}
	cnt = s->size / MAP_SIZE;
	if (cnt > BVC_BLOB_MAX_MAPS) {
		bvc_set_err(r->err, r->errsz, "%zu maps, more than the limit of %d", cnt,
			BVC_BLOB_MAX_MAPS);
		return -EBADMSG;
	}
	b->maps = calloc(cnt, sizeof(*b->maps));
	if (!b->maps) {
		bvc_set_err(r->err, r->errsz, "out of memory");
		return -ENOMEM;
	}
	b->map_cnt = cnt;
	for (i = 0; i < cnt; i++) {
		const uint8_t *p = r->buf + s->off + i * MAP_SIZE;
		struct bvc_blob_map *m = &b->maps[i];
		uint32_t doff, dsize;
		char what[32];
		int ret;

		snprintf(what, sizeof(what), "map %zu: name", i);
		ret = get_str(p + MAP_NAME, sizeof(m->name), true, m->name, what, r->err, r->errsz);
		if (ret)
			return ret;
		m->type = get_u32(p + MAP_TYPE);
		m->key_size = get_u32(p + MAP_KEY_SIZE);
		m->value_size = get_u32(p + MAP_VALUE_SIZE);
		m->max_entries = get_u32(p + MAP_MAX_ENTRIES);
		m->flags = get_u32(p + MAP_FLAGS);
		doff = get_u32(p + MAP_DATA_OFF);
		dsize = get_u32(p + MAP_DATA_SIZE);
		if (m->type == 0) {
			bvc_set_err(r->err, r->errsz, "map %zu (%s): map type 0", i, m->name);
			return -EBADMSG;
		}
		if (get_u32(p + MAP_RESERVED) != 0) {
			bvc_set_err(r->err, r->errsz, "map %zu (%s): reserved field is 0x%x, not 0", i,
				m->name, get_u32(p + MAP_RESERVED));
			return -EBADMSG;
		}
		if (dsize == 0) {
			if (doff != 0) {
				bvc_set_err(r->err, r->errsz,
					"map %zu (%s): data offset 0x%x without initial data", i,
					m->name, doff);
				return -EBADMSG;
			}
			continue;
		}
		if (m->type != BVC_MAP_ARRAY || m->max_entries == 0) {
			bvc_set_err(r->err, r->errsz,
				"map %zu (%s): initial data for a map that is not a non-empty array",
				i, m->name);
			return -EBADMSG;
		}
		if (dsize != m->value_size) {
			bvc_set_err(r->err, r->errsz,
				"map %zu (%s): %u bytes of initial data for a %u-byte value", i,
				m->name, dsize, m->value_size);
			return -EBADMSG;
		}
		if ((uint64_t)doff + dsize > data_size) {
			bvc_set_err(r->err, r->errsz,
				"map %zu (%s): initial data [0x%x, 0x%llx) outside the data section (%u bytes)",
				i, m->name, doff, (unsigned long long)doff + dsize, data_size);
			return -EBADMSG;
		}
		if (doff != cursor) {
			bvc_set_err(r->err, r->errsz,
				"map %zu (%s): initial data at 0x%x, expected 0x%x (packed in map order)",
				i, m->name, doff, cursor);
			return -EBADMSG;
		}
		m->init = r->buf + data->off + doff;
		m->init_size = dsize;
		cursor += dsize;
	}
	if (cursor != data_size) {
		bvc_set_err(r->err, r->errsz,
			"data section is %u bytes, but the maps' initial data take %u", data_size,
			cursor);
		return -EBADMSG;
	}
	return 0;
}

static bool has_helper(const struct bvc_blob_meta *m, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < m->helper_cnt; i++)
		if (m->helper_ids[i] == id)
			return true;
	return false;
}

static int check_relocs(struct reader *r, struct blob_owned *o)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_RELOCS);
	struct bvc_blob *b = &o->b;
	size_t i, cnt;

	if (!s)
		return 0;
	if (s->size % RELOC_SIZE) {
		bvc_set_err(r->err, r->errsz, "relocs section is %u bytes, not a multiple of %d",
			s->size, RELOC_SIZE);
		return -EBADMSG;
	}
	cnt = s->size / RELOC_SIZE;
	o->relocs = calloc(cnt, sizeof(*o->relocs));
	if (!o->relocs) {
		bvc_set_err(r->err, r->errsz, "out of memory");
		return -ENOMEM;
	}
	b->relocs = o->relocs;
	b->reloc_cnt = cnt;
	for (i = 0; i < cnt; i++) {
		const uint8_t *p = r->buf + s->off + i * RELOC_SIZE;
		struct bvc_reloc *rel = &o->relocs[i];
		uint64_t end;

		rel->offset = get_u32(p + 0);
		rel->kind = get_u32(p + 4);
		rel->target = get_u32(p + 8);
		rel->addend = (int32_t)get_u32(p + 12);
		end = (uint64_t)rel->offset + 8;
		if (rel->offset >= b->code_size) {
			bvc_set_err(r->err, r->errsz,
				"relocation %zu: slot at 0x%x is outside the code (%zu bytes)", i,
				rel->offset, b->code_size);
			return -EBADMSG;
		}
		if (end > b->code_size) {
			bvc_set_err(r->err, r->errsz,
				"relocation %zu: slot [0x%x, 0x%llx) overlaps the end of the code (%zu bytes)",
				i, rel->offset, (unsigned long long)end, b->code_size);
			return -EBADMSG;
		}
		if (i && rel->offset < (uint64_t)o->relocs[i - 1].offset + 8) {
			if (rel->offset < o->relocs[i - 1].offset)
				bvc_set_err(r->err, r->errsz,
					"relocation %zu: slot at 0x%x comes before relocation %zu's at 0x%x (not sorted)",
					i, rel->offset, i - 1, o->relocs[i - 1].offset);
			else
				bvc_set_err(r->err, r->errsz,
					"relocation %zu: slot at 0x%x overlaps relocation %zu's at 0x%x",
					i, rel->offset, i - 1, o->relocs[i - 1].offset);
			return -EBADMSG;
		}
		switch (rel->kind) {
		case BVC_RELOC_HELPER:
			if (!has_helper(&b->meta, rel->target)) {
				bvc_set_err(r->err, r->errsz,
					"relocation %zu: helper #%u is not in the meta section's helper list",
					i, rel->target);
				return -EBADMSG;
			}
			break;
		case BVC_RELOC_MAP:
		case BVC_RELOC_MAP_VALUE:
			if (rel->target >= b->map_cnt) {
				bvc_set_err(r->err, r->errsz,
					"relocation %zu: map index %u out of range (%zu maps)", i,
					rel->target, b->map_cnt);
				return -EBADMSG;
			}
			if (rel->kind == BVC_RELOC_MAP_VALUE) {
				const struct bvc_blob_map *m = &b->maps[rel->target];

				if (rel->addend < 0 || (uint32_t)rel->addend >= m->value_size) {
					bvc_set_err(r->err, r->errsz,
						"relocation %zu: offset %d outside map %u (%s)'s %u-byte value",
						i, rel->addend, rel->target, m->name,
						m->value_size);
					return -EBADMSG;
				}
			}
			break;
		case BVC_RELOC_PROG_ARRAY:
			if (rel->target >= b->map_cnt ||
			    b->maps[rel->target].type != BVC_MAP_PROG_ARRAY) {
				bvc_set_err(r->err, r->errsz,
					"relocation %zu: prog_array table of map %u, which is not a prog_array",
					i, rel->target);
				return -EBADMSG;
			}
			break;
		case BVC_RELOC_RUNTIME:
			if (rel->target < BVC_RT_LD_ABS_B || rel->target > BVC_RT_LD_ABS_W) {
				bvc_set_err(r->err, r->errsz,
					"relocation %zu: unknown runtime function %u", i,
					rel->target);
				return -EBADMSG;
			}
			break;
		default:
			bvc_set_err(r->err, r->errsz, "relocation %zu: unknown kind %u", i, rel->kind);
			return -EBADMSG;
		}
		if (rel->kind != BVC_RELOC_MAP_VALUE && rel->addend != 0) {
			bvc_set_err(r->err, r->errsz,
				"relocation %zu: addend %d on a relocation that takes none", i,
				rel->addend);
			return -EBADMSG;
		}
	}
	return 0;
}

static int check_bytecode(struct reader *r, struct blob_owned *o)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_BYTECODE);
	const uint8_t *p;

	if (!s)
		return 0;
	if (s->size % sizeof(struct bvc_insn)) {
		bvc_set_err(r->err, r->errsz, "bytecode section is %u bytes, not a multiple of %zu",
			s->size, sizeof(struct bvc_insn));
		return -EBADMSG;
	}
	p = r->buf + s->off;
	o->b.bytecode_cnt = s->size / sizeof(struct bvc_insn);
	/* struct bvc_insn is the file layout on little-endian hosts (isa.h);
	 * use the bytes in place when they are aligned for it. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if ((uintptr_t)p % _Alignof(struct bvc_insn) == 0) {
		o->b.bytecode = (const struct bvc_insn *)(const void *)p;
		return 0;
	}
#else
#error "bpfvc blobs: struct bvc_insn decoding for big-endian hosts is not written"
#endif
	o->bytecode = malloc(s->size);
	if (!o->bytecode) {
		bvc_set_err(r->err, r->errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(o->bytecode, p, s->size);
	o->b.bytecode = o->bytecode;
	return 0;
}

/* The kernel the program was verified for: a 32-byte hash (any value)
 * and two text fields, the release non-empty. */
static int check_kernel(struct reader *r, struct bvc_blob *b)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_KERNEL);
	const uint8_t *p;
	int ret;

	if (!s)
		return 0;
	if (s->size != KERN_SIZE) {
		bvc_set_err(r->err, r->errsz, "kernel section is %u bytes, expected %d", s->size,
			    KERN_SIZE);
		return -EBADMSG;
	}
	p = r->buf + s->off;
	memcpy(b->kernel_btf_sha256, p + KERN_BTF_SHA256, 32);
	ret = get_str(p + KERN_RELEASE, sizeof(b->kernel_release), true, b->kernel_release,
		      "kernel release", r->err, r->errsz);
	if (!ret)
		ret = get_str(p + KERN_ARCH, sizeof(b->kernel_arch), false, b->kernel_arch,
			      "kernel arch", r->err, r->errsz);
	if (ret)
		return ret;
	b->has_kernel = 1;
	return 0;
}

/* The program table and the prog_array slots: present exactly when some
 * map is a prog_array; program 0 is the meta section's program; the
 * programs' bytecode is packed in program order; slots ascend by (map,
 * key), each naming a prog_array, a key below its max_entries and a
 * program of the table. */
static int check_progs(struct reader *r, struct blob_owned *o)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_PROGS);
	struct bvc_blob *b = &o->b;
	const uint8_t *p;
	size_t i, k, pa = SIZE_MAX, cursor = 0;
	uint32_t n, ns;
	int ret;

	for (i = 0; i < b->map_cnt && pa == SIZE_MAX; i++)
		if (b->maps[i].type == BVC_MAP_PROG_ARRAY)
			pa = i;
	if (!s) {
		if (pa != SIZE_MAX) {
			bvc_set_err(r->err, r->errsz, "map %zu (%s) is a prog_array, but the blob has no progs section",
				pa, b->maps[pa].name);
			return -EBADMSG;
		}
		return 0;
	}
	if (pa == SIZE_MAX) {
		bvc_set_err(r->err, r->errsz, "progs section without a prog_array map");
		return -EBADMSG;
	}
	p = r->buf + s->off;
	if (s->size < PROGS_HDR) {
		bvc_set_err(r->err, r->errsz, "progs section is %u bytes, shorter than %d", s->size,
			PROGS_HDR);
		return -EBADMSG;
	}
	n = get_u32(p + PROGS_CNT);
	ns = get_u32(p + PROGS_SLOT_CNT);
	if (n < 1 || n > BVC_BLOB_MAX_PROGS) {
		bvc_set_err(r->err, r->errsz, "progs: %u programs, out of range (1..%d)", n,
			BVC_BLOB_MAX_PROGS);
		return -EBADMSG;
	}
	if (ns > BVC_BLOB_MAX_SLOTS) {
		bvc_set_err(r->err, r->errsz, "progs: %u slots, more than the limit of %d", ns,
			BVC_BLOB_MAX_SLOTS);
		return -EBADMSG;
	}
	if (s->size != PROGS_HDR + (size_t)n * PROG_SIZE + (size_t)ns * SLOT_SIZE) {
		bvc_set_err(r->err, r->errsz, "progs section is %u bytes, expected %zu for %u programs and %u slots",
			s->size, PROGS_HDR + (size_t)n * PROG_SIZE + (size_t)ns * SLOT_SIZE, n, ns);
		return -EBADMSG;
	}
	o->progs = calloc(n, sizeof(*o->progs));
	o->slots = calloc(ns ? ns : 1, sizeof(*o->slots));
	if (!o->progs || !o->slots) {
		bvc_set_err(r->err, r->errsz, "out of memory");
		return -ENOMEM;
	}
	b->progs = o->progs;
	b->prog_cnt = n;
	b->slots = o->slots;
	b->slot_cnt = ns;
	for (i = 0; i < n; i++) {
		const uint8_t *q = p + PROGS_HDR + i * PROG_SIZE;
		struct bvc_blob_prog *pr = &o->progs[i];
		char what[48];

		snprintf(what, sizeof(what), "program %zu: name", i);
		ret = get_str(q + PROG_NAME, sizeof(pr->name), true, pr->name, what, r->err,
			      r->errsz);
		if (ret)
			return ret;
		pr->prog_type = get_u32(q + PROG_TYPE);
		pr->expected_attach_type = get_u32(q + PROG_ATTACH_TYPE);
		pr->entry_off = get_u32(q + PROG_ENTRY_OFF);
		pr->tail_entry_off = get_u32(q + PROG_TAIL_ENTRY_OFF);
		pr->stack_depth = get_u32(q + PROG_STACK_DEPTH);
		pr->insn_off = get_u32(q + PROG_INSN_OFF);
		pr->insn_cnt = get_u32(q + PROG_INSN_CNT);
		memcpy(pr->bytecode_sha256, q + PROG_SHA256, sizeof(pr->bytecode_sha256));
		if (get_u32(q + PROG_RESERVED)) {
			bvc_set_err(r->err, r->errsz, "program %zu (%s): reserved field is 0x%x, not 0", i,
				pr->name, get_u32(q + PROG_RESERVED));
			return -EBADMSG;
		}
		for (k = 0; k < i; k++)
			if (!strcmp(o->progs[k].name, pr->name)) {
				bvc_set_err(r->err, r->errsz, "program %zu: name %s repeats program %zu's", i,
					pr->name, k);
				return -EBADMSG;
			}
		if (pr->prog_type != b->meta.prog_type) {
			bvc_set_err(r->err, r->errsz,
				"program %zu (%s): program type %u, but the entry's is %u (a prog_array holds one type)",
				i, pr->name, pr->prog_type, b->meta.prog_type);
			return -EBADMSG;
		}
		if (pr->entry_off >= b->code_size || pr->tail_entry_off >= b->code_size) {
			bvc_set_err(r->err, r->errsz,
				"program %zu (%s): entry 0x%x or tail entry 0x%x outside the code (%zu bytes)",
				i, pr->name, pr->entry_off, pr->tail_entry_off, b->code_size);
			return -EBADMSG;
		}
		if (pr->stack_depth > MAX_STACK_DEPTH) {
			bvc_set_err(r->err, r->errsz,
				"program %zu (%s): stack depth %u bytes, more than the limit of %d", i,
				pr->name, pr->stack_depth, MAX_STACK_DEPTH);
			return -EBADMSG;
		}
		if (b->bytecode_cnt ? (pr->insn_off != cursor || pr->insn_cnt == 0 ||
				       pr->insn_cnt > b->bytecode_cnt - cursor)
				    : (pr->insn_off || pr->insn_cnt)) {
			bvc_set_err(r->err, r->errsz,
				"program %zu (%s): bytecode [%u, +%u) is not the next part of the bytecode section (%zu insns, expected start %zu)",
				i, pr->name, pr->insn_off, pr->insn_cnt, b->bytecode_cnt, cursor);
			return -EBADMSG;
		}
		cursor += pr->insn_cnt;
	}
	if (cursor != b->bytecode_cnt) {
		bvc_set_err(r->err, r->errsz, "progs: the programs' bytecode ends at %zu, the bytecode section at %zu",
			cursor, b->bytecode_cnt);
		return -EBADMSG;
	}
	{
		const struct bvc_blob_prog *e = &o->progs[0];

		if (strcmp(e->name, b->meta.prog_name) ||
		    e->expected_attach_type != b->meta.expected_attach_type ||
		    e->entry_off != b->entry_off || e->stack_depth != b->meta.stack_depth ||
		    memcmp(e->bytecode_sha256, b->meta.bytecode_sha256, 32)) {
			bvc_set_err(r->err, r->errsz, "program 0 (%s) is not the meta section's program (%s)",
				e->name, b->meta.prog_name);
			return -EBADMSG;
		}
	}
	for (i = 0; i < ns; i++) {
		const uint8_t *q = p + PROGS_HDR + (size_t)n * PROG_SIZE + i * SLOT_SIZE;
		struct bvc_blob_slot *sl = &o->slots[i];

		sl->map = get_u32(q + SLOT_MAP);
		sl->key = get_u32(q + SLOT_KEY);
		sl->prog = get_u32(q + SLOT_PROG);
		if (sl->map >= b->map_cnt || b->maps[sl->map].type != BVC_MAP_PROG_ARRAY) {
			bvc_set_err(r->err, r->errsz, "slot %zu: map %u is not a prog_array", i, sl->map);
			return -EBADMSG;
		}
		if (sl->key >= b->maps[sl->map].max_entries) {
			bvc_set_err(r->err, r->errsz, "slot %zu: key %u past map %u (%s)'s %u entries", i,
				sl->key, sl->map, b->maps[sl->map].name, b->maps[sl->map].max_entries);
			return -EBADMSG;
		}
		if (sl->prog >= n) {
			bvc_set_err(r->err, r->errsz, "slot %zu: program %u out of range (%u programs)", i,
				sl->prog, n);
			return -EBADMSG;
		}
		if (i && (sl->map < o->slots[i - 1].map ||
			  (sl->map == o->slots[i - 1].map && sl->key <= o->slots[i - 1].key))) {
			bvc_set_err(r->err, r->errsz, "slot %zu: (map %u, key %u) not after slot %zu's (map %u, key %u)",
				i, sl->map, sl->key, i - 1, o->slots[i - 1].map, o->slots[i - 1].key);
			return -EBADMSG;
		}
	}
	return 0;
}

/* The .kconfig externs the program was verified with: a map that holds
 * their values (an array of one element with initial data, read-only for
 * the program), and records that name them, ascending by offset, disjoint,
 * inside the value, names unique. */
static int check_kconfig(struct reader *r, struct blob_owned *o)
{
	const struct sec *s = sec_of(r, BVC_BLOB_SEC_KCONFIG);
	struct bvc_blob *b = &o->b;
	const struct bvc_blob_map *m;
	const uint8_t *p;
	uint32_t n;
	int ret;

	if (!s)
		return 0;
	p = r->buf + s->off;
	if (s->size < KCFG_HDR) {
		bvc_set_err(r->err, r->errsz, "kconfig section is %u bytes, shorter than %d",
			    s->size, KCFG_HDR);
		return -EBADMSG;
	}
	ret = get_str(p + KCFG_SOURCE, sizeof(b->kconfig_source), false, b->kconfig_source,
		      "kconfig: source", r->err, r->errsz);
	if (ret)
		return ret;
	b->kconfig_map = get_u32(p + KCFG_MAP);
	n = get_u32(p + KCFG_CNT);
	if (n < 1 || n > BVC_BLOB_MAX_KCONFIG) {
		bvc_set_err(r->err, r->errsz, "kconfig: %u externs, out of range (1..%d)", n,
			    BVC_BLOB_MAX_KCONFIG);
		return -EBADMSG;
	}
	if (s->size != KCFG_HDR + (size_t)n * KVAR_REC) {
		bvc_set_err(r->err, r->errsz,
			    "kconfig section is %u bytes, expected %zu for %u externs", s->size,
			    KCFG_HDR + (size_t)n * KVAR_REC, n);
		return -EBADMSG;
	}
	if (b->kconfig_map >= b->map_cnt) {
		bvc_set_err(r->err, r->errsz, "kconfig: map %u out of range (%zu maps)",
			    b->kconfig_map, b->map_cnt);
		return -EBADMSG;
	}
	m = &b->maps[b->kconfig_map];
	if (m->type != BVC_MAP_ARRAY || m->max_entries != 1 || !m->init ||
	    !(m->flags & MAP_F_RDONLY_PROG)) {
		bvc_set_err(
			r->err, r->errsz,
			"kconfig: map %u (%s) is not a read-only array of one element with initial data",
			b->kconfig_map, m->name);
		return -EBADMSG;
	}
	o->kvars = calloc(n, sizeof(*o->kvars));
	if (!o->kvars) {
		bvc_set_err(r->err, r->errsz, "out of memory");
		return -ENOMEM;
	}
	b->kconfig_vars = o->kvars;
	b->kconfig_var_cnt = n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *q = p + KCFG_HDR + (size_t)i * KVAR_REC;
		struct bvc_blob_kconfig_var *v = &o->kvars[i];
		char what[48];

		snprintf(what, sizeof(what), "kconfig extern %u: name", i);
		ret = get_str(q + KVAR_NAME, sizeof(v->name), true, v->name, what, r->err,
			      r->errsz);
		if (ret)
			return ret;
		v->off = get_u32(q + KVAR_OFF);
		v->size = get_u32(q + KVAR_SIZE);
		if (!v->size || v->off > m->value_size || v->size > m->value_size - v->off) {
			bvc_set_err(
				r->err, r->errsz,
				"kconfig extern %u (%s): %u bytes at %u, outside map %u's %u-byte value",
				i, v->name, v->size, v->off, b->kconfig_map, m->value_size);
			return -EBADMSG;
		}
		if (i && v->off < o->kvars[i - 1].off + o->kvars[i - 1].size) {
			bvc_set_err(
				r->err, r->errsz,
				"kconfig extern %u (%s): offset %u not after extern %u's end (%u)",
				i, v->name, v->off, i - 1,
				o->kvars[i - 1].off + o->kvars[i - 1].size);
			return -EBADMSG;
		}
		for (uint32_t k = 0; k < i; k++)
			if (!strcmp(o->kvars[k].name, v->name)) {
				bvc_set_err(r->err, r->errsz,
					    "kconfig extern %u: name %s repeats extern %u's", i,
					    v->name, k);
				return -EBADMSG;
			}
	}
	return 0;
}

int bvc_blob_read(const uint8_t *buf, size_t size, const struct bvc_key *trusted,
		  struct bvc_blob **out, char *err, size_t errsz)
{
	struct reader r = { .buf = buf, .size = size, .err = err, .errsz = errsz };
	struct blob_owned *o;
	const struct sec *code;
	uint32_t target = 0;
	int ret;

	if (err && errsz)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (!out || (!buf && size)) {
		bvc_set_err(err, errsz, "bvc_blob_read: missing argument");
		return -EINVAL;
	}
	ret = check_layout(&r, &target);
	if (ret)
		return ret;

	o = calloc(1, sizeof(*o));
	if (!o) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	o->b.target = target;
	o->b.size = size;
	code = sec_of(&r, BVC_BLOB_SEC_CODE);
	o->b.code = buf + code->off;
	o->b.code_size = code->size;

	ret = check_signature(&r, trusted, &o->b);
	if (!ret)
		ret = check_meta(&r, &o->b);
	if (!ret)
		ret = check_maps(&r, &o->b);
	if (!ret)
		ret = check_relocs(&r, o);
	if (!ret)
		ret = check_bytecode(&r, o);
	if (!ret)
		ret = check_progs(&r, o);
	if (!ret)
		ret = check_kconfig(&r, o);
	if (!ret)
		ret = check_kernel(&r, &o->b);
	if (ret) {
		bvc_blob_free(&o->b);
		return ret;
	}
	*out = &o->b;
	return 0;
}

static void hex(const uint8_t *md, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = 0;
}

/* All of @path (sysfs reports no size: read to the end), at most 512 MiB. */
static int read_all(const char *path, uint8_t **out, size_t *len)
{
	size_t n = 0, cap = 0, r;
	uint8_t *buf = NULL, *grown;
	FILE *f = fopen(path, "rb");
	int e = 0;

	if (!f)
		return errno ? errno : ENOENT;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			grown = cap <= (512u << 20) ? realloc(buf, cap) : NULL;
			if (!grown) {
				e = cap > (512u << 20) ? EFBIG : ENOMEM;
				break;
			}
			buf = grown;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	if (!e && ferror(f))
		e = EIO;
	fclose(f);
	if (e) {
		free(buf);
		return e;
	}
	*out = buf;
	*len = n;
	return 0;
}

int bvc_blob_check_kernel(const struct bvc_blob *b, const char *btf_path, char *err, size_t errsz)
{
	const char *path = btf_path ? btf_path : "/sys/kernel/btf/vmlinux";
	unsigned char md[32];
	char want[65], have[65];
	unsigned int len = 0;
	uint8_t *btf = NULL;
	size_t size = 0;
	int e;

	if (!b->has_kernel)
		return 0;
	hex(b->kernel_btf_sha256, want);
	e = read_all(path, &btf, &size);
	if (!e && (!EVP_Digest(btf, size, md, &len, EVP_sha256(), NULL) || len != 32))
		e = -1;
	free(btf);
	if (e) {
		bvc_set_err(err, errsz,
			    "blob was verified for kernel %s (BTF sha256 %.16s...), this device has no kernel BTF to compare (%s: %s)",
			    b->kernel_release, want, path, e > 0 ? strerror(e) : "SHA-256 failed");
		return -ENOEXEC;
	}
	if (!memcmp(md, b->kernel_btf_sha256, 32))
		return 0;
	hex(md, have);
	bvc_set_err(err, errsz,
		    "blob was verified for kernel %s (BTF sha256 %.16s...), this device's kernel BTF is %.16s... (%s): another kernel",
		    b->kernel_release, want, have, path);
	return -ENOEXEC;
}

void bvc_blob_free(struct bvc_blob *b)
{
	struct blob_owned *o = (struct blob_owned *)b;

	if (!b)
		return;
	free(o->relocs);
	free(o->progs);
	free(o->slots);
	free(o->kvars);
	free(o->bytecode);
	free(b->maps);
	free(o);
}

int bvc_blob_check_target(const struct bvc_blob *b, uint32_t target, char *err, size_t errsz)
{
	const char *have, *want;

	if (b->target == target)
		return 0;
	have = target_name(b->target);
	want = target_name(target);
	if (want)
		bvc_set_err(err, errsz, "blob is for %s, this device is %s", have ? have : "?", want);
	else
		bvc_set_err(err, errsz, "blob is for %s, this device is target %u", have ? have : "?",
			target);
	return -ENOEXEC;
}

int bvc_blob_check_helpers(const struct bvc_blob *b, const uint32_t *allowed, size_t n,
			   char *err, size_t errsz)
{
	uint32_t i;
	size_t j;

	for (i = 0; i < b->meta.helper_cnt; i++) {
		uint32_t id = b->meta.helper_ids[i];
		const char *name;

		for (j = 0; j < n; j++)
			if (allowed[j] == id)
				break;
		if (j < n)
			continue;
		name = id <= INT32_MAX ? bvc_helper_name((int32_t)id) : NULL;
		bvc_set_err(err, errsz, "blob needs helper %s#%u which this runtime lacks",
			name ? name : "unknown", id);
		return -EOPNOTSUPP;
	}
	return 0;
}
