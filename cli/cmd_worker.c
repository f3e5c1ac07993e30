// SPDX-License-Identifier: MIT
/*
 * bpfvc worker --connect ENDPOINT [--id ID] [--cpuset LIST]: one cluster
 * worker. A coordinator spawns these for local workers (with --id, so it
 * can match the peer to the process, and --cpuset from its placement plan);
 * started by hand, a worker connects to a coordinator's --bind endpoint.
 * Exit 0 when the coordinator said goodbye, 2 on any failure (one line on
 * stderr says why).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/worker.h"
#include "cli.h"

int bvc_cmd_worker(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },
		{ "cpuset", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_worker_opts wopts = { .sz = sizeof(wopts), .cores = 1 };
	const char *endpoint = NULL, *cpuset = NULL;
	struct bvc_worker *w;
	char err[512];
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': endpoint = optarg; break;
		case 'i': wopts.routing_id = optarg; break;
		case 's': cpuset = optarg; break;
		case 'h':
			puts("usage: bpfvc worker --connect ENDPOINT [--id ID] [--cpuset LIST]");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (!endpoint || optind != argc) {
		bvc_cli_err("worker: expected --connect ENDPOINT (ipc://PATH or tcp://HOST:PORT)");
		return BVC_EXIT_BAD_INPUT;
	}
	if (wopts.routing_id && (!wopts.routing_id[0] || strlen(wopts.routing_id) > 255)) {
		bvc_cli_err("worker: --id must be 1..255 bytes");
		return BVC_EXIT_BAD_INPUT;
	}
	/* Pin before the ZeroMQ context exists: its threads inherit it. */
	if (cpuset) {
		struct bvc_core_slot slot = { .core_os = -1 };

		if (strlen(cpuset) >= sizeof(slot.cpuset)) {
			bvc_cli_err("worker: --cpuset '%s' is too long", cpuset);
			return BVC_EXIT_BAD_INPUT;
		}
		strcpy(slot.cpuset, cpuset);
		if (bvc_worker_pin_to_core(&slot, err, sizeof(err))) {
			bvc_cli_err("worker: %s", err);
			return BVC_EXIT_BAD_INPUT;
		}
	}
	ret = bvc_worker_new(endpoint, &wopts, &w, err, sizeof(err));
	if (ret) {
		bvc_cli_err("worker: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	ret = bvc_worker_hello(w, NULL, err, sizeof(err));
	if (!ret)
		ret = bvc_worker_serve(w, NULL, err, sizeof(err));
	bvc_worker_free(w);
	if (ret) {
		bvc_cli_err("worker: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	return BVC_EXIT_OK;
}
