/* SPDX-License-Identifier: MIT */
/*
 * What the signer's files share (signer/): the blob's byte layout
 * (docs/blob-format.md), used by the reader (blob_read.c) and the writer
 * (blob_write.c), and the OpenSSL key behind struct bvc_key, used by the
 * key and signature-check half (ed25519.c) and the signing half
 * (ed25519_sign.c).
 *
 * The split is the point: a device links blob_read.c and ed25519.c only
 * (library bvc_signer_check), never the writer, signing or key generation
 * (library bvc_signer); tests/runtime/nm_device.sh checks bpfvc-run for it.
 */
#ifndef BPFVC_SIGNER_INTERNAL_H
#define BPFVC_SIGNER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "bpfvc/blob.h"
#include "bpfvc/signer.h"

/* --- blob byte layout (docs/blob-format.md) ------------------------------- */

/* Header */
#define HDR_MAGIC 0
#define HDR_VERSION 8
#define HDR_TARGET 12
#define HDR_FLAGS 16
#define HDR_NSEC 20
#define HDR_TOTAL 24
#define HDR_RESERVED 28

/* Section table entry */
#define SEC_KIND 0
#define SEC_OFFSET 4
#define SEC_SIZE 8
#define SEC_RESERVED 12

/* Relocation record */
#define RELOC_SIZE 16

/* Map record */
#define MAP_NAME 0
#define MAP_TYPE 64
#define MAP_KEY_SIZE 68
#define MAP_VALUE_SIZE 72
#define MAP_MAX_ENTRIES 76
#define MAP_FLAGS 80
#define MAP_DATA_OFF 84
#define MAP_DATA_SIZE 88
#define MAP_RESERVED 92
#define MAP_SIZE 96
#define MAP_F_RDONLY_PROG (1u << 7) /* BPF_F_RDONLY_PROG */

/* Metadata */
#define META_PROG_NAME 0
#define META_PROG_TYPE 64
#define META_ATTACH_TYPE 68
#define META_LICENSE 72
#define META_ENTRY_OFF 200
#define META_STACK_DEPTH 204
#define META_SHA256 208
#define META_VERIFIER 240
#define META_PROCESSED 312
#define META_TOTAL_STATES 320
#define META_PEAK_STATES 328
#define META_MAX_STATES 336
#define META_HELPER_CNT 340
#define META_HELPERS 344 /* helper_cnt u32 ids follow */

/* Progs section: a header, the program records, the slot records */
#define PROGS_CNT 0
#define PROGS_SLOT_CNT 4
#define PROGS_HDR 8
#define PROG_NAME 0
#define PROG_TYPE 64
#define PROG_ATTACH_TYPE 68
#define PROG_ENTRY_OFF 72
#define PROG_TAIL_ENTRY_OFF 76
#define PROG_STACK_DEPTH 80
#define PROG_INSN_OFF 84
#define PROG_INSN_CNT 88
#define PROG_RESERVED 92
#define PROG_SHA256 96
#define PROG_SIZE 128
#define SLOT_MAP 0
#define SLOT_KEY 4
#define SLOT_PROG 8
#define SLOT_SIZE 12

/* Kconfig section: a header, then the extern records */
#define KCFG_SOURCE 0
#define KCFG_MAP 128
#define KCFG_CNT 132
#define KCFG_HDR 136
#define KVAR_NAME 0
#define KVAR_OFF 64
#define KVAR_SIZE 68
#define KVAR_REC 72
/* Kernel section: the kernel the program was verified for */
#define KERN_BTF_SHA256 0
#define KERN_RELEASE 32
#define KERN_ARCH 104
#define KERN_SIZE 136

/* Signature section */
#define SIG_ALG 0
#define SIG_RESERVED 4
#define SIG_KEY_ID 8
#define SIG_SIG 16
#define SIG_SIZE 80

/* The text fields of the public structs are exactly the file's fields. */
_Static_assert(sizeof(((struct bvc_blob_meta *)0)->prog_name) == META_PROG_TYPE - META_PROG_NAME,
	       "prog_name field");
_Static_assert(sizeof(((struct bvc_blob_meta *)0)->license) == META_ENTRY_OFF - META_LICENSE,
	       "license field");
_Static_assert(sizeof(((struct bvc_blob_meta *)0)->verifier) == META_PROCESSED - META_VERIFIER,
	       "verifier field");
_Static_assert(sizeof(((struct bvc_blob_map *)0)->name) == MAP_TYPE - MAP_NAME, "map name field");
_Static_assert(sizeof(struct bvc_insn) == 8, "instruction size");
_Static_assert(sizeof(((struct bvc_blob *)0)->kconfig_source) == KCFG_MAP - KCFG_SOURCE,
	       "kconfig source field");
_Static_assert(sizeof(((struct bvc_blob_kconfig_var *)0)->name) == KVAR_OFF - KVAR_NAME,
	       "kconfig name field");
_Static_assert(sizeof(((struct bvc_blob *)0)->kernel_release) == KERN_ARCH - KERN_RELEASE,
	       "kernel release field");
_Static_assert(sizeof(((struct bvc_blob *)0)->kernel_arch) == KERN_SIZE - KERN_ARCH,
	       "kernel arch field");

/* The known kinds, in the order they must appear. */
static const uint32_t kinds[] = {
	BVC_BLOB_SEC_CODE,     BVC_BLOB_SEC_RELOCS,   BVC_BLOB_SEC_MAPS,
	BVC_BLOB_SEC_DATA,     BVC_BLOB_SEC_BYTECODE, BVC_BLOB_SEC_META,
	BVC_BLOB_SEC_PROGS,    BVC_BLOB_SEC_KCONFIG,  BVC_BLOB_SEC_KERNEL,
	BVC_BLOB_SEC_SIGNATURE,
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static inline int kind_index(uint32_t kind)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i] == kind)
			return (int)i;
	return -1;
}

static inline size_t align_up(size_t v)
{
	return (v + BVC_BLOB_ALIGN - 1) & ~(size_t)(BVC_BLOB_ALIGN - 1);
}

/* --- keys ----------------------------------------------------------------- */

struct bvc_key {
	EVP_PKEY *pkey;                         /* OpenSSL key, private or public */
	int priv;                               /* holds the private part */
	uint8_t pub[BVC_SIGNER_PUBKEY_LEN];     /* raw public key */
	uint8_t id[BVC_SIGNER_KEY_ID_LEN];      /* SHA-256(pub)[0..8) */
};

/* Drain OpenSSL's error queue into @buf, most specific (first) reason
 * first; returns @buf. */
const char *bvc_signer_ossl_reason(char *buf, size_t sz);

/* OpenSSL wants a valid pointer even for an empty message. */
static inline const unsigned char *bvc_signer_nonnull(const void *buf)
{
	static const unsigned char empty;

	return buf ? buf : &empty;
}

#endif /* BPFVC_SIGNER_INTERNAL_H */
