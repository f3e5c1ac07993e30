// SPDX-License-Identifier: MIT
/*
 * veristat's formats (see veristat.h): the column names and headers its
 * users know, the table (two spaces between columns, strings left- and
 * numbers right-aligned, a dashed line under the header and after the
 * last row) and the CSV (header of column names, no quoting: names never
 * hold commas), and the comparison mode's A / B / DIFF columns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "veristat.h"

#define SEP "  "

/* Column 0 and 1 are the keys; 2.. the statistics (enum vs_stat + 2). */
enum { COL_FILE, COL_PROG, COL_STAT0, NCOLS = COL_STAT0 + VS_NSTATS };

static const struct {
	const char *header; /* the table's */
	const char *name;   /* the CSV's (veristat's first spelling) */
} cols[NCOLS] = {
	[COL_FILE] = { "File", "file_name" },
	[COL_PROG] = { "Program", "prog_name" },
	[COL_STAT0 + VS_VERDICT] = { "Verdict", "verdict" },
	[COL_STAT0 + VS_DURATION] = { "Duration (us)", "duration" },
	[COL_STAT0 + VS_TOTAL_INSNS] = { "Insns", "total_insns" },
	[COL_STAT0 + VS_TOTAL_STATES] = { "States", "total_states" },
	[COL_STAT0 + VS_PEAK_STATES] = { "Peak states", "peak_states" },
	[COL_STAT0 + VS_MAX_STATES_PER_INSN] = { "Max states per insn", "max_states_per_insn" },
	[COL_STAT0 + VS_MARK_READ_MAX_LEN] = { "Max mark read length", "mark_read_max_len" },
};

/* veristat prints fewer columns in a table than in a CSV. */
#define TABLE_COLS (COL_STAT0 + VS_PEAK_STATES + 1)

int vs_add(struct vs_set *set, const char *file, const char *prog, const long stats[VS_NSTATS])
{
	const char *base = strrchr(file, '/');
	struct vs_row *r;

	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;

		r = realloc(set->rows, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		set->rows = r;
		set->cap = cap;
	}
	r = &set->rows[set->n];
	r->file = strdup(base ? base + 1 : file);
	r->prog = strdup(prog);
	if (!r->file || !r->prog) {
		free(r->file);
		free(r->prog);
		return -ENOMEM;
	}
	memcpy(r->stats, stats, sizeof(r->stats));
	set->n++;
	return 0;
}

void vs_free(struct vs_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->rows[i].file);
		free(set->rows[i].prog);
	}
	free(set->rows);
	memset(set, 0, sizeof(*set));
}

/* Row @r's cell in column @c, as text; @num says it aligns right. */
static const char *cell(const struct vs_row *r, int c, char *buf, size_t sz, int *num)
{
	*num = 0;
	if (!r) {
		snprintf(buf, sz, "N/A");
		*num = c > COL_STAT0 + VS_VERDICT;
		return buf;
	}
	switch (c) {
	case COL_FILE: return r->file;
	case COL_PROG: return r->prog;
	case COL_STAT0 + VS_VERDICT: return r->stats[VS_VERDICT] ? "success" : "failure";
	}
	*num = 1;
	snprintf(buf, sz, "%ld", r->stats[c - COL_STAT0]);
	return buf;
}

static void dashes(FILE *f, const int *w, int n)
{
	for (int c = 0; c < n; c++) {
		fputs(c ? SEP : "", f);
		for (int k = 0; k < w[c]; k++)
			fputc('-', f);
	}
	fputc('\n', f);
}

void vs_print(FILE *f, const struct vs_set *set, int csv)
{
	int ncols = csv ? NCOLS : TABLE_COLS, w[NCOLS], num;
	char buf[32];

	for (int c = 0; c < ncols; c++)
		w[c] = (int)strlen(cols[c].header);
	for (size_t i = 0; i < set->n && !csv; i++)
		for (int c = 0; c < ncols; c++) {
			int len = (int)strlen(cell(&set->rows[i], c, buf, sizeof(buf), &num));

			w[c] = len > w[c] ? len : w[c];
		}
	for (int c = 0; c < ncols; c++) {
		if (csv)
			fprintf(f, "%s%s", c ? "," : "", cols[c].name);
		else
			fprintf(f, "%s%-*s", c ? SEP : "", c == ncols - 1 ? 0 : w[c], cols[c].header);
	}
	fputc('\n', f);
	if (!csv)
		dashes(f, w, ncols);
	for (size_t i = 0; i < set->n; i++) {
		for (int c = 0; c < ncols; c++) {
			const char *s = cell(&set->rows[i], c, buf, sizeof(buf), &num);

			if (csv)
				fprintf(f, "%s%s", c ? "," : "", s);
			else
				fprintf(f, num ? "%s%*s" : "%s%-*s", c ? SEP : "",
					!num && c == ncols - 1 ? 0 : w[c], s);
		}
		fputc('\n', f);
	}
	if (!csv)
		dashes(f, w, ncols);
}

static const struct vs_row *find(const struct vs_set *set, const char *file, const char *prog)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->rows[i].file, file) && !strcmp(set->rows[i].prog, prog))
			return &set->rows[i];
	return NULL;
}

struct pair {
	const struct vs_row *a, *b;
};

/* The three cells of statistic column @c for a joined row: A, B and the
 * difference (B - A, and its share of A). */
static void cells3(const struct pair *p, int c, char out[3][48], int *num)
{
	char tmp[48];
	int n;

	snprintf(out[0], sizeof(out[0]), "%s", cell(p->a, c, tmp, sizeof(tmp), &n));
	snprintf(out[1], sizeof(out[1]), "%s", cell(p->b, c, tmp, sizeof(tmp), &n));
	*num = c != COL_STAT0 + VS_VERDICT;
	if (!p->a || !p->b) {
		snprintf(out[2], sizeof(out[2]), "N/A");
	} else if (!*num) {
		snprintf(out[2], sizeof(out[2]), "%s",
			 !p->a->stats[VS_VERDICT] == !p->b->stats[VS_VERDICT] ? "MATCH" : "MISMATCH");
	} else {
		long va = p->a->stats[c - COL_STAT0], vb = p->b->stats[c - COL_STAT0];
		double pct = va ? (double)(vb - va) * 100.0 / (double)va
				: vb == va ? 0.0 : vb < va ? -100.0 : 100.0;

		snprintf(out[2], sizeof(out[2]), "%+ld (%+.2f%%)", vb - va, pct);
	}
}

/* The comparison table's dashed line: keys one column, statistics three. */
static void compare_dashes(FILE *f, const int *w, int ncols)
{
	for (int c = 0, first = 1; c < ncols; c++)
		for (int j = 0; j < (c < COL_STAT0 ? 1 : 3); j++, first = 0) {
			fputs(first ? "" : SEP, f);
			for (int k = 0; k < w[3 * c + j]; k++)
				fputc('-', f);
		}
	fputc('\n', f);
}

size_t vs_print_compare(FILE *f, const struct vs_set *a, const struct vs_set *b, int csv)
{
	static const char *tsfx[3] = { " (A)", " (B)", " (DIFF)" };
	static const char *csfx[3] = { "_base", "_comp", "_diff" };
	int ncols = csv ? NCOLS : TABLE_COLS, w[NCOLS * 3] = { 0 }, num;
	struct pair *pairs = calloc(a->n + b->n + 1, sizeof(*pairs));
	size_t np = 0, mismatches = 0;
	char buf[3][48];

	if (!pairs)
		return (size_t)-1;
	for (size_t i = 0; i < a->n; i++)
		pairs[np++] = (struct pair){ &a->rows[i], find(b, a->rows[i].file, a->rows[i].prog) };
	for (size_t i = 0; i < b->n; i++)
		if (!find(a, b->rows[i].file, b->rows[i].prog))
			pairs[np++] = (struct pair){ NULL, &b->rows[i] };
	/* Widths: keys take one column, statistics three. */
	for (int c = 0; c < ncols; c++)
		for (int j = 0; j < (c < COL_STAT0 ? 1 : 3); j++) {
			int len = (int)strlen(cols[c].header) + (c < COL_STAT0 ? 0 : (int)strlen(tsfx[j]));

			w[3 * c + j] = len;
		}
	for (size_t i = 0; i < np; i++) {
		const struct pair *p = &pairs[i];
		const struct vs_row *k = p->a ? p->a : p->b;

		for (int c = 0; c < ncols; c++) {
			int len;

			if (c < COL_STAT0) {
				len = (int)strlen(cell(k, c, buf[0], sizeof(buf[0]), &num));
				w[3 * c] = len > w[3 * c] ? len : w[3 * c];
				continue;
			}
			cells3(p, c, buf, &num);
			for (int j = 0; j < 3; j++) {
				len = (int)strlen(buf[j]);
				w[3 * c + j] = len > w[3 * c + j] ? len : w[3 * c + j];
			}
		}
		if (p->a && p->b && !p->a->stats[VS_VERDICT] != !p->b->stats[VS_VERDICT])
			mismatches++;
	}
	/* Header. */
	for (int c = 0, first = 1; c < ncols; c++)
		for (int j = 0; j < (c < COL_STAT0 ? 1 : 3); j++, first = 0) {
			const char *sfx = c < COL_STAT0 ? "" : csv ? csfx[j] : tsfx[j];

			if (csv)
				fprintf(f, "%s%s%s", first ? "" : ",", cols[c].name, sfx);
			else
				fprintf(f, "%s%-*s%s", first ? "" : SEP,
					w[3 * c + j] - (int)strlen(sfx), cols[c].header, sfx);
		}
	fputc('\n', f);
	if (!csv)
		compare_dashes(f, w, ncols);
	for (size_t i = 0; i < np; i++) {
		const struct pair *p = &pairs[i];
		const struct vs_row *k = p->a ? p->a : p->b;

		for (int c = 0, first = 1; c < ncols; c++) {
			if (c < COL_STAT0) {
				const char *s = cell(k, c, buf[0], sizeof(buf[0]), &num);

				if (csv)
					fprintf(f, "%s%s", first ? "" : ",", s);
				else
					fprintf(f, "%s%-*s", first ? "" : SEP, w[3 * c], s);
				first = 0;
				continue;
			}
			cells3(p, c, buf, &num);
			for (int j = 0; j < 3; j++, first = 0) {
				if (csv)
					fprintf(f, "%s%s", first ? "" : ",", buf[j]);
				else
					fprintf(f, num ? "%s%*s" : "%s%-*s", first ? "" : SEP,
						w[3 * c + j], buf[j]);
			}
		}
		fputc('\n', f);
	}
	if (!csv)
		compare_dashes(f, w, ncols);
	free(pairs);
	return mismatches;
}

/* ---- reading CSV ---- */

static int col_by_name(const char *name)
{
	for (int c = 0; c < NCOLS; c++)
		if (!strcmp(cols[c].name, name))
			return c;
	/* veristat's other spellings of the same columns */
	if (!strcmp(name, "max_mark_read_len") || !strcmp(name, "mark_read"))
		return COL_STAT0 + VS_MARK_READ_MAX_LEN;
	if (!strcmp(name, "insns"))
		return COL_STAT0 + VS_TOTAL_INSNS;
	if (!strcmp(name, "states"))
		return COL_STAT0 + VS_TOTAL_STATES;
	return -1;
}

int vs_read_csv(const char *path, struct vs_set *out, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	int map[NCOLS], ncols = 0, ret = 0;
	char line[4096];
	size_t lineno = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *file = NULL, *prog = NULL;
		long stats[VS_NSTATS] = { 0 };
		int col = 0;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errsz, "%s:%zu: line too long", path, lineno);
			ret = -EINVAL;
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save), col++) {
			if (lineno == 1) {
				int c = col_by_name(tok);

				if (c < 0 || ncols == NCOLS) {
					snprintf(err, errsz, "%s:1: unknown column '%s'", path, tok);
					ret = -EINVAL;
					goto out;
				}
				map[ncols++] = c;
				continue;
			}
			if (col >= ncols) {
				snprintf(err, errsz, "%s:%zu: more cells than columns", path, lineno);
				ret = -EINVAL;
				goto out;
			}
			if (map[col] == COL_FILE) {
				file = tok;
			} else if (map[col] == COL_PROG) {
				prog = tok;
			} else if (map[col] == COL_STAT0 + VS_VERDICT) {
				if (strcmp(tok, "success") && strcmp(tok, "failure")) {
					snprintf(err, errsz, "%s:%zu: verdict '%s' is neither success nor failure",
						 path, lineno, tok);
					ret = -EINVAL;
					goto out;
				}
				stats[VS_VERDICT] = !strcmp(tok, "success");
			} else {
				char *end;

				errno = 0;
				stats[map[col] - COL_STAT0] = strtol(tok, &end, 10);
				if (*end || errno || end == tok) {
					snprintf(err, errsz, "%s:%zu: '%s' is not a number", path, lineno, tok);
					ret = -EINVAL;
					goto out;
				}
			}
		}
		if (lineno == 1)
			continue;
		if (col != ncols || !file || !prog) {
			snprintf(err, errsz, "%s:%zu: %d cells for %d columns, or no file and program",
				 path, lineno, col, ncols);
			ret = -EINVAL;
			break;
		}
		if (vs_add(out, file, prog, stats)) {
			ret = -ENOMEM;
			break;
		}
	}
	if (!ret && lineno == 0) {
		snprintf(err, errsz, "%s: empty, not a veristat CSV", path);
		ret = -EINVAL;
	}
out:
	fclose(f);
	if (ret)
		vs_free(out);
	return ret;
}
