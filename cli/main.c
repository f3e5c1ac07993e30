// SPDX-License-Identifier: MIT
/*
 * bpfvc: the command line. Dispatches to one subcommand per job; each lives
 * in its own file and returns the exit code of docs/design.md section 6.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: bpfvc COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  verify PROG.o [-p NAME] [--type TYPE] [-w N] [--insn-limit N] [--mem-limit SIZE]\n"
	"                      [-l LEVEL] [--json] [-v] [--stats]\n"
	"                      verify a program (exit 0 accepted, 1 rejected, 2 bad input);\n"
	"                      -w N splits the work across N local worker processes\n"
	"  worker --connect ENDPOINT [--mem-limit SIZE]\n"
	"                      one cluster worker for a coordinator at ENDPOINT\n"
	"  compare PROG.o... [-p NAME] [--output-format table|csv]\n"
	"  compare A.csv B.csv  veristat's side-by-side table: the running kernel (A)\n"
	"                      against bpfvc (B), or two saved result sets (exit 0\n"
	"                      verdicts match, 1 some differ, 2 bad input)\n"
	"  disasm PROG.o [-p NAME] [--type TYPE]\n"
	"                      print programs, maps and instructions in kernel log syntax\n"
	"  run PROG [-p NAME] [--type TYPE] [--mem FILE]\n"
	"                      run a program on the reference interpreter with r1 = the\n"
	"                      bytes of FILE and r2 = their length (unverified: for\n"
	"                      development; devices use bpfvc-run on signed blobs)\n"
	"  build PROG.o [-p NAME] --target ARCH --key KEY -o OUT.bvc [-w N]\n"
	"                      verify, JIT for ARCH (x86_64, arm64, thumbv7m) and write\n"
	"                      a signed blob (exit 0 built, 1 rejected or unsupported,\n"
	"                      2 bad input)\n"
	"  keygen -o KEY       write an Ed25519 key pair, KEY and KEY.pub\n"
	"  profile capture -o OUT.profile [--btf FILE] [--config FILE] [--release R] [--arch A]\n"
	"  profile show FILE.profile\n"
	"  profile btf FILE.profile -o OUT.btf\n"
	"                      a device kernel's target profile (BTF, release, arch,\n"
	"                      Kconfig); verify and build take it with --profile\n"
	"  inspect OUT.bvc [--pubkey KEY.pub]\n"
	"                      show a blob: header, sections, metadata, maps,\n"
	"                      relocations, code and bytecode; with --pubkey, check the\n"
	"                      signature (exit 0 shown, 1 refused, 2 bad input)\n"
	"  help                this text\n"
	"\n"
	"PROG is an ELF object built with clang -target bpf, or raw bytecode (a flat\n"
	"file of 8-byte instructions) when --type is given: socket_filter, xdp,\n"
	"sched_cls, sched_act, kprobe, tracepoint, raw_tracepoint, cgroup_skb,\n"
	"perf_event.\n"
;

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? BVC_EXIT_OK : BVC_EXIT_BAD_INPUT;
	}
	if (!strcmp(cmd, "disasm"))
		return bvc_cmd_disasm(argc - 1, argv + 1);
	if (!strcmp(cmd, "verify"))
		return bvc_cmd_verify(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return bvc_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "build"))
		return bvc_cmd_build(argc - 1, argv + 1);
	if (!strcmp(cmd, "keygen"))
		return bvc_cmd_keygen(argc - 1, argv + 1);
	if (!strcmp(cmd, "worker"))
		return bvc_cmd_worker(argc - 1, argv + 1);
	if (!strcmp(cmd, "compare"))
		return bvc_cmd_compare(argc - 1, argv + 1);
	if (!strcmp(cmd, "profile"))
		return bvc_cmd_profile(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return bvc_cmd_inspect(argc - 1, argv + 1);
	bvc_cli_err("unknown command '%s' (try bpfvc --help)", cmd);
	return BVC_EXIT_BAD_INPUT;
}
