/*
 * The data plane's decisions: one IP packet in, one verdict out.
 *
 * From the TUN (node_send_ip): IPv6 only, from our own overlay address,
 * to an address in our /48.  The member that owns the destination (the
 * address index, rebuilt from the record set when it changes) gets it in
 * its end-to-end session; the session carries it over the member's own
 * UDP path or, when that does not work, in a hop datagram through a relay
 * (links.c chooses).  An address nobody owns, or a member that is dead
 * with no path to it, gets an ICMPv6 destination unreachable written back
 * into the TUN at once (rate-limited), so a connect fails in milliseconds.
 * A packet too big for a relayed path gets a Packet Too Big instead
 * (NODE_IP_MTU_RELAYED; see node.h).
 *
 * From a member (forward_on_ip): the packet must come from that member's
 * own overlay address and be for ours, or it is dropped: a member cannot
 * speak for another.
 *
 * Relaying (forward_on_hop): a hop datagram (WIRE_HOP, include/mesh/
 * wire.h) carries one session packet of src's session with dst.  The
 * session of the two members on each hop authenticates it (so only
 * members relay, and a replay dies in that session's replay window) but
 * does not encrypt it again: for a transport packet the hop's tag covers
 * a constant-size AD (headers and the inner packet's own tag), so a
 * relay's cost per packet does not grow with its size.  A relay sees the
 * two keys and the packet's length, never what is in it.  It passes one
 * on only between members (both keys hold a record), only with ttl left,
 * and only to dst itself or to the next hop towards it -- never back
 * where it came from.  At dst the packet goes to the session table as if
 * it had arrived from the endpoint "through that relay" (EP_RELAY), so
 * handshakes travel through relays too: two members with no UDP path
 * between them still get an end-to-end session.
 *
 * Session callbacks may not call back into the session table, so hop
 * datagrams to send and relayed packets to take in are queued (struct
 * deferred) and done once the call into the table has returned
 * (forward_flush).  A hop datagram is built where it is queued: the inner
 * packet is copied once, into the middle of d->msg, and session_send_hop
 * writes the header and tag around it there.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node-int.h"

#define ICMP_RATE	20	/* ICMPv6 errors a second, and the burst */

_Static_assert(NODE_IP_MTU == WIRE_MAX_PLAINTEXT, "a packet fills a datagram");
_Static_assert(NODE_IP_MTU_RELAYED + WIRE_TRANSPORT_MIN <= WIRE_HOP_INNER_MAX,
    "a relayed packet fits a hop datagram");
_Static_assert(SESSION_HOP_HEAD + WIRE_HOP_INNER_MAX + WIRE_TAG_LEN <=
    sizeof(((struct deferred *)0)->msg), "a hop datagram fits the queue");

int
forward_init(struct node *n)
{
	mesh_net_prefix(n->cfg.ca_pk, n->prefix);
	mesh_node_addr(n->prefix, n->cfg.pk, n->addr);
	ippkt_ratelimit_init(&n->icmp_rl, ICMP_RATE, ICMP_RATE, 1);
	n->defer = calloc(NODE_DEFER_MAX, sizeof(*n->defer));
	return n->defer == NULL ? -ENOMEM : 0;
}

void
forward_free(struct node *n)
{
	free(n->addrs);
	free(n->defer);
	n->addrs = NULL;
	n->defer = NULL;
}

/* --- overlay address -> member ---------------------------------------------- */

static size_t
addr_slot(const uint8_t addr[static 16], size_t mask)
{
	uint64_t h;

	memcpy(&h, addr + 8, sizeof(h));	/* the key-derived half */
	return (size_t)h & mask;
}

static void
addrs_rebuild(struct node *n)
{
	size_t cnt = recset_count(n->rs), cap = 16;
	struct addr_ent *v;

	while (cap < 2 * cnt)
		cap *= 2;
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return;		/* the old index stays */
	for (size_t i = 0; i < cnt; i++) {
		const struct mesh_record *r = recset_at(n->rs, i);
		size_t k = addr_slot(r->addr, cap - 1);
		while (v[k].used)
			k = (k + 1) & (cap - 1);
		v[k].used = true;
		memcpy(v[k].addr, r->addr, 16);
		memcpy(v[k].pk, r->cert.node_pk, MESH_KEY_LEN);
	}
	free(n->addrs);
	n->addrs = v;
	n->addrs_cap = cap;
	n->addrs_gen = recset_generation(n->rs);
}

static const uint8_t *
owner_of(struct node *n, const uint8_t addr[static 16])
{
	if (n->addrs == NULL || n->addrs_gen != recset_generation(n->rs))
		addrs_rebuild(n);
	if (n->addrs == NULL)
		return NULL;
	for (size_t k = addr_slot(addr, n->addrs_cap - 1);
	    n->addrs[k].used; k = (k + 1) & (n->addrs_cap - 1))
		if (memcmp(n->addrs[k].addr, addr, 16) == 0)
			return n->addrs[k].pk;
	return NULL;
}

/* --- from the TUN ------------------------------------------------------------- */

static void
unreachable(struct node *n, const uint8_t *pkt, size_t len, uint8_t code)
{
	uint8_t out[IPPKT_ICMP_MAX];
	size_t ol;

	if (!ippkt_ratelimit_take(&n->icmp_rl, n->now))
		return;
	/* From the node's own address: the one router on this path. */
	if ((ol = ippkt_icmp6_unreach(out, sizeof(out), pkt, len, n->addr,
	    code)) == 0)
		return;
	n->c.ip_unreach++;
	n->cb.tun_write(n->cb.ctx, out, ol);
}

/* Too big for the path it would take: the sender learns the MTU there. */
static void
too_big(struct node *n, const uint8_t *pkt, size_t len, uint32_t mtu)
{
	uint8_t out[IPPKT_ICMP_MAX];
	size_t ol;

	n->c.drop_ip_nopath++;
	if (!ippkt_ratelimit_take(&n->icmp_rl, n->now))
		return;
	if ((ol = ippkt_icmp6_too_big(out, sizeof(out), pkt, len, n->addr,
	    mtu)) == 0)
		return;
	n->c.ip_too_big++;
	n->cb.tun_write(n->cb.ctx, out, ol);
}

void
node_send_ip(struct node *n, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct ippkt ip;
	const uint8_t *pk;
	struct peer *p, *hop;

	n->now = now;
	if (!n->cfg.data_plane)
		return;
	n->c.ip_out++;
	if (ippkt_parse(pkt, len, &ip) != IPPKT_OK || ip.version != 6) {
		n->c.drop_ip_bad++;
		return;
	}
	if (len > NODE_IP_MTU) {	/* not from a TUN of our MTU */
		too_big(n, pkt, len, NODE_IP_MTU);
		return;
	}
	if (memcmp(ip.src, n->addr, 16) != 0) {
		n->c.drop_ip_src++;
		return;
	}
	if (memcmp(ip.dst, n->prefix, MESH_PREFIX_LEN) != 0 ||
	    (pk = owner_of(n, ip.dst)) == NULL) {
		unreachable(n, pkt, len, IPPKT_UNREACH_ADDR);
		return;
	}
	if ((p = peer_find(n, pk)) == NULL || p->s == NULL || p->joiner) {
		unreachable(n, pkt, len, IPPKT_UNREACH_NOROUTE);
		return;
	}
	/* A member gone silent with no path: fail now, not after a TCP
	 * timeout -- whether or not its session still holds keys (they
	 * outlive a path by minutes).  One that is alive but between
	 * handshakes gets the packet queued in its session. */
	if (member_state(now, p->last_rx, p->left, n->suspect_ms,
	    n->dead_ms) != MEMBER_ALIVE && links_next_hop(n, p) == NULL) {
		unreachable(n, pkt, len, IPPKT_UNREACH_NOROUTE);
		return;
	}
	if (path_direct(n, p)) {
		p->tx_direct_bytes += len;
		probe_busy(n, p);
	} else {
		if (len > NODE_IP_MTU_RELAYED) {
			too_big(n, pkt, len, NODE_IP_MTU_RELAYED);
			return;
		}
		if ((hop = links_next_hop(n, p)) != NULL && hop != p)
			probe_busy(n, hop);
	}
	p->tx_bytes += len;
	if (session_send(p->s, now, pkt, len) < 0)
		n->c.drop_ip_nopath++;
	forward_flush(n);
}

/* --- from a member ---------------------------------------------------------- */

void
forward_on_ip(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	const struct mesh_record *r = recset_by_key(n->rs, p->pk);
	struct ippkt ip;

	if (!n->cfg.data_plane || ippkt_parse(m, len, &ip) != IPPKT_OK ||
	    ip.version != 6) {
		n->c.drop_ip_bad++;
		return;
	}
	if (r == NULL || memcmp(ip.src, r->addr, 16) != 0 ||
	    memcmp(ip.dst, n->addr, 16) != 0) {
		n->c.drop_ip_src++;
		return;
	}
	n->c.ip_in++;
	p->rx_bytes += len;
	n->cb.tun_write(n->cb.ctx, m, ip.total_len);
}

/* --- relaying --------------------------------------------------------------- */

static struct deferred *
defer(struct node *n, enum deferred_kind kind,
    const uint8_t to[static MESH_KEY_LEN])
{
	struct deferred *d;

	if (n->ndefer == NODE_DEFER_MAX)
		return NULL;
	d = &n->defer[n->ndefer++];
	d->kind = kind;
	memcpy(d->to, to, MESH_KEY_LEN);
	return d;
}

static void
hop_build(struct deferred *d, uint8_t ttl, const uint8_t *src,
    const uint8_t *dst, const uint8_t *pkt, size_t len)
{
	d->ttl = ttl;
	memcpy(d->src, src, MESH_KEY_LEN);
	memcpy(d->dst, dst, MESH_KEY_LEN);
	memcpy(d->msg + SESSION_HOP_HEAD, pkt, len);
	d->len = len;
}

void
forward_via(struct node *n, struct peer *r, struct peer *p, const uint8_t *pkt,
    size_t len)
{
	struct deferred *d;

	if (len < sizeof(struct wire_header) || len > WIRE_HOP_INNER_MAX ||
	    (d = defer(n, DEFER_HOP, r->pk)) == NULL) {
		n->c.drop_ip_nopath++;
		return;
	}
	hop_build(d, WIRE_HOP_TTL, n->cfg.pk, p->pk, pkt, len);
}

void
forward_on_hop(struct node *n, struct peer *from, const struct session_hop *h)
{
	struct peer *to, *hop;
	struct deferred *d;

	if (memcmp(h->dst, n->cfg.pk, MESH_KEY_LEN) == 0) {
		/* For us: src's session packet, through `from`. */
		if (recset_by_key(n->rs, h->src) == NULL ||
		    (d = defer(n, DEFER_DELIVER, from->pk)) == NULL) {
			n->c.drop_hop++;
			return;
		}
		memcpy(d->msg, h->pkt, h->len);
		d->len = h->len;
		return;
	}
	/* For another: only between members, with ttl left, onwards. */
	if (h->ttl <= 1 || recset_by_key(n->rs, h->src) == NULL ||
	    memcmp(h->src, n->cfg.pk, MESH_KEY_LEN) == 0 ||
	    (to = peer_find(n, h->dst)) == NULL || to->joiner ||
	    recset_by_key(n->rs, h->dst) == NULL) {
		n->c.drop_hop++;
		return;
	}
	hop = peer_direct(n, to) ? to : links_next_hop(n, to);
	if (hop == NULL || hop == from ||
	    memcmp(hop->pk, h->src, MESH_KEY_LEN) == 0 ||
	    (d = defer(n, DEFER_HOP, hop->pk)) == NULL) {
		n->c.drop_hop++;
		return;
	}
	hop_build(d, (uint8_t)(h->ttl - 1), h->src, h->dst, h->pkt, h->len);
	n->c.hops_relayed++;
	probe_busy(n, hop);
}

/* What the callbacks left to do.  Work may queue more behind it, which
 * this same pass takes (the queue is bounded, so is the pass). */
void
forward_flush(struct node *n)
{
	if (n->in_flush)
		return;
	n->in_flush = true;
	for (size_t i = 0; i < n->ndefer; i++) {
		struct deferred *d = &n->defer[i];
		struct peer *p = peer_find(n, d->to);

		if (p == NULL || p->s == NULL)
			continue;
		if (d->kind == DEFER_HOP) {
			if (session_send_hop(p->s, n->now, d->msg, d->len,
			    d->ttl, d->src, d->dst) < 0)
				n->c.drop_hop++;
		} else {
			struct mesh_endpoint via = { .family = EP_RELAY };
			uint8_t src[SESSION_SRC_MAX];

			memcpy(via.addr, p->pk, sizeof(via.addr));
			memcpy(src, p->pk, 16);
			session_table_recv2(n->t, n->now, d->msg, d->len, &via,
			    src, 16);
		}
	}
	n->ndefer = 0;
	n->in_flush = false;
}
