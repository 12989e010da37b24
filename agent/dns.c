/*
 * Seeds: the `peer =` lines and the peers file, HOST:PORT each, resolved
 * off the loop and handed to the node engine (node_set_seeds), again every
 * minute (every 5 s while a name does not resolve).
 *
 * One short-lived detached thread per lookup calls getaddrinfo and writes
 * the answer (a heap pointer) into a pipe that the loop watches.  Each
 * thread owns a dup of the pipe's write end, so a meshd that stops
 * mid-lookup only costs the thread an EPIPE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "overlay.h"

#define RESOLVE_OK_MS		60000
#define RESOLVE_FAIL_MS		5000

struct seed_name {
	char hostport[CONF_HOSTPORT_MAX];
	bool resolving;
	uint64_t next_resolve;
};

struct dns {
	struct ev_loop *loop;
	struct node *node;
	int family;
	int pipe[2];
	struct seed_name seeds[NODE_SEED_SLOTS];
	size_t n;
};

struct resolve_job {
	size_t idx;
	int wfd;
	char host[CONF_HOSTPORT_MAX];
	char port[8];
	int family;
	int err;
	struct mesh_endpoint ep[NODE_SEED_ADDRS];
	size_t n;
};

static void *
resolve_thread(void *arg)
{
	struct resolve_job *j = arg;
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	int wfd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = j->family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	j->err = getaddrinfo(j->host, j->port, &hints, &res);
	for (struct addrinfo *ai = res; ai != NULL && j->n < NODE_SEED_ADDRS;
	    ai = ai->ai_next) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (udp_sa_to_ep(&ss, &j->ep[j->n]))
			j->n++;
	}
	if (res != NULL)
		freeaddrinfo(res);
	/* Once written, j is the loop's (it frees it): keep the fd. */
	wfd = j->wfd;
	if (write(wfd, &j, sizeof(j)) != sizeof(j))
		free(j);
	close(wfd);
	return NULL;
}

static void
on_resolved(struct ev_loop *loop, int fd, int events, void *data)
{
	struct dns *d = data;
	struct resolve_job *j;

	(void)loop;
	(void)events;
	while (read(fd, &j, sizeof(j)) == sizeof(j)) {
		struct seed_name *sn = &d->seeds[j->idx];
		uint64_t now = ev_now_ms();

		sn->resolving = false;
		if (j->err != 0 || j->n == 0) {
			log_warnx("peer %s: %s", sn->hostport, j->err != 0 ?
			    gai_strerror(j->err) : "no usable address");
			sn->next_resolve = now + RESOLVE_FAIL_MS;
		} else {
			node_set_seeds(d->node, j->idx, j->ep, j->n);
			sn->next_resolve = now + RESOLVE_OK_MS;
			log_debug("peer %s: %zu address(es)", sn->hostport, j->n);
		}
		free(j);
	}
}

static void
resolve_start(struct dns *d, size_t idx)
{
	struct seed_name *sn = &d->seeds[idx];
	struct resolve_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t th;
	uint16_t port;

	if (j == NULL)
		return;
	j->idx = idx;
	j->family = d->family == AF_INET ? AF_INET : AF_UNSPEC;
	if (!conf_hostport_split(sn->hostport, j->host, sizeof(j->host), &port)) {
		free(j);
		sn->next_resolve = UINT64_MAX;
		return;
	}
	snprintf(j->port, sizeof(j->port), "%u", port);
	if ((j->wfd = fcntl(d->pipe[1], F_DUPFD_CLOEXEC, 3)) < 0) {
		free(j);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, resolve_thread, j) != 0) {
		close(j->wfd);
		free(j);
		sn->next_resolve = ev_now_ms() + RESOLVE_FAIL_MS;
	} else {
		sn->resolving = true;
	}
	pthread_attr_destroy(&attr);
}

struct dns *
dns_new(struct ev_loop *loop, struct node *node, int family)
{
	struct dns *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->loop = loop;
	d->node = node;
	d->family = family;
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(d);
		return NULL;
	}
	if (ev_io_add(loop, d->pipe[0], EV_READ, on_resolved, d) < 0) {
		close(d->pipe[0]);
		close(d->pipe[1]);
		free(d);
		return NULL;
	}
	return d;
}

int
dns_add(struct dns *d, const char *hostport)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->seeds[i].hostport, hostport) == 0)
			return 0;
	if (d->n == NODE_SEED_SLOTS)
		return -ENOSPC;
	memset(&d->seeds[d->n], 0, sizeof(d->seeds[d->n]));
	snprintf(d->seeds[d->n].hostport, CONF_HOSTPORT_MAX, "%s", hostport);
	d->n++;
	return 0;
}

void
dns_maint(struct dns *d)
{
	uint64_t now = ev_now_ms();

	for (size_t i = 0; i < d->n; i++)
		if (!d->seeds[i].resolving && now >= d->seeds[i].next_resolve)
			resolve_start(d, i);
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	ev_io_del(d->loop, d->pipe[0]);
	close(d->pipe[0]);
	close(d->pipe[1]);
	free(d);
}
