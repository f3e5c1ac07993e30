/* SPDX-License-Identifier: MIT */
/*
 * bpfvc blob: a verified, compiled, signed program as the device receives
 * it (docs/design.md section 5; the byte format is docs/blob-format.md).
 *
 * bvc_blob_write() lays out header, sections and the Ed25519 signature;
 * bvc_blob_read() checks everything before anything is used: sizes,
 * offsets, overlaps, section kinds, every relocation, map and metadata
 * field, and the signature against the trusted key. A blob that fails any
 * check is refused with one line in @err. The target and the helpers the
 * device provides are checked by two more calls the runtime makes after
 * reading: bvc_blob_check_target() and bvc_blob_check_helpers().
 *
 * A device links the reader and the two checks only (library
 * bvc_signer_check); bvc_blob_write() is in bvc_signer, with signing.
 *
 * The reader copies little: code, map initial data and (when suitably
 * aligned) the bytecode point into the caller's buffer, which must outlive
 * the parsed blob and must not change under it. Relocations and map
 * records are decoded into memory the blob owns.
 *
 * Errors are negative errno with one line in @err (which may be NULL):
 *   -EBADMSG       malformed: short, overlapping, out of range, unknown kind,
 *                  bad field ("blob: section 3 (maps) [0x80, 0x140) overlaps
 *                  section 2 (relocs) [0x60, 0x90)");
 *   -EKEYREJECTED  unsigned, signed by another key, or a signature that does
 *                  not verify;
 *   -ENOEXEC       bvc_blob_check_target(): built for another CPU;
 *   -EOPNOTSUPP    bvc_blob_check_helpers(): needs a helper the runtime lacks;
 *   -EINVAL        bvc_blob_write(): the input cannot make a valid blob;
 *   -ENOMEM, -EIO  memory, OpenSSL.
 */
#ifndef BPFVC_BLOB_H
#define BPFVC_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/devabi.h"
#include "bpfvc/isa.h"
#include "bpfvc/signer.h"

#define BVC_BLOB_MAGIC "BPFVCBLB"  /* 8 bytes at offset 0 */
#define BVC_BLOB_VERSION 2         /* format version this code writes and reads (2: the
				    * progs section, prog_array relocations) */
#define BVC_BLOB_HEADER_SIZE 32    /* fixed header; the section table follows */
#define BVC_BLOB_SECTION_ENTRY_SIZE 16 /* one section table entry */
#define BVC_BLOB_ALIGN 8           /* every section starts on this boundary */
#define BVC_BLOB_MAX_SIZE (1u << 30) /* larger blobs are refused (1 GiB) */

/* Section kinds, in the order they must appear. Stable numbers: never
 * renumber, only add (a reader refuses kinds it does not know). */
enum bvc_blob_sec {
	BVC_BLOB_SEC_CODE = 1,       /* native code (required) */
	BVC_BLOB_SEC_RELOCS = 2,     /* struct bvc_reloc records, 16 bytes each */
	BVC_BLOB_SEC_MAPS = 3,       /* map definitions, 96 bytes each */
	BVC_BLOB_SEC_DATA = 4,       /* initial bytes of global-data maps */
	BVC_BLOB_SEC_BYTECODE = 5,   /* lowered bytecode, 8 bytes per insn */
	BVC_BLOB_SEC_META = 6,       /* program metadata (required) */
	BVC_BLOB_SEC_PROGS = 7,      /* program table and prog_array slots (iff
				      * a map is a prog_array) */
	BVC_BLOB_SEC_KCONFIG = 8,    /* the .kconfig externs and their profile
				      * (iff the program reads any) */
	BVC_BLOB_SEC_KERNEL = 9,     /* the kernel it was verified for: its BTF's
				      * SHA-256 (iff verified for a target
				      * kernel's BTF: a profile, or CO-RE) */
	BVC_BLOB_SEC_SIGNATURE = 255, /* Ed25519 signature (required, last) */
};

/* Signature algorithms of the signature section. */
#define BVC_BLOB_SIG_ED25519 1

/* Limits the reader enforces (and the writer refuses to exceed). */
#define BVC_BLOB_MAX_MAPS 256    /* map records */
#define BVC_BLOB_MAX_HELPERS 64  /* helper ids in the metadata */
#define BVC_BLOB_NAME_MAX 64     /* name fields, NUL included */
#define BVC_BLOB_LICENSE_MAX 128 /* license field, NUL included */
#define BVC_BLOB_MAX_PROGS 64   /* programs in the progs section */
#define BVC_BLOB_MAX_SLOTS 65536 /* prog_array slots in the progs section */
#define BVC_BLOB_MAX_KCONFIG 256 /* externs in the kconfig section */
#define BVC_BLOB_KCONFIG_SOURCE_MAX 128 /* its profile field, NUL included */
#define BVC_BLOB_RELEASE_MAX 72  /* kernel release field, NUL included */
#define BVC_BLOB_ARCH_MAX 32     /* kernel architecture field, NUL included */
#define BVC_BLOB_VERIFIER_MAX 72 /* verifier build id field (a wire build id
				  * is at most 64 characters), NUL included */

struct bvc_blob_map {
	char name[BVC_BLOB_NAME_MAX]; /* for messages and --dump-maps; printable, non-empty */
	uint32_t type;          /* kernel map type (enum bvc_map_type) */
	uint32_t key_size;      /* bytes */
	uint32_t value_size;    /* bytes */
	uint32_t max_entries;   /* entries (ring buffer: bytes) */
	uint32_t flags;         /* BPF_F_* map flags */
	const uint8_t *init;    /* initial value of element 0 (global data), or NULL;
				 * read: points into the caller's buffer */
	uint32_t init_size;     /* == value_size when @init is set, else 0 */
};

struct bvc_blob_meta {
	char prog_name[BVC_BLOB_NAME_MAX]; /* program (function) name; printable, non-empty */
	uint32_t prog_type;     /* kernel program type (enum bvc_prog_type) */
	uint32_t expected_attach_type; /* kernel enum bpf_attach_type */
	char license[BVC_BLOB_LICENSE_MAX]; /* from the object, may be "" */
	uint32_t stack_depth;   /* bytes of BPF stack the code needs */
	uint8_t bytecode_sha256[32]; /* of the bytecode as loaded from the object
				      * (before lowering; subprograms included) */
	char verifier[BVC_BLOB_VERIFIER_MAX]; /* verifier build id; printable, may be "" */
	uint64_t processed_insns; /* the verifier's figures */
	uint64_t total_states;
	uint64_t peak_states;
	uint32_t max_states_per_insn;
	uint32_t helper_ids[BVC_BLOB_MAX_HELPERS]; /* helpers the code may call,
						    * strictly ascending */
	uint32_t helper_cnt;    /* entries in @helper_ids */
};

/* One .kconfig extern the program was verified with: its value is bytes
 * [off, off + size) of the .kconfig map's initial data (data section). */
struct bvc_blob_kconfig_var {
	char name[BVC_BLOB_NAME_MAX]; /* "CONFIG_HZ"; printable, non-empty, unique */
	uint32_t off;           /* in the map's value; records ascend by it */
	uint32_t size;          /* bytes, > 0; records do not overlap */
};

/* One program of a multi-program blob (tail calls). Program 0 is the
 * entry: the one the meta section describes. */
struct bvc_blob_prog {
	char name[BVC_BLOB_NAME_MAX]; /* function name; printable, non-empty, unique */
	uint32_t prog_type;     /* == meta.prog_type (a prog_array holds one type) */
	uint32_t expected_attach_type;
	uint32_t entry_off;     /* where a run of it starts in the code */
	uint32_t tail_entry_off; /* where a tail call into it jumps (past the
				  * part of the prologue a tail call keeps) */
	uint32_t stack_depth;   /* bytes of BPF stack its code needs */
	uint32_t insn_off;      /* its lowered bytecode: first insn in the
				 * bytecode section (0 without bytecode) */
	uint32_t insn_cnt;      /* instructions (0 without bytecode) */
	uint8_t bytecode_sha256[32]; /* as meta.bytecode_sha256, for this program */
};

/* One filled prog_array slot: slot @key of map @map holds program @prog. */
struct bvc_blob_slot {
	uint32_t map;           /* map index; a prog_array */
	uint32_t key;           /* < the map's max_entries */
	uint32_t prog;          /* index into bvc_blob.progs */
};

struct bvc_blob {
	uint32_t target;              /* enum bvc_jit_target (bpfvc/jitter.h) */
	uint32_t flags;               /* reserved, 0 */
	const uint8_t *code;          /* native code, non-empty */
	size_t code_size;             /* bytes */
	size_t entry_off;             /* entry point in @code (< @code_size) */
	const struct bvc_reloc *relocs; /* to apply to a copy of @code; read: owned
					 * by the blob, sorted by offset, slots
					 * inside the code and disjoint */
	size_t reloc_cnt;
	struct bvc_blob_map *maps;    /* read: owned by the blob */
	size_t map_cnt;
	const struct bvc_insn *bytecode; /* lowered bytecode, for the interpreter;
					  * NULL when the blob has none */
	size_t bytecode_cnt;          /* instructions (ld_imm64 counts 2) */
	struct bvc_blob_meta meta;
	const struct bvc_blob_prog *progs; /* program table, NULL when no map is a
					    * prog_array; read: owned by the blob */
	size_t prog_cnt;              /* entries in @progs (1..64 when set) */
	const struct bvc_blob_slot *slots; /* filled slots, ascending by (map, key);
					    * read: owned by the blob */
	size_t slot_cnt;
	const struct bvc_blob_kconfig_var *kconfig_vars; /* ascending by off, NULL
						  * when the program reads no
						  * .kconfig extern; read: owned
						  * by the blob */
	size_t kconfig_var_cnt; /* entries in @kconfig_vars (1..256 when set) */
	uint32_t kconfig_map;   /* the .kconfig map (an array of one element
				 * with initial data, BPF_F_RDONLY_PROG) */
	char kconfig_source[BVC_BLOB_KCONFIG_SOURCE_MAX]; /* the target kernel
				 * profile the values came from; printable,
				 * may be "" */
	int has_kernel;               /* 1: verified for one kernel (kernel
				       * section); 0: no section */
	uint8_t kernel_btf_sha256[32]; /* SHA-256 of that kernel's raw BTF */
	char kernel_release[BVC_BLOB_RELEASE_MAX]; /* its uname -r; printable,
						    * non-empty */
	char kernel_arch[BVC_BLOB_ARCH_MAX]; /* its uname -m; printable, may be "" */
	/* Filled by bvc_blob_read(), ignored by bvc_blob_write(): */
	uint8_t key_id[BVC_SIGNER_KEY_ID_LEN]; /* of the key that signed it */
	uint8_t signature[BVC_SIGNER_SIG_LEN]; /* the Ed25519 signature */
	int sig_checked;              /* 1: verified with the trusted key; 0: read
				       * with @trusted == NULL (structure only) */
	size_t size;                  /* total bytes of the blob */
};

/* Serialise @b and sign it with @key (which must hold a private key).
 * Relocations are written sorted by offset; everything else as given.
 * Before returning, the result is read back with bvc_blob_read() and @key,
 * so the writer never produces a blob the reader refuses (-EINVAL with the
 * reader's message). On success *@out is a malloc'd buffer of *@out_size
 * bytes. */
int bvc_blob_write(const struct bvc_blob *b, const struct bvc_key *key, uint8_t **out,
		   size_t *out_size, char *err, size_t errsz);

/* Parse and check @buf: every rule of docs/blob-format.md, and the
 * signature with @trusted. Returns 0 and *@out, or a negative errno with
 * one line in @err (-EBADMSG malformed; -EKEYREJECTED unsigned, bad
 * signature, or signed by another key).
 *
 * @trusted == NULL means "structure only": every structural and content
 * rule is checked and a signature section must be present, but it is not
 * verified and (*@out)->sig_checked is 0. Only for tools that show a blob
 * (bpfvc inspect); a device must always pass its trusted key. */
int bvc_blob_read(const uint8_t *buf, size_t size, const struct bvc_key *trusted,
		  struct bvc_blob **out, char *err, size_t errsz);

/* 0 if @b was built for @target (enum bvc_jit_target), else -ENOEXEC with
 * "blob is for arm64, this device is x86_64". */
int bvc_blob_check_target(const struct bvc_blob *b, uint32_t target, char *err, size_t errsz);

/* 0 if every helper id in @b->meta is among the @n ids of @allowed (any
 * order), else -EOPNOTSUPP with "blob needs helper bpf_X#N which this
 * runtime lacks" for the first missing one. */
int bvc_blob_check_helpers(const struct bvc_blob *b, const uint32_t *allowed, size_t n,
			   char *err, size_t errsz);

/* Name of section kind @kind ("code", "relocs", ...), or NULL if unknown. */
const char *bvc_blob_sec_name(uint32_t kind);

/* A blob verified for one kernel (has_kernel) runs only on that kernel:
 * the SHA-256 of the device kernel's raw BTF, read from @btf_path (NULL:
 * /sys/kernel/btf/vmlinux), must be the blob's. 0 when it is, or when the
 * blob names no kernel (the file is not read then); -ENOEXEC with
 * "blob was verified for kernel R (BTF sha256 ...), this device's is ..."
 * or "..., this device has no kernel BTF (PATH: why)" in @err. */
int bvc_blob_check_kernel(const struct bvc_blob *b, const char *btf_path, char *err, size_t errsz);

/* Free a blob returned by bvc_blob_read(); NULL is fine. (Not for blobs the
 * caller filled in to write.) */
void bvc_blob_free(struct bvc_blob *b);

#endif /* BPFVC_BLOB_H */
