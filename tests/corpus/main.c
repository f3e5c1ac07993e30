// SPDX-License-Identifier: MIT
/*
 * bvc-corpus: the kernel-parity harness (issue #3). Reads the compiled
 * selftests (prepare.sh's cache), our tests/progs objects and the
 * generator's seed range; runs every program through the live kernel and
 * through bpfvc; classifies, applies the baseline, writes report.md and
 * kernel.csv, and ends with one line "N passed, M failed".
 *
 * Exit: 0 when nothing failed, 1 when something did, 2 on bad usage or an
 * infrastructure failure.
 *
 * Must not: hang (every load runs under a watchdog), or stop at a program
 * that breaks anything: every program is a result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpfvc/disasm.h"
#include "bpfvc/loader.h"

#include "corpus.h"

#define CP_HOST_BTF "/sys/kernel/btf/vmlinux"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		cp_die_nomem();
	return s;
}

static int read_file(const char *path, uint8_t **buf, size_t *size)
{
	struct stat st;
	uint8_t *b;
	ssize_t got;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return -EINVAL;
	}
	b = malloc((size_t)st.st_size);
	if (!b)
		cp_die_nomem();
	while (off < (size_t)st.st_size) {
		got = read(fd, b + off, (size_t)st.st_size - off);
		if (got <= 0) {
			free(b);
			close(fd);
			return got < 0 ? -errno : -EIO;
		}
		off += (size_t)got;
	}
	close(fd);
	*buf = b;
	*size = off;
	return 0;
}

/* Entry programs of an ELF object the way libbpf finds them: global
 * functions in executable sections other than .text. For objects libbpf
 * cannot open. */
static size_t count_elf_progs(const uint8_t *bytes, size_t size)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t n = 0;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)bytes, size);
	if (!elf)
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		cnt = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < cnt; i++) {
			GElf_Sym sym;
			GElf_Shdr ts;
			Elf_Scn *target;
			size_t shstrndx;
			const char *sname;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    GELF_ST_BIND(sym.st_info) != STB_GLOBAL)
				continue;
			target = elf_getscn(elf, sym.st_shndx);
			if (!target || !gelf_getshdr(target, &ts) || !(ts.sh_flags & SHF_EXECINSTR) ||
			    elf_getshdrstrndx(elf, &shstrndx))
				continue;
			sname = elf_strptr(elf, shstrndx, ts.sh_name);
			if (sname && strcmp(sname, ".text"))
				n++;
		}
	}
	elf_end(elf);
	return n;
}

static void add_file(struct cp_run *run, const struct cp_file *f)
{
	struct cp_file *files = realloc(run->files, (run->file_cnt + 1) * sizeof(*files));

	if (!files)
		cp_die_nomem();
	run->files = files;
	run->files[run->file_cnt++] = *f;
}

static struct cp_prog *add_prog(struct cp_run *run)
{
	struct cp_prog *p;

	if (run->prog_cnt == run->prog_cap) {
		run->prog_cap = run->prog_cap ? 2 * run->prog_cap : 1024;
		p = realloc(run->progs, run->prog_cap * sizeof(*p));
		if (!p)
			cp_die_nomem();
		run->progs = p;
	}
	p = &run->progs[run->prog_cnt++];
	memset(p, 0, sizeof(*p));
	p->file = -1;
	return p;
}

/* List @file's programs and their annotations. */
static void scan_object(struct cp_run *run, size_t fi)
{
	struct cp_file *f = &run->files[fi];
	struct bpf_object *obj;
	struct bpf_program *bp;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = f->name);

	if (read_file(f->obj, &f->bytes, &f->size)) {
		f->skip = xasprintf("cannot read %s", f->obj);
		return;
	}
	f->elf_progs = count_elf_progs(f->bytes, f->size);
	cp_libbpf_capture_begin();
	obj = bpf_object__open_mem(f->bytes, f->size, &oo);
	if (!obj) {
		char line[CP_TEXT];

		cp_first_line(line, sizeof(line), cp_libbpf_captured());
		f->skip = xasprintf("libbpf %s cannot open it: %s", libbpf_version_string(),
				    line[0] ? line : strerror(errno));
		return;
	}
	bpf_object__for_each_program(bp, obj) {
		struct cp_prog *p = add_prog(run);
		char err[CP_TEXT];

		p->tier = f->tier;
		p->file = (int)fi;
		p->name = cp_strdup(bpf_program__name(bp));
		p->sec = cp_strdup(bpf_program__section_name(bp));
		p->prog_type = cp_prog_type_of(bp);
		p->id = xasprintf("%s/%s", f->name, p->name);
		if (cp_spec_parse(obj, bp, f->tier == CP_TIER_PROGS ? 0 : run->test_flags,
				  &p->spec, err, sizeof(err))) {
			/* Still run it: the kernel can label it. */
			p->spec.valid = 0;
			p->spec.arch_ok = 1;
			p->spec.has_priv = 1;
			snprintf(p->res.kloaderr, CP_TEXT, "annotations: %.200s", err);
		}
		/* Tier 2: test_loader loads the annotated programs with the
		 * testing flags; the skeletons load the others without. */
		if (f->tier == CP_TIER_SELFTEST2 && !p->spec.tagged)
			p->spec.flags = 0;
	}
	bpf_object__close(obj);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of @dir ending in @suffix, sorted. */
static char **list_dir(const char *dir, const char *suffix, size_t *cnt)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, sl = strlen(suffix);

	*cnt = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l <= sl || strcmp(e->d_name + l - sl, suffix))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names)
			cp_die_nomem();
		names[n++] = cp_strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*cnt = n;
	return names;
}

/* The selftests of one tier: <objdir>/<name>.status says "ok" or why not. */
static void collect_selftests(struct cp_run *run, const char *objdir, int tier)
{
	size_t n, i;
	char **names = list_dir(objdir, ".status", &n);

	for (i = 0; i < n; i++) {
		struct cp_file f = { 0 };
		char *path = xasprintf("%s/%s", objdir, names[i]);
		uint8_t *st = NULL;
		size_t sz = 0;
		char line[CP_TEXT] = "";

		names[i][strlen(names[i]) - strlen(".status")] = '\0';
		f.name = cp_strdup(names[i]);
		f.tier = tier;
		if (!read_file(path, &st, &sz)) {
			char *txt = malloc(sz + 1);

			if (!txt)
				cp_die_nomem();
			memcpy(txt, st, sz);
			txt[sz] = '\0';
			cp_first_line(line, sizeof(line), txt);
			free(txt);
			free(st);
		}
		if (!strcmp(line, "ok"))
			f.obj = xasprintf("%s/%s.o", objdir, names[i]);
		else
			f.skip = cp_strdup(line[0] ? line : "no compile status");
		add_file(run, &f);
		if (f.obj)
			scan_object(run, run->file_cnt - 1);
		free(path);
		free(names[i]);
	}
	free(names);
}

/* Our own programs: NAME.bpf.o in <dir> and in <dir>/clang19. */
static void collect_progs(struct cp_run *run, const char *dir)
{
	static const char *const subs[] = { "", "clang19" };
	size_t s;

	for (s = 0; s < 2; s++) {
		char *d = s ? xasprintf("%s/%s", dir, subs[s]) : cp_strdup(dir);
		size_t n, i;
		char **names = list_dir(d, ".bpf.o", &n);

		for (i = 0; i < n; i++) {
			struct cp_file f = { 0 };

			names[i][strlen(names[i]) - strlen(".bpf.o")] = '\0';
			f.name = xasprintf("progs%s%s/%s", s ? "-" : "", subs[s], names[i]);
			f.tier = CP_TIER_PROGS;
			f.obj = xasprintf("%s/%s.bpf.o", d, names[i]);
			add_file(run, &f);
			scan_object(run, run->file_cnt - 1);
			free(names[i]);
		}
		free(names);
		free(d);
	}
}

struct obj_job {
	const struct cp_run *run;
	const struct cp_file *file;
	const struct cp_prog *prog;
};

/* Phase 3 (tier 1, verdicts agree): both level-2 logs, compared. */
static void log_phase(struct obj_job *j, struct cp_result *res)
{
	char *klog = malloc(CP_LOG_SIZE), *olog;
	int no_btf = 0, ktrunc = 0, otrunc = 0, ost = 0, kst;
	struct cp_log_cmp cmp;
	const char *dump = getenv("BVC_CORPUS_LOGDIFF");

	if (!klog)
		cp_die_nomem();
	kst = cp_kernel_log(j->run, j->file, j->prog, 2, klog, &no_btf, &ktrunc);
	olog = cp_ours_log(j->run, j->file, j->prog, no_btf, &ost, &otrunc);
	if (ktrunc)
		res->lstatus = CP_L_KTRUNC;
	else if (kst != j->prog->res.kstatus || !olog || ost != j->prog->res.ostatus)
		res->lstatus = CP_L_KFAIL;
	else if (otrunc)
		res->lstatus = CP_L_OTRUNC;
	if (!res->lstatus) {
		cp_log_compare(klog, olog, &cmp);
		res->lstatus = cmp.identical ? CP_L_SAME : CP_L_DIFF;
		res->llines = cmp.lines;
		res->lskipped = cmp.skipped;
		res->ldiff_at = cmp.diff_at;
		snprintf(res->lkline, CP_TEXT, "%s", cmp.kline);
		snprintf(res->loline, CP_TEXT, "%s", cmp.oline);
	}
	if (dump && !strcmp(dump, j->prog->id))
		fprintf(stderr, "=== %s: kernel's level-2 log (%s BTF)\n%s=== ours\n%s===\n",
			j->prog->id, no_btf ? "without" : "with", klog, olog ? olog : "(none)\n");
	free(olog);
	free(klog);
}

static void obj_phase(void *arg, struct cp_result *res, int phase)
{
	struct obj_job *j = arg;

	if (phase == 1)
		cp_kernel_object(j->run, j->file, j->prog, res);
	else if (phase == 2)
		cp_ours_object(j->run, j->file, j->prog, res);
	else
		log_phase(j, res);
}

struct gen_job {
	const struct cp_run *run;
	const struct cp_gen_prog *gp;
	const struct bvc_insn *kinsns;
};

static void gen_phase(void *arg, struct cp_result *res, int phase)
{
	struct gen_job *j = arg;

	if (phase == 1)
		cp_kernel_raw(j->kinsns, j->gp->cnt, j->gp->prog_type, res);
	else
		cp_ours_raw(j->run, j->gp->insns, j->gp->cnt, j->gp->prog_type, cp_gen_maps,
			    CP_GEN_MAPS, res);
}

static int verbose;
static int gen_dump;
static const char *filter;
static struct cp_kcache *kcache;

/* The label cache's key of @p's kernel load, or 0 when the load is not
 * cacheable: objects loaded with a __btf_path object (the key would have
 * to cover that object too), or no cache. */
static int kcache_key(const struct cp_prog *p, const void *bytes, size_t size, int cacheable,
		      char key[65])
{
	char what[CP_TEXT * 2];

	if (!cacheable || !kcache || !bytes)
		return 0;
	snprintf(what, sizeof(what), "%s\n%d\n0x%x\n%d\n%d", p->name, p->prog_type,
		 p->spec.flags, p->spec.log_level, p->tier);
	cp_kcache_key(key, bytes, size, what);
	return 1;
}

/*
 * The programs of one run step, spread over the lanes (pool.c): the parent
 * looks the kernel's labels up and prepares, the lanes run each program's
 * phases, the parent then caches new labels and classifies in order, so
 * the report does not depend on which lane ran what.
 */
struct batch {
	struct cp_run *run;
	size_t *prog;       /* run->progs index of each task */
	char (*key)[65];    /* its label cache key, "" if none */
	struct cp_result *res;
	size_t n;
	uint64_t gen_from;  /* generator tasks: seed = gen_from + task */
	int fds[CP_GEN_MAPS];
};

static void obj_task(size_t i, void *arg, struct cp_result *res)
{
	struct batch *b = arg;
	struct cp_run *run = b->run;
	struct cp_prog *p = &run->progs[b->prog[i]];
	struct obj_job j = { run, &run->files[p->file], p };
	double t0 = now();

	/* This lane's copy of the program carries the result, for
	 * cp_classify() and the log phase's verdict check. */
	p->res = *res;
	if (run->kernel && !p->res.kcached)
		cp_child_phase(obj_phase, &j, 1, run->ktimeout, &p->res);
	cp_child_phase(obj_phase, &j, 2, run->otimeout, &p->res);
	cp_classify(p);
	/* The level-2 logs (issue #18): tier 1, where both decided alike. */
	if (run->kernel && p->tier == CP_TIER_SELFTEST && !run->no_logcmp &&
	    (p->klass == CP_C_AGREE_ACCEPT || p->klass == CP_C_AGREE_REJECT))
		cp_child_phase(obj_phase, &j, 3, run->otimeout, &p->res);
	p->res.wall_us = (int64_t)((now() - t0) * 1e6);
	*res = p->res;
}

static void gen_task(size_t i, void *arg, struct cp_result *res)
{
	struct batch *b = arg;
	struct cp_run *run = b->run;
	struct cp_gen_prog gp;
	struct gen_job j;
	double t0 = now();

	if (cp_gen_program(b->gen_from + i, &gp))
		cp_die_nomem();
	j.run = run;
	j.gp = &gp;
	j.kinsns = cp_gen_for_kernel(&gp, b->fds);
	if (!j.kinsns)
		cp_die_nomem();
	if (run->kernel && !res->kcached)
		cp_child_phase(gen_phase, &j, 1, run->ktimeout, res);
	cp_child_phase(gen_phase, &j, 2, run->otimeout, res);
	free((void *)j.kinsns);
	free(gp.insns);
	res->wall_us = (int64_t)((now() - t0) * 1e6);
}

static void batch_add(struct batch *b, size_t prog, const void *bytes, size_t size, int cacheable)
{
	struct cp_prog *p = &b->run->progs[prog];
	size_t k = b->n++;

	b->prog[k] = prog;
	b->key[k][0] = '\0';
	memset(&b->res[k], 0, sizeof(b->res[k]));
	if (b->run->kernel && kcache_key(p, bytes, size, cacheable, b->key[k]) &&
	    cp_kcache_get(kcache, b->key[k], &b->res[k]))
		b->key[k][0] = '\0'; /* known: nothing to add */
}

static void batch_alloc(struct batch *b, struct cp_run *run, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->run = run;
	b->fds[0] = b->fds[1] = -1;
	b->prog = calloc(cap ? cap : 1, sizeof(*b->prog));
	b->key = calloc(cap ? cap : 1, sizeof(*b->key));
	b->res = calloc(cap ? cap : 1, sizeof(*b->res));
	if (!b->prog || !b->key || !b->res)
		cp_die_nomem();
}

/* Run the batch's tasks; then their results go back to their programs,
 * new labels into the cache, and each program is classified. */
static void batch_run(struct batch *b, cp_pool_fn fn)
{
	size_t k;
	int err = cp_pool_run(b->n, b->run->jobs, fn, b, b->res);

	if (err) {
		fprintf(stderr, "bvc-corpus: cannot start the lanes: %s\n", strerror(-err));
		exit(2);
	}
	for (k = 0; k < b->n; k++) {
		struct cp_prog *p = &b->run->progs[b->prog[k]];

		p->res = b->res[k];
		if (b->key[k][0])
			cp_kcache_put(kcache, b->key[k], &p->res);
		cp_classify(p);
	}
}

static void batch_free(struct batch *b)
{
	free(b->prog);
	free(b->key);
	free(b->res);
}

static void run_objects(struct cp_run *run)
{
	struct batch b;
	size_t i, k, fi;

	batch_alloc(&b, run, run->prog_cnt);
	for (i = 0; i < run->prog_cnt; i++) {
		struct cp_prog *p = &run->progs[i];
		const struct cp_file *f;

		if (p->file < 0)
			continue;
		f = &run->files[p->file];
		if (!f->bytes)
			continue;
		if (p->spec.auxiliary || !p->spec.arch_ok || (filter && !strstr(p->id, filter))) {
			cp_classify(p);
			p->klass = CP_C_SKIP;
			continue;
		}
		batch_add(&b, i, f->bytes, f->size, !p->spec.btf_path);
	}
	batch_run(&b, obj_task);

	/* One line per file, in file order. */
	for (fi = 0, k = 0; fi < run->file_cnt; fi++) {
		size_t acc = 0, rej = 0, other = 0, tests = 0;
		double secs = 0;

		for (; k < b.n && run->progs[b.prog[k]].file == (int)fi; k++) {
			const struct cp_prog *p = &run->progs[b.prog[k]];

			tests++;
			secs += p->res.wall_us / 1e6;
			acc += p->res.kstatus == CP_K_ACCEPT;
			rej += p->res.kstatus == CP_K_REJECT;
			other += p->res.kstatus != CP_K_ACCEPT && p->res.kstatus != CP_K_REJECT;
			if (verbose)
				printf("  %-60s kernel %-10s ours %-11s %-12s %s\n", p->id,
				       cp_kstatus_name(p->res.kstatus),
				       cp_ostatus_name(p->res.ostatus), cp_class_name(p->klass),
				       p->res.kerrline[0] ? p->res.kerrline : p->res.kloaderr);
		}
		if (tests)
			printf("%-40s %4zu programs: kernel %zu accepted, %zu rejected, %zu other (%.1f s)\n",
			       run->files[fi].name, tests, acc, rej, other, secs);
	}
	fflush(stdout);
	batch_free(&b);
}

static void run_gen(struct cp_run *run, uint64_t from, uint64_t to)
{
	size_t acc = 0, rej = 0, i, first = run->prog_cnt;
	double t0 = now();
	struct batch b;
	uint64_t seed;

	batch_alloc(&b, run, (size_t)(to - from));
	b.gen_from = from;
	if (run->kernel)
		cp_gen_maps_create(b.fds);
	for (seed = from; seed < to; seed++) {
		struct cp_gen_prog gp;
		struct cp_prog *p;

		if (cp_gen_program(seed, &gp))
			cp_die_nomem();
		p = add_prog(run);
		p->tier = CP_TIER_GEN;
		p->file = -1;
		p->id = xasprintf("gen/%llu", (unsigned long long)seed);
		p->name = cp_strdup("prog");
		p->sec = cp_strdup(gp.shape);
		p->prog_type = gp.prog_type;
		p->spec.valid = 1;
		p->spec.arch_ok = 1;
		p->spec.has_priv = 1;
		batch_add(&b, run->prog_cnt - 1, gp.insns, gp.cnt * sizeof(*gp.insns), 1);
		if (gen_dump) {
			printf("%s (%s, map 0 = %s, map 1 = %s):\n", p->id, gp.shape,
			       cp_gen_maps[0].name, cp_gen_maps[1].name);
			bvc_disasm_prog(gp.insns, gp.cnt, stdout);
		}
		free(gp.insns);
	}
	batch_run(&b, gen_task);
	for (i = first; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		acc += p->res.kstatus == CP_K_ACCEPT;
		rej += p->res.kstatus == CP_K_REJECT;
		if (verbose)
			printf("  %-12s kernel %-7s ours %-11s %-12s [%s] %s\n", p->id,
			       cp_kstatus_name(p->res.kstatus), cp_ostatus_name(p->res.ostatus),
			       cp_class_name(p->klass), p->sec, p->res.kerrline);
	}
	for (i = 0; i < CP_GEN_MAPS; i++)
		if (b.fds[i] >= 0)
			close(b.fds[i]);
	batch_free(&b);
	printf("%-40s %4llu programs: kernel %zu accepted, %zu rejected (%.1f s)\n",
	       "generator", (unsigned long long)(to - from), acc, rej, now() - t0);
}

static void usage(FILE *out)
{
	fputs("usage: bvc-corpus --out DIR [--objdir DIR] [--objdir2 DIR] [--progs-dir DIR]\n"
	      "                  [--gen-seeds A:B] [--kernel-cache FILE]\n"
	      "                  [--baseline FILE | --no-baseline] [--update-baseline]\n"
	      "                  [--grow-baseline] [--no-kernel] [--kernel-timeout S]\n"
	      "                  [--ours-timeout S] [--insn-limit N] [--filter TEXT] [-v]\n"
	      "                  [--gen-dump] [--jobs N]\n"
	      "  --objdir       compiled selftests with NAME.status files (prepare.sh)\n"
	      "  --objdir2      the same for tier 2 (the selftests' other programs)\n"
	      "  --kernel-cache the kernel's labels by object, program and kernel: read,\n"
	      "                 and written back with what this run asked\n"
	      "  --progs-dir    our tests/progs objects (NAME.bpf.o, clang19/NAME.bpf.o)\n"
	      "  --gen-seeds    generator seeds A (inclusive) to B (exclusive)\n"
	      "  --baseline     programs known not to agree; without one, only unsound fails\n"
	      "  --update-baseline  drop entries that agree now (the file only shrinks)\n"
	      "  --grow-baseline    with --update-baseline: also add new disagreements\n"
	      "  --no-kernel    do not ask the kernel: the annotations decide\n"
	      "  --filter       only programs whose id contains TEXT (selftests, tests/progs)\n"
	      "  --gen-dump     print each generated program's instructions\n"
	      "  --no-log-compare  skip the level-2 log comparison with the kernel (tier 1)\n"
	      "  --jobs         programs run at once (default: the online CPUs)\n"
	      "  -v             one line per program\n"
	      "Env: BVC_CORPUS_DUMP=ID prints the kernel's log for that program;\n"
	      "BVC_CORPUS_LOGDIFF=ID both level-2 logs of the log comparison.\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "objdir", required_argument, NULL, 'o' },
		{ "objdir2", required_argument, NULL, '2' },
		{ "kernel-cache", required_argument, NULL, 'C' },
		{ "progs-dir", required_argument, NULL, 'p' },
		{ "gen-seeds", required_argument, NULL, 'g' },
		{ "out", required_argument, NULL, 'O' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "no-baseline", no_argument, NULL, 'N' },
		{ "update-baseline", no_argument, NULL, 'u' },
		{ "grow-baseline", no_argument, NULL, 'G' },
		{ "no-kernel", no_argument, NULL, 'K' },
		{ "kernel-timeout", required_argument, NULL, 'k' },
		{ "ours-timeout", required_argument, NULL, 't' },
		{ "insn-limit", required_argument, NULL, 'l' },
		{ "compile-secs", required_argument, NULL, 'c' },
		{ "filter", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "gen-dump", no_argument, NULL, 'D' },
		{ "no-log-compare", no_argument, NULL, 'L' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *objdir = NULL, *objdir2 = NULL, *progs_dir = NULL, *out = NULL;
	const char *baseline = NULL, *kcache_path = NULL;
	size_t khits = 0, kadded = 0;
	unsigned long long gen_from = 0, gen_to = 0;
	int update = 0, grow = 0, no_kernel = 0, c, err;
	struct cp_run run = { 0 };
	struct cp_baseline bl;
	char why[CP_TEXT], errbuf[2 * CP_TEXT];
	double t0 = now(), compile_secs = -1;
	struct utsname uts;
	char *csv;

	run.ktimeout = 60;
	run.otimeout = 60;
	run.insn_limit = 1000000;
	run.jobs = cp_pool_default_jobs();
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': objdir = optarg; break;
		case '2': objdir2 = optarg; break;
		case 'C': kcache_path = optarg; break;
		case 'p': progs_dir = optarg; break;
		case 'g':
			if (sscanf(optarg, "%llu:%llu", &gen_from, &gen_to) != 2 || gen_to < gen_from) {
				fprintf(stderr, "bvc-corpus: --gen-seeds wants A:B with A <= B\n");
				return 2;
			}
			break;
		case 'O': out = optarg; break;
		case 'b': baseline = optarg; break;
		case 'N': baseline = NULL; break;
		case 'u': update = 1; break;
		case 'G': grow = 1; break;
		case 'K': no_kernel = 1; break;
		case 'k': run.ktimeout = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': run.otimeout = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'l': run.insn_limit = strtoull(optarg, NULL, 0); break;
		case 'c': compile_secs = strtod(optarg, NULL); break;
		case 'f': filter = optarg; break;
		case 'v': verbose = 1; break;
		case 'D': gen_dump = 1; break;
		case 'L': run.no_logcmp = 1; break;
		case 'j': run.jobs = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!out || optind != argc || (!objdir && !objdir2 && !progs_dir && gen_to == gen_from)) {
		usage(stderr);
		return 2;
	}
	if (!run.jobs || run.jobs > 64) {
		fprintf(stderr, "bvc-corpus: --jobs wants 1 to 64\n");
		return 2;
	}
	if (!run.ktimeout || !run.otimeout) {
		fprintf(stderr, "bvc-corpus: timeouts must be at least 1 s\n");
		return 2;
	}
	if (cp_child_init()) {
		fprintf(stderr, "bvc-corpus: mmap: %s\n", strerror(errno));
		return 2;
	}
	memset(&uts, 0, sizeof(uts));
	if (!uname(&uts))
		snprintf(run.kernel_release, sizeof(run.kernel_release), "%.20s %.100s",
			 uts.sysname, uts.release);
	if (objdir || objdir2) {
		const char *od = objdir ? objdir : objdir2;

		run.support_dir = xasprintf("%s/support", od);
		{
			char *p = xasprintf("%s/COMPILER", od);
			uint8_t *b;
			size_t sz;

			if (!read_file(p, &b, &sz)) {
				char *txt = calloc(1, sz + 1);

				if (!txt)
					cp_die_nomem();
				memcpy(txt, b, sz);
				cp_first_line(run.clang, sizeof(run.clang), txt);
				free(txt);
				free(b);
			}
			free(p);
		}
	}

	/* The oracle: privileged bpf(), or the annotations alone. */
	cp_libbpf_capture_begin();
	if (no_kernel) {
		snprintf(run.kernel_why, sizeof(run.kernel_why), "not asked (--no-kernel)");
		printf("kernel: not asked (--no-kernel): the annotations decide\n");
	} else if (cp_kernel_probe(&run.test_flags, why, sizeof(why))) {
		snprintf(run.kernel_why, sizeof(run.kernel_why), "%s", why);
		printf("kernel: %s; falling back to the annotations (the generator needs the "
		       "kernel and is skipped)\n", why);
	} else {
		run.kernel = 1;
		printf("kernel: %s, bpf() permitted, test flags 0x%x\n", run.kernel_release,
		       run.test_flags);
	}
	if (!run.kernel)
		gen_to = gen_from;
	if (run.kernel && kcache_path) {
		char id[3 * CP_TEXT];

		snprintf(id, sizeof(id), "%s %.100s libbpf %s test flags 0x%x", run.kernel_release,
			 uts.version, libbpf_version_string(), run.test_flags);
		kcache = cp_kcache_open(kcache_path, id);
	}

	/* CO-RE: libbpf relocates against this kernel's BTF; so do we. */
	{
		uint8_t *btf;
		size_t sz;

		if (!read_file(CP_HOST_BTF, &btf, &sz)) {
			if (bvc_core_target_new(btf, sz, &run.core, why, sizeof(why)))
				printf("CO-RE: %s: %s: programs with CO-RE records are unsupported\n",
				       CP_HOST_BTF, why);
			free(btf);
		} else {
			printf("CO-RE: no %s: programs with CO-RE records are unsupported\n",
			       CP_HOST_BTF);
		}
	}

	if (objdir)
		collect_selftests(&run, objdir, CP_TIER_SELFTEST);
	if (objdir2)
		collect_selftests(&run, objdir2, CP_TIER_SELFTEST2);
	if (progs_dir)
		collect_progs(&run, progs_dir);
	run_objects(&run);
	if (gen_to > gen_from)
		run_gen(&run, gen_from, gen_to);

	if (kcache) {
		err = cp_kcache_close(kcache, &khits, &kadded);
		kcache = NULL;
		if (err)
			fprintf(stderr, "bvc-corpus: %s: %s (the labels are not cached)\n",
				kcache_path, strerror(-err));
		printf("kernel labels: %zu from %s, %zu asked\n", khits, kcache_path, kadded);
		run.kcache_hits = khits;
		run.kcache_asked = kadded;
	}

	/* The baseline. */
	memset(&bl, 0, sizeof(bl));
	if (baseline) {
		err = cp_baseline_load(&bl, baseline);
		if (err) {
			fprintf(stderr, "bvc-corpus: %s: %s\n", baseline, strerror(-err));
			return 2;
		}
		if (!bl.loaded)
			printf("baseline: %s does not exist: every disagreement is a regression\n",
			       baseline);
		bl.loaded = 1; /* an empty or missing baseline is still a baseline */
		if (update) {
			size_t added, dropped;
			int refused;

			err = cp_baseline_update(&bl, &run, grow);
			if (err) {
				fprintf(stderr, "bvc-corpus: updating %s: %s\n", baseline,
					strerror(-err));
				return 2;
			}
			added = bl.added;
			dropped = bl.dropped;
			refused = bl.grow_refused;
			cp_baseline_free(&bl);
			cp_baseline_load(&bl, baseline);
			bl.loaded = 1;
			bl.updated = 1;
			bl.added = added;
			bl.dropped = dropped;
			bl.grow_refused = refused;
			printf("baseline: %s rewritten: %zu entries dropped, %zu added%s\n", baseline,
			       dropped, added,
			       refused ? " (new disagreements NOT added: that needs --grow-baseline)"
				       : "");
		}
	}
	cp_baseline_apply(&bl, &run);

	if (mkdir(out, 0755) && errno != EEXIST) {
		fprintf(stderr, "bvc-corpus: mkdir %s: %s\n", out, strerror(errno));
		return 2;
	}
	csv = xasprintf("%s/kernel.csv", out);
	if (cp_csv_write(&run, csv))
		fprintf(stderr, "bvc-corpus: cannot write %s\n", csv);
	if (cp_report_write(&run, out, &bl, compile_secs, now() - t0, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "bvc-corpus: %s\n", errbuf);
		return 2;
	}
	printf("report: %s/report.md\n", out);
	printf("kernel: %s\n", csv);
	if (bl.unsound)
		printf("UNSOUND: %zu programs accepted by bpfvc and rejected by the kernel or "
		       "the annotation (see the report)\n", bl.unsound);
	if (bl.regressions)
		printf("REGRESSIONS: %zu programs left agreement and are not in the baseline "
		       "(see the report)\n", bl.regressions);
	printf("%zu passed, %zu failed\n", bl.passed, bl.failed);
	free(csv);
	return bl.failed ? 1 : 0;
}
