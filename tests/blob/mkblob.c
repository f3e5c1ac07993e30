// SPDX-License-Identifier: MIT
/*
 * mkblob KEY x86_64|arm64 OUT: write the sample blob (sample.h) signed with
 * KEY, for the CLI test, which needs a blob before any JIT exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/blob.h"
#include "sample.h"

int main(int argc, char **argv)
{
	struct bvc_key *key = NULL;
	struct bvc_blob b;
	uint8_t *out = NULL;
	size_t size = 0;
	char err[512] = "";
	FILE *f;

	if (argc != 4 || (strcmp(argv[2], "x86_64") && strcmp(argv[2], "arm64"))) {
		fprintf(stderr, "usage: mkblob KEY x86_64|arm64 OUT\n");
		return 2;
	}
	if (bvc_signer_load_private(argv[1], &key, err, sizeof(err))) {
		fprintf(stderr, "mkblob: %s\n", err);
		return 1;
	}
	bvc_test_sample_blob(&b, strcmp(argv[2], "arm64") ? 1 : 2);
	if (bvc_blob_write(&b, key, &out, &size, err, sizeof(err))) {
		fprintf(stderr, "mkblob: %s\n", err);
		return 1;
	}
	f = fopen(argv[3], "wb");
	if (!f || fwrite(out, 1, size, f) != size || fclose(f) != 0) {
		fprintf(stderr, "mkblob: cannot write %s\n", argv[3]);
		return 1;
	}
	free(out);
	bvc_signer_key_free(key);
	return 0;
}
