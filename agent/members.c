/*
 * Membership: who is there, and in what state.
 *
 * The failure detector is keepalive-based, not SWIM.  Every member keeps a
 * session with every other one it can reach (overlay.h), and each session
 * sends a keepalive after a fifth of `dead_after` (meshd.conf; 1 s by
 * default) of silence (NAT mappings need that anyway), so "when did I last
 * hear from it" is already measured for free on every link: silent for half
 * of dead_after (2.5 s) is suspect, for dead_after (5 s) dead.  SWIM's indirect probes and suspicion gossip pay
 * off when a full mesh is too costly; at the sizes we keep every record
 * (issue 3) it is not, and a direct detector has no false positives from
 * a slow third party.  A wrong "dead" costs little: names keep resolving
 * from the record, and the member is alive again at its next packet.  A
 * member we never heard from directly is dead to us until a session comes
 * up; one that said goodbye is "left" (overlay/member.h).
 *
 * Changes are logged when they happen, not when someone asks: the session
 * timer (overlay_kick) also wakes for the next threshold members_scan
 * reports, so "member b2 is dead" is written within a millisecond of the
 * dead_after mark; it is what `meshd` users grep for, like Serf's member events.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "overlay.h"
#include "overlay/member.h"

static const char *
ep_text(const struct mesh_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == MESH_EP_IPV4) {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ep->port);
	} else {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	}
	return buf;
}

static int
by_name(const void *a, const void *b)
{
	const struct mesh_record *const *x = a, *const *y = b;

	return strcmp((*x)->cert.name, (*y)->cert.name);
}

json_t *
members_json(struct overlay *ov)
{
	json_t *arr = json_array();
	uint64_t now = overlay_now();
	char addr[INET6_ADDRSTRLEN], ep[INET6_ADDRSTRLEN + 16];
	size_t n = recset_count(ov->rs);
	const struct mesh_record **v = calloc(n ? n : 1, sizeof(*v));

	if (v == NULL)
		return arr;
	for (size_t i = 0; i < n; i++)
		v[i] = recset_at(ov->rs, i);
	qsort(v, n, sizeof(*v), by_name);	/* a table people read */
	for (size_t i = 0; i < n; i++) {
		const struct mesh_record *r = v[i];
		bool self = memcmp(r->cert.node_pk, ov->id.pk, 32) == 0;
		struct peer *p = self ? NULL : overlay_peer(ov, r->cert.node_pk,
		    false);
		struct mesh_endpoint e;
		json_t *o, *last;
		const char *state, *via = "-";

		inet_ntop(AF_INET6, r->addr, addr, sizeof(addr));
		ep[0] = '\0';
		if (p != NULL && p->eplen != 0 && overlay_sa_to_ep(&p->ep, &e))
			ep_text(&e, ep, sizeof(ep));
		else if (r->n_ep > 0)
			ep_text(&r->ep[0], ep, sizeof(ep));
		if (self) {
			state = "alive";
			via = "self";
			last = json_integer(0);
		} else {
			uint64_t lr = p != NULL ? p->last_rx : 0;
			state = member_state_name(member_state(now, lr,
			    p != NULL && p->left, ov->suspect_ms, ov->dead_ms));
			if (p != NULL && overlay_peer_up(p) &&
			    strcmp(state, "alive") == 0)
				via = "direct";
			last = lr != 0 ? json_integer((json_int_t)((now - lr) /
			    1000)) : json_null();
		}
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
		    "name", r->cert.name, "address", addr, "endpoint", ep,
		    "state", state, "via", via, "last_seen_s", last);
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

uint64_t
members_scan(struct overlay *ov, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < ov->npeers; i++) {
		struct peer *p = ov->peers[i];
		enum member_state st;
		uint64_t t;

		if (p->joiner || p->name[0] == '\0')
			continue;
		st = member_state(now, p->last_rx, p->left, ov->suspect_ms,
		    ov->dead_ms);
		if (st != p->shown) {
			if (st == MEMBER_SUSPECT || st == MEMBER_DEAD)
				log_info("member %s is %s: silent for %.1f s",
				    p->name, member_state_name(st),
				    (double)(now - p->last_rx) / 1000);
			else if (st == MEMBER_LEFT)
				log_info("member %s left", p->name);
			else
				log_info("member %s is %s", p->name,
				    member_state_name(st));
			p->shown = st;
		}
		t = member_next_change(now, p->last_rx, p->left, ov->suspect_ms,
		    ov->dead_ms);
		if (t < next)
			next = t;
	}
	return next;
}
