// SPDX-License-Identifier: MIT
/*
 * Opening a signed blob: read it, let bvc_blob_read() check its structure
 * and its signature against the trusted key, then bvc_rt_load(). Kept apart
 * from loader.c so the rest of the runtime (and its tests) links without
 * the blob reader and OpenSSL.
 *
 * Must not: load anything unsigned or signed by another key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime_internal.h"

#define MAX_BLOB_SIZE (256u << 20)

int bvc_rt_open_mem(const uint8_t *buf, size_t size, const char *name,
		    const struct bvc_key *trusted, const struct bvc_rt_opts *opts,
		    struct bvc_rt_prog **out, char *err, size_t errsz)
{
	struct bvc_blob *blob = NULL;
	char why[512] = "";
	uint32_t ids[256];
	size_t n;
	int ret;

	*out = NULL;
	if (!name)
		name = "blob";
	if (!trusted) {
		bvc_set_err(err, errsz, "%s: no trusted key: unsigned blobs are refused", name);
		return -EKEYREJECTED;
	}
	ret = bvc_blob_read(buf, size, trusted, &blob, why, sizeof(why));
	if (ret) {
		bvc_set_err(err, errsz, "%s: %s", name, why[0] ? why : strerror(-ret));
		return ret;
	}
	/* The reader's own check of the declared helpers; bvc_rt_load() checks
	 * relocations and bytecode calls too, with the same message. */
	n = rt_helper_ids(ids, sizeof(ids) / sizeof(ids[0]));
	/* A blob verified for another kernel's layout reads the wrong
	 * fields here: refused before anything is set up. */
	ret = bvc_blob_check_kernel(blob, BVC_OPTS_GET(opts, kernel_btf, NULL), why, sizeof(why));
	if (!ret)
		ret = bvc_blob_check_helpers(blob, ids, n, why, sizeof(why));
	if (!ret)
		ret = bvc_rt_load(blob, opts, out, why, sizeof(why));
	if (ret)
		bvc_set_err(err, errsz, "%s: %s", name, why[0] ? why : strerror(-ret));
	bvc_blob_free(blob);
	return ret;
}

int bvc_rt_open_file(const char *path, const struct bvc_key *trusted,
		     const struct bvc_rt_opts *opts, struct bvc_rt_prog **out, char *err,
		     size_t errsz)
{
	uint8_t *buf = NULL;
	struct stat st;
	FILE *f;
	int ret;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		bvc_set_err(err, errsz, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		bvc_set_err(err, errsz, "%s: not a regular file", path);
		ret = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > MAX_BLOB_SIZE) {
		bvc_set_err(err, errsz, "%s: %lld bytes is larger than a blob may be", path,
		       (long long)st.st_size);
		ret = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		bvc_set_err(err, errsz, "%s: read failed", path);
		ret = -EIO;
		goto out;
	}
	ret = bvc_rt_open_mem(buf, (size_t)st.st_size, path, trusted, opts, out, err, errsz);
out:
	free(buf);
	fclose(f);
	return ret;
}
