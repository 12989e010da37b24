/* The node's key files in the state directory (keys.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "common/atomic.h"
#include "common/name.h"
#include "keys.h"
#include "state.h"

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL
#define B64_32 sodium_base64_ENCODED_LEN(32, B64_VARIANT)	/* incl. NUL */

/* Write 32 bytes as one base64 line. */
static int
write_b64(const char *dir, const char *file, const uint8_t bin[32], mode_t mode)
{
	char *line;
	size_t n;
	int rc;

	line = sodium_malloc(B64_32 + 1);
	if (line == NULL)
		return -ENOMEM;
	sodium_bin2base64(line, B64_32, bin, 32, B64_VARIANT);
	n = B64_32 - 1;
	line[n++] = '\n';
	rc = state_write_owned(dir, file, line, n, mode);
	sodium_free(line);
	return rc;
}

/* Read one base64 line of 32 bytes into bin.  The text lives in guarded
 * memory because for keys it is the secret itself. */
static int
read_b64(const char *dir, const char *file, uint8_t bin[32], char *err,
    size_t errlen)
{
	char path[4096], *text;
	size_t binlen = 0;
	const char *end;
	ssize_t n;
	int rc = 0;

	if ((rc = state_path(path, sizeof(path), dir, file)) < 0)
		return rc;
	if ((text = sodium_malloc(128)) == NULL)
		return -ENOMEM;
	n = read_small_file(path, text, 127);
	if (n < 0) {
		rc = (int)n;
		snprintf(err, errlen, "%s: %s", path,
		    rc == -EFBIG ? "not a key file (too long)" : strerror(-rc));
		goto out;
	}
	text[n] = '\0';
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (sodium_base642bin(bin, 32, text, (size_t)n, NULL, &binlen, &end,
	    B64_VARIANT) != 0 || binlen != 32 || *end != '\0') {
		snprintf(err, errlen, "%s: not a key file (expected one base64 "
		    "line of 32 bytes)", path);
		rc = -EINVAL;
	}
out:
	sodium_free(text);
	return rc;
}

/* Check the name, make dir if need be, and refuse when guard already exists
 * in it (what: what that means, for the message).  0, or -errno with err. */
static int
prepare(const char *dir, const char *name, const char *guard,
    const char *what, char *err, size_t errlen)
{
	char path[4096];
	const char *why;
	struct stat st;
	int rc;

	if (!mesh_label_valid(name, strlen(name), &why)) {
		snprintf(err, errlen, "invalid name '%s': a name %s", name, why);
		return -EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -EIO;
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return rc;
	}
	if ((rc = state_path(path, sizeof(path), dir, guard)) < 0) {
		snprintf(err, errlen, "state directory path too long");
		return rc;
	}
	if (stat(path, &st) == 0) {
		snprintf(err, errlen, "%s already exists: this machine is "
		    "already %s (remove %s to start over)", path, what, dir);
		return -EEXIST;
	}
	return 0;
}

/* node.name, lower case. */
static int
write_name(const char *dir, const char *name)
{
	char line[MESH_LABEL_MAX + 2];

	snprintf(line, sizeof(line), "%s\n", name);
	for (char *c = line; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return state_write_owned(dir, "node.name", line, strlen(line), 0644);
}

/* A new Ed25519 key pair: the public half to pub, then the seed to key
 * (0600), so a crash between the two leaves no usable secret behind. */
static int
write_new_keypair(const char *dir, const char *pub, const char *key)
{
	unsigned char *seed = sodium_malloc(32);
	unsigned char *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	uint8_t pk[32];
	int rc = -ENOMEM;

	if (seed != NULL && sk != NULL) {
		randombytes_buf(seed, 32);
		crypto_sign_seed_keypair(pk, sk, seed);
		if ((rc = write_b64(dir, pub, pk, 0644)) == 0)
			rc = write_b64(dir, key, seed, 0600);
	}
	sodium_free(seed);
	sodium_free(sk);
	return rc;
}

int
identity_create(const char *dir, const char *name, char *err, size_t errlen)
{
	int rc;

	if ((rc = prepare(dir, name, "node.key", "a node", err, errlen)) < 0)
		return rc;
	/* The network first, node.key last: a crash before the end leaves
	 * no node.key, so init can simply run again. */
	if ((rc = write_new_keypair(dir, "network.pub", "network.key")) < 0 ||
	    (rc = write_name(dir, name)) < 0 ||
	    (rc = write_new_keypair(dir, "node.pub", "node.key")) < 0)
		snprintf(err, errlen, "cannot write to %s: %s", dir, strerror(-rc));
	return rc;
}

/* The node half of identity_create, for a machine that joins a network
 * made elsewhere: node key and name, no network key.  A node key left by
 * an earlier join that never finished (no network.pub yet) is kept, so
 * the joiner's key stays the one the invite was used for. */
int
identity_create_node(const char *dir, const char *name, char *err,
    size_t errlen)
{
	char path[4096];
	struct stat st;
	int rc;

	if ((rc = prepare(dir, name, "network.pub", "a node of a network",
	    err, errlen)) < 0)
		return rc;
	if ((rc = write_name(dir, name)) < 0 ||
	    (rc = state_path(path, sizeof(path), dir, "node.key")) < 0)
		goto fail;
	if (stat(path, &st) == 0)
		return 0;
	if ((rc = write_new_keypair(dir, "node.pub", "node.key")) == 0)
		return 0;
fail:
	snprintf(err, errlen, "cannot write to %s: %s", dir, strerror(-rc));
	return rc;
}

/* Read node.key into id->sk (guarded memory) and check that it is the
 * secret of id->pk.  On failure id->sk is NULL again. */
static int
load_sk(const char *dir, struct mesh_identity *id, char *err, size_t errlen)
{
	unsigned char *seed;
	uint8_t pk[32];
	int rc;

	if (sodium_init() < 0)
		return -EIO;
	seed = sodium_malloc(32);
	id->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (seed == NULL || id->sk == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = read_b64(dir, "node.key", seed, err, errlen)) < 0)
		goto out;
	crypto_sign_seed_keypair(pk, id->sk, seed);
	if (sodium_memcmp(pk, id->pk, 32) != 0) {
		snprintf(err, errlen, "%s/node.key does not match node.pub", dir);
		rc = -EINVAL;
	}
out:
	sodium_free(seed);
	if (rc < 0) {
		sodium_free(id->sk);
		id->sk = NULL;
	}
	return rc;
}

int
identity_load_node_key(const char *dir, struct mesh_identity *id, char *err,
    size_t errlen)
{
	int rc;

	memset(id, 0, sizeof(*id));
	if ((rc = read_b64(dir, "node.pub", id->pk, err, errlen)) < 0)
		return rc;
	return load_sk(dir, id, err, errlen);
}

int
identity_write_ca_pub(const char *dir, const uint8_t ca_pk[static 32])
{
	return write_b64(dir, "network.pub", ca_pk, 0644);
}

int
identity_load_ca_secret(const char *dir, unsigned char **ca_sk, char *err,
    size_t errlen)
{
	unsigned char *seed, *sk;
	uint8_t pk[32];
	int rc;

	*ca_sk = NULL;
	seed = sodium_malloc(32);
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (seed == NULL || sk == NULL) {
		sodium_free(seed);
		sodium_free(sk);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = read_b64(dir, "network.key", seed, err, errlen);
	if (rc == 0) {
		crypto_sign_seed_keypair(pk, sk, seed);
		*ca_sk = sk;
	} else {
		sodium_free(sk);
	}
	sodium_free(seed);
	return rc;
}

int
identity_load_public(const char *dir, struct mesh_identity *id, char *err,
    size_t errlen)
{
	char path[4096], name[MESH_LABEL_MAX + 2];
	const char *why;
	ssize_t n;
	int rc;

	memset(id, 0, sizeof(*id));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -EIO;
	}
	if ((rc = state_path(path, sizeof(path), dir, "node.name")) < 0)
		return rc;
	n = read_small_file(path, name, sizeof(name) - 1);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, n == -EFBIG ?
		    "name too long" : strerror((int)-n));
		return (int)n;
	}
	name[n] = '\0';
	if (n > 0 && name[n - 1] == '\n')
		name[--n] = '\0';
	if (!mesh_label_valid(name, (size_t)n, &why)) {
		snprintf(err, errlen, "%s: invalid name: a name %s", path, why);
		return -EINVAL;
	}
	memcpy(id->name, name, (size_t)n + 1);
	if ((rc = read_b64(dir, "node.pub", id->pk, err, errlen)) < 0 ||
	    (rc = read_b64(dir, "network.pub", id->ca_pk, err, errlen)) < 0)
		return rc;
	mesh_net_prefix(id->ca_pk, id->prefix);
	mesh_node_addr(id->prefix, id->pk, id->addr);
	return 0;
}

int
identity_load_secret(const char *dir, struct mesh_identity *id, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = identity_load_public(dir, id, err, errlen)) < 0)
		return rc;
	return load_sk(dir, id, err, errlen);
}

