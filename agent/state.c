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
state_own_like_dir(const char *dir, const char *file)
{
	char path[4096];
	struct stat st;
	int rc;

	if (geteuid() != 0)
		return 0;
	if ((rc = state_path(path, sizeof(path), dir, file)) < 0)
		return rc;
	if (stat(dir, &st) < 0 || chown(path, st.st_uid, st.st_gid) < 0)
		return -errno;
	return 0;
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
	char path[4096];
	int rc;

	if ((rc = state_path(path, sizeof(path), dir, STATE_CERT_FILE)) < 0)
		return rc;
	cert_encode(c, &w);
	if ((rc = atomic_write(path, &w, sizeof(w), 0644)) < 0)
		return rc;
	return state_own_like_dir(dir, STATE_CERT_FILE);
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
	char path[4096], buf[STATE_PEERS_MAX * 81];
	size_t o = 0;
	int rc;

	if ((rc = state_path(path, sizeof(path), dir, STATE_PEERS_FILE)) < 0)
		return rc;
	for (size_t i = 0; i < n && i < STATE_PEERS_MAX; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\n", hosts[i]);
	if ((rc = atomic_write(path, buf, o, 0644)) < 0)
		return rc;
	return state_own_like_dir(dir, STATE_PEERS_FILE);
}
