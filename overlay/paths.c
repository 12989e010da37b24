/*
 * Which sessions the node keeps, and where it sends them.
 *
 * Every member in the record set gets a session (a full mesh).  A session
 * that is not up, or whose peer fell silent, is retried with exponential
 * backoff (1 s doubling to 8 s, with jitter).  Each attempt sends the
 * handshake initiation to every candidate endpoint at once (up to
 * NODE_PROBE_MAX): the peer's record endpoints (configured and observed),
 * then the seeds' addresses (`peer =` lines and the peers file, resolved
 * by the daemon); a LAN endpoint from a fresh beacon (lan.c) goes
 * before all of them.  The first answer decides where the session goes
 * (node.c, cb_seen).  A seed carries no key, so its addresses are tried
 * for every member not yet reached; a handshake meant for another key
 * dies at the receiver's mac1 check, which costs it a hash.  Where the
 * peer last spoke from always wins while it keeps speaking.
 *
 * Joiners are not members: anyone with a fresh key can be one.  A joiner
 * session ends JOINER_DONE_MS after its first answer and JOINER_MAX_MS
 * after it was let in, whatever it sends (a new handshake on it does not
 * move `admitted`; only a fresh admission after the drop does).
 */
#include "config.h"

#include <string.h>

#include "node-int.h"

#define JOINER_MAX_MS		30000
#define JOINER_DONE_MS		15000

/* The k-th candidate endpoint of p, false when k is past the last. */
static bool
candidate(const struct node *n, const struct peer *p, size_t k,
    struct mesh_endpoint *ep)
{
	const struct mesh_record *r = recset_by_key(n->rs, p->pk);

	if (lan_candidate(n, p, ep)) {
		if (k == 0)
			return true;
		k--;
	}
	if (r != NULL) {
		if (k < r->n_ep) {
			*ep = r->ep[k];
			return true;
		}
		k -= r->n_ep;
	}
	for (size_t i = 0; i < NODE_SEED_SLOTS; i++) {
		if (k < n->seeds[i].n) {
			*ep = n->seeds[i].ep[k];
			return true;
		}
		k -= n->seeds[i].n;
	}
	return false;
}

static void
try_connect(struct node *n, struct peer *p, bool force)
{
	struct mesh_endpoint ep;
	uint64_t now = n->now;

	/* Where it last spoke from stays while it keeps speaking there
	 * (not through a relay: that says nothing of its own path). */
	if (!(p->ep_observed && path_direct(n, p))) {
		const struct mesh_record *r = recset_by_key(n->rs, p->pk);
		size_t nlan = lan_candidate(n, p, &ep) ? 1 : 0;
		size_t nrec = r != NULL ? r->n_ep : 0;

		p->nprobe = 0;
		p->probe_capped = 0;
		for (size_t k = 0; p->nprobe < NODE_PROBE_MAX &&
		    candidate(n, p, k, &ep); k++) {
			bool dup = false;
			if (ep.family == MESH_EP_IPV6 && n->cfg.ipv4_only)
				continue;	/* a family we cannot send to */
			for (size_t i = 0; i < p->nprobe; i++)
				dup |= memcmp(&p->probe[i], &ep, sizeof(ep)) == 0;
			if (dup)
				continue;
			/* What a record says is the member's word: capped
			 * per address (node.c); seeds are the operator's. */
			if (k >= nlan && k < nlan + nrec)
				p->probe_capped |= (uint16_t)(1u << p->nprobe);
			p->probe[p->nprobe++] = ep;
		}
		if (p->nprobe > 0) {
			p->ep = p->probe[0];
			p->have_ep = true;
			p->ep_observed = false;
		}
	}
	if (!p->have_ep)
		return;
	if (force)
		session_connect_now(p->s, now);
	else
		session_connect(p->s, now);
	p->next_try = now + p->backoff +
	    n->cb.random(n->cb.ctx, (uint32_t)p->backoff / 2 + 1);
	p->backoff = p->backoff * 2 > NODE_BACKOFF_MAX_MS ?
	    NODE_BACKOFF_MAX_MS : p->backoff * 2;
}

void
paths_connect(struct node *n, struct peer *p)
{
	try_connect(n, p, true);
}

/* A session for every member in the record set. */
static void
sessions_for_members(struct node *n)
{
	for (size_t i = 0; i < recset_count(n->rs); i++) {
		const struct mesh_record *r = recset_at(n->rs, i);
		struct peer *p;

		if (memcmp(r->cert.node_pk, n->cfg.pk, MESH_KEY_LEN) == 0)
			continue;
		if ((p = peer_get(n, r->cert.node_pk)) == NULL)
			continue;
		memcpy(p->name, r->cert.name, sizeof(p->name));
		p->joiner = false;
		if (p->s == NULL) {
			if ((p->s = session_new(n->t, p->pk)) == NULL) {
				peer_drop(n, p);
				continue;
			}
			session_set_user(p->s, p);
			p->keepalive_on = false;
		}
		if (!p->keepalive_on) {
			/* Its joiner session, if it had one, sent none. */
			session_set_keepalive(p->s, n->keepalive_ms);
			p->keepalive_on = true;
		}
	}
}

/* Should p go?  A joiner past its time, a revoked member, or one whose
 * record expired and that has been silent for a while. */
static bool
expendable(const struct node *n, const struct peer *p)
{
	uint64_t now = n->now;

	if (p->joiner)
		return p->evicted || (p->join_answered != 0 &&
		    now - p->join_answered > JOINER_DONE_MS) ||
		    now - p->admitted > JOINER_MAX_MS;
	if (p->have_cert && revset_check(recset_revocations(n->rs), &p->cert))
		return true;
	if (recset_by_key(n->rs, p->pk) != NULL)
		return false;
	/* Not a member we know of: admitted but never got a session, or
	 * its record is gone and it has been silent for a while, or a
	 * beacon's (lan.c) that never answered the handshakes sent there. */
	return p->s == NULL || (p->last_rx != 0 &&
	    now - p->last_rx > 2 * n->dead_ms) || (p->last_rx == 0 &&
	    p->lan_tried != 0 && now - p->lan_tried > NODE_LAN_FRESH_MS);
}

void
paths_maint(struct node *n)
{
	uint8_t msg[MSG_MAX];
	uint64_t now = n->now;

	sessions_for_members(n);
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		bool quiet = p->last_rx == 0 || now - p->last_rx >= n->suspect_ms;

		if (expendable(n, p)) {
			n->c.joiners_ended += p->joiner;
			links_forget(n, p->pk);
			gossip_forget_reporter(n, p->pk);
			peer_drop(n, p);
			i--;
			continue;
		}
		if (p->joiner || p->s == NULL)
			continue;
		if ((!peer_up(n, p) || quiet) && now >= p->next_try)
			try_connect(n, p, false);
		else if (!quiet)
			/* Alive, perhaps through a relay: its own path is
			 * looked for by punching (punch.c), with probes
			 * inside the session, not new handshakes. */
			punch_maint(n, p);
		if (p->tell_pending && p->ep_observed && peer_up(n, p) &&
		    node_send_msg(n, p, msg, msg_seen_encode(&p->ep, msg)) == 0)
			p->tell_pending = false;
	}
}
