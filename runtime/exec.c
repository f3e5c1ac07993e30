// SPDX-License-Identifier: MIT
/*
 * Running a program: native code kept W^X, or the interpreter.
 *
 * Native code gets pages of its own: mapped read-write, the code copied in,
 * every relocation slot filled, then switched to read-execute with
 * mprotect() before anything may call it. The pages are never writable and
 * executable at once, and they are never made writable again: a program is
 * relocated once, when it is loaded. The entry is called as
 * uint64_t entry(void *ctx, uint64_t ctx_size) with the target's C
 * convention (bpfvc/devabi.h).
 *
 * Interpreted programs run on the reference interpreter with the maps'
 * data, the context and the packet buffer as the only memory besides the
 * stack, and the runtime's helper table as its resolver.
 *
 * Must not: leave a mapping writable and executable, or call code whose
 * mprotect() failed.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime_internal.h"

int rt_code_load(struct rt_code *c, const uint8_t *code, size_t size,
		 const struct bvc_reloc *relocs, size_t reloc_cnt, const uint64_t *reloc_addr,
		 char *err, size_t errsz)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i;
	size_t map_size;
	uint8_t *mem;
	int k;

	memset(c, 0, sizeof(*c));
	if (!size || size > SIZE_MAX - page) {
		bvc_set_err(err, errsz, "no code to load");
		return -EINVAL;
	}
	map_size = (size + page - 1) / page * page;
	mem = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		bvc_set_err(err, errsz, "cannot map %zu bytes for the code: %s", map_size, strerror(errno));
		return -ENOMEM;
	}
	memcpy(mem, code, size);
	for (i = 0; i < reloc_cnt; i++) {
		/* The loader checked that the slot is inside the code. Slots are
		 * little-endian whatever the host (devabi.h). */
		for (k = 0; k < 8; k++)
			mem[relocs[i].offset + (size_t)k] = (uint8_t)(reloc_addr[i] >> (8 * k));
	}
	/* Fill the rest of the last page with what traps if run: int3 on
	 * x86, a permanently undefined instruction (udf #0) on AArch64. */
#if defined(__x86_64__) || defined(__i386__)
	memset(mem + size, 0xcc, map_size - size);
#else
	memset(mem + size, 0, map_size - size);
#endif
	if (mprotect(mem, map_size, PROT_READ | PROT_EXEC)) {
		int e = errno;

		munmap(mem, map_size);
		bvc_set_err(err, errsz, "cannot make the code executable: %s", strerror(e));
		return e == EACCES ? -EACCES : -EPERM;
	}
	/* AArch64 and Arm need the instruction cache told; x86 ignores it. */
	__builtin___clear_cache((char *)mem, (char *)mem + size);
	c->mem = mem;
	c->map_size = map_size;
	c->size = size;
	return 0;
}

void rt_code_unload(struct rt_code *c)
{
	if (c->mem)
		munmap(c->mem, c->map_size);
	memset(c, 0, sizeof(*c));
}

static int run_interp(struct bvc_rt_prog *p, struct bvc_rt_ctx *c, uint64_t *r0, char *err,
		      size_t errsz)
{
	struct bvc_interp_opts o = { .sz = sizeof(o) };
	struct bvc_interp_region *r = &p->regions[p->map_region_cnt];
	size_t n = p->map_region_cnt;

	/* The context: packet contexts carry writable UAPI fields (mark, cb,
	 * ...), tracing contexts are read-only as in the kernel. */
	r[0].base = (uint64_t)(uintptr_t)c->dev;
	r[0].size = c->size;
	r[0].writable = c->kind != RT_CTX_TRACE;
	n++;
	if (c->buf) {
		uint8_t **ptrs = rt_ctx_ptrs(c);

		/* The whole buffer: adjust_head/tail may move data within it. */
		r[1].base = (uint64_t)(uintptr_t)c->buf;
		r[1].size = c->buf_size;
		r[1].writable = 1;
		n++;
		o.packet.data = ptrs[0];
		o.packet.len = (uint64_t)(ptrs[1] - ptrs[0]);
	}
	o.regions = p->regions;
	o.region_cnt = n;
	o.helper = rt_interp_helper;
	o.helper_ctx = c;
	o.max_steps = p->opts.max_steps;
	if (p->progs) {
		/* A multi-program blob: the entry is program 0. */
		o.tail_call = rt_interp_tail_call;
		return bvc_interp_run(p->insns + p->progs[0].insn_off, p->progs[0].insn_cnt,
				      (uint64_t)(uintptr_t)c->dev, c->size, &o, r0, err, errsz);
	}
	return bvc_interp_run(p->insns, p->insn_cnt, (uint64_t)(uintptr_t)c->dev, c->size, &o, r0,
			      err, errsz);
}

int bvc_rt_run(struct bvc_rt_prog *p, struct bvc_rt_ctx *c, uint64_t *r0, char *err,
	       size_t errsz)
{
	struct rt_run saved = rt_cur;
	uint64_t ret = 0;
	int rc = 0;

	if (err && errsz)
		err[0] = '\0';
	if (!p || !c || c->magic != RT_CTX_MAGIC) {
		bvc_set_err(err, errsz, "bvc_rt_run: missing program or context");
		return -EINVAL;
	}
	if (c->kind != p->kind) {
		bvc_set_err(err, errsz, "%s: a context made for program type %u cannot run a %u program",
		       p->name, c->prog_type, p->prog_type);
		return -EINVAL;
	}
	rt_cur.prog = p;
	rt_cur.ctx = c;
	if (p->native)
		ret = p->entry(c->dev, c->size);
	else
		rc = run_interp(p, c, &ret, err, errsz);
	rt_cur = saved;
	if (!rc && r0)
		*r0 = ret;
	return rc;
}
