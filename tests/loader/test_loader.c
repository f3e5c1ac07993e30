// SPDX-License-Identifier: MIT
/*
 * Loader tests: load each object of tests/progs (both compilers' builds when
 * clang-19 is there) and check what the image says against what the ELF
 * file says, read independently here with libelf: section and symbol sizes
 * give instruction counts and subprogram positions, symbol values give
 * global-data offsets and initial values, relocations give the maps each
 * ld_imm64 must name. Then the image goes to the running kernel (maps
 * created, indexes turned into fds), which must accept it as it accepts the
 * object through bpftool. Bad input: each case must give a negative errno
 * and one line naming the file and the problem, and never crash (the ASan
 * build checks leaks and bounds too).
 */
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"

#define ERRSZ 512

/* Build directories of the test objects: clang 14, then clang-19. */
static const char *const prog_dirs[] = { BVC_PROGS_DIR, BVC_PROGS_DIR "/clang19" };

/* ---- helpers: files ---------------------------------------------------- */

static char *obj_path(const char *dir, const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s.bpf.o", dir, name) > 0);
	return p;
}

static int file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static uint8_t *read_all(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0, "open %s", path);
	cr_assert(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size ? (size_t)st.st_size : 1);
	cr_assert(buf);
	cr_assert(read(fd, buf, (size_t)st.st_size) == st.st_size);
	close(fd);
	*size = (size_t)st.st_size;
	return buf;
}

/* Write @size bytes to a new temporary file; returns its path. */
static char *write_tmp(const void *buf, size_t size)
{
	char *path = strdup("/tmp/bvc-loader-test-XXXXXX");
	int fd;

	cr_assert(path);
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert(write(fd, buf, size) == (ssize_t)size);
	close(fd);
	return path;
}

static void rm_tmp(char *path)
{
	unlink(path);
	free(path);
}

/* ---- helpers: the ELF file, read independently of the loader ----------- */

struct elf_view {
	uint8_t *buf;
	size_t size;
	Elf *elf;
	size_t shstrndx;
};

static void ev_open(struct elf_view *ev, const char *path)
{
	ev->buf = read_all(path, &ev->size);
	cr_assert(elf_version(EV_CURRENT) != EV_NONE);
	ev->elf = elf_memory((char *)ev->buf, ev->size);
	cr_assert(ev->elf);
	cr_assert(elf_getshdrstrndx(ev->elf, &ev->shstrndx) == 0);
}

static void ev_close(struct elf_view *ev)
{
	elf_end(ev->elf);
	free(ev->buf);
}

static Elf_Scn *ev_sec(struct elf_view *ev, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ev->elf, scn))) {
		cr_assert(gelf_getshdr(scn, sh));
		if (!strcmp(elf_strptr(ev->elf, ev->shstrndx, sh->sh_name), name))
			return scn;
	}
	return NULL;
}

static size_t ev_sec_size(struct elf_view *ev, const char *name)
{
	GElf_Shdr sh;

	cr_assert(ev_sec(ev, name, &sh), "no section %s", name);
	return sh.sh_size;
}

static const char *ev_sec_name(struct elf_view *ev, size_t idx)
{
	GElf_Shdr sh;

	cr_assert(gelf_getshdr(elf_getscn(ev->elf, idx), &sh));
	return elf_strptr(ev->elf, ev->shstrndx, sh.sh_name);
}

/* Symbol @name; cr_asserts it exists. */
static GElf_Sym ev_sym(struct elf_view *ev, const char *name)
{
	GElf_Shdr sh;
	Elf_Scn *scn = NULL;
	Elf_Data *d;
	GElf_Sym sym;
	size_t i;

	while ((scn = elf_nextscn(ev->elf, scn))) {
		cr_assert(gelf_getshdr(scn, &sh));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			cr_assert(gelf_getsym(d, (int)i, &sym));
			if (!strcmp(elf_strptr(ev->elf, sh.sh_link, sym.st_name), name))
				return sym;
		}
	}
	cr_assert_fail("no symbol %s", name);
	return sym;
}

/* Call @fn for every relocation of code section @sec: offset, symbol. */
static void ev_each_rel(struct elf_view *ev, const char *sec,
			void (*fn)(struct elf_view *, const GElf_Rel *, const GElf_Sym *, const char *,
				   void *),
			void *arg)
{
	char relname[256];
	GElf_Shdr sh, symsh;
	Elf_Scn *scn;
	Elf_Data *d, *symd;
	GElf_Rel r;
	GElf_Sym sym;
	size_t i;

	snprintf(relname, sizeof(relname), ".rel%s", sec);
	scn = ev_sec(ev, relname, &sh);
	if (!scn)
		return;
	d = elf_getdata(scn, NULL);
	symd = elf_getdata(elf_getscn(ev->elf, sh.sh_link), NULL);
	cr_assert(gelf_getshdr(elf_getscn(ev->elf, sh.sh_link), &symsh));
	for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
		cr_assert(gelf_getrel(d, (int)i, &r));
		cr_assert(gelf_getsym(symd, (int)GELF_R_SYM(r.r_info), &sym));
		fn(ev, &r, &sym, elf_strptr(ev->elf, symsh.sh_link, sym.st_name), arg);
	}
}

/* The original instruction at byte @off of section @sec. */
static struct bvc_insn ev_insn(struct elf_view *ev, const char *sec, uint64_t off)
{
	struct bvc_insn insn;
	GElf_Shdr sh;

	cr_assert(ev_sec(ev, sec, &sh));
	cr_assert(off + 8 <= sh.sh_size);
	memcpy(&insn, ev->buf + sh.sh_offset + off, sizeof(insn));
	return insn;
}

/* ---- helpers: images --------------------------------------------------- */

static struct bvc_image *load_ok(const char *path)
{
	struct bvc_image *img = NULL;
	char err[ERRSZ];
	int ret = bvc_load_elf(path, &img, err, sizeof(err));

	cr_assert_eq(ret, 0, "%s: load failed (%d): %s", path, ret, err);
	cr_assert(img);
	return img;
}

static const struct bvc_prog *prog_ok(const struct bvc_image *img, const char *name)
{
	const struct bvc_prog *p = bvc_image_find_prog(img, name);

	cr_assert(p, "%s: no program %s", img->path, name);
	return p;
}

static int map_by_name(const struct bvc_image *img, const char *name)
{
	size_t i;

	for (i = 0; i < img->map_cnt; i++)
		if (!strcmp(img->maps[i].name, name))
			return (int)i;
	cr_assert_fail("%s: no map %s", img->path, name);
	return -1;
}

static const struct bvc_func_info *func_named(const struct bvc_prog *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->func_cnt; i++)
		if (!strcmp(p->funcs[i].name, name))
			return &p->funcs[i];
	cr_assert_fail("%s: no func_info %s", p->name, name);
	return NULL;
}

/* Where a call or a function pointer at @i lands. */
static size_t target_of(const struct bvc_prog *p, size_t i)
{
	return (size_t)((int64_t)i + p->insns[i].imm + 1);
}

/* Facts that hold for every image: map references are valid, calls land
 * on func_info starts, func_info and line_info are sorted and in range. */
static void check_image_invariants(const struct bvc_image *img)
{
	size_t k, i, j;

	cr_assert_gt(img->prog_cnt, 0);
	for (k = 0; k < img->prog_cnt; k++) {
		const struct bvc_prog *p = &img->progs[k];

		cr_assert_leq(p->main_cnt, p->insn_cnt);
		cr_assert_gt(p->main_cnt, 0);
		for (i = 0; i < p->insn_cnt; i++) {
			const struct bvc_insn *in = &p->insns[i];

			if (bvc_insn_is_ld_imm64(in)) {
				cr_assert_lt(i + 1, p->insn_cnt, "%s: cut ld_imm64", p->name);
				if (in->src == BVC_PSEUDO_MAP_IDX || in->src == BVC_PSEUDO_MAP_IDX_VALUE) {
					cr_assert_lt((size_t)in->imm, img->map_cnt,
						     "%s insn %zu: map index %d of %zu", p->name, i,
						     in->imm, img->map_cnt);
				}
				if (in->src == BVC_PSEUDO_MAP_IDX_VALUE)
					cr_assert_neq(img->maps[in->imm].origin, BVC_MAP_USER);
				if (in->src == BVC_PSEUDO_FUNC && p->func_cnt) {
					for (j = 0; j < p->func_cnt; j++)
						if (p->funcs[j].insn == target_of(p, i))
							break;
					cr_assert_lt(j, p->func_cnt, "%s insn %zu: callback target", p->name, i);
				}
				i++;
				continue;
			}
			if (in->code == (BVC_JMP | BVC_CALL) && in->src == BVC_PSEUDO_CALL) {
				cr_assert_lt(target_of(p, i), p->insn_cnt);
				for (j = 0; j < p->func_cnt; j++)
					if (p->funcs[j].insn == target_of(p, i))
						break;
				cr_assert(!p->func_cnt || j < p->func_cnt,
					  "%s insn %zu: call lands on %zu, not a function start", p->name, i,
					  target_of(p, i));
			}
		}
		if (p->func_cnt)
			cr_assert_eq(p->funcs[0].insn, 0);
		for (j = 1; j < p->func_cnt; j++)
			cr_assert_gt(p->funcs[j].insn, p->funcs[j - 1].insn);
		for (j = 0; j < p->line_cnt; j++) {
			cr_assert_lt(p->lines[j].insn, p->insn_cnt);
			cr_assert(p->lines[j].file && p->lines[j].source);
			if (j)
				cr_assert_geq(p->lines[j].insn, p->lines[j - 1].insn);
		}
		cr_assert(!p->core_relo_cnt == !p->core_relos);
		for (j = 0; j < p->core_relo_cnt; j++) {
			cr_assert_lt(p->core_relos[j].insn, p->insn_cnt);
			cr_assert(p->core_relos[j].access && p->core_relos[j].type_name);
			if (j)
				cr_assert_geq(p->core_relos[j].insn, p->core_relos[j - 1].insn);
		}
		cr_assert_lt(strnlen(p->load_refused, sizeof(p->load_refused)),
			     sizeof(p->load_refused));
	}
}

/* Facts of an object clang wrote: BTF names agree with ELF symbols. */
static void check_image_facts(const struct bvc_image *img)
{
	size_t k;

	check_image_invariants(img);
	for (k = 0; k < img->prog_cnt; k++) {
		const struct bvc_prog *p = &img->progs[k];

		cr_assert_gt(p->func_cnt, 0, "%s: no func_info", p->name);
		cr_assert_str_eq(p->funcs[0].name, p->name);
		cr_assert_gt(p->line_cnt, 0, "%s: no line_info", p->name);
		cr_assert_eq(p->lines[0].insn, 0);
	}
}

/* ld_imm64 relocations of one section, checked against a program. */
struct rel_check {
	const struct bvc_image *img;
	const struct bvc_prog *prog;
	const char *sec;
	int seen;
};

static void check_one_rel(struct elf_view *ev, const GElf_Rel *r, const GElf_Sym *sym,
			  const char *symname, void *arg)
{
	struct rel_check *rc = arg;
	const struct bvc_prog *p = rc->prog;
	const char *symsec;
	struct bvc_insn orig;
	uint64_t i;

	if (GELF_R_TYPE(r->r_info) != R_BPF_64_64)
		return;
	i = r->r_offset / 8;
	if (i < p->sec_insn_off || i >= p->sec_insn_off + p->main_cnt)
		return;
	i -= p->sec_insn_off;
	orig = ev_insn(ev, rc->sec, r->r_offset);
	symsec = ev_sec_name(ev, sym->st_shndx);
	if (!strcmp(symsec, ".maps")) {
		cr_assert_eq(p->insns[i].src, BVC_PSEUDO_MAP_IDX, "%s insn %lu", p->name, i);
		cr_assert_str_eq(rc->img->maps[p->insns[i].imm].name, symname);
		rc->seen++;
	} else if (!strncmp(symsec, ".data", 5) || !strncmp(symsec, ".rodata", 7) ||
		   !strncmp(symsec, ".bss", 4)) {
		cr_assert_eq(p->insns[i].src, BVC_PSEUDO_MAP_IDX_VALUE, "%s insn %lu", p->name, i);
		cr_assert_str_eq(rc->img->maps[p->insns[i].imm].name, symsec);
		/* The offset: symbol value plus what clang left in imm. */
		cr_assert_eq(p->insns[i + 1].imm, (int32_t)(sym->st_value + orig.imm),
			     "%s insn %lu (%s)", p->name, i, symname);
		rc->seen++;
	} else if (!strcmp(symsec, ".text")) {
		/* A function's address: a callback. */
		cr_assert_eq(p->insns[i].src, BVC_PSEUDO_FUNC, "%s insn %lu", p->name, i);
		cr_assert_lt(target_of(p, i), p->insn_cnt);
	} else {
		cr_assert_fail("%s insn %lu: relocation against %s in %s", p->name, i, symname, symsec);
	}
}

/* Every ld_imm64 of the entry function that the ELF relocates against a
 * map or global data names the right map, with the right offset. */
static int check_map_refs(struct elf_view *ev, const struct bvc_image *img, const struct bvc_prog *p)
{
	struct rel_check rc = { img, p, p->sec_name, 0 };

	ev_each_rel(ev, p->sec_name, check_one_rel, &rc);
	return rc.seen;
}

/* Index of the image's first ld_imm64 of map @map (any offset). */
static long find_map_ref(const struct bvc_prog *p, int map, int32_t off)
{
	size_t i;

	for (i = 0; i + 1 < p->insn_cnt; i++) {
		if (!bvc_insn_is_ld_imm64(&p->insns[i]))
			continue;
		if (p->insns[i].imm == map && (p->insns[i].src == BVC_PSEUDO_MAP_IDX ||
					       (p->insns[i].src == BVC_PSEUDO_MAP_IDX_VALUE &&
						(off < 0 || p->insns[i + 1].imm == off))))
			return (long)i;
		i++;
	}
	return -1;
}

/* ---- helpers: the kernel as the final word ----------------------------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Create the image's maps, point the program at them by fd, and load it.
 * Returns 1 accepted, 0 refused (log in @log), -1 bpf() unavailable. */
static int kernel_load(const struct bvc_image *img, const struct bvc_prog *p, char *log, size_t logsz)
{
	struct bvc_insn *insns = malloc(p->insn_cnt * sizeof(*insns));
	struct bpf_func_info *fi = NULL;
	struct bpf_line_info *li = NULL;
	int fds[16], ret = 0, fd, btf_fd = -1;
	union bpf_attr a;
	size_t i;

	cr_assert(insns && img->map_cnt <= 16);
	memcpy(insns, p->insns, p->insn_cnt * sizeof(*insns));
	for (i = 0; i < img->map_cnt; i++) {
		const struct bvc_map *m = &img->maps[i];
		uint32_t key = 0;

		memset(&a, 0, sizeof(a));
		a.map_type = m->type;
		a.key_size = m->key_size;
		a.value_size = m->value_size;
		a.max_entries = m->max_entries;
		a.map_flags = m->flags;
		fds[i] = (int)sys_bpf(BPF_MAP_CREATE, &a);
		if (fds[i] < 0) {
			cr_assert(errno == EPERM || errno == ENOSYS, "map %s: %s", m->name, strerror(errno));
			free(insns);
			return -1;
		}
		if (m->init) {
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)fds[i];
			a.key = (uint64_t)(uintptr_t)&key;
			a.value = (uint64_t)(uintptr_t)m->init;
			cr_assert(sys_bpf(BPF_MAP_UPDATE_ELEM, &a) == 0, "%s", strerror(errno));
			if (m->origin == BVC_MAP_RODATA) {
				memset(&a, 0, sizeof(a));
				a.map_fd = (uint32_t)fds[i];
				cr_assert(sys_bpf(BPF_MAP_FREEZE, &a) == 0);
			}
		}
	}
	for (i = 0; i + 1 < p->insn_cnt; i++) {
		if (!bvc_insn_is_ld_imm64(&insns[i]))
			continue;
		if (insns[i].src == BVC_PSEUDO_MAP_IDX) {
			insns[i].src = BPF_PSEUDO_MAP_FD;
			insns[i].imm = fds[insns[i].imm];
		} else if (insns[i].src == BVC_PSEUDO_MAP_IDX_VALUE) {
			insns[i].src = BPF_PSEUDO_MAP_VALUE;
			insns[i].imm = fds[insns[i].imm];
		}
		i++;
	}
	/* BTF, func_info and line_info as libbpf would pass them: the kernel
	 * wants func_info for callbacks and checks all three against the
	 * program. */
	if (img->btf) {
		memset(&a, 0, sizeof(a));
		a.btf = (uint64_t)(uintptr_t)img->btf;
		a.btf_size = (uint32_t)img->btf_size;
		btf_fd = (int)sys_bpf(BPF_BTF_LOAD, &a);
		cr_assert(btf_fd >= 0, "BTF_LOAD: %s", strerror(errno));
		fi = calloc(p->func_cnt + 1, sizeof(*fi));
		li = calloc(p->line_cnt + 1, sizeof(*li));
		cr_assert(fi && li);
		for (i = 0; i < p->func_cnt; i++) {
			fi[i].insn_off = p->funcs[i].insn;
			fi[i].type_id = p->funcs[i].btf_id;
		}
		for (i = 0; i < p->line_cnt; i++) {
			li[i].insn_off = p->lines[i].insn;
			li[i].file_name_off = (uint32_t)(p->lines[i].file - img->strings);
			li[i].line_off = (uint32_t)(p->lines[i].source - img->strings);
			li[i].line_col = p->lines[i].line << 10 | p->lines[i].col;
		}
	}
	memset(&a, 0, sizeof(a));
	if (btf_fd >= 0) {
		a.prog_btf_fd = (uint32_t)btf_fd;
		a.func_info = (uint64_t)(uintptr_t)fi;
		a.func_info_rec_size = sizeof(*fi);
		a.func_info_cnt = (uint32_t)p->func_cnt;
		a.line_info = (uint64_t)(uintptr_t)li;
		a.line_info_rec_size = sizeof(*li);
		a.line_info_cnt = (uint32_t)p->line_cnt;
	}
	a.prog_type = p->type;
	a.expected_attach_type = p->expected_attach_type;
	a.prog_flags = p->prog_flags;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)p->insn_cnt;
	a.license = (uint64_t)(uintptr_t)img->license;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = (uint32_t)logsz;
	a.log_level = 1;
	log[0] = '\0';
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		close(fd);
		ret = 1;
	} else if (errno == EPERM || errno == ENOSYS) {
		ret = -1;
	}
	for (i = 0; i < img->map_cnt; i++)
		close(fds[i]);
	if (btf_fd >= 0)
		close(btf_fd);
	free(fi);
	free(li);
	free(insns);
	return ret;
}

static void assert_kernel_accepts(const struct bvc_image *img, const struct bvc_prog *p)
{
	static char log[1 << 20];
	int r = kernel_load(img, p, log, sizeof(log));

	if (r < 0)
		return; /* no bpf() here: the other facts still stand */
	cr_assert_eq(r, 1, "%s: kernel refused %s: %.2000s", img->path, p->name, log);
}

/* ---- good objects ------------------------------------------------------ */

/* Run @fn on each build of object @name (clang 14, clang-19 if built). */
static void each_build(const char *name, void (*fn)(const char *path))
{
	size_t d;
	int ran = 0;

	for (d = 0; d < sizeof(prog_dirs) / sizeof(prog_dirs[0]); d++) {
		char *path = obj_path(prog_dirs[d], name);

		if (d == 0 || file_exists(path)) {
			fn(path);
			ran++;
		}
		free(path);
	}
	cr_assert_gt(ran, 0);
}

static void xdp_parser(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_prog *p;
	struct elf_view ev;
	int m;

	ev_open(&ev, path);
	check_image_facts(img);
	cr_assert_eq(img->prog_cnt, 1);
	p = prog_ok(img, "xdp_parse");
	cr_assert_str_eq(p->sec_name, "xdp");
	cr_assert_eq(p->type, BVC_PROG_XDP);
	cr_assert_eq(p->expected_attach_type, BPF_XDP);
	cr_assert_str_eq(img->license, "Dual MIT/GPL");
	/* No subprograms: the program is its whole section. */
	cr_assert_eq(p->insn_cnt, ev_sec_size(&ev, "xdp") / 8);
	cr_assert_eq(p->main_cnt, p->insn_cnt);

	cr_assert_eq(img->map_cnt, 1);
	m = map_by_name(img, "proto_count");
	cr_assert_eq(img->maps[m].type, BVC_MAP_HASH);
	cr_assert_eq(img->maps[m].key_size, 4);
	cr_assert_eq(img->maps[m].value_size, 8);
	cr_assert_eq(img->maps[m].max_entries, 260);
	cr_assert_eq(img->maps[m].origin, BVC_MAP_USER);
	cr_assert_null(img->maps[m].init);
	cr_assert_neq(img->maps[m].btf_key_type_id, 0);
	cr_assert_neq(img->maps[m].btf_value_type_id, 0);
	cr_assert_gt(check_map_refs(&ev, img, p), 0);

	cr_assert_eq(p->func_cnt, 1);
	cr_assert_eq(p->funcs[0].linkage, BVC_FUNC_GLOBAL);
	cr_assert_gt(p->line_cnt, 0);
	cr_assert_eq(p->lines[0].insn, 0);
	cr_assert(strstr(p->lines[0].file, "xdp_parser.bpf.c"), "%s", p->lines[0].file);
	cr_assert(strstr(p->lines[0].source, "xdp_parse"), "%s", p->lines[0].source);
	cr_assert_not_null(img->btf);

	assert_kernel_accepts(img, p);
	ev_close(&ev);
	bvc_image_free(img);
}

Test(loader, xdp_parser) { each_build("xdp_parser", xdp_parser); }

static void socket_filter(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_prog *p;
	struct elf_view ev;
	GElf_Sym snap;
	uint32_t v;
	size_t i, ld_abs = 0;
	int m;

	ev_open(&ev, path);
	check_image_facts(img);
	p = prog_ok(img, "tcp_only");
	cr_assert_str_eq(p->sec_name, "socket");
	cr_assert_eq(p->type, BVC_PROG_SOCKET_FILTER);
	cr_assert_eq(p->insn_cnt, ev_sec_size(&ev, "socket") / 8);
	for (i = 0; i < p->insn_cnt; i++)
		if (p->insns[i].code == (BVC_LD | BVC_ABS | BVC_B) ||
		    p->insns[i].code == (BVC_LD | BVC_ABS | BVC_H))
			ld_abs++;
	cr_assert_eq(ld_abs, 2);

	/* snap_len lives in .rodata: a frozen, read-only array map. */
	m = map_by_name(img, ".rodata");
	cr_assert_eq(img->maps[m].origin, BVC_MAP_RODATA);
	cr_assert_eq(img->maps[m].type, BVC_MAP_ARRAY);
	cr_assert_eq(img->maps[m].max_entries, 1);
	cr_assert_eq(img->maps[m].key_size, 4);
	cr_assert_eq(img->maps[m].value_size, ev_sec_size(&ev, ".rodata"));
	cr_assert(img->maps[m].flags & BPF_F_RDONLY_PROG);
	snap = ev_sym(&ev, "snap_len");
	memcpy(&v, img->maps[m].init + snap.st_value, sizeof(v));
	cr_assert_eq(v, 0xffff);
	cr_assert_geq(find_map_ref(p, m, (int32_t)snap.st_value), 0);
	cr_assert_gt(check_map_refs(&ev, img, p), 0);

	assert_kernel_accepts(img, p);
	ev_close(&ev);
	bvc_image_free(img);
}

Test(loader, socket_filter) { each_build("socket_filter", socket_filter); }

static void kprobe_counter(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_prog *p;
	struct elf_view ev;
	GElf_Sym s;
	uint64_t v64;
	uint32_t v32;
	size_t i;
	int data, rodata, bss;

	ev_open(&ev, path);
	check_image_facts(img);
	p = prog_ok(img, "count_nanosleep");
	cr_assert_str_eq(p->sec_name, "kprobe/do_nanosleep");
	cr_assert_eq(p->type, BVC_PROG_KPROBE);
	cr_assert_eq(p->insn_cnt, ev_sec_size(&ev, "kprobe/do_nanosleep") / 8);

	cr_assert_eq(img->map_cnt, 3);
	data = map_by_name(img, ".data");
	rodata = map_by_name(img, ".rodata");
	bss = map_by_name(img, ".bss");
	cr_assert_eq(img->maps[data].origin, BVC_MAP_DATA);
	cr_assert_eq(img->maps[rodata].origin, BVC_MAP_RODATA);
	cr_assert_eq(img->maps[bss].origin, BVC_MAP_BSS);
	cr_assert(!(img->maps[data].flags & BPF_F_RDONLY_PROG));

	/* Initial values, read at each variable's symbol value. */
	s = ev_sym(&ev, "samples");
	memcpy(&v64, img->maps[data].init + s.st_value, 8);
	cr_assert_eq(v64, 0x1122334455667788ULL);
	cr_assert_geq(find_map_ref(p, data, (int32_t)s.st_value), 0, "no ld_imm64 of samples");
	s = ev_sym(&ev, "sample_every");
	memcpy(&v32, img->maps[rodata].init + s.st_value, 4);
	cr_assert_eq(v32, 4);
	cr_assert_geq(find_map_ref(p, rodata, (int32_t)s.st_value), 0);
	cr_assert_eq(img->maps[bss].value_size, ev_sec_size(&ev, ".bss"));
	cr_assert_eq(img->maps[bss].init_size, img->maps[bss].value_size);
	for (i = 0; i < img->maps[bss].init_size; i++)
		cr_assert_eq(img->maps[bss].init[i], 0);
	s = ev_sym(&ev, "calls");
	cr_assert_geq(find_map_ref(p, bss, (int32_t)s.st_value), 0);
	s = ev_sym(&ev, "last_pid");
	cr_assert_geq(find_map_ref(p, bss, (int32_t)s.st_value), 0);
	cr_assert_gt(check_map_refs(&ev, img, p), 0);

	assert_kernel_accepts(img, p);
	ev_close(&ev);
	bvc_image_free(img);
}

Test(loader, kprobe_counter) { each_build("kprobe_counter", kprobe_counter); }

static void subprog_loop(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_func_info *fold, *mix;
	const struct bvc_prog *p;
	struct elf_view ev;
	GElf_Sym s_fold, s_mix, s_main;
	size_t i, calls_to_fold = 0, calls_to_mix = 0, back_jumps = 0, lines_in_fold = 0;

	ev_open(&ev, path);
	check_image_facts(img);
	p = prog_ok(img, "hash_head");
	cr_assert_eq(p->type, BVC_PROG_SCHED_CLS);
	cr_assert_str_eq(p->sec_name, "tc");
	s_main = ev_sym(&ev, "hash_head");
	s_fold = ev_sym(&ev, "fold");
	s_mix = ev_sym(&ev, "mix");
	cr_assert_eq(p->main_cnt, s_main.st_size / 8);
	cr_assert_eq(p->main_cnt, ev_sec_size(&ev, "tc") / 8);
	/* Both .text functions appended, once. */
	cr_assert_eq(p->insn_cnt, p->main_cnt + (s_fold.st_size + s_mix.st_size) / 8);
	cr_assert_eq(p->insn_cnt, p->main_cnt + ev_sec_size(&ev, ".text") / 8);

	cr_assert_eq(p->func_cnt, 3);
	fold = func_named(p, "fold");
	mix = func_named(p, "mix");
	cr_assert_eq(fold->insn, p->main_cnt, "fold is at insn %u", fold->insn);
	cr_assert_eq(mix->insn, p->main_cnt + s_fold.st_size / 8);
	cr_assert_eq(fold->linkage, BVC_FUNC_STATIC);

	for (i = 0; i < p->insn_cnt; i++) {
		const struct bvc_insn *in = &p->insns[i];

		if (in->code == (BVC_JMP | BVC_CALL) && in->src == BVC_PSEUDO_CALL) {
			if (target_of(p, i) == fold->insn) {
				cr_assert_lt(i, p->main_cnt);
				calls_to_fold++;
			} else if (target_of(p, i) == mix->insn) {
				cr_assert(i >= fold->insn && i < mix->insn);
				calls_to_mix++;
			} else {
				cr_assert_fail("call at %zu lands on %zu", i, target_of(p, i));
			}
		}
		/* The bounded loop: a backward jump inside fold. */
		if (i >= fold->insn && i < mix->insn && bvc_insn_class(in) == BVC_JMP &&
		    bvc_insn_op(in) != BVC_CALL && bvc_insn_op(in) != BVC_EXIT && in->off < 0)
			back_jumps++;
	}
	cr_assert_eq(calls_to_fold, 1);
	cr_assert_geq(calls_to_mix, 1);
	cr_assert_geq(back_jumps, 1, "the loop in fold was unrolled");

	/* Line info of the appended subprogram moved with it. */
	for (i = 0; i < p->line_cnt; i++)
		if (p->lines[i].insn >= fold->insn && p->lines[i].insn < mix->insn) {
			lines_in_fold++;
			cr_assert(strstr(p->lines[i].file, "subprog_loop.bpf.c"));
		}
	cr_assert_gt(lines_in_fold, 0);
	for (i = 0; i < p->line_cnt; i++)
		if (p->lines[i].insn == fold->insn)
			break;
	cr_assert_lt(i, p->line_cnt, "no line info at fold's first insn");
	cr_assert(strstr(p->lines[i].source, "fold("), "%s", p->lines[i].source);

	assert_kernel_accepts(img, p);
	ev_close(&ev);
	bvc_image_free(img);
}

Test(loader, subprog_loop) { each_build("subprog_loop", subprog_loop); }

static void ringbuf_producer(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_prog *p;
	struct elf_view ev;
	int m;

	ev_open(&ev, path);
	check_image_facts(img);
	p = prog_ok(img, "on_write");
	cr_assert_eq(p->type, BVC_PROG_TRACEPOINT);
	cr_assert_str_eq(p->sec_name, "tracepoint/syscalls/sys_enter_write");
	cr_assert_eq(p->insn_cnt, ev_sec_size(&ev, "tracepoint/syscalls/sys_enter_write") / 8);
	cr_assert_eq(img->map_cnt, 1);
	m = map_by_name(img, "events");
	cr_assert_eq(img->maps[m].type, BVC_MAP_RINGBUF);
	cr_assert_eq(img->maps[m].key_size, 0);
	cr_assert_eq(img->maps[m].value_size, 0);
	cr_assert_eq(img->maps[m].max_entries, 16 * 4096);
	cr_assert_geq(find_map_ref(p, m, -1), 0);
	cr_assert_eq(check_map_refs(&ev, img, p), 1);

	assert_kernel_accepts(img, p);
	ev_close(&ev);
	bvc_image_free(img);
}

Test(loader, ringbuf_producer) { each_build("ringbuf_producer", ringbuf_producer); }

/* Does @p call (or take the address of) a function that starts at @at? */
static int refers_to(const struct bvc_prog *p, size_t at, int want_src_ld)
{
	size_t i;

	for (i = 0; i < p->insn_cnt; i++) {
		const struct bvc_insn *in = &p->insns[i];

		if (want_src_ld && bvc_insn_is_ld_imm64(in) && in->src == BVC_PSEUDO_FUNC &&
		    target_of(p, i) == at)
			return 1;
		if (!want_src_ld && in->code == (BVC_JMP | BVC_CALL) && in->src == BVC_PSEUDO_CALL &&
		    target_of(p, i) == at)
			return 1;
		if (bvc_insn_is_ld_imm64(in))
			i++;
	}
	return 0;
}

static void loader_calls(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_prog *first, *second, *probe, *frags;
	struct elf_view ev;
	GElf_Sym s;
	int32_t v;
	size_t expect;
	int m;

	ev_open(&ev, path);
	check_image_facts(img);
	cr_assert_eq(img->prog_cnt, 4);
	frags = prog_ok(img, "frags");
	cr_assert_eq(frags->type, BVC_PROG_XDP);
	cr_assert_eq(frags->prog_flags, BPF_F_XDP_HAS_FRAGS);
	first = prog_ok(img, "xdp_first");
	second = prog_ok(img, "xdp_second");
	probe = prog_ok(img, "probe");
	cr_assert_str_eq(first->sec_name, "xdp");
	cr_assert_str_eq(second->sec_name, "xdp");
	cr_assert_eq(first->prog_flags, 0);
	cr_assert_eq(probe->type, BVC_PROG_KPROBE);
	/* Programs of one section come in offset order. */
	cr_assert_lt(second->sec_insn_off, first->sec_insn_off);
	cr_assert_eq(second->sec_insn_off, ev_sym(&ev, "xdp_second").st_value / 8);

	/* xdp_first reaches: loop_cb (function pointer), in_sec_helper (same
	 * section, no relocation), xdp_second (another program), and through
	 * them text_helper; each appended once. */
	expect = (ev_sym(&ev, "xdp_first").st_size + ev_sym(&ev, "loop_cb").st_size +
		  ev_sym(&ev, "in_sec_helper").st_size + ev_sym(&ev, "xdp_second").st_size +
		  ev_sym(&ev, "text_helper").st_size) / 8;
	cr_assert_eq(first->insn_cnt, expect);
	cr_assert_eq(first->main_cnt, ev_sym(&ev, "xdp_first").st_size / 8);
	cr_assert(refers_to(first, func_named(first, "loop_cb")->insn, 1));
	cr_assert(refers_to(first, func_named(first, "in_sec_helper")->insn, 0));
	cr_assert(refers_to(first, func_named(first, "xdp_second")->insn, 0));
	cr_assert(refers_to(first, func_named(first, "text_helper")->insn, 0));
	cr_assert_eq(first->func_cnt, 5);
	cr_assert_eq(second->insn_cnt,
		     (ev_sym(&ev, "xdp_second").st_size + ev_sym(&ev, "text_helper").st_size) / 8);

	/* Global data in every kind of section. */
	m = map_by_name(img, ".data");
	s = ev_sym(&ev, "data_val");
	memcpy(&v, img->maps[m].init + s.st_value, 4);
	cr_assert_eq(v, 1234);
	cr_assert_geq(find_map_ref(probe, m, (int32_t)s.st_value), 0);
	m = map_by_name(img, ".data.custom");
	cr_assert_eq(img->maps[m].origin, BVC_MAP_DATA);
	memcpy(&v, img->maps[m].init + ev_sym(&ev, "custom_val").st_value, 4);
	cr_assert_eq(v, 77);
	/* bpf_printk's format follows table in .rodata and is reached through
	 * the section symbol, with its offset in imm. */
	m = map_by_name(img, ".rodata");
	cr_assert_geq(find_map_ref(second, m, (int32_t)ev_sym(&ev, "table").st_size), 0);
	cr_assert_geq(find_map_ref(first, m, (int32_t)ev_sym(&ev, "table").st_value), 0);
	m = map_by_name(img, ".rodata.str1.1");
	cr_assert_eq(img->maps[m].origin, BVC_MAP_RODATA);
	cr_assert(memmem(img->maps[m].init, img->maps[m].init_size, "loader", 7));
	cr_assert_geq(find_map_ref(second, m, -1), 0);
	m = map_by_name(img, ".bss");
	cr_assert_geq(find_map_ref(first, m, (int32_t)ev_sym(&ev, "bss_val").st_value), 0);
	check_map_refs(&ev, img, first);
	check_map_refs(&ev, img, second);
	check_map_refs(&ev, img, probe);
	cr_assert_str_eq(img->license, "GPL");

	/* libbpf refuses this object, but the kernel takes what we made. */
	assert_kernel_accepts(img, first);
	assert_kernel_accepts(img, second);
	assert_kernel_accepts(img, probe);
	assert_kernel_accepts(img, frags);
	ev_close(&ev);
	bvc_image_free(img);
}

Test(loader, loader_calls) { each_build("loader_calls", loader_calls); }

Test(loader, from_memory_names_the_path)
{
	char *path = obj_path(BVC_PROGS_DIR, "xdp_parser");
	struct bvc_image *img;
	char err[ERRSZ];
	size_t size;
	uint8_t *buf = read_all(path, &size);

	cr_assert_eq(bvc_load_elf_mem(buf, size, "mem.o", &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(img->path, "mem.o");
	cr_assert_eq(img->prog_cnt, 1);
	bvc_image_free(img);
	/* The caller's buffer is only read. */
	cr_assert_eq(bvc_load_elf_mem(buf, size, "mem.o", &img, err, sizeof(err)), 0, "%s", err);
	bvc_image_free(img);
	cr_assert_lt(bvc_load_elf_mem(NULL, 0, "mem.o", &img, err, sizeof(err)), 0);
	cr_assert_null(img);
	cr_assert(!strncmp(err, "mem.o: ", 7), "%s", err);
	free(buf);
	free(path);
}

/* ---- bad input --------------------------------------------------------- */

/* A refusal: negative errno, no image, one line starting "PATH: " and
 * containing @what. */
static void assert_refused(int ret, const struct bvc_image *img, const char *err,
			   const char *path, const char *what)
{
	cr_assert_lt(ret, 0, "%s: accepted, expected '%s'", path, what);
	cr_assert_null(img);
	cr_assert(!strncmp(err, path, strlen(path)) && !strncmp(err + strlen(path), ": ", 2),
		  "error does not start with the path: '%s'", err);
	cr_assert_null(strchr(err, '\n'), "more than one line: '%s'", err);
	if (what)
		cr_assert(strstr(err, what), "'%s' does not say '%s'", err, what);
}

static void elf_refused(const char *path, const char *what, int want_errno)
{
	struct bvc_image *img = NULL;
	char err[ERRSZ];
	int ret = bvc_load_elf(path, &img, err, sizeof(err));

	assert_refused(ret, img, err, path, what);
	if (want_errno)
		cr_assert_eq(ret, -want_errno, "%s: ret %d, want -%d", path, ret, want_errno);
}

/* ---- what the kernel refuses at load, CO-RE records -------------------- */

/* The kernel's verdict on program @name of the object at @path, loaded the
 * way users do (libbpf, the other programs not loaded): 1 accepted, 0
 * refused (its log in @log), -1 when this machine cannot load BPF. */
static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int kernel_load_libbpf(const char *path, const char *name, char *log, size_t logsz)
{
	libbpf_print_fn_t old = libbpf_set_print(silent);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int ret;

	log[0] = '\0';
	cr_assert(obj, "libbpf cannot open %s", path);
	bpf_object__for_each_program(p, obj) {
		if (strcmp(bpf_program__name(p), name))
			bpf_program__set_autoload(p, false);
		else
			bpf_program__set_log_buf(p, log, logsz);
	}
	ret = bpf_object__load(obj);
	bpf_object__close(obj);
	libbpf_set_print(old);
	if (ret == -EPERM || ret == -ENOSYS)
		return -1;
	return ret == 0;
}

/* Each program of loader_exc_cb breaks one rule BPF_PROG_LOAD checks
 * before exploring, except the last, whose callback is in the program
 * (called directly, which the kernel refuses after exploring). */
static const struct {
	const char *prog;
	const char *refused;     /* bvc_prog.load_refused: the kernel's words */
	const char *unsupported; /* bvc_prog.unsupported */
} exc_cases[] = {
	{ "exc_missing", "exception callback type id not found in func_info", "" },
	{ "exc_static", "exception callback 'exc_cb_static' must have global linkage", "" },
	{ "exc_unknown", "exception callback 'no_such_function' could not be found in BTF", "" },
	{ "exc_twice", "multiple exception callback tags for main subprog", "" },
	{ "exc_self", "invalid exception callback insn_off in func_info: 0", "" },
	{ "exc_present", "", "unsupported: exception callback 'exc_cb_called'" },
};

static void exception_callbacks(const char *path)
{
	struct bvc_load_opts opts = { .sz = sizeof(opts), .keep_unsupported = 1 };
	static char log[1 << 20];
	struct bvc_image *img = NULL;
	char err[ERRSZ];
	size_t i;

	cr_assert_eq(bvc_load_elf_opts(path, &opts, &img, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < sizeof(exc_cases) / sizeof(exc_cases[0]); i++) {
		const struct bvc_prog *p = prog_ok(img, exc_cases[i].prog);
		const char *want = exc_cases[i].refused[0] ? exc_cases[i].refused
							   : exc_cases[i].unsupported;
		struct bvc_verify_opts vo = { .sz = sizeof(vo) };
		struct bvc_verdict v;
		int k;

		cr_assert_str_eq(p->load_refused, exc_cases[i].refused, "%s: %s", path, p->name);
		cr_assert_str_eq(p->unsupported, exc_cases[i].unsupported, "%s: %s", path, p->name);
		/* Refused before any path: at insn 0, nothing processed. */
		cr_assert_eq(bvc_verify(img, p, &vo, &v), 0);
		/* Refused by the kernel's rule: rejected; not modelled: unsupported. */
		cr_assert_eq(v.kind, exc_cases[i].refused[0] ? BVC_REJECT : BVC_UNSUPPORTED,
			     "%s: %s: %s", path, p->name, bvc_verdict_kind_name(v.kind));
		cr_assert_str_eq(v.msg, want, "%s: %s", path, p->name);
		cr_assert_eq(v.insn, 0);
		cr_assert_eq(v.processed, 0);
		bvc_verdict_release(&v);

		/* The kernel, through this machine's libbpf. libbpf 1.3 and
		 * later append the callback to the program (then only
		 * exc_missing would change), older ones build what our loader
		 * builds: there the kernel's words must be ours. */
		k = kernel_load_libbpf(path, p->name, log, sizeof(log));
		if (k < 0)
			continue;
		printf("loader: %s: %s: kernel %s\n", path, p->name, k ? "accepted" : "refused");
		cr_assert_eq(k, 0, "%s: %s: the kernel accepted it", path, p->name);
#if LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION < 3
		if (exc_cases[i].refused[0])
			cr_assert(strstr(log, exc_cases[i].refused), "%s: %s: kernel log: %.2000s",
				  path, p->name, log);
#endif
	}
	/* The program that bpfvc does not model: only the main one reached
	 * by a call has its callback's func_info record. */
	cr_assert_eq(prog_ok(img, "exc_missing")->func_cnt, 1);
	cr_assert_eq(prog_ok(img, "exc_present")->func_cnt, 2);
	bvc_image_free(img);

	/* Without keep_unsupported the object does not load. */
	elf_refused(path, "unsupported: exception callback 'exc_cb_called' of program 'exc_present'",
		    EOPNOTSUPP);
}

Test(loader, exception_callbacks) { each_build("loader_exc_cb", exception_callbacks); }

/* CO-RE records are kept on the program, where its instructions landed,
 * and not applied: the instruction still holds clang's offset. */
static void core_relos(const char *path)
{
	struct bvc_image *img = load_ok(path);
	const struct bvc_prog *p = prog_ok(img, "core_read");
	static const char *const access[] = { "0:0", "0:1" };
	size_t i;

	cr_assert_eq(p->core_relo_cnt, 2, "%s: %zu CO-RE records", path, p->core_relo_cnt);
	for (i = 0; i < 2; i++) {
		const struct bvc_core_relo *r = &p->core_relos[i];
		const struct bvc_insn *insn;

		cr_assert_lt(r->insn, p->insn_cnt);
		insn = &p->insns[r->insn];
		cr_assert_eq(r->kind, 0 /* BPF_CORE_FIELD_BYTE_OFFSET */);
		cr_assert_str_eq(bvc_core_relo_kind_name(r->kind), "byte_off");
		cr_assert_str_eq(r->type_name, "task_struct___local");
		cr_assert_str_eq(r->access, access[i]);
		/* pid at 0, tgid at 4 in the local struct: r = offset */
		cr_assert_eq(insn->code, BVC_ALU64 | BVC_MOV | BVC_K, "%s: insn %u code %#x", path,
			     r->insn, insn->code);
		cr_assert_eq(insn->imm, (int32_t)(4 * i), "%s: insn %u imm %d", path, r->insn,
			     insn->imm);
	}
	cr_assert_lt(p->core_relos[0].insn, p->core_relos[1].insn);
	cr_assert_str_eq(bvc_core_relo_kind_name(99), "unknown");
	bvc_image_free(img);

	/* None where clang wrote none. */
	for (i = 0; i < sizeof(prog_dirs) / sizeof(prog_dirs[0]); i++) {
		char *other = obj_path(prog_dirs[i], "loader_calls");

		if (file_exists(other)) {
			img = load_ok(other);
			for (size_t k = 0; k < img->prog_cnt; k++) {
				cr_assert_eq(img->progs[k].core_relo_cnt, 0);
				cr_assert_null(img->progs[k].core_relos);
				cr_assert_str_eq(img->progs[k].load_refused, "");
			}
			bvc_image_free(img);
		}
		free(other);
	}
}

Test(loader, core_relos) { each_build("core_read", core_relos); }

/* Map values with a kptr, a spin lock or a timer (nested in an array of
 * structs): the loader names the field, and a program that uses such a map
 * is unsupported, never verified as plain bytes (bad_kptr_store overwrites
 * half a kernel pointer). A plain map is still verified. */
static void special_fields(const char *path)
{
	static const struct {
		const char *map, *field, *prog;
	} cases[] = {
		{ "kptr_map", "kptr 'task'", "bad_kptr_store" },
		{ "lock_map", "bpf_spin_lock 'lock'", "lock_write" },
		{ "timer_map", "bpf_timer 'timer'", "timer_write" },
		{ "plain_map", "", "plain_write" },
	};
	struct bvc_image *img = load_ok(path);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bvc_verify_opts vo = { .sz = sizeof(vo) };
		const struct bvc_map *m = NULL;
		struct bvc_verdict v;
		char want[256];

		for (size_t k = 0; k < img->map_cnt; k++)
			if (!strcmp(img->maps[k].name, cases[i].map))
				m = &img->maps[k];
		cr_assert_not_null(m, "%s: no map %s", path, cases[i].map);
		cr_assert_str_eq(m->special_field, cases[i].field, "%s: %s", path, m->name);

		cr_assert_eq(bvc_verify(img, prog_ok(img, cases[i].prog), &vo, &v), 0);
		if (!cases[i].field[0]) {
			cr_assert(bvc_verdict_accepted(&v), "%s: %s: %s", path, cases[i].prog, v.msg);
		} else {
			snprintf(want, sizeof(want), "unsupported: map '%s' has a %s field in its value",
				 cases[i].map, cases[i].field);
			cr_assert_eq(v.kind, BVC_UNSUPPORTED, "%s: %s: %s", path, cases[i].prog,
				     bvc_verdict_kind_name(v.kind));
			cr_assert_str_eq(v.msg, want, "%s: %s", path, cases[i].prog);
		}
		bvc_verdict_release(&v);
	}
	bvc_image_free(img);
}

Test(loader, special_fields) { each_build("loader_special", special_fields); }

/* An array of maps keeps libbpf's inner map as its template, after every
 * other map; the programs using it, a queue, a devmap and cgroup storage
 * are verified (the kernel accepts them: progs_kernel). */
static void map_kinds(const char *path)
{
	static const char *const progs[] = { "count_and_redirect", "drain", "cgroup_bytes" };
	struct bvc_image *img = load_ok(path);
	const struct bvc_map *outer = NULL, *inner;

	for (size_t k = 0; k < img->map_cnt; k++) {
		if (!strcmp(img->maps[k].name, "outer"))
			outer = &img->maps[k];
		if (img->maps[k].origin != BVC_MAP_INNER)
			cr_assert(!img->maps[k].has_inner || img->maps[k].inner_idx > k,
				  "%s: %s: the template follows its outer map", path, img->maps[k].name);
	}
	cr_assert_not_null(outer, "%s: no map outer", path);
	cr_assert_eq(outer->type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	cr_assert(outer->has_inner, "%s: outer has no inner template", path);
	cr_assert_eq(outer->inner_idx, img->map_cnt - 1, "%s: the template is the last map", path);
	inner = &img->maps[outer->inner_idx];
	cr_assert_eq(inner->origin, BVC_MAP_INNER);
	cr_assert_eq(inner->type, BPF_MAP_TYPE_ARRAY);
	cr_assert_eq(inner->key_size, 4);
	cr_assert_eq(inner->value_size, 8);
	cr_assert_eq(inner->max_entries, 4);
	cr_assert(!inner->has_inner);
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bvc_verify_opts vo = { .sz = sizeof(vo) };
		struct bvc_verdict v;

		cr_assert_eq(bvc_verify(img, prog_ok(img, progs[i]), &vo, &v), 0);
		cr_assert(bvc_verdict_accepted(&v), "%s: %s: %s", path, progs[i], v.msg);
		bvc_verdict_release(&v);
	}
	bvc_image_free(img);
}

Test(loader, map_kinds) { each_build("map_kinds", map_kinds); }

Test(loader_bad, missing_file)
{
	elf_refused("/nonexistent/dir/x.bpf.o", "No such file", ENOENT);
}

Test(loader_bad, directory)
{
	elf_refused("/tmp", "is a directory", EISDIR);
}

Test(loader_bad, not_elf)
{
	static const char text[] = "this is not an ELF object, just some text\n";
	char *path = write_tmp(text, sizeof(text) - 1);

	elf_refused(path, "not an ELF file", ENOEXEC);
	rm_tmp(path);
}

Test(loader_bad, empty_file)
{
	char *path = write_tmp("", 0);

	elf_refused(path, "empty", 0);
	rm_tmp(path);
}

Test(loader_bad, other_machine)
{
	size_t size;
	uint8_t *buf;
	char *path;

	cr_assert(file_exists("/bin/true"));
	buf = read_all("/bin/true", &size);
	path = write_tmp(buf, size);
	elf_refused(path, "not a BPF ELF object (machine x86-64)", ENOEXEC);
	elf_refused("/bin/true", "not a BPF ELF object (machine", ENOEXEC);
	rm_tmp(path);
	free(buf);
}

Test(loader_bad, no_programs)
{
	char *path = obj_path(BVC_PROGS_DIR, "loader_no_progs");

	elf_refused(path, "no programs", ENOENT);
	free(path);
}

Test(loader_bad, extern_ksym)
{
	char *path = obj_path(BVC_PROGS_DIR, "loader_extern");

	elf_refused(path, "unsupported: extern 'bpf_prog_active'", EOPNOTSUPP);
	free(path);
}

/* With keep_unsupported the load succeeds and the program says why it
 * cannot be verified; the extern's ld_imm64 is made a BTF-id load no
 * verifier takes without modelling it. */
Test(loader, extern_kept_as_unsupported)
{
	struct bvc_load_opts opts = { .sz = sizeof(opts), .keep_unsupported = 1 };
	char *path = obj_path(BVC_PROGS_DIR, "loader_extern");
	struct bvc_image *img = NULL;
	const struct bvc_prog *p;
	char err[ERRSZ];
	size_t i, btf_id_loads = 0;

	cr_assert_eq(bvc_load_elf_opts(path, &opts, &img, err, sizeof(err)), 0, "%s", err);
	p = prog_ok(img, "uses_ksym");
	cr_assert(strstr(p->unsupported, "unsupported: extern 'bpf_prog_active'"), "%s",
		  p->unsupported);
	for (i = 0; i < p->insn_cnt; i++)
		if (bvc_insn_is_ld_imm64(&p->insns[i]) && p->insns[i].src == BVC_PSEUDO_BTF_ID)
			btf_id_loads++;
	cr_assert_eq(btf_id_loads, 1);
	bvc_image_free(img);

	/* Other programs are untouched. */
	free(path);
	path = obj_path(BVC_PROGS_DIR, "xdp_parser");
	cr_assert_eq(bvc_load_elf_opts(path, &opts, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(img->progs[0].unsupported, "");
	bvc_image_free(img);
	free(path);
}

Test(loader_bad, truncated)
{
	char *src = obj_path(BVC_PROGS_DIR, "xdp_parser");
	static const size_t cuts[] = { 1, 3, 4, 16, 19, 20, 63, 64, 65, 200, 1000 };
	size_t size, i, len;
	uint8_t *buf = read_all(src, &size);

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) + 3; i++) {
		char *path;

		len = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] :
		      i == sizeof(cuts) / sizeof(cuts[0]) ? size / 2 :
		      i == sizeof(cuts) / sizeof(cuts[0]) + 1 ? size - 64 : size - 1;
		path = write_tmp(buf, len);
		/* Under four bytes the magic is incomplete: "not an ELF". */
		elf_refused(path, len < 4 ? "not an ELF file" : "truncated", ENOEXEC);
		rm_tmp(path);
	}
	free(buf);
	free(src);
}

/* Patch a copy of xdp_parser's first relocation of the "xdp" section. */
static char *patched_rel(void (*patch)(GElf_Rel *r, const GElf_Shdr *code))
{
	char *src = obj_path(BVC_PROGS_DIR, "xdp_parser"), *path;
	GElf_Shdr rsh, csh;
	struct elf_view ev;
	GElf_Rel r;

	ev_open(&ev, src);
	cr_assert(ev_sec(&ev, ".relxdp", &rsh));
	cr_assert(ev_sec(&ev, "xdp", &csh));
	memcpy(&r, ev.buf + rsh.sh_offset, sizeof(r));
	patch(&r, &csh);
	memcpy(ev.buf + rsh.sh_offset, &r, sizeof(r));
	path = write_tmp(ev.buf, ev.size);
	ev_close(&ev);
	free(src);
	return path;
}

static void rel_bad_symbol(GElf_Rel *r, const GElf_Shdr *code)
{
	r->r_info = GELF_R_INFO(0xfffff, GELF_R_TYPE(r->r_info));
}

static void rel_misaligned(GElf_Rel *r, const GElf_Shdr *code)
{
	r->r_offset += 4;
}

static void rel_past_end(GElf_Rel *r, const GElf_Shdr *code)
{
	r->r_offset = code->sh_size;
}

static void rel_bad_type(GElf_Rel *r, const GElf_Shdr *code)
{
	r->r_info = GELF_R_INFO(GELF_R_SYM(r->r_info), 77);
}

static void rel_not_ld(GElf_Rel *r, const GElf_Shdr *code)
{
	r->r_offset = 0; /* the first insn of xdp_parse is not an ld_imm64 */
}

Test(loader_bad, relocation_unknown_symbol)
{
	char *path = patched_rel(rel_bad_symbol);

	elf_refused(path, "unknown symbol #1048575", ENOEXEC);
	rm_tmp(path);
}

Test(loader_bad, relocation_not_on_insn)
{
	char *path = patched_rel(rel_misaligned);

	elf_refused(path, "is not on an instruction", ENOEXEC);
	rm_tmp(path);
	path = patched_rel(rel_past_end);
	elf_refused(path, "is not on an instruction", ENOEXEC);
	rm_tmp(path);
	path = patched_rel(rel_not_ld);
	elf_refused(path, "is not on an ld_imm64", ENOEXEC);
	rm_tmp(path);
}

Test(loader_bad, relocation_type)
{
	char *path = patched_rel(rel_bad_type);

	elf_refused(path, "unsupported: relocation type 77", EOPNOTSUPP);
	rm_tmp(path);
}

/* Patch bytes inside section @sec of a copy of xdp_parser: replace the first
 * @from found there with @to (same length). */
static char *patched_sec(const char *sec, const char *from, const char *to)
{
	char *src = obj_path(BVC_PROGS_DIR, "xdp_parser"), *path;
	struct elf_view ev;
	GElf_Shdr sh;
	uint8_t *at;

	ev_open(&ev, src);
	cr_assert(ev_sec(&ev, sec, &sh));
	at = memmem(ev.buf + sh.sh_offset, sh.sh_size, from, strlen(from));
	cr_assert(at, "no '%s' in %s", from, sec);
	memcpy(at, to, strlen(to));
	path = write_tmp(ev.buf, ev.size);
	ev_close(&ev);
	free(src);
	return path;
}

/* libbpf's own complaint reaches the caller, after the path. */
Test(loader_bad, libbpf_message)
{
	char *path = patched_sec(".BTF", "max_entries", "max_entriez");

	elf_refused(path, "libbpf: map 'proto_count': unknown field 'max_entriez'", 0);
	rm_tmp(path);
}

Test(loader_bad, btf_magic)
{
	char *path = patched_sec(".BTF", "\x9f\xeb", "\x9f\xec");

	elf_refused(path, "corrupt BTF: magic", ENOEXEC);
	rm_tmp(path);
}

Test(loader_bad, btf_ext_magic)
{
	char *path = patched_sec(".BTF.ext", "\x9f\xeb", "\x9f\xec");

	elf_refused(path, "corrupt .BTF.ext: bad header", ENOEXEC);
	rm_tmp(path);
}

/* The last instruction of xdp_parse (an exit) becomes the first half of an
 * ld_imm64 that has no second half. */
Test(loader_bad, elf_half_ld_imm64)
{
	char *src = obj_path(BVC_PROGS_DIR, "xdp_parser"), *path;
	struct elf_view ev;
	GElf_Shdr sh;

	ev_open(&ev, src);
	cr_assert(ev_sec(&ev, "xdp", &sh));
	cr_assert_eq(ev.buf[sh.sh_offset + sh.sh_size - 8], BVC_JMP | BVC_EXIT);
	ev.buf[sh.sh_offset + sh.sh_size - 8] = BVC_LD | BVC_IMM | BVC_DW;
	path = write_tmp(ev.buf, ev.size);
	elf_refused(path, "ld_imm64 without its second half", ENOEXEC);
	rm_tmp(path);
	ev_close(&ev);
	free(src);
}

/* Corrupt single bytes and small runs all over real objects: any outcome
 * but a crash, a leak or a multi-line error is fine. Deterministic. */
static void fuzz_one(const char *name, unsigned int iters, uint32_t seed)
{
	char *src = obj_path(BVC_PROGS_DIR, name);
	size_t size, i;
	uint8_t *orig = read_all(src, &size), *buf = malloc(size);
	uint32_t x = seed;

	cr_assert(buf);
	for (i = 0; i < iters; i++) {
		struct bvc_image *img = NULL;
		char err[ERRSZ];
		unsigned int flips, k;
		int ret;

		memcpy(buf, orig, size);
		x = x * 1664525u + 1013904223u;
		flips = 1 + (x >> 28) % 4;
		/* One bit flip, then up to three random bytes. */
		for (k = 0; k < flips; k++) {
			x = x * 1664525u + 1013904223u;
			if (k == 0)
				buf[(x >> 8) % size] ^= (uint8_t)(1u << (x % 8));
			else
				buf[(x >> 8) % size] = (uint8_t)(x >> 3);
		}
		ret = bvc_load_elf_mem(buf, size, "fuzz.o", &img, err, sizeof(err));
		if (ret) {
			assert_refused(ret, img, err, "fuzz.o", NULL);
		} else {
			check_image_invariants(img);
			bvc_image_free(img);
		}
	}
	/* Every prefix of the object as well. */
	for (i = 0; i < size; i += 1 + i / 64) {
		struct bvc_image *img = NULL;
		char err[ERRSZ];
		int ret = bvc_load_elf_mem(orig, i, "cut.o", &img, err, sizeof(err));

		assert_refused(ret, img, err, "cut.o", NULL);
	}
	free(buf);
	free(orig);
	free(src);
}

Test(loader_fuzz, xdp_parser, .timeout = 120) { fuzz_one("xdp_parser", 1500, 1); }
Test(loader_fuzz, loader_calls, .timeout = 120) { fuzz_one("loader_calls", 1500, 2); }
Test(loader_fuzz, kprobe_counter, .timeout = 120) { fuzz_one("kprobe_counter", 1500, 3); }
Test(loader_fuzz, core_read, .timeout = 120) { fuzz_one("core_read", 1500, 4); }
Test(loader_fuzz, loader_exc_cb, .timeout = 120) { fuzz_one("loader_exc_cb", 1500, 5); }

/* ---- raw bytecode ------------------------------------------------------ */

static void raw_refused(const void *bytes, size_t n, const char *what)
{
	struct bvc_image *img = NULL;
	char err[ERRSZ], *path = write_tmp(bytes, n);
	int ret = bvc_load_raw(path, BVC_PROG_SOCKET_FILTER, &img, err, sizeof(err));

	assert_refused(ret, img, err, path, what);
	rm_tmp(path);
}

Test(loader_raw, twelve_bytes)
{
	static const uint8_t b[12] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0 };

	raw_refused(b, sizeof(b), "size 12 is not a multiple of 8 (one eBPF instruction)");
}

Test(loader_raw, empty)
{
	raw_refused("", 0, "empty file");
}

Test(loader_raw, missing)
{
	struct bvc_image *img = NULL;
	char err[ERRSZ];
	int ret = bvc_load_raw("/nonexistent/x.bin", 1, &img, err, sizeof(err));

	assert_refused(ret, img, err, "/nonexistent/x.bin", "No such file");
	cr_assert_eq(ret, -ENOENT);
}

Test(loader_raw, good)
{
	static const struct bvc_insn insns[] = {
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 7 },
		{ .code = BVC_JMP | BVC_EXIT },
	};
	struct bvc_image *img = NULL;
	char err[ERRSZ], *path = write_tmp(insns, sizeof(insns));

	cr_assert_eq(bvc_load_raw(path, BVC_PROG_XDP, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img->prog_cnt, 1);
	cr_assert_str_eq(img->progs[0].name, "prog");
	cr_assert_eq(img->progs[0].type, BVC_PROG_XDP);
	cr_assert_eq(img->progs[0].insn_cnt, 2);
	cr_assert_eq(img->progs[0].main_cnt, 2);
	cr_assert_eq(img->progs[0].insns[0].imm, 7);
	cr_assert_eq(img->map_cnt, 0);
	cr_assert_str_eq(img->path, path);
	cr_assert_eq(bvc_image_find_prog(img, "prog"), &img->progs[0]);
	bvc_image_free(img);
	rm_tmp(path);
}

/* Raw bytes ending in the first half of an ld_imm64: the loader takes the
 * bytes as they are; the ISA check (bvc_isa_check) reports the broken pair
 * with the kernel's words. */
Test(loader_raw, half_ld_imm64_is_the_isa_checks_job)
{
	static const struct bvc_insn insns[] = {
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 0 },
		{ .code = BVC_JMP | BVC_EXIT },
		{ .code = BVC_LD | BVC_IMM | BVC_DW, .dst = 1, .imm = 1 },
	};
	struct bvc_image *img = NULL;
	char err[ERRSZ], *path = write_tmp(insns, sizeof(insns));

	cr_assert_eq(bvc_load_raw(path, BVC_PROG_SOCKET_FILTER, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img->progs[0].insn_cnt, 3);
	bvc_image_free(img);
	rm_tmp(path);
}

/* ---- image.c ----------------------------------------------------------- */

Test(image, type_names)
{
	static const char *const names[] = { "socket_filter", "kprobe", "sched_cls", "sched_act",
					     "tracepoint", "xdp", "perf_event", "cgroup_skb",
					     "raw_tracepoint" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int t = bvc_prog_type_from_name(names[i]);

		cr_assert_gt(t, 0, "%s", names[i]);
		cr_assert_str_eq(bvc_prog_type_name((uint32_t)t), names[i]);
	}
	cr_assert_eq(bvc_prog_type_from_name("socket"), BVC_PROG_SOCKET_FILTER);
	cr_assert_eq(bvc_prog_type_from_name("tc"), BVC_PROG_SCHED_CLS);
	cr_assert_eq(bvc_prog_type_from_name("raw_tp"), BVC_PROG_RAW_TRACEPOINT);
	cr_assert_eq(bvc_prog_type_from_name("xdp"), BVC_PROG_XDP);
	cr_assert_eq(bvc_prog_type_from_name("no_such_type"), -1);
	cr_assert_eq(bvc_prog_type_from_name(""), -1);
	cr_assert_null(bvc_prog_type_name(4000));
	cr_assert_str_eq(bvc_map_type_name(BVC_MAP_HASH), "hash");
	cr_assert_str_eq(bvc_map_type_name(BVC_MAP_RINGBUF), "ringbuf");
	cr_assert_str_eq(bvc_map_type_name(BVC_MAP_PERCPU_ARRAY), "percpu_array");
	cr_assert_str_eq(bvc_map_type_name(9999), "unknown");
}

Test(image, find_by_section_and_free_null)
{
	struct bvc_image *img;
	char *path = obj_path(BVC_PROGS_DIR, "loader_calls");

	img = load_ok(path);
	/* A section name finds the first program of that section. */
	cr_assert_str_eq(bvc_image_find_prog(img, "xdp")->name, "xdp_second");
	cr_assert_str_eq(bvc_image_find_prog(img, "kprobe/do_nanosleep")->name, "probe");
	cr_assert_null(bvc_image_find_prog(img, "nope"));
	cr_assert_null(bvc_image_find_prog(NULL, "xdp"));
	bvc_image_free(img);
	bvc_image_free(NULL);
	free(path);
}

Test(image, from_raw_refuses_nothing)
{
	struct bvc_image *img = (struct bvc_image *)1;
	struct bvc_insn insn = { .code = BVC_JMP | BVC_EXIT };

	cr_assert_eq(bvc_image_from_raw(&insn, 0, 1, "x", &img), -EINVAL);
	cr_assert_null(img);
	cr_assert_eq(bvc_image_from_raw(&insn, 1, 1, NULL, &img), 0);
	cr_assert_str_eq(img->path, "");
	bvc_image_free(img);
}

/* ---- prog_array initial slots (tail_calls.bpf.c) ----------------------- */

static const struct bvc_map *map_named(const struct bvc_image *img, const char *name)
{
	for (size_t i = 0; i < img->map_cnt; i++)
		if (!strcmp(img->maps[i].name, name))
			return &img->maps[i];
	cr_assert_fail("no map %s", name);
	return NULL;
}

Test(loader, prog_array_slots)
{
	for (size_t d = 0; d < sizeof(prog_dirs) / sizeof(prog_dirs[0]); d++) {
		char *path = obj_path(prog_dirs[d], "tail_calls");
		static const struct {
			uint32_t key;
			const char *prog;
		} want[] = { { 0, "tc_chain_a" }, { 2, "tc_chain_b" }, { 3, "tc_self" } };
		struct bvc_image *img = NULL;
		const struct bvc_map *m;
		char err[ERRSZ];

		if (d && !file_exists(path)) {
			free(path);
			continue;
		}
		cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s", err);
		m = map_named(img, "jmp_table");
		cr_assert_eq(m->type, BVC_MAP_PROG_ARRAY);
		cr_assert_eq(m->max_entries, 4);
		cr_assert_eq(m->slot_cnt, 3, "%s: %zu slots", path, m->slot_cnt);
		for (size_t i = 0; i < 3; i++) {
			cr_assert_eq(m->slots[i].key, want[i].key);
			cr_assert_str_eq(img->progs[m->slots[i].prog].name, want[i].prog);
		}
		cr_assert_eq(map_named(img, "counts")->slot_cnt, 0);
		bvc_image_free(img);
		free(path);
	}
}

/* Index of symbol @name in .symtab. */
static size_t ev_sym_index(struct elf_view *ev, const char *name, GElf_Shdr *symsh)
{
	Elf_Scn *scn = NULL;
	GElf_Sym sym;

	while ((scn = elf_nextscn(ev->elf, scn))) {
		Elf_Data *d;

		cr_assert(gelf_getshdr(scn, symsh));
		if (symsh->sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < symsh->sh_size / symsh->sh_entsize; i++) {
			cr_assert(gelf_getsym(d, (int)i, &sym));
			if (!strcmp(elf_strptr(ev->elf, symsh->sh_link, sym.st_name), name))
				return i;
		}
	}
	cr_assert_fail("no symbol %s", name);
	return 0;
}

/* A copy of tail_calls.bpf.o with its first .rel.maps entry (slot 0,
 * tc_chain_a) changed by @patch; returns the file's path. */
static char *patched_slot(void (*patch)(struct elf_view *ev, GElf_Rel *r))
{
	char *src = obj_path(BVC_PROGS_DIR, "tail_calls"), *path;
	struct elf_view ev;
	GElf_Shdr rsh;
	GElf_Rel r;

	ev_open(&ev, src);
	cr_assert(ev_sec(&ev, ".rel.maps", &rsh));
	memcpy(&r, ev.buf + rsh.sh_offset, sizeof(r));
	patch(&ev, &r);
	memcpy(ev.buf + rsh.sh_offset, &r, sizeof(r));
	path = write_tmp(ev.buf, ev.size);
	ev_close(&ev);
	free(src);
	return path;
}

static void slot_to_map_symbol(struct elf_view *ev, GElf_Rel *r)
{
	GElf_Shdr sh;

	r->r_info = GELF_R_INFO(ev_sym_index(ev, "counts", &sh), GELF_R_TYPE(r->r_info));
}

static void slot_misaligned(struct elf_view *ev, GElf_Rel *r)
{
	(void)ev;
	r->r_offset += 4;
}

static void slot_into_array(struct elf_view *ev, GElf_Rel *r)
{
	r->r_offset = ev_sym(ev, "counts").st_value;
}

/* Slot 4 of a 4-entry prog_array: the symbol is made one slot longer so
 * the relocation still falls inside jmp_table. */
static void slot_past_max(struct elf_view *ev, GElf_Rel *r)
{
	GElf_Shdr sh;
	size_t i = ev_sym_index(ev, "jmp_table", &sh);
	Elf64_Sym *sym = (Elf64_Sym *)(ev->buf + sh.sh_offset) + i;

	sym->st_size += 8;
	r->r_offset = sym->st_value + 24 + 4 * 8;
}

static void slot_bad_type(struct elf_view *ev, GElf_Rel *r)
{
	(void)ev;
	r->r_info = GELF_R_INFO(GELF_R_SYM(r->r_info), 1);
}

Test(loader_bad, prog_array_slots)
{
	static const struct {
		void (*patch)(struct elf_view *, GElf_Rel *);
		const char *msg;
	} cases[] = {
		{ slot_to_map_symbol, "prog_array 'jmp_table': slot 0 refers to 'counts', which is not a program" },
		{ slot_misaligned, "prog_array 'jmp_table': relocation against 'tc_chain_a' at offset 28 is not on a 'values' slot" },
		{ slot_into_array, "relocation into map 'counts' (array), which takes no initial values" },
		{ slot_past_max, "prog_array 'jmp_table': slot 4 ('tc_chain_a') is past max_entries 4" },
		{ slot_bad_type, "prog_array 'jmp_table': relocation type 1 against 'tc_chain_a', expected R_BPF_64_ABS64" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = patched_slot(cases[i].patch);

		elf_refused(path, cases[i].msg, ENOEXEC);
		rm_tmp(path);
	}
}

/* Section names libbpf 1.1 does not know get libbpf 1.5's type and
 * attach type, and the verifier applies that type's rules. */
static void sections(const char *path)
{
	static const struct {
		const char *prog;
		uint32_t type, attach, flags;
		bool accepted;
	} cases[] = {
		{ "tcx_in", 3, 46, 0, true },
		{ "tc_out", 3, 47, 0, true },
		{ "nk_peer", 3, 55, 0, true },
		{ "unix_connect", 18, 49, 0, true },
		/* recvmsg hooks must return 1: 0 is out of [1, 1]. */
		{ "unix_recvmsg_bad", 18, 51, 0, false },
		{ "unix_getsockname", 18, 53, 0, true },
		{ "xdp_frags", 6, BPF_XDP, BPF_F_XDP_HAS_FRAGS, true },
		{ "dissect", 22, BPF_FLOW_DISSECTOR, 0, true },
	};
	struct bvc_image *img = load_ok(path);

	check_image_facts(img);
	cr_assert_eq(img->prog_cnt, sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bvc_prog *p = prog_ok(img, cases[i].prog);
		struct bvc_verify_opts vo = { .sz = sizeof(vo) };
		struct bvc_verdict v;

		cr_assert_eq(p->type, cases[i].type, "%s: type %u", cases[i].prog, p->type);
		cr_assert_eq(p->expected_attach_type, cases[i].attach, "%s: attach type %u",
			     cases[i].prog, p->expected_attach_type);
		cr_assert_eq(p->prog_flags, cases[i].flags, "%s: flags %#x", cases[i].prog,
			     p->prog_flags);
		cr_assert_eq(bvc_verify(img, p, &vo, &v), 0);
		cr_assert_eq(bvc_verdict_accepted(&v), cases[i].accepted, "%s: %s: %s", path,
			     cases[i].prog, v.msg);
		if (!cases[i].accepted)
			cr_assert(strstr(v.msg, "should have been in [1, 1]"), "%s: %s", cases[i].prog,
				  v.msg);
		bvc_verdict_release(&v);
	}
	bvc_image_free(img);
}

Test(loader, newer_section_names) { each_build("loader_sections", sections); }
