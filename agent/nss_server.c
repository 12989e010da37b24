/*
 * The NSS socket: any local user may connect, so every client is hostile.
 * One request per connection, answered at once from memory, then meshd
 * hangs up (the module closes after one answer anyway); a client that says nothing
 * is dropped after NSS_IDLE_MS, and when NSS_CLIENTS_MAX are connected the
 * oldest is dropped to make room (real lookups last microseconds, so the
 * oldest is nearly always a client that hogs a slot).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "common/nss_msg.h"
#include "log.h"
#include "resolver.h"

#define NSS_CLIENTS_MAX 1024
#define NSS_IDLE_MS 2000

struct nss_client {
	struct nss_client *prev, *next;	/* oldest first */
	struct nss_server *ns;
	int fd;
	uint64_t since_ms;
};

struct nss_server {
	struct agent *a;
	char *path;
	int fd;
	struct nss_client *head, *tail;
	size_t nclients;
	struct ev_timer sweep;
};

static void
client_close(struct nss_server *ns, struct nss_client *c)
{
	ev_io_del(ns->a->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ns->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		ns->tail = c->prev;
	ns->nclients--;
	free(c);
}

static void
count(struct agent_stats *st, uint16_t status)
{
	st->nss_requests++;
	switch (status) {
	case MESH_ST_OK: st->nss_ok++; break;
	case MESH_ST_NOTFOUND: st->nss_notfound++; break;
	case MESH_ST_NOTMINE: st->nss_notmine++; break;
	default: st->nss_badreq++; break;
	}
}

/* Read one request from fd and answer it.  1 when answered (the caller
 * hangs up: one question per connection), 0 when nothing has arrived yet,
 * -1 when the client left or spoke garbage. */
static int
answer_one(struct nss_server *ns, int fd)
{
	struct mesh_resp resp;
	union {
		struct mesh_req req;
		char raw[sizeof(struct mesh_req) + 1];
	} in;
	ssize_t n;

	do
		n = recv(fd, &in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	resolve(ns->a->store, ns->a->have_id ? ns->a->id.prefix : NULL,
	    &in, (size_t)n, &resp);
	count(&ns->a->st, resp.status);
	if (resp.status == MESH_ST_BADREQ)
		log_debug("nss: malformed request of %zd bytes", n);
	/* The answer fits an empty socket buffer, so MSG_DONTWAIT cannot
	 * fail for an honest client; a dishonest one is dropped either way. */
	send(fd, &resp, sizeof(resp), MSG_DONTWAIT | MSG_NOSIGNAL);
	return 1;
}

static void
client_ready(struct ev_loop *loop, int fd, int events, void *data)
{
	struct nss_client *c = data;

	(void)loop;
	(void)events;
	if (answer_one(c->ns, fd) != 0)
		client_close(c->ns, c);
}

/*
 * The module connects, sends at once and waits, so by the time meshd runs
 * the request is nearly always there: answer it straight from accept and
 * hang up, without registering the connection with the event loop.  Only a
 * client that has said nothing yet is kept and watched (and dropped when
 * idle too long or when room is needed).
 */
static void
accept_ready(struct ev_loop *loop, int fd, int events, void *data)
{
	struct nss_server *ns = data;

	(void)events;
	for (int i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("nss: accept");
			return;
		}
		if (answer_one(ns, cfd) != 0) {
			close(cfd);
			continue;
		}
		if (ns->nclients >= NSS_CLIENTS_MAX) {
			ns->a->st.nss_evicted++;
			client_close(ns, ns->head);
		}
		struct nss_client *c = malloc(sizeof(*c));
		if (c == NULL) {
			close(cfd);
			continue;
		}
		c->ns = ns;
		c->fd = cfd;
		c->since_ms = ev_now_ms();
		c->next = NULL;
		c->prev = ns->tail;
		if (ev_io_add(loop, cfd, EV_READ, client_ready, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		if (ns->tail)
			ns->tail->next = c;
		else
			ns->head = c;
		ns->tail = c;
		ns->nclients++;
	}
}

static void
sweep(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct nss_server *ns = data;
	uint64_t now = ev_now_ms();

	/* Oldest first: stop at the first client still within its time. */
	while (ns->head != NULL && now - ns->head->since_ms >= NSS_IDLE_MS) {
		ns->a->st.nss_idle_closed++;
		client_close(ns, ns->head);
	}
	ev_timer_start(loop, t, NSS_IDLE_MS / 2, sweep, ns);
}

struct nss_server *
nss_server_new(struct agent *a, const char *path)
{
	struct nss_server *ns = calloc(1, sizeof(*ns));

	if (ns == NULL)
		return NULL;
	ns->a = a;
	ns->fd = -1;
	if ((ns->path = strdup(path)) == NULL)
		goto fail;
	/* 0666: every local user may resolve names, as with /etc/hosts. */
	if ((ns->fd = sock_listen_unix(path, SOCK_SEQPACKET, 0666)) < 0)
		goto fail;
	if (ev_io_add(a->loop, ns->fd, EV_READ, accept_ready, ns) < 0)
		goto fail;
	ev_timer_start(a->loop, &ns->sweep, NSS_IDLE_MS / 2, sweep, ns);
	return ns;
fail:
	nss_server_free(ns);
	return NULL;
}

void
nss_server_free(struct nss_server *ns)
{
	if (ns == NULL)
		return;
	while (ns->head != NULL)
		client_close(ns, ns->head);
	ev_timer_stop(ns->a->loop, &ns->sweep);
	if (ns->fd >= 0) {
		ev_io_del(ns->a->loop, ns->fd);
		close(ns->fd);
		sock_unlink_unix(ns->path);
	}
	free(ns->path);
	free(ns);
}
