/*
 * The node engine: session callbacks, admission, the plaintext dispatch
 * table, timers and membership events (see node.h for the contract and
 * node-int.h for who does what).
 *
 * Admission: a peer's handshake payload is its certificate, which must
 * verify against the network's CA key, be unrevoked and name the key that
 * did the handshake.  The one exception is a joiner, whose payload is
 * MSG_JOIN_HELLO: admitted only by a node that can redeem invites, at most
 * NODE_JOINERS_MAX at once, and its session may carry nothing but JOIN_REQ.
 * The verdict goes into the peer that admit() hands the session table as
 * the new session's user pointer, so it can only land on the session it
 * judged.
 *
 * Plaintext: one table indexed by the type byte, with the length bounds
 * of each message and whether a joiner may send it.  The control types
 * live in 0x00-0x3f (msg.h pins it); a first byte with version nibble 4 or
 * 6 is an IP packet, for the data plane, and never reaches a control
 * handler.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node-int.h"

struct handler {
	size_t min_len, max_len;
	void (*fn)(struct node *n, struct peer *p, const uint8_t *m,
	    size_t len);
	bool joiner_ok;
};

static void on_seen(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
static void on_ip(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);
static void on_leave(struct node *n, struct peer *p, const uint8_t *m,
    size_t len);

static const struct handler handlers[MSG_TYPE_SPACE] = {
	[MSG_RECORD] = { 1 + RECORD_WIRE_LEN, 1 + RECORD_WIRE_LEN,
	    gossip_on_record, false },
	[MSG_REVOKE] = { 1 + sizeof(struct mesh_rev_wire),
	    1 + sizeof(struct mesh_rev_wire), gossip_on_revoke, false },
	[MSG_DIGEST] = { MSG_DIGEST_HEAD, MSG_MAX, gossip_on_digest, false },
	[MSG_WANT] = { 2, MSG_MAX, gossip_on_want, false },
	[MSG_SEEN] = { 1 + sizeof(struct mesh_ep_wire),
	    1 + sizeof(struct mesh_ep_wire), on_seen, false },
	[MSG_LEAVE] = { 1, 1, on_leave, false },
	[MSG_LINKS] = { 1 + LINKSTATE_HEAD_LEN + MSG_LINKS_SIG, MSG_MAX,
	    links_on_msg, false },
	[MSG_PROBE] = { MSG_PROBE_LEN, MSG_PROBE_LEN, probe_on_msg, false },
	[MSG_PROBE_ACK] = { MSG_PROBE_LEN, MSG_PROBE_LEN, probe_on_msg, false },
	[MSG_JOIN_REQ] = { 2 + INVITE_PROOF_LEN, MSG_MAX, join_on_req, true },
	[MSG_RENEW_REQ] = { MSG_RENEW_LEN, MSG_RENEW_LEN, renew_on_req, false },
	[MSG_RENEW_OK] = { MSG_RENEW_LEN, MSG_RENEW_LEN, renew_on_ok, false },
	[MSG_RENEW_ERR] = { 2, 2, renew_on_err, false },
	[MSG_PUNCH] = { PUNCH_LEN(1), PUNCH_LEN_MAX, punch_on_msg, false },
};

/* IP packets, told by their version nibble: only IPv6 is carried. */
static const struct handler ip_handler = { IPPKT_IP6_HLEN, MSG_MAX, on_ip,
    false };

uint64_t
node_unix(struct node *n)
{
	uint64_t sec;
	uint32_t nsec;

	n->cb.wallclock(n->cb.ctx, &sec, &nsec);
	return sec;
}

void
node_emit(struct node *n, const struct node_event *ev)
{
	if (n->cb.event != NULL)
		n->cb.event(n->cb.ctx, ev);
}

bool
peer_up(const struct node *n, const struct peer *p)
{
	return p->s != NULL && session_state(p->s, n->now) == SESSION_UP;
}

int
node_send_msg(struct node *n, struct peer *p, const uint8_t *msg, size_t len)
{
	if (p->s == NULL)
		return -ENOTCONN;
	return session_send(p->s, n->now, msg, len);
}

/* --- initiations per address --------------------------------------------- */

/* One initiation to ep's address (any port): false when its bucket is
 * empty.  A member that publishes someone else's address as its own gets
 * each node to send there at most NODE_PROBE_ADDR_BURST at once and
 * NODE_PROBE_ADDR_RATE a second after, however many ports it lists. */
bool
node_probe_addr_take(struct node *n, const struct mesh_endpoint *ep)
{
	const uint64_t cap = NODE_PROBE_ADDR_BURST * 1000;
	uint8_t h[crypto_shorthash_BYTES], in[17];
	struct probe_bucket *set, *b = NULL;
	size_t ways = 4, base;
	uint64_t v;

	memcpy(in, ep->addr, 16);
	in[16] = (uint8_t)ep->family;
	crypto_shorthash(h, in, sizeof(in), n->probe_rl_key);
	memcpy(&v, h, sizeof(v));
	base = (size_t)(v % (NODE_PROBE_ADDR_SLOTS / ways)) * ways;
	set = &n->probe_rl[base];
	for (size_t i = 0; i < ways && b == NULL; i++)
		if (set[i].used && set[i].family == (uint8_t)ep->family &&
		    memcmp(set[i].addr, ep->addr, 16) == 0)
			b = &set[i];
	if (b == NULL) {
		/* Least recently used goes; a new bucket starts full. */
		b = &set[0];
		for (size_t i = 1; i < ways; i++)
			if (!set[i].used || (b->used && set[i].at < b->at))
				b = &set[i];
		memcpy(b->addr, ep->addr, 16);
		b->family = (uint8_t)ep->family;
		b->used = true;
		b->mtokens = (uint32_t)cap;
		b->at = n->now;
	}
	v = b->mtokens + (n->now - b->at) * NODE_PROBE_ADDR_RATE;
	b->mtokens = (uint32_t)(v > cap ? cap : v);
	b->at = n->now;
	if (b->mtokens < 1000)
		return false;
	b->mtokens -= 1000;
	return true;
}

/* --- session callbacks ---------------------------------------------------- */

static void
transmit(struct node *n, const struct mesh_endpoint *to, const uint8_t *pkt,
    size_t len)
{
	if (to->family == EP_RELAY)
		return;		/* not a UDP endpoint: see cb_send */
	n->c.tx_datagrams++;
	n->c.tx_bytes += len;
	n->cb.send(n->cb.ctx, to, pkt, len);
}

static void
cb_send(void *ctx, struct session *s, const uint8_t *pkt, size_t len)
{
	struct node *n = ctx;
	struct peer *p = session_user(s), *r;
	bool init = len > 0 && pkt[0] == WIRE_INITIATION;

	if (p == NULL)
		return;
	if (p->send_to != NULL) {
		transmit(n, p->send_to, pkt, len);	/* node_cand_probe */
		return;
	}
	if (init) {
		p->hs_sent = n->now;
		/* Not heard where it is yet: every candidate at once, those
		 * from records within the per-address cap. */
		for (size_t i = 0; i < p->nprobe; i++) {
			if ((p->probe_capped >> i & 1) &&
			    !node_probe_addr_take(n, &p->probe[i])) {
				n->c.probe_capped++;
				continue;
			}
			transmit(n, &p->probe[i], pkt, len);
		}
	}
	if (path_direct(n, p)) {
		if (!init || p->nprobe == 0)
			transmit(n, &p->ep, pkt, len);
		return;
	}
	/* Its own path does not work (yet): through a relay, if the graph
	 * has one -- an initiation both ways, the first answer wins. */
	if ((r = links_next_hop(n, p)) != NULL && r != p)
		forward_via(n, r, p, pkt, len);
	else if (p->have_ep && !(init && p->nprobe > 0))
		transmit(n, &p->ep, pkt, len);
}

/* A transport message goes straight to the agent's queue when it takes
 * the one way cb_send would give it: the peer's own endpoint. */
static uint8_t *
cb_out_buf(void *ctx, struct session *s, size_t len)
{
	struct node *n = ctx;
	struct peer *p = session_user(s);

	if (n->cb.send_buf == NULL || p == NULL || p->send_to != NULL ||
	    !path_direct(n, p) || p->ep.family == EP_RELAY)
		return NULL;
	return n->cb.send_buf(n->cb.ctx, &p->ep, len);
}

/* A hop datagram from p: a relayed packet, for us or to pass on.  A
 * joiner's session carries nothing but JOIN_REQ. */
static void
cb_hop(void *ctx, struct session *s, const struct session_hop *h)
{
	struct node *n = ctx;
	struct peer *p = session_user(s);

	if (p == NULL)
		return;
	if (p->joiner) {
		n->c.drop_joiner++;
		return;
	}
	forward_on_hop(n, p, h);
}

/* A cookie reply, to whoever sent an initiation under load.  (One that
 * came through a relay gets none: its sender's key is not known here, so
 * under load a relayed handshake waits for the load to pass.) */
static void
cb_send_to(void *ctx, const void *src, const uint8_t *pkt, size_t len)
{
	transmit(ctx, src, pkt, len);
}

static void
cb_recv(void *ctx, struct session *s, const uint8_t *data, size_t len)
{
	struct node *n = ctx;
	struct peer *p = session_user(s);
	const struct handler *h;

	if (p == NULL || len == 0)
		return;
	if (data[0] >> 4 == 6)
		h = &ip_handler;
	else if (data[0] >= MSG_TYPE_SPACE || (h = &handlers[data[0]])->fn == NULL)
		h = NULL;
	if (h == NULL || len < h->min_len || len > h->max_len) {
		n->c.drop_badmsg++;
		return;
	}
	if (p->joiner && !h->joiner_ok) {
		n->c.drop_joiner++;
		return;
	}
	h->fn(n, p, data, len);
}

static bool
admit_joiner(struct node *n, struct session *s, const uint8_t *pk,
    void **user)
{
	struct peer *p = *user;

	(void)s;		/* a joiner's slot is its peer, not its session */
	if (!n->cfg.can_redeem || n->cb.redeem == NULL) {
		n->c.refused_join++;
		return false;
	}
	if (p == NULL && (p = peer_get(n, pk)) == NULL)
		return false;
	/* Full: the oldest goes, so whoever holds the slots cannot keep a
	 * real joiner out (each of theirs costs them a handshake). */
	if (!p->joiner && peer_joiners(n) >= NODE_JOINERS_MAX)
		join_make_room(n, p);
	if (!p->joiner) {
		p->joiner = true;
		p->admitted = n->now;
		p->join_answered = 0;
		p->join_reqs = 0;
	}
	*user = p;
	return true;
}

static bool
cb_admit(void *ctx, struct session *s, const uint8_t pk[static WIRE_KEY_LEN],
    const uint8_t *payload, size_t len, void **user)
{
	struct node *n = ctx;
	struct mesh_cert_wire w;
	struct mesh_cert c;
	struct peer *p = *user;

	if (memcmp(pk, n->cfg.pk, MESH_KEY_LEN) == 0)
		return false;
	if (len == sizeof(MSG_JOIN_HELLO) - 1 &&
	    memcmp(payload, MSG_JOIN_HELLO, len) == 0)
		return admit_joiner(n, s, pk, user);
	if (len != sizeof(w)) {
		n->c.refused_cert++;
		return false;
	}
	memcpy(&w, payload, sizeof(w));
	if (cert_decode(&w, &c) != VR_OK ||
	    memcmp(c.node_pk, pk, MESH_KEY_LEN) != 0 ||
	    cert_verify(&c, n->cfg.ca_pk, node_unix(n)) != VR_OK ||
	    revset_check(recset_revocations(n->rs), &c)) {
		n->c.refused_cert++;
		return false;
	}
	if (p == NULL && (p = peer_get(n, pk)) == NULL)
		return false;
	p->cert = c;
	p->have_cert = true;
	p->joiner = false;
	memcpy(p->name, c.name, sizeof(p->name));
	*user = p;
	return true;
}

static void
cb_seen(void *ctx, struct session *s, const void *src)
{
	struct node *n = ctx;
	const struct mesh_endpoint *ep = src;
	struct peer *p = session_user(s);

	if (p == NULL)
		return;		/* admit() always leaves a peer */
	if (p->s == NULL)
		p->s = s;	/* the session admission just made */
	if (!p->joiner && !p->keepalive_on) {
		/* A member now (perhaps over what was its joiner session):
		 * keepalives, for the failure detector and NAT mappings. */
		session_set_keepalive(s, n->keepalive_ms);
		p->keepalive_on = true;
	}
	p->last_rx = n->now;
	p->left = false;
	if (ep == NULL || ep->family == EP_RELAY)
		return;		/* through a relay: its own path unproven */
	p->nprobe = 0;		/* it answered: we know where it is */
	if (p->have_ep && memcmp(&p->ep, ep, sizeof(p->ep)) == 0) {
		p->direct_rx = n->now;
		if (!p->ep_observed) {
			p->ep_observed = true;
			p->tell_pending = true;
		}
		return;
	}
	if (!p->have_ep || (n->rx_type != WIRE_TRANSPORT &&
	    n->rx_type != WIRE_HOP)) {
		/* A handshake: fresh by construction (a replay dies at the
		 * timestamp or the ephemeral key), and the one to its
		 * initiation is answered there -- as WireGuard does. */
		p->direct_rx = n->now;
		p->ep = *ep;
		p->have_ep = true;
		p->ep_observed = true;
		p->tell_pending = true;
		return;
	}
	/* A transport packet (or hop datagram) from somewhere new: a
	 * replayed or reflected
	 * copy would say so too.  Keep sending where we do, ask there, and
	 * move when the answer comes from there (node_cand_answer). */
	if (p->cand_sent != 0 && memcmp(&p->cand_ep, ep, sizeof(*ep)) == 0 &&
	    n->now - p->cand_sent < NODE_CAND_GAP_MS)
		return;
	if (!p->cand_due || memcmp(&p->cand_ep, ep, sizeof(*ep)) != 0) {
		p->cand_ep = *ep;
		p->cand_due = true;
		n->cand_any = true;
	}
}

/* The PROBEs cb_seen asked for, over each session to its new address. */
static void
cand_probes(struct node *n)
{
	uint8_t m[MSG_PROBE_LEN];

	n->cand_any = false;
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		if (!p->cand_due)
			continue;
		p->cand_due = false;
		if (!peer_up(n, p))
			continue;
		p->cand_nonce = (uint64_t)n->cb.random(n->cb.ctx, UINT32_MAX) <<
		    32 | n->cb.random(n->cb.ctx, UINT32_MAX);
		p->cand_sent = n->now;
		m[0] = MSG_PROBE;
		for (int k = 0; k < 8; k++)
			m[1 + k] = (uint8_t)(p->cand_nonce >> (8 * k));
		p->send_to = &p->cand_ep;
		if (node_send_msg(n, p, m, sizeof(m)) == 0)
			n->c.ep_probes++;
		p->send_to = NULL;
	}
}

bool
node_cand_answer(struct node *n, struct peer *p, uint64_t nonce)
{
	if (p->cand_sent == 0 || nonce != p->cand_nonce)
		return false;
	if (n->now - p->cand_sent < NODE_CAND_WAIT_MS && n->rx_from != NULL &&
	    memcmp(n->rx_from, &p->cand_ep, sizeof(p->cand_ep)) == 0) {
		p->ep = p->cand_ep;
		p->have_ep = true;
		p->ep_observed = true;
		p->tell_pending = true;
		p->direct_rx = n->now;
		n->c.ep_moves++;
	}
	p->cand_sent = 0;
	return true;
}

static void
cb_established(void *ctx, struct session *s)
{
	struct node *n = ctx;
	struct peer *p = session_user(s);

	if (p == NULL)
		return;
	p->backoff = NODE_BACKOFF_MIN_MS;
	p->up_since = n->now;
	if (p->hs_sent != 0 && p->direct_rx == n->now) {
		/* Our initiation, answered over its own path: an RTT. */
		uint64_t rtt = (n->now - p->hs_sent) * 1000;
		p->rtt_us = rtt < 100 ? 100 : rtt > 10000000 ? 10000000 :
		    (uint32_t)rtt;
	}
	p->hs_sent = 0;
	if (!p->joiner) {
		gossip_established(n, p);
		links_established(n, p);
	}
}

static void
cb_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct node *n = ctx;

	n->cb.wallclock(n->cb.ctx, sec, nsec);
}

/* --- messages handled here ------------------------------------------------ */

/* An address a peer may say we have: one a record may carry
 * (record_ep_ok: unicast, no scope, a real port) and not loopback.  Anything
 * else would make us publish junk (0.0.0.0 stopped our record). */
static bool
ep_plausible(const struct mesh_endpoint *ep)
{
	return record_ep_ok(ep) && !record_ep_loopback(ep);
}

static void
on_seen(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct mesh_endpoint ep;

	if (!msg_seen_decode(m, len, &ep)) {
		n->c.drop_badmsg++;
		return;
	}
	if (!ep_plausible(&ep)) {
		n->c.drop_seen++;
		return;
	}
	gossip_observed(n, p, &ep);
}

static void
on_ip(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	forward_on_ip(n, p, m, len);
}

static void
on_leave(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	(void)n;
	(void)m;
	(void)len;
	p->left = true;
}

/* --- membership ------------------------------------------------------------ */

/* Report every member whose state changed; the ms of the next change. */
static uint64_t
members_scan(struct node *n)
{
	uint64_t next = UINT64_MAX, now = n->now;

	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		enum member_state st;
		uint64_t t;

		if (p->joiner || p->name[0] == '\0')
			continue;
		st = member_state(now, p->last_rx, p->left, n->suspect_ms,
		    n->dead_ms);
		if (st != p->shown) {
			struct node_event ev = { .kind = NODE_EV_MEMBER_STATE,
			    .name = p->name, .state = st,
			    .silent_ms = p->last_rx ? now - p->last_rx : 0 };
			p->shown = st;
			node_emit(n, &ev);
		}
		t = member_next_change(now, p->last_rx, p->left, n->suspect_ms,
		    n->dead_ms);
		if (t < next)
			next = t;
	}
	return next;
}

/* --- the engine ------------------------------------------------------------ */

/* After any work: publish if our endpoints moved, and say whether the
 * record set changed. */
static void
settle(struct node *n)
{
	uint64_t gen;

	forward_flush(n);
	if (n->cand_any)
		cand_probes(n);
	if (n->endpoints_changed) {
		n->endpoints_changed = false;
		gossip_publish(n, false);
	}
	gen = recset_generation(n->rs);
	if (gen != n->reported_gen) {
		struct node_event ev = { .kind = NODE_EV_RECORDS_CHANGED };
		n->reported_gen = gen;
		node_emit(n, &ev);
	}
}

/* What the session table binds cookies and rate limits to: the address
 * (4 or 16 bytes) and the port, in network order, as session_src_bytes
 * writes them for a sockaddr. */
static size_t
src_bytes(const struct mesh_endpoint *ep, uint8_t out[static SESSION_SRC_MAX])
{
	size_t al = ep->family == MESH_EP_IPV4 ? 4 : 16;

	memcpy(out, ep->addr, al);
	out[al] = (uint8_t)(ep->port >> 8);
	out[al + 1] = (uint8_t)ep->port;
	return al + 2;
}

void
node_recv(struct node *n, uint64_t now, const uint8_t *pkt, size_t len,
    const struct mesh_endpoint *from)
{
	uint8_t src[SESSION_SRC_MAX];

	n->now = now;
	n->c.rx_datagrams++;
	if (len > WIRE_PACKET_MAX) {
		n->c.drop_oversize++;
		return;
	}
	n->rx_from = from;
	n->rx_type = len > 0 ? pkt[0] : 0;
	session_table_recv2(n->t, now, pkt, len, from, src, src_bytes(from, src));
	join_reap(n);
	n->rx_from = NULL;
	n->rx_type = 0;
	settle(n);
}

static void
maint(struct node *n)
{
	if (!n->have_self) {
		/* Keep our own previous seq (saved records), so the next
		 * one is higher. */
		const struct mesh_record *mine = recset_by_key(n->rs, n->cfg.pk);
		if (mine != NULL) {
			n->self = *mine;
			n->have_self = true;
			n->self_refresh = 0;
		}
	}
	recset_expire(n->rs, node_unix(n));
	paths_maint(n);
	renew_maint(n);
	gossip_publish(n, false);
	links_maint(n);
}

uint64_t
node_tick(struct node *n, uint64_t now)
{
	uint64_t next, t, pt;

	n->now = now;
	if (now >= n->next_maint) {
		maint(n);
		n->next_maint = now + NODE_MAINT_MS;
	}
	if (n->next_ae == 0) {
		n->next_ae = now + NODE_AE_MS;
	} else if (now >= n->next_ae) {
		gossip_antientropy(n);
		/* A little jitter, so that nodes started together drift. */
		n->next_ae = now + NODE_AE_MS - 500 + n->cb.random(n->cb.ctx, 1000);
	}
	if ((t = probe_tick(n)) <= now)
		t = now + 1;
	if ((pt = punch_tick(n)) < t)
		t = pt <= now ? now + 1 : pt;
	gossip_publish_due(n);
	settle(n);
	next = session_table_tick(n->t, now);
	if (t < next)
		next = t;
	if ((t = members_scan(n)) < next)
		next = t;
	if (n->next_maint < next)
		next = n->next_maint;
	if (n->next_ae < next)
		next = n->next_ae;
	if (n->publish_due != 0 && n->publish_due < next)
		next = n->publish_due;
	return next;
}

void
node_leave(struct node *n, uint64_t now)
{
	static const uint8_t bye[1] = { MSG_LEAVE };

	n->now = now;
	for (size_t i = 0; i < n->npeers; i++)
		if (!n->peers[i]->joiner && peer_up(n, n->peers[i]))
			node_send_msg(n, n->peers[i], bye, sizeof(bye));
}

struct node *
node_new(const struct node_cfg *cfg, const struct node_cb *cb)
{
	struct session_cb scb = {
		.send = cb_send, .recv = cb_recv, .admit = cb_admit,
		.seen = cb_seen, .established = cb_established,
		.wallclock = cb_wallclock, .send_to = cb_send_to,
		.out_buf = cb_out_buf, .hop = cb_hop,
	};
	struct mesh_cert_wire w;
	struct node *n;

	if (cb->send == NULL || cb->wallclock == NULL || cb->random == NULL ||
	    cb->local_endpoints == NULL || cfg->sk == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->cfg = *cfg;
	n->cb = *cb;
	n->dead_ms = cfg->dead_ms ? cfg->dead_ms : 5000;
	n->suspect_ms = n->dead_ms / 2;
	n->keepalive_ms = n->dead_ms / 5 < 1000 ? 1000 :
	    n->dead_ms / 5 > 10000 ? 10000 : n->dead_ms / 5;
	scb.ctx = n;
	if ((n->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		goto fail;
	memcpy(n->sk, cfg->sk, crypto_sign_SECRETKEYBYTES);
	n->cfg.sk = n->sk;
	for (size_t i = 0; i < sizeof(n->probe_rl_key); i++)
		n->probe_rl_key[i] = (uint8_t)cb->random(cb->ctx, 256);
	if ((n->t = session_table_new(n->cfg.pk, n->sk, &scb)) == NULL ||
	    (n->rs = recset_new(n->cfg.ca_pk, 0)) == NULL ||
	    forward_init(n) < 0 || links_init(n) < 0 || join_init(n) < 0)
		goto fail;
	if (cfg->chacha_only)
		session_table_set_aes(n->t, false);
	if (cfg->data_plane && cb->tun_write == NULL) {
		errno = EINVAL;
		goto fail;
	}
	cert_encode(&n->cfg.cert, &w);
	if (session_table_set_payload(n->t, (const uint8_t *)&w, sizeof(w)) < 0)
		goto fail;
	return n;
fail:
	node_free(n);
	if (errno == 0)
		errno = ENOMEM;
	return NULL;
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	peers_free_all(n);
	join_free(n);
	forward_free(n);
	links_free(n);
	session_table_free(n->t);
	recset_free(n->rs);
	if (n->sk != NULL)
		sodium_free(n->sk);
	free(n);
}

void
node_set_seeds(struct node *n, size_t slot, const struct mesh_endpoint *ep,
    size_t count)
{
	if (slot >= NODE_SEED_SLOTS)
		return;
	if (count > NODE_SEED_ADDRS)
		count = NODE_SEED_ADDRS;
	memcpy(n->seeds[slot].ep, ep, count * sizeof(*ep));
	n->seeds[slot].n = count;
}

bool
node_offer_revocation(struct node *n, const struct mesh_revocation *rv)
{
	bool isnew = gossip_revoke(n, NULL, rv);

	settle(n);
	return isnew;
}

struct recset *
node_records(struct node *n)
{
	return n->rs;
}

const struct mesh_record *
node_self(const struct node *n)
{
	return n->have_self ? &n->self : NULL;
}

const struct node_counters *
node_counters(const struct node *n)
{
	return &n->c;
}

const struct session_stats *
node_session_stats(const struct node *n)
{
	return session_table_stats(n->t);
}

bool
node_peer(const struct node *n, uint64_t now,
    const uint8_t pk[static MESH_KEY_LEN], struct node_peer_info *out)
{
	const struct peer *p = peer_find(n, pk);

	if (p == NULL || p->joiner)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, p->name, sizeof(out->name));
	out->state = member_state(now, p->last_rx, p->left, n->suspect_ms,
	    n->dead_ms);
	out->up = p->s != NULL && session_state(p->s, now) == SESSION_UP;
	out->have_ep = p->have_ep;
	out->ep = p->ep;
	out->last_rx = p->last_rx;
	out->direct = p->direct_rx != 0 && now - p->direct_rx < n->suspect_ms &&
	    out->up;
	out->relayed = !out->direct && out->up && p->have_relay;
	if (out->relayed) {
		const struct mesh_record *r = recset_by_key(n->rs, p->relay);
		memcpy(out->relay, p->relay, MESH_KEY_LEN);
		if (r != NULL)
			memcpy(out->relay_name, r->cert.name,
			    sizeof(out->relay_name));
	}
	out->rtt_us = p->rtt_us;
	out->loss_ppm = probe_loss_ppm(p);
	out->tx_bytes = p->tx_bytes;
	out->tx_direct_bytes = p->tx_direct_bytes;
	out->tx_relayed_bytes = p->tx_bytes - p->tx_direct_bytes;
	out->rx_bytes = p->rx_bytes;
	out->cipher = p->s != NULL ? session_cipher(p->s, now) : NULL;
	return true;
}

size_t
node_joiners(const struct node *n)
{
	return peer_joiners(n);
}

uint64_t
node_suspect_ms(const struct node *n)
{
	return n->suspect_ms;
}

uint64_t
node_dead_ms(const struct node *n)
{
	return n->dead_ms;
}
