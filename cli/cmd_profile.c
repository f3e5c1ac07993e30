// SPDX-License-Identifier: MIT
/*
 * bpfvc profile capture|show: a device kernel's target profile
 * (docs/profile-format.md). capture runs on the device (its own files) or
 * anywhere from given files; show prints a summary of one. Bad input, a
 * malformed profile included, is exit 2 with one line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bpfvc/profile.h"
#include "cli.h"

static const char usage[] =
	"usage: bpfvc profile capture -o OUT.profile [--btf FILE] [--config FILE]\n"
	"                             [--release R] [--arch A]\n"
	"       bpfvc profile show FILE.profile\n"
	"       bpfvc profile btf FILE.profile -o OUT.btf\n"
	"capture: this machine's kernel by default (/sys/kernel/btf/vmlinux,\n"
	"/boot/config-$(uname -r) or /proc/config.gz, uname); --btf takes raw BTF or\n"
	"an ELF object's .BTF; with --btf or --release, Kconfig comes from --config\n"
	"only. show: release, architecture, BTF size and SHA-256, program types,\n"
	"helpers and Kconfig lines. btf: the profile's raw BTF, as its kernel's\n"
	"/sys/kernel/btf/vmlinux holds it (what bpfvc-run --btf compares).\n";

static int capture(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "btf", required_argument, NULL, 'b' },
					      { "config", required_argument, NULL, 'c' },
					      { "release", required_argument, NULL, 'r' },
					      { "arch", required_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct bvc_profile_capture_opts copts = { .sz = sizeof(copts) };
	const char *out = NULL;
	struct bvc_profile *p = NULL;
	uint8_t *buf = NULL;
	size_t size = 0;
	char err[512];
	FILE *f;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'b':
			copts.btf_path = optarg;
			break;
		case 'c':
			copts.config_path = optarg;
			break;
		case 'r':
			copts.release = optarg;
			break;
		case 'a':
			copts.arch = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return BVC_EXIT_OK;
		default:
			fputs(usage, stderr);
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (!out || optind != argc) {
		fputs(usage, stderr);
		return BVC_EXIT_BAD_INPUT;
	}
	if (bvc_profile_capture(&copts, &p, err, sizeof(err)) ||
	    bvc_profile_write(p, &buf, &size, err, sizeof(err))) {
		bvc_cli_err("profile capture: %s", err);
		bvc_profile_free(p);
		return BVC_EXIT_BAD_INPUT;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
		bvc_cli_err("profile capture: %s: %s", out, strerror(errno));
		if (f)
			fclose(f);
		free(buf);
		bvc_profile_free(p);
		return BVC_EXIT_BAD_INPUT;
	}
	printf("%s: kernel %s (%s), BTF %zu bytes, ", out, p->release, p->arch, p->btf_size);
	if (p->prog_types)
		printf("%zu program types, ", p->prog_type_cnt);
	else
		printf("program types unknown, ");
	if (p->helpers)
		printf("%zu helpers, ", p->helper_cnt);
	else
		printf("helpers unknown, ");
	printf("%s\n", p->kconfig ? "Kconfig" : "no Kconfig");
	free(buf);
	bvc_profile_free(p);
	return BVC_EXIT_OK;
}

static int show(int argc, char **argv)
{
	struct bvc_profile *p;
	unsigned char md[32];
	unsigned int len = 0;
	size_t i, lines = 0;
	char err[512];

	if (argc != 2 || argv[1][0] == '-') {
		fputs(usage, argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc == 2 && !strcmp(argv[1], "--help") ? BVC_EXIT_OK : BVC_EXIT_BAD_INPUT;
	}
	if (bvc_profile_load(argv[1], &p, err, sizeof(err))) {
		bvc_cli_err("%s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	if (!EVP_Digest(p->btf, p->btf_size, md, &len, EVP_sha256(), NULL)) {
		bvc_cli_err("SHA-256 failed");
		bvc_profile_free(p);
		return BVC_EXIT_BAD_INPUT;
	}
	printf("profile:       %s (format %d)\n", argv[1], BVC_PROFILE_VERSION);
	printf("release:       %s\n", p->release);
	printf("arch:          %s\n", p->arch);
	printf("btf:           %zu bytes, sha256 ", p->btf_size);
	for (i = 0; i < 32; i++)
		printf("%02x", md[i]);
	printf("\n");
	printf("program types: %zu", p->prog_type_cnt);
	for (i = 0; i < p->prog_type_cnt; i++)
		printf("%s%s", i ? " " : ": ", p->prog_types[i].name);
	printf("%s\n", p->prog_types ? "" : " (the BTF has no enum bpf_prog_type)");
	printf("helpers:       %zu", p->helper_cnt);
	if (p->helper_cnt)
		printf(" (ids %u..%u)", p->helpers[0].value, p->helpers[p->helper_cnt - 1].value);
	printf("%s\n", p->helpers ? "" : " (the BTF has no enum bpf_func_id)");
	for (i = 0; p->kconfig && i < p->kconfig_len; i++)
		lines += p->kconfig[i] == '\n';
	if (p->kconfig)
		printf("kconfig:       %zu lines, %zu bytes\n", lines, p->kconfig_len);
	else
		printf("kconfig:       none\n");
	bvc_profile_free(p);
	return BVC_EXIT_OK;
}

static int dump_btf(int argc, char **argv)
{
	struct bvc_profile *p;
	char err[512];
	FILE *f;
	int ok;

	if (argc != 4 || strcmp(argv[2], "-o")) {
		fputs(usage, stderr);
		return BVC_EXIT_BAD_INPUT;
	}
	if (bvc_profile_load(argv[1], &p, err, sizeof(err))) {
		bvc_cli_err("%s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	f = fopen(argv[3], "wb");
	ok = f && fwrite(p->btf, 1, p->btf_size, f) == p->btf_size;
	if (f && fclose(f))
		ok = 0;
	if (!ok)
		bvc_cli_err("profile btf: %s: %s", argv[3], strerror(errno));
	bvc_profile_free(p);
	return ok ? BVC_EXIT_OK : BVC_EXIT_BAD_INPUT;
}

int bvc_cmd_profile(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "btf"))
		return dump_btf(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "capture"))
		return capture(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return show(argc - 1, argv + 1);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return BVC_EXIT_OK;
	}
	fputs(usage, stderr);
	return BVC_EXIT_BAD_INPUT;
}
