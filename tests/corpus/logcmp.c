// SPDX-License-Identifier: MIT
/*
 * Our level-2 log against the kernel's, line by line (issue #18): what the
 * two texts must share once the differences that say nothing about the
 * verifier are taken out.
 *
 * Taken out of the kernel's log, and counted: the lines of analyses bpfvc
 * does not model (6.18's stack liveness, "(0) frame 0 insn 19 +live -16"
 * and "(0) live stack update done in 2 iterations"; its loop components,
 * "SCC enter (1)"), and the component column of the live-registers table
 * ("  1  11: 01...": bpfvc prints the row without it). Normalized on both
 * sides: the operand of an ld_imm64 of a map (the kernel prints a kernel
 * address, we print "map[id:0]"), and the padding of that line's state.
 *
 * Must not: run anything (main.c gets both logs); decide a verdict.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

/* A line of the kernel's that reports an analysis we do not model. */
static bool is_unmodelled(const char *l, size_t n)
{
	static const char *const pfx[] = { "SCC enter (", "SCC exit (", "SCC backedge (", NULL };
	size_t i = 0;

	for (const char *const *p = pfx; *p; p++)
		if (n >= strlen(*p) && !strncmp(l, *p, strlen(*p)))
			return true;
	/* "(N) frame F insn I +live ...", "(N) live stack update ..." */
	if (n < 3 || l[0] != '(')
		return false;
	for (i = 1; i < n && l[i] >= '0' && l[i] <= '9'; i++)
		;
	if (i == 1 || i + 2 >= n || l[i] != ')' || l[i + 1] != ' ')
		return false;
	return !strncmp(l + i + 2, "frame ", 6) || !strncmp(l + i + 2, "live stack", 10);
}

/* Is @l (no newline) a row of the live-registers table: "%3d %3d: " or
 * "    %3d: ", then ten register columns? */
static bool is_live_row(const char *l, size_t n)
{
	size_t i = 4;

	if (n < 20)
		return false;
	while (i < n && l[i] == ' ')
		i++;
	while (i < n && l[i] >= '0' && l[i] <= '9')
		i++;
	if (i + 12 > n || l[i] != ':' || l[i + 1] != ' ')
		return false;
	for (size_t k = 0; k < 10; k++)
		if (l[i + 2 + k] != '.' && l[i + 2 + k] != (char)('0' + k))
			return false;
	return true;
}

/*
 * One line, normalized into @out (NUL-terminated, bounded by @size): the
 * map operand of an ld_imm64 becomes "<map>" (and the padding before its
 * ';' one space). Returns 1 when a live-regs row lost its component
 * column.
 */
static int normalize(const char *l, size_t n, char *out, size_t size, bool kernel)
{
	size_t o = 0, i = 0;
	int changed = 0;

	if (kernel && is_live_row(l, n) && (l[2] != ' ' || l[0] != ' ' || l[1] != ' ')) {
		/* "  1  11: " -> "     11: " */
		for (; i < 3 && o + 1 < size; i++)
			out[o++] = ' ';
		changed = 1;
	}
	while (i < n && o + 1 < size) {
		const char *p = l + i;
		size_t k = 0;

		/* " = 0xffff888171ee5000" (16 hex digits) or " = map[id:N]" with an
		 * optional "[N]+N" (a map value's address). */
		if (!strncmp(p, " = 0xffff", 9)) {
			k = 3;
			while (i + k < n && ((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'f') ||
					     p[k] == 'x'))
				k++;
			if (k != 21)
				k = 0;
		} else if (!strncmp(p, " = map[id:", 10)) {
			k = 10;
			while (i + k < n && p[k] != ']')
				k++;
			k++;
			if (i + k < n && p[k] == '[') {
				while (i + k < n && p[k] != '+')
					k++;
				k++;
				while (i + k < n && p[k] >= '0' && p[k] <= '9')
					k++;
			}
		}
		if (!k || i + k > n) {
			out[o++] = l[i++];
			continue;
		}
		i += k;
		o += (size_t)snprintf(out + o, size - o, " = <map>");
		if (o >= size)
			o = size - 1;
		/* The padding to the state's column follows the operand's width. */
		while (i < n && l[i] == ' ')
			i++;
		if (i < n && l[i] == ';' && o + 2 < size)
			out[o++] = ' ';
	}
	out[o] = '\0';
	return changed;
}

/* The next line of @s at *pos (without its newline), or NULL at the end. */
static const char *next_line(const char *s, size_t *pos, size_t *n)
{
	const char *l = s + *pos, *nl;

	if (!*l)
		return NULL;
	nl = strchr(l, '\n');
	*n = nl ? (size_t)(nl - l) : strlen(l);
	*pos += *n + (nl ? 1 : 0);
	return l;
}

/* @line into @dst (CP_TEXT bytes): whole when it fits, else from a little
 * before column @col (where it differs) with "..." in front. */
static void excerpt(char *dst, const char *line, size_t col)
{
	size_t len = strlen(line), from = 0;

	if (len >= CP_TEXT && col > 60)
		from = col - 60 < len ? col - 60 : 0;
	if (from)
		snprintf(dst, CP_TEXT, "...%.*s", CP_TEXT - 4, line + from);
	else
		snprintf(dst, CP_TEXT, "%.*s", CP_TEXT - 1, line);
}

void cp_log_compare(const char *klog, const char *olog, struct cp_log_cmp *out)
{
	static char kb[4096], ob[4096];
	size_t kp = 0, op = 0, kn = 0, on = 0;
	int line = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *k = next_line(klog, &kp, &kn), *o;

		while (k && is_unmodelled(k, kn)) {
			out->skipped++;
			k = next_line(klog, &kp, &kn);
		}
		o = next_line(olog, &op, &on);
		if (!k && !o)
			break;
		line++;
		if (k)
			out->normalized += normalize(k, kn, kb, sizeof(kb), true);
		if (o)
			normalize(o, on, ob, sizeof(ob), false);
		if (!k || !o || strcmp(kb, ob)) {
			out->identical = 0;
			out->diff_at = line;
			size_t col = 0;

			while (k && o && kb[col] && kb[col] == ob[col])
				col++;
			excerpt(out->kline, k ? kb : "(end of log)", col);
			excerpt(out->oline, o ? ob : "(end of log)", col);
			out->lines = line - 1;
			return;
		}
	}
	out->identical = 1;
	out->lines = line;
}
