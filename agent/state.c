#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic.h"
#include "state.h"

int
state_path(char *out, size_t len, const char *dir, const char *file)
{
	int n = snprintf(out, len, "%s/%s", dir, file);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int
state_write_owned(const char *dir, const char *file, const void *data,
    size_t len, mode_t mode)
{
	char path[4096];
	uid_t uid;
	gid_t gid;
	int rc;

	if ((rc = state_path(path, sizeof(path), dir, file)) < 0 ||
	    (rc = atomic_owner_like_dir(dir, &uid, &gid)) < 0)
		return rc;
	return atomic_write_owned(path, data, len, mode, uid, gid);
}

int
state_read_cert(const char *dir, struct mesh_cert *c)
{
	struct mesh_cert_wire w;
	char path[4096];
	ssize_t n;
	int rc;

	if ((rc = state_path(path, sizeof(path), dir, STATE_CERT_FILE)) < 0)
		return rc;
	n = read_small_file(path, &w, sizeof(w));
	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	if ((size_t)n != sizeof(w) || cert_decode(&w, c) != VR_OK)
		return -EINVAL;
	return 0;
}

int
state_write_cert(const char *dir, const struct mesh_cert *c)
{
	struct mesh_cert_wire w;

	cert_encode(c, &w);
	return state_write_owned(dir, STATE_CERT_FILE, &w, sizeof(w), 0644);
}

int
state_read_peers(const char *dir, char (*hosts)[80], size_t max)
{
	char path[4096], buf[STATE_PEERS_MAX * 80], *line, *save = NULL;
	ssize_t n;
	size_t count = 0;
	int rc;

	if ((rc = state_path(path, sizeof(path), dir, STATE_PEERS_FILE)) < 0)
		return rc;
	n = read_small_file(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL && count < max;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t l = strcspn(line, " \t\r#");
		if (l == 0 || l >= 80)
			continue;
		memcpy(hosts[count], line, l);
		hosts[count][l] = '\0';
		count++;
	}
	return (int)count;
}

int
state_write_peers(const char *dir, char (*hosts)[80], size_t n)
{
	char buf[STATE_PEERS_MAX * 81];
	size_t o = 0;

	for (size_t i = 0; i < n && i < STATE_PEERS_MAX; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\n", hosts[i]);
	return state_write_owned(dir, STATE_PEERS_FILE, buf, o, 0644);
}

/* The files atomic_write writes here (keys.h, invites.h, records.h and
 * ours): only their temporaries are touched. */
static const char *const own_files[] = {
	"node.key", "node.pub", "node.name", "network.key", "network.pub",
	STATE_CERT_FILE, STATE_PEERS_FILE, STATE_REVOCATIONS_FILE, "invites",
	"records",
};

/* name is FILE.tmp.PID of one of ours: the pid, else 0. */
static long
tmp_pid(const char *name)
{
	for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++) {
		size_t l = strlen(own_files[i]);
		const char *d;
		char *end;
		long pid;

		if (strncmp(name, own_files[i], l) != 0 ||
		    strncmp(name + l, ".tmp.", 5) != 0)
			continue;
		d = name + l + 5;
		if (*d < '1' || *d > '9')
			return 0;
		errno = 0;
		pid = strtol(d, &end, 10);
		return errno == 0 && *end == '\0' && pid > 0 ? pid : 0;
	}
	return 0;
}

size_t
state_clean_tmp(const char *dir, time_t now)
{
	struct dirent *de;
	size_t gone = 0;
	DIR *d;
	int dfd;

	if ((d = opendir(dir)) == NULL)
		return 0;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		long pid = tmp_pid(de->d_name);
		bool stale;

		if (pid == 0 || fstatat(dfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* Ours from before (this pid now is a new process), a dead
		 * writer's, or one too old to be anybody's write in flight. */
		stale = pid == (long)getpid() || now - st.st_mtime > STATE_TMP_AGE ||
		    (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
		if (stale && unlinkat(dfd, de->d_name, 0) == 0)
			gone++;
	}
	closedir(d);
	return gone;
}
