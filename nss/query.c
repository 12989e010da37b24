/*
 * The module's only I/O: connect to meshd, send one request, wait for one
 * answer, close.  Everything is non-blocking and bounded by one deadline,
 * so a stopped agent costs at most MESH_NSS_TIMEOUT_MS and a missing one
 * nothing but a failed connect().  No state survives the call.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/nss_msg.h"
#include "nss-mesh.h"

/* Tests build a second copy of the module that talks to a socket in the
 * build tree; the installed module always uses the configured path. */
#ifndef MESH_NSS_SOCKET_PATH
#define MESH_NSS_SOCKET_PATH MESH_NSS_SOCKET
#endif

_Static_assert(sizeof(MESH_NSS_SOCKET_PATH) <=
    sizeof(((struct sockaddr_un *)0)->sun_path), "socket path too long");

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline; 0, or -ETIMEDOUT. */
static int
wait_for(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int
exchange(int fd, const struct sockaddr_un *sa, const struct mesh_req *req,
    struct mesh_resp *resp, long long deadline)
{
	ssize_t n;
	int rc;

	/* A non-blocking connect on AF_UNIX either completes or fails at
	 * once; EAGAIN means the agent's backlog is full, so retry until the
	 * deadline rather than block. */
	while (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		struct timespec nap = { .tv_nsec = 1000000 };
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
	while ((n = send(fd, req, sizeof(*req), MSG_NOSIGNAL)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((rc = wait_for(fd, POLLOUT, deadline)) < 0)
			return rc;
	}
	if ((size_t)n != sizeof(*req))
		return -EPROTO;
	for (;;) {
		if ((rc = wait_for(fd, POLLIN, deadline)) < 0)
			return rc;
		/* MSG_TRUNC: learn the datagram's real length, so an oversized
		 * answer is rejected rather than silently cut. */
		n = recv(fd, resp, sizeof(*resp), MSG_TRUNC | MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	if (!mesh_resp_check(resp, (size_t)n))
		return -EPROTO;
	return 0;
}

int
mesh_query_at(const char *path, const struct mesh_req *req,
    struct mesh_resp *resp)
{
	long long deadline = now_ms() + MESH_NSS_TIMEOUT_MS;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd, rc;

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = exchange(fd, &sa, req, resp, deadline);
	close(fd);
	return rc;
}

int
mesh_query(const struct mesh_req *req, struct mesh_resp *resp)
{
	return mesh_query_at(MESH_NSS_SOCKET_PATH, req, resp);
}
