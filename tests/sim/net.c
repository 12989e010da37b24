/*
 * The fake network: see net.h for the model.
 *
 * A packet's path is decided when it is sent, as a router would: on the
 * sender's LAN if the destination is an inside address of the same NAT,
 * else out through the sender's NAT (which opens or refreshes a flow and
 * rewrites the source), then to the public host with that address, or in
 * through the NAT owning it (which rewrites the destination if a flow
 * matches and drops the packet otherwise).  Loss is drawn at send time;
 * down receivers and partitions are checked at delivery, so a packet in
 * flight when a partition starts is lost, as on a real cut.
 *
 * Addresses are found through one hash keyed by (scope, ip): scope 0 is
 * the public Internet (public hosts and NAT external addresses), scope
 * nat + 1 the LAN behind that NAT.  The NATs themselves (flows, ports,
 * filtering) are in net_nat.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net-int.h"
void *
net_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL && n > 0)
		abort();
	return p;
}

/* splitmix64: small, seedable, good enough for loss and jitter. */
static uint64_t
rnd(struct net *net)
{
	uint64_t z = (net->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
key_of(int scope, uint32_t ip)
{
	return ((uint64_t)(scope + 1) << 32) | ip;	/* never 0 */
}

/* The slot holding key, or the empty one where it would go; cap > 0. */
static struct slot *
tab_find(const struct net *net, uint64_t key)
{
	size_t i;

	i = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (net->tab_cap - 1);
	while (net->tab[i].key != 0 && net->tab[i].key != key)
		i = (i + 1) & (net->tab_cap - 1);
	return &net->tab[i];
}

static void tab_put(struct net *net, uint64_t key, int val);

static void
tab_grow(struct net *net)
{
	struct slot *old = net->tab;
	size_t i, cap = net->tab_cap;

	net->tab_cap = cap ? cap * 2 : 64;
	net->tab = calloc(net->tab_cap, sizeof(*net->tab));
	if (net->tab == NULL)
		abort();
	net->tab_n = 0;
	for (i = 0; i < cap; i++)
		if (old[i].key != 0)
			tab_put(net, old[i].key, old[i].val);
	free(old);
}

static void
tab_put(struct net *net, uint64_t key, int val)
{
	struct slot *s;

	if ((net->tab_n + 1) * 2 > net->tab_cap)
		tab_grow(net);
	s = tab_find(net, key);
	if (s->key == key) {
		fprintf(stderr, "net: address %08x taken\n", (unsigned)key);
		abort();
	}
	s->key = key;
	s->val = val;
	net->tab_n++;
}

/* Host or NAT (<= -2) with address ip in scope; -1: none. */
static int
lookup(const struct net *net, int scope, uint32_t ip)
{
	uint64_t key = key_of(scope, ip);
	struct slot *s;

	if (net->tab_cap == 0)
		return -1;
	s = tab_find(net, key);
	return s->key == key ? s->val : -1;
}

struct net *
net_new(uint64_t seed, const struct net_cb *cb)
{
	struct net *net = calloc(1, sizeof(*net));

	if (net == NULL)
		abort();
	net->cb = *cb;
	net->rng = seed;
	net->now = NET_T0;
	net->dflt = (struct net_link){ .delay_ms = 10 };
	return net;
}

void
net_free(struct net *net)
{
	uint64_t at;
	void *ev;
	size_t i;

	if (net == NULL)
		return;
	while (evq_pop(&net->q, &at, &ev))
		free(ev);
	evq_free(&net->q);
	for (i = 0; i < net->n_nat; i++)
		free(net->nat[i].f);
	free(net->nat);
	free(net->h);
	free(net->ovr);
	free(net->tab);
	free(net);
}

uint64_t
net_now(const struct net *net)
{
	return net->now;
}

const struct net_stats *
net_stats(const struct net *net)
{
	return &net->st;
}

/* --- NATs ---------------------------------------------------------------- */

int
net_nat_new(struct net *net, enum net_nat_kind kind, uint32_t ext_ip)
{
	int id = (int)net->n_nat;

	net->nat = net_xrealloc(net->nat, (net->n_nat + 1) * sizeof(*net->nat));
	net->nat[id] = (struct nat){ .kind = kind, .ext_ip = ext_ip,
	    .timeout_ms = NET_NAT_TIMEOUT_MS, .next_port = PORT_FIRST,
	    .rng = 0x9e3779b97f4a7c15ULL ^ ext_ip };
	net->n_nat++;
	tab_put(net, key_of(0, ext_ip), -2 - id);
	return id;
}

void
net_nat_set_timeout(struct net *net, int nat, uint64_t timeout_ms)
{
	net->nat[nat].timeout_ms = timeout_ms;
}

/* --- hosts and links ----------------------------------------------------- */

int
net_host_new(struct net *net, int nat, uint32_t ip)
{
	int id = (int)net->n_h;

	if (net->n_h == net->cap_h) {
		net->cap_h = net->cap_h ? net->cap_h * 2 : 16;
		net->h = net_xrealloc(net->h, net->cap_h * sizeof(*net->h));
	}
	net->h[id] = (struct host){ .nat = nat, .up = true };
	net->n_h++;
	net_host_add_addr(net, id, ip);
	return id;
}

void
net_host_add_addr(struct net *net, int host, uint32_t ip)
{
	struct host *h = &net->h[host];

	if (h->n_ip == NET_ADDRS_MAX)
		abort();
	h->ip[h->n_ip++] = ip;
	tab_put(net, key_of(h->nat + 1, ip), host);
}

/* Open addressing has no cheap delete: build the table again (moves
 * are rare, a test does a handful). */
static void
tab_rebuild(struct net *net)
{
	size_t i, k;

	free(net->tab);
	net->tab = NULL;
	net->tab_cap = net->tab_n = 0;
	for (i = 0; i < net->n_nat; i++)
		tab_put(net, key_of(0, net->nat[i].ext_ip), -2 - (int)i);
	for (i = 0; i < net->n_h; i++)
		for (k = 0; k < net->h[i].n_ip; k++)
			tab_put(net, key_of(net->h[i].nat + 1, net->h[i].ip[k]),
			    (int)i);
}

void
net_host_set_addr(struct net *net, int host, size_t k, uint32_t ip)
{
	if (k >= net->h[host].n_ip)
		abort();
	net->h[host].ip[k] = ip;
	tab_rebuild(net);
}

size_t
net_host_addrs(const struct net *net, int host, uint32_t *ip, size_t max)
{
	const struct host *h = &net->h[host];
	size_t i;

	for (i = 0; i < h->n_ip && i < max; i++)
		ip[i] = h->ip[i];
	return i;
}

int
net_host_nat(const struct net *net, int host)
{
	return net->h[host].nat;
}

void
net_host_set_up(struct net *net, int host, bool up)
{
	net->h[host].up = up;
}

bool
net_host_up(const struct net *net, int host)
{
	return net->h[host].up;
}

void
net_host_traffic(const struct net *net, int host, uint64_t *tx_pkts,
    uint64_t *tx_bytes, uint64_t *rx_pkts, uint64_t *rx_bytes)
{
	const struct host *h = &net->h[host];

	*tx_pkts = h->tx_pkts;
	*tx_bytes = h->tx_bytes;
	*rx_pkts = h->rx_pkts;
	*rx_bytes = h->rx_bytes;
}

void
net_set_default_link(struct net *net, const struct net_link *l)
{
	net->dflt = *l;
}

void
net_set_link(struct net *net, int a, int b, const struct net_link *l)
{
	size_t i;

	if (a > b) {
		int t = a;

		a = b;
		b = t;
	}
	for (i = 0; i < net->n_ovr; i++)
		if (net->ovr[i].a == a && net->ovr[i].b == b) {
			net->ovr[i].l = *l;
			return;
		}
	net->ovr = net_xrealloc(net->ovr, (net->n_ovr + 1) * sizeof(*net->ovr));
	net->ovr[net->n_ovr++] = (struct link_ovr){ .a = a, .b = b, .l = *l };
}

static const struct net_link *
link_of(const struct net *net, int a, int b)
{
	size_t i;

	if (a > b) {
		int t = a;

		a = b;
		b = t;
	}
	for (i = 0; i < net->n_ovr; i++)
		if (net->ovr[i].a == a && net->ovr[i].b == b)
			return &net->ovr[i].l;
	return &net->dflt;
}

void
net_partition(struct net *net, const int *hosts, size_t n, int side)
{
	size_t i;

	for (i = 0; i < n; i++)
		net->h[hosts[i]].side = side;
}

void
net_heal(struct net *net)
{
	size_t i;

	for (i = 0; i < net->n_h; i++)
		net->h[i].side = 0;
}

/* --- sending and the event loop ------------------------------------------ */

/* Where a packet from host `src` (source `from`) to `to` ends up: the
 * receiving host and the addresses it sees, or -1 (counted). */
static int
route(struct net *net, int src, const struct net_addr *from,
    const struct net_addr *to, struct net_addr *rto, struct net_addr *rfrom)
{
	const struct host *h = &net->h[src];
	int dst;

	*rto = *to;
	*rfrom = *from;
	if (h->nat >= 0) {
		dst = lookup(net, h->nat + 1, to->ip);
		if (dst >= 0)
			return dst;		/* same LAN */
		rfrom->ip = net->nat[h->nat].ext_ip;
		rfrom->port = net_nat_out(net, &net->nat[h->nat], from, to);
	}
	dst = lookup(net, 0, to->ip);
	if (dst == -1) {
		net->st.no_route++;
		return -1;
	}
	if (dst <= -2) {
		const struct nat *x = &net->nat[-2 - dst];

		if (!net_nat_in(net, x, to->port, rfrom, rto)) {
			net->st.filtered++;
			return -1;
		}
		dst = lookup(net, -2 - dst + 1, rto->ip);
		if (dst < 0) {
			net->st.no_route++;
			return -1;
		}
	}
	return dst;
}

void
net_send(struct net *net, int host, const struct net_addr *from,
    const struct net_addr *to, const uint8_t *pkt, size_t len)
{
	const struct net_link *l;
	struct net_addr rto, rfrom;
	struct ev *ev;
	uint64_t delay;
	int dst;

	if (len > NET_PKT_MAX)
		abort();
	net->st.sent++;
	net->st.bytes_sent += len;
	net->h[host].tx_pkts++;
	net->h[host].tx_bytes += len;
	dst = route(net, host, from, to, &rto, &rfrom);
	if (dst < 0)
		return;
	l = link_of(net, host, dst);
	if (l->loss_ppm > 0 && rnd(net) % 1000000 < l->loss_ppm) {
		net->st.lost++;
		return;
	}
	delay = l->delay_ms;
	if (l->jitter_ms > 0)
		delay += rnd(net) % ((uint64_t)l->jitter_ms + 1);
	ev = malloc(sizeof(*ev) + len);
	if (ev == NULL)
		abort();
	*ev = (struct ev){ .kind = EV_PKT, .host = dst, .src = host,
	    .to = rto, .from = rfrom, .len = len };
	memcpy(ev->pkt, pkt, len);
	evq_push(&net->q, net->now + delay, ev);
}

void
net_timer(struct net *net, int host, uint64_t at)
{
	struct ev *ev = malloc(sizeof(*ev));

	if (ev == NULL)
		abort();
	*ev = (struct ev){ .kind = EV_TIMER, .host = host };
	evq_push(&net->q, at < net->now ? net->now : at, ev);
}

static void
run(struct net *net, struct ev *ev)
{
	struct host *h = &net->h[ev->host];

	if (ev->kind == EV_TIMER) {
		net->st.timers++;
		net->cb.timer(net->cb.ctx, ev->host, net->now);
		return;
	}
	if (!h->up) {
		net->st.down++;
		return;
	}
	if (h->side != net->h[ev->src].side) {
		net->st.partitioned++;
		return;
	}
	net->st.delivered++;
	h->rx_pkts++;
	h->rx_bytes += ev->len;
	net->cb.recv(net->cb.ctx, ev->host, &ev->to, &ev->from, ev->pkt,
	    ev->len);
}

bool
net_step(struct net *net)
{
	uint64_t at;
	void *ev;

	if (!evq_pop(&net->q, &at, &ev))
		return false;
	net->now = at;
	run(net, ev);
	free(ev);
	return true;
}

void
net_run_until(struct net *net, uint64_t t)
{
	while (evq_peek(&net->q) <= t)
		net_step(net);
	if (t > net->now)
		net->now = t;
}

uint64_t
net_next(const struct net *net)
{
	return evq_peek(&net->q);
}
