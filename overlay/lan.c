/*
 * LAN discovery and roaming: the engine's half (the agent's is
 * agent/lan.c, which multicasts the beacons, and agent/netwatch.c, which
 * hears the kernel say an address came or went).
 *
 * A beacon that verifies (beacon.h: network, time, certificate, the
 * node's signature; here: not revoked, newer than the last from that key)
 * makes its source address with the beacon's port the member's first
 * candidate endpoint for NODE_LAN_FRESH_MS (paths.c puts it before the
 * record's and the seeds'), and sends one handshake initiation there,
 * only there, at most once per NODE_LAN_RETRY_MS.  The answer comes from
 * the LAN and moves the session there (node.c, cb_seen: a handshake is
 * taken from wherever it comes, the other side does the same with our
 * initiation), so once found a LAN path is the one in use: the beacon
 * keeps it first, and a direct path always beats a relay (links.c).  Its
 * cost in the link graph is its measured RTT, the lowest there is.
 *
 * A member we hold no record of (joined by invite after we last heard
 * the mesh, and never met over the internet) gets a session on its
 * beacon's word: the certificate in the beacon is what the handshake will
 * check again (cb_admit), and once the session is up the two exchange
 * records by gossip as any two members do.
 *
 * Roaming (node_net_changed): when an address of ours comes or goes, the
 * paths we use may be dead and others may have appeared.  Every member
 * is handshaken at all its candidates at once (no backoff, and without
 * "where it last spoke from wins", which is what a move breaks); the
 * paths in use keep carrying traffic meanwhile, are probed at once and at
 * the busy rate, so a dead one is left after PROBE_MISSES unanswered
 * (about 400 ms) for a relay; a handshake answered from somewhere moves
 * the session there.  Our record goes out with the new endpoints.
 */
#include "config.h"

#include <string.h>

#include "node-int.h"

bool
lan_candidate(const struct node *n, const struct peer *p,
    struct mesh_endpoint *ep)
{
	if (p->lan_at == 0 || n->now - p->lan_at >= NODE_LAN_FRESH_MS)
		return false;
	*ep = p->lan_ep;
	return true;
}

static uint64_t
unix_ms(struct node *n)
{
	uint64_t sec;
	uint32_t nsec;

	n->cb.wallclock(n->cb.ctx, &sec, &nsec);
	return sec * 1000 + nsec / 1000000;
}

size_t
node_lan_beacon(struct node *n, uint64_t now, uint16_t port,
    uint8_t out[static BEACON_LEN])
{
	uint64_t stamp;

	n->now = now;
	if (port == 0)
		return 0;
	/* Strictly growing, even when two go out in one millisecond (one
	 * per interface and family): a receiver takes only newer ones. */
	stamp = unix_ms(n);
	if (stamp <= n->lan_stamp)
		stamp = n->lan_stamp + 1;
	n->lan_stamp = stamp;
	return beacon_make(out, node_cert(n), n->sk, port, stamp);
}

/* One initiation to p's LAN endpoint, only there. */
static void
lan_connect(struct node *n, struct peer *p)
{
	p->lan_tried = n->now;
	p->send_to = &p->lan_ep;
	session_connect_now(p->s, n->now);	/* one in flight went elsewhere */
	p->send_to = NULL;
	n->c.lan_handshakes++;
}

enum vr
node_lan_recv(struct node *n, uint64_t now, const uint8_t *pkt, size_t len,
    const struct mesh_endpoint *from)
{
	struct mesh_endpoint ep = *from;
	struct beacon b;
	struct peer *p;
	enum vr v;

	n->now = now;
	if ((v = beacon_parse(pkt, len, &b)) != VR_OK)
		goto bad;
	if (memcmp(b.cert.node_pk, n->cfg.pk, MESH_KEY_LEN) == 0)
		return VR_DUP;		/* ours, looped back */
	ep.port = b.port;
	/* One we can send to without a scope: not link-local (agent/lan.c
	 * sends IPv6 beacons from an address that needs none). */
	if (!record_ep_ok(&ep) ||
	    (ep.family == MESH_EP_IPV6 && n->cfg.ipv4_only)) {
		v = VR_ENDPOINT;
		goto bad;
	}
	p = peer_find(n, b.cert.node_pk);
	if (p != NULL && (p->joiner || b.stamp <= p->lan_stamp))
		return VR_STALE;	/* before the signature costs anything */
	if ((v = beacon_verify(&b, n->cfg.ca_pk, unix_ms(n))) != VR_OK)
		goto bad;
	if (revset_check(recset_revocations(n->rs), &b.cert)) {
		v = VR_REVOKED;
		goto bad;
	}
	if (p == NULL && (p = peer_get(n, b.cert.node_pk)) == NULL)
		return VR_FULL;
	if (p->s == NULL) {
		/* A member we hold no record of: its session, on the word
		 * of its certificate. */
		if ((p->s = session_new(n->t, p->pk)) == NULL) {
			peer_drop(n, p);
			return VR_FULL;
		}
		session_set_user(p->s, p);
		p->keepalive_on = false;
		p->backoff = NODE_BACKOFF_MIN_MS;
	}
	if (p->name[0] == '\0')
		memcpy(p->name, b.cert.name, sizeof(p->name));
	p->lan_stamp = b.stamp;
	p->lan_ep = ep;
	p->lan_at = now;
	n->c.lan_beacons++;
	if (p->have_ep && memcmp(&p->ep, &ep, sizeof(ep)) == 0 &&
	    peer_direct(n, p))
		return VR_OK;		/* on the LAN already */
	if (p->lan_tried == 0 || now - p->lan_tried >= NODE_LAN_RETRY_MS)
		lan_connect(n, p);
	forward_flush(n);
	return VR_OK;
bad:
	n->c.drop_beacon++;
	return v;
}

void
node_net_changed(struct node *n, uint64_t now)
{
	n->now = now;
	n->c.net_changes++;
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		struct mesh_endpoint was = p->ep;
		bool had = p->have_ep;

		if (p->joiner || p->s == NULL)
			continue;
		p->lan_at = 0;		/* heard on a LAN we may have left */
		p->ep_observed = false;
		p->backoff = NODE_BACKOFF_MIN_MS;
		paths_connect(n, p);
		/* Traffic stays where it went until an answer moves it or
		 * the probes below find that path dead. */
		if (had) {
			p->ep = was;
			p->have_ep = true;
		}
		if (peer_direct(n, p)) {
			p->next_probe = now;
			p->busy_until = now + NODE_MAINT_MS;
		}
	}
	forward_flush(n);	/* the relayed copies of initiations */
	gossip_publish(n, false);
}
