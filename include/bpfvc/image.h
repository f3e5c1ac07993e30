/* SPDX-License-Identifier: MIT */
/*
 * bpfvc program image: everything the verifier, the JIT and the signer need
 * to know about one object file, independent of where it came from (an ELF
 * object through loader/, or raw bytecode).
 *
 * Maps are referenced from instructions by index, never by fd: ld_imm64 uses
 * BVC_PSEUDO_MAP_IDX (imm = map index) or BVC_PSEUDO_MAP_IDX_VALUE (imm = map
 * index, second imm = byte offset into the value). Global data (.data,
 * .rodata, .bss) are single-element array maps with their initial bytes.
 * Subprograms from .text are appended to each program that calls them, and
 * calls use BVC_PSEUDO_CALL with a relative imm, as libbpf does before load.
 *
 * The image is plain data owned by the caller; bvc_image_free() frees it.
 */
#ifndef BPFVC_IMAGE_H
#define BPFVC_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvc/abi.h"
#include "bpfvc/isa.h"

/* Program and map types (enum bvc_prog_type, enum bvc_map_type) and their
 * names are in bpfvc/abi.h. */

/* Why a map exists. */
enum bvc_map_origin {
	BVC_MAP_USER = 0,   /* declared in .maps */
	BVC_MAP_DATA,       /* .data*: global variables, writable */
	BVC_MAP_RODATA,     /* .rodata*: constants, frozen */
	BVC_MAP_BSS,        /* .bss: zero-initialised globals */
	BVC_MAP_KCONFIG,    /* .kconfig externs: read-only, values from the
			     * target kernel's profile (bvc_image.kconfig_vars) */
	BVC_MAP_INNER,      /* the inner map template of an array/hash of maps
			     * (its __array(values, ...)): the shape of every
			     * map it may hold; no code refers to it */
};

/* Longest name kept for a program, function or map, NUL included. Longer
 * names are refused by the loader rather than cut (a cut name could match
 * the wrong program in bvc_image_find_prog()). */
#define BVC_NAME_MAX 128

struct bvc_map {
	char name[BVC_NAME_MAX];  /* symbol name, or the section for global data */
	uint32_t type;            /* enum bvc_map_type (kernel value) */
	uint32_t key_size;        /* bytes */
	uint32_t value_size;      /* bytes */
	uint32_t max_entries;     /* entries (ring buffer: bytes) */
	uint32_t flags;           /* BPF_F_* map flags; rodata: RDONLY_PROG|MMAPABLE */
	enum bvc_map_origin origin; /* user map or global data */
	uint8_t *init;            /* initial value bytes for global data, or NULL */
	size_t init_size;         /* bytes in @init (== value_size when set) */
	uint32_t btf_key_type_id;   /* BTF type of the key, 0 if none */
	uint32_t btf_value_type_id; /* BTF type of the value (DATASEC for global data), 0 if none */
	char special_field[BVC_NAME_MAX]; /* a value field the kernel gives its own
					   * rules (kptr, bpf_spin_lock, bpf_timer,
					   * list and rbtree nodes, ...), which the
					   * verifier does not model: "kptr 'v'";
					   * "" when the value has none */
	struct bvc_prog_slot *slots; /* prog_array only: the initial slots libbpf
				      * fills from .rel.maps, sorted by key; NULL
				      * if none */
	size_t slot_cnt;          /* entries in @slots */
	bool has_inner;           /* array/hash of maps: @inner_idx is known */
	uint32_t inner_idx;       /* ... index of its inner template in the
				   * image's maps (origin BVC_MAP_INNER) */
};

/* One filled slot of a prog_array map (`.values = { [key] = &prog }`). */
struct bvc_prog_slot {
	uint32_t key;             /* slot index, < the map's max_entries */
	uint32_t prog;            /* index into bvc_image.progs */
};

/* BTF func linkage (btf_func_linkage): the kernel verifies global functions
 * on their own, with arguments typed by BTF, and static ones in context. */
enum bvc_func_linkage {
	BVC_FUNC_STATIC = 0, /* verified in the caller's context */
	BVC_FUNC_GLOBAL = 1, /* verified once, independently of callers */
	BVC_FUNC_EXTERN = 2, /* never in a loaded program */
};

/* What BTF says of one parameter of a function, for the verifier to type
 * a global function's arguments as the kernel does (btf_prepare_func_args,
 * 6.12): plain facts, modifiers and typedefs skipped; the verifier decides
 * what they make of the argument. */
enum bvc_btf_arg_kind {
	BVC_BTF_ARG_OTHER = 0,    /* a struct or union by value, a float, ... */
	BVC_BTF_ARG_INT,          /* an integer or an enum */
	BVC_BTF_ARG_PTR,          /* a pointer */
};

/* The parameter's "arg:" decl tags (__arg_ctx, __arg_nonnull, ...). */
#define BVC_ARG_TAG_CTX      (1u << 0)
#define BVC_ARG_TAG_NONNULL  (1u << 1)
#define BVC_ARG_TAG_TRUSTED  (1u << 2)
#define BVC_ARG_TAG_NULLABLE (1u << 3)
#define BVC_ARG_TAG_ARENA    (1u << 4)
#define BVC_ARG_TAG_UNKNOWN  (1u << 7) /* an "arg:" tag the kernel does not know */

#define BVC_FUNC_MAX_ARGS 5       /* r1-r5, as MAX_BPF_FUNC_REG_ARGS */
#define BVC_ARG_NAME_MAX 64       /* longer names are cut (never a ctx name) */

struct bvc_func_arg {
	uint8_t kind;             /* enum bvc_btf_arg_kind */
	uint8_t btf_kind;         /* its BTF kind (BTF_KIND_*), for messages */
	uint8_t tags;             /* BVC_ARG_TAG_* */
	uint8_t pointee_kind;     /* pointers: the BTF kind pointed to (0: void) */
	uint8_t pointee_kflag;    /* ... its kind flag (a forward union: 1) */
	int64_t pointee_size;     /* ... its size in bytes, -1 if it has none */
	char pointee_name[BVC_ARG_NAME_MAX]; /* ... its name, "" if anonymous */
	char pointee_typedef[BVC_ARG_NAME_MAX]; /* ... the first typedef on the
						 * way to it, after const and
						 * volatile, "" if none */
};

/* BTF func_info: a subprogram starts here. */
struct bvc_func_info {
	uint32_t insn;            /* instruction index in the program */
	uint32_t btf_id;          /* BTF_KIND_FUNC type id in bvc_image.btf */
	enum bvc_func_linkage linkage; /* from the BTF FUNC record */
	char name[BVC_NAME_MAX];  /* function name from BTF */
	uint32_t arg_cnt;         /* parameters in its prototype (may be more
				   * than BVC_FUNC_MAX_ARGS: only those are in
				   * @args) */
	uint8_t ret_scalar;       /* 1: it returns an integer or an enum */
	struct bvc_func_arg args[BVC_FUNC_MAX_ARGS];
};

/* BTF line_info: source position of an instruction, kept for the log. */
struct bvc_line_info {
	uint32_t insn;      /* instruction index in the program */
	uint32_t line;      /* line number */
	uint32_t col;       /* column */
	const char *file;   /* file name (points into the image's strings) */
	const char *source; /* the source line's text (idem), may be "" */
};

/* A .BTF.ext CO-RE relocation record (kernel Documentation/bpf/btf.rst,
 * struct bpf_core_relo) of a program: clang compiled in the offset, size or
 * existence the field or type has in its own headers; libbpf rewrites the
 * instruction for the kernel it loads on. bpfvc keeps clang's value, so a
 * program with such records reads what clang saw, not what the target has. */
struct bvc_core_relo {
	uint32_t insn;            /* instruction index in the program */
	uint32_t type_id;         /* root type in bvc_image.btf (the object's) */
	const char *type_name;    /* its name, "" if anonymous (points into
				   * bvc_image.strings) */
	uint32_t kind;            /* the kernel's enum bpf_core_relo_kind
				   * (0 BPF_CORE_FIELD_BYTE_OFFSET, ...) */
	const char *access;       /* access string, e.g. "0:1:2" (points into
				   * bvc_image.strings) */
};

struct bvc_prog {
	char name[BVC_NAME_MAX];    /* function (symbol) name */
	char sec_name[BVC_NAME_MAX]; /* ELF section, e.g. "xdp", "kprobe/sys_open" */
	uint32_t type;              /* enum bvc_prog_type (kernel value); 0 if the
				     * section name means nothing to libbpf */
	uint32_t expected_attach_type; /* kernel enum bpf_attach_type */
	uint32_t prog_flags;        /* BPF_F_* load flags libbpf derives from the
				     * section: BPF_F_SLEEPABLE (0x10) for "*.s"
				     * sections and "syscall", BPF_F_XDP_HAS_FRAGS
				     * (0x20) for "xdp.frags*" */
	uint32_t sec_insn_off;      /* index of the entry's first insn in its ELF
				     * section, as llvm-objdump numbers it */
	struct bvc_insn *insns;     /* program followed by the subprograms it calls */
	size_t insn_cnt;            /* instructions, ld_imm64 counts as 2 */
	size_t main_cnt;            /* instructions of the entry function alone */
	struct bvc_func_info *funcs; /* sorted by insn; funcs[0].insn == 0; NULL
				      * without .BTF.ext */
	size_t func_cnt;            /* entries in @funcs */
	struct bvc_line_info *lines; /* sorted by insn; NULL without .BTF.ext */
	size_t line_cnt;            /* entries in @lines */
	struct bvc_core_relo *core_relos; /* CO-RE records of the program's
					   * functions, by insn; NULL if none.
					   * Not applied: see the struct */
	size_t core_relo_cnt;       /* entries in @core_relos */
	char load_refused[256];     /* "" normally. Otherwise the message with
				     * which BPF_PROG_LOAD refuses this program
				     * before verifying any path, for a reason
				     * found in the object's BTF that the
				     * instructions do not show (an exception
				     * callback the program's func_info lacks);
				     * the verifier rejects it with these words */
	char unsupported[256];      /* "" normally. Only when the loader was
				     * asked to keep such programs
				     * (bvc_load_opts.keep_unsupported): why
				     * bpfvc cannot verify this one, e.g.
				     * "unsupported: extern 'bpf_key_put' (insn 1
				     * of section '.text')". Such a program must
				     * be refused, never verified. */
};

/* A .kconfig extern (CONFIG_*, LINUX_KERNEL_VERSION, ...): where its value
 * lies in the .kconfig map's initial bytes, which hold the value the
 * loader resolved for the target kernel. */
struct bvc_kconfig_var {
	char name[BVC_NAME_MAX];  /* the extern's name */
	uint32_t off;             /* byte offset in the .kconfig map's value */
	uint32_t size;            /* bytes */
	bool set;                 /* false: weak and absent from the profile (0) */
};

struct bvc_image {
	char *path;               /* where it came from, for messages */
	char license[128];        /* from the "license" section, "" if none */
	uint32_t kern_version;    /* from the "version" section, 0 if none */
	struct bvc_map *maps;     /* indexed by BVC_PSEUDO_MAP_IDX imm: user maps
				   * in .maps order, then global data in ELF
				   * section order, then .kconfig (externs) */
	size_t map_cnt;           /* entries in @maps */
	struct bvc_prog *progs;   /* in section order, then by offset */
	size_t prog_cnt;          /* entries in @progs */
	char *strings;            /* storage for line info strings: a copy of
				   * the BTF string section */
	size_t strings_size;      /* bytes in @strings */
	uint8_t *btf;             /* the object's BTF, raw (as libbpf holds it
				   * after open), for consumers that hand it to
				   * a kernel; NULL if none */
	size_t btf_size;          /* bytes in @btf */
	struct bvc_kconfig_var *kconfig_vars; /* the .kconfig externs, in BTF
					       * order; NULL if none */
	size_t kconfig_var_cnt;   /* entries in @kconfig_vars */
	char kconfig_source[128]; /* where their values came from ("" if none) */
};

/* Build an image from raw bytecode: one program named "prog" of @type, the
 * instructions copied, no maps. Returns 0, -EINVAL for no instructions,
 * -ENOMEM. The instructions are not checked (bvc_isa_check() does that). */
int bvc_image_from_raw(const struct bvc_insn *insns, size_t cnt, uint32_t type,
		       const char *path, struct bvc_image **out);

/* Find a program by name (function name, then section name: the first
 * program of that section). NULL if none. */
const struct bvc_prog *bvc_image_find_prog(const struct bvc_image *img, const char *name);

/* Name of a CO-RE relocation kind as libbpf prints it ("byte_off",
 * "field_exists", "type_size"), or "unknown". */
const char *bvc_core_relo_kind_name(uint32_t kind);

/* Free an image and everything it owns; NULL is fine. */
void bvc_image_free(struct bvc_image *img);

#endif /* BPFVC_IMAGE_H */
