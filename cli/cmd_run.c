// SPDX-License-Identifier: MIT
/*
 * bpfvc run: execute a program on the reference interpreter with r1 = a
 * buffer read from --mem and r2 = its length, the calling convention of the
 * conformance suite. For development and demos: the program is not
 * verified; the interpreter checks every memory access instead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/interp.h"
#include "cli.h"

/* The whole file, or NULL with a message. */
static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f) {
		bvc_cli_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		bvc_cli_err("%s: cannot size the file", path);
		goto out;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		bvc_cli_err("%s: read failed", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	*size = (size_t)len;
out:
	fclose(f);
	return buf;
}

int bvc_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "mem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL, *type = NULL, *mem_path = NULL;
	struct bvc_interp_opts iopts = { .sz = sizeof(iopts) };
	struct bvc_interp_region region;
	const struct bvc_prog *prog;
	struct bvc_image *img;
	uint8_t *mem = NULL;
	size_t mem_size = 0;
	char err[256] = "";
	uint64_t r0 = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "p:t:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 't': type = optarg; break;
		case 'm': mem_path = optarg; break;
		case 'h':
			puts("usage: bpfvc run PROG [-p NAME] [--type TYPE] [--mem FILE]");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind != argc - 1) {
		bvc_cli_err("run: expected one file (bpfvc run PROG [--mem FILE])");
		return BVC_EXIT_BAD_INPUT;
	}
	img = bvc_cli_open(argv[optind], type);
	if (!img)
		return BVC_EXIT_BAD_INPUT;
	prog = bvc_cli_pick(img, name);
	if (!prog) {
		bvc_image_free(img);
		return BVC_EXIT_BAD_INPUT;
	}
	if (mem_path) {
		mem = read_file(mem_path, &mem_size);
		if (!mem) {
			bvc_image_free(img);
			return BVC_EXIT_BAD_INPUT;
		}
		region = (struct bvc_interp_region){ (uint64_t)(uintptr_t)mem, mem_size, 1 };
		iopts.regions = &region;
		iopts.region_cnt = 1;
	}

	ret = bvc_interp_run(prog->insns, prog->insn_cnt, (uint64_t)(uintptr_t)mem, mem_size, &iopts,
			     &r0, err, sizeof(err));
	if (ret) {
		bvc_cli_err("%s: %s: %s", img->path, prog->name, err);
		ret = BVC_EXIT_BAD_INPUT;
	} else {
		printf("r0 = %#llx (%lld)\n", (unsigned long long)r0, (long long)r0);
		ret = BVC_EXIT_OK;
	}
	free(mem);
	bvc_image_free(img);
	return ret;
}
