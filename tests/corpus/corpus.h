/* SPDX-License-Identifier: MIT */
/*
 * The kernel-parity corpus harness (issue #3): what its files share.
 *
 * A "program" is one entry program of a compiled object (the kernel's
 * selftests, our tests/progs) or one generated instruction array. Each is
 * run twice, in a forked child with a watchdog: once through the live
 * kernel (the oracle) and once through bpfvc's verifier, in-process. The
 * parent classifies, compares with the checked-in baseline and writes the
 * report.
 */
#ifndef BVC_CORPUS_H
#define BVC_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfvc/image.h"

#define CP_TEXT 256                   /* one line of a message, NUL included */
#define CP_LOG_SIZE (16u << 20)       /* kernel log buffer: 16 MiB, bounded */

/* Where a program comes from: the tiers of the report. */
enum cp_tier {
	CP_TIER_SELFTEST = 0, /* tools/testing/selftests/bpf/progs/verifier_*.c */
	CP_TIER_SELFTEST2,    /* every other progs/ source: real programs (issue #15) */
	CP_TIER_PROGS,        /* our tests/progs objects */
	CP_TIER_GEN,          /* the random program generator */
	CP_TIER_CNT,
};

/* What the annotations (BTF decl tags) say about one program. */
struct cp_spec {
	int valid;          /* a FUNC type was found and every tag parsed */
	int tagged;         /* at least one test_* decl tag (the tier-2 files
			     * that test_loader runs carry them) */
	int has_priv;       /* a privileged expectation exists (__success,
			     * __failure, __msg, __retval... or no tag at all) */
	int expect_failure; /* __failure: the privileged load must fail */
	int auxiliary;      /* __auxiliary: loaded with every test, not a test */
	int arch_ok;        /* no __arch_* tag, or one for x86-64 */
	int log_level;      /* __log_level, 0 if none */
	uint32_t flags;     /* program flags to load with (testing defaults
			     * plus __flag, '!' clears) */
	char *description;  /* __description, or NULL */
	char *btf_path;     /* __btf_path, or NULL */
	char **msgs;        /* __msg patterns, in tag order */
	size_t msg_cnt;     /* entries in @msgs */
};

/* The kernel's answer. */
enum cp_kstatus {
	CP_K_NOTRUN = 0, /* not asked: bpf() is not permitted, or skipped */
	CP_K_ACCEPT,     /* BPF_PROG_LOAD returned a program */
	CP_K_REJECT,     /* BPF_PROG_LOAD failed: the verifier said no */
	CP_K_LOADERR,    /* libbpf failed before the verifier saw it */
	CP_K_TIMEOUT,    /* the watchdog fired */
	CP_K_CRASH,      /* the child died in libbpf */
};

/* bpfvc's answer. */
enum cp_ostatus {
	CP_O_NOTRUN = 0,
	CP_O_ACCEPT,
	CP_O_REJECT,      /* rejected, for a reason we model */
	CP_O_UNSUPPORTED, /* refused: "unsupported: ..." */
	CP_O_BADINPUT,    /* our loader refused the object or lost the program */
	CP_O_TIMEOUT,
	CP_O_CRASH,
	CP_O_ERROR,       /* bvc_verify() returned a negative errno */
};

/* The comparison (issue #3, point 3). */
enum cp_class {
	CP_C_SKIP = 0,     /* auxiliary, other architecture, or not run */
	CP_C_UNLABELLED,   /* neither the kernel nor an annotation decides */
	CP_C_AGREE_ACCEPT,
	CP_C_AGREE_REJECT,
	CP_C_UNSOUND,      /* we accept, the kernel or the annotation rejects */
	CP_C_OVER_REJECT,  /* we reject, the kernel (or annotation) accepts */
	CP_C_UNSUPPORTED,
	CP_C_BAD_INPUT,
	CP_C_OUR_FAILURE,  /* our side timed out, crashed or failed */
	CP_C_KERNEL_ENV,   /* tier 2: the kernel cannot load it here for a reason
			    * outside the verifier (attach target, bpf_testmod,
			    * map creation, ...): not compared */
	CP_C_CNT,
};

/* Filled by the child in shared memory: fixed size, no pointers. */
struct cp_result {
	/* kernel */
	int kstatus;             /* enum cp_kstatus */
	int kerrno;              /* errno of a failed load */
	int klevel;              /* log level the messages were checked at */
	int klog_truncated;      /* the log did not fit (ENOSPC) */
	int kmsg_checked;        /* __msg patterns were checked */
	int kmsg_ok;             /* ... and all matched, in order */
	int kmsg_first_miss;     /* index of the first pattern not found */
	int64_t kprocessed;      /* "processed N insns", -1 if absent */
	int64_t kstates_max;     /* max_states_per_insn */
	int64_t kstates_total;   /* total_states */
	int64_t kstates_peak;    /* peak_states */
	int64_t ktime_us;        /* "verification time N usec" */
	char kerrline[CP_TEXT];  /* the verifier's last message line */
	char kloaderr[CP_TEXT];  /* libbpf's first warning (load errors) */
	char kbtf_note[CP_TEXT]; /* the kernel refused the object's BTF: why */
	int kcached;             /* the kernel's half came from the label cache */
	/* ours */
	int ostatus;             /* enum cp_ostatus */
	uint64_t oinsn;          /* instruction of a rejection */
	uint64_t oprocessed;     /* processed instructions */
	uint64_t ostates_total;  /* checkpoints created */
	uint64_t ostates_peak;   /* checkpoints alive at once */
	int64_t otime_us;        /* bvc_verify()'s wall time, -1 if not run */
	int omsg_hits;           /* __msg patterns found in our message */
	char omsg[CP_TEXT];      /* our message, or the loader's */
	int oprec_lines;         /* __msg "mark_precise:" lines (state dumps aside) */
	int oprec_found;         /* ... found in our level-2 log, in order */
	char oprec_miss[CP_TEXT]; /* the first one not found */
	/* our level-2 log against the kernel's (tier 1, where the verdicts
	 * agree; logcmp.c) */
	int lstatus;             /* enum cp_lstatus */
	int llines;              /* lines equal before the first difference */
	int lskipped;            /* kernel lines of analyses we do not model */
	int ldiff_at;            /* 1-based line of the first difference */
	char lkline[CP_TEXT];    /* the kernel's line there */
	char loline[CP_TEXT];    /* ours */
	/* bookkeeping */
	int phase;               /* running phase (1 kernel, 2 ours), 0 when done */
	int64_t wall_us;         /* the whole program's time in its lane */
};

/* The level-2 log comparison of one program. */
enum cp_lstatus {
	CP_L_NOTRUN = 0,  /* not compared: not tier 1, verdicts differ, no kernel */
	CP_L_SAME,        /* identical after normalization */
	CP_L_DIFF,        /* a line differs: lkline / loline */
	CP_L_KTRUNC,      /* the kernel's log outgrew CP_LOG_SIZE (its load fails) */
	CP_L_OTRUNC,      /* ours outgrew CP_LOG_SIZE */
	CP_L_KFAIL,       /* the level-2 load did not give the earlier verdict */
};

/* What cp_log_compare() found. */
struct cp_log_cmp {
	int identical;      /* 1: every line equal */
	int lines;          /* lines equal (before the first difference) */
	int skipped;        /* kernel lines skipped (analyses we do not model) */
	int normalized;     /* kernel live-regs rows whose loop column was dropped */
	int diff_at;        /* 1-based line of the first difference */
	char kline[CP_TEXT]; /* the kernel's line there, normalized */
	char oline[CP_TEXT]; /* ours */
};

/* logcmp.c: compare two level-2 logs, line by line, after normalization. */
void cp_log_compare(const char *klog, const char *olog, struct cp_log_cmp *out);

/* One program and everything known about it. */
struct cp_prog {
	char *id;           /* "verifier_and/prog", "progs/x.bpf/prog", "gen/17" */
	int tier;           /* enum cp_tier */
	int file;           /* index into the run's files, -1 for gen */
	char *name;         /* function name (gen: "prog") */
	char *sec;          /* ELF section, or the generator's shape */
	int prog_type;      /* kernel enum bpf_prog_type */
	struct cp_spec spec;
	struct cp_result res;
	int klass;          /* enum cp_class */
	int annot;          /* annotation verdict: -1 none, 0 accept, 1 reject */
	int in_baseline;    /* listed in the baseline */
	int regression;     /* not in agreement and not in the baseline */
};

/* One compiled (or not) source file. */
struct cp_file {
	char *name;        /* "verifier_and" */
	int tier;
	char *obj;         /* path of the object, NULL when not compiled */
	char *skip;        /* why it was not compiled or opened, or NULL */
	size_t elf_progs;  /* programs in the object */
	uint8_t *bytes;    /* the object, read once */
	size_t size;
};

/* The whole run. */
struct bvc_core_target;
struct cp_run {
	struct cp_file *files;
	size_t file_cnt;
	struct cp_prog *progs;
	size_t prog_cnt;
	size_t prog_cap;     /* allocated entries in @progs */
	int kernel;          /* bpf() works here */
	char kernel_why[CP_TEXT]; /* why the kernel is not asked, when it is not */
	uint32_t test_flags; /* BPF_F_TEST_* flags the kernel takes */
	unsigned ktimeout;   /* seconds per kernel load */
	unsigned otimeout;   /* seconds per bvc_verify */
	uint64_t insn_limit; /* our budget, like the kernel's */
	char *support_dir;   /* where __btf_path objects are */
	char kernel_release[128];
	size_t kcache_hits;  /* kernel labels read from the label cache */
	size_t kcache_asked; /* ... and asked of the kernel and cached */
	char clang[CP_TEXT];
	int no_logcmp;       /* --no-log-compare: no level-2 log comparison */
	unsigned jobs;       /* lanes: programs run at once (pool.c) */
	struct bvc_core_target *core; /* this kernel's BTF for CO-RE, as libbpf
				       * relocates; NULL without one */
};

/* spec.c: the annotations of every program of an open object. */
struct bpf_object;
struct bpf_program;
int cp_spec_parse(struct bpf_object *obj, const struct bpf_program *prog, uint32_t test_flags,
		  struct cp_spec *spec, char *err, size_t errsz);
void cp_spec_free(struct cp_spec *spec);
/* Do all @spec's __msg patterns match @log, in order? Sets *first_miss. */
int cp_msgs_match(const struct cp_spec *spec, const char *log, int *first_miss);
/* How many of @spec's patterns match @text, each on its own. */
int cp_msgs_hits(const struct cp_spec *spec, const char *text);

/* oracle.c: the live kernel. */
int cp_kernel_probe(uint32_t *test_flags, char *why, size_t whysz);
void cp_kernel_object(const struct cp_run *run, const struct cp_file *file,
		      const struct cp_prog *prog, struct cp_result *res);
void cp_kernel_raw(const void *insns, size_t cnt, int prog_type, struct cp_result *res);
void cp_log_digest(const char *log, struct cp_result *res);
/* The kernel's log of @prog at @level into @log (CP_LOG_SIZE bytes): the
 * status (enum cp_kstatus), whether libbpf loaded it without BTF (the
 * kernel refused the object's) and whether the log did not fit. */
int cp_kernel_log(const struct cp_run *run, const struct cp_file *file, const struct cp_prog *prog,
		  int level, char *log, int *no_btf, int *truncated);
/* libbpf's warnings from now on go to a buffer (this process only). */
void cp_libbpf_capture_begin(void);
/* The program's type, after mending section names libbpf 1.1 lacks. */
int cp_prog_type_of(struct bpf_program *p);
const char *cp_libbpf_captured(void);

/* ours.c: bpfvc in-process. */
void cp_ours_object(const struct cp_run *run, const struct cp_file *file,
		    const struct cp_prog *prog, struct cp_result *res);

/* child.c: run @fn in a forked child with watchdogs. */
typedef void (*cp_child_fn)(void *arg, struct cp_result *res, int phase);
int cp_child_init(void);
void cp_child_phase(cp_child_fn fn, void *arg, int phase, unsigned timeout,
		    struct cp_result *res);

/* pool.c: run fn(i, arg, &results[i]) for every i < @n in @jobs forked
 * lanes at once; results[] holds each task's starting result and gets its
 * final one. A task whose lane died reads as our crash. 0 or -errno. */
typedef void (*cp_pool_fn)(size_t i, void *arg, struct cp_result *res);
int cp_pool_run(size_t n, unsigned jobs, cp_pool_fn fn, void *arg, struct cp_result *results);
unsigned cp_pool_default_jobs(void); /* the online CPUs */

/* ours.c: our level-2 log of @prog (malloc'd, NULL on failure), as the
 * kernel would print it without BTF when @no_btf; *status as ostatus,
 * *truncated when it outgrew CP_LOG_SIZE. */
char *cp_ours_log(const struct cp_run *run, const struct cp_file *file, const struct cp_prog *prog,
		  int no_btf, int *status, int *truncated);

/* ours.c: a raw program with maps (the generator's), through bvc_verify(). */
int cp_ours_raw(const struct cp_run *run, const struct bvc_insn *insns, size_t cnt,
		int prog_type, const struct bvc_map *maps, size_t map_cnt, struct cp_result *res);

/* gen.c: the random program generator. Maps are referenced by index
 * (BVC_PSEUDO_MAP_IDX); the kernel side gets real map fds instead. */
#define CP_GEN_MAPS 2
extern const struct bvc_map cp_gen_maps[CP_GEN_MAPS];
struct cp_gen_prog {
	struct bvc_insn *insns; /* owned */
	size_t cnt;
	int prog_type;          /* kernel enum bpf_prog_type */
	char shape[CP_TEXT];    /* "xdp: alu br map loop call" */
};
int cp_gen_program(uint64_t seed, struct cp_gen_prog *out);
/* Create the maps in the kernel; fds[i] = -1 where that failed. */
void cp_gen_maps_create(int fds[CP_GEN_MAPS]);
/* The program with map indexes replaced by @fds, for bpf(). Caller frees. */
struct bvc_insn *cp_gen_for_kernel(const struct cp_gen_prog *gp, const int fds[CP_GEN_MAPS]);

/* classify.c / report.c */
void cp_classify(struct cp_prog *p);
/* Why the kernel could not judge @p here (tier 2), one short phrase, or
 * NULL when it did judge it. */
const char *cp_kernel_env_reason(const struct cp_result *r, char *buf, size_t size);
/* The feature an "unsupported: ..." message names (the text after
 * "unsupported: " up to its first detail), into @buf. */
const char *cp_unsupported_feature(const char *msg, char *buf, size_t size);
const char *cp_class_name(int klass);
const char *cp_kstatus_name(int st);
const char *cp_ostatus_name(int st);
int cp_class_agrees(int klass);
struct cp_baseline;
int cp_report_write(const struct cp_run *run, const char *dir, const struct cp_baseline *bl,
		    double secs_compile, double secs_run, char *err, size_t errsz);
int cp_csv_write(const struct cp_run *run, const char *path);

/* baseline.c */
struct cp_baseline {
	char **ids;        /* sorted */
	char **classes;    /* the class when it was recorded */
	size_t cnt;
	int loaded;        /* a file was read */
	size_t matched;    /* entries met by a program still out of agreement */
	size_t stale;      /* entries whose program now agrees */
	size_t absent;     /* entries whose program this run did not see */
	size_t regressions;
	size_t unsound;
	size_t passed;
	size_t failed;
	const char *path;
	int updated;       /* the file was rewritten */
	size_t added;      /* entries added (growth allowed explicitly) */
	size_t dropped;    /* entries dropped by an update */
	int grow_refused;  /* an update wanted to add entries and was refused */
};
int cp_baseline_load(struct cp_baseline *bl, const char *path);
void cp_baseline_apply(struct cp_baseline *bl, struct cp_run *run);
int cp_baseline_update(struct cp_baseline *bl, const struct cp_run *run, int grow);
void cp_baseline_free(struct cp_baseline *bl);

/* kcache.c: the kernel's labels, cached by object, program and kernel. */
struct cp_kcache;
struct cp_kcache *cp_kcache_open(const char *path, const char *kernel_id);
/* Key of one load: the object's bytes and everything the load depends on. */
void cp_kcache_key(char key[65], const void *bytes, size_t size, const char *what);
int cp_kcache_get(struct cp_kcache *kc, const char *key, struct cp_result *res);
void cp_kcache_put(struct cp_kcache *kc, const char *key, const struct cp_result *res);
/* Writes the file back when something was added; frees @kc. */
int cp_kcache_close(struct cp_kcache *kc, size_t *hits, size_t *added);

/* util */
char *cp_strdup(const char *s);
void cp_die_nomem(void);
void cp_first_line(char *dst, size_t dstsz, const char *src);

#endif
