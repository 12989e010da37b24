/*
 * Routing: every member's direct links, signed, and the shortest path to
 * every member over them (overlay/linkstate.c does the graph).
 *
 * A link is a peer heard over its own UDP path within suspect_ms (a peer
 * reached only through a relay is not one) whose probes answer
 * (probe.c), with its measured RTT and loss as the cost (the handshake's
 * RTT until a probe has answered; LINKS_DEFAULT_US before either).  Our link record lists them, the
 * cheapest LINKS_MAX if there are more (a record must fit one message);
 * it is published when the set of links changes or a cost moves by more
 * than half (and 2 ms), and every LINKS_REFRESH_MS regardless, signed
 * with our node key:
 *
 *   sig = Ed25519(node key, "nss-mesh links v1" || record bytes)
 *
 * Records travel as epidemic gossip: the owner's goes to every member
 * that is up, and whoever takes it as newer passes it to NODE_FANOUT
 * random others (for members the owner has no session with); a session
 * that comes up is sent every record held.  A record is taken
 * only from a member (its key holds a record in the record set) and only
 * when it verifies and is newer.  An edge needs both ends to list it
 * (linkstate.h), so a member can neither invent a link nor hide a dead
 * one for long: the other end drops it within suspect_ms.
 *
 * The next hop for a packet: the member itself while its own path works;
 * otherwise the first hop of the best path, kept while it stays within
 * the hysteresis of the best (linkstate_choose), so paths do not flap.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node-int.h"

#define LINKS_DOMAIN		"nss-mesh links v1"
#define LINKS_REFRESH_MS	60000
#define LINKS_DEFAULT_US	5000
#define LINKS_COST_SLACK_US	2000
/* What fits one message: type, head, links, signature. */
#define LINKS_MAX	((MSG_MAX - 1 - LINKSTATE_HEAD_LEN - MSG_LINKS_SIG) / \
	LINKSTATE_LINK_LEN)

_Static_assert(LINKS_MAX >= 16, "a link record carries a useful number of links");

bool
path_direct(const struct node *n, const struct peer *p)
{
	return p->direct_rx != 0 && n->now - p->direct_rx < n->suspect_ms;
}

bool
peer_direct(const struct node *n, const struct peer *p)
{
	return path_direct(n, p) && peer_up(n, p);
}

/* The signed message of each member's record as last taken, to hand to
 * a session that comes up. */
struct held_links {
	uint8_t pk[MESH_KEY_LEN];
	uint64_t seq;
	size_t len;
	uint8_t msg[MSG_MAX];
};

/* The seq of the record held for pk, 0 when none. */
static uint64_t
held_seq(const struct node *n, const uint8_t pk[static MESH_KEY_LEN])
{
	for (size_t i = 0; i < n->nheld_links; i++)
		if (memcmp(n->held_links[i].pk, pk, MESH_KEY_LEN) == 0)
			return n->held_links[i].seq;
	return 0;
}

static void
hold(struct node *n, const uint8_t pk[static MESH_KEY_LEN], uint64_t seq,
    const uint8_t *m, size_t len)
{
	struct held_links *v;
	size_t i;

	for (i = 0; i < n->nheld_links; i++)
		if (memcmp(n->held_links[i].pk, pk, MESH_KEY_LEN) == 0)
			break;
	if (i == n->nheld_links) {
		v = reallocarray(n->held_links, i + 1, sizeof(*v));
		if (v == NULL)
			return;
		n->held_links = v;
		n->nheld_links++;
		memcpy(v[i].pk, pk, MESH_KEY_LEN);
	}
	memcpy(n->held_links[i].msg, m, len);
	n->held_links[i].len = len;
	n->held_links[i].seq = seq;
}

int
links_init(struct node *n)
{
	memcpy(n->mine.node, n->cfg.pk, MESH_KEY_LEN);
	return (n->ls = linkstate_new(n->cfg.pk)) == NULL ? -ENOMEM : 0;
}

void
links_free(struct node *n)
{
	linkstate_free(n->ls);
	n->ls = NULL;
	free(n->held_links);
	n->held_links = NULL;
	n->nheld_links = 0;
}

void
links_forget(struct node *n, const uint8_t pk[static MESH_KEY_LEN])
{
	linkstate_remove(n->ls, pk);
	for (size_t i = 0; i < n->nheld_links; i++)
		if (memcmp(n->held_links[i].pk, pk, MESH_KEY_LEN) == 0) {
			n->held_links[i] = n->held_links[--n->nheld_links];
			break;
		}
}

static size_t
sign_msg(struct node *n, const struct linkstate_record *r, uint8_t *m)
{
	uint8_t buf[sizeof(LINKS_DOMAIN) - 1 + MSG_MAX];
	size_t len;

	m[0] = MSG_LINKS;
	if ((len = linkstate_encode(r, m + 1, MSG_MAX - 1 - MSG_LINKS_SIG)) == 0)
		return 0;
	memcpy(buf, LINKS_DOMAIN, sizeof(LINKS_DOMAIN) - 1);
	memcpy(buf + sizeof(LINKS_DOMAIN) - 1, m + 1, len);
	crypto_sign_detached(m + 1 + len, NULL, buf,
	    sizeof(LINKS_DOMAIN) - 1 + len, n->sk);
	return 1 + len + MSG_LINKS_SIG;
}

static void
push(struct node *n, const struct peer *except, const uint8_t *m, size_t len,
    bool all)
{
	struct peer *pick[NODE_FANOUT];
	uint32_t seen = 0;

	for (size_t i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		if (p == except || p->joiner || !peer_up(n, p))
			continue;
		if (all) {
			node_send_msg(n, p, m, len);
		} else if (seen < NODE_FANOUT) {
			pick[seen++] = p;
		} else {
			uint32_t j = n->cb.random(n->cb.ctx, ++seen);
			if (j < NODE_FANOUT)
				pick[j] = p;
		}
	}
	for (size_t i = 0; !all && i < NODE_FANOUT && i < seen; i++)
		node_send_msg(n, pick[i], m, len);
}

static int
by_cost(const void *a, const void *b)
{
	const struct linkstate_link *x = a, *y = b;

	return x->cost < y->cost ? -1 : x->cost > y->cost;
}

/* Did the links change enough to say so?  A link that comes or goes,
 * or a cost that moved by more than half and by more than
 * LINKS_COST_SLACK_US: jitter alone must not make every node re-sign and
 * re-send its record every second. */
static bool
links_moved(const struct linkstate_record *old,
    const struct linkstate_record *now)
{
	if (old->n != now->n)
		return true;
	for (size_t i = 0; i < now->n; i++) {
		uint32_t a = old->link[i].cost, b = now->link[i].cost;
		uint32_t d = a > b ? a - b : b - a;
		if (memcmp(old->link[i].key, now->link[i].key, MESH_KEY_LEN) != 0 ||
		    (d > (a > b ? a : b) / 2 && d > LINKS_COST_SLACK_US))
			return true;
	}
	return false;
}

void
links_maint(struct node *n)
{
	struct linkstate_record *r = calloc(1, sizeof(*r));
	uint8_t m[MSG_MAX];
	uint64_t sec;
	uint32_t nsec;
	size_t len;

	if (r == NULL)
		return;
	memcpy(r->node, n->cfg.pk, MESH_KEY_LEN);
	for (size_t i = 0; i < n->npeers && r->n < LINKSTATE_MAX_LINKS; i++) {
		const struct peer *p = n->peers[i];
		if (p->joiner || !peer_direct(n, p))
			continue;
		memcpy(r->link[r->n].key, p->pk, MESH_KEY_LEN);
		r->link[r->n++].cost = linkstate_link_cost(p->rtt_us ? p->rtt_us :
		    LINKS_DEFAULT_US, probe_loss_ppm(p));
	}
	if (r->n > LINKS_MAX) {
		qsort(r->link, r->n, sizeof(r->link[0]), by_cost);
		r->n = LINKS_MAX;
	}
	linkstate_record_sort(r);
	if (n->links_at != 0 && n->now - n->links_at < LINKS_REFRESH_MS &&
	    !links_moved(&n->mine, r)) {
		free(r);
		return;
	}
	n->cb.wallclock(n->cb.ctx, &sec, &nsec);
	r->seq = sec * 1000000 + nsec / 1000;
	if (r->seq <= n->mine.seq)
		r->seq = n->mine.seq + 1;
	if ((len = sign_msg(n, r, m)) != 0 && linkstate_update(n->ls, r) >= 0) {
		n->mine = *r;
		n->links_at = n->now;
		n->c.links_published++;
		hold(n, n->cfg.pk, r->seq, m, len);
		push(n, NULL, m, len, true);
	}
	free(r);
}

/* Every record held, to a peer whose session just came up: a member
 * behind NAT learns the paths around it at once. */
void
links_established(struct node *n, struct peer *p)
{
	for (size_t i = 0; i < n->nheld_links; i++)
		if (memcmp(n->held_links[i].pk, p->pk, MESH_KEY_LEN) != 0)
			node_send_msg(n, p, n->held_links[i].msg,
			    n->held_links[i].len);
}

void
links_on_msg(struct node *n, struct peer *p, const uint8_t *m, size_t len)
{
	uint8_t buf[sizeof(LINKS_DOMAIN) - 1 + MSG_MAX];
	struct linkstate_record *r;
	size_t wl = linkstate_wire_len(m + 1, len - 1);
	int rc;

	if (wl == 0 || 1 + wl + MSG_LINKS_SIG != len ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		n->c.drop_links++;
		return;
	}
	memcpy(buf, LINKS_DOMAIN, sizeof(LINKS_DOMAIN) - 1);
	memcpy(buf + sizeof(LINKS_DOMAIN) - 1, m + 1, wl);
	if (linkstate_decode(m + 1, wl, r) < 0 ||
	    memcmp(r->node, n->cfg.pk, MESH_KEY_LEN) == 0 ||
	    recset_by_key(n->rs, r->node) == NULL) {
		n->c.drop_links++;
		free(r);
		return;
	}
	/* Not newer than the one held: the common echo, refused before the
	 * signature costs anything. */
	if (r->seq <= held_seq(n, r->node)) {
		free(r);
		return;
	}
	if (crypto_sign_verify_detached(m + 1 + wl, buf,
	    sizeof(LINKS_DOMAIN) - 1 + wl, r->node) != 0) {
		n->c.drop_links++;
		free(r);
		return;
	}
	rc = linkstate_update(n->ls, r);
	if (rc == 1) {
		/* Newer: on to a few.  The owner sent it to every member it
		 * has a session with; these copies are for the ones it has
		 * not (behind NATs), so the record costs O(N) messages in
		 * the mesh, not O(N^2). */
		hold(n, r->node, r->seq, m, len);
		push(n, p, m, len, false);
	}
	free(r);
}

struct peer *
links_next_hop(struct node *n, struct peer *dst)
{
	struct linkstate_route rt;
	struct peer *hop;

	if (path_direct(n, dst))
		return dst;
	if (linkstate_choose(n->ls, dst->pk, dst->have_relay ? dst->relay : NULL,
	    &rt) < 0 || memcmp(rt.hop, dst->pk, MESH_KEY_LEN) == 0 ||
	    (hop = peer_find(n, rt.hop)) == NULL || !peer_up(n, hop)) {
		dst->have_relay = false;
		return NULL;
	}
	memcpy(dst->relay, rt.hop, MESH_KEY_LEN);
	dst->have_relay = true;
	return hop;
}

static const char *
name_of(const uint8_t key[LINKSTATE_KEY_LEN], void *arg)
{
	const struct mesh_record *r = recset_by_key(((struct node *)arg)->rs, key);

	return r != NULL ? r->cert.name : NULL;
}

size_t
node_graph_dot(struct node *n, char *buf, size_t len)
{
	return linkstate_dot(n->ls, buf, len, name_of, n);
}
