// SPDX-License-Identifier: MIT
/*
 * bpfvc verify: verify one program (-p) or every program of each object
 * given, print one verdict line per program (or one JSON object per
 * program with --json), exit 0 when all are accepted, 1 when any is
 * rejected, 2 on bad input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/verifier.h"
#include "cli.h"

/* A JSON string literal: quotes, backslashes and control bytes escaped. */
static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			  const struct bvc_verdict *v, int json)
{
	if (json) {
		printf("{\"file\":");
		print_json_str(img->path);
		printf(",\"program\":");
		print_json_str(prog->name);
		printf(",\"verdict\":\"%s\",\"unsupported\":%s", v->kind == BVC_ACCEPT ? "accept" : "reject",
		       v->unsupported ? "true" : "false");
		if (v->kind == BVC_REJECT)
			printf(",\"insn\":%zu", v->insn);
		printf(",\"message\":");
		print_json_str(v->msg);
		printf(",\"processed_insns\":%llu,\"total_states\":%llu,\"peak_states\":%llu",
		       (unsigned long long)v->processed, (unsigned long long)v->total_states,
		       (unsigned long long)v->peak_states);
		if (v->log) {
			printf(",\"log\":");
			print_json_str(v->log);
		}
		printf("}\n");
		return;
	}
	if (v->kind == BVC_ACCEPT)
		printf("%s: %s: accepted (processed %llu insns)\n", img->path, prog->name,
		       (unsigned long long)v->processed);
	else
		printf("%s: %s: rejected at insn %zu: %s\n", img->path, prog->name, v->insn, v->msg);
}

int bvc_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "insn-limit", required_argument, NULL, 'L' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_verify_opts vopts = { .sz = sizeof(vopts), .insn_limit = 1000000 };
	const char *name = NULL, *type = NULL;
	int c, json = 0, ret = BVC_EXIT_OK;
	char *end;

	while ((c = getopt_long(argc, argv, "p:t:w:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 't': type = optarg; break;
		case 'w':
			/* The cluster is not built yet: every run is in-process. */
			strtoul(optarg, &end, 10);
			if (*end) {
				bvc_cli_err("verify: -w expects a number, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'L':
			vopts.insn_limit = strtoull(optarg, &end, 10);
			if (*end) {
				bvc_cli_err("verify: --insn-limit expects a number, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'l':
			vopts.log_level = (int)strtol(optarg, &end, 10);
			if (*end) {
				bvc_cli_err("verify: -l expects 1, 2 or 4, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'j': json = 1; break;
		case 'h':
			puts("usage: bpfvc verify PROG.o... [-p NAME] [--type TYPE] [--insn-limit N] [-l LEVEL] [--json]");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind >= argc) {
		bvc_cli_err("verify: expected a file (bpfvc verify PROG.o)");
		return BVC_EXIT_BAD_INPUT;
	}

	for (int a = optind; a < argc; a++) {
		struct bvc_image *img = bvc_cli_open(argv[a], type);

		if (!img)
			return BVC_EXIT_BAD_INPUT;
		for (size_t i = 0; i < img->prog_cnt; i++) {
			const struct bvc_prog *prog = &img->progs[i];
			struct bvc_verdict v;
			int err;

			if (name && strcmp(prog->name, name) && strcmp(prog->sec_name, name))
				continue;
			err = bvc_verify(img, prog, &vopts, &v);
			if (err) {
				bvc_cli_err("%s: %s: internal error %d", img->path, prog->name, err);
				bvc_image_free(img);
				return BVC_EXIT_BAD_INPUT;
			}
			if (v.log && !json)
				fwrite(v.log, 1, v.log_len, stdout);
			print_verdict(img, prog, &v, json);
			if (v.kind != BVC_ACCEPT)
				ret = BVC_EXIT_REJECT;
			bvc_verdict_release(&v);
		}
		if (name && !bvc_image_find_prog(img, name)) {
			bvc_cli_err("%s: no program named '%s'", img->path, name);
			bvc_image_free(img);
			return BVC_EXIT_BAD_INPUT;
		}
		bvc_image_free(img);
	}
	return ret;
}
