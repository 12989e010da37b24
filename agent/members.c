/*
 * GET /v1/members and the overlay's counters for GET /v1/status: what the
 * node engine knows, in the shapes meshctl prints.  Membership itself
 * (the keepalive-based detector, alive/suspect/dead/left) is decided in
 * the engine: overlay/member.h, overlay/node.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "overlay.h"

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

/* How a member is reached now: its own path or a relay, with what the
 * probes measured and the traffic so far. */
static json_t *
link_json(const struct node_peer_info *pi)
{
	json_t *o = json_pack("{s:b, s:I, s:I}", "direct", pi->direct,
	    "tx_bytes", (json_int_t)pi->tx_bytes,
	    "rx_bytes", (json_int_t)pi->rx_bytes);

	json_object_set_new(o, "relay", pi->relayed ?
	    json_string(pi->relay_name[0] ? pi->relay_name : "?") : json_null());
	json_object_set_new(o, "rtt_ms", pi->rtt_us ?
	    json_real((double)pi->rtt_us / 1000) : json_null());
	json_object_set_new(o, "loss", json_real((double)pi->loss_ppm / 1e6));
	json_object_set_new(o, "cipher", pi->cipher != NULL ?
	    json_string(pi->cipher) : json_null());
	/* Of tx_bytes: over its own path, and handed to a relay. */
	json_object_set_new(o, "tx_direct_bytes",
	    json_integer((json_int_t)pi->tx_direct_bytes));
	json_object_set_new(o, "tx_relayed_bytes",
	    json_integer((json_int_t)pi->tx_relayed_bytes));
	return o;
}

json_t *
graph_json(struct overlay *ov)
{
	size_t len = node_graph_dot(ov->node, NULL, 0);
	char *buf = malloc(len + 1);
	json_t *o;

	if (buf == NULL)
		return json_pack("{s:s}", "error", "out of memory");
	node_graph_dot(ov->node, buf, len + 1);
	o = json_pack("{s:s}", "dot", buf);
	free(buf);
	return o;
}

json_t *
members_json(struct overlay *ov)
{
	json_t *arr = json_array();
	uint64_t now = ev_now_ms() ? ev_now_ms() : 1;
	const uint8_t *self_pk = ov->a->id.pk;
	char addr[INET6_ADDRSTRLEN], ep[INET6_ADDRSTRLEN + 16];
	const struct recset *rs = node_records(ov->node);
	size_t n = recset_count(rs);
	const struct mesh_record **v = calloc(n ? n : 1, sizeof(*v));

	if (v == NULL)
		return arr;
	for (size_t i = 0; i < n; i++)
		v[i] = recset_at(rs, i);
	qsort(v, n, sizeof(*v), by_name);	/* a table people read */
	for (size_t i = 0; i < n; i++) {
		const struct mesh_record *r = v[i];
		bool self = memcmp(r->cert.node_pk, self_pk, 32) == 0;
		struct node_peer_info pi;
		bool have = !self && node_peer(ov->node, now, r->cert.node_pk, &pi);
		json_t *o, *last;
		const char *state, *via = "-";

		inet_ntop(AF_INET6, r->addr, addr, sizeof(addr));
		ep[0] = '\0';
		if (have && pi.have_ep)
			ep_text(&pi.ep, ep, sizeof(ep));
		else if (r->n_ep > 0)
			ep_text(&r->ep[0], ep, sizeof(ep));
		if (self) {
			state = "alive";
			via = "self";
			last = json_integer(0);
		} else {
			uint64_t lr = have ? pi.last_rx : 0;
			state = member_state_name(have ? pi.state : MEMBER_DEAD);
			if (have && pi.up && pi.state == MEMBER_ALIVE)
				via = pi.direct ? "direct" : pi.relayed &&
				    pi.relay_name[0] != '\0' ? pi.relay_name :
				    "relay";
			last = lr != 0 ? json_integer((json_int_t)((now - lr) /
			    1000)) : json_null();
		}
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
		    "name", r->cert.name, "address", addr, "endpoint", ep,
		    "state", state, "via", via, "last_seen_s", last);
		if (have)
			json_object_set_new(o, "link", link_json(&pi));
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

json_t *
overlay_counters_json(struct overlay *ov)
{
	const struct session_stats *st = node_session_stats(ov->node);
	const struct node_counters *c = node_counters(ov->node);
	const struct recset_counters *rc = recset_counters(node_records(ov->node));
	json_t *rej = json_object(), *o = json_object();
	const struct { const char *k; uint64_t v; } f[] = {
		{ "rx_datagrams", c->rx_datagrams },
		{ "rx_packets", st->rx_packets },
		{ "tx_packets", st->tx_packets },
		{ "rx_hops", st->rx_hops },
		{ "tx_hops", st->tx_hops },
		{ "handshakes", st->handshakes },
		{ "handshake_timeouts", st->handshake_timeouts },
		{ "drop_oversize", c->drop_oversize },
		{ "drop_malformed", st->drop_malformed },
		{ "drop_mac", st->drop_mac },
		{ "drop_crypto", st->drop_crypto },
		{ "drop_refused", st->drop_refused },
		{ "drop_replay_hs", st->drop_replay_hs },
		{ "drop_flood", st->drop_flood },
		{ "drop_index", st->drop_index },
		{ "drop_stale", st->drop_stale },
		{ "drop_auth", st->drop_auth },
		{ "drop_replay", st->drop_replay },
		{ "drop_badmsg", c->drop_badmsg },
		{ "drop_joiner", c->drop_joiner },
		{ "refused_cert", c->refused_cert },
		{ "refused_join", c->refused_join },
		{ "drop_collision", st->drop_collision },
		{ "drop_nomem", st->drop_nomem },
		{ "queue_dropped", st->queue_dropped },
		{ "send_errors", ov->udp.st.send_errors },
		{ "drop_send_full", ov->udp.st.send_full },
		{ "udp_tx_datagrams", ov->udp.st.tx_datagrams },
		{ "udp_tx_calls", ov->udp.st.tx_calls },
		{ "udp_tx_gso", ov->udp.st.tx_gso },
		{ "udp_rx_datagrams", ov->udp.st.rx_datagrams },
		{ "udp_rx_calls", ov->udp.st.rx_calls },
		{ "udp_rx_gro", ov->udp.st.rx_gro },
		{ "joins_ok", c->joins_ok },
		{ "joins_refused", c->joins_refused },
		{ "drop_join_limit", c->drop_join_limit },
		{ "joiners_evicted", c->joiners_evicted },
		{ "joiners_ended", c->joiners_ended },
		{ "records_accepted", rc->accepted },
		{ "records_expired", rc->expired },
		{ "records_revoked", rc->revoked },
		{ "revocations", rc->revocations },
		{ "records_pushed", c->records_pushed },
		{ "digests_sent", c->digests_sent },
		{ "wants_sent", c->wants_sent },
		{ "tx_datagrams", c->tx_datagrams },
		{ "ip_out", c->ip_out },
		{ "ip_in", c->ip_in },
		{ "ip_unreach", c->ip_unreach },
		{ "ip_too_big", c->ip_too_big },
		{ "drop_ip_bad", c->drop_ip_bad },
		{ "drop_ip_src", c->drop_ip_src },
		{ "drop_ip_nopath", c->drop_ip_nopath },
		{ "hops_relayed", c->hops_relayed },
		{ "punch_sent", c->punch_sent },
		{ "punch_rx", c->punch_rx },
		{ "punch_rounds", c->punch_rounds },
		{ "punch_probes", c->punch_probes },
		{ "punch_capped", c->punch_capped },
		{ "punch_direct", c->punch_direct },
		{ "drop_punch", c->drop_punch },
		{ "drop_punch_rate", c->drop_punch_rate },
		{ "drop_hop", c->drop_hop },
		{ "links_published", c->links_published },
		{ "drop_links", c->drop_links },
		{ "tun_errors", ov->tun_errors },
		{ "tun_tso_in", ov->gso.split_in },
		{ "tun_tso_segs", ov->gso.split_segs },
		{ "tun_csum_done", ov->gso.csum_done },
		{ "tun_drop_vnet", ov->gso.drop[GSO_E_SHORT] +
		    ov->gso.drop[GSO_E_CSUM] + ov->gso.drop[GSO_E_TYPE] +
		    ov->gso.drop[GSO_E_SIZE] + ov->gso.drop[GSO_E_PROTO] +
		    ov->gso.drop[GSO_E_LEN] },
		{ "tun_gro_segs", ov->gso.coal_segs },
		{ "tun_gro_writes", ov->gso.coal_writes },
		{ "tun_gro_single", ov->gso.coal_single },
		{ "renew_asked", c->renew_asked },
		{ "renewed", c->renewed },
		{ "renew_issued", c->renew_issued },
		{ "renew_refused", c->renew_refused },
		{ "drop_hs_seen", st->drop_hs_seen },
		{ "drop_ratelimit", st->drop_ratelimit },
		{ "drop_cookie", st->drop_cookie },
		{ "drop_hs_stale", st->drop_hs_stale },
		{ "cookies_received", st->cookies_received },
		{ "initiations_processed", st->initiations_processed },
		{ "dh_ops", st->dh_ops },
		{ "under_load", st->under_load },
		{ "lan_beacons", c->lan_beacons },
		{ "drop_beacon", c->drop_beacon },
		{ "lan_handshakes", c->lan_handshakes },
		{ "net_changes", c->net_changes },
	};

	for (int v = 1; v < VR_MAX; v++)
		json_object_set_new(rej, vr_id((enum vr)v),
		    json_integer((json_int_t)rc->rejected[v]));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		json_object_set_new(o, f[i].k, json_integer((json_int_t)f[i].v));
	json_object_set_new(o, "records_rejected", rej);
	json_object_set_new(o, "udp_gso", json_boolean(ov->udp.gso));
	json_object_set_new(o, "udp_gro", json_boolean(ov->udp.gro));
	return o;
}
