// SPDX-License-Identifier: MIT
/*
 * bpfvc disasm: the image as a reader wants it - maps, then each program
 * with its subprogram names and source lines interleaved, instructions in
 * the kernel verifier log's syntax.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/disasm.h"
#include "cli.h"

static void print_maps(const struct bvc_image *img)
{
	for (size_t i = 0; i < img->map_cnt; i++) {
		const struct bvc_map *m = &img->maps[i];

		printf("map[id:%zu] %s: %s key %u value %u max_entries %u%s\n", i, m->name,
		       bvc_map_type_name(m->type), m->key_size, m->value_size, m->max_entries,
		       m->init ? " (initial data)" : "");
	}
}

/* Instructions with "; source @ file:line" before the first insn of each
 * line, as the kernel's level-2 log shows them. */
static int print_prog(const struct bvc_prog *prog)
{
	size_t li = 0, fi = 0, i = 0;
	char text[160];
	int n, ret = 0;

	printf("\nprogram %s: %s (section %s), %zu insns\n", prog->name,
	       bvc_prog_type_name(prog->type) ? bvc_prog_type_name(prog->type) : "unknown",
	       prog->sec_name, prog->insn_cnt);
	while (i < prog->insn_cnt) {
		while (fi < prog->func_cnt && prog->funcs[fi].insn <= i) {
			if (prog->funcs[fi].insn == i)
				printf("%s:\n", prog->funcs[fi].name);
			fi++;
		}
		while (li < prog->line_cnt && prog->lines[li].insn <= i) {
			const struct bvc_line_info *l = &prog->lines[li];

			if (l->insn == i && l->source && *l->source)
				printf("; %s @ %s:%u\n", l->source, l->file ? l->file : "?", l->line);
			li++;
		}
		n = bvc_disasm_insn(prog->insns, prog->insn_cnt, i, text, sizeof(text));
		printf("%4zu: (%02x) %s\n", i, prog->insns[i].code, text);
		if (n < 0) {
			ret = n;
			n = 1;
		}
		i += (size_t)n;
	}
	return ret;
}

int bvc_cmd_disasm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL, *type = NULL;
	struct bvc_image *img;
	int c, ret = BVC_EXIT_OK;

	while ((c = getopt_long(argc, argv, "p:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 't': type = optarg; break;
		case 'h':
			puts("usage: bpfvc disasm PROG.o [-p NAME] [--type TYPE]");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind != argc - 1) {
		bvc_cli_err("disasm: expected one file (bpfvc disasm PROG.o)");
		return BVC_EXIT_BAD_INPUT;
	}
	img = bvc_cli_open(argv[optind], type);
	if (!img)
		return BVC_EXIT_BAD_INPUT;

	printf("%s: %zu program(s), %zu map(s), license \"%s\"\n", img->path, img->prog_cnt,
	       img->map_cnt, img->license);
	print_maps(img);
	for (size_t i = 0; i < img->prog_cnt; i++) {
		const struct bvc_prog *prog = &img->progs[i];

		if (name && strcmp(prog->name, name) && strcmp(prog->sec_name, name))
			continue;
		if (print_prog(prog))
			ret = BVC_EXIT_BAD_INPUT;
	}
	if (name && !bvc_image_find_prog(img, name)) {
		bvc_cli_err("%s: no program named '%s'", img->path, name);
		ret = BVC_EXIT_BAD_INPUT;
	}
	bvc_image_free(img);
	return ret;
}
