// SPDX-License-Identifier: MIT
/*
 * CURVE key files for the cluster (docs/design.md section 4, "Who may join": CURVE keys keep
 * strangers out).
 *
 * A key pair is two text files: NAME.key holds the secret key and NAME.pub
 * the public key, each one line of 40 Z85 characters (ZeroMQ's text form of
 * a 32-byte Curve25519 key). The public key is derived again from the
 * secret when it is read, so a .key file alone is enough for its owner.
 * A trust store is a file of public keys (one per line; blank lines and
 * lines starting with '#' are skipped) or a directory whose *.pub files
 * each hold one.
 *
 * Must not: print, or write a secret key readable by others (0600).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "bpfvc/worker.h"
#include "bpfvc/util.h"

/* Is @s (NUL-terminated) a Z85 key that decodes to 32 bytes? */
static int z85_ok(const char *s)
{
	uint8_t bin[32];

	if (strlen(s) != BVC_CURVE_Z85_LEN)
		return 0;
	return zmq_z85_decode(bin, s) != NULL;
}

static int write_file(const char *path, const char *text, mode_t mode, char *err, size_t errsz)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	size_t len = strlen(text);

	if (fd < 0) {
		bvc_set_err(err, errsz, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len) {
		int e = errno;

		close(fd);
		bvc_set_err(err, errsz, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	if (close(fd) < 0) {
		bvc_set_err(err, errsz, "cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int bvc_curve_keygen(const char *name, char *err, size_t errsz)
{
	char pub[BVC_CURVE_Z85_LEN + 1], sec[BVC_CURVE_Z85_LEN + 1];
	char path[4096], line[BVC_CURVE_Z85_LEN + 2];
	int ret;

	if (zmq_curve_keypair(pub, sec) < 0) {
		bvc_set_err(err, errsz, "cannot make a CURVE key pair: %s (ZeroMQ without CURVE?)",
			zmq_strerror(errno));
		return -ENOTSUP;
	}
	if (snprintf(path, sizeof(path), "%s.key", name) >= (int)sizeof(path)) {
		bvc_set_err(err, errsz, "key name too long");
		return -ENAMETOOLONG;
	}
	snprintf(line, sizeof(line), "%s\n", sec);
	ret = write_file(path, line, 0600, err, errsz);
	memset(sec, 0, sizeof(sec));
	memset(line, 0, sizeof(line));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s.pub", name);
	snprintf(line, sizeof(line), "%s\n", pub);
	return write_file(path, line, 0644, err, errsz);
}

/* The first key line of @path (40 Z85 characters) into @key. */
static int read_key_line(const char *path, char key[BVC_CURVE_Z85_LEN + 1], char *err,
			 size_t errsz)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f) {
		bvc_set_err(err, errsz, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (!n || line[0] == '#')
			continue;
		fclose(f);
		if (!z85_ok(line)) {
			bvc_set_err(err, errsz, "%s: not a CURVE key (expected 40 Z85 characters)", path);
			memset(line, 0, sizeof(line));
			return -EINVAL;
		}
		memcpy(key, line, BVC_CURVE_Z85_LEN + 1);
		memset(line, 0, sizeof(line));
		return 0;
	}
	fclose(f);
	bvc_set_err(err, errsz, "%s: no key in it", path);
	return -EINVAL;
}

int bvc_curve_read_secret(const char *path, struct bvc_curve_keypair *kp, char *err,
			  size_t errsz)
{
	int ret = read_key_line(path, kp->sec, err, errsz);

	if (ret)
		return ret;
	if (zmq_curve_public(kp->pub, kp->sec) < 0) {
		bvc_set_err(err, errsz, "%s: cannot derive the public key: %s", path,
			zmq_strerror(errno));
		return -EINVAL;
	}
	return 0;
}

int bvc_curve_read_public(const char *path, char pub[BVC_CURVE_Z85_LEN + 1], char *err,
			  size_t errsz)
{
	return read_key_line(path, pub, err, errsz);
}

static int trust_add(struct bvc_curve_trust *t, const char *key)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		char(*k)[BVC_CURVE_Z85_LEN + 1] = realloc(t->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		t->keys = k;
		t->cap = cap;
	}
	memcpy(t->keys[t->n++], key, BVC_CURVE_Z85_LEN + 1);
	return 0;
}

/* Every key line of the file @path. */
static int trust_file(struct bvc_curve_trust *t, const char *path, char *err, size_t errsz)
{
	char line[256];
	int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		bvc_set_err(err, errsz, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");

		lineno++;
		line[n] = '\0';
		if (!n || line[0] == '#')
			continue;
		if (!z85_ok(line)) {
			fclose(f);
			bvc_set_err(err, errsz, "%s:%d: not a CURVE public key", path, lineno);
			return -EINVAL;
		}
		if (trust_add(t, line)) {
			fclose(f);
			bvc_set_err(err, errsz, "out of memory");
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

int bvc_curve_read_trust(const char *path, struct bvc_curve_trust *t, char *err, size_t errsz)
{
	struct stat st;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st) < 0) {
		bvc_set_err(err, errsz, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent *de;
		DIR *d = opendir(path);

		if (!d) {
			bvc_set_err(err, errsz, "cannot open %s: %s", path, strerror(errno));
			return -errno;
		}
		while (!ret && (de = readdir(d))) {
			size_t n = strlen(de->d_name);
			char file[4096];

			if (n < 5 || strcmp(de->d_name + n - 4, ".pub"))
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
			ret = trust_file(t, file, err, errsz);
		}
		closedir(d);
	} else {
		ret = trust_file(t, path, err, errsz);
	}
	if (!ret && !t->n) {
		bvc_set_err(err, errsz, "%s: no trusted public key in it", path);
		ret = -ENOENT;
	}
	if (ret)
		bvc_curve_trust_release(t);
	return ret;
}

void bvc_curve_trust_release(struct bvc_curve_trust *t)
{
	free(t->keys);
	memset(t, 0, sizeof(*t));
}
