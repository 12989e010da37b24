/*
 * The fake network's NATs: flows, port choice, filtering (see net.h).
 *
 * One flow per (inside endpoint, remote endpoint), stamped with the time
 * of its last outbound packet and live for timeout_ms after it; inbound
 * traffic never refreshes a flow.  A port-preserving NAT gives every
 * flow of one inside endpoint the same external port, that endpoint's own
 * port when no live flow of another endpoint holds it; a symmetric NAT
 * gives every flow a fresh port, the next free one, and a random NAT a
 * random free one.  Inbound passes only when a live flow
 * has that external port and that remote: address- and port-dependent
 * filtering for both kinds.  Flows are a plain array scanned per packet,
 * O(flows), and expired ones are swept when a new flow is made.
 */
#include "config.h"

#include "net-int.h"

static bool
flow_live(const struct net *net, const struct nat *x, const struct flow *f)
{
	return net->now < f->last_out + x->timeout_ms;
}

static bool
addr_eq(const struct net_addr *a, const struct net_addr *b)
{
	return a->ip == b->ip && a->port == b->port;
}

size_t
net_nat_flows(struct net *net, int nat)
{
	struct nat *x = &net->nat[nat];
	size_t i, n = 0;

	for (i = 0; i < x->n; i++)
		n += flow_live(net, x, &x->f[i]);
	return n;
}

static bool
port_used(const struct net *net, const struct nat *x, uint16_t port)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->f[i].ext_port == port && flow_live(net, x, &x->f[i]))
			return true;
	return false;
}

static uint16_t
port_alloc(const struct net *net, struct nat *x)
{
	while (x->kind == NET_NAT_RANDOM) {
		/* splitmix64, the NAT's own stream: the network's loss and
		 * jitter stay as they were. */
		uint64_t z = (x->rng += 0x9e3779b97f4a7c15ULL);
		uint16_t p;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		p = (uint16_t)(1024 + z % (65536 - 1024));
		if (!port_used(net, x, p))
			return p;
	}
	for (;;) {
		uint16_t p = (uint16_t)x->next_port;

		x->next_port = x->next_port >= 65535 ? 1024 : x->next_port + 1;
		if (!port_used(net, x, p))
			return p;
	}
}

static void
flow_sweep(const struct net *net, struct nat *x)
{
	size_t i, j = 0;

	for (i = 0; i < x->n; i++)
		if (flow_live(net, x, &x->f[i]))
			x->f[j++] = x->f[i];
	x->n = j;
}

/* The external port for a packet from inside `in` to `remote`. */
uint16_t
net_nat_out(struct net *net, struct nat *x, const struct net_addr *in,
    const struct net_addr *remote)
{
	struct flow *f;
	uint16_t port = 0;
	size_t i;

	for (i = 0; i < x->n; i++) {
		f = &x->f[i];
		if (!flow_live(net, x, f) || !addr_eq(&f->in, in))
			continue;
		if (addr_eq(&f->remote, remote)) {
			f->last_out = net->now;
			return f->ext_port;
		}
		if (x->kind == NET_NAT_PRESERVE)
			port = f->ext_port;	/* one port per inside ep */
	}
	flow_sweep(net, x);
	if (port == 0) {
		if (x->kind == NET_NAT_PRESERVE && in->port != 0 &&
		    !port_used(net, x, in->port))
			port = in->port;
		else
			port = port_alloc(net, x);
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		x->f = net_xrealloc(x->f, x->cap * sizeof(*x->f));
	}
	x->f[x->n++] = (struct flow){ .in = *in, .remote = *remote,
	    .ext_port = port, .last_out = net->now };
	return port;
}

/* The inside endpoint a packet from `remote` to our ext_port goes to;
 * false when no live flow matches (unsolicited: dropped). */
bool
net_nat_in(const struct net *net, const struct nat *x, uint16_t ext_port,
    const struct net_addr *remote, struct net_addr *in)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		const struct flow *f = &x->f[i];

		if (f->ext_port == ext_port && addr_eq(&f->remote, remote) &&
		    flow_live(net, x, f)) {
			*in = f->in;
			return true;
		}
	}
	return false;
}

void
net_nat_reset(struct net *net, int nat)
{
	struct nat *x = &net->nat[nat];

	x->n = 0;
	/* New flows get ports not seen before (a rebooted NAT rarely hands
	 * out the same ones). */
	x->next_port = x->next_port + 1000 > 65535 ? 1024 : x->next_port + 1000;
}
