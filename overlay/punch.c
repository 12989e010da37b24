/*
 * Hole punching through a common peer: two members that reach each other
 * only through a relay try to open their own UDP path, where their NATs
 * allow one.  (Ideas from Tailscale's disco and tinc's UDP_INFO; no code.)
 *
 * What each side knows of itself: its interface endpoints and the
 * endpoints that at least NODE_SEEN_AGREE members said they see its
 * packets come from (SEEN, gossip.c) -- never one member's word alone,
 * so a member cannot make us send others to an address of its choice.
 *
 * Call me maybe: a member X whose session with Y is up but not direct
 * (it goes through a relay) sends Y a PUNCH over that session -- end to
 * end encrypted and authenticated, so a relay can neither read nor forge
 * it -- listing its endpoints, and Y answers with a PUNCH of its own
 * (flagged an answer, which gets none).  Each side starts a round when
 * it takes the other's PUNCH: PUNCH_TRIES session PROBEs to every target
 * (the other's PUNCH endpoints and its record's), PUNCH_TRY_MS apart, so
 * both NATs see traffic out towards the other at about the same moment
 * and let the other's next probe in.  A PROBE is answered on the path it
 * came by (probe.c); the first PROBE_ACK of the round that comes from one
 * of its targets makes that target the peer's endpoint, heard directly:
 * from then on links.c and the session send there, and the relayed path
 * carried everything until that answer (nothing is lost in the move).  The
 * other side moves too, when its own probe is answered, or by node.c's
 * probe of a new address its PROBE came from.
 *
 * When the direct path dies (probe.c stops calling it direct), traffic
 * goes back to the relay by the existing failover and the rounds start
 * again.  Rounds X starts on its own come PUNCH_BACKOFF_MIN_MS after the
 * path went relayed, then doubling to PUNCH_BACKOFF_MAX_MS (with jitter)
 * while none works: where both NATs pick a new port for every
 * destination no round can work, and the cost falls to one PUNCH each
 * way and a few dozen 73-byte probes every 16-20 s, with no flapping (a
 * path is direct only once a probe of it was answered).  The cap is the
 * other side of that trade: a path that opens again (a firewall rule
 * lifted) is found within about 20 s, as the 8 s handshake retries this
 * replaces found it, and at less cost (no DH, no rekey).
 *
 * Limits on what a peer can make us do: one PUNCH per PUNCH_RX_GAP_MS
 * from each peer is taken (drop_punch_rate), at most PUNCH_CANDS_MAX
 * endpoints, each one a record could carry and not loopback (nor our own
 * services); its endpoints are probed
 * under the per-address cap that record endpoints have (node.c,
 * probe_addr_take), and every round's probes together under one bucket
 * (PUNCH_PROBE_RATE).  A malformed PUNCH is dropped (drop_punch).
 *
 * Keepalives: a direct path is probed every few seconds at the most
 * (probe.c) and the session sends keepalives (dead_after / 5, 1 to 10 s),
 * well inside the 30 s UDP timeout of common NATs.
 */
#include "config.h"

#include <string.h>

#include "node-int.h"

/* --- the message ---------------------------------------------------------- */

size_t
punch_encode(const struct punch_msg *m, uint8_t *out)
{
	size_t n = m->n > PUNCH_CANDS_MAX ? PUNCH_CANDS_MAX : m->n;

	if (n == 0)
		return 0;
	out[0] = MSG_PUNCH;
	out[1] = m->flags & PUNCH_F_ANSWER;
	out[2] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		struct mesh_ep_wire w;

		memset(&w, 0, sizeof(w));
		w.family = (uint8_t)m->ep[i].family;
		mesh_put_le16(w.port, m->ep[i].port);
		memcpy(w.addr, m->ep[i].addr,
		    m->ep[i].family == MESH_EP_IPV4 ? 4 : 16);
		memcpy(out + PUNCH_LEN(i), &w, sizeof(w));
	}
	return PUNCH_LEN(n);
}

bool
punch_decode(const uint8_t *buf, size_t len, struct punch_msg *m)
{
	if (len < PUNCH_HEAD || buf[0] != MSG_PUNCH ||
	    (buf[1] & ~PUNCH_F_ANSWER) != 0 || buf[2] == 0 ||
	    buf[2] > PUNCH_CANDS_MAX || len != PUNCH_LEN((size_t)buf[2]))
		return false;
	memset(m, 0, sizeof(*m));
	m->flags = buf[1];
	m->n = buf[2];
	for (size_t i = 0; i < m->n; i++) {
		struct mesh_ep_wire w;
		struct mesh_endpoint *e = &m->ep[i];

		memcpy(&w, buf + PUNCH_LEN(i), sizeof(w));
		if (w.family == MESH_EP_IPV4) {
			for (size_t k = 4; k < 16; k++)
				if (w.addr[k] != 0)
					return false;
		} else if (w.family != MESH_EP_IPV6) {
			return false;
		}
		e->family = (enum mesh_ep_family)w.family;
		e->port = mesh_get_le16(w.port);
		memcpy(e->addr, w.addr, 16);
		if (e->port == 0)
			return false;
	}
	return true;
}

/* --- the node's side ------------------------------------------------------ */

static bool
ep_eq(const struct mesh_endpoint *a, const struct mesh_endpoint *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Add e to v[0..*k) unless it is there, unusable or v is full. */
static void
add_target(const struct node *n, struct mesh_endpoint *v, size_t *k,
    size_t max, const struct mesh_endpoint *e)
{
	if (*k >= max || !record_ep_ok(e) ||
	    (e->family == MESH_EP_IPV6 && n->cfg.ipv4_only))
		return;
	/* Loopback is for a mesh on one host, whose members are all direct:
	 * from a PUNCH it could only aim our probes at our own services. */
	if (record_ep_loopback(e))
		return;
	for (size_t i = 0; i < *k; i++)
		if (ep_eq(&v[i], e))
			return;
	v[(*k)++] = *e;
}

/* What we say we are at: agreed observed endpoints first, then our
 * interfaces (as our record, gossip.c). */
static size_t
own_endpoints(struct node *n, struct mesh_endpoint *ep)
{
	struct mesh_endpoint local[MESH_EP_MAX];
	size_t k = 0, nl;

	for (size_t i = 0; i < n->nobserved; i++)
		add_target(n, ep, &k, PUNCH_CANDS_MAX, &n->observed[i]);
	memset(local, 0, sizeof(local));
	nl = n->cb.local_endpoints(n->cb.ctx, local, MESH_EP_MAX);
	for (size_t i = 0; i < nl && i < MESH_EP_MAX; i++)
		add_target(n, ep, &k, PUNCH_CANDS_MAX, &local[i]);
	return k;
}

static void
send_punch(struct node *n, struct peer *p, uint8_t flags)
{
	struct punch_msg m;
	uint8_t buf[PUNCH_LEN_MAX];
	size_t len;

	memset(&m, 0, sizeof(m));
	m.flags = flags;
	m.n = own_endpoints(n, m.ep);
	if ((len = punch_encode(&m, buf)) == 0)
		return;		/* nothing to say where we are */
	if (node_send_msg(n, p, buf, len) == 0)
		n->c.punch_sent++;
}

static uint64_t
nonce64(struct node *n)
{
	return (uint64_t)n->cb.random(n->cb.ctx, UINT32_MAX) << 32 |
	    n->cb.random(n->cb.ctx, UINT32_MAX);
}

/* A round towards p: its PUNCH endpoints, then its record's. */
static void
start_round(struct node *n, struct peer *p)
{
	const struct mesh_record *r = recset_by_key(n->rs, p->pk);
	size_t k = 0;

	for (size_t i = 0; i < p->npunch_cand; i++)
		add_target(n, p->punch_to, &k, PUNCH_TARGETS_MAX,
		    &p->punch_cand[i]);
	for (size_t i = 0; r != NULL && i < r->n_ep; i++)
		add_target(n, p->punch_to, &k, PUNCH_TARGETS_MAX, &r->ep[i]);
	if (k == 0)
		return;
	p->npunch_to = k;
	p->punch_nonce = nonce64(n);
	p->punch_tries = 0;
	p->punch_try_at = n->now;
	p->punch_last = n->now;
	p->punch_active = true;
	n->c.punch_rounds++;
}

/* One probe of the round to each target, within both caps. */
static void
round_try(struct node *n, struct peer *p)
{
	const uint64_t cap = PUNCH_PROBE_BURST * 1000ULL;
	uint8_t m[MSG_PROBE_LEN];
	uint64_t v;

	v = n->punch_mtokens + (n->now - n->punch_at) * PUNCH_PROBE_RATE;
	n->punch_mtokens = n->punch_at == 0 || v > cap ? cap : v;
	n->punch_at = n->now;
	m[0] = MSG_PROBE;
	for (int k = 0; k < 8; k++)
		m[1 + k] = (uint8_t)(p->punch_nonce >> (8 * k));
	for (size_t i = 0; i < p->npunch_to; i++) {
		if (n->punch_mtokens < 1000 ||
		    !node_probe_addr_take(n, &p->punch_to[i])) {
			n->c.punch_capped++;
			continue;
		}
		n->punch_mtokens -= 1000;
		p->send_to = &p->punch_to[i];
		if (node_send_msg(n, p, m, sizeof(m)) == 0)
			n->c.punch_probes++;
		p->send_to = NULL;
	}
	p->punch_tries++;
	p->punch_last = n->now;
	p->punch_try_at = n->now + PUNCH_TRY_MS;
}

/* Our own rounds, for a member that is alive through a relay.  From
 * paths_maint, once a second. */
void
punch_maint(struct node *n, struct peer *p)
{
	uint64_t now = n->now;

	if (!peer_up(n, p))
		return;		/* paths.c handshakes first */
	if (path_direct(n, p)) {
		/* Direct: the next time it goes relayed, try soon. */
		p->punch_relayed = false;
		return;
	}
	if (!p->punch_relayed) {
		p->punch_relayed = true;
		p->punch_backoff = PUNCH_BACKOFF_MIN_MS;
		p->punch_next = now + PUNCH_BACKOFF_MIN_MS / 2 +
		    n->cb.random(n->cb.ctx, PUNCH_BACKOFF_MIN_MS / 2);
		return;
	}
	if (now < p->punch_next)
		return;
	p->punch_next = now + p->punch_backoff +
	    n->cb.random(n->cb.ctx, (uint32_t)(p->punch_backoff / 4) + 1);
	p->punch_backoff = p->punch_backoff * 2 > PUNCH_BACKOFF_MAX_MS ?
	    PUNCH_BACKOFF_MAX_MS : p->punch_backoff * 2;
	send_punch(n, p, 0);
}

/* Our endpoints changed (we moved): every relayed member soon. */
void
punch_reset(struct node *n)
{
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		if (p->punch_relayed) {
			p->punch_backoff = PUNCH_BACKOFF_MIN_MS;
			p->punch_next = n->now;
		}
	}
}

void
punch_on_msg(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct punch_msg pm;

	if (!punch_decode(m, len, &pm)) {
		n->c.drop_punch++;
		return;
	}
	if (p->punch_rx_at != 0 && n->now - p->punch_rx_at < PUNCH_RX_GAP_MS) {
		n->c.drop_punch_rate++;
		return;
	}
	p->punch_rx_at = n->now;
	n->c.punch_rx++;
	p->npunch_cand = 0;
	for (size_t i = 0; i < pm.n; i++)
		add_target(n, p->punch_cand, &p->npunch_cand, PUNCH_CANDS_MAX,
		    &pm.ep[i]);
	if (path_direct(n, p) || !peer_up(n, p))
		return;		/* nothing to punch */
	if (!(pm.flags & PUNCH_F_ANSWER)) {
		send_punch(n, p, PUNCH_F_ANSWER);
		/* It started this one: ours would only double it. */
		if (p->punch_relayed && p->punch_next < n->now + p->punch_backoff)
			p->punch_next = n->now + p->punch_backoff;
	}
	start_round(n, p);
	round_try(n, p);
}

bool
punch_answer(struct node *n, struct peer *p, uint64_t nonce)
{
	const struct mesh_endpoint *from = n->rx_from;

	if (p->punch_last == 0 || nonce != p->punch_nonce)
		return false;
	if (n->now - p->punch_last > PUNCH_WAIT_MS || from == NULL ||
	    from->family == EP_RELAY)
		return true;	/* ours, but late or not over its own path */
	for (size_t i = 0; i < p->npunch_to; i++) {
		if (!ep_eq(&p->punch_to[i], from))
			continue;
		p->ep = *from;
		p->have_ep = true;
		p->ep_observed = true;
		p->tell_pending = true;
		p->direct_rx = n->now;
		p->nprobe = 0;
		p->punch_active = false;
		p->punch_relayed = false;
		n->c.punch_direct++;
		n->links_at = 0;	/* republish: a new link */
		break;
	}
	return true;
}

uint64_t
punch_tick(struct node *n)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];

		if (!p->punch_active)
			continue;
		if (path_direct(n, p) || !peer_up(n, p) ||
		    p->punch_tries >= PUNCH_TRIES) {
			p->punch_active = false;
			continue;
		}
		if (n->now >= p->punch_try_at)
			round_try(n, p);
		if (p->punch_tries < PUNCH_TRIES && p->punch_try_at < next)
			next = p->punch_try_at;
	}
	return next;
}
