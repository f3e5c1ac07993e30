// SPDX-License-Identifier: MIT
/*
 * bpfvc keygen -o KEY: an Ed25519 key pair for signing blobs, KEY (private,
 * 0600) and KEY.pub (public, for devices and `bpfvc inspect --pubkey`).
 * Prints the key id devices will see in blobs. Never overwrites a key.
 * Exit 0 written, 2 bad usage or the files could not be written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpfvc/signer.h"
#include "cli.h"

static const char keygen_usage[] = "usage: bpfvc keygen -o KEY   (writes KEY and KEY.pub)\n";

/* Declared here and in main.c rather than in cli.h, which this change
 * leaves alone; move it there when convenient. */
int bvc_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_key *key = NULL;
	const char *path = NULL;
	char *pubpath = NULL;
	char err[512] = "", hex[17];
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': path = optarg; break;
		case 'h': fputs(keygen_usage, stdout); return BVC_EXIT_OK;
		default: fputs(keygen_usage, stderr); return BVC_EXIT_BAD_INPUT;
		}
	}
	if (!path || optind != argc) {
		bvc_cli_err("keygen: expected -o KEY and nothing else");
		fputs(keygen_usage, stderr);
		return BVC_EXIT_BAD_INPUT;
	}
	ret = bvc_signer_keygen(path, err, sizeof(err));
	if (ret) {
		bvc_cli_err("keygen: %s", err);
		return BVC_EXIT_BAD_INPUT;
	}
	/* Read the public half back: the id printed is the one blobs carry. */
	if (asprintf(&pubpath, "%s.pub", path) < 0) {
		bvc_cli_err("keygen: out of memory");
		return BVC_EXIT_BAD_INPUT;
	}
	ret = bvc_signer_load_public(pubpath, &key, err, sizeof(err));
	if (ret) {
		bvc_cli_err("keygen: %s", err);
		free(pubpath);
		return BVC_EXIT_BAD_INPUT;
	}
	printf("wrote %s (private key) and %s (public key), key id %s\n", path, pubpath,
	       bvc_signer_key_id_hex(bvc_signer_key_id(key), hex));
	bvc_signer_key_free(key);
	free(pubpath);
	return BVC_EXIT_OK;
}
