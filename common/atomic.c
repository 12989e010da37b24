#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = -errno;
	else if (fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int
atomic_write_owned(const char *path, const void *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid)
{
	char tmp[4096];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* A stale temporary of an earlier process with our pid goes; whatever
	 * appears at the name after that makes O_EXCL fail, never followed. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, data, len);
	/* Owner first, then the mode: fchown may clear set-id bits, and the
	 * file is 0600 until both are right. */
	if (rc == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) < 0)
		rc = -errno;
	if (rc == 0 && fchmod(fd, mode) < 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	return fsync_dir_of(path);
}

int
atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
	return atomic_write_owned(path, data, len, mode, (uid_t)-1, (gid_t)-1);
}

int
atomic_owner_like_dir(const char *dir, uid_t *uid, gid_t *gid)
{
	struct stat st;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) < 0)
		return -errno;
	*uid = st.st_uid;
	*gid = st.st_gid;
	return 0;
}

ssize_t
read_small_file(const char *path, void *buf, size_t max)
{
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	for (;;) {
		char extra;
		ssize_t n = got < max ? read(fd, (char *)buf + got, max - got)
		    : read(fd, &extra, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		if (got == max) {
			close(fd);
			return -EFBIG;
		}
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}
