/*
 * Records: this node's own, and everyone's through push gossip and
 * anti-entropy.
 *
 * Our record carries our certificate, overlay address and endpoints: the
 * ones cb.local_endpoints gives (interface addresses with the listen port)
 * and up to two endpoints that two members each told us they see us at
 * (SEEN; the outside of a NAT).  It is republished when those change and before it expires;
 * seq is max(last + 1, unix microseconds) as mesh/signed_wire.h asks.
 *
 * Push: our own record goes at once to every member session that is up:
 * in the full mesh that one hop reaches everyone.  A member's record that
 * we take goes on to NODE_FANOUT random members only, for those its own
 * push did not reach (two members behind NATs that cannot reach each
 * other): about 4N messages per change.  The one exception is a new
 * member's first record straight from it (it knows only us yet): to
 * everyone.  Re-pushing first-hand records to everyone cost N x N.
 * One new seq per member per NODE_RECORD_GAP_MS is taken; DIGEST and WANT
 * answers come from a per-peer budget (NODE_AE_SLACK); SEEN reports need
 * two members (gossip_observed).
 * Revocations are rare and go everywhere.  A refused record or revocation
 * goes nowhere, so a flood dies at the first hop.
 *
 * Anti-entropy: every few seconds, one random member gets our digest, in
 * key ranges (msg.h); it answers with what we lack and asks for what it
 * lacks, and we send it our revocations.  A node back from a week away is
 * whole again after one round.
 */
#include "config.h"

#include <string.h>

#include "node-int.h"

static void
push_all(struct node *n, const struct peer *except, const uint8_t *m,
    size_t len)
{
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		if (p == except || p->joiner || !peer_up(n, p))
			continue;
		if (node_send_msg(n, p, m, len) == 0) {
			n->c.records_pushed++;
			n->c.records_sent++;
		}
	}
}

/* Up to k random member sessions that are up, other than the two given. */
static void
push_some(struct node *n, const struct peer *from, const uint8_t *origin,
    const uint8_t *m, size_t len, size_t k)
{
	struct peer *pick[NODE_FANOUT];
	uint32_t seen = 0;

	if (k > NODE_FANOUT)
		k = NODE_FANOUT;
	/* Reservoir sampling: one pass, no allocation. */
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		if (p == from || p->joiner || !peer_up(n, p) ||
		    memcmp(p->pk, origin, MESH_KEY_LEN) == 0)
			continue;
		if (seen < k) {
			pick[seen++] = p;
		} else {
			uint32_t j = n->cb.random(n->cb.ctx, ++seen);
			if (j < k)
				pick[j] = p;
		}
	}
	for (size_t i = 0; i < k && i < seen; i++)
		if (node_send_msg(n, pick[i], m, len) == 0) {
			n->c.records_pushed++;
			n->c.records_sent++;
		}
}

/* One record to one peer, not a push (an answer, a new session). */
static void
send_record(struct node *n, struct peer *p, const struct mesh_record *r)
{
	uint8_t m[MSG_MAX];

	m[0] = MSG_RECORD;
	record_encode(r, m + 1);
	if (node_send_msg(n, p, m, 1 + RECORD_WIRE_LEN) == 0)
		n->c.records_sent++;
}

static size_t
record_msg(const struct mesh_record *r, uint8_t *m)
{
	m[0] = MSG_RECORD;
	record_encode(r, m + 1);
	return 1 + RECORD_WIRE_LEN;
}

static size_t
rev_msg(const struct mesh_revocation *rv, uint8_t *m)
{
	struct mesh_rev_wire w;

	rev_encode(rv, &w);
	m[0] = MSG_REVOKE;
	memcpy(m + 1, &w, sizeof(w));
	return 1 + sizeof(w);
}

static size_t
local_endpoints(struct node *n, struct mesh_endpoint *ep, size_t max)
{
	struct mesh_endpoint local[MESH_EP_MAX];
	size_t k = 0, nl;

	/* Observed ones first: they are how NATed peers find us. */
	for (size_t i = 0; i < n->nobserved && k < max; i++)
		ep[k++] = n->observed[i];
	memset(local, 0, sizeof(local));
	nl = n->cb.local_endpoints(n->cb.ctx, local, MESH_EP_MAX);
	for (size_t i = 0; i < nl && i < MESH_EP_MAX && k < max; i++) {
		bool dup = false;
		if (!record_ep_ok(&local[i]))
			continue;	/* one bad address must not stop it */
		for (size_t j = 0; j < k; j++)
			dup |= memcmp(&ep[j], &local[i], sizeof(local[i])) == 0;
		if (!dup)
			ep[k++] = local[i];
	}
	return k;
}

static uint64_t
unix_us(struct node *n)
{
	uint64_t sec;
	uint32_t nsec;

	n->cb.wallclock(n->cb.ctx, &sec, &nsec);
	return sec * 1000000 + nsec / 1000;
}

void
gossip_publish(struct node *n, bool force)
{
	struct mesh_endpoint ep[MESH_EP_MAX];
	struct mesh_record r;
	uint64_t now = node_unix(n), seq;
	uint8_t m[MSG_MAX];
	size_t k;
	enum vr v;

	memset(ep, 0, sizeof(ep));
	k = local_endpoints(n, ep, MESH_EP_MAX);
	if (!force && n->have_self && now < n->self_refresh &&
	    k == n->self.n_ep && memcmp(ep, n->self.ep, k * sizeof(ep[0])) == 0)
		return;
	if (n->published_at != 0 &&
	    n->now - n->published_at < NODE_PUBLISH_GAP_MS) {
		/* Members refuse a second seq within NODE_RECORD_GAP_MS:
		 * wait, and send what we have then (gossip_publish_due). */
		n->publish_due = n->published_at + NODE_PUBLISH_GAP_MS;
		n->publish_force |= force;
		return;
	}
	seq = unix_us(n);
	if (n->have_self && seq <= n->self.seq)
		seq = n->self.seq + 1;
	v = record_make(&r, &n->cfg.cert, n->cfg.ca_pk, n->sk, ep, k, seq,
	    now + NODE_RECORD_LIFETIME);
	if (v == VR_OK)
		v = recset_add(n->rs, &r, now);
	if (v != VR_OK) {
		struct node_event ev = { .kind = NODE_EV_PUBLISH_FAILED, .vr = v };
		node_emit(n, &ev);
		return;
	}
	if (n->have_self && (k != n->self.n_ep ||
	    memcmp(ep, n->self.ep, k * sizeof(ep[0])) != 0)) {
		/* We moved: look for our own path to every member we
		 * reach through a relay now, not at its next retry. */
		for (size_t i = 0; i < n->npeers; i++)
			if (!n->peers[i]->joiner && !peer_direct(n, n->peers[i]))
				n->peers[i]->next_try = n->now;
		punch_reset(n);
	}
	n->self = r;
	n->have_self = true;
	n->self_refresh = now + NODE_RECORD_LIFETIME - NODE_RECORD_REFRESH;
	n->published_at = n->now;
	n->publish_due = 0;
	n->publish_force = false;
	push_all(n, NULL, m, record_msg(&r, m));
}

void
gossip_publish_due(struct node *n)
{
	if (n->publish_due != 0 && n->now >= n->publish_due) {
		bool force = n->publish_force;
		n->publish_due = 0;
		n->publish_force = false;
		gossip_publish(n, force);
	}
}

/* The agreed reports, latest agreement first, become n->observed. */
static void
observed_update(struct node *n)
{
	struct mesh_endpoint ep[NODE_OBSERVED_MAX];
	uint64_t last = UINT64_MAX;
	size_t k = 0;

	memset(ep, 0, sizeof(ep));
	while (k < NODE_OBSERVED_MAX) {
		const struct seen_report *best = NULL;
		for (size_t i = 0; i < n->nreports; i++) {
			const struct seen_report *r = &n->reports[i];
			if (r->nwho < NODE_SEEN_AGREE || r->agreed_at > last ||
			    (best != NULL && r->agreed_at <= best->agreed_at))
				continue;
			bool dup = false;
			for (size_t j = 0; j < k; j++)
				dup |= memcmp(&ep[j], &r->ep, sizeof(r->ep)) == 0;
			if (!dup)
				best = r;
		}
		if (best == NULL)
			break;
		ep[k++] = best->ep;
		last = best->agreed_at;
	}
	if (k != n->nobserved || memcmp(ep, n->observed, k * sizeof(ep[0])) != 0) {
		memcpy(n->observed, ep, sizeof(ep));
		n->nobserved = k;
		n->endpoints_changed = true;
	}
}

/* Take pk's word off every report but keep (NULL: all); empty ones go. */
static void
withdraw(struct node *n, const uint8_t *pk, const struct seen_report *keep)
{
	for (size_t i = 0; i < n->nreports; i++) {
		struct seen_report *r = &n->reports[i];
		if (r == keep)
			continue;
		for (size_t j = 0; j < r->nwho; j++)
			if (memcmp(r->who[j], pk, MESH_KEY_LEN) == 0) {
				memmove(r->who[j], r->who[j + 1],
				    (r->nwho - j - 1) * MESH_KEY_LEN);
				r->nwho--;
				break;
			}
		if (r->nwho < NODE_SEEN_AGREE)
			r->agreed_at = 0;
		if (r->nwho == 0) {
			n->reports[i] = n->reports[--n->nreports];
			if (keep == &n->reports[n->nreports])
				keep = r;	/* it moved into the hole */
			i--;
		}
	}
}

/* Member `from` says it sees us at ep (ep_plausible checked it).  One
 * member's word never goes into our record: ep is published once
 * NODE_SEEN_AGREE distinct members said it, so a member can neither put an
 * endpoint of its choosing first in our record nor, alone, push a real one
 * out.  In a mesh of one other member nothing observed is published: the
 * one member that could use it heard it from our own packets. */
void
gossip_observed(struct node *n, const struct peer *from,
    const struct mesh_endpoint *ep)
{
	struct seen_report *r = NULL;

	for (size_t i = 0; i < n->nreports && r == NULL; i++)
		if (memcmp(&n->reports[i].ep, ep, sizeof(*ep)) == 0)
			r = &n->reports[i];
	if (r == NULL) {
		if (n->nreports < NODE_SEEN_TRACK) {
			r = &n->reports[n->nreports++];
		} else {
			/* Replace the least-backed, then the oldest: what one
			 * member says cannot push out what two agreed on. */
			r = &n->reports[0];
			for (size_t i = 1; i < NODE_SEEN_TRACK; i++) {
				struct seen_report *q = &n->reports[i];
				if (q->nwho < r->nwho ||
				    (q->nwho == r->nwho && q->at < r->at))
					r = q;
			}
			if (r->nwho >= NODE_SEEN_AGREE && from != NULL)
				return;		/* all agreed on: keep them */
		}
		memset(r, 0, sizeof(*r));
		r->ep = *ep;
	}
	/* Its newer word replaces its older. */
	withdraw(n, from->pk, r);
	for (size_t i = 0; i < n->nreports; i++)
		if (memcmp(&n->reports[i].ep, ep, sizeof(*ep)) == 0)
			r = &n->reports[i];
	bool known = false;
	for (size_t j = 0; j < r->nwho; j++)
		known |= memcmp(r->who[j], from->pk, MESH_KEY_LEN) == 0;
	if (!known && r->nwho < NODE_SEEN_WHO)
		memcpy(r->who[r->nwho++], from->pk, MESH_KEY_LEN);
	r->at = n->now;
	if (r->nwho >= NODE_SEEN_AGREE && r->agreed_at == 0)
		r->agreed_at = n->now;
	observed_update(n);
}

void
gossip_forget_reporter(struct node *n, const uint8_t pk[static 32])
{
	withdraw(n, pk, NULL);
	observed_update(n);
}

static void
send_digest(struct node *n, struct peer *p)
{
	size_t cnt = recset_count(n->rs), i = 0;
	struct msg_digest d;
	uint8_t m[MSG_MAX];

	memset(d.lo, 0, sizeof(d.lo));
	do {
		d.n = 0;
		while (i < cnt && d.n < MSG_DIGEST_MAX) {
			const struct mesh_record *r = recset_at(n->rs, i);
			if (recset_stale_at(n->rs, i++))
				continue;	/* a stale record never travels */
			memcpy(d.key[d.n], r->cert.node_pk, MESH_KEY_LEN);
			d.seq[d.n++] = r->seq;
		}
		if (i < cnt) {
			/* hi = the next chunk's first key - 1 */
			memcpy(d.hi, recset_at(n->rs, i)->cert.node_pk,
			    MESH_KEY_LEN);
			for (int k = MESH_KEY_LEN - 1; k >= 0; k--)
				if (d.hi[k]-- != 0)
					break;
		} else {
			memset(d.hi, 0xff, sizeof(d.hi));
		}
		if (node_send_msg(n, p, m, msg_digest_encode(&d, m)) == 0)
			n->c.digests_sent++;
		if (i < cnt)
			memcpy(d.lo, recset_at(n->rs, i)->cert.node_pk,
			    MESH_KEY_LEN);
	} while (i < cnt);
}

/* Take k tokens of p's DIGEST/WANT budget (see NODE_AE_SLACK): false,
 * and nothing taken, when it has fewer. */
static bool
ae_take(struct node *n, struct peer *p, uint64_t k)
{
	uint64_t cap = ((uint64_t)recset_count(n->rs) + NODE_AE_SLACK) * 1000;

	if (p->ae_at == 0) {
		p->ae_mtokens = cap;
	} else {
		uint64_t add = (n->now - p->ae_at) * cap / NODE_AE_MS;
		p->ae_mtokens = p->ae_mtokens + add > cap ? cap :
		    p->ae_mtokens + add;
	}
	p->ae_at = n->now;
	if (p->ae_mtokens < k * 1000) {
		n->c.drop_ae_rate++;
		return false;
	}
	p->ae_mtokens -= k * 1000;
	return true;
}

void
gossip_on_digest(struct node *n, struct peer *p, const uint8_t *msg,
    size_t len)
{
	struct msg_digest d;
	struct msg_want w;
	uint8_t m[MSG_MAX];
	size_t j = 0;

	if (!msg_digest_decode(msg, len, &d)) {
		n->c.drop_badmsg++;
		return;
	}
	if (!ae_take(n, p, 1))
		return;		/* not even a scan of the set */
	w.n = 0;
	/* Ours in the range that the peer lacks or holds older. */
	for (size_t i = 0; i < recset_count(n->rs); i++) {
		const struct mesh_record *r = recset_at(n->rs, i);
		if (recset_stale_at(n->rs, i) ||
		    !msg_key_in(r->cert.node_pk, d.lo, d.hi))
			continue;
		while (j < d.n && memcmp(d.key[j], r->cert.node_pk,
		    MESH_KEY_LEN) < 0)
			j++;
		if (j < d.n && memcmp(d.key[j], r->cert.node_pk,
		    MESH_KEY_LEN) == 0 && d.seq[j] >= r->seq)
			continue;
		if (!ae_take(n, p, 1))
			return;
		send_record(n, p, r);
	}
	/* Theirs that we lack or hold older. */
	for (size_t k = 0; k < d.n; k++) {
		const struct mesh_record *r = recset_by_key(n->rs, d.key[k]);
		if ((r == NULL || r->seq < d.seq[k]) && w.n < MSG_WANT_MAX)
			memcpy(w.key[w.n++], d.key[k], MESH_KEY_LEN);
	}
	if (w.n > 0 && node_send_msg(n, p, m, msg_want_encode(&w, m)) == 0)
		n->c.wants_sent++;	/* paid for by the DIGEST's token */
}

void
gossip_on_want(struct node *n, struct peer *p, const uint8_t *msg,
    size_t len)
{
	struct msg_want w;

	if (!msg_want_decode(msg, len, &w)) {
		n->c.drop_badmsg++;
		return;
	}
	if (!ae_take(n, p, 1))
		return;
	for (size_t i = 0; i < w.n; i++) {
		const struct mesh_record *h = recset_by_key(n->rs, w.key[i]);
		if (h != NULL && h->expires > node_unix(n)) {
			if (!ae_take(n, p, 1))
				return;
			send_record(n, p, h);
		}
	}
}

void
gossip_on_record(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	const struct mesh_record *held;
	struct mesh_record r;
	struct peer *q;
	bool isnew;

	/* One new seq per member per NODE_RECORD_GAP_MS, judged before the
	 * signature costs anything.  Our own publishes are spaced wider
	 * (NODE_PUBLISH_GAP_MS) so that honest ones are never refused. */
	if (record_decode(m + 1, len - 1, &r) == VR_OK &&
	    (held = recset_by_key(n->rs, r.cert.node_pk)) != NULL &&
	    r.seq > held->seq &&
	    (q = peer_find(n, r.cert.node_pk)) != NULL && q->record_at != 0 &&
	    n->now - q->record_at < NODE_RECORD_GAP_MS) {
		n->c.drop_record_rate++;
		return;
	}
	if (recset_add_wire(n->rs, m + 1, len - 1, node_unix(n), &r, &isnew) !=
	    VR_OK)
		return;
	q = NULL;
	if (memcmp(r.cert.node_pk, n->cfg.pk, MESH_KEY_LEN) != 0 &&
	    (q = peer_get(n, r.cert.node_pk)) != NULL)
		q->record_at = n->now;
	if (isnew) {
		struct node_event ev = { .kind = NODE_EV_MEMBER_NEW,
		    .name = r.cert.name };
		node_emit(n, &ev);
		n->next_maint = n->now;	/* a session for it at the next tick */
	} else if (q != NULL && !q->joiner && !path_direct(n, q)) {
		/* It may say where it moved: try its own path now. */
		q->next_try = 0;
		q->backoff = NODE_BACKOFF_MIN_MS;
	}
	/* A new member's first record, from itself: it knows only us yet,
	 * so everyone, at once.  Anything else already went from its
	 * member to every session it has: a few more, for those it cannot
	 * reach -- never everyone, or one change costs N x N. */
	if (isnew && memcmp(p->pk, r.cert.node_pk, MESH_KEY_LEN) == 0)
		push_all(n, p, m, len);
	else
		push_some(n, p, r.cert.node_pk, m, len, NODE_FANOUT);
}

/* recset_revoke says VR_OK for one it already holds too: only a new one
 * may travel on, or every member would echo it back and forth forever. */
bool
gossip_revoke(struct node *n, struct peer *from,
    const struct mesh_revocation *rv)
{
	uint64_t before = recset_counters(n->rs)->revocations;
	uint8_t m[MSG_MAX];

	if (recset_revoke(n->rs, rv, node_unix(n)) != VR_OK ||
	    recset_counters(n->rs)->revocations == before)
		return false;
	struct node_event ev = { .kind = NODE_EV_REVOCATION };
	node_emit(n, &ev);
	push_all(n, from, m, rev_msg(rv, m));
	return true;
}

void
gossip_on_revoke(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct mesh_rev_wire rw;
	struct mesh_revocation rv;

	(void)len;	/* the dispatch table checked it */
	memcpy(&rw, m + 1, sizeof(rw));
	if (rev_decode(&rw, &rv) == VR_OK)
		gossip_revoke(n, p, &rv);
}

void
gossip_established(struct node *n, struct peer *p)
{
	if (n->have_self)
		send_record(n, p, &n->self);
	send_digest(n, p);
}

void
gossip_antientropy(struct node *n)
{
	const struct revset *rs = recset_revocations(n->rs);
	struct peer *p = NULL;
	uint32_t seen = 0;
	uint8_t m[MSG_MAX];

	/* One member that is up, picked uniformly in one pass. */
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *q = n->peers[i];
		if (q->joiner || !peer_up(n, q))
			continue;
		if (n->cb.random(n->cb.ctx, ++seen) == 0)
			p = q;
	}
	if (p == NULL)
		return;
	send_digest(n, p);
	for (size_t i = 0; rs != NULL && i < rs->n; i++)
		node_send_msg(n, p, m, rev_msg(&rs->v[i], m));
}
