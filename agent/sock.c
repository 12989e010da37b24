/* Listening Unix sockets: create the folder, refuse to steal a live
 * socket from a running meshd, replace a stale one. */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

static int
mkdir_parent(const char *path)
{
	char *copy = strdup(path), *dir;
	int rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		rc = -errno;
	free(copy);
	return rc;
}

int
sock_listen_unix(const char *path, int type, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((rc = mkdir_parent(path)) < 0) {
		errno = -rc;
		log_warn("cannot create the folder of %s", path);
		return rc;
	}
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("socket");
		return -errno;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s exists and is not a socket; not touching it",
			    path);
			close(fd);
			return -EEXIST;
		}
		/* Somebody listening there?  Then another meshd runs. */
		int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa,
		    sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			log_warnx("%s: another meshd is already running", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
		rc = -errno;
		log_warn("cannot listen on %s", path);
		close(fd);
		return rc;
	}
	return fd;
}

void
sock_unlink_unix(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}
