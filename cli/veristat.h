/* SPDX-License-Identifier: MIT */
/*
 * Private to cli/: veristat's result formats (the kernel selftests' tool
 * that every verifier comparison is done with): its column names, its
 * table and CSV, and its side-by-side comparison of two result sets, so
 * that `bpfvc verify --output-format csv` can be read by `veristat -C`
 * next to the kernel's numbers, and `bpfvc compare` prints what
 * veristat users already read.
 */
#ifndef BVC_CLI_VERISTAT_H
#define BVC_CLI_VERISTAT_H

#include <stdio.h>

/* veristat's statistics, in its column order. */
enum vs_stat {
	VS_VERDICT,          /* 1 success, 0 failure */
	VS_DURATION,         /* verification time, microseconds */
	VS_TOTAL_INSNS,
	VS_TOTAL_STATES,
	VS_PEAK_STATES,
	VS_MAX_STATES_PER_INSN,
	VS_MARK_READ_MAX_LEN,
	VS_NSTATS,
};

struct vs_row {
	char *file, *prog;   /* owned; file is the object's base name */
	long stats[VS_NSTATS];
};

struct vs_set {
	struct vs_row *rows;
	size_t n, cap;
};

/* Append a row (copies @file's base name and @prog). 0 or -ENOMEM. */
int vs_add(struct vs_set *set, const char *file, const char *prog, const long stats[VS_NSTATS]);

void vs_free(struct vs_set *set);

/* One result set: veristat's table (file, program, verdict, duration,
 * insns, states, peak states) or its CSV (those and max states per insn,
 * mark read length). */
void vs_print(FILE *f, const struct vs_set *set, int csv);

/*
 * Two result sets side by side, joined on (file, program) in @a's order
 * and then @b's rows @a lacks: per statistic A, B and the difference
 * ("+12 (+3.45%)", verdicts MATCH or MISMATCH, N/A where one side has no
 * row). Returns the number of joined rows whose verdicts differ.
 */
size_t vs_print_compare(FILE *f, const struct vs_set *a, const struct vs_set *b, int csv);

/* Read a CSV written by vs_print() (or by veristat -o csv): a header of
 * veristat column names, then one row per program. 0, or -EINVAL /
 * -ENOENT / -ENOMEM with one line in @err. */
int vs_read_csv(const char *path, struct vs_set *out, char *err, size_t errsz);

#endif
