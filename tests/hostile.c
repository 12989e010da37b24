/*
 * meshd treats every NSS client as hostile: this program plays the hostile
 * ones and checks that an honest lookup is still answered in between.
 *   hostile SOCKET NAME.mesh
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/nss_msg.h"
#include "nss/nss-mesh.h"
#include "minitest.h"

static const char *sock_path, *good_name;


static int
connect_raw(int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* An honest lookup, exactly as the module makes it. */
static int
honest(void)
{
	struct mesh_req req;
	struct mesh_resp resp;
	int rc;

	mesh_req_byname(&req, good_name, strlen(good_name));
	rc = mesh_query_at(sock_path, &req, &resp);
	if (rc < 0)
		return rc;
	return resp.status == MESH_ST_OK ? 0 : -EPROTO;
}

/* Send len bytes of junk; the agent must answer BADREQ or hang up. */
static void
junk(size_t len, unsigned char fill)
{
	struct mesh_resp resp;
	struct timeval tv = { .tv_sec = 2 };
	unsigned char *buf = malloc(len ? len : 1);
	ssize_t n;
	int fd = connect_raw(SOCK_SEQPACKET);

	CHECK(fd >= 0, "connect for junk of %zu", len);
	if (fd < 0 || buf == NULL) {
		free(buf);
		return;
	}
	memset(buf, fill, len);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send(fd, buf, len, MSG_NOSIGNAL);
	n = recv(fd, &resp, sizeof(resp), 0);
	CHECK(n == 0 || (n == (ssize_t)sizeof(resp) && resp.status == MESH_ST_BADREQ),
	    "junk of %zu bytes: recv %zd status %d", len, n,
	    n > 0 ? resp.status : -1);
	close(fd);
	free(buf);
}

static void
wrong_fields(void)
{
	struct mesh_req req;
	struct mesh_resp resp;
	int fd;

	for (int i = 0; i < 4; i++) {
		mesh_req_byname(&req, good_name, strlen(good_name));
		if (i == 0)
			req.version = 2;
		else if (i == 1)
			req.magic = 0xdeadbeef;
		else if (i == 2)
			req.name_len = 300;
		else
			req.type = 9;
		fd = connect_raw(SOCK_SEQPACKET);
		send(fd, &req, sizeof(req), MSG_NOSIGNAL);
		ssize_t n = recv(fd, &resp, sizeof(resp), 0);
		CHECK(n == (ssize_t)sizeof(resp) && resp.status == MESH_ST_BADREQ,
		    "wrong field %d: %zd/%d", i, n, n > 0 ? resp.status : -1);
		close(fd);
	}
	/* A stream socket on the seqpacket path cannot even connect. */
	fd = connect_raw(SOCK_STREAM);
	CHECK(fd < 0, "stream socket connected to the NSS socket");
	if (fd >= 0)
		close(fd);
}

/* Many clients that connect and say nothing: honest lookups still work. */
static void
silent(int count)
{
	int *fds = calloc((size_t)count, sizeof(int));
	int ok = 0;

	for (int i = 0; i < count; i++)
		fds[i] = connect_raw(SOCK_SEQPACKET);
	for (int i = 0; i < 20; i++)
		ok += honest() == 0;
	CHECK(ok == 20, "with %d silent clients, %d/20 honest lookups", count, ok);
	for (int i = 0; i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/* A client that floods requests and never reads its answers. */
static void
deaf(void)
{
	struct mesh_req req;
	int fd = connect_raw(SOCK_SEQPACKET), sent = 0;

	mesh_req_byname(&req, good_name, strlen(good_name));
	for (int i = 0; i < 20000; i++) {
		if (send(fd, &req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
		sent++;
	}
	CHECK(honest() == 0, "honest lookup beside a deaf flooder (%d sent)", sent);
	close(fd);
}

/*
 * n processes released at once, one lookup each: all answered.  Each child
 * reports its result on a pipe and then waits for the parent to let it exit,
 * so the lookups are measured alone: under ASan a process's exit tears down
 * its shadow memory, and 1,000 of them exiting cost about 250 ms of both
 * CPUs -- the module's whole budget, spent by the test and not by meshd.
 */
static void
concurrent(int n)
{
	int gate[2], done[2], results[2], ok = 0, got = 0;
	char r;

	if (pipe(gate) < 0 || pipe(done) < 0 || pipe(results) < 0) {
		CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(gate[1]);
			close(done[1]);
			close(results[0]);
			(void)!read(gate[0], &c, 1);	/* EOF: go */
			c = honest() == 0 ? 'y' : 'n';
			(void)!write(results[1], &c, 1);
			close(results[1]);
			(void)!read(done[0], &c, 1);	/* EOF: exit */
			_exit(0);
		}
		if (pid < 0) {
			CHECK(0, "fork %d: %s", i, strerror(errno));
			n = i;
			break;
		}
	}
	close(gate[0]);
	close(done[0]);
	close(results[1]);
	close(gate[1]);
	/* One byte per child; EOF once every child has written or died. */
	while (got < n && read(results[0], &r, 1) == 1) {
		got++;
		ok += r == 'y';
	}
	close(done[1]);
	close(results[0]);
	while (wait(NULL) > 0)
		;
	CHECK(ok == n, "%d concurrent lookups from %d processes: %d answered",
	    n, n, ok);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 0, 1, 4, 100, sizeof(struct mesh_req) - 1,
	    sizeof(struct mesh_req), sizeof(struct mesh_req) + 1, 4096, 65536 };
	struct rlimit rl;

	if (argc != 3) {
		fprintf(stderr, "usage: hostile SOCKET NAME.mesh\n");
		return 2;
	}
	sock_path = argv[1];
	good_name = argv[2];
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	CHECK(honest() == 0, "honest lookup at start");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		junk(sizes[i], 0);
		junk(sizes[i], 0xff);
	}
	wrong_fields();
	silent(100);
	silent(1500);	/* more than meshd keeps: the oldest are dropped */
	deaf();
	concurrent(1000);
	CHECK(honest() == 0, "honest lookup at the end");
	return checks_done();
}
