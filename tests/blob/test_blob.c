// SPDX-License-Identifier: MIT
/*
 * The blob format (docs/blob-format.md): every field survives a round trip;
 * the reader refuses every single-byte change and every truncation of a
 * signed blob, a blob signed by another key, an unsigned one, and each
 * structural and content rule broken on its own (with the blob re-signed,
 * so the rule and not the signature is what refuses it), each with its own
 * message; the target and helper checks the runtime makes after reading.
 *
 * Tests build malformed blobs by splitting a good one into its sections,
 * changing them, and laying them out again (assemble()), signing the result
 * with the trusted key.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/blob.h"
#include "sample.h"

static char dir[64];
static struct bvc_key *key_a, *key_b, *pub_a;

static struct bvc_key *keygen(const char *name, int priv)
{
	char path[128], err[512] = "";
	struct bvc_key *k = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (priv)
		cr_assert_eq(bvc_signer_keygen(path, err, sizeof(err)), 0, "%s", err);
	else
		strcat(path, ".pub");
	if (priv)
		cr_assert_eq(bvc_signer_load_private(path, &k, err, sizeof(err)), 0, "%s", err);
	else
		cr_assert_eq(bvc_signer_load_public(path, &k, err, sizeof(err)), 0, "%s", err);
	return k;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bvc-blob-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	key_a = keygen("a", 1);
	key_b = keygen("b", 1);
	pub_a = keygen("a", 0);
}

static void teardown(void)
{
	char cmd[128];

	bvc_signer_key_free(key_a);
	bvc_signer_key_free(key_b);
	bvc_signer_key_free(pub_a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", dir);
}

TestSuite(blob, .init = setup, .fini = teardown);

/* The sample blob, written and signed with key A. */
static uint8_t *sample(uint32_t target, size_t *size)
{
	struct bvc_blob b;
	uint8_t *out = NULL;
	char err[512] = "";

	bvc_test_sample_blob(&b, target);
	cr_assert_eq(bvc_blob_write(&b, key_a, &out, size, err, sizeof(err)), 0, "%s", err);
	return out;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* --- round trip ----------------------------------------------------------- */

static void assert_same(const struct bvc_blob *a, const struct bvc_blob *b)
{
	cr_assert_eq(a->target, b->target);
	cr_assert_eq(a->flags, b->flags);
	cr_assert_eq(a->code_size, b->code_size);
	cr_assert_eq(memcmp(a->code, b->code, a->code_size), 0);
	cr_assert_eq(a->entry_off, b->entry_off);
	cr_assert_eq(a->reloc_cnt, b->reloc_cnt);
	for (size_t i = 0; i < a->reloc_cnt; i++) {
		cr_assert_eq(a->relocs[i].offset, b->relocs[i].offset, "reloc %zu", i);
		cr_assert_eq(a->relocs[i].kind, b->relocs[i].kind, "reloc %zu", i);
		cr_assert_eq(a->relocs[i].target, b->relocs[i].target, "reloc %zu", i);
		cr_assert_eq(a->relocs[i].addend, b->relocs[i].addend, "reloc %zu", i);
	}
	cr_assert_eq(a->map_cnt, b->map_cnt);
	for (size_t i = 0; i < a->map_cnt; i++) {
		const struct bvc_blob_map *x = &a->maps[i], *y = &b->maps[i];

		cr_assert_str_eq(x->name, y->name);
		cr_assert_eq(x->type, y->type);
		cr_assert_eq(x->key_size, y->key_size);
		cr_assert_eq(x->value_size, y->value_size);
		cr_assert_eq(x->max_entries, y->max_entries);
		cr_assert_eq(x->flags, y->flags);
		cr_assert_eq(x->init_size, y->init_size);
		cr_assert_eq(!x->init, !y->init);
		if (x->init)
			cr_assert_eq(memcmp(x->init, y->init, x->init_size), 0);
	}
	cr_assert_eq(a->bytecode_cnt, b->bytecode_cnt);
	if (a->bytecode_cnt)
		cr_assert_eq(memcmp(a->bytecode, b->bytecode, a->bytecode_cnt * 8), 0);
	else
		cr_assert_null(b->bytecode);
	cr_assert_str_eq(a->meta.prog_name, b->meta.prog_name);
	cr_assert_eq(a->meta.prog_type, b->meta.prog_type);
	cr_assert_eq(a->meta.expected_attach_type, b->meta.expected_attach_type);
	cr_assert_str_eq(a->meta.license, b->meta.license);
	cr_assert_eq(a->meta.stack_depth, b->meta.stack_depth);
	cr_assert_eq(memcmp(a->meta.bytecode_sha256, b->meta.bytecode_sha256, 32), 0);
	cr_assert_str_eq(a->meta.verifier, b->meta.verifier);
	cr_assert_eq(a->meta.processed_insns, b->meta.processed_insns);
	cr_assert_eq(a->meta.total_states, b->meta.total_states);
	cr_assert_eq(a->meta.peak_states, b->meta.peak_states);
	cr_assert_eq(a->meta.max_states_per_insn, b->meta.max_states_per_insn);
	cr_assert_eq(a->meta.helper_cnt, b->meta.helper_cnt);
	cr_assert_eq(memcmp(a->meta.helper_ids, b->meta.helper_ids, 4 * a->meta.helper_cnt), 0);
}

/* What the runtime relies on in any blob the reader accepts. */
static void assert_invariants(const struct bvc_blob *b)
{
	cr_assert_gt(b->code_size, 0);
	cr_assert_lt(b->entry_off, b->code_size);
	cr_assert_leq(b->meta.helper_cnt, BVC_BLOB_MAX_HELPERS);
	for (size_t i = 0; i < b->reloc_cnt; i++) {
		const struct bvc_reloc *r = &b->relocs[i];

		cr_assert_leq((uint64_t)r->offset + 8, b->code_size);
		cr_assert(i == 0 || r->offset >= b->relocs[i - 1].offset + 8);
		if (r->kind == BVC_RELOC_MAP || r->kind == BVC_RELOC_MAP_VALUE)
			cr_assert_lt(r->target, b->map_cnt);
		if (r->kind == BVC_RELOC_MAP_VALUE)
			cr_assert(r->addend >= 0 &&
				  (uint32_t)r->addend < b->maps[r->target].value_size);
	}
	for (size_t i = 0; i < b->map_cnt; i++)
		if (b->maps[i].init)
			cr_assert_eq(b->maps[i].init_size, b->maps[i].value_size);
}

Test(blob, round_trip_every_field)
{
	for (uint32_t target = 1; target <= 2; target++) {
		struct bvc_blob in, *out = NULL;
		char err[512] = "";
		size_t size;
		uint8_t *buf = sample(target, &size);

		bvc_test_sample_blob(&in, target);
		cr_assert_eq(bvc_blob_read(buf, size, pub_a, &out, err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(err, "");
		assert_same(&in, out);
		assert_invariants(out);
		cr_assert_eq(out->sig_checked, 1);
		cr_assert_eq(out->size, size);
		cr_assert_eq(memcmp(out->key_id, bvc_signer_key_id(key_a), 8), 0);
		/* The reader points into the buffer where it promises to. */
		cr_assert(out->code >= buf && out->code + out->code_size <= buf + size);
		cr_assert(out->maps[1].init >= buf && out->maps[1].init + 16 <= buf + size);
		cr_assert_null(out->maps[0].init);
		bvc_blob_free(out);
		free(buf);
	}
}

Test(blob, round_trip_minimal)
{
	static const uint8_t code[] = { 0xc3 };
	struct bvc_blob in = { .target = 3, .code = code, .code_size = 1 }, *out = NULL;
	uint8_t *buf = NULL;
	char err[512] = "";
	size_t size = 0;

	strcpy(in.meta.prog_name, "p");
	cr_assert_eq(bvc_blob_write(&in, key_a, &buf, &size, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(get32(buf + 20), 3, "code, meta and signature only");
	cr_assert_eq(get32(buf + 24), size);
	cr_assert_eq(bvc_blob_read(buf, size, key_a, &out, err, sizeof(err)), 0, "%s", err);
	assert_same(&in, out);
	cr_assert_null(out->relocs);
	cr_assert_null(out->maps);
	bvc_blob_free(out);
	free(buf);
}

Test(blob, writer_is_deterministic_and_sorts_relocations)
{
	struct bvc_reloc shuffled[4];
	struct bvc_blob b, *out = NULL;
	uint8_t *one, *two = NULL;
	size_t n1, n2 = 0;
	char err[512] = "";

	one = sample(1, &n1);
	bvc_test_sample_blob(&b, 1);
	for (int i = 0; i < 4; i++)
		shuffled[i] = b.relocs[3 - i];
	b.relocs = shuffled;
	cr_assert_eq(bvc_blob_write(&b, key_a, &two, &n2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(one, two, n1), 0, "same content, same bytes (Ed25519 is deterministic)");
	cr_assert_eq(bvc_blob_read(two, n2, key_a, &out, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 1; i < out->reloc_cnt; i++)
		cr_assert_lt(out->relocs[i - 1].offset, out->relocs[i].offset);
	bvc_blob_free(out);
	free(one);
	free(two);
}

Test(blob, layout_is_the_documented_one)
{
	/* docs/blob-format.md: header 32 bytes, 16-byte table entries, kinds in
	 * order, sections packed on 8-byte boundaries, signature 80 bytes last. */
	static const uint32_t want_kinds[] = { 1, 2, 3, 4, 5, 6, 255 };
	static const uint32_t want_sizes[] = { 0x32, 4 * 16, 2 * 96, 16, 4 * 8, 344 + 2 * 4, 80 };
	size_t size, cursor = 32 + 7 * 16;
	uint8_t *buf = sample(1, &size);

	cr_assert_eq(memcmp(buf, "BPFVCBLB", 8), 0);
	cr_assert_eq(get32(buf + 8), 2);
	cr_assert_eq(get32(buf + 12), 1);
	cr_assert_eq(get32(buf + 16), 0);
	cr_assert_eq(get32(buf + 20), 7);
	cr_assert_eq(get32(buf + 24), size);
	cr_assert_eq(get32(buf + 28), 0);
	for (int i = 0; i < 7; i++) {
		const uint8_t *e = buf + 32 + 16 * i;

		cursor = (cursor + 7) & ~(size_t)7;
		cr_assert_eq(get32(e), want_kinds[i], "entry %d", i);
		cr_assert_eq(get32(e + 4), cursor, "entry %d", i);
		cr_assert_eq(get32(e + 8), want_sizes[i], "entry %d", i);
		cr_assert_eq(get32(e + 12), 0);
		cursor += want_sizes[i];
	}
	cr_assert_eq(cursor, size);
	/* signature: alg 1, key id, then 64 bytes */
	cr_assert_eq(get32(buf + size - 80), 1);
	cr_assert_eq(memcmp(buf + size - 72, bvc_signer_key_id(key_a), 8), 0);
	free(buf);
}

Test(blob, structure_only_read)
{
	struct bvc_blob *out = NULL;
	char err[512] = "";
	size_t size;
	uint8_t *buf = sample(1, &size);

	cr_assert_eq(bvc_blob_read(buf, size, NULL, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out->sig_checked, 0);
	cr_assert_eq(memcmp(out->key_id, bvc_signer_key_id(key_a), 8), 0);
	bvc_blob_free(out);
	free(buf);
}

Test(blob, unaligned_buffer)
{
	struct bvc_blob in, *out = NULL;
	char err[512] = "";
	size_t size;
	uint8_t *buf = sample(1, &size);
	uint8_t *odd = malloc(size + 1);

	memcpy(odd + 1, buf, size);
	bvc_test_sample_blob(&in, 1);
	cr_assert_eq(bvc_blob_read(odd + 1, size, key_a, &out, err, sizeof(err)), 0, "%s", err);
	assert_same(&in, out);
	cr_assert_eq((uintptr_t)out->bytecode % _Alignof(struct bvc_insn), 0);
	bvc_blob_free(out);
	free(odd);
	free(buf);
}

/* --- tampering ------------------------------------------------------------ */

static int refused(const uint8_t *buf, size_t size, const struct bvc_key *k, char *err,
		   size_t errsz)
{
	struct bvc_blob *out = (struct bvc_blob *)1;
	int ret;

	err[0] = '\0';
	ret = bvc_blob_read(buf, size, k, &out, err, errsz);
	if (ret) {
		cr_assert_null(out, "no blob on failure");
		cr_assert(ret == -EBADMSG || ret == -EKEYREJECTED, "ret %d: %s", ret, err);
		cr_assert_neq(err[0], '\0', "refused without a message");
		cr_assert_null(memchr(err, '\n', strlen(err)), "one line: %s", err);
	} else {
		bvc_blob_free(out);
	}
	return ret;
}

Test(blob, every_byte_flip_is_refused, .timeout = 120)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	size_t size, variants = 0;
	uint8_t *buf = sample(1, &size);
	uint8_t *copy = malloc(size);
	char err[512];

	for (size_t i = 0; i < size; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			memcpy(copy, buf, size);
			copy[i] ^= flips[f];
			cr_assert_neq(refused(copy, size, pub_a, err, sizeof(err)), 0,
				      "byte %zu ^ 0x%02x accepted", i, flips[f]);
			/* Structure only: may accept (code bytes are not
			 * structure) but must never crash or read outside. */
			refused(copy, size, NULL, err, sizeof(err));
			variants++;
		}
	}
	cr_log_info("byte flips refused: %zu variants of a %zu-byte blob", variants, size);
	cr_assert_eq(variants, 3 * size);
	free(copy);
	free(buf);
}

Test(blob, every_truncation_and_extension_is_refused)
{
	size_t size;
	uint8_t *buf = sample(2, &size);
	uint8_t *copy = calloc(1, size + 8);
	char err[512];

	for (size_t n = 0; n < size; n++) {
		/* a fresh allocation of exactly n bytes, so ASan sees overreads */
		uint8_t *t = malloc(n ? n : 1);

		memcpy(t, buf, n);
		cr_assert_neq(refused(t, n, pub_a, err, sizeof(err)), 0, "length %zu accepted", n);
		cr_assert_neq(refused(t, n, NULL, err, sizeof(err)), 0, "length %zu accepted", n);
		free(t);
	}
	cr_assert_eq(refused(buf, 31, pub_a, err, sizeof(err)), -EBADMSG);
	cr_assert_str_eq(err, "blob is 31 bytes, shorter than its 32-byte header");
	cr_assert_eq(refused(buf, 100, pub_a, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "(truncated)"), "%s", err);
	memcpy(copy, buf, size);
	cr_assert_eq(refused(copy, size + 8, pub_a, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "header says the blob is"), "%s", err);
	free(copy);
	free(buf);
}

Test(blob, another_key)
{
	char err[512], ida[17], idb[17], want[128];
	size_t size;
	uint8_t *buf = sample(1, &size);

	cr_assert_eq(refused(buf, size, key_b, err, sizeof(err)), -EKEYREJECTED);
	snprintf(want, sizeof(want), "signed by key %s, not by the trusted key %s",
		 bvc_signer_key_id_hex(bvc_signer_key_id(key_a), ida),
		 bvc_signer_key_id_hex(bvc_signer_key_id(key_b), idb));
	cr_assert_str_eq(err, want);

	/* Key B's id in a blob signed by A: the id matches, the signature not. */
	memcpy(buf + size - 72, bvc_signer_key_id(key_b), 8);
	cr_assert_eq(refused(buf, size, key_b, err, sizeof(err)), -EKEYREJECTED);
	cr_assert(strstr(err, "bad signature: signature does not verify with key"), "%s", err);
	free(buf);
}

/* Random changes of 1..4 fields anywhere, each variant re-signed where the
 * good blob's signature section was, so the content checks run too. Any
 * variant the reader accepts must still hold the invariants. */
Test(blob, random_mutations_resigned, .timeout = 120)
{
	static const uint32_t vals[] = { 0, 1, 7, 8, 16, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff,
					 0x80000000, 0xfffffff8, 0xffffffff };
	size_t size, accepted = 0, iters = 8000;
	uint8_t *buf = sample(1, &size);
	uint8_t *copy = malloc(size);
	uint32_t sig_off = get32(buf + 32 + 16 * 6 + 4);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char err[512];

	for (size_t it = 0; it < iters; it++) {
		struct bvc_blob *out = NULL;
		int nchanges;

		memcpy(copy, buf, size);
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		nchanges = 1 + (int)(rng >> 62);
		for (int c = 0; c < nchanges; c++) {
			size_t at;

			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			at = (size_t)(rng >> 33) % sig_off;
			if (at + 4 <= sig_off && (rng & 1))
				put32(copy + at, vals[(rng >> 8) % (sizeof(vals) / sizeof(vals[0]))]);
			else
				copy[at] = (uint8_t)(rng >> 16);
		}
		memcpy(copy + sig_off + 8, bvc_signer_key_id(key_a), 8);
		cr_assert_eq(bvc_signer_sign(key_a, copy, sig_off, copy + sig_off + 16, err,
					     sizeof(err)), 0);
		if (bvc_blob_read(copy, size, pub_a, &out, err, sizeof(err)) == 0) {
			assert_invariants(out);
			bvc_blob_free(out);
			accepted++;
		} else {
			cr_assert_neq(err[0], '\0');
		}
	}
	cr_log_info("random mutations: %zu variants, %zu accepted (changed code, names, stats)",
		    iters, accepted);
	free(copy);
	free(buf);
}

/* --- raw blobs ------------------------------------------------------------ */

struct rsec {
	uint32_t kind;
	uint8_t data[2048];
	size_t len;
};

struct rblob {
	uint8_t hdr[32];
	struct rsec sec[10];
	size_t n;
};

/* A good blob, section by section. */
static void split(const uint8_t *buf, struct rblob *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->hdr, buf, 32);
	r->n = get32(buf + 20);
	for (size_t i = 0; i < r->n; i++) {
		const uint8_t *e = buf + 32 + 16 * i;

		r->sec[i].kind = get32(e);
		r->sec[i].len = get32(e + 8);
		cr_assert_leq(r->sec[i].len, sizeof(r->sec[i].data));
		memcpy(r->sec[i].data, buf + get32(e + 4), r->sec[i].len);
	}
}

static struct rsec *find(struct rblob *r, uint32_t kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->sec[i].kind == kind)
			return &r->sec[i];
	cr_assert_fail("no section %u", kind);
	return NULL;
}

static void drop(struct rblob *r, uint32_t kind)
{
	struct rsec *s = find(r, kind);
	size_t i = (size_t)(s - r->sec);

	memmove(&r->sec[i], &r->sec[i + 1], (r->n - i - 1) * sizeof(r->sec[0]));
	r->n--;
}

/* Lay @r out canonically into @out and, when it has a signature section
 * and @k is set, sign it with @k. Returns the size. */
static size_t assemble(const struct rblob *r, uint8_t *out, size_t cap, const struct bvc_key *k)
{
	size_t cursor = 32 + 16 * r->n, total = cursor;
	char err[512] = "";

	for (size_t i = 0; i < r->n; i++)
		total = ((total + 7) & ~(size_t)7) + r->sec[i].len;
	memset(out, 0, cap);
	memcpy(out, r->hdr, 32);
	put32(out + 20, (uint32_t)r->n);
	put32(out + 24, (uint32_t)total); /* before signing: it is signed */
	for (size_t i = 0; i < r->n; i++) {
		uint8_t *e = out + 32 + 16 * i;

		cursor = (cursor + 7) & ~(size_t)7;
		cr_assert_leq(cursor + r->sec[i].len, cap);
		put32(e, r->sec[i].kind);
		put32(e + 4, (uint32_t)cursor);
		put32(e + 8, (uint32_t)r->sec[i].len);
		memcpy(out + cursor, r->sec[i].data, r->sec[i].len);
		if (r->sec[i].kind == BVC_BLOB_SEC_SIGNATURE && k && r->sec[i].len == 80) {
			memcpy(out + cursor + 8, bvc_signer_key_id(k), 8);
			cr_assert_eq(bvc_signer_sign(k, out, cursor, out + cursor + 16, err,
						     sizeof(err)), 0, "%s", err);
		}
		cursor += r->sec[i].len;
	}
	cr_assert_eq(cursor, total);
	return cursor;
}

Test(blob, assemble_reproduces_the_writer)
{
	static uint8_t out[8192];
	struct rblob r;
	size_t size;
	uint8_t *buf = sample(1, &size);

	split(buf, &r);
	cr_assert_eq(assemble(&r, out, sizeof(out), key_a), size);
	cr_assert_eq(memcmp(out, buf, size), 0);
	free(buf);
}

Test(blob, unsigned_is_refused)
{
	static uint8_t out[8192];
	struct rblob r;
	char err[512];
	size_t size, n;
	uint8_t *buf = sample(1, &size);

	split(buf, &r);
	drop(&r, BVC_BLOB_SEC_SIGNATURE);
	n = assemble(&r, out, sizeof(out), NULL);
	cr_assert_eq(refused(out, n, pub_a, err, sizeof(err)), -EKEYREJECTED);
	cr_assert_str_eq(err, "unsigned: the blob has no signature section");
	cr_assert_eq(refused(out, n, NULL, err, sizeof(err)), -EKEYREJECTED, "inspect too");
	free(buf);
}

/* One broken rule: change the split sample, re-sign with key A, read. */
struct rule_case {
	const char *name;
	void (*change)(struct rblob *r);
	int ret;
	const char *msg; /* a substring of the message */
};

static void hdr_magic(struct rblob *r) { r->hdr[3] = 'X'; }
static void hdr_version(struct rblob *r) { put32(r->hdr + 8, 3); }
static void hdr_target(struct rblob *r) { put32(r->hdr + 12, 9); }
static void hdr_target0(struct rblob *r) { put32(r->hdr + 12, 0); }
static void hdr_flags(struct rblob *r) { put32(r->hdr + 16, 4); }
static void hdr_reserved(struct rblob *r) { put32(r->hdr + 28, 1); }
static void sec_unknown_kind(struct rblob *r) { find(r, BVC_BLOB_SEC_DATA)->kind = 200; }
static void sec_kind_zero(struct rblob *r) { find(r, BVC_BLOB_SEC_CODE)->kind = 0; }
static void sec_duplicate(struct rblob *r) { find(r, BVC_BLOB_SEC_DATA)->kind = BVC_BLOB_SEC_MAPS; }
static void sec_order(struct rblob *r)
{
	struct rsec t = r->sec[1];

	r->sec[1] = r->sec[2];
	r->sec[2] = t;
}
static void sec_empty(struct rblob *r) { find(r, BVC_BLOB_SEC_BYTECODE)->len = 0; }
static void sec_no_code(struct rblob *r) { drop(r, BVC_BLOB_SEC_CODE); }
static void sec_no_meta(struct rblob *r) { drop(r, BVC_BLOB_SEC_META); }
static void sig_short(struct rblob *r) { find(r, BVC_BLOB_SEC_SIGNATURE)->len = 72; }
static void sig_alg(struct rblob *r) { put32(find(r, BVC_BLOB_SEC_SIGNATURE)->data, 2); }
static void sig_reserved(struct rblob *r) { put32(find(r, BVC_BLOB_SEC_SIGNATURE)->data + 4, 1); }

static struct rsec *relocs(struct rblob *r) { return find(r, BVC_BLOB_SEC_RELOCS); }
/* sample x86 code is 0x32 bytes; relocations at 0x06 0x10 0x1a 0x26 */
static void rel_outside(struct rblob *r) { put32(relocs(r)->data + 48, 0x40); }
static void rel_end(struct rblob *r) { put32(relocs(r)->data + 48, 0x2c); }
static void rel_overlap(struct rblob *r) { put32(relocs(r)->data + 16, 0x0a); }
static void rel_unsorted(struct rblob *r) { put32(relocs(r)->data + 16, 0x02); }
static void rel_map_index(struct rblob *r) { put32(relocs(r)->data + 8, 5); }
static void rel_value_index(struct rblob *r) { put32(relocs(r)->data + 16 + 8, 2); }
static void rel_addend_neg(struct rblob *r) { put32(relocs(r)->data + 16 + 12, (uint32_t)-1); }
static void rel_addend_big(struct rblob *r) { put32(relocs(r)->data + 16 + 12, 16); }
static void rel_helper(struct rblob *r) { put32(relocs(r)->data + 32 + 8, 2); }
static void rel_helper_addend(struct rblob *r) { put32(relocs(r)->data + 32 + 12, 4); }
static void rel_kind(struct rblob *r) { put32(relocs(r)->data + 32 + 4, 7); }
static void rel_kind0(struct rblob *r) { put32(relocs(r)->data + 32 + 4, 0); }
static void rel_runtime(struct rblob *r) { put32(relocs(r)->data + 48 + 8, 4); }
static void rel_size(struct rblob *r) { relocs(r)->len = 60; }

static struct rsec *maps(struct rblob *r) { return find(r, BVC_BLOB_SEC_MAPS); }
static void map_size(struct rblob *r) { maps(r)->len = 100; }
static void map_name_nul(struct rblob *r) { memset(maps(r)->data, 'a', 64); }
static void map_name_empty(struct rblob *r) { memset(maps(r)->data, 0, 64); }
static void map_name_ctrl(struct rblob *r) { maps(r)->data[1] = '\n'; }
static void map_name_tail(struct rblob *r) { maps(r)->data[60] = 'x'; }
static void map_type0(struct rblob *r) { put32(maps(r)->data + 64, 0); }
static void map_reserved(struct rblob *r) { put32(maps(r)->data + 92, 1); }
static void map_doff_nodata(struct rblob *r) { put32(maps(r)->data + 84, 4); }
static void map_init_hash(struct rblob *r) { put32(maps(r)->data + 96 + 64, 1); }
static void map_init_size(struct rblob *r) { put32(maps(r)->data + 96 + 72, 8); }
static void map_init_off(struct rblob *r) { put32(maps(r)->data + 96 + 84, 8); }
static void map_data_long(struct rblob *r) { find(r, BVC_BLOB_SEC_DATA)->len = 24; }
static void map_data_gone(struct rblob *r) { drop(r, BVC_BLOB_SEC_DATA); }
static void map_maps_gone(struct rblob *r)
{
	drop(r, BVC_BLOB_SEC_RELOCS);
	drop(r, BVC_BLOB_SEC_MAPS);
}

static struct rsec *meta(struct rblob *r) { return find(r, BVC_BLOB_SEC_META); }
static void meta_short(struct rblob *r) { meta(r)->len = 300; }
static void meta_cnt_big(struct rblob *r) { put32(meta(r)->data + 340, 65); }
static void meta_cnt_size(struct rblob *r) { put32(meta(r)->data + 340, 3); }
static void meta_helper0(struct rblob *r) { put32(meta(r)->data + 344, 0); }
static void meta_helper_order(struct rblob *r) { put32(meta(r)->data + 348, 1); }
static void meta_entry(struct rblob *r) { put32(meta(r)->data + 200, 0x32); }
static void meta_stack(struct rblob *r) { put32(meta(r)->data + 204, 65537); }
static void meta_name_empty(struct rblob *r) { meta(r)->data[0] = 0; }
static void meta_license_nul(struct rblob *r) { memset(meta(r)->data + 72, 'G', 128); }
static void meta_verifier_tail(struct rblob *r) { meta(r)->data[240 + 70] = 1; }
static void meta_name_high(struct rblob *r) { meta(r)->data[2] = 0xc3; }

static void bytecode_size(struct rblob *r) { find(r, BVC_BLOB_SEC_BYTECODE)->len = 28; }

static const struct rule_case rules[] = {
	{ "magic", hdr_magic, -EBADMSG, "not a bpfvc blob (bad magic)" },
	{ "version", hdr_version, -EBADMSG, "blob format version 3, this reader knows version 2" },
	{ "target", hdr_target, -EBADMSG, "unknown target 9 in the header" },
	{ "target 0", hdr_target0, -EBADMSG, "unknown target 0 in the header" },
	{ "flags", hdr_flags, -EBADMSG, "unknown header flags 0x4" },
	{ "reserved", hdr_reserved, -EBADMSG, "reserved header field is 0x1, not 0" },
	{ "unknown kind", sec_unknown_kind, -EBADMSG, "section 3 (kind 200): unknown section kind 200" },
	{ "kind 0", sec_kind_zero, -EBADMSG, "section 0 (kind 0): unknown section kind 0" },
	{ "duplicate", sec_duplicate, -EBADMSG, "section 3 (maps): duplicate maps section" },
	{ "order", sec_order, -EBADMSG,
	  "section 2 (relocs) comes after section 1 (maps): sections out of order" },
	{ "empty", sec_empty, -EBADMSG, "section 4 (bytecode) is empty" },
	{ "no code", sec_no_code, -EBADMSG, "the blob has no code section" },
	{ "no meta", sec_no_meta, -EBADMSG, "the blob has no meta section" },
	{ "sig size", sig_short, -EBADMSG, "signature section is 72 bytes, expected 80" },
	{ "sig alg", sig_alg, -EBADMSG, "unknown signature algorithm 2 (1 is Ed25519)" },
	{ "sig reserved", sig_reserved, -EBADMSG, "signature section: reserved field is 0x1" },
	{ "reloc outside", rel_outside, -EBADMSG,
	  "relocation 3: slot at 0x40 is outside the code (50 bytes)" },
	{ "reloc end", rel_end, -EBADMSG,
	  "relocation 3: slot [0x2c, 0x34) overlaps the end of the code (50 bytes)" },
	{ "reloc overlap", rel_overlap, -EBADMSG,
	  "relocation 1: slot at 0xa overlaps relocation 0's at 0x6" },
	{ "reloc unsorted", rel_unsorted, -EBADMSG,
	  "relocation 1: slot at 0x2 comes before relocation 0's at 0x6 (not sorted)" },
	{ "reloc map index", rel_map_index, -EBADMSG,
	  "relocation 0: map index 5 out of range (2 maps)" },
	{ "reloc value index", rel_value_index, -EBADMSG,
	  "relocation 1: map index 2 out of range (2 maps)" },
	{ "reloc addend < 0", rel_addend_neg, -EBADMSG,
	  "relocation 1: offset -1 outside map 1 (.data)'s 16-byte value" },
	{ "reloc addend big", rel_addend_big, -EBADMSG,
	  "relocation 1: offset 16 outside map 1 (.data)'s 16-byte value" },
	{ "reloc helper", rel_helper, -EBADMSG,
	  "relocation 2: helper #2 is not in the meta section's helper list" },
	{ "reloc helper addend", rel_helper_addend, -EBADMSG,
	  "relocation 2: addend 4 on a relocation that takes none" },
	{ "reloc kind", rel_kind, -EBADMSG, "relocation 2: unknown kind 7" },
	{ "reloc kind 0", rel_kind0, -EBADMSG, "relocation 2: unknown kind 0" },
	{ "reloc runtime", rel_runtime, -EBADMSG, "relocation 3: unknown runtime function 4" },
	{ "reloc size", rel_size, -EBADMSG, "relocs section is 60 bytes, not a multiple of 16" },
	{ "maps size", map_size, -EBADMSG, "maps section is 100 bytes, not a multiple of 96" },
	{ "map name NUL", map_name_nul, -EBADMSG,
	  "map 0: name is not NUL-terminated within its 64 bytes" },
	{ "map name empty", map_name_empty, -EBADMSG, "map 0: name is empty" },
	{ "map name ctrl", map_name_ctrl, -EBADMSG,
	  "map 0: name has a non-printable byte 0x0a at 1" },
	{ "map name tail", map_name_tail, -EBADMSG, "map 0: name has nonzero bytes after its NUL" },
	{ "map type 0", map_type0, -EBADMSG, "map 0 (counts): map type 0" },
	{ "map reserved", map_reserved, -EBADMSG, "map 0 (counts): reserved field is 0x1, not 0" },
	{ "map data offset", map_doff_nodata, -EBADMSG,
	  "map 0 (counts): data offset 0x4 without initial data" },
	{ "map init hash", map_init_hash, -EBADMSG,
	  "map 1 (.data): initial data for a map that is not a non-empty array" },
	{ "map init size", map_init_size, -EBADMSG,
	  "map 1 (.data): 16 bytes of initial data for a 8-byte value" },
	{ "map init range", map_init_off, -EBADMSG,
	  "map 1 (.data): initial data [0x8, 0x18) outside the data section (16 bytes)" },
	{ "data too long", map_data_long, -EBADMSG,
	  "data section is 24 bytes, but the maps' initial data take 16" },
	{ "data missing", map_data_gone, -EBADMSG,
	  "map 1 (.data): initial data [0x0, 0x10) outside the data section (0 bytes)" },
	{ "maps missing", map_maps_gone, -EBADMSG, "data section without a maps section" },
	{ "meta short", meta_short, -EBADMSG, "meta section is 300 bytes, shorter than 344" },
	{ "meta helper count", meta_cnt_big, -EBADMSG,
	  "meta: 65 helper ids, more than the limit of 64" },
	{ "meta size", meta_cnt_size, -EBADMSG,
	  "meta section is 352 bytes, expected 356 for 3 helper ids" },
	{ "meta helper 0", meta_helper0, -EBADMSG, "meta: helper id 0 at 0 is not a helper" },
	{ "meta helper order", meta_helper_order, -EBADMSG,
	  "meta: helper ids not strictly ascending (1 after 1)" },
	{ "meta entry", meta_entry, -EBADMSG, "meta: entry offset 0x32 outside the code (50 bytes)" },
	{ "meta stack", meta_stack, -EBADMSG,
	  "meta: stack depth 65537 bytes, more than the limit of 65536" },
	{ "meta name", meta_name_empty, -EBADMSG, "meta: program name is empty" },
	{ "meta license", meta_license_nul, -EBADMSG,
	  "meta: license is not NUL-terminated within its 128 bytes" },
	{ "meta verifier", meta_verifier_tail, -EBADMSG,
	  "meta: verifier version has nonzero bytes after its NUL" },
	{ "meta name byte", meta_name_high, -EBADMSG,
	  "meta: program name has a non-printable byte 0xc3 at 2" },
	{ "bytecode size", bytecode_size, -EBADMSG,
	  "bytecode section is 28 bytes, not a multiple of 8" },
};

Test(blob, each_rule_on_its_own)
{
	static uint8_t out[8192];
	size_t size, n, i;
	uint8_t *buf = sample(1, &size);
	char err[512];

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct rblob r;

		split(buf, &r);
		rules[i].change(&r);
		n = assemble(&r, out, sizeof(out), key_a);
		cr_expect_eq(refused(out, n, pub_a, err, sizeof(err)), rules[i].ret, "%s: %s",
			     rules[i].name, err);
		cr_expect(strstr(err, rules[i].msg), "%s: got '%s', want '%s'", rules[i].name, err,
			  rules[i].msg);
		/* The rule holds without the signature check too. */
		cr_expect_eq(refused(out, n, NULL, err, sizeof(err)), rules[i].ret, "%s (no key)",
			     rules[i].name);
	}
	free(buf);
}

/* Layout rules: patch the table of a good blob (structure is checked
 * before the signature, so no re-signing is needed). */
struct layout_case {
	const char *name;
	int entry;        /* table entry to patch, -1 for the header */
	int field;        /* byte offset in the entry (4 offset, 8 size) or header */
	int64_t delta;    /* added to the field */
	const char *msg;
	int set;          /* 1: the field becomes @delta instead */
};

static const struct layout_case layouts[] = {
	{ "overlap previous", 1, 4, -8,
	  "section 1 (relocs) [0xc0, 0x100) overlaps section 0 (code) [0x90, 0xc2)", 0 },
	{ "overlap earlier", 3, 4, -0x100,
	  "section 3 (data) [0xc8, 0xd8) overlaps section 1 (relocs) [0xc8, 0x108)", 0 },
	{ "overlap table", 0, 4, -16,
	  "section 0 (code) [0x80, 0xb2) overlaps the header and section table [0, 0x90)", 0 },
	{ "gap", 2, 4, 8, "section 2 (maps) starts at 0x110, expected 0x108", 0 },
	{ "misaligned", 2, 4, 4, "section 2 (maps) starts at 0x10c, expected 0x108", 0 },
	{ "past the end", 4, 8, 0x10000,
	  "section 4 (bytecode) [0x1d8, 0x101f8) runs past the end of the blob (936 bytes)", 0 },
	{ "offset wraps", 4, 4, 0xffffff00ll,
	  "section 4 (bytecode) [0xffffff00, 0xffffff20) runs past the end of the blob", 1 },
	{ "size wraps", 4, 8, 0xfffffff8ll,
	  "section 4 (bytecode) [0x1d8, 0x1000001d0) runs past the end of the blob", 1 },
	{ "last ends early", 6, 8, -8, "8 bytes after the signature section", 0 },
	{ "count 0", -1, 20, -7, "section count 0 out of range (1..10)", 0 },
	{ "count 11", -1, 20, 4, "section count 11 out of range (1..10)", 0 },
	{ "count huge", -1, 20, 0x10000000, "section count 268435463 out of range", 0 },
};

Test(blob, layout_rules)
{
	size_t size, i;
	uint8_t *buf = sample(1, &size);
	uint8_t *copy = malloc(size);
	char err[512];

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct layout_case *c = &layouts[i];
		uint8_t *p = c->entry < 0 ? copy + c->field : copy + 32 + 16 * c->entry + c->field;

		memcpy(copy, buf, size);
		put32(p, (uint32_t)(c->set ? c->delta : (int64_t)get32(p) + c->delta));
		cr_expect_eq(refused(copy, size, pub_a, err, sizeof(err)), -EBADMSG, "%s: %s",
			     c->name, err);
		cr_expect(strstr(err, c->msg), "%s: got '%s', want '%s'", c->name, err, c->msg);
	}

	/* Nonzero padding between sections (code ends at 0xc2, relocs at 0xc8). */
	memcpy(copy, buf, size);
	copy[0xc4] = 1;
	cr_expect_eq(refused(copy, size, NULL, err, sizeof(err)), -EBADMSG);
	cr_expect_str_eq(err, "nonzero padding byte at 0xc4 before section 1 (relocs)");

	/* A table that does not fit the blob. */
	memcpy(copy, buf, size);
	put32(copy + 24, 100);
	cr_expect_eq(refused(copy, 100, NULL, err, sizeof(err)), -EBADMSG);
	cr_expect(strstr(err, "section table (7 entries, ends at 0x90) runs past the end of the blob (100 bytes)"),
		  "%s", err);
	free(copy);
	free(buf);
}

/* --- checks the runtime makes after reading --------------------------------- */

Test(blob, check_target)
{
	struct bvc_blob *out = NULL;
	char err[256] = "";
	size_t size;
	uint8_t *buf = sample(1, &size);

	cr_assert_eq(bvc_blob_read(buf, size, key_a, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_check_target(out, 1, err, sizeof(err)), 0);
	cr_assert_eq(bvc_blob_check_target(out, 2, err, sizeof(err)), -ENOEXEC);
	cr_assert_str_eq(err, "blob is for x86_64, this device is arm64");
	cr_assert_eq(bvc_blob_check_target(out, 3, err, sizeof(err)), -ENOEXEC);
	cr_assert_str_eq(err, "blob is for x86_64, this device is thumbv7m");
	cr_assert_eq(bvc_blob_check_target(out, 42, err, sizeof(err)), -ENOEXEC);
	cr_assert_str_eq(err, "blob is for x86_64, this device is target 42");
	bvc_blob_free(out);
	free(buf);
}

Test(blob, check_helpers)
{
	static const uint32_t all[] = { 7, 6, 1, 2 }, some[] = { 1, 2, 3 };
	struct bvc_blob b, *out = NULL;
	uint8_t *buf = NULL;
	char err[256] = "";
	size_t size;

	bvc_test_sample_blob(&b, 1);
	b.meta.helper_ids[2] = 999;
	b.meta.helper_cnt = 3;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_read(buf, size, key_a, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_check_helpers(out, some, 3, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "blob needs helper bpf_trace_printk#6 which this runtime lacks");
	cr_assert_eq(bvc_blob_check_helpers(out, all, 4, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "blob needs helper unknown#999 which this runtime lacks");
	cr_assert_eq(bvc_blob_check_helpers(out, NULL, 0, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "blob needs helper bpf_map_lookup_elem#1 which this runtime lacks");
	out->meta.helper_cnt = 2;
	cr_assert_eq(bvc_blob_check_helpers(out, all, 4, err, sizeof(err)), 0);
	bvc_blob_free(out);
	free(buf);
}

/* --- the writer refuses what cannot make a valid blob ----------------------- */

Test(blob, writer_refusals)
{
	struct bvc_blob b;
	uint8_t *buf = (uint8_t *)1;
	char err[512];
	size_t size = 1;

	bvc_test_sample_blob(&b, 1);
	cr_assert_eq(bvc_blob_write(&b, pub_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cannot sign with a public key");
	cr_assert_null(buf);
	cr_assert_eq(size, 0);

	b.entry_off = b.code_size;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "refusing to write an invalid blob: meta: entry offset 0x32 outside the code (50 bytes)");

	bvc_test_sample_blob(&b, 1);
	b.meta.helper_cnt = 1; /* a helper relocation for id 1 only... */
	b.meta.helper_ids[0] = 6;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "helper #1 is not in the meta section's helper list"), "%s", err);

	bvc_test_sample_blob(&b, 1);
	memset(b.meta.prog_name, 'x', sizeof(b.meta.prog_name));
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "program name is longer than 63 bytes");

	bvc_test_sample_blob(&b, 1);
	b.maps[1].init_size = 8;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "map 1 (.data): 8 bytes of initial data for a 16-byte value");

	bvc_test_sample_blob(&b, 1);
	b.code_size = 0;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "no code to write");

	bvc_test_sample_blob(&b, 1);
	b.meta.helper_cnt = 65;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "65 helpers, more than the blob limit of 64");

	bvc_test_sample_blob(&b, 1);
	b.target = 7;
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "refusing to write an invalid blob: unknown target 7 in the header");
	cr_assert_null(buf);
}

Test(blob, section_names)
{
	cr_assert_str_eq(bvc_blob_sec_name(1), "code");
	cr_assert_str_eq(bvc_blob_sec_name(6), "meta");
	cr_assert_str_eq(bvc_blob_sec_name(255), "signature");
	cr_assert_str_eq(bvc_blob_sec_name(7), "progs");
	cr_assert_str_eq(bvc_blob_sec_name(8), "kconfig");
	cr_assert_str_eq(bvc_blob_sec_name(9), "kernel");
	cr_assert_null(bvc_blob_sec_name(10));
	cr_assert_null(bvc_blob_sec_name(0));
}

/* --- multi-program blobs (tail calls) ------------------------------------ */

/* The sample plus a prog_array map (index 2, 4 entries), two programs
 * (the entry and "second", whose bytecode is the sample's last insn, and
 * slots [1] = second, [3] = the entry. */
static uint8_t *sample_progs(size_t *size)
{
	static struct bvc_blob_map maps3[3];
	static struct bvc_blob_prog progs[2];
	static const struct bvc_blob_slot slots[] = { { 2, 1, 1 }, { 2, 3, 0 } };
	struct bvc_blob b;
	uint8_t *out = NULL;
	char err[512] = "";

	bvc_test_sample_blob(&b, 1);
	cr_assert_eq(b.map_cnt, 2);
	memcpy(maps3, b.maps, 2 * sizeof(maps3[0]));
	memset(&maps3[2], 0, sizeof(maps3[2]));
	snprintf(maps3[2].name, sizeof(maps3[2].name), "jmp_table");
	maps3[2].type = 3;
	maps3[2].key_size = 4;
	maps3[2].value_size = 4;
	maps3[2].max_entries = 4;
	b.maps = maps3;
	b.map_cnt = 3;
	memset(progs, 0, sizeof(progs));
	snprintf(progs[0].name, sizeof(progs[0].name), "%s", b.meta.prog_name);
	progs[0].prog_type = b.meta.prog_type;
	progs[0].expected_attach_type = b.meta.expected_attach_type;
	progs[0].entry_off = (uint32_t)b.entry_off;
	progs[0].tail_entry_off = 4;
	progs[0].stack_depth = b.meta.stack_depth;
	progs[0].insn_cnt = (uint32_t)b.bytecode_cnt - 1;
	memcpy(progs[0].bytecode_sha256, b.meta.bytecode_sha256, 32);
	snprintf(progs[1].name, sizeof(progs[1].name), "second");
	progs[1].prog_type = b.meta.prog_type;
	progs[1].entry_off = 8;
	progs[1].tail_entry_off = 12;
	progs[1].stack_depth = 16;
	progs[1].insn_off = (uint32_t)b.bytecode_cnt - 1;
	progs[1].insn_cnt = 1;
	b.progs = progs;
	b.prog_cnt = 2;
	b.slots = slots;
	b.slot_cnt = 2;
	cr_assert_eq(bvc_blob_write(&b, key_a, &out, size, err, sizeof(err)), 0, "%s", err);
	return out;
}

Test(blob, progs_round_trip)
{
	size_t size;
	uint8_t *buf = sample_progs(&size);
	struct bvc_blob *out = NULL;
	char err[512];

	cr_assert_eq(bvc_blob_read(buf, size, pub_a, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out->prog_cnt, 2);
	cr_assert_str_eq(out->progs[1].name, "second");
	cr_assert_eq(out->progs[1].tail_entry_off, 12);
	cr_assert_eq(out->progs[1].insn_off + out->progs[1].insn_cnt, out->bytecode_cnt);
	cr_assert_eq(out->slot_cnt, 2);
	cr_assert_eq(out->slots[0].key, 1);
	cr_assert_eq(out->slots[0].prog, 1);
	cr_assert_eq(out->slots[1].key, 3);
	cr_assert_eq(out->slots[1].prog, 0);
	bvc_blob_free(out);
	free(buf);
}

Test(blob, progs_every_byte_flip_is_refused, .timeout = 120)
{
	size_t size, variants = 0;
	uint8_t *buf = sample_progs(&size);
	uint8_t *copy = malloc(size);
	char err[512];

	for (size_t i = 0; i < size; i++) {
		memcpy(copy, buf, size);
		copy[i] ^= 0x01;
		cr_assert_neq(refused(copy, size, pub_a, err, sizeof(err)), 0, "byte %zu accepted", i);
		refused(copy, size, NULL, err, sizeof(err));
		variants++;
	}
	cr_assert_eq(variants, size);
	free(copy);
	free(buf);
}

/* Forged program tables, re-signed with the trusted key: the reader's own
 * checks must refuse each with its message. */
static void pr_type(struct rblob *r) { put32(find(r, 7)->data + 8 + 128 + 64, 3); }
static void pr_entry(struct rblob *r) { put32(find(r, 7)->data + 8 + 128 + 72, 0x100000); }
static void pr_name_dup(struct rblob *r)
{
	memcpy(find(r, 7)->data + 8 + 128, find(r, 7)->data + 8, 64);
}
static void pr_bytecode(struct rblob *r) { put32(find(r, 7)->data + 8 + 128 + 84, 0); }
static void pr_entry0(struct rblob *r) { put32(find(r, 7)->data + 8 + 72, 4); }
static void pr_slot_key(struct rblob *r) { put32(find(r, 7)->data + 8 + 256 + 12 + 4, 4); }
static void pr_slot_prog(struct rblob *r) { put32(find(r, 7)->data + 8 + 256 + 8, 2); }
static void pr_slot_map(struct rblob *r) { put32(find(r, 7)->data + 8 + 256, 0); }
static void pr_slot_order(struct rblob *r) { put32(find(r, 7)->data + 8 + 256 + 4, 3); }
static void pr_count(struct rblob *r) { put32(find(r, 7)->data, 3); }
static void pr_drop(struct rblob *r) { drop(r, 7); }
static void pr_reserved(struct rblob *r) { put32(find(r, 7)->data + 8 + 92, 1); }

static const struct rule_case progs_cases[] = {
	{ "type", pr_type, -EBADMSG, "program 1 (second): program type 3, but the entry's is 6" },
	{ "entry", pr_entry, -EBADMSG, "program 1 (second): entry 0x100000 or tail entry 0xc outside the code" },
	{ "duplicate name", pr_name_dup, -EBADMSG, "repeats program 0's" },
	{ "bytecode", pr_bytecode, -EBADMSG, "program 1 (second): bytecode [0, +1) is not the next part" },
	{ "entry 0", pr_entry0, -EBADMSG, "is not the meta section's program" },
	{ "slot key", pr_slot_key, -EBADMSG, "slot 1: key 4 past map 2 (jmp_table)'s 4 entries" },
	{ "slot prog", pr_slot_prog, -EBADMSG, "slot 0: program 2 out of range (2 programs)" },
	{ "slot map", pr_slot_map, -EBADMSG, "slot 0: map 0 is not a prog_array" },
	{ "slot order", pr_slot_order, -EBADMSG, "slot 1: (map 2, key 3) not after slot 0's (map 2, key 3)" },
	{ "count", pr_count, -EBADMSG, "progs section is 288 bytes, expected 416 for 3 programs and 2 slots" },
	{ "no progs", pr_drop, -EBADMSG, "map 2 (jmp_table) is a prog_array, but the blob has no progs section" },
	{ "reserved", pr_reserved, -EBADMSG, "program 0 (" },
};

Test(blob, progs_forged_tables_are_refused)
{
	static uint8_t out[16384];
	size_t size;
	uint8_t *buf = sample_progs(&size);

	for (size_t i = 0; i < sizeof(progs_cases) / sizeof(progs_cases[0]); i++) {
		struct rblob r;
		char err[512];
		size_t n;

		split(buf, &r);
		progs_cases[i].change(&r);
		n = assemble(&r, out, sizeof(out), key_a);
		cr_assert_eq(refused(out, n, pub_a, err, sizeof(err)), progs_cases[i].ret, "%s: %s",
			     progs_cases[i].name, err);
		cr_assert(strstr(err, progs_cases[i].msg), "%s: '%s' lacks '%s'", progs_cases[i].name,
			  err, progs_cases[i].msg);
	}
	free(buf);
}

/* Without a prog_array, a progs section is refused. */
Test(blob, progs_without_prog_array_refused)
{
	static struct bvc_blob_prog one[1];
	struct bvc_blob b;
	uint8_t *out = NULL;
	size_t size;
	char err[512] = "";

	bvc_test_sample_blob(&b, 1);
	memset(one, 0, sizeof(one));
	snprintf(one[0].name, sizeof(one[0].name), "%s", b.meta.prog_name);
	one[0].prog_type = b.meta.prog_type;
	one[0].stack_depth = b.meta.stack_depth;
	one[0].insn_cnt = (uint32_t)b.bytecode_cnt;
	memcpy(one[0].bytecode_sha256, b.meta.bytecode_sha256, 32);
	b.progs = one;
	b.prog_cnt = 1;
	cr_assert_eq(bvc_blob_write(&b, key_a, &out, &size, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "progs section without a prog_array map"), "%s", err);
}

/* --- the kernel a blob was verified for (issue #17) ---------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	cr_assert_eq(fclose(f), 0);
}

/* SHA-256 of "device A BTF", as the device computes it over its BTF file. */
static const uint8_t sha_a[32] = {
	0x46, 0xe0, 0xb4, 0xcd, 0x63, 0xae, 0x95, 0x4d, 0xf7, 0x52, 0xee,
	0x6d, 0xa2, 0x46, 0xc6, 0x57, 0x26, 0x39, 0x37, 0x8d, 0x64, 0x72,
	0xab, 0x29, 0x08, 0x38, 0x34, 0x44, 0xed, 0xa7, 0x80, 0x41,
};

Test(blob, kernel_section)
{
	struct bvc_blob b, *out = NULL, *plain = NULL;
	char err[512] = "", a[300], other[300], none[300];
	uint8_t *buf = NULL, *pbuf;
	size_t size, psize;

	snprintf(a, sizeof(a), "%s/btf_a", dir);
	snprintf(other, sizeof(other), "%s/btf_b", dir);
	snprintf(none, sizeof(none), "%s/none", dir);
	write_file(a, "device A BTF");
	write_file(other, "device B BTF");

	bvc_test_sample_blob(&b, 1);
	b.has_kernel = 1;
	memcpy(b.kernel_btf_sha256, sha_a, 32);
	strcpy(b.kernel_release, "6.1.0-dev-a");
	strcpy(b.kernel_arch, "aarch64");
	cr_assert_eq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_read(buf, size, pub_a, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out->has_kernel, 1);
	cr_assert_eq(memcmp(out->kernel_btf_sha256, sha_a, 32), 0);
	cr_assert_str_eq(out->kernel_release, "6.1.0-dev-a");
	cr_assert_str_eq(out->kernel_arch, "aarch64");

	/* the device's BTF decides */
	cr_assert_eq(bvc_blob_check_kernel(out, a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_check_kernel(out, other, err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "blob was verified for kernel 6.1.0-dev-a (BTF sha256 46e0b4cd63ae954d...), this device's kernel BTF is "),
		  "%s", err);
	cr_assert(strstr(err, "): another kernel"), "%s", err);
	cr_assert_eq(bvc_blob_check_kernel(out, none, err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "this device has no kernel BTF to compare"), "%s", err);

	/* a blob that names no kernel runs anywhere: the file is not read */
	pbuf = sample(1, &psize);
	cr_assert_eq(bvc_blob_read(pbuf, psize, pub_a, &plain, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(plain->has_kernel, 0);
	cr_assert_eq(bvc_blob_check_kernel(plain, none, err, sizeof(err)), 0);
	cr_assert_eq(size, psize + 16 + 136, "one table entry and 136 bytes more: %zu vs %zu", size,
		     psize);

	/* the release is required text */
	b.kernel_release[0] = 0;
	free(buf);
	buf = NULL;
	cr_assert_neq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), 0);
	cr_assert(strstr(err, "kernel release is empty"), "%s", err);
	cr_assert_str_eq(bvc_blob_sec_name(BVC_BLOB_SEC_KERNEL), "kernel");

	bvc_blob_free(out);
	bvc_blob_free(plain);
	free(buf);
	free(pbuf);
}

/* --- kconfig section ------------------------------------------------------ */

/* The sample with two .kconfig externs in its .data map made read-only. */
static void kconfig_sample(struct bvc_blob *b, struct bvc_blob_kconfig_var *v)
{
	bvc_test_sample_blob(b, 1);
	((struct bvc_blob_map *)b->maps)[1].flags |= 0x80; /* BPF_F_RDONLY_PROG */
	memset(v, 0, 2 * sizeof(*v));
	strcpy(v[0].name, "CONFIG_HZ");
	v[0].off = 0;
	v[0].size = 4;
	strcpy(v[1].name, "LINUX_KERNEL_VERSION");
	v[1].off = 8;
	v[1].size = 8;
	b->kconfig_vars = v;
	b->kconfig_var_cnt = 2;
	b->kconfig_map = 1;
	strcpy(b->kconfig_source, "/proc/config.gz, uname 6.18.44");
}

Test(blob, kconfig_round_trip)
{
	struct bvc_blob in, *out = NULL;
	struct bvc_blob_kconfig_var v[2];
	uint8_t *buf = NULL;
	size_t size;
	char err[512] = "";

	kconfig_sample(&in, v);
	cr_assert_eq(bvc_blob_write(&in, key_a, &buf, &size, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_blob_read(buf, size, pub_a, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out->kconfig_var_cnt, 2);
	cr_assert_eq(out->kconfig_map, 1);
	cr_assert_str_eq(out->kconfig_source, "/proc/config.gz, uname 6.18.44");
	for (int i = 0; i < 2; i++) {
		cr_assert_str_eq(out->kconfig_vars[i].name, v[i].name);
		cr_assert_eq(out->kconfig_vars[i].off, v[i].off);
		cr_assert_eq(out->kconfig_vars[i].size, v[i].size);
	}
	bvc_blob_free(out);
	free(buf);
}

/* Each breaks one rule of the kconfig section; the writer reads its result
 * back, so it refuses with the reader's words. */
Test(blob, kconfig_rules)
{
	static const struct {
		const char *name;
		uint32_t map, off1, size1, flags_clear;
		const char *name1;
		const char *msg;
	} cases[] = {
		{ "map index", 5, 8, 8, 0, "B", "kconfig: map 5 out of range (2 maps)" },
		{ "not an array", 0, 8, 8, 0, "B",
		  "kconfig: map 0 (counts) is not a read-only array of one element with initial data" },
		{ "writable", 1, 8, 8, 0x80, "B",
		  "kconfig: map 1 (.data) is not a read-only array of one element with initial data" },
		{ "overlap", 1, 2, 4, 0, "B", "kconfig extern 1 (B): offset 2 not after extern 0's end (4)" },
		{ "outside", 1, 12, 8, 0, "B",
		  "kconfig extern 1 (B): 8 bytes at 12, outside map 1's 16-byte value" },
		{ "empty", 1, 8, 0, 0, "B", "kconfig extern 1 (B): 0 bytes at 8, outside" },
		{ "repeat", 1, 8, 8, 0, "CONFIG_HZ", "kconfig extern 1: name CONFIG_HZ repeats extern 0's" },
		{ "no name", 1, 8, 8, 0, "", "kconfig extern 1: name" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bvc_blob b;
		struct bvc_blob_kconfig_var v[2];
		uint8_t *buf = NULL;
		size_t size;
		char err[512] = "";

		kconfig_sample(&b, v);
		b.kconfig_map = cases[i].map;
		((struct bvc_blob_map *)b.maps)[1].flags &= ~cases[i].flags_clear;
		v[1].off = cases[i].off1;
		v[1].size = cases[i].size1;
		strcpy(v[1].name, cases[i].name1);
		cr_expect_neq(bvc_blob_write(&b, key_a, &buf, &size, err, sizeof(err)), 0, "%s",
			      cases[i].name);
		cr_expect(strstr(err, cases[i].msg), "%s: got '%s', want '%s'", cases[i].name, err,
			  cases[i].msg);
		free(buf);
	}
}
