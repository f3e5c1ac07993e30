// SPDX-License-Identifier: MIT
/*
 * The harnesses of tests/fuzz/ without libFuzzer: every file of the
 * directories given goes once through LLVMFuzzerTestOneInput(), in name
 * order. This is how the corpus kept in the repository, and the inputs of
 * past findings (tests/fuzz/regress/<harness>/), run in `make test` with
 * the ordinary builds (gcc, and ASan + UBSan): a finding aborts with its
 * message, and the test fails.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **ents;
		int cnt = scandir(argv[i], &ents, NULL, by_name);

		if (cnt < 0)
			continue; /* a harness may have no regression inputs yet */
		for (int k = 0; k < cnt; k++) {
			char path[4096];

			if (ents[k]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
				fprintf(stderr, "replay: %s\n", path);
				if (run_file(path))
					return 2;
				n++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	/* The harness would have aborted on a finding. */
	printf("replay: %lu inputs, no finding\n", n);
	return n ? 0 : 1;
}
