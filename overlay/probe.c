/*
 * Probing the paths in use, so that traffic leaves a dead one in well
 * under a second, while idle links stay cheap.
 *
 * A peer's own path (direct UDP) that carried packets in the last
 * PROBE_BUSY_MS -- as the destination or as the relay of a destination --
 * gets a PROBE every PROBE_BUSY_EVERY_MS; the other end answers at once
 * with PROBE_ACK over the same session.  PROBE_MISSES unanswered in a row
 * (about 400 ms) and the path is taken as dead: the peer stops counting
 * as direct (path_direct), our link record is republished without it at
 * once, and the next packet takes the next best path (links.c).  The
 * next packet heard from it over that path makes it direct again.
 * An idle link gets a probe every PROBE_IDLE_EVERY_MS, for its RTT and
 * loss (the link's cost) at one small message each way.
 *
 * The answer's delay is the RTT, kept as a moving average (1/4 new); the
 * share of probes lost since the last 16 sent is the loss estimate.  Both
 * make the link's cost (linkstate_link_cost).
 */
#include "config.h"

#include <string.h>

#include "node-int.h"

#define PROBE_BUSY_MS		1000
#define PROBE_BUSY_EVERY_MS	100
#define PROBE_IDLE_EVERY_MS	5000
#define PROBE_MISSES		4
#define PROBE_LOSS_WINDOW	16

void
probe_busy(struct node *n, struct peer *p)
{
	bool was = p->busy_until > n->now;

	p->busy_until = n->now + PROBE_BUSY_MS;
	if (!was && p->next_probe > n->now + PROBE_BUSY_EVERY_MS)
		p->next_probe = n->now;	/* from idle to busy: probe now */
}

uint32_t
probe_loss_ppm(const struct peer *p)
{
	if (p->probes_sent == 0)
		return 0;
	return (uint32_t)((uint64_t)p->probes_lost * 1000000 / p->probes_sent);
}

static void
send_probe(struct node *n, struct peer *p, uint8_t type, uint64_t nonce)
{
	uint8_t m[MSG_PROBE_LEN];

	m[0] = type;
	for (int i = 0; i < 8; i++)
		m[1 + i] = (uint8_t)(nonce >> (8 * i));
	node_send_msg(n, p, m, sizeof(m));
}

static void
path_dead(struct node *n, struct peer *p)
{
	p->direct_rx = 0;
	p->probe_misses = 0;
	p->probe_at = 0;
	n->links_at = 0;	/* republish now: the graph loses this edge */
	links_maint(n);
}

uint64_t
probe_tick(struct node *n)
{
	uint64_t next = UINT64_MAX, now = n->now;

	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		bool busy = p->busy_until > now;

		if (p->joiner || !peer_direct(n, p))
			continue;
		if (now >= p->next_probe) {
			if (p->probe_at != 0) {	/* the last one: no answer */
				p->probe_misses++;
				p->probes_lost++;
				if (busy && p->probe_misses >= PROBE_MISSES) {
					path_dead(n, p);
					continue;
				}
			}
			if (p->probes_sent >= PROBE_LOSS_WINDOW) {
				p->probes_sent /= 2;	/* a decaying window */
				p->probes_lost /= 2;
			}
			p->probe_nonce = (uint64_t)n->cb.random(n->cb.ctx,
			    UINT32_MAX) << 32 | n->cb.random(n->cb.ctx, UINT32_MAX);
			p->probe_at = now;
			p->probes_sent++;
			send_probe(n, p, MSG_PROBE, p->probe_nonce);
			p->next_probe = now + (busy ? PROBE_BUSY_EVERY_MS :
			    PROBE_IDLE_EVERY_MS);
		}
		if (p->next_probe < next)
			next = p->next_probe;
	}
	return next;
}

void
probe_on_msg(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	uint64_t nonce = 0, rtt;

	(void)len;	/* the dispatch table checked it */
	for (int i = 0; i < 8; i++)
		nonce |= (uint64_t)m[1 + i] << (8 * i);
	if (m[0] == MSG_PROBE) {
		/* Answered on the path it came by: a punch probe (punch.c)
		 * or one to a new address must be answered from there, not
		 * through the relay the session may use now. */
		const struct mesh_endpoint *from = n->rx_from;

		if (from != NULL && from->family != EP_RELAY &&
		    !(p->have_ep && memcmp(from, &p->ep, sizeof(*from)) == 0)) {
			/* Not where the session sends: a member could forge
			 * the source of its PROBEs, so answers there are
			 * capped per address like any probe (node.c). */
			if (!node_probe_addr_take(n, from))
				return;
			p->send_to = from;
		}
		send_probe(n, p, MSG_PROBE_ACK, nonce);
		p->send_to = NULL;
		return;
	}
	if (punch_answer(n, p, nonce))
		return;		/* one of our punch rounds */
	if (node_cand_answer(n, p, nonce))
		return;		/* our probe of its new address */
	if (p->probe_at == 0 || nonce != p->probe_nonce)
		return;		/* late, or not ours */
	rtt = (n->now - p->probe_at) * 1000;
	if (rtt < 100)
		rtt = 100;	/* the clock counts ms; a LAN is faster */
	p->rtt_us = p->rtt_us == 0 ? (uint32_t)rtt :
	    (uint32_t)((3 * (uint64_t)p->rtt_us + rtt) / 4);
	p->probe_at = 0;
	p->probe_misses = 0;
}
