// SPDX-License-Identifier: MIT
/*
 * The kernel's labels, cached: the kernel's verdict on a given object,
 * program and load (flags, log level) does not change while the kernel,
 * libbpf and the oracle's way of loading stay the same, and asking it is
 * most of a cached corpus run (the scale tests take seconds each). One text
 * file, BUILD/corpus/cache/klabels: a header line naming the kernel (its
 * release and build, libbpf's version, the selftests' testing flags and
 * CP_KCACHE_VERSION), then one line per load, keyed by SHA-256 of the
 * object's bytes and what the load depends on. A header that does not match
 * the running kernel discards the whole file.
 *
 * Not cached: watchdog timeouts and crashes (they say nothing lasting).
 * Bump CP_KCACHE_VERSION when oracle.c changes how it loads or reads a log.
 *
 * Must not: change a verdict; a damaged line is ignored (asked again).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "corpus.h"

#define CP_KCACHE_VERSION 1
#define NFIELDS 16

struct entry {
	char key[65];
	char *line; /* the fields after the key, as written */
};

struct cp_kcache {
	char *path;
	char header[512];
	struct entry *old; /* sorted by key */
	size_t old_cnt;
	struct entry *add;
	size_t add_cnt, add_cap;
	size_t hits;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

struct cp_kcache *cp_kcache_open(const char *path, const char *kernel_id)
{
	struct cp_kcache *kc = calloc(1, sizeof(*kc));
	char *line = NULL;
	size_t cap = 0, ocap = 0;
	ssize_t n;
	FILE *f;

	if (!kc)
		cp_die_nomem();
	kc->path = cp_strdup(path);
	snprintf(kc->header, sizeof(kc->header), "# bvc-corpus kernel labels v%d\t%s",
		 CP_KCACHE_VERSION, kernel_id);
	f = fopen(path, "r");
	if (!f)
		return kc;
	n = getline(&line, &cap, f);
	if (n <= 0 || strncmp(line, kc->header, strlen(kc->header)) ||
	    (line[strlen(kc->header)] != '\n' && line[strlen(kc->header)] != '\0')) {
		/* another kernel, libbpf or oracle: start afresh */
		free(line);
		fclose(f);
		return kc;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *tab = strchr(line, '\t');

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (!tab || tab - line != 64)
			continue;
		if (kc->old_cnt == ocap) {
			ocap = ocap ? 2 * ocap : 4096;
			kc->old = realloc(kc->old, ocap * sizeof(*kc->old));
			if (!kc->old)
				cp_die_nomem();
		}
		memcpy(kc->old[kc->old_cnt].key, line, 64);
		kc->old[kc->old_cnt].key[64] = '\0';
		kc->old[kc->old_cnt].line = cp_strdup(tab + 1);
		kc->old_cnt++;
	}
	free(line);
	fclose(f);
	if (kc->old_cnt)
		qsort(kc->old, kc->old_cnt, sizeof(*kc->old), cmp_entry);
	return kc;
}

void cp_kcache_key(char key[65], const void *bytes, size_t size, const char *what)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, bytes, size) || !EVP_DigestUpdate(ctx, "\0", 1) ||
	    !EVP_DigestUpdate(ctx, what, strlen(what)) || !EVP_DigestFinal_ex(ctx, md, &len))
		cp_die_nomem();
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 32 && i < len; i++)
		snprintf(key + 2 * i, 3, "%02x", md[i]);
	key[64] = '\0';
}

/* Text fields: no tabs or newlines inside (they separate). */
static void put_text(FILE *f, const char *s)
{
	fputc('\t', f);
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void get_text(char *dst, const char *src)
{
	snprintf(dst, CP_TEXT, "%s", src);
}

int cp_kcache_get(struct cp_kcache *kc, const char *key, struct cp_result *res)
{
	struct entry probe, *e;
	char *copy, *fields[NFIELDS], *save = NULL, *tok;
	int i = 0;

	if (!kc)
		return 0;
	snprintf(probe.key, sizeof(probe.key), "%s", key);
	e = kc->old_cnt ? bsearch(&probe, kc->old, kc->old_cnt, sizeof(*kc->old), cmp_entry) : NULL;
	if (!e)
		return 0;
	copy = cp_strdup(e->line);
	/* strsep keeps empty fields (an empty message) */
	save = copy;
	while (i < NFIELDS && (tok = strsep(&save, "\t")))
		fields[i++] = tok;
	if (i != NFIELDS) {
		free(copy);
		return 0;
	}
	res->kstatus = atoi(fields[0]);
	res->kerrno = atoi(fields[1]);
	res->klevel = atoi(fields[2]);
	res->klog_truncated = atoi(fields[3]);
	res->kmsg_checked = atoi(fields[4]);
	res->kmsg_ok = atoi(fields[5]);
	res->kmsg_first_miss = atoi(fields[6]);
	res->kprocessed = strtoll(fields[7], NULL, 10);
	res->kstates_max = strtoll(fields[8], NULL, 10);
	res->kstates_total = strtoll(fields[9], NULL, 10);
	res->kstates_peak = strtoll(fields[10], NULL, 10);
	res->ktime_us = strtoll(fields[11], NULL, 10);
	get_text(res->kerrline, fields[12]);
	get_text(res->kloaderr, fields[13]);
	get_text(res->kbtf_note, fields[14]);
	/* fields[15] is the end marker: a line cut short is not used */
	res->kcached = 1;
	free(copy);
	kc->hits++;
	return 1;
}

void cp_kcache_put(struct cp_kcache *kc, const char *key, const struct cp_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!kc || (res->kstatus != CP_K_ACCEPT && res->kstatus != CP_K_REJECT &&
		    res->kstatus != CP_K_LOADERR))
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		cp_die_nomem();
	fprintf(f, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
		   "\t%" PRId64, res->kstatus, res->kerrno, res->klevel, res->klog_truncated,
		res->kmsg_checked, res->kmsg_ok, res->kmsg_first_miss, res->kprocessed,
		res->kstates_max, res->kstates_total, res->kstates_peak, res->ktime_us);
	put_text(f, res->kerrline);
	put_text(f, res->kloaderr);
	put_text(f, res->kbtf_note);
	fputs("\t.", f);
	if (fclose(f))
		cp_die_nomem();
	if (kc->add_cnt == kc->add_cap) {
		kc->add_cap = kc->add_cap ? 2 * kc->add_cap : 1024;
		kc->add = realloc(kc->add, kc->add_cap * sizeof(*kc->add));
		if (!kc->add)
			cp_die_nomem();
	}
	snprintf(kc->add[kc->add_cnt].key, sizeof(kc->add[0].key), "%s", key);
	kc->add[kc->add_cnt].line = buf;
	kc->add_cnt++;
}

int cp_kcache_close(struct cp_kcache *kc, size_t *hits, size_t *added)
{
	char tmp[4096];
	int err = 0;
	size_t i;
	FILE *f;

	*hits = kc ? kc->hits : 0;
	*added = kc ? kc->add_cnt : 0;
	if (!kc)
		return 0;
	if (kc->add_cnt) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", kc->path);
		f = fopen(tmp, "w");
		if (!f) {
			err = -errno;
		} else {
			fprintf(f, "%s\n", kc->header);
			for (i = 0; i < kc->old_cnt; i++)
				fprintf(f, "%s\t%s\n", kc->old[i].key, kc->old[i].line);
			for (i = 0; i < kc->add_cnt; i++)
				fprintf(f, "%s\t%s\n", kc->add[i].key, kc->add[i].line);
			if (fclose(f) || rename(tmp, kc->path))
				err = -errno;
		}
	}
	for (i = 0; i < kc->old_cnt; i++)
		free(kc->old[i].line);
	for (i = 0; i < kc->add_cnt; i++)
		free(kc->add[i].line);
	free(kc->old);
	free(kc->add);
	free(kc->path);
	free(kc);
	return err;
}
