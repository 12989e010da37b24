/*
 * Which sessions meshd keeps, and where it sends them.
 *
 * Every member in the record set gets a session (the full mesh described
 * in overlay.h).  A session that is not up, or whose peer fell silent, is
 * retried with exponential backoff (1 s doubling to 8 s).  Each attempt
 * sends the handshake initiation to every candidate endpoint at once (up
 * to OV_PROBE_MAX): the peer's record endpoints (configured and observed),
 * then the addresses of the `peer =` lines and the peers file.  The first
 * answer decides where the session goes; trying them one per attempt took
 * minutes for a member that moved, once the backoff had grown.
 * A configured peer carries no key, so its addresses are tried for every
 * member not yet reached; a handshake meant for another key dies at the
 * receiver's mac1 check, which costs it a hash.  Where the peer last spoke
 * from always wins while it keeps speaking.
 *
 * Names are resolved off the loop: one short-lived detached thread per
 * lookup calls getaddrinfo and writes the answer (a heap pointer) into a
 * pipe that the loop watches.  Each thread owns a dup of the pipe's write
 * end, so a meshd that stops mid-lookup only costs the thread an EPIPE.
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
#include <sodium.h>

#include "agent.h"
#include "log.h"
#include "overlay.h"
#include "state.h"

#define CPEER_ADDRS		4
#define RESOLVE_OK_MS		60000
#define RESOLVE_FAIL_MS		5000
#define JOINER_IDLE_MS		20000
#define JOINER_DONE_MS		15000

struct cpeer {
	char hostport[CONF_HOSTPORT_MAX];
	struct mesh_endpoint ep[CPEER_ADDRS];
	size_t n;
	bool resolving;
	uint64_t next_resolve;
};

struct resolve_job {
	size_t idx;
	int wfd;
	char host[CONF_HOSTPORT_MAX];
	char port[8];
	int family;
	int err;
	struct mesh_endpoint ep[CPEER_ADDRS];
	size_t n;
};

static void *
resolve_thread(void *arg)
{
	struct resolve_job *j = arg;
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = j->family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	j->err = getaddrinfo(j->host, j->port, &hints, &res);
	for (struct addrinfo *ai = res; ai != NULL && j->n < CPEER_ADDRS;
	    ai = ai->ai_next) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (overlay_sa_to_ep(&ss, &j->ep[j->n]))
			j->n++;
	}
	if (res != NULL)
		freeaddrinfo(res);
	if (write(j->wfd, &j, sizeof(j)) != sizeof(j)) {
		close(j->wfd);
		free(j);
		return NULL;
	}
	close(j->wfd);
	return NULL;
}

static void
on_resolved(struct ev_loop *loop, int fd, int events, void *data)
{
	struct overlay *ov = data;
	struct resolve_job *j;

	(void)loop;
	(void)events;
	while (read(fd, &j, sizeof(j)) == sizeof(j)) {
		struct cpeer *cp = &ov->cpeers[j->idx];
		uint64_t now = overlay_now();

		cp->resolving = false;
		if (j->err != 0 || j->n == 0) {
			log_warnx("peer %s: %s", cp->hostport, j->err != 0 ?
			    gai_strerror(j->err) : "no usable address");
			cp->next_resolve = now + RESOLVE_FAIL_MS;
		} else {
			memcpy(cp->ep, j->ep, sizeof(cp->ep));
			cp->n = j->n;
			cp->next_resolve = now + RESOLVE_OK_MS;
			log_debug("peer %s: %zu address(es)", cp->hostport, j->n);
		}
		free(j);
	}
}

static void
resolve_start(struct overlay *ov, size_t idx)
{
	struct cpeer *cp = &ov->cpeers[idx];
	struct resolve_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t th;
	uint16_t port;

	if (j == NULL)
		return;
	j->idx = idx;
	j->family = ov->family == AF_INET ? AF_INET : AF_UNSPEC;
	if (!conf_hostport_split(cp->hostport, j->host, sizeof(j->host), &port)) {
		free(j);
		cp->next_resolve = UINT64_MAX;
		return;
	}
	snprintf(j->port, sizeof(j->port), "%u", port);
	if ((j->wfd = fcntl(ov->resolve_pipe[1], F_DUPFD_CLOEXEC, 3)) < 0) {
		free(j);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, resolve_thread, j) != 0) {
		close(j->wfd);
		free(j);
		cp->next_resolve = overlay_now() + RESOLVE_FAIL_MS;
	} else {
		cp->resolving = true;
	}
	pthread_attr_destroy(&attr);
}

static int
add_cpeer(struct overlay *ov, const char *hp)
{
	struct cpeer *v;

	for (size_t i = 0; i < ov->ncpeers; i++)
		if (strcmp(ov->cpeers[i].hostport, hp) == 0)
			return 0;
	if ((v = realloc(ov->cpeers, (ov->ncpeers + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	ov->cpeers = v;
	memset(&v[ov->ncpeers], 0, sizeof(*v));
	snprintf(v[ov->ncpeers].hostport, CONF_HOSTPORT_MAX, "%s", hp);
	ov->ncpeers++;
	return 0;
}

int
peers_init(struct overlay *ov)
{
	char hosts[STATE_PEERS_MAX][80];
	int n;

	if (pipe2(ov->resolve_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	for (size_t i = 0; i < ov->a->conf.npeers; i++)
		if (add_cpeer(ov, ov->a->conf.peers[i]) < 0)
			return -ENOMEM;
	n = state_read_peers(ov->a->conf.state_dir, hosts, STATE_PEERS_MAX);
	for (int i = 0; i < n; i++)
		if (add_cpeer(ov, hosts[i]) < 0)
			return -ENOMEM;
	return ev_io_add(ov->a->loop, ov->resolve_pipe[0], EV_READ,
	    on_resolved, ov);
}

void
peers_free(struct overlay *ov)
{
	if (ov->resolve_pipe[0] >= 0) {
		ev_io_del(ov->a->loop, ov->resolve_pipe[0]);
		close(ov->resolve_pipe[0]);
	}
	if (ov->resolve_pipe[1] >= 0)
		close(ov->resolve_pipe[1]);
	ov->resolve_pipe[0] = ov->resolve_pipe[1] = -1;
	free(ov->cpeers);
	ov->cpeers = NULL;
	ov->ncpeers = 0;
}

/* The k-th candidate endpoint of p, false when k is past the last. */
static bool
candidate(struct overlay *ov, struct peer *p, size_t k,
    struct mesh_endpoint *ep)
{
	const struct mesh_record *r = recset_by_key(ov->rs, p->pk);

	if (r != NULL) {
		if (k < r->n_ep) {
			*ep = r->ep[k];
			return true;
		}
		k -= r->n_ep;
	}
	for (size_t i = 0; i < ov->ncpeers; i++) {
		if (k < ov->cpeers[i].n) {
			*ep = ov->cpeers[i].ep[k];
			return true;
		}
		k -= ov->cpeers[i].n;
	}
	return false;
}

static void
try_connect(struct overlay *ov, struct peer *p, uint64_t now)
{
	struct mesh_endpoint ep;
	struct sockaddr_storage sa;
	socklen_t sl;

	/* Where it last spoke from stays while it keeps speaking. */
	if (!(p->ep_observed && p->last_rx != 0 &&
	    now - p->last_rx < ov->suspect_ms)) {
		p->nprobe = 0;
		for (size_t k = 0; p->nprobe < OV_PROBE_MAX &&
		    candidate(ov, p, k, &ep); k++) {
			bool dup = false;
			if ((sl = overlay_ep_to_sa(ov, &ep, &sa)) == 0)
				continue;	/* a family we cannot send to */
			for (size_t i = 0; i < p->nprobe; i++)
				dup |= memcmp(&p->probe[i], &sa, sizeof(sa)) == 0;
			if (!dup)
				p->probe[p->nprobe++] = sa;
		}
		if (p->nprobe > 0) {
			p->ep = p->probe[0];
			p->eplen = overlay_sa_len(&p->ep);
			p->ep_observed = false;
		}
	}
	if (p->eplen == 0)
		return;
	session_connect(p->s, now);
	p->next_try = now + p->backoff + randombytes_uniform((uint32_t)p->backoff / 2 + 1);
	p->backoff = p->backoff * 2 > OV_BACKOFF_MAX_MS ? OV_BACKOFF_MAX_MS :
	    p->backoff * 2;
}

void
peers_maint(struct overlay *ov, uint64_t now)
{
	uint8_t msg[MSG_MAX];

	for (size_t i = 0; i < ov->ncpeers; i++)
		if (!ov->cpeers[i].resolving && now >= ov->cpeers[i].next_resolve)
			resolve_start(ov, i);
	/* A session for every member. */
	for (size_t i = 0; i < recset_count(ov->rs); i++) {
		const struct mesh_record *r = recset_at(ov->rs, i);
		struct peer *p;

		if (memcmp(r->cert.node_pk, ov->id.pk, 32) == 0)
			continue;
		if ((p = overlay_peer(ov, r->cert.node_pk, true)) == NULL)
			continue;
		memcpy(p->name, r->cert.name, sizeof(p->name));
		p->joiner = false;
		if (p->s == NULL) {
			if ((p->s = session_new(ov->t, p->pk)) == NULL) {
				overlay_peer_drop(ov, p);
				continue;
			}
			session_set_user(p->s, p);
			session_set_keepalive(p->s, ov->keepalive_ms);
		}
	}
	for (size_t i = 0; i < ov->npeers; i++) {
		struct peer *p = ov->peers[i];
		bool quiet = p->last_rx == 0 || now - p->last_rx >= ov->suspect_ms;

		if (p->joiner) {
			/* Answered: a little longer, for a lost answer's retry. */
			if ((p->join_answered != 0 &&
			    now - p->join_answered > JOINER_DONE_MS) ||
			    (p->last_rx != 0 && now - p->last_rx > JOINER_IDLE_MS)) {
				overlay_peer_drop(ov, p);
				i--;
			}
			continue;
		}
		if ((p->have_cert && revset_check(recset_revocations(ov->rs),
		    &p->cert)) || (recset_by_key(ov->rs, p->pk) == NULL &&
		    p->last_rx != 0 && now - p->last_rx > 2 * ov->dead_ms)) {
			overlay_peer_drop(ov, p);	/* revoked or expired */
			i--;
			continue;
		}
		if (p->s == NULL)
			continue;
		if ((!overlay_peer_up(p) || quiet) && now >= p->next_try)
			try_connect(ov, p, now);
		if (p->tell_pending && overlay_peer_up(p)) {
			struct mesh_endpoint ep;
			if (overlay_sa_to_ep(&p->ep, &ep) &&
			    overlay_send(ov, p, msg, msg_seen_encode(&ep, msg)) == 0)
				p->tell_pending = false;
		}
	}
}
