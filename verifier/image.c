// SPDX-License-Identifier: MIT
/*
 * The program image as plain data: building one from raw bytecode, finding
 * a program in it, freeing it. (The names of program and map types are in
 * abi/names.c.)
 *
 * The loader (loader/) builds images from ELF objects; this file only knows
 * the layout, so the verifier, the JITs and the CLI can use images without
 * libbpf or libelf.
 *
 * Must not: depend on anything but libc, print, or check instructions (the
 * ISA module does that).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/image.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int bvc_image_from_raw(const struct bvc_insn *insns, size_t cnt, uint32_t type,
		       const char *path, struct bvc_image **out)
{
	struct bvc_image *img;
	struct bvc_prog *prog;

	*out = NULL;
	if (!insns || !cnt)
		return -EINVAL;
	if (cnt > SIZE_MAX / sizeof(*insns))
		return -E2BIG;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->path = strdup(path ? path : "");
	img->progs = calloc(1, sizeof(*img->progs));
	if (!img->path || !img->progs)
		goto nomem;
	img->prog_cnt = 1;

	prog = &img->progs[0];
	strcpy(prog->name, "prog");
	prog->type = type;
	prog->insns = malloc(cnt * sizeof(*insns));
	if (!prog->insns)
		goto nomem;
	memcpy(prog->insns, insns, cnt * sizeof(*insns));
	prog->insn_cnt = cnt;
	prog->main_cnt = cnt;

	*out = img;
	return 0;

nomem:
	bvc_image_free(img);
	return -ENOMEM;
}

const struct bvc_prog *bvc_image_find_prog(const struct bvc_image *img, const char *name)
{
	size_t i;

	if (!img || !name)
		return NULL;
	/* Function names are unique in an object; section names are not, so
	 * they are only the fallback ("-p xdp" picks the first xdp program). */
	for (i = 0; i < img->prog_cnt; i++)
		if (!strcmp(img->progs[i].name, name))
			return &img->progs[i];
	for (i = 0; i < img->prog_cnt; i++)
		if (!strcmp(img->progs[i].sec_name, name))
			return &img->progs[i];
	return NULL;
}

/* libbpf's names for enum bpf_core_relo_kind (core_relo_kind_str). */
static const char *const core_relo_kind_names[] = {
	[0] = "byte_off",       [1] = "byte_sz",        [2] = "field_exists",
	[3] = "signed",         [4] = "lshift_u64",     [5] = "rshift_u64",
	[6] = "local_type_id",  [7] = "target_type_id", [8] = "type_exists",
	[9] = "type_size",      [10] = "enumval_exists", [11] = "enumval_value",
	[12] = "type_matches",
};

const char *bvc_core_relo_kind_name(uint32_t kind)
{
	if (kind < ARRAY_LEN(core_relo_kind_names))
		return core_relo_kind_names[kind];
	return "unknown";
}

void bvc_image_free(struct bvc_image *img)
{
	size_t i;

	if (!img)
		return;
	for (i = 0; i < img->prog_cnt; i++) {
		free(img->progs[i].insns);
		free(img->progs[i].funcs);
		free(img->progs[i].lines);
		free(img->progs[i].core_relos);
	}
	free(img->progs);
	for (i = 0; i < img->map_cnt; i++) {
		free(img->maps[i].init);
		free(img->maps[i].slots);
	}
	free(img->maps);
	free(img->strings);
	free(img->kconfig_vars);
	free(img->btf);
	free(img->path);
	free(img);
}
