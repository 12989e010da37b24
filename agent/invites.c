/* The invite store's file (invites.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>

#include "common/atomic.h"
#include "invites.h"

struct invite_file {
	char path[4096];
	uid_t uid;			/* the file's owner, -1: as created */
	gid_t gid;
};

static int
file_save(void *ctx, const uint8_t *data, size_t len)
{
	const struct invite_file *f = ctx;

	return atomic_write_owned(f->path, data, len, 0600, f->uid, f->gid);
}

static void
file_release(void *ctx)
{
	free(ctx);
}

int
invite_store_open_owned(const char *path, uid_t uid, gid_t gid,
    struct invite_store **out)
{
	struct invite_store_io io = { file_save, file_release, NULL };
	struct invite_file *f;
	struct invite_store *st = NULL;
	uint8_t *b = NULL;
	ssize_t n;
	int rc;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->uid = uid;
	f->gid = gid;
	if ((size_t)snprintf(f->path, sizeof(f->path), "%s", path) >=
	    sizeof(f->path)) {
		free(f);
		return -ENAMETOOLONG;
	}
	io.ctx = f;
	if ((rc = invite_store_new(&io, &st)) < 0) {
		free(f);
		return rc;
	}
	/* The file holds the secrets: read it into guarded memory. */
	if ((b = sodium_malloc(INVITE_STORE_BYTES_MAX)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = read_small_file(path, b, INVITE_STORE_BYTES_MAX);
	if (n == -ENOENT)
		rc = 0;
	else if (n < 0)
		rc = n == -EFBIG ? -EINVAL : (int)n;
	else
		rc = invite_store_parse(st, b, (size_t)n);
out:
	sodium_free(b);
	if (rc < 0)
		invite_store_free(st);
	else
		*out = st;
	return rc;
}

int
invite_store_open(const char *path, struct invite_store **out)
{
	return invite_store_open_owned(path, (uid_t)-1, (gid_t)-1, out);
}
