/* SPDX-License-Identifier: MIT */
/*
 * bpfvc loader: an ELF object built by `clang -O2 -g -target bpf` (as libbpf
 * users build them), or a raw bytecode file, becomes a program image
 * (bpfvc/image.h). libbpf gives the object model (programs, section names
 * and types, BTF-defined maps, BTF); libelf gives what libbpf does not expose
 * before load (relocations, symbols, section bytes, .BTF.ext records).
 *
 * Every failure is one line naming the file and the problem in @err, and a
 * negative errno; nothing is printed and nothing leaks.
 */
#ifndef BPFVC_LOADER_H
#define BPFVC_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"

/*
 * What the loader does with an ELF object (libbpf's rules, maps by index):
 *   - programs: every global function in a code section other than .text,
 *     several per section allowed, in section order; name = the function
 *     symbol, type and expected attach type from the section name as libbpf
 *     guesses them (0 when it cannot; a leading '?' is ignored);
 *   - subprograms: functions reached by a bpf-to-bpf call or whose address
 *     is taken (callbacks) are appended once after each program that reaches
 *     them; calls and ld_imm64 get BVC_PSEUDO_CALL / BVC_PSEUDO_FUNC with an
 *     imm relative to the next instruction. Static functions in a program's
 *     own section and calls to global functions of other sections work too
 *     (libbpf 1.1 refuses both; the kernel takes the result);
 *   - maps: BTF-defined maps of .maps first (libbpf order), then one
 *     single-element array per non-empty .data*, .rodata*, .bss* section;
 *     ld_imm64 of them become BVC_PSEUDO_MAP_IDX / BVC_PSEUDO_MAP_IDX_VALUE;
 *   - BTF, .BTF.ext func_info/line_info, license and version as found;
 *   - .BTF.ext CO-RE records go to bvc_prog.core_relos, NOT applied: the
 *     instructions keep clang's offsets until bvc_core_apply() resolves
 *     them against a target kernel's BTF (callers that sign code refuse
 *     programs that still have records);
 *   - an exception callback (decl tag "exception_callback:" on the program)
 *     is looked up as BPF_PROG_LOAD does; where the kernel refuses the
 *     program for it, bvc_prog.load_refused has its words; one that is in
 *     the program makes it unsupported (keep_unsupported, else an error).
 *   - .kconfig externs (CONFIG_*, LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE,
 *     LINUX_HAS_SYSCALL_WRAPPER) get libbpf's layout and values from a target
 *     kernel's profile (bvc_load_opts.kconfig; this machine's by default) in
 *     one read-only map ".kconfig" (origin BVC_MAP_KCONFIG, last), which the
 *     verifier reads as constants; bvc_image.kconfig_vars says where each
 *     lies. A strong extern the profile lacks fails the load (-ESRCH), a
 *     weak one is 0.
 * Not supported: other externs (.ksyms, kfuncs; see keep_unsupported),
 * struct_ops maps (with keep_unsupported, their programs are marked),
 * legacy "maps" sections, RELA, big-endian objects.
 *   - prog_array initial slots (`__array(values, ...)` filled with
 *     `.values = { [i] = &prog }`) go to bvc_map.slots; a slot naming
 *     anything but a program, or past max_entries, is an error. Initial
 *     map-in-map values are ignored (those maps are not modelled).
 *
 * Errors: a negative errno, also left in errno (-ENOENT missing file or no
 * programs, -ENOEXEC not a usable BPF object, -EOPNOTSUPP a feature bpfvc does
 * not support, -EINVAL bad raw file, -ENOMEM), and in @err (may be NULL) one
 * line "PATH: problem", e.g. "x.o: not a BPF ELF object (machine x86-64)".
 *
 * libbpf prints through a process-wide callback; the loader swaps in its own
 * while it calls libbpf and restores the caller's after, under a mutex.
 */

/*
 * A target kernel's profile, as far as .kconfig externs need it: the
 * NAME=VALUE lines of its .config ("CONFIG_BPF=y", "CONFIG_HZ=250",
 * "CONFIG_X=\"str\""; "# ..." lines are comments) and the values libbpf
 * computes itself, in the same syntax: LINUX_KERNEL_VERSION=<number>
 * (KERNEL_VERSION(a, b, c)), LINUX_HAS_BPF_COOKIE=0|1,
 * LINUX_HAS_SYSCALL_WRAPPER=0|1. Objects built against one profile get
 * that kernel's values folded in; nothing else reads it.
 */
struct bvc_kconfig;

/* This machine's: /boot/config-$(uname -r), else /proc/config.gz (libbpf's
 * order), and the virtual values from uname (LINUX_HAS_BPF_COOKIE: version
 * >= 5.15; LINUX_HAS_SYSCALL_WRAPPER: CONFIG_ARCH_HAS_SYSCALL_WRAPPER=y). */
int bvc_kconfig_from_host(struct bvc_kconfig **out, char *err, size_t errsz);
/* From @len bytes of .config text; @source names it in messages and in
 * the blob ("device-x.config"). -EINVAL with the line for a malformed one. */
int bvc_kconfig_from_text(const char *text, size_t len, const char *source,
			  struct bvc_kconfig **out, char *err, size_t errsz);
/* The value of @name as written ("y", "0x10"), or NULL. */
const char *bvc_kconfig_get(const struct bvc_kconfig *kc, const char *name);
/* Where the profile came from, "" for NULL. */
const char *bvc_kconfig_source(const struct bvc_kconfig *kc);
void bvc_kconfig_free(struct bvc_kconfig *kc);

/* Options; zero them and set sz (LIBBPF_OPTS style) so the struct can grow. */
struct bvc_load_opts {
	size_t sz;             /* sizeof(struct bvc_load_opts) */
	int keep_unsupported;  /* 1: a program reaching an extern does not fail
				* the load; it gets bvc_prog.unsupported set
				* (for corpus runs over objects mixing both) */
	const struct bvc_kconfig *kconfig; /* the target kernel's profile for
					    * .kconfig externs (borrowed);
					    * NULL: this machine's, read only
					    * when the object has such externs */
};

/* Load every program and map of an ELF object at @path. */
int bvc_load_elf(const char *path, struct bvc_image **out, char *err, size_t errsz);

/* Load an ELF object from memory; @path is used in messages only. @buf is
 * only read. */
int bvc_load_elf_mem(const void *buf, size_t size, const char *path, struct bvc_image **out,
		     char *err, size_t errsz);

/* Both of the above with options; @opts may be NULL. */
int bvc_load_elf_opts(const char *path, const struct bvc_load_opts *opts, struct bvc_image **out,
		      char *err, size_t errsz);
int bvc_load_elf_mem_opts(const void *buf, size_t size, const char *path,
			  const struct bvc_load_opts *opts, struct bvc_image **out, char *err,
			  size_t errsz);

/* Load a flat file of 8-byte instructions as one program named "prog" of
 * @type. The bytes are taken as they are: a length that is not a multiple
 * of 8 or an empty file is an error here, but a broken ld_imm64 pair (say,
 * half of one at the end) is left to bvc_isa_check(), which reports it with
 * the kernel's words. */
int bvc_load_raw(const char *path, uint32_t type, struct bvc_image **out, char *err, size_t errsz);

/* The program a cluster Job names in its object (docs/wire-protocol.md):
 * an ELF object's program @prog_name (one reaching an extern is kept,
 * marked unsupported, as the engine refuses it), or raw bytecode when
 * @prog_name is "raw:TYPE". Workers and the coordinator load a job alike.
 * 0 with @img (the caller's, to bvc_image_free()) and @prog in it, or a
 * negative errno with @why set. */
int bvc_load_job(const void *object, size_t len, const char *prog_name, struct bvc_image **img,
		 const struct bvc_prog **prog, char *why, size_t whysz);

/*
 * CO-RE at build time (loader/core.c): a program's core_relo records
 * resolved against a target kernel's BTF (a profile's, or this machine's
 * /sys/kernel/btf/vmlinux), with libbpf's rules; the instructions then
 * carry that kernel's offsets, sizes, type ids and enum values, and the
 * verifier's verdict is for that kernel.
 */
struct bvc_core_target;

/* Parse @size bytes of raw BTF (copied) as the target. -EINVAL with why. */
int bvc_core_target_new(const void *btf, size_t size, struct bvc_core_target **out, char *err,
			size_t errsz);
void bvc_core_target_free(struct bvc_core_target *t);

/*
 * Apply every CO-RE record of @prog (a program of @img) against @target:
 * 0 with the instructions patched and core_relos emptied (none: 0, nothing
 * done). A field, enum value or type the target lacks poisons its
 * instruction (a call to helper 195896080, which the verifier refuses if
 * reachable), as libbpf does. Else a negative errno, @prog unchanged and
 * why in @why: -EOPNOTSUPP a record bpfvc does not model ("unsupported:
 * CO-RE relocation kind 13", an anonymous root type), -EINVAL one libbpf
 * refuses too (ambiguous candidates, an instruction that does not hold
 * the object's value), -ERANGE an offset too large for a load or store,
 * -ENOMEM.
 */
int bvc_core_apply(const struct bvc_image *img, struct bvc_prog *prog,
		   const struct bvc_core_target *target, char *why, size_t whysz);

/* The running kernel's verdict on one program (bvc_kernel_verify()). */
struct bvc_kernel_result {
	int accepted;                 /* 1: the kernel loaded it */
	int verified;                 /* 1: its verifier ran (the statistics
				       * below are the kernel's) */
	int load_err;                 /* bpf_object__load()'s return, 0 on success */
	uint64_t duration_us;         /* "verification time N usec" */
	uint64_t processed, total_states, peak_states, max_states_per_insn, mark_read;
};

/*
 * Load program @prog_name of the object at @path into the running kernel
 * (libbpf, the other programs not loaded, verifier log level 4) and report
 * its verdict and statistics, as veristat does. 0 when the kernel gave a
 * verdict (loaded, or refused by its verifier); a negative errno with @err
 * set when it could not be asked: -ENOEXEC the object does not open,
 * -ENOENT no such program, else the load's error before the verifier ran
 * (-EPERM without privilege, a map or attach target the kernel lacks).
 * A second opinion for comparisons only: no bpfvc verdict depends on it.
 */
int bvc_kernel_verify(const char *path, const char *prog_name, struct bvc_kernel_result *out,
		      char *err, size_t errsz);

#endif /* BPFVC_LOADER_H */
