/* SPDX-License-Identifier: MIT */
/*
 * Private header of the bpfvc command line: what the subcommands share.
 * Exit codes are the contract of docs/design.md section 6.
 */
#ifndef BVC_CLI_H
#define BVC_CLI_H

#include <stdint.h>

#include "bpfvc/image.h"
#include "bpfvc/verifier.h"

enum {
	BVC_EXIT_OK = 0,        /* accepted / ran */
	BVC_EXIT_REJECT = 1,    /* the program was rejected (unsafe or unsupported) */
	BVC_EXIT_BAD_INPUT = 2, /* bad input or usage */
	/* No verdict: an internal error (a verifier bug) or an infrastructure
	 * failure. Not a rejection, so not 1; the contract's error code 2,
	 * with its own message ("internal error", "cluster failure"). */
	BVC_EXIT_INTERNAL = 2,
};

/* Open PATH as an ELF object, or as raw bytecode when it is not ELF and
 * @type_name is set. Prints one line on failure and returns NULL. */
struct bvc_image *bvc_cli_open(const char *path, const char *type_name);
/* The same with a target kernel's Kconfig for .kconfig externs (NULL:
 * this machine's). */
struct bvc_kconfig;
struct bvc_image *bvc_cli_open_kc(const char *path, const char *type_name,
				  const struct bvc_kconfig *kc);

/* The program named @name, or the only one when @name is NULL. Prints why
 * and returns NULL when there is no such program or the choice is unclear. */
const struct bvc_prog *bvc_cli_pick(const struct bvc_image *img, const char *name);

/* The whole of @path (at most @max bytes, else "not @what"), or NULL with
 * one line printed. The caller frees it. */
void *bvc_cli_read_file(const char *path, size_t max, const char *what, size_t *size);

/* @prog's name on the wire: "raw:TYPE" when @type is set and @object is
 * not ELF (raw bytecode), its name otherwise. -1 if it does not fit. */
int bvc_cli_wire_name(const struct bvc_prog *prog, const void *object, size_t len,
		      const char *type, char *buf, size_t bufsz);

/* A size in bytes: a number with an optional K, M, G or T (powers of
 * 1024; "512M"). 0 with @out set, or -1 for anything else (0 included). */
int bvc_cli_parse_size(const char *arg, uint64_t *out);

/* Print "bpfvc: " and the message to stderr. */
void bvc_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct bvc_profile;
struct bvc_core_target;

/* The kernel a verdict is for (target.c): a profile (--profile), or this
 * machine when @profile is NULL. */
struct bvc_cli_target {
	struct bvc_profile *profile;  /* NULL: this machine */
	struct bvc_kconfig *kconfig;  /* the profile's Kconfig for .kconfig
				       * externs; NULL: this machine's */
	struct bvc_core_target *core; /* the target's BTF for CO-RE, made
				       * when a program first needs it */
	uint8_t *host_btf;            /* this machine's BTF, read when needed */
	size_t host_btf_size;
	char release[72];             /* the target's uname -r (the blob's field) */
	char arch[32];                /* its uname -m (idem) */
};

/* Load @profile_path (NULL: this machine). 0, or exit 2 with a message. */
int bvc_cli_target_open(struct bvc_cli_target *t, const char *profile_path);
void bvc_cli_target_close(struct bvc_cli_target *t);
/* Before verifying @prog: resolve its CO-RE records for the target and
 * check the target offers its program type. 0 ready; 1 refused, the
 * verdict to report in @refusal; 2 bad input (printed). */
int bvc_cli_target_prepare(struct bvc_cli_target *t, struct bvc_image *img, struct bvc_prog *prog,
			   struct bvc_verdict *refusal);
/* After an acceptance: a reachable helper call the profile's kernel does
 * not know turns @v into a rejection (returns 1). */
int bvc_cli_target_check_helpers(const struct bvc_cli_target *t, const struct bvc_prog *prog,
				 struct bvc_verdict *v);
/* SHA-256 of the target's BTF (what a blob records). 0, or -1 printed. */
int bvc_cli_target_hash(struct bvc_cli_target *t, uint8_t md[32]);

int bvc_cmd_profile(int argc, char **argv);
int bvc_cmd_disasm(int argc, char **argv);
int bvc_cmd_verify(int argc, char **argv);
int bvc_cmd_run(int argc, char **argv);
int bvc_cmd_build(int argc, char **argv);
int bvc_cmd_keygen(int argc, char **argv);
int bvc_cmd_inspect(int argc, char **argv);
int bvc_cmd_worker(int argc, char **argv);
int bvc_cmd_compare(int argc, char **argv);

#endif
