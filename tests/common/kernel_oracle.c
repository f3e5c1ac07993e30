// SPDX-License-Identifier: MIT
/*
 * bpf(BPF_PROG_LOAD) for tests. Uses the UAPI header only for the attribute
 * layout; maps and the program are closed again at once.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/kernel_oracle.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load(const struct bvc_insn *insns, size_t cnt, uint32_t prog_type,
		uint32_t attach_type, uint32_t prog_flags, const char *license, uint32_t log_level,
		struct bvc_kernel_result *res)
{
	union bpf_attr attr;
	int fd;

	memset(res, 0, sizeof(*res));
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = prog_type;
	attr.expected_attach_type = attach_type;
	attr.prog_flags = prog_flags;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uint64_t)(uintptr_t)license;
	attr.log_buf = (uint64_t)(uintptr_t)res->log;
	attr.log_size = sizeof(res->log);
	attr.log_level = log_level;

	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		close(fd);
		res->available = 1;
		res->accepted = 1;
		return 0;
	}
	res->err = errno;
	res->available = errno != EPERM && errno != ENOSYS;
	return 0;
}

int bvc_kernel_load(const struct bvc_insn *insns, size_t cnt, uint32_t prog_type,
		    uint32_t log_level, struct bvc_kernel_result *res)
{
	return load(insns, cnt, prog_type, 0, 0, "GPL", log_level, res);
}

/* One kernel map for an image map; -errno on failure. */
static int create_map(const struct bvc_map *m, int inner_fd)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.inner_map_fd = (uint32_t)inner_fd;
	attr.map_type = m->type;
	attr.key_size = m->key_size;
	attr.value_size = m->value_size;
	attr.max_entries = m->max_entries;
	attr.map_flags = m->flags;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		return -errno;
	if (m->init) {
		uint32_t key = 0;

		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)fd;
		attr.key = (uint64_t)(uintptr_t)&key;
		attr.value = (uint64_t)(uintptr_t)m->init;
		sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
	}
	/* libbpf freezes .rodata and .kconfig once filled. */
	if (m->origin == BVC_MAP_RODATA || m->origin == BVC_MAP_KCONFIG) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)fd;
		sys_bpf(BPF_MAP_FREEZE, &attr);
	}
	return fd;
}

int bvc_kernel_load_prog(const struct bvc_image *img, const struct bvc_prog *prog,
			 uint32_t log_level, struct bvc_kernel_result *res)
{
	struct bvc_insn *insns = malloc(prog->insn_cnt * sizeof(*insns));
	int *fds = calloc(img->map_cnt + 1, sizeof(*fds));
	size_t i;
	int ret = 0;

	if (!insns || !fds) {
		free(insns);
		free(fds);
		return -ENOMEM;
	}
	memcpy(insns, prog->insns, prog->insn_cnt * sizeof(*insns));
	/* Inner map templates first: an array/hash of maps is created with
	 * its template's fd, as libbpf does. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < img->map_cnt; i++) {
			const struct bvc_map *m = &img->maps[i];

			if ((m->origin == BVC_MAP_INNER) != (pass == 0))
				continue;
			fds[i] = create_map(m, m->has_inner && m->inner_idx < img->map_cnt ? fds[m->inner_idx] : 0);
			if (fds[i] < 0) {
				memset(res, 0, sizeof(*res));
				res->err = -fds[i];
				res->available = fds[i] != -EPERM && fds[i] != -ENOSYS;
				ret = fds[i];
				goto out;
			}
		}
	}
	for (i = 0; i + 1 < prog->insn_cnt; i++) {
		if (!bvc_insn_is_ld_imm64(&insns[i]))
			continue;
		if ((insns[i].src == BVC_PSEUDO_MAP_IDX || insns[i].src == BVC_PSEUDO_MAP_IDX_VALUE) &&
		    (uint32_t)insns[i].imm >= img->map_cnt) {
			i++;
			continue; /* left for the kernel to refuse */
		}
		if (insns[i].src == BVC_PSEUDO_MAP_IDX) {
			insns[i].src = BVC_PSEUDO_MAP_FD;
			insns[i].imm = fds[insns[i].imm];
		} else if (insns[i].src == BVC_PSEUDO_MAP_IDX_VALUE) {
			insns[i].src = BVC_PSEUDO_MAP_VALUE;
			insns[i].imm = fds[insns[i].imm];
		}
		i++;
	}
	load(insns, prog->insn_cnt, prog->type, prog->expected_attach_type, prog->prog_flags,
	     img->license[0] ? img->license : "GPL", log_level, res);
out:
	for (i = 0; i < img->map_cnt; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(fds);
	free(insns);
	return ret;
}
