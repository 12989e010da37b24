/*
 * The overlay's socket and the session table behind it.  One UDP socket,
 * dual-stack unless `listen` names an IPv4 address; every datagram goes to
 * session_table_recv(), which drops junk cheaply (mac1) before any
 * expensive crypto; plaintext comes back through on_recv() and is handed
 * to gossip.c or redeem.c by its type byte.
 *
 * Admission: a peer's handshake payload is its certificate, which must
 * verify against network.pub, be unrevoked and name the key that did the
 * handshake.  The one exception is a joiner, whose payload is
 * MSG_JOIN_HELLO: admitted only by a node holding the CA key, and its
 * session may carry nothing but JOIN_REQ.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "agent.h"
#include "conf.h"
#include "log.h"
#include "overlay.h"
#include "state.h"

#define RX_BURST 64	/* datagrams per wake-up: the loop stays fair */

uint64_t
overlay_now(void)
{
	uint64_t now = ev_now_ms();

	return now == 0 ? 1 : now;
}

bool
overlay_peer_up(const struct peer *p)
{
	return p->s != NULL && session_state(p->s, overlay_now()) == SESSION_UP;
}

socklen_t
overlay_sa_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
}

bool
overlay_sa_to_ep(const struct sockaddr_storage *sa, struct mesh_endpoint *ep)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(ep, 0, sizeof(*ep));
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		ep->family = MESH_EP_IPV4;
		memcpy(ep->addr, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		if (memcmp(a, mapped, 12) == 0) {
			ep->family = MESH_EP_IPV4;
			memcpy(ep->addr, a + 12, 4);
		} else {
			ep->family = MESH_EP_IPV6;
			memcpy(ep->addr, a, 16);
		}
		ep->port = ntohs(s6->sin6_port);
	} else {
		return false;
	}
	return ep->port != 0;
}

socklen_t
overlay_ep_to_sa(const struct overlay *ov, const struct mesh_endpoint *ep,
    struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (ov->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		if (ep->family != MESH_EP_IPV4)
			return 0;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(ep->port);
	if (ep->family == MESH_EP_IPV4) {
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(s6->sin6_addr.s6_addr + 12, ep->addr, 4);
	} else {
		memcpy(s6->sin6_addr.s6_addr, ep->addr, 16);
	}
	return sizeof(*s6);
}

struct peer *
overlay_peer(struct overlay *ov, const uint8_t pk[static 32], bool create)
{
	struct peer *p, **v;

	for (size_t i = 0; i < ov->npeers; i++)
		if (memcmp(ov->peers[i]->pk, pk, 32) == 0)
			return ov->peers[i];
	if (!create)
		return NULL;
	if (ov->npeers == ov->cap) {
		size_t cap = ov->cap ? ov->cap * 2 : 16;
		if ((v = realloc(ov->peers, cap * sizeof(*v))) == NULL)
			return NULL;
		ov->peers = v;
		ov->cap = cap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->ov = ov;
	memcpy(p->pk, pk, 32);
	p->backoff = OV_BACKOFF_MIN_MS;
	p->shown = MEMBER_DEAD;		/* never heard: its first word is news */
	ov->peers[ov->npeers++] = p;
	return p;
}

/* Joiners are not members yet: anyone with a fresh key can be one, so
 * they get a few sessions at most, and peers.c drops idle ones. */
static size_t
overlay_joiners(const struct overlay *ov)
{
	size_t n = 0;

	for (size_t i = 0; i < ov->npeers; i++)
		n += ov->peers[i]->joiner;
	return n;
}

void
overlay_peer_drop(struct overlay *ov, struct peer *p)
{
	for (size_t i = 0; i < ov->npeers; i++)
		if (ov->peers[i] == p) {
			ov->peers[i] = ov->peers[--ov->npeers];
			break;
		}
	if (p->s != NULL)
		session_free(p->s);
	free(p);
}

int
overlay_send(struct overlay *ov, struct peer *p, const uint8_t *msg,
    size_t len)
{
	int rc;

	if (p->s == NULL)
		return -ENOTCONN;
	rc = session_send(p->s, overlay_now(), msg, len);
	(void)ov;
	return rc;
}

static void on_tick(struct ev_loop *loop, struct ev_timer *t, void *data);

void
overlay_kick(struct overlay *ov)
{
	uint64_t now = overlay_now(), next = session_table_tick(ov->t, now);
	uint64_t change = members_scan(ov, now), ms;

	if (change < next)
		next = change;
	ms = next == UINT64_MAX ? 60000 : next > now ? next - now : 0;

	ev_timer_start(ov->a->loop, &ov->tick, ms > 60000 ? 60000 : ms,
	    on_tick, ov);
}

/* --- session callbacks ---------------------------------------------------- */

static void
cb_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct overlay *ov = ctx;
	struct peer *p = session_user(s);

	if (p == NULL || p->eplen == 0)
		return;
	if (p->nprobe > 0 && len > 0 && pkt[0] == WIRE_INITIATION) {
		/* Not heard where it is yet: every candidate at once. */
		for (size_t i = 0; i < p->nprobe; i++) {
			const struct sockaddr_storage *sa = &p->probe[i];
			if (sendto(ov->fd, pkt, len, MSG_DONTWAIT,
			    (const struct sockaddr *)sa, overlay_sa_len(sa)) < 0)
				ov->c.send_errors++;
		}
		return;
	}
	if (sendto(ov->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&p->ep,
	    p->eplen) < 0)
		ov->c.send_errors++;
}

static void
cb_recv(void *ctx, struct session *s, const uint8_t *data, size_t len)
{
	struct overlay *ov = ctx;
	struct peer *p = session_user(s);

	if (p == NULL || len == 0)
		return;
	if (data[0] >= MSG_JOIN_REQ) {
		redeem_recv(ov, p, data, len);
		return;
	}
	if (p->joiner) {
		ov->c.drop_joiner++;
		return;
	}
	if (data[0] == MSG_LEAVE && len == 1) {
		p->left = true;
		return;
	}
	gossip_recv(ov, p, data, len);
}

static bool
cb_admit(void *ctx, struct session *s, const uint8_t pk[static WIRE_KEY_LEN],
    const uint8_t *payload, size_t len, void **user)
{
	(void)user;
	struct overlay *ov = ctx;
	struct mesh_cert_wire w;
	struct mesh_cert c;

	(void)s;
	ov->admit_pending = false;
	if (memcmp(pk, ov->id.pk, 32) == 0)
		return false;
	memcpy(ov->admit_pk, pk, MESH_KEY_LEN);
	if (len == sizeof(MSG_JOIN_HELLO) - 1 &&
	    memcmp(payload, MSG_JOIN_HELLO, len) == 0) {
		if (!redeem_possible(ov) || (s == NULL &&
		    overlay_joiners(ov) >= OV_JOINERS_MAX)) {
			ov->c.refused_join++;
			return false;
		}
		ov->admit_pending = ov->admit_joiner = true;
		return true;
	}
	if (len != sizeof(w)) {
		ov->c.refused_cert++;
		return false;
	}
	memcpy(&w, payload, sizeof(w));
	if (cert_decode(&w, &c) != VR_OK ||
	    memcmp(c.node_pk, pk, MESH_KEY_LEN) != 0 ||
	    cert_verify(&c, ov->id.ca_pk, (uint64_t)time(NULL)) != VR_OK ||
	    revset_check(recset_revocations(ov->rs), &c)) {
		ov->c.refused_cert++;
		return false;
	}
	ov->admit_pending = true;
	ov->admit_joiner = false;
	ov->admit_cert = c;
	return true;
}

static void
cb_seen(void *ctx, struct session *s, const void *src)
{
	struct overlay *ov = ctx;
	const struct sockaddr_storage *sa = src;
	struct peer *p = session_user(s);

	if (p == NULL) {
		p = overlay_peer(ov, session_peer_pk(s), true);
		if (p == NULL)
			return;
		p->s = s;
		session_set_user(s, p);
	}
	/* The session admit() just let in (the same key: a session_new that
	 * failed after admit() must not hand its verdict to another). */
	if (ov->admit_pending &&
	    memcmp(ov->admit_pk, session_peer_pk(s), MESH_KEY_LEN) == 0) {
		p->joiner = ov->admit_joiner;
		if (!p->joiner) {
			p->cert = ov->admit_cert;
			p->have_cert = true;
			memcpy(p->name, p->cert.name, sizeof(p->name));
			session_set_keepalive(s, ov->keepalive_ms);
		}
		ov->admit_pending = false;
	}
	p->last_rx = overlay_now();
	p->left = false;
	if (sa == NULL)
		return;
	p->nprobe = 0;		/* it answered: we know where it is */
	if (!p->ep_observed || p->eplen == 0 ||
	    memcmp(&p->ep, sa, sizeof(p->ep)) != 0) {
		memcpy(&p->ep, sa, sizeof(p->ep));
		p->eplen = overlay_sa_len(sa);
		p->ep_observed = true;
		p->tell_pending = true;
	}
}

static void
cb_established(void *ctx, struct session *s)
{
	struct overlay *ov = ctx;
	struct peer *p = session_user(s);

	if (p == NULL)
		return;
	p->backoff = OV_BACKOFF_MIN_MS;
	p->up_since = overlay_now();
	if (!p->joiner)
		gossip_established(ov, p);
}

static void
cb_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (uint64_t)ts.tv_sec;
	*nsec = (uint32_t)ts.tv_nsec;
}

/* --- the loop ------------------------------------------------------------- */

static void
on_readable(struct ev_loop *loop, int fd, int events, void *data)
{
	struct overlay *ov = data;
	uint8_t buf[WIRE_PACKET_MAX + 1];
	struct sockaddr_storage from;

	(void)loop;
	(void)events;
	for (int i = 0; i < RX_BURST; i++) {
		socklen_t fl = sizeof(from);
		ssize_t n;

		memset(&from, 0, sizeof(from));
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		ov->c.rx_datagrams++;
		if ((size_t)n > WIRE_PACKET_MAX) {
			ov->c.drop_oversize++;
			continue;
		}
		session_table_recv(ov->t, overlay_now(), buf, (size_t)n, &from);
	}
	gossip_maint(ov, false);
	overlay_kick(ov);
}

static void
on_tick(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	(void)loop;
	(void)t;
	overlay_kick(data);
}

static void
on_maint(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct overlay *ov = data;

	peers_maint(ov, overlay_now());
	gossip_publish(ov, false);
	gossip_maint(ov, false);
	overlay_kick(ov);
	ev_timer_start(loop, t, OV_MAINT_MS, on_maint, ov);
}

static void
on_ae(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct overlay *ov = data;

	gossip_antientropy(ov);
	overlay_kick(ov);
	/* A little jitter, so that nodes started together drift apart. */
	ev_timer_start(loop, t, OV_AE_MS - 500 + randombytes_uniform(1000),
	    on_ae, ov);
}

static int
open_socket(struct overlay *ov, const char *listen)
{
	char host[CONF_HOSTPORT_MAX];
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, off = 0;

	memset(&ss, 0, sizeof(ss));
	if (!conf_hostport_split(listen, host, sizeof(host), &ov->port))
		return -EINVAL;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ov->port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ov->port);
		sl = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	ov->family = ss.ss_family;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	ov->fd = fd;
	ov->bound_one = overlay_sa_to_ep(&ss, &ov->bound) &&
	    !(ov->bound.family == MESH_EP_IPV4 ?
	    memcmp(ov->bound.addr, "\0\0\0\0", 4) == 0 :
	    IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
	return 0;
}

struct overlay *
overlay_new(struct agent *a)
{
	struct session_cb cb = {
		.send = cb_send, .recv = cb_recv, .admit = cb_admit,
		.seen = cb_seen, .established = cb_established,
		.wallclock = cb_wallclock,
	};
	struct mesh_cert_wire w;
	struct overlay *ov;
	int rc;

	if (!a->have_id)
		return NULL;
	if ((ov = calloc(1, sizeof(*ov))) == NULL)
		return NULL;
	ov->a = a;
	ov->fd = ov->resolve_pipe[0] = ov->resolve_pipe[1] = -1;
	ov->dead_ms = (uint64_t)a->conf.dead_after * 1000;
	ov->suspect_ms = ov->dead_ms / 2;
	ov->keepalive_ms = ov->dead_ms / 5 < 1000 ? 1000 :
	    ov->dead_ms / 5 > 10000 ? 10000 : ov->dead_ms / 5;
	cb.ctx = ov;
	if ((rc = state_read_cert(a->conf.state_dir, &ov->cert)) < 0) {
		log_warnx("%s/%s: %s: the overlay stays off (a node made by an "
		    "older meshctl init, or a join that did not finish)",
		    a->conf.state_dir, STATE_CERT_FILE, rc == -ENOENT ?
		    "missing" : "not a certificate");
		goto fail;
	}
	ov->id = a->id;
	if ((ov->id.sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		goto fail;
	memcpy(ov->id.sk, a->id.sk, crypto_sign_SECRETKEYBYTES);
	if (memcmp(ov->cert.node_pk, ov->id.pk, 32) != 0 ||
	    cert_verify(&ov->cert, ov->id.ca_pk, (uint64_t)time(NULL)) != VR_OK) {
		log_warnx("%s/%s is not a valid certificate of this node in "
		    "this network: the overlay stays off", a->conf.state_dir,
		    STATE_CERT_FILE);
		goto fail;
	}
	if ((ov->t = session_table_new(ov->id.pk, ov->id.sk, &cb)) == NULL)
		goto fail;
	cert_encode(&ov->cert, &w);
	if (session_table_set_payload(ov->t, (const uint8_t *)&w, sizeof(w)) < 0)
		goto fail;
	if ((rc = open_socket(ov, a->conf.listen)) < 0) {
		errno = -rc;
		log_warn("cannot listen on UDP %s", a->conf.listen);
		goto fail;
	}
	if (gossip_init(ov) < 0 || peers_init(ov) < 0)
		goto fail;
	if (ev_io_add(a->loop, ov->fd, EV_READ, on_readable, ov) < 0)
		goto fail;
	ev_timer_start(a->loop, &ov->tick, 0, on_tick, ov);
	ev_timer_start(a->loop, &ov->maint, 10, on_maint, ov);
	ev_timer_start(a->loop, &ov->ae, OV_AE_MS, on_ae, ov);
	log_info("overlay: %s.mesh listening on UDP %s", a->id.name,
	    a->conf.listen);
	return ov;
fail:
	overlay_free(ov);
	return NULL;
}

void
overlay_free(struct overlay *ov)
{
	if (ov == NULL)
		return;
	ev_timer_stop(ov->a->loop, &ov->tick);
	ev_timer_stop(ov->a->loop, &ov->maint);
	ev_timer_stop(ov->a->loop, &ov->ae);
	/* Say goodbye, so that members show "left" rather than "dead". */
	for (size_t i = 0; i < ov->npeers; i++) {
		static const uint8_t bye[1] = { MSG_LEAVE };
		if (!ov->peers[i]->joiner && overlay_peer_up(ov->peers[i]))
			overlay_send(ov, ov->peers[i], bye, sizeof(bye));
	}
	if (ov->rs != NULL)
		gossip_maint(ov, true);
	peers_free(ov);
	while (ov->npeers > 0)
		overlay_peer_drop(ov, ov->peers[0]);
	free(ov->peers);
	gossip_free(ov);
	if (ov->fd >= 0) {
		ev_io_del(ov->a->loop, ov->fd);
		close(ov->fd);
	}
	session_table_free(ov->t);
	identity_free(&ov->id);
	free(ov);
}

json_t *
overlay_counters_json(struct overlay *ov)
{
	const struct session_stats *st = session_table_stats(ov->t);
	const struct recset_counters *rc = recset_counters(ov->rs);
	json_t *rej = json_object(), *o;

	for (int v = 1; v < VR_MAX; v++)
		json_object_set_new(rej, vr_id((enum vr)v),
		    json_integer((json_int_t)rc->rejected[v]));
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	    " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "rx_datagrams", (json_int_t)ov->c.rx_datagrams,
	    "rx_packets", (json_int_t)st->rx_packets,
	    "tx_packets", (json_int_t)st->tx_packets,
	    "handshakes", (json_int_t)st->handshakes,
	    "handshake_timeouts", (json_int_t)st->handshake_timeouts,
	    "drop_oversize", (json_int_t)ov->c.drop_oversize,
	    "drop_malformed", (json_int_t)st->drop_malformed,
	    "drop_mac", (json_int_t)st->drop_mac,
	    "drop_crypto", (json_int_t)st->drop_crypto,
	    "drop_refused", (json_int_t)st->drop_refused,
	    "drop_replay_hs", (json_int_t)st->drop_replay_hs,
	    "drop_flood", (json_int_t)st->drop_flood,
	    "drop_index", (json_int_t)st->drop_index,
	    "drop_stale", (json_int_t)st->drop_stale,
	    "drop_auth", (json_int_t)st->drop_auth,
	    "drop_replay", (json_int_t)st->drop_replay,
	    "drop_badmsg", (json_int_t)ov->c.drop_badmsg,
	    "drop_joiner", (json_int_t)ov->c.drop_joiner,
	    "refused_cert", (json_int_t)ov->c.refused_cert,
	    "refused_join", (json_int_t)ov->c.refused_join);
	json_object_set_new(o, "drop_collision", json_integer((json_int_t)st->drop_collision));
	json_object_set_new(o, "drop_nomem", json_integer((json_int_t)st->drop_nomem));
	json_object_set_new(o, "queue_dropped", json_integer((json_int_t)st->queue_dropped));
	json_object_set_new(o, "send_errors", json_integer((json_int_t)ov->c.send_errors));
	json_object_set_new(o, "joins_ok", json_integer((json_int_t)ov->c.joins_ok));
	json_object_set_new(o, "joins_refused", json_integer((json_int_t)ov->c.joins_refused));
	json_object_set_new(o, "records_accepted", json_integer((json_int_t)rc->accepted));
	json_object_set_new(o, "records_rejected", rej);
	json_object_set_new(o, "records_expired", json_integer((json_int_t)rc->expired));
	json_object_set_new(o, "records_revoked", json_integer((json_int_t)rc->revoked));
	json_object_set_new(o, "revocations", json_integer((json_int_t)rc->revocations));
	json_object_set_new(o, "records_pushed", json_integer((json_int_t)ov->c.records_pushed));
	json_object_set_new(o, "digests_sent", json_integer((json_int_t)ov->c.digests_sent));
	return o;
}
