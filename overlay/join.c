/*
 * The member's half of `meshctl join`: a joiner (admitted by node.c only
 * because its handshake said MSG_JOIN_HELLO) sends JOIN_REQ with the
 * invite proof; cb.redeem checks it against the invites and issues the
 * certificate (the daemon holds the files and the CA key), and we answer
 * with the certificate, the CA public key and our own record, from which
 * the joiner learns how to reach us.
 *
 * Anyone with a fresh key can be a joiner, so each JOIN_REQ (a file read
 * and a CA key read in the daemon) is limited: NODE_JOIN_REQS_MAX per
 * joiner session, and a token bucket per source prefix.  Past either the
 * request gets no answer and no event (so no log line either).  Slots:
 * when NODE_JOINERS_MAX are held, a new joiner takes the oldest's.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "node-int.h"

int
join_init(struct node *n)
{
	return ratelimit_init(&n->join_rl, NODE_JOIN_SRC_SLOTS);
}

void
join_free(struct node *n)
{
	if (n->join_rl.v != NULL)
		ratelimit_free(&n->join_rl);
}

void
join_make_room(struct node *n, const struct peer *keep)
{
	struct peer *old = NULL;

	/* Answered ones first (they have what they came for), then the one
	 * let in longest ago. */
	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		if (!p->joiner || p->evicted || p == keep)
			continue;
		if (old == NULL || (p->join_answered != 0) >
		    (old->join_answered != 0) ||
		    ((p->join_answered != 0) == (old->join_answered != 0) &&
		    p->admitted < old->admitted))
			old = p;
	}
	if (old != NULL) {
		old->evicted = true;
		n->evicted_any = true;
		n->c.joiners_evicted++;
	}
}

void
join_reap(struct node *n)
{
	/* After every datagram: a walk of the peers only when one was
	 * marked, not one per packet. */
	if (!n->evicted_any)
		return;
	n->evicted_any = false;
	for (size_t i = 0; i < n->npeers; i++)
		if (n->peers[i]->evicted) {
			peer_drop(n, n->peers[i]);
			i--;
		}
}

/* Its source prefix's bucket has a token: /24 or /64 of where its
 * packets come from (one key for any other family). */
static bool
source_allows(struct node *n, const struct peer *p)
{
	uint8_t key[1 + 8];
	size_t klen = 1;

	key[0] = 0;
	if (p->have_ep && p->ep.family == MESH_EP_IPV4) {
		key[0] = 4;
		memcpy(key + 1, p->ep.addr, 3);
		klen = 4;
	} else if (p->have_ep && p->ep.family == MESH_EP_IPV6) {
		key[0] = 6;
		memcpy(key + 1, p->ep.addr, 8);
		klen = 9;
	}
	return ratelimit_allow(&n->join_rl, n->now, key, klen,
	    NODE_JOIN_SRC_RATE, NODE_JOIN_SRC_BURST);
}

void
join_on_req(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct msg_join_req req;
	struct msg_join_ok ok;
	struct mesh_cert cert;
	uint8_t out[MSG_MAX];
	int rc;

	if (!p->joiner || !msg_join_req_decode(m, len, &req)) {
		n->c.drop_badmsg++;
		return;
	}
	if (++p->join_reqs > NODE_JOIN_REQS_MAX || !source_allows(n, p)) {
		n->c.drop_join_limit++;
		sodium_memzero(&req, sizeof(req));
		return;
	}
	if (!n->have_self)
		rc = -EAGAIN;
	else if (n->cb.redeem == NULL || !n->cfg.can_redeem)
		rc = -EPERM;
	else
		rc = n->cb.redeem(n->cb.ctx, p->pk, req.name, req.proof, &cert);
	if (p->join_answered == 0)	/* the first: its time starts */
		p->join_answered = n->now;
	if (rc == 0) {
		n->c.joins_ok++;
		memcpy(ok.ca_pk, n->cfg.ca_pk, MESH_KEY_LEN);
		cert_encode(&cert, &ok.cert);
		record_encode(&n->self, ok.record);
		node_send_msg(n, p, out, msg_join_ok_encode(&ok, out));
	} else {
		n->c.joins_refused++;
		node_send_msg(n, p, out, msg_join_err_encode(rc, out));
	}
	struct node_event ev = { .kind = NODE_EV_JOIN, .name = req.name,
	    .err = rc };
	node_emit(n, &ev);
	sodium_memzero(&req, sizeof(req));
}
