/* The invite store's file (invites.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "common/atomic.h"
#include "invites.h"

#define LOCK_WAIT_MS	5000

struct invite_file {
	char path[4096];
	uid_t uid;			/* the file's owner, -1: as created */
	gid_t gid;
	int lock_fd;			/* flock'd INVITE_LOCK_SUFFIX; -1 */
};

/* Take the lock beside path, waiting for whoever holds it: the fd, or
 * -errno.  A lock file we create gets uid:gid (root's meshctl makes it
 * for meshd's user); one that exists is only opened, never chowned, and
 * must be a regular file (O_NOFOLLOW: no symlink is followed). */
static int
lock_take(const char *path, uid_t uid, gid_t gid)
{
	char lp[4096 + sizeof(INVITE_LOCK_SUFFIX)];
	struct stat sb;
	int fd, rc;

	snprintf(lp, sizeof(lp), "%s%s", path, INVITE_LOCK_SUFFIX);
	fd = open(lp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
		    fchown(fd, uid, gid) < 0) {
			rc = -errno;
			close(fd);
			unlink(lp);
			return rc;
		}
	} else if (errno == EEXIST) {
		fd = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* Whoever holds it is done in milliseconds; one that is stuck
	 * (stopped) must not stop meshd: after LOCK_WAIT_MS, -EAGAIN (the
	 * joiner asks again). */
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    waited >= LOCK_WAIT_MS) {
			rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
			close(fd);
			return rc;
		}
		usleep(10000);
	}
	return fd;
}

static int
file_save(void *ctx, const uint8_t *data, size_t len)
{
	const struct invite_file *f = ctx;

	return atomic_write_owned(f->path, data, len, 0600, f->uid, f->gid);
}

static void
file_release(void *ctx)
{
	struct invite_file *f = ctx;

	if (f->lock_fd >= 0)
		close(f->lock_fd);	/* and the lock goes */
	free(f);
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
	f->lock_fd = -1;
	if ((size_t)snprintf(f->path, sizeof(f->path), "%s", path) >=
	    sizeof(f->path)) {
		free(f);
		return -ENAMETOOLONG;
	}
	/* Before the read, held until invite_store_free: the whole
	 * read-modify-write of one `meshctl invite` or one redeem is one
	 * step for the other.  No directory: nothing to lock, and nothing
	 * can be saved there either. */
	if ((rc = lock_take(path, uid, gid)) >= 0)
		f->lock_fd = rc;
	else if (rc != -ENOENT) {
		free(f);
		return rc;
	}
	io.ctx = f;
	if ((rc = invite_store_new(&io, &st)) < 0) {
		file_release(f);
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
