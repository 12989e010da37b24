/*
 * bench/roundtrip: the floor under bench/lookup's rows.  Times one
 * request/answer of the NSS wire protocol's sizes (288 bytes out, 596 back)
 * over each transport a resolver module could use, with no glibc NSS, no
 * module and no meshd around it, and the two ways a module could read a
 * read-only snapshot instead:
 *
 *   seqpacket   AF_UNIX SOCK_SEQPACKET, a new connection per request (what
 *               libnss_mesh does: socket, connect, send, recv, close; the
 *               server accepts, answers and closes)
 *   seqpkt-keep the same with one connection kept open (needs state kept
 *               between calls, which the module may not keep)
 *   dgram       AF_UNIX SOCK_DGRAM, a new autobound socket per request
 *               (no accept, no connection: one wakeup of the server)
 *   udp         UDP on 127.0.0.1, a new socket per request (what glibc's
 *               stub resolver does for each DNS query)
 *   snap-open   open + fstat + mmap + hash probe + munmap + close of a
 *               snapshot file, per request (a file read on each call)
 *   snap-pread  open + pread of the probed slots + close, per request
 *               (the cheapest way to read a file on each call)
 *   snap-mapped a hash probe in a snapshot mapped once (global state)
 *
 *     roundtrip [-n N] [-c SERVER_CPU] DIR
 *
 * The client runs on CPU 0, the server (a child process) on SERVER_CPU.
 * DIR holds the sockets and the snapshot.  Prints one line per transport:
 *     NAME N MEDIAN_US P99_US
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mesh/nss_wire.h"

#define SNAP_SLOTS 4096		/* power of two; 1000 names in it */
#define SNAP_NAMES 1000

struct snap_rec {
	char name[64];
	uint8_t addr4[4];
	uint8_t addr6[16];
	uint32_t used;
};

static long n_calls = 20000;
static const char *dir;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity");
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void
report(const char *name, long long *t, long n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_ll);
	printf("%s %ld %.2f %.2f\n", name, n, (double)t[n / 2] / 1e3,
	    (double)t[(n * 99 + 99) / 100 - 1] / 1e3);
	fflush(stdout);
}

static void
path_in_dir(struct sockaddr_un *sa, const char *file)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", dir,
	    file) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "roundtrip: %s: path too long\n", dir);
		exit(1);
	}
}

/* ---- servers: children, killed when the transport is done ---------------- */

static void
serve_stream(int lfd, int keep)
{
	struct mesh_req req;
	struct mesh_resp resp;

	memset(&resp, 0, sizeof(resp));
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		while (recv(c, &req, sizeof(req), 0) > 0) {
			if (send(c, &resp, sizeof(resp), MSG_NOSIGNAL) < 0)
				break;
			if (!keep)
				break;
		}
		close(c);
	}
}

static void
serve_dgram(int fd)
{
	struct sockaddr_storage from;
	struct mesh_req req;
	struct mesh_resp resp;

	memset(&resp, 0, sizeof(resp));
	for (;;) {
		socklen_t fl = sizeof(from);
		if (recvfrom(fd, &req, sizeof(req), 0, (struct sockaddr *)&from,
		    &fl) < 0)
			continue;
		sendto(fd, &resp, sizeof(resp), MSG_DONTWAIT,
		    (struct sockaddr *)&from, fl);
	}
}

enum serve { SERVE_CONN, SERVE_KEEP, SERVE_DGRAM };

static pid_t
spawn(int cpu, int fd, enum serve how)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Die with the client, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin(cpu);
		if (how == SERVE_DGRAM)
			serve_dgram(fd);
		else
			serve_stream(fd, how == SERVE_KEEP);
		_exit(0);
	}
	return pid;
}

static void
reap(pid_t pid, int fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

/* ---- clients ------------------------------------------------------------ */

static void
rt_seqpacket(int cpu, int keep)
{
	struct sockaddr_un sa;
	struct mesh_req req;
	struct mesh_resp resp;
	long long *t = calloc((size_t)n_calls, sizeof(*t));
	int lfd, fd = -1;
	pid_t pid;

	path_in_dir(&sa, keep ? "keep.sock" : "seq.sock");
	unlink(sa.sun_path);
	if ((lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 128) < 0 || t == NULL)
		die("seqpacket server");
	pid = spawn(cpu, lfd, keep ? SERVE_KEEP : SERVE_CONN);
	memset(&req, 0, sizeof(req));
	for (long i = -n_calls; i < n_calls; i++) {
		long long t0 = now_ns();
		if (fd < 0) {
			fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			if (fd < 0 || connect(fd, (struct sockaddr *)&sa,
			    sizeof(sa)) < 0)
				die("seqpacket connect");
		}
		if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) < 0 ||
		    recv(fd, &resp, sizeof(resp), 0) != sizeof(resp))
			die("seqpacket exchange");
		if (!keep) {
			close(fd);
			fd = -1;
		}
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	if (fd >= 0)
		close(fd);
	reap(pid, lfd);
	unlink(sa.sun_path);
	report(keep ? "seqpkt-keep" : "seqpacket", t, n_calls);
	free(t);
}

static void
rt_dgram(int cpu)
{
	struct sockaddr_un sa;
	sa_family_t autobind = AF_UNIX;
	struct mesh_req req;
	struct mesh_resp resp;
	long long *t = calloc((size_t)n_calls, sizeof(*t));
	int sfd;
	pid_t pid;

	path_in_dir(&sa, "dgram.sock");
	unlink(sa.sun_path);
	if ((sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || t == NULL)
		die("dgram server");
	pid = spawn(cpu, sfd, SERVE_DGRAM);
	memset(&req, 0, sizeof(req));
	for (long i = -n_calls; i < n_calls; i++) {
		long long t0 = now_ns();
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		/* An abstract autobound address, so the server can answer. */
		if (fd < 0 || bind(fd, (struct sockaddr *)(void *)&autobind,
		    sizeof(autobind)) < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    send(fd, &req, sizeof(req), 0) < 0 ||
		    recv(fd, &resp, sizeof(resp), 0) != sizeof(resp))
			die("dgram exchange");
		close(fd);
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	reap(pid, sfd);
	unlink(sa.sun_path);
	report("dgram", t, n_calls);
	free(t);
}

static void
rt_udp(int cpu)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct mesh_req req;
	struct mesh_resp resp;
	long long *t = calloc((size_t)n_calls, sizeof(*t));
	int sfd;
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(sfd, (struct sockaddr *)&sa, &sl) < 0 || t == NULL)
		die("udp server");
	pid = spawn(cpu, sfd, SERVE_DGRAM);
	memset(&req, 0, sizeof(req));
	for (long i = -n_calls; i < n_calls; i++) {
		long long t0 = now_ns();
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    send(fd, &req, sizeof(req), 0) < 0 ||
		    recv(fd, &resp, sizeof(resp), 0) != sizeof(resp))
			die("udp exchange");
		close(fd);
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	reap(pid, sfd);
	report("udp", t, n_calls);
	free(t);
}

/* ---- snapshots -------------------------------------------------------------- */

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void
snap_put(struct snap_rec *tab, const char *name)
{
	uint32_t i = fnv1a(name) & (SNAP_SLOTS - 1);

	while (tab[i].used)
		i = (i + 1) & (SNAP_SLOTS - 1);
	snprintf(tab[i].name, sizeof(tab[i].name), "%s", name);
	tab[i].used = 1;
	tab[i].addr4[0] = 127;
}

static const struct snap_rec *
snap_get(const struct snap_rec *tab, const char *name)
{
	uint32_t i = fnv1a(name) & (SNAP_SLOTS - 1);

	while (tab[i].used) {
		if (strcmp(tab[i].name, name) == 0)
			return &tab[i];
		i = (i + 1) & (SNAP_SLOTS - 1);
	}
	return NULL;
}

static void
rt_snap(void)
{
	size_t len = SNAP_SLOTS * sizeof(struct snap_rec);
	struct snap_rec *tab = calloc(SNAP_SLOTS, sizeof(*tab));
	long long *t = calloc((size_t)n_calls, sizeof(*t));
	long long *t2 = calloc((size_t)n_calls, sizeof(*t2));
	volatile uint8_t sink = 0;
	char path[512], name[64];
	int fd;

	if (tab == NULL || t == NULL || t2 == NULL)
		die("calloc");
	for (int i = 0; i < SNAP_NAMES; i++) {
		snprintf(name, sizeof(name), "host%d.mesh", i);
		snap_put(tab, name);
	}
	snprintf(path, sizeof(path), "%s/snapshot", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    write(fd, tab, len) != (ssize_t)len || close(fd) < 0)
		die("write snapshot");
	free(tab);
	for (long i = -n_calls; i < n_calls; i++) {
		long long t0 = now_ns();
		struct stat st;
		void *m;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
		    fd, 0)) == MAP_FAILED)
			die("map snapshot");
		const struct snap_rec *r = snap_get(m, "host500.mesh");
		if (r == NULL)
			die("snapshot probe");
		sink ^= r->addr4[0];
		munmap(m, (size_t)st.st_size);
		close(fd);
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	report("snap-open", t, n_calls);
	for (long i = -n_calls; i < n_calls; i++) {
		long long t0 = now_ns();
		const char *want = "host500.mesh";
		uint32_t slot = fnv1a(want) & (SNAP_SLOTS - 1);
		struct snap_rec r;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open snapshot");
		for (;;) {
			if (pread(fd, &r, sizeof(r), (off_t)slot * sizeof(r)) !=
			    (ssize_t)sizeof(r) || !r.used)
				die("snapshot probe");
			if (strcmp(r.name, want) == 0)
				break;
			slot = (slot + 1) & (SNAP_SLOTS - 1);
		}
		sink ^= r.addr4[0];
		close(fd);
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	report("snap-pread", t, n_calls);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die("open snapshot");
	const struct snap_rec *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap snapshot");
	for (long i = -n_calls; i < n_calls; i++) {
		long long t0 = now_ns();
		const struct snap_rec *r = snap_get(m, "host500.mesh");
		if (r == NULL)
			die("snapshot probe");
		sink ^= r->addr4[0];
		if (i >= 0)
			t2[i] = now_ns() - t0;
	}
	munmap((void *)(uintptr_t)m, len);
	close(fd);
	unlink(path);
	report("snap-mapped", t2, n_calls);
	(void)sink;
	free(t);
	free(t2);
}

int
main(int argc, char **argv)
{
	int c, cpu = 0;

	while ((c = getopt(argc, argv, "n:c:")) != -1) {
		switch (c) {
		case 'n': n_calls = atol(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || n_calls <= 0 || n_calls > 10000000 || cpu < 0)
		goto usage;
	dir = argv[optind];
	/* The exchanges block without timeouts; never hang a benchmark. */
	alarm(300);
	pin(0);
	rt_seqpacket(cpu, 0);
	rt_seqpacket(cpu, 1);
	rt_dgram(cpu);
	rt_udp(cpu);
	rt_snap();
	return 0;
usage:
	fprintf(stderr, "usage: roundtrip [-n N] [-c SERVER_CPU] DIR\n");
	return 2;
}
