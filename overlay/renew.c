/*
 * Certificate renewal: no network of nodes made in the same week stops on
 * the same day.
 *
 * When.  A certificate is due when less than a third of its lifetime is
 * left (node_cert_due): 122 days before the end of a one-year certificate.
 * The rule scales with the lifetime, so a short test certificate is not
 * renewed forever; a fixed "30 days" would have made any certificate of
 * under 45 days due from its first day.  `meshctl status` warns 30 days
 * before the end, by which time renewal has been failing for three
 * months.
 *
 * Who asks whom.  Only a node holding the CA key (cfg.can_redeem, with
 * cb.renew) can issue.  The CA holder renews its own certificate locally,
 * through the same callback, at most once per NODE_RENEW_RETRY.  Any other
 * member, while its certificate is due, sends RENEW_REQ (its current
 * certificate) to one member that is up, at most every NODE_RENEW_GAP_MS
 * and to each member at most once per NODE_RENEW_RETRY: members that
 * renewed us before first, then the others in table order.  A member that
 * cannot issue answers RENEW_ERR, and the next one is asked at once, so in
 * a network of N members the issuer is found within N round trips and no
 * member gets more than one request per member per hour.
 *
 * The issuer's checks, in order: it can issue; the certificate decodes,
 * names the very key whose session carried the request (the session
 * proved that key), verifies against the CA at the issuer's clock and is
 * not revoked; its name is not held by another key with a newer
 * certificate (re-invited elsewhere); and at most half its lifetime is
 * left, so a member cannot make the CA key be read for a fresh one.  A
 * member asking again within NODE_RENEW_RETRY of an issue gets the same
 * certificate back, without the CA key being read again.  The request
 * proves nothing beyond what the handshake did: the member is admitted
 * with an unrevoked certificate, and gets a later one for the same name
 * and key.
 *
 * The member's checks on RENEW_OK: it asked that peer; the new certificate
 * is for our key and our name, verifies against the CA now, is unrevoked,
 * and ends later than the one held.  It then becomes our handshake payload
 * (new sessions and rekeys carry it), goes into a new record pushed at
 * once, and NODE_EV_CERT_RENEWED asks the daemon to write node.cert.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "node-int.h"

bool
node_cert_due(const struct mesh_cert *c, uint64_t now)
{
	uint64_t life;

	if (c->not_after <= c->not_before || now >= c->not_after)
		return true;
	life = c->not_after - c->not_before;
	return c->not_after - now < life / 3;
}

const struct mesh_cert *
node_cert(const struct node *n)
{
	return &n->cfg.cert;
}

/* Is c a good successor of our certificate, at unix time now? */
static bool
acceptable(struct node *n, const struct mesh_cert *c, uint64_t now)
{
	return memcmp(c->node_pk, n->cfg.pk, MESH_KEY_LEN) == 0 &&
	    strcmp(c->name, n->cfg.cert.name) == 0 &&
	    c->not_after > n->cfg.cert.not_after &&
	    cert_verify(c, n->cfg.ca_pk, now) == VR_OK &&
	    !revset_check(recset_revocations(n->rs), c);
}

static void
install(struct node *n, const struct mesh_cert *c)
{
	struct mesh_cert_wire w;

	cert_encode(c, &w);
	if (session_table_set_payload(n->t, (const uint8_t *)&w,
	    sizeof(w)) < 0)
		return;		/* cannot happen: the old one fit */
	n->cfg.cert = *c;
	n->c.renewed++;
	gossip_publish(n, true);
	struct node_event ev = { .kind = NODE_EV_CERT_RENEWED,
	    .name = n->cfg.cert.name, .cert = &n->cfg.cert };
	node_emit(n, &ev);
}

/* The CA holder: its own certificate, through the same callback. */
static void
renew_local(struct node *n, uint64_t now)
{
	struct mesh_cert c;
	int rc;

	if (now < n->renew_local_next)
		return;
	n->renew_local_next = now + NODE_RENEW_RETRY;
	rc = n->cb.renew(n->cb.ctx, &n->cfg.cert, &c);
	if (rc == 0 && !acceptable(n, &c, now))
		rc = -EINVAL;
	if (rc == 0) {
		install(n, &c);
		return;
	}
	struct node_event ev = { .kind = NODE_EV_CERT_ISSUED,
	    .name = n->cfg.cert.name, .err = rc };
	node_emit(n, &ev);
}

/* May we ask p now?  pass 0: members that renewed us before. */
static bool
askable(const struct node *n, const struct peer *p, int pass)
{
	if (p->joiner || !p->have_cert || !peer_up(n, p) ||
	    (pass == 0 && !p->issuer))
		return false;
	return p->renew_asked == 0 ||
	    n->now - p->renew_asked >= NODE_RENEW_RETRY * 1000ULL;
}

void
renew_maint(struct node *n)
{
	uint64_t now = node_unix(n);
	uint8_t m[MSG_MAX];

	if (!node_cert_due(&n->cfg.cert, now))
		return;
	if (n->cfg.can_redeem && n->cb.renew != NULL) {
		renew_local(n, now);
		return;
	}
	if (n->renew_next != 0 && n->now < n->renew_next)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n->npeers; i++) {
			struct peer *p = n->peers[i];
			if (!askable(n, p, pass))
				continue;
			if (node_send_msg(n, p, m, msg_renew_encode(
			    MSG_RENEW_REQ, &n->cfg.cert, m)) < 0)
				continue;
			p->renew_asked = n->now;
			n->renew_next = n->now + NODE_RENEW_GAP_MS;
			n->c.renew_asked++;
			return;
		}
}

/* Why we will not renew c for p (0: we will). */
static int
refusal(struct node *n, const struct peer *p, const struct mesh_cert *c,
    uint64_t now)
{
	const struct mesh_record *r;

	if (!n->cfg.can_redeem || n->cb.renew == NULL)
		return -EPERM;
	if (memcmp(c->node_pk, p->pk, MESH_KEY_LEN) != 0)
		return -EPERM;		/* another key's certificate */
	if (cert_verify(c, n->cfg.ca_pk, now) != VR_OK)
		return -EINVAL;
	if (revset_check(recset_revocations(n->rs), c))
		return -EACCES;
	r = recset_by_name(n->rs, c->name);
	if (r != NULL && memcmp(r->cert.node_pk, c->node_pk,
	    MESH_KEY_LEN) != 0 && r->cert.not_before > c->not_before)
		return -EEXIST;		/* the name went to another key */
	if (c->not_after - now > (c->not_after - c->not_before) / 2)
		return -EALREADY;	/* not due, even by a skewed clock */
	return 0;
}

void
renew_on_req(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct mesh_cert old, c;
	uint64_t now = node_unix(n);
	uint8_t out[MSG_MAX];
	int rc;

	if (!msg_renew_decode(m, len, MSG_RENEW_REQ, &old)) {
		n->c.drop_badmsg++;
		return;
	}
	if ((rc = refusal(n, p, &old, now)) == 0) {
		if (p->renew_issued != 0 &&
		    n->now - p->renew_issued < NODE_RENEW_RETRY * 1000ULL &&
		    memcmp(p->renewed.node_pk, old.node_pk, MESH_KEY_LEN) == 0 &&
		    cert_verify(&p->renewed, n->cfg.ca_pk, now) == VR_OK) {
			/* Asked again (our answer lost, or it restarted). */
			node_send_msg(n, p, out, msg_renew_encode(MSG_RENEW_OK,
			    &p->renewed, out));
			return;
		}
		rc = n->cb.renew(n->cb.ctx, &old, &c);
		if (rc == 0 && (memcmp(c.node_pk, old.node_pk,
		    MESH_KEY_LEN) != 0 || strcmp(c.name, old.name) != 0))
			rc = -EINVAL;	/* the callback's bug: never sent */
	}
	if (rc == 0) {
		n->c.renew_issued++;
		p->renew_issued = n->now;
		p->renewed = c;
		node_send_msg(n, p, out, msg_renew_encode(MSG_RENEW_OK, &c,
		    out));
	} else {
		n->c.renew_refused++;
		node_send_msg(n, p, out, msg_renew_err_encode(rc, out));
	}
	/* A plain refusal (we are no issuer) is routine: not an event. */
	if (n->cfg.can_redeem) {
		struct node_event ev = { .kind = NODE_EV_CERT_ISSUED,
		    .name = old.name, .err = rc };
		node_emit(n, &ev);
	}
}

void
renew_on_ok(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	struct mesh_cert c;

	if (!msg_renew_decode(m, len, MSG_RENEW_OK, &c) ||
	    p->renew_asked == 0 || !acceptable(n, &c, node_unix(n))) {
		n->c.drop_badmsg++;
		return;
	}
	p->issuer = true;
	p->renew_wait = 0;
	install(n, &c);
}

void
renew_on_err(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	int err;

	if (!msg_renew_err_decode(m, len, &err) || p->renew_asked == 0) {
		n->c.drop_badmsg++;
		return;
	}
	n->renew_next = n->now;	/* the next member may be asked at once */
	if (err == -EALREADY) {
		/* An issuer whose clock says we are not due yet: the two
		 * clocks differ (or only ours moved so far).  Ask it again
		 * soon, waiting twice as long each time, up to the usual
		 * hour: skew costs it a refusal, never the CA key. */
		uint64_t retry = NODE_RENEW_RETRY * 1000ULL;
		p->issuer = true;
		p->renew_wait = p->renew_wait == 0 ? NODE_RENEW_GAP_MS :
		    p->renew_wait * 2 > retry ? retry : p->renew_wait * 2;
		p->renew_asked = n->now - (retry - p->renew_wait);
		return;
	}
	p->issuer = false;	/* not from this one */
}
