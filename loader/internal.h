/* SPDX-License-Identifier: MIT */
/*
 * What the loader's files share: the load context (one per call), the
 * sections, symbols, functions and relocations collected from the ELF
 * object, and the pipeline steps each file implements.
 *
 * The pipeline (bvc_load_elf_mem_opts in loader.c), each step refusing
 * with one message before the next may trust what it checked:
 *   ld_check_elf       raw bytes: header, section table, section bounds
 *   ld_collect_elf     libelf: sections, symbols, functions, relocations
 *   (license, version)
 *   ld_check_btf       raw .BTF: ids, names, kinds, loops, sizes
 *   ld_check_btf_ext   raw .BTF.ext: header and record blocks
 *   ld_open_libbpf     libbpf on a copy without code: BTF, BTF-defined maps
 *   ld_build_maps      user maps, then global data
 *   ld_build_kconfig   the .kconfig map, its externs resolved (kconfig.c)
 *   ld_parse_btf_ext   .BTF.ext records, by section name
 *   ld_build_progs     programs with their subprograms, relocated
 *   ld_build_slots     prog_array initial slots (.rel.maps)
 */
#ifndef BVC_LOADER_INTERNAL_H
#define BVC_LOADER_INTERNAL_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"

struct bpf_object;
struct btf;

/* One ELF section, as far as the loader cares. */
struct ld_sec {
	const char *name;     /* from the section name table, never NULL */
	GElf_Shdr sh;         /* the header */
	const uint8_t *data;  /* bytes in ld->buf; NULL for NOBITS and NULL */
	size_t size;          /* sh_size (also for NOBITS) */
	bool exec;            /* PROGBITS with SHF_EXECINSTR: code */
	int map_idx;          /* global-data map made of it, -1 if none */
	enum bvc_map_origin data_kind; /* DATA/RODATA/BSS if a data section */
	bool is_data;         /* .data*, .rodata*, .bss* with bytes */
	struct ld_rel *rels;  /* relocations of a code section, by offset */
	size_t rel_cnt;       /* entries in @rels */
	struct ld_func **funcs; /* functions of a code section, by offset */
	size_t func_cnt;      /* entries in @funcs */
};

/* One symbol of .symtab. */
struct ld_sym {
	const char *name;     /* "" when unnamed, never NULL */
	GElf_Sym sym;         /* the entry */
};

/* One relocation of a code section (checked: on an instruction, known
 * type, known symbol, not an extern). */
struct ld_rel {
	uint64_t off;         /* byte offset of the instruction in the section */
	uint32_t type;        /* R_BPF_64_64 or R_BPF_64_32 */
	uint32_t sym;         /* index into ld->syms */
};

/* One function (STT_FUNC symbol) of a code section. */
struct ld_func {
	const char *name;     /* symbol name */
	size_t sec;           /* section index */
	uint32_t off;         /* first instruction, index in the section */
	uint32_t cnt;         /* instructions */
	bool global;          /* STB_GLOBAL or STB_WEAK */
	bool hidden;          /* ... with STV_HIDDEN or STV_INTERNAL visibility
			       * (__hidden): libbpf makes its BTF FUNC static */
};

/* .BTF.ext records of one section (func_info, line_info or core_relo). */
struct ld_ext_sec {
	const char *sec_name; /* BTF string naming the ELF section */
	const uint8_t *recs;  /* first record, inside the .BTF.ext bytes */
	uint32_t rec_size;    /* bytes per record (>= the known layout) */
	uint32_t cnt;         /* records */
};

/* The load context: everything one bvc_load_elf_mem() call collects. */
struct ld {
	const char *path;     /* for messages */
	bool keep_unsupported; /* bvc_load_opts.keep_unsupported */
	const struct bvc_kconfig *kconfig; /* bvc_load_opts.kconfig, or NULL */
	int kconfig_map;      /* index of the .kconfig map, -1 if none */
	const char *struct_ops_sec; /* a struct_ops map section hidden from
				     * libbpf (keep_unsupported), or NULL */
	char *err;            /* caller's message buffer, may be NULL */
	size_t errsz;         /* bytes in @err */

	uint8_t *buf;         /* private copy of the object (libelf reads it) */
	size_t size;          /* bytes in @buf */
	Elf *elf;             /* libelf handle on @buf */

	struct ld_sec *secs;  /* indexed like the ELF section table */
	size_t sec_cnt;       /* sections, index 0 included */
	size_t symtab_idx;    /* .symtab section, 0 if none */
	size_t maps_idx;      /* .maps section, 0 if none */
	size_t text_idx;      /* .text section, 0 if none */
	size_t btf_idx;       /* .BTF section, 0 if none */
	size_t btf_ext_idx;   /* .BTF.ext section, 0 if none */
	size_t license_idx;   /* "license" section, 0 if none */
	size_t version_idx;   /* "version" section, 0 if none */

	struct ld_sym *syms;  /* .symtab entries */
	size_t sym_cnt;       /* entries in @syms */
	struct ld_func *funcs; /* all functions, by section then offset */
	size_t func_cnt;      /* entries in @funcs */

	uint8_t *bpf_buf;     /* the copy libbpf reads (code hidden), kept
			       * alive as long as @obj */
	struct bpf_object *obj; /* libbpf's object model */
	const struct btf *btf; /* the object's BTF (owned by @obj), or NULL */

	uint64_t *map_offs;   /* per image map: offset of its symbol in
			       * .maps, UINT64_MAX for global data */

	struct ld_ext_sec *fi; /* .BTF.ext func_info, per section */
	size_t fi_cnt;        /* entries in @fi */
	struct ld_ext_sec *li; /* .BTF.ext line_info, per section */
	size_t li_cnt;        /* entries in @li */
	struct ld_ext_sec *cr; /* .BTF.ext CO-RE relocations, per section */
	size_t cr_cnt;        /* entries in @cr */

	struct bvc_image *img; /* what is being built */
};

/* Format "PATH: message" into ld->err and return @err (a negative errno). */
int ld_err(struct ld *ld, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* elf.c */
int ld_check_elf(struct ld *ld);
int ld_collect_elf(struct ld *ld);
const struct ld_rel *ld_find_rel(const struct ld_sec *sec, uint64_t off);
const struct ld_func *ld_func_at(const struct ld *ld, size_t sec, uint64_t insn);
void ld_free_elf(struct ld *ld);

/* maps.c */
int ld_open_libbpf(struct ld *ld);
int ld_build_maps(struct ld *ld);
void ld_close_libbpf(struct ld *ld);
/* Program type and expected attach type for a section name, as libbpf
 * guesses them; 0 and 0 when libbpf does not know the name. */
void ld_prog_type(const char *sec_name, uint32_t *type, uint32_t *attach);

/* Run @fn(@arg) with libbpf's printing captured (under the loader's libbpf
 * lock): its last warning goes to @last_msg (may be NULL). */
void ld_libbpf_quiet(char *last_msg, size_t sz, void (*fn)(void *), void *arg);

/* btf.c */
int ld_check_btf(struct ld *ld);
int ld_check_btf_ext(struct ld *ld);
int ld_parse_btf_ext(struct ld *ld);
/* The prototype facts of function type @fn_id into @fi (arg_cnt, ret_scalar,
 * args): what the verifier needs to type a global function's arguments. */
int ld_func_args(struct ld *ld, uint32_t fn_id, struct bvc_func_info *fi);

/* kconfig.c: the .kconfig map and its values (after ld_build_maps);
 * @kc NULL reads this machine's configuration. */
struct bvc_kconfig;
int ld_build_kconfig(struct ld *ld, const struct bvc_kconfig *kc);
/* The .kconfig extern @name, or NULL when it is not one. */
const struct bvc_kconfig_var *ld_kconfig_var(const struct ld *ld, const char *name);

/* progs.c */
int ld_build_progs(struct ld *ld);

/* slots.c: prog_array initial slots from .rel.maps (after ld_build_progs) */
int ld_build_slots(struct ld *ld);

#endif /* BVC_LOADER_INTERNAL_H */
