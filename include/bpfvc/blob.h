/* SPDX-License-Identifier: MIT */
/*
 * bpfvc blob: a verified, compiled, signed program as the device receives
 * it (DESIGN.md section 5; the byte format is docs/blob-format.md).
 *
 * bvc_blob_write() lays out header, sections and the Ed25519 signature;
 * bvc_blob_read() checks everything before anything is used: sizes,
 * offsets, overlaps, section kinds, the target, and the signature against
 * the trusted key. A blob that fails any check is refused with one line.
 * The reader copies nothing it does not have to: the parsed blob points
 * into the caller's buffer, which must outlive it.
 */
#ifndef BPFVC_BLOB_H
#define BPFVC_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/devabi.h"
#include "bpfvc/isa.h"
#include "bpfvc/signer.h"

#define BVC_BLOB_MAGIC "BPFVCBLB"  /* 8 bytes at offset 0 */
#define BVC_BLOB_VERSION 1

struct bvc_blob_map {
	char name[64];          /* for messages and --dump-maps */
	uint32_t type;          /* kernel map type */
	uint32_t key_size, value_size, max_entries, flags;
	const uint8_t *init;    /* initial value of element 0 (global data), or NULL */
	uint32_t init_size;     /* == value_size when @init is set */
};

struct bvc_blob_meta {
	char prog_name[64];     /* program (function) name */
	uint32_t prog_type;     /* kernel program type */
	uint32_t expected_attach_type;
	char license[128];
	uint32_t stack_depth;   /* bytes of BPF stack the code needs */
	uint8_t bytecode_sha256[32]; /* of the bytecode as loaded from the object */
	char verifier[64];      /* verifier build id */
	uint64_t processed_insns; /* the verifier's figure */
	uint32_t helper_ids[64]; /* helpers the code may call, sorted */
	uint32_t helper_cnt;
};

struct bvc_blob {
	uint32_t target;              /* enum bvc_jit_target */
	uint32_t flags;               /* reserved, 0 */
	const uint8_t *code;          /* native code */
	size_t code_size;
	size_t entry_off;             /* entry point in @code */
	const struct bvc_reloc *relocs; /* to apply to a copy of @code */
	size_t reloc_cnt;
	struct bvc_blob_map *maps;    /* owned by the blob */
	size_t map_cnt;
	const struct bvc_insn *bytecode; /* lowered bytecode, for the interpreter */
	size_t bytecode_cnt;
	struct bvc_blob_meta meta;
	uint8_t key_id[8];            /* of the key that signed it */
};

/* Serialise @b and sign it with @key (which must hold a private key).
 * On success *@out is a malloc'd buffer of *@out_size bytes. */
int bvc_blob_write(const struct bvc_blob *b, const struct bvc_key *key, uint8_t **out,
		   size_t *out_size, char *err, size_t errsz);

/* Parse and check @buf: every structural rule of docs/blob-format.md, and
 * the signature with @trusted. Returns 0 and *@out, or -EBADMSG (malformed),
 * -EKEYREJECTED (unsigned, bad signature, or signed by another key) with
 * one line in @err. */
int bvc_blob_read(const uint8_t *buf, size_t size, const struct bvc_key *trusted,
		  struct bvc_blob **out, char *err, size_t errsz);

void bvc_blob_free(struct bvc_blob *b);

#endif /* BPFVC_BLOB_H */
