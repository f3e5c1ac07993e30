// SPDX-License-Identifier: MIT
/*
 * The blob writer (docs/design.md section 5, docs/blob-format.md): lays out the
 * canonical blob (sections in the order of their kinds, packed on 8-byte
 * boundaries, the signature last), signs it, and reads it back with
 * bvc_blob_read() before handing it out.
 *
 * Build side only: a device never links this file (bpfvc-run links
 * bvc_signer_check: the reader and the signature check).
 *
 * Must not: print, or hand out a blob the reader refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/blob.h"
#include "bpfvc/util.h"
#include "signer_internal.h"

/* Little-endian stores, whatever the host. */
static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct bvc_reloc *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->addend < y->addend ? -1 : x->addend > y->addend;
}

/* Copy string field @s (a @cap-byte array in the caller's struct) into the
 * blob, zero-padded; -EINVAL if it has no NUL within @cap. */
static int put_str(uint8_t *p, const char *s, size_t cap, const char *what, char *err,
		   size_t errsz)
{
	size_t len = strnlen(s, cap);

	if (len == cap) {
		bvc_set_err(err, errsz, "%s is longer than %zu bytes", what, cap - 1);
		return -EINVAL;
	}
	memcpy(p, s, len);
	memset(p + len, 0, cap - len);
	return 0;
}

/* Where each section goes: filled by layout(), used to write. */
struct plan {
	size_t off[NKINDS];
	size_t size[NKINDS];
	uint32_t nsec;
	size_t total;
};

static void plan_add(struct plan *pl, uint32_t kind, size_t size)
{
	pl->size[kind_index(kind)] = size;
	if (size)
		pl->nsec++;
}

static void plan_layout(struct plan *pl)
{
	size_t cursor = BVC_BLOB_HEADER_SIZE + (size_t)pl->nsec * BVC_BLOB_SECTION_ENTRY_SIZE;
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		if (!pl->size[i])
			continue;
		cursor = align_up(cursor);
		pl->off[i] = cursor;
		cursor += pl->size[i];
	}
	pl->total = cursor;
}

static uint8_t *sec_ptr(uint8_t *buf, const struct plan *pl, uint32_t kind)
{
	return buf + pl->off[kind_index(kind)];
}

int bvc_blob_write(const struct bvc_blob *b, const struct bvc_key *key, uint8_t **out,
		   size_t *out_size, char *err, size_t errsz)
{
	struct plan pl = { .nsec = 0 };
	struct bvc_reloc *relocs = NULL;
	struct bvc_blob *check = NULL;
	uint8_t *buf = NULL, *p;
	size_t data_size = 0, i, n;
	uint32_t cursor;
	char why[512];
	int ret;

	if (err && errsz)
		err[0] = '\0';
	if (!b || !key || !out || !out_size) {
		bvc_set_err(err, errsz, "bvc_blob_write: missing argument");
		return -EINVAL;
	}
	*out = NULL;
	*out_size = 0;
	if (!b->code || !b->code_size) {
		bvc_set_err(err, errsz, "no code to write");
		return -EINVAL;
	}
	if ((b->reloc_cnt && !b->relocs) || (b->map_cnt && !b->maps) ||
	    (b->bytecode_cnt && !b->bytecode)) {
		bvc_set_err(err, errsz, "bvc_blob_write: a count without its array");
		return -EINVAL;
	}
	if (b->map_cnt > BVC_BLOB_MAX_MAPS) {
		bvc_set_err(err, errsz, "%zu maps, more than the blob limit of %d", b->map_cnt,
			BVC_BLOB_MAX_MAPS);
		return -EINVAL;
	}
	if (b->meta.helper_cnt > BVC_BLOB_MAX_HELPERS) {
		bvc_set_err(err, errsz, "%u helpers, more than the blob limit of %d", b->meta.helper_cnt,
			BVC_BLOB_MAX_HELPERS);
		return -EINVAL;
	}
	if (b->kconfig_var_cnt > BVC_BLOB_MAX_KCONFIG || (b->kconfig_var_cnt && !b->kconfig_vars)) {
		bvc_set_err(err, errsz, "%zu kconfig externs: more than the blob limit of %d",
			    b->kconfig_var_cnt, BVC_BLOB_MAX_KCONFIG);
		return -EINVAL;
	}
	if (b->prog_cnt > BVC_BLOB_MAX_PROGS || b->slot_cnt > BVC_BLOB_MAX_SLOTS ||
	    (b->prog_cnt && !b->progs) || (b->slot_cnt && !b->slots) ||
	    (b->slot_cnt && !b->prog_cnt)) {
		bvc_set_err(err, errsz, "%zu programs and %zu slots: not a valid program table",
			b->prog_cnt, b->slot_cnt);
		return -EINVAL;
	}
	for (i = 0; i < b->map_cnt; i++) {
		if (b->maps[i].init && b->maps[i].init_size != b->maps[i].value_size) {
			bvc_set_err(err, errsz, "map %zu (%.*s): %u bytes of initial data for a %u-byte value",
				i, BVC_BLOB_NAME_MAX - 1, b->maps[i].name, b->maps[i].init_size,
				b->maps[i].value_size);
			return -EINVAL;
		}
		if (b->maps[i].init)
			data_size += b->maps[i].init_size;
	}
	/* Everything must fit the format's 32-bit sizes and the blob limit;
	 * bound each part first so the sums below cannot wrap. */
	if (b->code_size > BVC_BLOB_MAX_SIZE || b->reloc_cnt > BVC_BLOB_MAX_SIZE / RELOC_SIZE ||
	    b->bytecode_cnt > BVC_BLOB_MAX_SIZE / sizeof(struct bvc_insn) ||
	    data_size > BVC_BLOB_MAX_SIZE || b->entry_off > UINT32_MAX) {
		bvc_set_err(err, errsz, "program too large for a blob (limit %u bytes)",
			BVC_BLOB_MAX_SIZE);
		return -EINVAL;
	}
	plan_add(&pl, BVC_BLOB_SEC_CODE, b->code_size);
	plan_add(&pl, BVC_BLOB_SEC_RELOCS, b->reloc_cnt * RELOC_SIZE);
	plan_add(&pl, BVC_BLOB_SEC_MAPS, b->map_cnt * MAP_SIZE);
	plan_add(&pl, BVC_BLOB_SEC_DATA, data_size);
	plan_add(&pl, BVC_BLOB_SEC_BYTECODE, b->bytecode_cnt * sizeof(struct bvc_insn));
	plan_add(&pl, BVC_BLOB_SEC_META, META_HELPERS + 4 * (size_t)b->meta.helper_cnt);
	plan_add(&pl, BVC_BLOB_SEC_PROGS,
		 b->prog_cnt ? PROGS_HDR + b->prog_cnt * PROG_SIZE + b->slot_cnt * SLOT_SIZE : 0);
	plan_add(&pl, BVC_BLOB_SEC_KCONFIG,
		 b->kconfig_var_cnt ? KCFG_HDR + b->kconfig_var_cnt * KVAR_REC : 0);
	plan_add(&pl, BVC_BLOB_SEC_KERNEL, b->has_kernel ? KERN_SIZE : 0);
	plan_add(&pl, BVC_BLOB_SEC_SIGNATURE, SIG_SIZE);
	plan_layout(&pl);
	if (pl.total > BVC_BLOB_MAX_SIZE) {
		bvc_set_err(err, errsz, "program too large for a blob (%zu bytes, limit %u)", pl.total,
			BVC_BLOB_MAX_SIZE);
		return -EINVAL;
	}

	buf = calloc(1, pl.total);
	if (b->reloc_cnt)
		relocs = malloc(b->reloc_cnt * sizeof(*relocs));
	if (!buf || (b->reloc_cnt && !relocs)) {
		bvc_set_err(err, errsz, "out of memory");
		ret = -ENOMEM;
		goto out;
	}

	/* Header and section table. */
	memcpy(buf + HDR_MAGIC, BVC_BLOB_MAGIC, 8);
	put_u32(buf + HDR_VERSION, BVC_BLOB_VERSION);
	put_u32(buf + HDR_TARGET, b->target);
	put_u32(buf + HDR_FLAGS, b->flags);
	put_u32(buf + HDR_NSEC, pl.nsec);
	put_u32(buf + HDR_TOTAL, (uint32_t)pl.total);
	p = buf + BVC_BLOB_HEADER_SIZE;
	for (i = 0; i < NKINDS; i++) {
		if (!pl.size[i])
			continue;
		put_u32(p + SEC_KIND, kinds[i]);
		put_u32(p + SEC_OFFSET, (uint32_t)pl.off[i]);
		put_u32(p + SEC_SIZE, (uint32_t)pl.size[i]);
		p += BVC_BLOB_SECTION_ENTRY_SIZE;
	}

	memcpy(sec_ptr(buf, &pl, BVC_BLOB_SEC_CODE), b->code, b->code_size);

	if (b->reloc_cnt) {
		memcpy(relocs, b->relocs, b->reloc_cnt * sizeof(*relocs));
		qsort(relocs, b->reloc_cnt, sizeof(*relocs), cmp_reloc);
		p = sec_ptr(buf, &pl, BVC_BLOB_SEC_RELOCS);
		for (i = 0; i < b->reloc_cnt; i++, p += RELOC_SIZE) {
			put_u32(p + 0, relocs[i].offset);
			put_u32(p + 4, relocs[i].kind);
			put_u32(p + 8, relocs[i].target);
			put_u32(p + 12, (uint32_t)relocs[i].addend);
		}
	}

	cursor = 0;
	for (i = 0; i < b->map_cnt; i++) {
		const struct bvc_blob_map *m = &b->maps[i];
		char what[32];

		p = sec_ptr(buf, &pl, BVC_BLOB_SEC_MAPS) + i * MAP_SIZE;
		snprintf(what, sizeof(what), "map %zu: name", i);
		ret = put_str(p + MAP_NAME, m->name, sizeof(m->name), what, err, errsz);
		if (ret)
			goto out;
		put_u32(p + MAP_TYPE, m->type);
		put_u32(p + MAP_KEY_SIZE, m->key_size);
		put_u32(p + MAP_VALUE_SIZE, m->value_size);
		put_u32(p + MAP_MAX_ENTRIES, m->max_entries);
		put_u32(p + MAP_FLAGS, m->flags);
		if (m->init) {
			put_u32(p + MAP_DATA_OFF, cursor);
			put_u32(p + MAP_DATA_SIZE, m->init_size);
			memcpy(sec_ptr(buf, &pl, BVC_BLOB_SEC_DATA) + cursor, m->init, m->init_size);
			cursor += m->init_size;
		}
	}

	if (b->bytecode_cnt)
		memcpy(sec_ptr(buf, &pl, BVC_BLOB_SEC_BYTECODE), b->bytecode,
		       b->bytecode_cnt * sizeof(struct bvc_insn));

	p = sec_ptr(buf, &pl, BVC_BLOB_SEC_META);
	ret = put_str(p + META_PROG_NAME, b->meta.prog_name, sizeof(b->meta.prog_name),
		      "program name", err, errsz);
	if (!ret)
		ret = put_str(p + META_LICENSE, b->meta.license, sizeof(b->meta.license), "license",
			      err, errsz);
	if (!ret)
		ret = put_str(p + META_VERIFIER, b->meta.verifier, sizeof(b->meta.verifier),
			      "verifier version", err, errsz);
	if (ret)
		goto out;
	put_u32(p + META_PROG_TYPE, b->meta.prog_type);
	put_u32(p + META_ATTACH_TYPE, b->meta.expected_attach_type);
	put_u32(p + META_ENTRY_OFF, (uint32_t)b->entry_off);
	put_u32(p + META_STACK_DEPTH, b->meta.stack_depth);
	memcpy(p + META_SHA256, b->meta.bytecode_sha256, sizeof(b->meta.bytecode_sha256));
	put_u64(p + META_PROCESSED, b->meta.processed_insns);
	put_u64(p + META_TOTAL_STATES, b->meta.total_states);
	put_u64(p + META_PEAK_STATES, b->meta.peak_states);
	put_u32(p + META_MAX_STATES, b->meta.max_states_per_insn);
	put_u32(p + META_HELPER_CNT, b->meta.helper_cnt);
	for (i = 0; i < b->meta.helper_cnt; i++)
		put_u32(p + META_HELPERS + 4 * i, b->meta.helper_ids[i]);

	if (b->prog_cnt) {
		p = sec_ptr(buf, &pl, BVC_BLOB_SEC_PROGS);
		put_u32(p + PROGS_CNT, (uint32_t)b->prog_cnt);
		put_u32(p + PROGS_SLOT_CNT, (uint32_t)b->slot_cnt);
		for (i = 0; i < b->prog_cnt; i++) {
			const struct bvc_blob_prog *pr = &b->progs[i];
			uint8_t *q = p + PROGS_HDR + i * PROG_SIZE;
			char what[48];

			snprintf(what, sizeof(what), "program %zu: name", i);
			ret = put_str(q + PROG_NAME, pr->name, sizeof(pr->name), what, err, errsz);
			if (ret)
				goto out;
			put_u32(q + PROG_TYPE, pr->prog_type);
			put_u32(q + PROG_ATTACH_TYPE, pr->expected_attach_type);
			put_u32(q + PROG_ENTRY_OFF, pr->entry_off);
			put_u32(q + PROG_TAIL_ENTRY_OFF, pr->tail_entry_off);
			put_u32(q + PROG_STACK_DEPTH, pr->stack_depth);
			put_u32(q + PROG_INSN_OFF, pr->insn_off);
			put_u32(q + PROG_INSN_CNT, pr->insn_cnt);
			memcpy(q + PROG_SHA256, pr->bytecode_sha256, 32);
		}
		for (i = 0; i < b->slot_cnt; i++) {
			uint8_t *q = p + PROGS_HDR + b->prog_cnt * PROG_SIZE + i * SLOT_SIZE;

			put_u32(q + SLOT_MAP, b->slots[i].map);
			put_u32(q + SLOT_KEY, b->slots[i].key);
			put_u32(q + SLOT_PROG, b->slots[i].prog);
		}
	}

	if (b->kconfig_var_cnt) {
		p = sec_ptr(buf, &pl, BVC_BLOB_SEC_KCONFIG);
		ret = put_str(p + KCFG_SOURCE, b->kconfig_source, sizeof(b->kconfig_source),
			      "kconfig source", err, errsz);
		if (ret)
			goto out;
		put_u32(p + KCFG_MAP, b->kconfig_map);
		put_u32(p + KCFG_CNT, (uint32_t)b->kconfig_var_cnt);
		for (i = 0; i < b->kconfig_var_cnt; i++) {
			const struct bvc_blob_kconfig_var *v = &b->kconfig_vars[i];
			uint8_t *q = p + KCFG_HDR + i * KVAR_REC;
			char what[48];

			snprintf(what, sizeof(what), "kconfig extern %zu: name", i);
			ret = put_str(q + KVAR_NAME, v->name, sizeof(v->name), what, err, errsz);
			if (ret)
				goto out;
			put_u32(q + KVAR_OFF, v->off);
			put_u32(q + KVAR_SIZE, v->size);
		}
	}

	if (b->has_kernel) {
		p = sec_ptr(buf, &pl, BVC_BLOB_SEC_KERNEL);
		memcpy(p + KERN_BTF_SHA256, b->kernel_btf_sha256, 32);
		ret = put_str(p + KERN_RELEASE, b->kernel_release, sizeof(b->kernel_release),
			      "kernel release", err, errsz);
		if (!ret)
			ret = put_str(p + KERN_ARCH, b->kernel_arch, sizeof(b->kernel_arch),
				      "kernel arch", err, errsz);
		if (ret)
			goto out;
	}

	p = sec_ptr(buf, &pl, BVC_BLOB_SEC_SIGNATURE);
	put_u32(p + SIG_ALG, BVC_BLOB_SIG_ED25519);
	memcpy(p + SIG_KEY_ID, bvc_signer_key_id(key), BVC_SIGNER_KEY_ID_LEN);
	n = (size_t)(p - buf);
	ret = bvc_signer_sign(key, buf, n, p + SIG_SIG, err, errsz);
	if (ret)
		goto out;

	/* Never hand out a blob the reader would refuse. */
	ret = bvc_blob_read(buf, pl.total, key, &check, why, sizeof(why));
	if (ret) {
		bvc_set_err(err, errsz, "refusing to write an invalid blob: %s", why);
		if (ret != -ENOMEM)
			ret = -EINVAL;
		goto out;
	}
	bvc_blob_free(check);
	*out = buf;
	*out_size = pl.total;
	buf = NULL;
out:
	free(relocs);
	free(buf);
	return ret;
}
