// SPDX-License-Identifier: MIT
/*
 * Blob -> runnable program. A pipeline with one cleanup path:
 *
 *   check what the blob needs: a program type we can build a context for,
 *   a known target, helpers and intrinsics this runtime has;
 *   choose how to run it: native code when the blob was compiled for this
 *   CPU (bvc_rt_host_target()), else its lowered bytecode on the
 *   interpreter (saying so through the log callback);
 *   create the maps (global data initialised from the blob);
 *   fill the prog_arrays' slots from the blob's program table;
 *   native: resolve and check every relocation, then map the code W^X
 *   (exec.c) and point each filled slot at its program's tail entry;
 *   interpreter: copy the bytecode and turn every map ld_imm64 into the
 *   map's address (tail calls find a slot's bytecode through
 *   rt_interp_tail_call).
 *
 * The blob was signed by a trusted key after verification, but a signature
 * proves who built it, not that the builder had no bug: every index,
 * offset and size is still checked before it is used.
 *
 * This is the only file in bpfvc that looks at the host CPU (#ifdef
 * __x86_64__): the runtime is the device, and the device is the host.
 *
 * Must not: print (notices go through opts->log), or keep pointers into
 * the blob after bvc_rt_load() returns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/abi.h"
#include "runtime_internal.h"

uint32_t bvc_rt_host_target(void)
{
#if defined(__x86_64__)
	return BVC_JIT_X86_64;
#elif defined(__aarch64__)
	return BVC_JIT_ARM64;
#else
	return 0; /* no JIT for this CPU: every blob is interpreted */
#endif
}

static void notice(const struct bvc_rt_prog *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notice(const struct bvc_rt_prog *p, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!p->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->opts.log(p->opts.user, line);
}

static int check_helper(int32_t id, char *err, size_t errsz)
{
	const char *name;

	if (bvc_rt_helper_supported(id))
		return 0;
	name = bvc_helper_name(id);
	bvc_set_err(err, errsz, "blob needs helper %s#%d which this runtime lacks",
	       name ? name : "unknown", id);
	return -EOPNOTSUPP;
}

/* Every helper the blob declares, relocates or calls from its bytecode. */
static int check_helpers(const struct bvc_blob *b, char *err, size_t errsz)
{
	size_t i;
	int ret;

	if (b->meta.helper_cnt > sizeof(b->meta.helper_ids) / sizeof(b->meta.helper_ids[0])) {
		bvc_set_err(err, errsz, "blob declares %u helpers, more than %zu", b->meta.helper_cnt,
		       sizeof(b->meta.helper_ids) / sizeof(b->meta.helper_ids[0]));
		return -EINVAL;
	}
	for (i = 0; i < b->meta.helper_cnt; i++) {
		ret = check_helper((int32_t)b->meta.helper_ids[i], err, errsz);
		if (ret)
			return ret;
	}
	for (i = 0; i < b->reloc_cnt; i++) {
		if (b->relocs[i].kind != BVC_RELOC_HELPER)
			continue;
		ret = check_helper((int32_t)b->relocs[i].target, err, errsz);
		if (ret)
			return ret;
	}
	for (i = 0; i < b->bytecode_cnt; i++) {
		const struct bvc_insn *insn = &b->bytecode[i];

		if (insn->code != (BVC_JMP | BVC_CALL | BVC_K))
			continue;
		if (insn->src == BVC_PSEUDO_KFUNC_CALL) {
			bvc_set_err(err, errsz, "insn %zu: kfunc calls are not supported by this runtime", i);
			return -EOPNOTSUPP;
		}
		if (insn->src == 0) {
			ret = check_helper(insn->imm, err, errsz);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int create_maps(struct bvc_rt_prog *p, const struct bvc_blob *b, char *err, size_t errsz)
{
	size_t i;
	int ret;

	if (!b->map_cnt)
		return 0;
	p->maps = calloc(b->map_cnt, sizeof(*p->maps));
	if (!p->maps)
		return -ENOMEM;
	for (i = 0; i < b->map_cnt; i++) {
		ret = bvc_rt_map_new(&b->maps[i], &p->maps[i], err, errsz);
		if (ret)
			return ret;
		p->map_cnt++;
	}
	return 0;
}

/* The address a BVC_PSEUDO_MAP_IDX_VALUE / BVC_RELOC_MAP_VALUE names:
 * element 0's value of array @idx, plus @off (direct value access exists
 * for arrays only, and @off must be inside the value, as in the kernel). */
static int map_value_addr(struct bvc_rt_prog *p, uint64_t idx, int64_t off, uint64_t *addr,
			  char *err, size_t errsz)
{
	struct bvc_rt_map *m;

	if (idx >= p->map_cnt) {
		bvc_set_err(err, errsz, "map index %llu out of range (%zu maps)", (unsigned long long)idx,
		       p->map_cnt);
		return -EINVAL;
	}
	m = p->maps[idx];
	if (!m->data || (m->type != BVC_MAP_ARRAY && m->type != BVC_MAP_PERCPU_ARRAY)) {
		bvc_set_err(err, errsz, "map %s: direct value access needs an array", m->name);
		return -EINVAL;
	}
	if (off < 0 || (uint64_t)off >= m->value_size) {
		bvc_set_err(err, errsz, "map %s: value offset %lld outside its %u-byte value", m->name,
		       (long long)off, m->value_size);
		return -EINVAL;
	}
	*addr = (uint64_t)(uintptr_t)m->data + (uint64_t)off;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* What each relocation slot receives; every slot inside the code, none
 * overlapping another. */
static int resolve_relocs(struct bvc_rt_prog *p, const struct bvc_blob *b, uint64_t *addr,
			  char *err, size_t errsz)
{
	uint32_t *offs;
	size_t i;
	int ret = 0;

	for (i = 0; i < b->reloc_cnt; i++) {
		const struct bvc_reloc *r = &b->relocs[i];
		char why[160] = "";

		if ((uint64_t)r->offset + 8 > b->code_size) {
			bvc_set_err(err, errsz, "relocation %zu: slot at %u is outside the %zu-byte code", i,
			       r->offset, b->code_size);
			return -EINVAL;
		}
		switch (r->kind) {
		case BVC_RELOC_HELPER:
			addr[i] = rt_helper_addr((int32_t)r->target) + (uint64_t)(int64_t)r->addend;
			break;
		case BVC_RELOC_MAP:
			if (r->target >= p->map_cnt) {
				bvc_set_err(err, errsz, "relocation %zu: map index %u out of range (%zu maps)",
				       i, r->target, p->map_cnt);
				return -EINVAL;
			}
			addr[i] = (uint64_t)(uintptr_t)p->maps[r->target] + (uint64_t)(int64_t)r->addend;
			break;
		case BVC_RELOC_MAP_VALUE:
			ret = map_value_addr(p, r->target, r->addend, &addr[i], why, sizeof(why));
			if (ret) {
				bvc_set_err(err, errsz, "relocation %zu: %s", i, why);
				return ret;
			}
			break;
		case BVC_RELOC_PROG_ARRAY:
			if (r->target >= p->map_cnt || !p->maps[r->target]->prog_tab) {
				bvc_set_err(err, errsz, "relocation %u: map %u is not a prog_array", (unsigned)i,
				       r->target);
				return -EINVAL;
			}
			addr[i] = (uint64_t)(uintptr_t)p->maps[r->target]->prog_tab;
			break;
		case BVC_RELOC_RUNTIME:
			addr[i] = rt_intrinsic_addr(r->target);
			if (!addr[i]) {
				bvc_set_err(err, errsz,
				       "relocation %zu: runtime function %u is not provided by this runtime",
				       i, r->target);
				return -EOPNOTSUPP;
			}
			addr[i] += (uint64_t)(int64_t)r->addend;
			break;
		default:
			bvc_set_err(err, errsz, "relocation %zu: unknown kind %u", i, r->kind);
			return -EINVAL;
		}
	}
	if (b->reloc_cnt < 2)
		return 0;
	offs = malloc(b->reloc_cnt * sizeof(*offs));
	if (!offs)
		return -ENOMEM;
	for (i = 0; i < b->reloc_cnt; i++)
		offs[i] = b->relocs[i].offset;
	qsort(offs, b->reloc_cnt, sizeof(*offs), cmp_u32);
	for (i = 1; i < b->reloc_cnt; i++) {
		if (offs[i] - offs[i - 1] < 8) {
			bvc_set_err(err, errsz, "relocation slots at %u and %u overlap", offs[i - 1], offs[i]);
			ret = -EINVAL;
			break;
		}
	}
	free(offs);
	return ret;
}

static int load_native(struct bvc_rt_prog *p, const struct bvc_blob *b, char *err, size_t errsz)
{
	uint64_t *addr = NULL;
	int ret;

	if (b->entry_off >= b->code_size) {
		bvc_set_err(err, errsz, "entry offset %zu is outside the %zu-byte code", b->entry_off,
		       b->code_size);
		return -EINVAL;
	}
	if (b->reloc_cnt) {
		addr = calloc(b->reloc_cnt, sizeof(*addr));
		if (!addr)
			return -ENOMEM;
	}
	ret = resolve_relocs(p, b, addr, err, errsz);
	if (!ret)
		ret = rt_code_load(&p->code, b->code, b->code_size, b->relocs, b->reloc_cnt, addr, err,
				   errsz);
	free(addr);
	if (ret)
		return ret;
	p->entry = (rt_entry_fn)(uintptr_t)(p->code.mem + b->entry_off);
	p->native = 1;
	/* Each filled slot: its program's tail entry in the mapped code. */
	for (size_t m = 0; m < p->map_cnt; m++) {
		struct bvc_rt_map *map = p->maps[m];

		for (uint32_t k = 0; map->prog_tab && k < map->max_entries; k++) {
			int32_t pi = map->slot_prog[k];

			if (pi < 0)
				continue;
			if (b->progs[pi].tail_entry_off >= b->code_size) {
				bvc_set_err(err, errsz, "program %d: tail entry outside the code", pi);
				return -EINVAL;
			}
			map->prog_tab->entries[k] =
				(uint64_t)(uintptr_t)(p->code.mem + b->progs[pi].tail_entry_off);
		}
	}
	return 0;
}

/* The program table and the prog_array slots (checked by the blob reader;
 * indexes checked again before use). */
static int load_progs(struct bvc_rt_prog *p, const struct bvc_blob *b, char *err, size_t errsz)
{
	if (!b->prog_cnt)
		return 0;
	if (!b->progs || (b->slot_cnt && !b->slots)) {
		bvc_set_err(err, errsz, "blob lists programs it does not have");
		return -EINVAL;
	}
	p->progs = calloc(b->prog_cnt, sizeof(*p->progs));
	if (!p->progs)
		return -ENOMEM;
	p->prog_cnt = b->prog_cnt;
	for (size_t i = 0; i < b->prog_cnt; i++) {
		const struct bvc_blob_prog *bp = &b->progs[i];

		if ((uint64_t)bp->insn_off + bp->insn_cnt > b->bytecode_cnt) {
			bvc_set_err(err, errsz, "program %zu: bytecode outside the bytecode section", i);
			return -EINVAL;
		}
		memcpy(p->progs[i].name, bp->name, sizeof(p->progs[i].name) - 1);
		p->progs[i].insn_off = bp->insn_off;
		p->progs[i].insn_cnt = bp->insn_cnt;
	}
	for (size_t i = 0; i < b->slot_cnt; i++) {
		const struct bvc_blob_slot *s = &b->slots[i];

		if (s->map >= p->map_cnt || !p->maps[s->map]->slot_prog ||
		    s->key >= p->maps[s->map]->max_entries || s->prog >= b->prog_cnt) {
			bvc_set_err(err, errsz, "slot %zu: bad map, key or program", i);
			return -EINVAL;
		}
		p->maps[s->map]->slot_prog[s->key] = (int32_t)s->prog;
	}
	return 0;
}

int rt_interp_tail_call(void *ctx, uint64_t map, uint32_t index, const struct bvc_insn **insns,
			size_t *cnt)
{
	struct bvc_rt_prog *p = rt_cur.prog;
	struct bvc_rt_map *m = (struct bvc_rt_map *)(uintptr_t)map;
	int32_t pi;

	(void)ctx;
	if (!p || !p->progs || !rt_is_map(m) || !m->slot_prog || index >= m->max_entries)
		return -1;
	pi = m->slot_prog[index];
	if (pi < 0 || (size_t)pi >= p->prog_cnt)
		return 0;
	*insns = p->insns + p->progs[pi].insn_off;
	*cnt = p->progs[pi].insn_cnt;
	return 1;
}

const char *bvc_rt_prog_slot(const struct bvc_rt_prog *p, const struct bvc_rt_map *m,
			     uint32_t key)
{
	if (!p || !m || !m->slot_prog || key >= m->max_entries || m->slot_prog[key] < 0 ||
	    (size_t)m->slot_prog[key] >= p->prog_cnt)
		return NULL;
	return p->progs[m->slot_prog[key]].name;
}

/* The lowered bytecode with every map ld_imm64 turned into a constant. */
static int load_bytecode(struct bvc_rt_prog *p, const struct bvc_blob *b, char *err,
			 size_t errsz)
{
	char why[160];
	size_t i;
	int ret;

	p->insns = malloc(b->bytecode_cnt * sizeof(*p->insns));
	if (!p->insns)
		return -ENOMEM;
	memcpy(p->insns, b->bytecode, b->bytecode_cnt * sizeof(*p->insns));
	p->insn_cnt = b->bytecode_cnt;
	for (i = 0; i < p->insn_cnt; i++) {
		struct bvc_insn *insn = &p->insns[i];
		uint64_t addr;

		if (!bvc_insn_is_ld_imm64(insn))
			continue;
		if (i + 1 >= p->insn_cnt) {
			bvc_set_err(err, errsz, "insn %zu: ld_imm64 without its second half", i);
			return -EINVAL;
		}
		switch (insn->src) {
		case 0:
			i++;
			continue;
		case BVC_PSEUDO_MAP_IDX:
			if ((uint32_t)insn->imm >= p->map_cnt) {
				bvc_set_err(err, errsz, "insn %zu: map index %u out of range (%zu maps)", i,
				       (uint32_t)insn->imm, p->map_cnt);
				return -EINVAL;
			}
			addr = (uint64_t)(uintptr_t)p->maps[(uint32_t)insn->imm];
			break;
		case BVC_PSEUDO_MAP_IDX_VALUE:
			ret = map_value_addr(p, (uint32_t)insn->imm, insn[1].imm, &addr, why, sizeof(why));
			if (ret) {
				bvc_set_err(err, errsz, "insn %zu: %s", i, why);
				return ret;
			}
			break;
		default:
			bvc_set_err(err, errsz,
			       "insn %zu: ld_imm64 with pseudo source %d is not supported by this runtime",
			       i, insn->src);
			return -EOPNOTSUPP;
		}
		insn->src = 0;
		insn->imm = (int32_t)(uint32_t)addr;
		insn[1].imm = (int32_t)(uint32_t)(addr >> 32);
		i++;
	}
	/* The maps' data, then two slots bvc_rt_run() fills: ctx and packet. */
	p->regions = calloc(p->map_cnt + 2, sizeof(*p->regions));
	if (!p->regions)
		return -ENOMEM;
	for (i = 0; i < p->map_cnt; i++) {
		const struct bvc_rt_map *m = p->maps[i];

		if (!m->data)
			continue;
		p->regions[p->map_region_cnt].base = (uint64_t)(uintptr_t)m->data;
		p->regions[p->map_region_cnt].size = m->data_size;
		p->regions[p->map_region_cnt].writable = !m->rdonly;
		p->map_region_cnt++;
	}
	return 0;
}

int bvc_rt_load(const struct bvc_blob *b, const struct bvc_rt_opts *opts,
		struct bvc_rt_prog **out, char *err, size_t errsz)
{
	uint32_t host = bvc_rt_host_target();
	const char *tname, *hname;
	struct bvc_rt_prog *p;
	int ret;

	if (out)
		*out = NULL;
	if (err && errsz)
		err[0] = '\0';
	if (!b || !out) {
		bvc_set_err(err, errsz, "bvc_rt_load: missing argument");
		return -EINVAL;
	}
	if (opts && opts->sz < sizeof(opts->sz)) {
		bvc_set_err(err, errsz, "bvc_rt_load: opts->sz %zu is too small", opts->sz);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (opts)
		memcpy(&p->opts, opts, opts->sz < sizeof(p->opts) ? opts->sz : sizeof(p->opts));
	p->opts.sz = sizeof(p->opts);
	memcpy(p->name, b->meta.prog_name, sizeof(p->name) - 1);
	p->prog_type = b->meta.prog_type;
	p->target = b->target;
	p->kind = rt_ctx_kind_of(p->prog_type);

	ret = -EOPNOTSUPP;
	if (p->kind == RT_CTX_NONE) {
		const char *tn = bvc_prog_type_name(p->prog_type);

		bvc_set_err(err, errsz, "program type %u (%s) is not supported by this runtime",
		       p->prog_type, tn ? tn : "unknown");
		goto fail;
	}
	tname = bvc_jit_target_name((enum bvc_jit_target)b->target);
	if (!tname) {
		bvc_set_err(err, errsz, "unknown target %u", b->target);
		ret = -EINVAL;
		goto fail;
	}
	if (b->code_size && !b->code) {
		bvc_set_err(err, errsz, "code size %zu without code", b->code_size);
		ret = -EINVAL;
		goto fail;
	}
	if ((b->reloc_cnt && !b->relocs) || (b->map_cnt && !b->maps) ||
	    (b->bytecode_cnt && !b->bytecode)) {
		bvc_set_err(err, errsz, "blob lists entries it does not have");
		ret = -EINVAL;
		goto fail;
	}
	ret = check_helpers(b, err, errsz);
	if (ret)
		goto fail;

	hname = bvc_jit_target_name((enum bvc_jit_target)host);
	p->native = b->target == host && b->code_size && !p->opts.force_interp;
	if (!p->native) {
		if (!b->bytecode_cnt) {
			bvc_set_err(err, errsz, "blob for %s has no bytecode to interpret on this %s device",
			       tname, hname ? hname : "unknown");
			ret = -EOPNOTSUPP;
			goto fail;
		}
		if (b->target != host)
			notice(p, "%s: blob is for %s, this device is %s: running its bytecode on the interpreter",
			       p->name, tname, hname ? hname : "another CPU");
		else
			notice(p, "%s: running its bytecode on the interpreter", p->name);
	}

	ret = create_maps(p, b, err, errsz);
	if (!ret)
		ret = load_progs(p, b, err, errsz);
	if (ret)
		goto fail;
	ret = p->native ? load_native(p, b, err, errsz) : load_bytecode(p, b, err, errsz);
	if (ret)
		goto fail;
	*out = p;
	return 0;
fail:
	if (ret == -ENOMEM && err && errsz && !err[0])
		bvc_set_err(err, errsz, "out of memory");
	bvc_rt_prog_free(p);
	return ret;
}

void bvc_rt_prog_free(struct bvc_rt_prog *p)
{
	size_t i;

	if (!p)
		return;
	rt_code_unload(&p->code);
	for (i = 0; i < p->map_cnt; i++)
		bvc_rt_map_free(p->maps[i]);
	free(p->maps);
	free(p->insns);
	free(p->progs);
	free(p->regions);
	free(p);
}

int bvc_rt_prog_is_native(const struct bvc_rt_prog *p)
{
	return p->native;
}

uint32_t bvc_rt_prog_type(const struct bvc_rt_prog *p)
{
	return p->prog_type;
}

const char *bvc_rt_prog_name(const struct bvc_rt_prog *p)
{
	return p->name;
}

const void *bvc_rt_prog_code(const struct bvc_rt_prog *p, size_t *size)
{
	if (size)
		*size = p->code.size;
	return p->code.mem;
}

size_t bvc_rt_prog_map_cnt(const struct bvc_rt_prog *p)
{
	return p->map_cnt;
}

struct bvc_rt_map *bvc_rt_prog_map(const struct bvc_rt_prog *p, size_t idx)
{
	return idx < p->map_cnt ? p->maps[idx] : NULL;
}
