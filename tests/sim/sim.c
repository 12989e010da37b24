/*
 * The mesh simulator: engines on the fake network.  See sim.h for the
 * model; this file is the wiring (node callbacks <-> net) and the node
 * lifecycle (start, stop, restart with saved records, seeds).  The
 * questions scenarios ask are in sim_query.c, the CA in sim_ca.c, the
 * joiner in sim_join.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/addr.h"
#include "sim-int.h"

struct sim_node *
sim_at(const struct sim *sim, int i)
{
	if (i < 0 || (size_t)i >= sim->n)
		abort();
	return &sim->nodes[i];
}

/* --- endpoints ---------------------------------------------------------- */

static void
ep_of(struct mesh_endpoint *ep, uint32_t ip, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = MESH_EP_IPV4;
	ep->addr[0] = (uint8_t)(ip >> 24);
	ep->addr[1] = (uint8_t)(ip >> 16);
	ep->addr[2] = (uint8_t)(ip >> 8);
	ep->addr[3] = (uint8_t)ip;
	ep->port = port;
}

static uint32_t
ip_of(const struct mesh_endpoint *ep)
{
	return NET_IP(ep->addr[0], ep->addr[1], ep->addr[2], ep->addr[3]);
}

/* --- engine callbacks --------------------------------------------------- */

static void
cb_send(void *ctx, const struct mesh_endpoint *to, const uint8_t *pkt,
    size_t len)
{
	struct sim_node *sn = ctx;
	struct net *net = sn->sim->net;
	struct net_addr from, dst;
	uint32_t ip;

	if (to->family != MESH_EP_IPV4) {
		sn->obs.sent_v6++;
		return;
	}
	net_host_addrs(net, sn->host, &ip, 1);
	from = (struct net_addr){ ip, SIM_PORT };
	dst = (struct net_addr){ ip_of(to), to->port };
	if (sn->sim->watch_ip != 0 && dst.ip == sn->sim->watch_ip)
		sn->obs.sent_watch++;
	net_send(net, sn->host, &from, &dst, pkt, len);
}

static void schedule(struct sim_node *sn, uint64_t deadline);

/* The node's TUN: count, and keep the last packet's source and seq. */
/* The payload of sim_send_ip's packets after the seq: a pattern of seq
 * and offset, so that the TUN end can tell a packet came intact. */
static uint8_t
fill_byte(uint32_t seq, size_t k)
{
	return (uint8_t)(seq * 31 + k * 7 + (k >> 8));
}

static void
cb_tun_write(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sim_node *sn = ctx;

	if (len < 48 || pkt[0] >> 4 != 6)
		return;
	sn->obs.tun_pkts++;
	sn->obs.tun_last_at = net_now(sn->sim->net);
	sn->obs.tun_last_len = len;
	memcpy(sn->obs.tun_last_src, pkt + 8, 16);
	if (pkt[6] == 58 && pkt[40] == 1) {	/* ICMPv6 unreachable */
		sn->obs.tun_unreach++;
	} else if (pkt[6] == 58 && pkt[40] == 2) {	/* Packet Too Big */
		sn->obs.tun_too_big_mtu = (uint32_t)pkt[44] << 24 |
		    (uint32_t)pkt[45] << 16 | (uint32_t)pkt[46] << 8 | pkt[47];
	} else {
		sn->obs.tun_last_seq = (uint32_t)pkt[44] << 24 |
		    (uint32_t)pkt[45] << 16 | (uint32_t)pkt[46] << 8 | pkt[47];
		for (size_t k = 48; k < len; k++)
			if (pkt[k] != fill_byte(sn->obs.tun_last_seq, k)) {
				sn->obs.tun_corrupt++;
				break;
			}
	}
}

void
sim_addr(const struct sim *sim, int i, uint8_t addr[static 16])
{
	uint8_t prefix[MESH_PREFIX_LEN];

	mesh_net_prefix(sim->ca_pk, prefix);
	mesh_node_addr(prefix, sim_pk(sim, i), addr);
}

void
sim_send_ip_to(struct sim *sim, int i, const uint8_t dst[static 16],
    size_t len, uint32_t seq)
{
	uint8_t pkt[1500];
	struct node *n = sim_node(sim, i);

	if (n == NULL || len < 48 || len > sizeof(pkt))
		return;
	memset(pkt, 0, len);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)((len - 40) >> 8);
	pkt[5] = (uint8_t)(len - 40);
	pkt[6] = 17;			/* UDP */
	pkt[7] = 64;
	sim_addr(sim, i, pkt + 8);
	memcpy(pkt + 24, dst, 16);
	pkt[40] = 0x1f;			/* ports 8000 -> 8000 */
	pkt[41] = 0x40;
	pkt[42] = 0x1f;
	pkt[43] = 0x40;
	pkt[44] = (uint8_t)((len - 40) >> 8);	/* UDP length; no checksum */
	pkt[45] = (uint8_t)(len - 40);
	/* Our seq where the UDP checksum would be, and on. */
	pkt[44] = (uint8_t)(seq >> 24);
	pkt[45] = (uint8_t)(seq >> 16);
	pkt[46] = (uint8_t)(seq >> 8);
	pkt[47] = (uint8_t)seq;
	for (size_t k = 48; k < len; k++)
		pkt[k] = fill_byte(seq, k);
	node_send_ip(n, net_now(sim->net), pkt, len);
	schedule(sim_at(sim, i), net_now(sim->net));	/* as after a datagram */
}

void
sim_send_ip(struct sim *sim, int i, int j, size_t len, uint32_t seq)
{
	uint8_t dst[16];

	sim_addr(sim, j, dst);
	sim_send_ip_to(sim, i, dst, len, seq);
}

static void
cb_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct sim_node *sn = ctx;
	uint64_t now = net_now(sn->sim->net);

	*sec = SIM_EPOCH + now / 1000;
	*nsec = (uint32_t)(now % 1000) * 1000000;
}

static uint32_t
cb_random(void *ctx, uint32_t upper)
{
	struct sim_node *sn = ctx;

	return (uint32_t)(sim_splitmix(&sn->rng) % upper);
}

static size_t
cb_local_endpoints(void *ctx, struct mesh_endpoint *ep, size_t max)
{
	struct sim_node *sn = ctx;
	uint32_t ip[NET_ADDRS_MAX];
	size_t i, n = net_host_addrs(sn->sim->net, sn->host, ip, NET_ADDRS_MAX);

	for (i = 0; i < n && i < max; i++)
		ep_of(&ep[i], ip[i], SIM_PORT);
	return i;
}

/* "node<i>" -> i; -1 for anyone else (joiners under other names). */
static int
index_of(const struct sim *sim, const char *name)
{
	char *end;
	unsigned long v;

	if (name == NULL || strncmp(name, "node", 4) != 0)
		return -1;
	v = strtoul(name + 4, &end, 10);
	if (*end != '\0' || end == name + 4 || v >= sim->n)
		return -1;
	return (int)v;
}

static void
cb_event(void *ctx, const struct node_event *ev)
{
	struct sim_node *sn = ctx;
	uint64_t now = net_now(sn->sim->net);
	int j = index_of(sn->sim, ev->name);

	if ((size_t)ev->kind < sizeof(sn->obs.events) / sizeof(uint64_t))
		sn->obs.events[ev->kind]++;
	switch (ev->kind) {
	case NODE_EV_MEMBER_NEW:
		if (j >= 0 && sn->obs.seen[j].new_at == 0)
			sn->obs.seen[j].new_at = now;
		break;
	case NODE_EV_MEMBER_STATE:
		if (j >= 0) {
			sn->obs.seen[j].state = ev->state;
			sn->obs.seen[j].state_at = now;
			sn->obs.seen[j].changes++;
		}
		break;
	case NODE_EV_JOIN:
		snprintf(sn->obs.last_join, sizeof(sn->obs.last_join), "%s",
		    ev->name ? ev->name : "");
		sn->obs.last_join_err = ev->err;
		break;
	default:
		break;
	}
}

/* --- deadlines and delivery --------------------------------------------- */

static void
schedule(struct sim_node *sn, uint64_t deadline)
{
	if (deadline == sn->deadline || deadline == UINT64_MAX)
		return;
	sn->deadline = deadline;
	net_timer(sn->sim->net, sn->host, deadline);
}

static struct sim_node *
by_host(struct sim *sim, int host)
{
	/* Hosts and nodes are made together, one each: same index. */
	return sim_at(sim, host);
}

static void
on_timer(void *ctx, int host, uint64_t now)
{
	struct sim_node *sn = by_host(ctx, host);

	if (sn->joiner != NULL) {
		sim_joiner_tick(sn, now);
		return;
	}
	if (sn->n == NULL || now < sn->deadline)
		return;			/* stopped, or a stale timer */
	sn->deadline = 0;
	schedule(sn, node_tick(sn->n, now));
}

static void
on_recv(void *ctx, int host, const struct net_addr *to,
    const struct net_addr *from, const uint8_t *pkt, size_t len)
{
	struct sim_node *sn = by_host(ctx, host);
	struct mesh_endpoint ep;
	uint64_t now;

	if (to->port != SIM_PORT)
		return;
	now = net_now(sn->sim->net);
	if (sn->joiner != NULL) {
		sim_joiner_recv(sn, now, pkt, len, from);
		return;
	}
	if (sn->n == NULL)
		return;
	if (sn->sim->tap != NULL &&
	    sn->sim->tap(sn->sim, sn->idx, from, pkt, len, sn->sim->tap_arg))
		return;
	ep_of(&ep, from->ip, from->port);
	node_recv(sn->n, now, pkt, len, &ep);
	/* Tick once after every datagram of this ms, as meshd ticks once
	 * per wake-up after a batch: node_tick walks every peer. */
	schedule(sn, now);
}

void
sim_kick(struct sim *sim, int i)
{
	schedule(sim_at(sim, i), net_now(sim->net));
}

void
sim_watch(struct sim *sim, uint32_t ip)
{
	sim->watch_ip = ip;
}

void
sim_set_tap(struct sim *sim, sim_tap_fn fn, void *arg)
{
	sim->tap = fn;
	sim->tap_arg = arg;
}

void
sim_deliver_as(struct sim *sim, int i, uint32_t ip, uint16_t port,
    const uint8_t *pkt, size_t len)
{
	struct sim_node *sn = sim_at(sim, i);
	struct mesh_endpoint ep;

	if (sn->n == NULL)
		return;
	ep_of(&ep, ip, port);
	node_recv(sn->n, net_now(sim->net), pkt, len, &ep);
	sim_kick(sim, i);
}

/* --- the simulator ------------------------------------------------------ */

static void apply_seed(struct sim *sim, struct sim_node *sn, size_t slot,
    int j);

struct sim *
sim_new(uint64_t seed, size_t max, uint64_t dead_ms)
{
	struct sim *sim = calloc(1, sizeof(*sim));
	struct net_cb ncb;

	if (sim == NULL)
		abort();
	sim_rng_install(seed);
	sim->seed = seed;
	sim->max = max;
	sim->dead_ms = dead_ms ? dead_ms : SIM_DEAD_MS;
	sim->nodes = calloc(max, sizeof(*sim->nodes));
	if (sim->nodes == NULL)
		abort();
	ncb = (struct net_cb){ .ctx = sim, .recv = on_recv,
	    .timer = on_timer };
	sim->net = net_new(seed, &ncb);
	sim_ca_init(sim);
	return sim;
}

void
sim_free(struct sim *sim)
{
	size_t i;

	if (sim == NULL)
		return;
	for (i = 0; i < sim->n; i++) {
		node_free(sim->nodes[i].n);
		sim_joiner_free(&sim->nodes[i]);
		free(sim->nodes[i].saved);
		free(sim->nodes[i].obs.seen);
		sodium_memzero(sim->nodes[i].sk, sizeof(sim->nodes[i].sk));
	}
	free(sim->nodes);
	net_free(sim->net);
	sodium_memzero(sim->ca_sk, sizeof(sim->ca_sk));
	free(sim);
}

struct net *
sim_net(struct sim *sim)
{
	return sim->net;
}

uint64_t
sim_now(const struct sim *sim)
{
	return net_now(sim->net);
}

size_t
sim_count(const struct sim *sim)
{
	return sim->n;
}

int
sim_nat(struct sim *sim, enum net_nat_kind kind)
{
	int k = sim->n_nat++;

	if (k >= SIM_NATS_MAX)
		abort();
	return net_nat_new(sim->net, kind, NET_IP(198, 51, 100, k + 1));
}

int
sim_add(struct sim *sim, int nat, bool can_redeem)
{
	struct sim_node *sn;
	uint32_t ip;
	int i;

	if (sim->n == sim->max)
		abort();
	i = (int)sim->n++;
	sn = &sim->nodes[i];
	memset(sn, 0, sizeof(*sn));
	sn->sim = sim;
	sn->idx = i;
	sn->can_redeem = can_redeem;
	snprintf(sn->name, sizeof(sn->name), "node%d", i);
	sn->obs.seen = calloc(sim->max, sizeof(*sn->obs.seen));
	if (sn->obs.seen == NULL)
		abort();
	if (nat < 0)
		ip = NET_IP(10, 1 + (i >> 16), (i >> 8) & 255, i & 255);
	else
		ip = NET_IP(192, 168, nat, 2 + sim->nat_hosts[nat]++);
	sn->host = net_host_new(sim->net, nat, ip);
	if (sn->host != i)
		abort();		/* by_host() relies on it */
	net_host_set_up(sim->net, sn->host, false);	/* until started */
	sim_ca_issue(sim, sn);
	return i;
}

void
sim_start(struct sim *sim, int i)
{
	struct sim_node *sn = sim_at(sim, i);
	struct node_cfg cfg = { .dead_ms = sim->dead_ms, .ipv4_only = true,
	    .can_redeem = sn->can_redeem, .data_plane = true };
	struct node_cb cb = { .ctx = sn, .send = cb_send,
	    .wallclock = cb_wallclock, .random = cb_random,
	    .local_endpoints = cb_local_endpoints, .event = cb_event,
	    .redeem = sn->can_redeem ? sim_ca_redeem : NULL,
	    .tun_write = cb_tun_write };
	uint64_t now = net_now(sim->net);
	uint64_t st = sim->seed ^ ((uint64_t)i << 20) ^ sn->incarnation;

	if (sn->n != NULL)
		abort();
	sim_joiner_free(sn);
	memcpy(cfg.pk, sn->pk, MESH_KEY_LEN);
	cfg.sk = sn->sk;
	memcpy(cfg.ca_pk, sim->ca_pk, MESH_KEY_LEN);
	cfg.cert = sn->cert;
	sn->rng = sim_splitmix(&st);
	sn->incarnation++;
	sn->n = node_new(&cfg, &cb);
	if (sn->n == NULL)
		abort();
	if (sn->saved != NULL &&
	    recset_parse(node_records(sn->n), sn->saved, sn->saved_len,
	    SIM_EPOCH + now / 1000, NULL) != 0)
		abort();
	if (sn->have_join_record)	/* the member's, from JOIN_OK */
		(void)recset_add_wire(node_records(sn->n), sn->join_record,
		    RECORD_WIRE_LEN, SIM_EPOCH + now / 1000, NULL, NULL);
	/* Seeds before the first tick, as meshd reads its `peer =` lines. */
	for (size_t k = 0; k < SIM_SEEDS_MAX; k++)
		if (sn->seed[k] != 0)
			apply_seed(sim, sn, k, sn->seed[k] - 1);
	net_host_set_up(sim->net, sn->host, true);
	sn->deadline = 0;
	schedule(sn, node_tick(sn->n, now));
}

void
sim_stop(struct sim *sim, int i, bool clean)
{
	struct sim_node *sn = sim_at(sim, i);
	uint64_t now = net_now(sim->net);

	if (sn->n == NULL)
		return;
	if (clean)
		node_leave(sn->n, now);
	free(sn->saved);
	sn->saved = NULL;
	if (recset_serialize(node_records(sn->n), &sn->saved,
	    &sn->saved_len) != 0)
		abort();
	node_free(sn->n);
	sn->n = NULL;
	net_host_set_up(sim->net, sn->host, false);
}

/* Hand node i its seed in slot: j's addresses, and j's record. */
static void
apply_seed(struct sim *sim, struct sim_node *sn, size_t slot, int j)
{
	struct mesh_endpoint ep[NET_ADDRS_MAX];
	uint32_t ip[NET_ADDRS_MAX];
	size_t k, n;

	n = net_host_addrs(sim->net, sim_at(sim, j)->host, ip, NET_ADDRS_MAX);
	if (n > NODE_SEED_ADDRS)
		n = NODE_SEED_ADDRS;
	for (k = 0; k < n; k++)
		ep_of(&ep[k], ip[k], SIM_PORT);
	node_set_seeds(sn->n, slot, ep, n);
	/* A seed carries no key and Noise IK needs one: the engine tries
	 * seeds only for members it holds a record of.  A real node has the
	 * record its join answer carried (JOIN_OK); give it j's. */
	if (sim_at(sim, j)->n != NULL && node_self(sim_at(sim, j)->n) != NULL)
		(void)recset_add(node_records(sn->n), node_self(sim_at(sim, j)->n),
		    SIM_EPOCH + net_now(sim->net) / 1000);
}

void
sim_seed(struct sim *sim, int i, int j, size_t slot)
{
	struct sim_node *sn = sim_at(sim, i);

	if (slot >= SIM_SEEDS_MAX)
		abort();
	sn->seed[slot] = j + 1;
	if (sn->n == NULL)
		return;			/* sim_start() hands it over */
	apply_seed(sim, sn, slot, j);
	schedule(sn, node_tick(sn->n, net_now(sim->net)));
}

int
sim_add_many(struct sim *sim, size_t n, int nat, int seed)
{
	int first = (int)sim->n;
	size_t k;

	for (k = 0; k < n; k++) {
		int i = sim_add(sim, nat, false);

		if (seed >= 0 && seed != i)
			sim_seed(sim, i, seed, 0);
		sim_start(sim, i);
	}
	return first;
}

void
sim_run_until(struct sim *sim, uint64_t t)
{
	net_run_until(sim->net, t);
}

void
sim_run_for(struct sim *sim, uint64_t ms)
{
	net_run_until(sim->net, net_now(sim->net) + ms);
}

uint64_t
sim_run_until_pred(struct sim *sim, bool (*pred)(struct sim *, void *),
    void *arg, uint64_t step_ms, uint64_t limit)
{
	for (;;) {
		if (pred(sim, arg))
			return net_now(sim->net);
		if (net_now(sim->net) >= limit)
			return UINT64_MAX;
		sim_run_until(sim, net_now(sim->net) + step_ms > limit ?
		    limit : net_now(sim->net) + step_ms);
	}
}

struct sim *
sim_mesh(uint64_t seed, size_t max, size_t n, uint64_t dead_ms)
{
	struct sim *sim = sim_new(seed, max, dead_ms);

	sim_add(sim, -1, true);
	sim_start(sim, 0);
	if (n > 1)
		sim_add_many(sim, n - 1, -1, 0);
	return sim;
}

uint64_t
sim_converge(struct sim *sim, uint64_t within_ms)
{
	uint64_t t0 = sim_now(sim);
	uint64_t t = sim_run_until_pred(sim, sim_converged, NULL, 50,
	    t0 + within_ms);

	if (t == UINT64_MAX) {
		sim_dump(sim, stderr);
		return UINT64_MAX;
	}
	return t - t0;
}
