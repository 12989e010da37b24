#include "config.h"

#include <errno.h>
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
