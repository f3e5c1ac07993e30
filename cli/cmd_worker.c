// SPDX-License-Identifier: MIT
/*
 * bpfvc worker --connect ENDPOINT [--id ID] [--cpuset LIST]
 *              [--curve-secret FILE --curve-server PUBFILE]
 *              [--wait SECONDS] [--forever]
 * bpfvc worker --curve-keygen NAME
 *
 * One cluster worker. A coordinator spawns these for local workers (with
 * --id, so it can match the peer to the process, and --cpuset from its
 * placement plan); started by hand (or by systemd, Kubernetes: see
 * docs/deploy.md), a worker connects to a coordinator's --bind endpoint,
 * tcp://HOST:PORT. ZeroMQ reconnects a lost link by itself (100 ms,
 * doubling up to 5 s); a coordinator silent for BVC_WIRE_DEAD_BEATS
 * heartbeats is gone, and one that declared us dead tells us so: we then
 * say Hello again on the same link (bvc_worker_serve).
 * --wait: how long the first answer may take (default 10 s; the
 * coordinator may start later). --forever: after a session ends, for any
 * reason, start a new one (backoff 1 s doubling to 30 s) instead of
 * exiting: for a worker that serves one coordinator run after another.
 * With CURVE, our key pair comes from --curve-secret (NAME.key, written by
 * --curve-keygen with NAME.pub) and the coordinator's public key from
 * --curve-server; a coordinator that does not trust our key refuses the
 * handshake and we exit 2 saying so.
 *
 * Exit 0 when the coordinator said goodbye, 2 on any failure (one line on
 * stderr says why).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/worker.h"
#include "cli.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* One session: connect, hello, serve. */
static int session(const char *endpoint, const struct bvc_worker_opts *wopts, char *err,
		   size_t errsz)
{
	struct bvc_worker *w;
	int ret = bvc_worker_new(endpoint, wopts, &w, err, errsz);

	if (ret)
		return ret;
	ret = bvc_worker_hello(w, NULL, err, errsz);
	if (!ret)
		ret = bvc_worker_serve(w, NULL, err, errsz);
	bvc_worker_free(w);
	return ret;
}

int bvc_cmd_worker(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },
		{ "cpuset", required_argument, NULL, 's' },
		{ "curve-secret", required_argument, NULL, 'K' },
		{ "curve-server", required_argument, NULL, 'P' },
		{ "curve-keygen", required_argument, NULL, 'G' },
		{ "wait", required_argument, NULL, 'W' },
		{ "forever", no_argument, NULL, 'F' },
		{ "mem-limit", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_worker_opts wopts = { .sz = sizeof(wopts), .cores = 1, .timeout_ms = 10000 };
	const char *endpoint = NULL, *cpuset = NULL, *secret = NULL, *server = NULL;
	const char *keygen = NULL;
	struct bvc_curve_keypair kp;
	char server_pub[BVC_CURVE_Z85_LEN + 1], rid[128];
	int c, ret, forever = 0, backoff = 1;
	char err[512], *end;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': endpoint = optarg; break;
		case 'i': wopts.routing_id = optarg; break;
		case 's': cpuset = optarg; break;
		case 'K': secret = optarg; break;
		case 'P': server = optarg; break;
		case 'G': keygen = optarg; break;
		case 'F': forever = 1; break;
		case 'M':
			if (bvc_cli_parse_size(optarg, &wopts.mem_limit)) {
				bvc_cli_err("worker: --mem-limit expects a size (bytes, or with K, M, G), got '%s'",
					    optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'W': {
			double s = strtod(optarg, &end);

			if (*end || !*optarg || s <= 0 || s > 86400) {
				bvc_cli_err("worker: --wait expects seconds, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			wopts.timeout_ms = (int)(s * 1000);
			break;
		}
		case 'h':
			puts("usage: bpfvc worker --connect ENDPOINT [--id ID] [--cpuset LIST]\n"
			     "                    [--curve-secret NAME.key --curve-server COORD.pub]\n"
			     "                    [--wait SECONDS] [--forever] [--mem-limit SIZE]\n"
			     "       bpfvc worker --curve-keygen NAME   (writes NAME.key and NAME.pub)");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (keygen) {
		if (endpoint || optind != argc) {
			bvc_cli_err("worker: --curve-keygen NAME takes nothing else");
			return BVC_EXIT_BAD_INPUT;
		}
		if (bvc_curve_keygen(keygen, err, sizeof(err))) {
			bvc_cli_err("worker: %s", err);
			return BVC_EXIT_BAD_INPUT;
		}
		fprintf(stderr, "wrote %s.key (secret) and %s.pub\n", keygen, keygen);
		return BVC_EXIT_OK;
	}
	if (!endpoint || optind != argc) {
		bvc_cli_err("worker: expected --connect ENDPOINT (ipc://PATH or tcp://HOST:PORT)");
		return BVC_EXIT_BAD_INPUT;
	}
	if (wopts.routing_id && (!wopts.routing_id[0] || strlen(wopts.routing_id) > 255)) {
		bvc_cli_err("worker: --id must be 1..255 bytes");
		return BVC_EXIT_BAD_INPUT;
	}
	if (!!secret != !!server) {
		bvc_cli_err("worker: CURVE needs both --curve-secret and --curve-server");
		return BVC_EXIT_BAD_INPUT;
	}
	if (secret) {
		if (bvc_curve_read_secret(secret, &kp, err, sizeof(err)) ||
		    bvc_curve_read_public(server, server_pub, err, sizeof(err))) {
			bvc_cli_err("worker: %s", err);
			return BVC_EXIT_BAD_INPUT;
		}
		wopts.curve_secret = kp.sec;
		wopts.curve_public = kp.pub;
		wopts.curve_server = server_pub;
	}
	/* Remote workers name themselves host:pid, for the coordinator's
	 * -v and --stats lines. */
	if (!wopts.routing_id) {
		char host[64] = "";

		gethostname(host, sizeof(host) - 1);
		snprintf(rid, sizeof(rid), "%s:%d", host[0] ? host : "worker", (int)getpid());
		wopts.routing_id = rid;
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
	if (forever) {
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
	}
	for (;;) {
		ret = session(endpoint, &wopts, err, sizeof(err));
		if (!forever || stop)
			break;
		if (ret == -EINVAL || ret == -ENOMEM) /* will not get better */
			break;
		if (ret) {
			bvc_cli_err("worker: %s (again in %d s)", err, backoff);
			for (int k = 0; k < backoff * 10 && !stop; k++)
				usleep(100000);
			backoff = backoff < 30 ? (backoff * 2 > 30 ? 30 : backoff * 2) : 30;
		} else {
			backoff = 1;
		}
		if (stop)
			break;
	}
	memset(&kp, 0, sizeof(kp));
	if (ret && !(forever && stop)) {
		bvc_cli_err("worker: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	return BVC_EXIT_OK;
}
