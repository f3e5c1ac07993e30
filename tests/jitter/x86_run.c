// SPDX-License-Identifier: MIT
/*
 * Running x86_64 JIT output here (see x86_run.h). The mapping is written
 * while it is PROT_READ|PROT_WRITE, then turned PROT_READ|PROT_EXEC before
 * anything jumps into it, as the device runtime does.
 *
 * Must not: run code that still has a relocation slot unfilled.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../jitter/jitter_internal.h"
#include "x86_run.h"

int xrun_compile(const struct bvc_insn *insns, size_t cnt, uint32_t stack_depth,
		struct bvc_jit_result **out, char *err, size_t errsz)
{
	struct bvc_jit_result *res;
	struct bvc_verdict v;
	int ret;

	*out = NULL;
	res = calloc(1, sizeof(*res));
	memset(&v, 0, sizeof(v));
	v.kind = BVC_ACCEPT;
	v.stack_depth = stack_depth;
	v.fact_cnt = cnt;
	v.facts = calloc(cnt ? cnt : 1, sizeof(*v.facts));
	if (!res || !v.facts) {
		free(res);
		free(v.facts);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		v.facts[i].mem_base = -1;
		v.facts[i].ctx_field = -1;
		v.facts[i].map_idx = -1;
	}
	res->stack_size = stack_depth;
	ret = bvc_jit_x86_64(NULL, NULL, insns, cnt, &v, res, err, errsz);
	free(v.facts);
	if (ret) {
		bvc_jit_result_free(res);
		return ret;
	}
	*out = res;
	return 0;
}

int xrun_load(const struct bvc_jit_result *res, xrun_resolve_fn resolve, void *arg,
	     struct xrun_prog *out, char *err, size_t errsz)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (res->code_size + page - 1) / page * page;
	uint8_t *m;

	memset(out, 0, sizeof(*out));
	if (!size)
		size = page;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	memcpy(m, res->code, res->code_size);
	for (size_t k = 0; k < res->reloc_cnt; k++) {
		const struct bvc_reloc *r = &res->relocs[k];
		uint64_t addr = resolve ? resolve(r, arg) : 0;

		if (!addr || (uint64_t)r->offset + 8 > res->code_size) {
			snprintf(err, errsz, "relocation %zu (kind %u target %u at %u) not resolved", k,
				 r->kind, r->target, r->offset);
			munmap(m, size);
			return -ENOENT;
		}
		memcpy(m + r->offset, &addr, 8);
	}
	if (mprotect(m, size, PROT_READ | PROT_EXEC)) {
		int e = errno;

		munmap(m, size);
		return -e;
	}
	out->map = m;
	out->size = size;
	out->entry = (uint64_t (*)(void *, uint64_t))(void *)(m + res->entry_off);
	return 0;
}

void xrun_unload(struct xrun_prog *p)
{
	if (p->map)
		munmap(p->map, p->size);
	memset(p, 0, sizeof(*p));
}
